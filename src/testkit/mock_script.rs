//! The script a [`MockAnthropic`](super::mock_anthropic::MockAnthropic) serves, and its JSON form.
//!
//! A script is a queue of turns. Only agent-loop requests (those that advertise a non-empty
//! `tools` list) consume turns; side requests (title generation) get `side_reply` and
//! compaction requests (recognised by their summary instruction, since 2.1.330 sends tools
//! with them) get `compaction_reply`, and neither touches the queue. A turn with `when_user_contains` waits until the
//! text of the last `user` message of a request contains that substring; turns without it are
//! served in order. When nothing fits, the request gets `default_reply`.
//!
//! JSON format (as read by the `autocode-mock` binary; every field but `kind` is optional):
//!
//! ```json
//! {
//!   "default_reply": "OK (mock default reply).",
//!   "side_reply": "Mock title",
//!   "compaction_reply": "<summary>Mock summary.</summary>",
//!   "compaction_delay_ms": 3000,
//!   "turns": [
//!     {"kind": "text", "text": "Hello from the mock!"},
//!     {"kind": "bash", "command": "touch marker.txt", "when_user_contains": "make a marker"},
//!     {"kind": "write", "file_path": "/abs/path/hello.txt", "content": "hi\n"},
//!     {"kind": "tool_use", "name": "AskUserQuestion", "input": {"questions": []}, "text": "Let me ask."},
//!     {"kind": "error", "status": 529, "repeat": 3},
//!     {"kind": "error", "status": 500, "message": "Internal server error (mock)"},
//!     {"kind": "prompt_too_long", "tokens": 250000, "limit": 200000},
//!     {"kind": "text", "text": "slow", "delay_ms": 5000, "chunk_delay_ms": 200},
//!     {"kind": "text", "text": "big", "usage": {"input_tokens": 150000, "output_tokens": 20}}
//!   ]
//! }
//! ```
//!
//! - `repeat`: how many requests the turn answers before it leaves the queue (default 1); an
//!   error retried by the CLI needs one answer per attempt.
//! - `delay_ms`: wait before the first byte (holds the CLI in its working state);
//!   `chunk_delay_ms`: wait between streamed events.
//! - `usage`: reported token usage (drives the CLI's context meter); by default the input
//!   tokens are estimated from the request size.
//! - `error` statuses map to the API's error types: 529 `overloaded_error`, 500 `api_error`,
//!   401 `authentication_error`, 429 `rate_limit_error`, 400 `invalid_request_error`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What a mock answers, in order; see the module docs for the JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Script {
    /// Reply to agent-loop requests once no turn fits.
    #[serde(default = "default_reply")]
    pub default_reply: String,
    /// Reply to side requests (no tools): title generation, compaction summaries.
    #[serde(default = "default_side_reply")]
    pub side_reply: String,
    /// Reply to compaction requests (the CLI keeps what is inside `<summary>`).
    #[serde(default = "default_compaction_reply")]
    pub compaction_reply: String,
    /// Milliseconds to wait before answering a compaction request (holds the CLI in its
    /// compacting state).
    #[serde(default)]
    pub compaction_delay_ms: u64,
    /// Scripted turns, consumed by agent-loop requests.
    #[serde(default)]
    pub turns: Vec<Turn>,
}

fn default_reply() -> String {
    "OK (mock default reply).".to_owned()
}

fn default_side_reply() -> String {
    "Mock title".to_owned()
}

fn default_compaction_reply() -> String {
    "<analysis>Mock analysis.</analysis>\n<summary>Mock summary of the conversation so far.</summary>"
        .to_owned()
}

impl Default for Script {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl Script {
    /// A script serving `turns` with the default replies.
    pub fn new(turns: Vec<Turn>) -> Self {
        Self {
            default_reply: default_reply(),
            side_reply: default_side_reply(),
            compaction_reply: default_compaction_reply(),
            compaction_delay_ms: 0,
            turns,
        }
    }

    /// Parses the JSON form documented in the module docs.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// One scripted answer to an agent-loop request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Serve this turn only to a request whose last user message contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_user_contains: Option<String>,
    /// Milliseconds to wait before the first byte of the response.
    #[serde(default)]
    pub delay_ms: u64,
    /// Milliseconds to wait between streamed events.
    #[serde(default)]
    pub chunk_delay_ms: u64,
    /// Number of requests this turn answers (an error retried N times needs N).
    #[serde(default = "one")]
    pub repeat: u32,
    /// Token usage to report instead of the estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The answer itself.
    #[serde(flatten)]
    pub reply: Reply,
}

fn one() -> u32 {
    1
}

/// The content of a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// A plain assistant text; the turn ends (`end_turn`).
    Text { text: String },
    /// A call of any tool with a JSON input, optionally after a text block.
    ToolUse {
        name: String,
        input: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// Shorthand for a `Bash` tool call.
    Bash { command: String },
    /// Shorthand for a `Write` tool call (the CLI wants an absolute path).
    Write { file_path: String, content: String },
    /// An HTTP error with the API's error body.
    Error {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// A 400 `prompt is too long` error.
    PromptTooLong {
        #[serde(default = "default_too_long_tokens")]
        tokens: u64,
        #[serde(default = "default_too_long_limit")]
        limit: u64,
    },
}

fn default_too_long_tokens() -> u64 {
    250_000
}

fn default_too_long_limit() -> u64 {
    200_000
}

/// Token usage reported in `message_start` and `message_delta`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
}

/// A tool call as it goes on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub name: String,
    pub input: Value,
}

