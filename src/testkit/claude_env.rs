//! Where the pinned Claude Code releases are installed for tests, and the exact environment
//! that keeps a CLI process offline (it then only ever contacts the mock on loopback).
//! See `scripts/install-test-tools.sh` for the install side.

use std::path::{Path, PathBuf};

/// Claude Code releases the tests run against (kept in step with the install script).
pub const PINNED_VERSIONS: &[&str] = &["2.1.197", "2.1.330"];

/// The API key tests give the CLI; the mock accepts any key.
pub const TEST_API_KEY: &str = "sk-ant-test-autocode-0123456789abcdefghij";

/// Set in CI: a missing CLI fails the tests instead of skipping them.
pub const REQUIRE_CLI_VAR: &str = "AUTOCODE_REQUIRE_CLI";

/// Overrides the `.test-tools` directory (default: `<repository>/.test-tools`).
pub const TEST_TOOLS_VAR: &str = "AUTOCODE_TEST_TOOLS";

#[derive(Debug, thiserror::Error)]
pub enum ClaudeEnvError {
    #[error(
        "Claude Code {version} is not installed (no executable at {}); \
         run scripts/install-test-tools.sh",
        path.display()
    )]
    NotInstalled { version: String, path: PathBuf },
}

/// The directory holding the test tools.
pub fn test_tools_dir() -> PathBuf {
    std::env::var_os(TEST_TOOLS_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-tools"))
}

/// The `claude` executable of a pinned release.
pub fn claude_binary(version: &str) -> Result<PathBuf, ClaudeEnvError> {
    let path = test_tools_dir()
        .join(format!("claude-code-{version}"))
        .join("node_modules/.bin/claude");
    if is_executable(&path) {
        Ok(path)
    } else {
        Err(ClaudeEnvError::NotInstalled {
            version: version.to_owned(),
            path,
        })
    }
}

/// The CLI for a test: `Ok(None)` means "skip" (not installed, and [`REQUIRE_CLI_VAR`] unset),
/// after printing a loud notice; with the variable set a missing CLI is an error.
pub fn claude_binary_for_test(version: &str) -> Result<Option<PathBuf>, ClaudeEnvError> {
    match claude_binary(version) {
        Ok(path) => Ok(Some(path)),
        Err(err) if std::env::var_os(REQUIRE_CLI_VAR).is_none() => {
            eprintln!(
                "\n*** SKIPPED: {err}.\n*** Set {REQUIRE_CLI_VAR}=1 to make this a failure.\n"
            );
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The environment of one offline CLI process.
#[derive(Debug, Clone)]
pub struct ClaudeEnv {
    home: PathBuf,
    base_url: String,
    api_key: String,
    max_retries: Option<u32>,
    auto_compact_window: Option<u64>,
}

impl ClaudeEnv {
    /// A CLI whose home is `home` (config in `home/.claude`) talking to `base_url`.
    pub fn new(home: impl Into<PathBuf>, base_url: impl Into<String>) -> Self {
        Self {
            home: home.into(),
            base_url: base_url.into(),
            api_key: TEST_API_KEY.to_owned(),
            max_retries: None,
            auto_compact_window: None,
        }
    }

    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// Fewer retries reach the final API-error screen sooner.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// A smaller window makes auto-compaction reachable with scripted usage numbers.
    pub fn auto_compact_window(mut self, tokens: u64) -> Self {
        self.auto_compact_window = Some(tokens);
        self
    }

    /// `CLAUDE_CONFIG_DIR`: where the CLI reads `.claude.json` and settings.
    pub fn config_dir(&self) -> PathBuf {
        self.home.join(".claude")
    }

    /// What `customApiKeyResponses.approved` must hold for the key to be accepted without the
    /// API-key dialog: the key's last 20 characters.
    pub fn api_key_fingerprint(&self) -> &str {
        let start = self.api_key.len().saturating_sub(20);
        self.api_key.get(start..).unwrap_or(&self.api_key)
    }

    /// Every variable to set, in a stable order.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("HOME", self.home.display().to_string()),
            ("CLAUDE_CONFIG_DIR", self.config_dir().display().to_string()),
            ("ANTHROPIC_BASE_URL", self.base_url.clone()),
            ("ANTHROPIC_API_KEY", self.api_key.clone()),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_owned()),
            (
                "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL",
                "1".to_owned(),
            ),
            ("CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY", "1".to_owned()),
            ("DISABLE_TELEMETRY", "1".to_owned()),
            ("DISABLE_AUTOUPDATER", "1".to_owned()),
            ("DISABLE_ERROR_REPORTING", "1".to_owned()),
            ("DISABLE_BUG_COMMAND", "1".to_owned()),
        ];
        if let Some(retries) = self.max_retries {
            vars.push(("CLAUDE_CODE_MAX_RETRIES", retries.to_string()));
        }
        if let Some(window) = self.auto_compact_window {
            vars.push(("CLAUDE_CODE_AUTO_COMPACT_WINDOW", window.to_string()));
        }
        vars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_points_the_cli_at_the_mock_and_its_own_config() {
        let env = ClaudeEnv::new("/tmp/h", "http://127.0.0.1:9").max_retries(2);
        let vars = env.vars();
        let get = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("HOME"), Some("/tmp/h"));
        assert_eq!(get("CLAUDE_CONFIG_DIR"), Some("/tmp/h/.claude"));
        assert_eq!(get("ANTHROPIC_BASE_URL"), Some("http://127.0.0.1:9"));
        assert_eq!(get("CLAUDE_CODE_MAX_RETRIES"), Some("2"));
        assert_eq!(get("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"), Some("1"));
        assert_eq!(get("CLAUDE_CODE_AUTO_COMPACT_WINDOW"), None);
    }

    #[test]
    fn fingerprint_is_the_last_20_characters() {
        let env = ClaudeEnv::new("/h", "u").api_key("sk-ant-test-0123456789abcdefghijKLMN");
        assert_eq!(env.api_key_fingerprint(), "456789abcdefghijKLMN");
        assert_eq!(env.api_key_fingerprint().len(), 20);
    }

    #[test]
    fn missing_install_names_the_install_script() {
        let err = claude_binary("0.0.0-not-pinned").expect_err("not installed");
        assert!(err.to_string().contains("scripts/install-test-tools.sh"));
    }
}
