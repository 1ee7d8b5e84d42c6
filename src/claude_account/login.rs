//! "Log in here": a one-off Claude Code session in the member's own config home, where the
//! member runs the CLI's `/login` themselves in the web terminal. The CLI keeps the login in
//! that config home, which every later launch of the member's agents uses, so nothing is
//! stored by the daemon. The session must run inside the member's sandbox: a member's CLI
//! never runs outside it.

use std::path::{Path, PathBuf};

use crate::tmux::{SessionName, SessionSpec, TmuxError};

/// Where the login session runs and keeps its result; the same places a launch uses
/// (`controller::session::user_cli_paths` and the launch's `HOME`).
#[derive(Debug, Clone)]
pub struct LoginPaths {
    /// The member's directory: the session's working directory.
    pub user_dir: PathBuf,
    /// `CLAUDE_CONFIG_DIR`, where the CLI writes its credentials.
    pub config_dir: PathBuf,
    /// `HOME` of the CLI.
    pub home: PathBuf,
}

impl LoginPaths {
    pub fn of_user(user_dir: &Path) -> Self {
        Self {
            user_dir: user_dir.to_owned(),
            config_dir: user_dir.join("config").join("claude"),
            home: user_dir.join("config").join("home"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(
        "\"Log in here\" needs the member sandbox, which this server does not have yet; use an API key or a subscription token instead"
    )]
    NeedsSandbox,
    #[error("could not start the login session: {0}")]
    Tmux(#[from] TmuxError),
    #[error("could not prepare the CLI's config home: {0}")]
    Io(#[from] std::io::Error),
}

/// The login session's tmux name: from the user id, which no other member can produce.
pub fn session_name(user_id: i64) -> Result<SessionName, TmuxError> {
    SessionName::new(format!("autocode-login-u{user_id}"))
}

/// The command the login session's pane runs: `program` inside the member's sandbox.
///
// MERGE(account → sandbox): return the sandbox's argv for running `program` as this member
// (bwrap with `paths.user_dir` read-write, HOME = `paths.home`, CLAUDE_CONFIG_DIR =
// `paths.config_dir`). Until then this refuses, and the endpoint answers 503: running a
// member's CLI unsandboxed would break the promise that members never reach each other.
pub fn login_session_command(
    _program: &str,
    _paths: &LoginPaths,
) -> Result<Vec<String>, LoginError> {
    Err(LoginError::NeedsSandbox)
}

/// The tmux session for `command` (from `login_session_command`), with the CLI pointed at
/// the member's config home.
pub fn session_spec(
    name: SessionName,
    command: Vec<String>,
    paths: &LoginPaths,
) -> Result<SessionSpec, LoginError> {
    std::fs::create_dir_all(&paths.config_dir)?;
    std::fs::create_dir_all(&paths.home)?;
    Ok(SessionSpec::new(name, &paths.user_dir, command)
        .env("CLAUDE_CONFIG_DIR", paths.config_dir.to_string_lossy())
        .env("HOME", paths.home.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_sessions_are_named_by_user_id_and_use_the_launch_config_home() {
        assert_eq!(session_name(7).expect("name").as_str(), "autocode-login-u7");
        let paths = LoginPaths::of_user(Path::new("/data/users/ann"));
        let (config_dir, _) = crate::controller::session::user_cli_paths(&paths.user_dir, "x");
        assert_eq!(paths.config_dir, config_dir);
        assert!(matches!(
            login_session_command("claude", &paths),
            Err(LoginError::NeedsSandbox)
        ));
    }
}
