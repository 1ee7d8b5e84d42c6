//! CLI versions: reading them (from `--version` output or a screen banner) and comparing them, so
//! that a profile's screen rules can differ between releases.

use std::cmp::Ordering;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

/// A dotted numeric version such as `2.1.197`; anything after the numbers is ignored.
/// Missing trailing parts count as zero (`2.1` == `2.1.0`).
#[derive(Debug, Clone)]
pub struct Version(Vec<u64>);

impl Version {
    /// Parses the leading `N(.N)*` of a string; `None` when it does not start with a number.
    pub fn parse(text: &str) -> Option<Version> {
        let head = text
            .trim()
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()?;
        let parts: Vec<u64> = head
            .split('.')
            .take_while(|p| !p.is_empty())
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        (!parts.is_empty()).then_some(Version(parts))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.0.len().max(other.0.len());
        let at = |v: &Version, i: usize| v.0.get(i).copied().unwrap_or(0);
        (0..len)
            .map(|i| at(self, i).cmp(&at(other, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A half-open version range `[min, max)`; a missing bound is open.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRange {
    pub min_version: Option<String>,
    pub max_version: Option<String>,
}

impl VersionRange {
    pub fn contains(&self, version: &Version) -> bool {
        let bound = |b: &Option<String>| b.as_deref().and_then(Version::parse);
        bound(&self.min_version).is_none_or(|min| *version >= min)
            && bound(&self.max_version).is_none_or(|max| *version < max)
    }
}

/// How a profile finds out which release of its CLI is installed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionSpec {
    /// Arguments that make the CLI print its version, e.g. `["--version"]`.
    pub args: Vec<String>,
    /// Finds the version in that output: group `version`.
    pub pattern: String,
    /// Finds the version on a screen (e.g. a welcome banner): group `version`.
    pub screen_pattern: Option<String>,
}

/// Errors while asking a CLI for its version.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("could not run {command}: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{command} did not print its version within {timeout:?}")]
    Timeout { command: String, timeout: Duration },
    #[error("no version found in the output of {command}: {output:?}")]
    NotFound { command: String, output: String },
    #[error("version pattern is invalid: {0}")]
    Pattern(#[from] regex::Error),
}

impl VersionSpec {
    /// The version named in `text` (command output or a screen), by `pattern`.
    pub fn find(pattern: &str, text: &str) -> Result<Option<String>, regex::Error> {
        let regex = Regex::new(pattern)?;
        Ok(regex
            .captures(text)
            .and_then(|c| c.name("version"))
            .map(|m| m.as_str().to_owned()))
    }

    /// Runs `command` (the program with [`VersionSpec::args`], as the caller's sandbox
    /// starts it; `shown` names it in errors) and reads the version from its output.
    pub async fn detect(
        &self,
        mut command: tokio::process::Command,
        shown: &str,
        timeout: Duration,
    ) -> Result<String, VersionError> {
        let command_text = format!("{shown} {}", self.args.join(" "));
        let run = command
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| VersionError::Timeout {
                command: command_text.clone(),
                timeout,
            })?
            .map_err(|source| VersionError::Spawn {
                command: command_text.clone(),
                source,
            })?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        Self::find(&self.pattern, &text)?.ok_or(VersionError::NotFound {
            command: command_text,
            output: text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("a version")
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(v("2.1.197") < v("2.1.330"));
        assert!(v("2.1.99") < v("2.1.197"));
        assert!(v("2.10.0") > v("2.9.9"));
        assert_eq!(v("2.1"), v("2.1.0"));
        assert_eq!(v("2.1.197 (Claude Code)"), v("2.1.197"));
        assert_eq!(Version::parse("Claude"), None);
    }

    #[test]
    fn ranges_are_half_open() {
        let range = VersionRange {
            min_version: Some("2.1.300".into()),
            max_version: Some("2.2".into()),
        };
        assert!(!range.contains(&v("2.1.299")));
        assert!(range.contains(&v("2.1.300")));
        assert!(range.contains(&v("2.1.330")));
        assert!(!range.contains(&v("2.2.0")));
        assert!(VersionRange::default().contains(&v("0.1")));
    }

    #[test]
    fn finds_the_version_in_cli_output() {
        let pattern = r"(?m)^(?P<version>\d+\.\d+\.\d+)";
        let found = VersionSpec::find(pattern, "2.1.197 (Claude Code)\n").expect("valid pattern");
        assert_eq!(found.as_deref(), Some("2.1.197"));
        assert_eq!(
            VersionSpec::find(pattern, "oops").expect("valid pattern"),
            None
        );
    }

    #[tokio::test]
    async fn detect_runs_the_program_and_reports_missing_versions() {
        let spec = VersionSpec {
            args: vec!["2.1.330 (Claude Code)".into()],
            pattern: r"^(?P<version>\d+\.\d+\.\d+)".into(),
            screen_pattern: None,
        };
        let echo = |spec: &VersionSpec| {
            let mut c = tokio::process::Command::new("echo");
            c.args(&spec.args);
            c
        };
        let found = spec
            .detect(echo(&spec), "echo", Duration::from_secs(5))
            .await
            .expect("version detected");
        assert_eq!(found, "2.1.330");
        let missing = VersionSpec {
            args: vec!["no version here".into()],
            ..spec
        };
        assert!(matches!(
            missing
                .detect(echo(&missing), "echo", Duration::from_secs(5))
                .await,
            Err(VersionError::NotFound { .. })
        ));
    }
}
