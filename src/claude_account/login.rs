//! "Log in here": a one-off Claude Code session in the member's own config home, where the
//! member runs the CLI's own sign-in in the web terminal. The CLI keeps the login in that
//! config home, which every later launch of the member's agents uses, so the daemon stores
//! nothing. The session runs inside the member's sandbox, like every CLI of theirs, started
//! through a 0600 launch spec (`autocode sandbox-exec`), never a bare program.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::profile::{Profile, SessionContext};
use crate::sandbox::Sandbox;
use crate::tmux::{SessionName, SessionSpec, TmuxError};
use crate::workspace::{MemberDir, PathError};

/// Where the login session runs and keeps its result; the same places a launch uses
/// (`controller::session::user_cli_paths` and the sandbox's `HOME`).
#[derive(Debug, Clone)]
pub struct LoginPaths {
    /// The member's directory.
    pub user_dir: PathBuf,
    /// `CLAUDE_CONFIG_DIR`, where the CLI writes its credentials.
    pub config_dir: PathBuf,
    /// `HOME` of the CLI, and the session's working directory.
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

    /// Where Claude Code keeps a login made with `/login` (Linux: no keychain).
    pub fn credentials_file(&self) -> PathBuf {
        self.config_dir.join(".credentials.json")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("could not start the login session: {0}")]
    Tmux(#[from] TmuxError),
    #[error("could not prepare the CLI's config home: {0}")]
    Path(#[from] PathError),
    #[error("could not start Claude Code in your sandbox: {0}")]
    Sandbox(String),
    #[error("could not prepare Claude Code's settings: {0}")]
    Preseed(String),
}

/// The login session's tmux name: from the user id, which no other member can produce.
pub fn session_name(user_id: i64) -> Result<SessionName, TmuxError> {
    SessionName::new(format!("autocode-login-u{user_id}"))
}

/// Prepares the member's config home and the launch spec of `program` in their sandbox, and
/// returns the tmux session that runs it. The spec (in `run_dir`, daemon-private) is the
/// only place the environment is written; the pane's command line names just its path.
/// The config is pre-seeded as for a launch (onboarding done, the home folder trusted), so
/// the CLI opens at its prompt, where the member types `/login`: onboarding would insist on
/// the internet before anything else, and the folder-trust dialog's default is "No, exit".
/// Blocking I/O: call it from `spawn_blocking`.
pub fn session_spec(
    name: SessionName,
    sandbox: &Sandbox,
    profile: &Profile,
    program: &str,
    paths: &LoginPaths,
    cli_env: &BTreeMap<String, String>,
    run_dir: &Path,
) -> Result<(SessionSpec, PathBuf), LoginError> {
    let member = MemberDir::at(&paths.user_dir)?;
    member.create_dir_all(&paths.config_dir)?;
    member.create_dir_all(&paths.home)?;
    let ctx = SessionContext {
        member_dir: paths.user_dir.clone(),
        workspace: paths.home.clone(),
        config_dir: paths.config_dir.clone(),
        settings_file: paths
            .user_dir
            .join("config")
            .join("sessions")
            .join("login.settings.json"),
        api_key: None,
        cli_version: None,
        auto_mode: false,
    };
    profile
        .preseed(&ctx)
        .map_err(|e| LoginError::Preseed(e.to_string()))?;
    // The admin's traffic switches (`cli_env`) apply here as in every launch.
    let mut env: Vec<(String, String)> = cli_env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    env.push((
        "CLAUDE_CONFIG_DIR".to_owned(),
        paths.config_dir.to_string_lossy().into_owned(),
    ));
    let run = sandbox
        .spec(program, &[], &paths.home, env)
        .map_err(|e| LoginError::Sandbox(e.to_string()))?;
    let file = run
        .write_private(run_dir)
        .map_err(|e| LoginError::Sandbox(format!("writing the launch spec: {e}")))?;
    let command = vec![
        sandbox.autocode_bin().to_string_lossy().into_owned(),
        "sandbox-exec".to_owned(),
        file.to_string_lossy().into_owned(),
    ];
    let mut spec = SessionSpec::new(name, &paths.home, command);
    // Wide enough for the sign-in link on one line.
    spec.width = 120;
    spec.height = 40;
    Ok((spec, file))
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
        assert_eq!(
            paths.credentials_file(),
            Path::new("/data/users/ann/config/claude/.credentials.json")
        );
    }
}
