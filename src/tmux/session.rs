//! Project sessions: create, kill, list, check, and read pane metadata.

use std::path::PathBuf;

use tmux_interface::{
    HasSession, KillSession, KillWindow, ListPanes, ListSessions, ListWindows, NewSession, SetHook,
    SetOption, TmuxCommand,
};

use super::server::escape_format;
use super::{PaneId, SessionName, Tmux, TmuxError, WindowId};

/// tmux signals this channel from the `pane-died` hook; the monitor waits on it so that a
/// pane's death is seen within milliseconds instead of at the next sweep.
pub(crate) const PANE_DIED_CHANNEL: &str = "autocode-pane-died";

/// How to start a project's session.
#[derive(Clone, Debug)]
pub struct SessionSpec {
    pub name: SessionName,
    pub working_dir: PathBuf,
    /// Program and arguments, executed directly (never through a shell).
    pub command: Vec<String>,
    /// Extra environment for the program, passed as `-e KEY=VALUE`.
    pub env: Vec<(String, String)>,
    pub width: u16,
    pub height: u16,
}

impl SessionSpec {
    /// A 200x50 session running `command` in `working_dir`.
    pub fn new(name: SessionName, working_dir: impl Into<PathBuf>, command: Vec<String>) -> Self {
        Self {
            name,
            working_dir: working_dir.into(),
            command,
            env: Vec::new(),
            width: 200,
            height: 50,
        }
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The argument vector tmux will `execvp`. tmux runs a single argument through
    /// `sh -c`, so a lone program is prefixed with `env` to keep the shell out.
    fn argv(&self) -> Result<Vec<String>, TmuxError> {
        match self.command.as_slice() {
            [] => Err(TmuxError::InvalidSpec("empty command")),
            [program] if program.contains('=') => Err(TmuxError::InvalidSpec(
                "a program name containing '=' would be read by env as a variable",
            )),
            [program] => Ok(vec!["env".into(), program.clone()]),
            argv => Ok(argv.to_vec()),
        }
    }
}

/// Metadata of one pane, read from tmux formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaneInfo {
    pub id: PaneId,
    pub window: WindowId,
    pub session: String,
    /// Pid of the program in the pane (still reported after it died).
    pub pid: Option<u32>,
    /// The program ended (its pty closed).
    pub dead: bool,
    /// tmux has collected the exit status. tmux 3.3a can lag on this by seconds when the
    /// server is otherwise idle (the next client command wakes it), so `dead` may be true
    /// while the status is still unknown.
    pub status_ready: bool,
    pub dead_status: Option<i32>,
    /// The signal that killed the program.
    pub dead_signal: Option<i32>,
    pub current_command: String,
    pub width: u16,
    pub height: u16,
    pub title: String,
}

/// The `-F` format matching [`PaneInfo::parse`]; the title goes last because it is set by the
/// program and may contain anything, including the separator.
pub(crate) const PANE_FORMAT: &str = "#{pane_id}\u{1f}#{window_id}\u{1f}#{session_name}\u{1f}#{pane_pid}\u{1f}#{pane_dead}\u{1f}#{?pane_dead_time,1,0}\u{1f}#{pane_dead_status}\u{1f}#{pane_dead_signal}\u{1f}#{pane_current_command}\u{1f}#{pane_width}\u{1f}#{pane_height}\u{1f}#{pane_title}";

impl PaneInfo {
    pub(crate) fn parse(line: &str) -> Option<Self> {
        let mut f = line.splitn(12, '\u{1f}');
        let id = PaneId::parse(f.next()?).ok()?;
        let window = WindowId::parse_bytes(f.next()?.as_bytes())?;
        let session = f.next()?.to_owned();
        let pid = f.next()?.parse().ok();
        let dead = f.next()? == "1";
        let status_ready = f.next()? == "1";
        let dead_status = f.next()?.parse().ok();
        let dead_signal = f.next()?.parse().ok();
        let current_command = f.next()?.to_owned();
        let width = f.next()?.parse().ok()?;
        let height = f.next()?.parse().ok()?;
        let title = f.next()?.to_owned();
        Some(Self {
            id,
            window,
            session,
            pid,
            dead,
            status_ready,
            dead_status,
            dead_signal,
            current_command,
            width,
            height,
            title,
        })
    }
}

/// Server-wide settings, sent with every session creation so that they hold from the very
/// first pane (a separate call after `new-session` would race a program that exits at once).
pub(crate) fn server_setup() -> Vec<TmuxCommand<'static>> {
    let global = |option: &'static str, value: &'static str| {
        SetOption::new()
            .global()
            .option(option)
            .value(value)
            .build()
    };
    vec![
        // The last frame of a dead program stays readable and `pane_dead` tells its death.
        global("remain-on-exit", "on"),
        // Claude Code draws its normal footer only when focus events are on.
        global("focus-events", "on"),
        // Colours for the snapshots the web terminal shows.
        global("default-terminal", "tmux-256color"),
        SetHook::new()
            .global()
            .window()
            .hook_name("pane-died")
            .command(format!("wait-for -S {PANE_DIED_CHANNEL}"))
            .build(),
    ]
}

