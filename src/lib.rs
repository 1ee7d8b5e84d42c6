//! AutoCode: a self-hosted daemon that drives coding CLIs in tmux for a family of users.

/// Test support: the mock Anthropic API and the offline environment for the Claude Code CLI.
pub mod testkit;
