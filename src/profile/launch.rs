//! Building the command line of a CLI session from a profile's templates.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// The `[launch]` table: templates in which `{name}` stands for a [`SessionContext`] value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaunchTemplate {
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// Added to resume the last conversation in the workspace.
    #[serde(default)]
    pub continue_args: Vec<String>,
    /// Added to resume a given conversation (`{session_id}`).
    #[serde(default)]
    pub resume_args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// Which conversation a new CLI process starts with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Resume {
    #[default]
    Fresh,
    /// The last conversation in the workspace.
    Continue,
    /// A conversation by its id (from the exit hint or a SessionStart hook).
    Session(String),
}

/// Everything that varies between sessions of the same profile.
#[derive(Clone, Default)]
pub struct SessionContext {
    /// The member's own directory: every file pre-seeding writes must resolve beneath it.
    pub member_dir: PathBuf,
    /// The project directory the CLI works in (absolute).
    pub workspace: PathBuf,
    /// The CLI's per-user configuration directory.
    pub config_dir: PathBuf,
    /// Per-session settings file the CLI is launched with.
    pub settings_file: PathBuf,
    /// The API key the CLI will find in its environment, if any. Only its tail is ever written.
    pub api_key: Option<String>,
    /// Installed CLI version, when known.
    pub cli_version: Option<String>,
    /// The agent lets the CLI judge tool calls itself instead of asking.
    pub auto_mode: bool,
}

impl std::fmt::Debug for SessionContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionContext")
            .field("member_dir", &self.member_dir)
            .field("workspace", &self.workspace)
            .field("config_dir", &self.config_dir)
            .field("settings_file", &self.settings_file)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("cli_version", &self.cli_version)
            .field("auto_mode", &self.auto_mode)
            .finish()
    }
}

/// How many trailing characters of an API key the CLI records as "approved".
const API_KEY_TAIL: usize = 20;

impl SessionContext {
    /// Template variables; a variable without a value is absent.
    pub(crate) fn vars(&self, resume: Option<&Resume>) -> BTreeMap<&'static str, String> {
        let mut vars = BTreeMap::new();
        let path = |p: &PathBuf| p.to_string_lossy().into_owned();
        vars.insert("workspace", path(&self.workspace));
        vars.insert("config_dir", path(&self.config_dir));
        vars.insert("settings_file", path(&self.settings_file));
        if let Some(key) = &self.api_key {
            let chars: Vec<char> = key.chars().collect();
            let tail = &chars[chars.len().saturating_sub(API_KEY_TAIL)..];
            vars.insert("api_key_tail", tail.iter().collect());
        }
        if let Some(version) = &self.cli_version {
            vars.insert("cli_version", version.clone());
        }
        if let Some(Resume::Session(id)) = resume {
            vars.insert("session_id", id.clone());
        }
        vars
    }
}

/// A ready-to-run command: program, arguments and environment, with no shell in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchSpec {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("launch template {template:?} needs a value for {{{var}}}")]
    MissingVar { template: String, var: String },
}

/// Replaces every `{name}` in `template`; `Err(name)` names the first variable without a value.
pub(crate) fn expand(template: &str, vars: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            out.push_str(vars.get(name).ok_or_else(|| name.to_owned())?);
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

impl LaunchTemplate {
    pub fn build(&self, ctx: &SessionContext, resume: &Resume) -> Result<LaunchSpec, LaunchError> {
        let vars = ctx.vars(Some(resume));
        let fill = |t: &String| {
            expand(t, &vars).map_err(|var| LaunchError::MissingVar {
                template: t.clone(),
                var,
            })
        };
        let extra = match resume {
            Resume::Fresh => &[][..],
            Resume::Continue => &self.continue_args[..],
            Resume::Session(_) => &self.resume_args[..],
        };
        Ok(LaunchSpec {
            program: fill(&self.command)?,
            args: self
                .args
                .iter()
                .chain(extra)
                .map(fill)
                .collect::<Result<_, _>>()?,
            env: self
                .env
                .iter()
                .map(|(k, v)| Ok((k.clone(), fill(v)?)))
                .collect::<Result<_, LaunchError>>()?,
            cwd: ctx.workspace.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_variables_and_reports_missing_ones() {
        let mut vars = BTreeMap::new();
        vars.insert("workspace", "/w".to_owned());
        assert_eq!(
            expand("{workspace}/x", &vars).expect("template expands"),
            "/w/x"
        );
        assert_eq!(
            expand("{ not a var }", &vars).expect("template expands"),
            "{ not a var }"
        );
        assert_eq!(
            expand("{}{workspace}", &vars).expect("template expands"),
            "{}/w"
        );
        assert_eq!(
            expand("--resume {session_id}", &vars).expect_err("must fail"),
            "session_id"
        );
    }

    #[test]
    fn api_key_tail_is_the_last_twenty_characters() {
        let ctx = SessionContext {
            api_key: Some("sk-ant-test-0123456789abcdefghij".into()),
            ..SessionContext::default()
        };
        assert_eq!(ctx.vars(None)["api_key_tail"], "0123456789abcdefghij");
        assert!(
            !format!("{ctx:?}").contains("sk-ant"),
            "the key stays out of Debug output"
        );
    }
}
