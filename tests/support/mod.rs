//! What the integration tests share, in one place: each test declares `mod support;` and
//! uses the parts it needs. A test binary compiles all of it, so nothing here is dead code
//! just because one test leaves it unused.
//!
//! - [`common`]: the real app on a loopback port with its own data dir, sessions, polling;
//! - [`controller_support`]: a whole world for controller tests (the real Claude Code CLI
//!   against the mock Anthropic API, a scripted supervising LLM), `per_version!`;
//! - [`ws_support`]: WebSocket clients and tickets;
//! - [`cli_support`], [`tmux_support`], [`screen_support`], [`git_support`]: the CLI's
//!   pinned releases, tmux servers of the test's own, screen fixtures, plain git.
#![allow(dead_code, unused_imports, unused_macros)]

pub mod cli_support;
pub mod common;
#[macro_use]
pub mod controller_support;
pub mod git_support;
pub mod screen_support;
pub mod tmux_support;
pub mod ws_support;
