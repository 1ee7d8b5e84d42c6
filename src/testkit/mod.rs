//! Test support shared by the unit, integration and browser tests: scriptable mocks of the
//! Anthropic Messages API and of an OpenAI-compatible LLM, and the environment that keeps
//! the real Claude Code CLI offline.
//! Nothing here is used by the daemon itself; it lives in the library so that integration
//! tests and the `autocode-mock` binary can share it.

/// Locating a pinned Claude Code install and the offline environment for its processes.
pub mod claude_env;
/// A loopback git server (smart HTTP, token auth) and a mock of GitHub's pull requests.
pub mod git_server;
/// The mock server and its handle.
pub mod mock_anthropic;
/// A scripted OpenAI-compatible chat-completions server (the supervising LLM).
pub mod mock_llm;
/// What the mock records about each request.
pub mod mock_record;
/// The mock's routes and request handlers.
mod mock_routes;
/// The turn script and its JSON form.
pub mod mock_script;
/// Messages API wire format: SSE events, message objects, error bodies.
pub mod mock_wire;
/// A local Web Push service and a subscriber that decrypts and verifies what it gets.
pub mod push_service;

pub use mock_anthropic::{MockAnthropic, MockError};
pub use mock_record::{RecordedRequest, RequestKind, Served, ToolResult};
pub use mock_script::{Reply, Script, Turn, Usage};
