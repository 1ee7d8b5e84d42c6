//! Test doubles for the outside services AutoCode talks to, usable from unit tests,
//! integration tests and (as small binaries) browser end-to-end tests.

/// A scripted OpenAI-compatible chat-completions server.
pub mod mock_llm;
