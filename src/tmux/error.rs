//! Errors of the tmux driver and of the live-screen monitor.

use std::time::Duration;

/// Everything that can go wrong while talking to our tmux server.
#[derive(Debug, thiserror::Error)]
pub enum TmuxError {
    /// A session name outside `[a-z0-9_-]{1,64}`; rejected before any tmux call.
    #[error("invalid session name {0:?}: only a-z, 0-9, '_' and '-' are allowed (1..=64 chars)")]
    InvalidSessionName(String),
    /// A pane id that is not `%N`.
    #[error("invalid pane id {0:?}")]
    InvalidPaneId(String),
    /// A launch specification that cannot be passed to tmux safely.
    #[error("invalid launch spec: {0}")]
    InvalidSpec(&'static str),
    /// The tmux binary could not be started.
    #[error("cannot run tmux: {0}")]
    Spawn(#[source] std::io::Error),
    /// A tmux call did not finish in time; the child is killed.
    #[error("tmux {command} timed out after {} ms", .timeout.as_millis())]
    Timeout { command: String, timeout: Duration },
    /// tmux ran and reported failure.
    #[error("tmux {command} failed ({status}): {stderr}")]
    Command {
        command: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
    /// A session with this name already exists.
    #[error("session {0} already exists")]
    SessionExists(String),
    /// The session, window or pane does not exist (or the server is not running).
    #[error("tmux target not found: {0}")]
    NotFound(String),
    /// tmux printed something we do not understand.
    #[error("unexpected tmux output for {command}: {output:?}")]
    Parse { command: String, output: String },
    /// A submitted prompt never left the input box despite the bounded Enter retries.
    #[error("submit not confirmed after {enter_presses} Enter presses")]
    SubmitNotConfirmed { enter_presses: u32 },
    /// The operation was cancelled through its `CancellationToken`.
    #[error("cancelled")]
    Cancelled,
}
