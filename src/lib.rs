//! AutoCode: a self-hosted daemon that drives coding CLIs in tmux for a family of users.

/// tmux driver (sessions, input) and live pane screens from a control-mode client.
pub mod tmux;
