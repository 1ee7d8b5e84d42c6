//! The handle to the daemon's own tmux server and the one place that spawns the tmux binary.
//!
//! Commands are built with `tmux_interface`'s typed builders (they know each command's flags
//! for tmux 3.3a) and turned into an argument vector, but run here with
//! `tokio::process::Command`: `tmux_interface` runs `std::process::Command` synchronously,
//! which would block a runtime thread and cannot be given a timeout or a stdin payload.
//!
//! Every call passes `-S <socket>` (never the default server) and `-f /dev/null` (the user's
//! `~/.tmux.conf` must not change how panes behave), no shell is involved, and every argument
//! goes through [`escape_arg`] because tmux itself splits its argument list on a trailing `;`.

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tmux_interface::TmuxCommand;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::TmuxError;

/// A tmux client process with a cleared environment: the first client starts the server,
/// which hands its environment to every pane, and the daemon's (its admin password, its
/// paths) must reach no member's session. tmux needs only PATH and a UTF-8 locale.
pub(crate) fn tmux_command() -> Command {
    let mut command = Command::new("tmux");
    command.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    let locale = std::env::var("LANG").unwrap_or_else(|_| "C.UTF-8".to_owned());
    command.env("LANG", locale).env("TERM", "tmux-256color");
    command
}

/// The installed tmux's version line (`tmux 3.3a`), for `autocode doctor`.
pub async fn version() -> std::io::Result<String> {
    let out = tokio::time::timeout(
        DEFAULT_CALL_TIMEOUT,
        tmux_command().arg("-V").kill_on_drop(true).output(),
    )
    .await
    .map_err(|_| std::io::Error::other("tmux -V did not answer"))??;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Default limit for one tmux call; tmux answers in milliseconds unless the server is stuck.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Our tmux server, addressed by its socket path. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Tmux {
    socket: Arc<PathBuf>,
    timeout: Duration,
    /// tmux 3.3a crashes ("server exited unexpectedly") when `new-session` runs while a
    /// control client is still attaching; session creation holds this shared, a control
    /// client's attach holds it exclusively until tmux answered the attach.
    pub(crate) attach_gate: Arc<tokio::sync::RwLock<()>>,
}

impl Tmux {
    /// A handle for the server on `socket` (e.g. `<data_dir>/tmux.sock`); the server is started
    /// by the first session created on it.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            socket: Arc::new(socket.into()),
            timeout: DEFAULT_CALL_TIMEOUT,
            attach_gate: Arc::default(),
        }
    }

    /// Changes the limit for each tmux call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Arguments that select our server; every tmux process we start begins with these.
    pub(crate) fn base_args(&self) -> Vec<OsString> {
        vec![
            "-S".into(),
            self.socket.as_os_str().to_owned(),
            "-f".into(),
            "/dev/null".into(),
        ]
    }

    /// Runs one or more commands (joined by `;` arguments) and returns stdout.
    pub(crate) async fn run(&self, cmds: &[TmuxCommand<'_>]) -> Result<Vec<u8>, TmuxError> {
        self.run_with_stdin(cmds, None).await
    }

    /// Like [`Tmux::run`], returning stdout as text (tmux output we parse is ASCII formats).
    pub(crate) async fn run_text(&self, cmds: &[TmuxCommand<'_>]) -> Result<String, TmuxError> {
        let out = self.run(cmds).await?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Runs commands with `stdin` fed to the process (for `load-buffer -`).
    pub(crate) async fn run_with_stdin(
        &self,
        cmds: &[TmuxCommand<'_>],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, TmuxError> {
        let name = command_name(cmds);
        let mut command = tmux_command();
        command
            .args(self.base_args())
            .args(command_args(cmds))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(TmuxError::Spawn)?;
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // Written before waiting: load-buffer reads all of stdin before it exits.
            let write = async {
                pipe.write_all(data).await?;
                pipe.shutdown().await
            };
            tokio::time::timeout(self.timeout, write)
                .await
                .map_err(|_| TmuxError::Timeout {
                    command: name.clone(),
                    timeout: self.timeout,
                })?
                .map_err(TmuxError::Spawn)?;
        }
        let output = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| TmuxError::Timeout {
                command: name.clone(),
                timeout: self.timeout,
            })?
            .map_err(TmuxError::Spawn)?;
        if output.status.success() {
            return Ok(output.stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        if is_not_found(&stderr) {
            return Err(TmuxError::NotFound(stderr));
        }
        Err(TmuxError::Command {
            command: name,
            status: output.status,
            stderr,
        })
    }

    /// The server's pid, or `NotFound` when it is not running.
    pub async fn server_pid(&self) -> Result<u32, TmuxError> {
        let cmd = tmux_interface::DisplayMessage::new()
            .print()
            .message("#{pid}")
            .build();
        let out = self.run_text(&[cmd]).await?;
        out.trim().parse().map_err(|_| TmuxError::Parse {
            command: "display-message".into(),
            output: out,
        })
    }

    /// Stops our server and every pane in it. A server that is not running is not an error.
    pub async fn kill_server(&self) -> Result<(), TmuxError> {
        match self.run(&[tmux_interface::KillServer::new().build()]).await {
            Ok(_) | Err(TmuxError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn is_not_found(stderr: &str) -> bool {
    [
        "can't find",
        "no server running",
        "error connecting",
        "no such",
    ]
    .iter()
    .any(|needle| stderr.contains(needle))
}

fn command_name(cmds: &[TmuxCommand<'_>]) -> String {
    cmds.iter()
        .filter_map(|c| c.to_vec().first().map(|n| n.to_string()))
        .collect::<Vec<_>>()
        .join(";")
}

/// The argument vector for a command sequence, each command separated by a lone `;`.
pub(crate) fn command_args(cmds: &[TmuxCommand<'_>]) -> Vec<String> {
    let mut args = Vec::new();
    for (i, cmd) in cmds.iter().enumerate() {
        if i > 0 {
            args.push(";".to_owned());
        }
        args.extend(cmd.to_vec().iter().map(|a| escape_arg(a).into_owned()));
    }
    args
}

/// tmux ends a command at any argument that ends in `;` (and turns a final `\;` into `;`), so
/// user text such as `ls;` or an env value `X=a;` would otherwise cut the command short and
/// turn the following arguments into a command of their own.
pub(crate) fn escape_arg(arg: &str) -> Cow<'_, str> {
    match arg.strip_suffix(';') {
        Some(head) => Cow::Owned(format!("{head}\\;")),
        None => Cow::Borrowed(arg),
    }
}

/// tmux expands formats (including `#(shell command)`) in some option values such as
/// `new-session -c`; doubling `#` makes the value literal.
pub(crate) fn escape_format(value: &str) -> String {
    value.replace('#', "##")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_semicolons_are_escaped_and_nothing_else_changes() {
        assert_eq!(escape_arg("ls;"), "ls\\;");
        assert_eq!(escape_arg("a\\;"), "a\\\\;");
        assert_eq!(escape_arg(";"), "\\;");
        assert_eq!(escape_arg("a;b"), "a;b");
        assert_eq!(escape_arg("$(id)"), "$(id)");
    }

    #[test]
    fn format_characters_are_doubled() {
        assert_eq!(escape_format("/tmp/#{pid}#(id)"), "/tmp/##{pid}##(id)");
    }

    #[test]
    fn commands_are_joined_with_lone_semicolons() {
        let a = tmux_interface::HasSession::new()
            .target_session("=x")
            .build();
        let b = tmux_interface::KillServer::new().build();
        assert_eq!(
            command_args(&[a, b]),
            ["has-session", "-t", "=x", ";", "kill-server"]
        );
    }
}
