//! AutoCode: a self-hosted daemon that drives coding CLIs in tmux for a family of users.

/// Coding-CLI profiles: how to launch, pre-seed and drive a CLI, and its screen rules.
pub mod profile;
/// Screen classification: terminal text in, CLI state out (pure, no I/O).
pub mod screen;