impl Tmux {
    /// Creates a detached session running `spec.command`, and returns its pane.
    pub async fn create_session(&self, spec: &SessionSpec) -> Result<PaneInfo, TmuxError> {
        let argv = spec.argv()?;
        let dir = spec
            .working_dir
            .to_str()
            .ok_or(TmuxError::InvalidSpec("working dir is not UTF-8"))?;
        if spec.width == 0 || spec.height == 0 {
            return Err(TmuxError::InvalidSpec("zero window size"));
        }
        let mut new_session = NewSession::new()
            .detached()
            .session_name(spec.name.as_str())
            // tmux 3.3a can crash on new-session without an explicit size.
            .width(spec.width.into())
            .height(spec.height.into())
            .start_directory(escape_format(dir));
        for (key, value) in &spec.env {
            if !valid_env_key(key) {
                return Err(TmuxError::InvalidSpec(
                    "environment key not [A-Za-z_][A-Za-z0-9_]*",
                ));
            }
            new_session = new_session.environment(key.as_str(), value.as_str());
        }
        let mut new_session = new_session.build();
        new_session.push_param("--");
        for arg in argv {
            new_session.push_param(arg);
        }
        let mut cmds = server_setup();
        cmds.push(new_session);
        let gate = self.attach_gate.read().await;
        let created = self.run(&cmds).await;
        drop(gate);
        match created {
            Err(TmuxError::Command { stderr, .. }) if stderr.contains("duplicate session") => {
                return Err(TmuxError::SessionExists(spec.name.to_string()));
            }
            other => other?,
        };
        self.session_panes(&spec.name)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| TmuxError::NotFound(spec.name.to_string()))
    }

    /// Whether the session exists (false as well when the server is not running).
    pub async fn has_session(&self, name: &SessionName) -> Result<bool, TmuxError> {
        let cmd = HasSession::new().target_session(name.target()).build();
        match self.run(&[cmd]).await {
            Ok(_) => Ok(true),
            Err(TmuxError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Names of all sessions on our server that are valid project names.
    pub async fn list_sessions(&self) -> Result<Vec<SessionName>, TmuxError> {
        let cmd = ListSessions::new().format("#{session_name}").build();
        match self.run_text(&[cmd]).await {
            Ok(out) => Ok(out
                .lines()
                .filter_map(|l| SessionName::new(l).ok())
                .collect()),
            Err(TmuxError::NotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Kills the session's windows (also where they are linked into the monitor session, so
    /// the programs really end) and then the session.
    pub async fn kill_session(&self, name: &SessionName) -> Result<(), TmuxError> {
        let list = ListWindows::new()
            .format("#{window_id}")
            .target_session(name.target())
            .build();
        let windows = self.run_text(&[list]).await?;
        let mut cmds: Vec<TmuxCommand<'_>> = windows
            .lines()
            .filter(|w| WindowId::parse_bytes(w.as_bytes()).is_some())
            .map(|w| KillWindow::new().target_window(w.to_owned()).build())
            .collect();
        if cmds.is_empty() {
            cmds.push(KillSession::new().target_session(name.target()).build());
        }
        // Killing the last window also ends the session.
        match self.run(&cmds).await {
            Ok(_) | Err(TmuxError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Panes of a session (one per project session unless someone split it).
    pub async fn session_panes(&self, name: &SessionName) -> Result<Vec<PaneInfo>, TmuxError> {
        let cmd = ListPanes::new()
            .session()
            .format(PANE_FORMAT)
            .target(name.target())
            .build();
        parse_panes(&self.run_text(&[cmd]).await?)
    }

    /// Metadata of one pane.
    pub async fn pane_info(&self, pane: PaneId) -> Result<PaneInfo, TmuxError> {
        let cmd = ListPanes::new()
            .format(PANE_FORMAT)
            .filter(format!("#{{==:#{{pane_id}},{pane}}}"))
            .target(pane.to_string())
            .build();
        parse_panes(&self.run_text(&[cmd]).await?)?
            .into_iter()
            .next()
            .ok_or_else(|| TmuxError::NotFound(pane.to_string()))
    }

    /// Metadata of every pane on the server.
    pub async fn all_panes(&self) -> Result<Vec<PaneInfo>, TmuxError> {
        let cmd = ListPanes::new().all().format(PANE_FORMAT).build();
        match self.run_text(&[cmd]).await {
            Ok(out) => parse_panes(&out),
            Err(TmuxError::NotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

fn parse_panes(out: &str) -> Result<Vec<PaneInfo>, TmuxError> {
    out.lines()
        .map(|line| {
            PaneInfo::parse(line).ok_or_else(|| TmuxError::Parse {
                command: "list-panes".into(),
                output: line.to_owned(),
            })
        })
        .collect()
}

fn valid_env_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_program_is_run_through_env_not_a_shell() {
        let name = SessionName::new("a").unwrap();
        let spec = SessionSpec::new(name.clone(), "/tmp", vec!["cat".into()]);
        assert_eq!(spec.argv().unwrap(), ["env", "cat"]);
        let spec = SessionSpec::new(name.clone(), "/tmp", vec!["X=1".into()]);
        assert!(spec.argv().is_err());
        let spec = SessionSpec::new(name, "/tmp", vec![]);
        assert!(spec.argv().is_err());
    }

    #[test]
    fn env_keys_are_validated() {
        assert!(valid_env_key("ANTHROPIC_BASE_URL"));
        assert!(valid_env_key("_x1"));
        assert!(!valid_env_key("1X"));
        assert!(!valid_env_key("A=B"));
        assert!(!valid_env_key(""));
    }

    #[test]
    fn pane_lines_parse_with_a_title_holding_the_separator() {
        let line = "%3\u{1f}@2\u{1f}alice-app\u{1f}4242\u{1f}1\u{1f}1\u{1f}137\u{1f}\u{1f}claude\u{1f}200\u{1f}50\u{1f}t\u{1f}x";
        let info = PaneInfo::parse(line).unwrap();
        assert_eq!(info.id, PaneId(3));
        assert_eq!(info.window, WindowId(2));
        assert_eq!(info.pid, Some(4242));
        assert!(info.dead);
        assert_eq!(info.dead_status, Some(137));
        assert_eq!(info.dead_signal, None);
        assert_eq!((info.width, info.height), (200, 50));
        assert_eq!(info.title, "t\u{1f}x");
    }
}