impl Reply {
    /// The tool call this reply makes, with shorthands expanded.
    pub fn tool_call(&self) -> Option<ToolCall> {
        match self {
            Self::ToolUse { name, input, .. } => Some(ToolCall {
                name: name.clone(),
                input: input.clone(),
            }),
            Self::Bash { command } => Some(ToolCall {
                name: "Bash".to_owned(),
                input: json!({ "command": command }),
            }),
            Self::Write { file_path, content } => Some(ToolCall {
                name: "Write".to_owned(),
                input: json!({ "file_path": file_path, "content": content }),
            }),
            Self::Text { .. } | Self::Error { .. } | Self::PromptTooLong { .. } => None,
        }
    }
}

impl Turn {
    fn new(reply: Reply) -> Self {
        Self {
            when_user_contains: None,
            delay_ms: 0,
            chunk_delay_ms: 0,
            repeat: 1,
            usage: None,
            reply,
        }
    }

    /// An assistant text that ends the turn.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(Reply::Text { text: text.into() })
    }

    /// A `Bash` tool call.
    pub fn bash(command: impl Into<String>) -> Self {
        Self::new(Reply::Bash {
            command: command.into(),
        })
    }

    /// A `Write` tool call.
    pub fn write(file_path: impl Into<String>, content: impl Into<String>) -> Self {
        Self::new(Reply::Write {
            file_path: file_path.into(),
            content: content.into(),
        })
    }

    /// A call of any tool.
    pub fn tool_use(name: impl Into<String>, input: Value) -> Self {
        Self::new(Reply::ToolUse {
            name: name.into(),
            input,
            text: None,
        })
    }

    /// An `AskUserQuestion` call with one single-choice question; `options` are
    /// `(label, description)` pairs (the CLI wants 2 to 4).
    pub fn ask_user_question(question: &str, header: &str, options: &[(&str, &str)]) -> Self {
        let options: Vec<Value> = options
            .iter()
            .map(|(label, description)| json!({"label": label, "description": description}))
            .collect();
        Self::tool_use(
            "AskUserQuestion",
            json!({"questions": [{
                "question": question, "header": header, "multiSelect": false, "options": options,
            }]}),
        )
    }

    /// An HTTP error with the API's default message for `status`.
    pub fn error(status: u16) -> Self {
        Self::new(Reply::Error {
            status,
            message: None,
        })
    }

    /// A 400 `prompt is too long` error.
    pub fn prompt_too_long(tokens: u64, limit: u64) -> Self {
        Self::new(Reply::PromptTooLong { tokens, limit })
    }

    /// Serve only to a request whose last user message contains `needle`.
    pub fn when_user_contains(mut self, needle: impl Into<String>) -> Self {
        self.when_user_contains = Some(needle.into());
        self
    }

    /// Wait before the first byte.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Wait between streamed events.
    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Answer `times` requests with this turn.
    pub fn repeat(mut self, times: u32) -> Self {
        self.repeat = times.max(1);
        self
    }

    /// Report this usage instead of the estimate.
    pub fn usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        self.usage = Some(Usage {
            input_tokens,
            output_tokens,
            ..Usage::default()
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_in_module_docs_parses() {
        let doc = include_str!("mock_script.rs");
        let start = doc.find("//! ```json").expect("doc example");
        let end = doc[start + 10..].find("//! ```").expect("doc example end") + start + 10;
        let json: String = doc[start + 11..end]
            .lines()
            .map(|l| l.trim_start_matches("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        let script = Script::from_json(&json).expect("parses");
        assert_eq!(script.turns.len(), 9);
        assert_eq!(script.turns[4].repeat, 3);
        assert_eq!(
            script.turns[1].when_user_contains.as_deref(),
            Some("make a marker")
        );
        assert_eq!(
            script.turns[1].reply.tool_call(),
            Some(ToolCall {
                name: "Bash".into(),
                input: json!({"command": "touch marker.txt"})
            })
        );
        assert_eq!(script.turns[8].usage.map(|u| u.input_tokens), Some(150_000));
    }

    #[test]
    fn ask_user_question_matches_the_schema_the_cli_advertises() {
        let turn = Turn::ask_user_question(
            "Which database?",
            "Database",
            &[("SQLite", "file"), ("Postgres", "server")],
        );
        let call = turn.reply.tool_call().expect("tool call");
        assert_eq!(call.name, "AskUserQuestion");
        let question = &call.input["questions"][0];
        assert_eq!(question["header"], "Database");
        assert_eq!(question["options"][1]["label"], "Postgres");
        assert_eq!(question["options"][1]["description"], "server");
    }

    #[test]
    fn empty_object_is_a_script_with_defaults() {
        let script = Script::from_json("{}").expect("parses");
        assert_eq!(script, Script::default());
    }

    #[test]
    fn unknown_kind_is_rejected() {
        assert!(Script::from_json(r#"{"turns": [{"kind": "dance"}]}"#).is_err());
    }
}
