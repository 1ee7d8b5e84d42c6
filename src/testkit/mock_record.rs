//! What the mock remembers about each request it received, for tests to assert on.

use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

/// Which endpoint a request hit, and for `/v1/messages` whether it was part of the agent loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// `POST /v1/messages` with a non-empty `tools` list: consumes the script.
    AgentLoop,
    /// `POST /v1/messages` without tools (title generation and other side questions).
    Side,
    /// `POST /v1/messages` asking for a summary of the conversation. Newer releases (2.1.330)
    /// send the agent's tools along with it, so it is told apart by its instruction text.
    Compaction,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
    /// `GET /v1/models` and `GET /v1/models/{id}`.
    Models,
    /// `HEAD /` and anything else.
    Other,
}

/// One `tool_result` block the CLI sent back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolResult {
    pub tool_use_id: String,
    /// The result's text (text blocks joined by newlines).
    pub content: String,
    pub is_error: bool,
}

/// What the mock answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Served {
    /// The scripted turn at this position of the original queue (pushed turns continue it).
    Turn(usize),
    /// The script's default reply (queue empty or nothing matched).
    DefaultReply,
    /// The side reply.
    SideReply,
    /// The compaction summary.
    CompactionReply,
    /// Not a messages request.
    Other,
}

/// One request as the mock received it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, e.g. `/v1/messages?beta=true`.
    pub uri: String,
    pub kind: RequestKind,
    /// The JSON body (`null` when there was none or it was not JSON).
    pub body: Value,
    /// Text of the last `user` message with `<system-reminder>` sections removed (text blocks
    /// joined by newlines); empty when it held only tool results. Prompts that failed with an
    /// API error are merged by the CLI into the next user message, so this can hold several.
    pub last_user_text: String,
    /// `tool_result` blocks of the last `user` message.
    pub tool_results: Vec<ToolResult>,
    /// Number of entries in `messages`.
    pub message_count: usize,
    pub served: Served,
    /// Last four characters of the credential the client sent (`x-api-key`, or a bearer
    /// token), so a test can tell whose account a CLI ran on without the mock keeping keys.
    pub credential_tail: Option<String>,
    /// When the request was recorded (its body fully read), for latency measurements.
    #[serde(skip)]
    pub received_at: Instant,
    /// When the whole answer was handed to the HTTP server, after any scripted delay; `None`
    /// until then, and for answers sent in paced chunks.
    #[serde(skip)]
    pub answered_at: Option<Instant>,
}

impl RecordedRequest {
    pub(crate) fn new(method: &str, uri: &str, kind: RequestKind, body: Value) -> Self {
        let messages = body["messages"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let last_user = messages.iter().rev().find(|m| m["role"] == "user");
        let (last_user_text, tool_results) = last_user.map(split_user_message).unwrap_or_default();
        Self {
            method: method.to_owned(),
            uri: uri.to_owned(),
            kind,
            message_count: messages.len(),
            body,
            last_user_text,
            tool_results,
            served: Served::Other,
            credential_tail: None,
            received_at: Instant::now(),
            answered_at: None,
        }
    }

    /// Names of the tools the request advertised.
    pub fn tool_names(&self) -> Vec<&str> {
        self.body["tools"]
            .as_array()
            .map(|tools| tools.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default()
    }

    /// The advertised input schema of a tool, as the CLI sent it.
    pub fn tool_schema(&self, name: &str) -> Option<&Value> {
        self.body["tools"]
            .as_array()?
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| &t["input_schema"])
    }

    /// True when the last user message is a typed prompt rather than tool results.
    ///
    /// A tool call the user rejected is reported in the same message as the user's next
    /// prompt (a `tool_result` with `is_error`), so the test is on the text, not on the
    /// absence of tool results.
    pub fn is_prompt(&self) -> bool {
        self.kind == RequestKind::AgentLoop && !self.last_user_text.is_empty()
    }
}

fn split_user_message(message: &Value) -> (String, Vec<ToolResult>) {
    match &message["content"] {
        Value::String(text) => (strip_reminders(text), Vec::new()),
        Value::Array(blocks) => {
            let mut texts = Vec::new();
            let mut results = Vec::new();
            for block in blocks {
                match block["type"].as_str() {
                    Some("text") => {
                        let text = strip_reminders(block["text"].as_str().unwrap_or_default());
                        if !text.is_empty() {
                            texts.push(text);
                        }
                    }
                    Some("tool_result") => results.push(ToolResult {
                        tool_use_id: block["tool_use_id"].as_str().unwrap_or_default().to_owned(),
                        content: content_text(&block["content"]),
                        is_error: block["is_error"].as_bool().unwrap_or(false),
                    }),
                    _ => {}
                }
            }
            (texts.join("\n"), results)
        }
        _ => (String::new(), Vec::new()),
    }
}

/// Removes what the CLI adds around the user's own words: `<system-reminder>` sections and
/// interruption markers such as `[Request interrupted by user for tool use]`.
fn strip_reminders(text: &str) -> String {
    const OPEN: &str = "<system-reminder>";
    const CLOSE: &str = "</system-reminder>";
    let mut kept = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        kept.push_str(&rest[..start]);
        rest = match rest[start..].find(CLOSE) {
            Some(end) => &rest[start + end + CLOSE.len()..],
            None => "",
        };
    }
    kept.push_str(rest);
    kept.lines()
        .filter(|line| !line.starts_with("[Request interrupted by user"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// Whether a messages request asks for a conversation summary (auto or manual compaction).
pub(crate) fn is_compaction(last_user_text: &str) -> bool {
    last_user_text.contains("create a detailed summary of the conversation")
}

fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The prompts a user submitted, in order, from the agent-loop requests of a session: one entry
/// per request whose last user message is a prompt, except that a request repeating the
/// previous one (same prompt text, same conversation length) is a retry and not counted again.
pub fn user_prompts(requests: &[RecordedRequest]) -> Vec<String> {
    let mut prompts = Vec::new();
    let mut previous: Option<(&str, usize)> = None;
    for request in requests.iter().filter(|r| r.kind == RequestKind::AgentLoop) {
        let key = (request.last_user_text.as_str(), request.message_count);
        if request.is_prompt() && previous != Some(key) {
            prompts.push(request.last_user_text.clone());
        }
        previous = Some(key);
    }
    prompts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn agent(messages: Value) -> RecordedRequest {
        RecordedRequest::new(
            "POST",
            "/v1/messages",
            RequestKind::AgentLoop,
            json!({"messages": messages, "tools": [{"name": "Bash", "input_schema": {}}]}),
        )
    }

    #[test]
    fn last_user_message_text_and_tool_results_are_split() {
        let request = agent(json!([
            {"role": "user", "content": [{"type": "text", "text": "first"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "marker.txt"}]},
                {"type": "text", "text": "<system-reminder>x</system-reminder>"}
            ]}
        ]));
        assert_eq!(request.tool_results.len(), 1);
        assert_eq!(request.tool_results[0].content, "marker.txt");
        assert!(!request.is_prompt());
        assert_eq!(request.tool_names(), vec!["Bash"]);
    }

    #[test]
    fn system_reminders_are_not_part_of_the_prompt() {
        let request = agent(json!([{"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>\nAttribution\n</system-reminder>"},
            {"type": "text", "text": "auth error again\n\n<system-reminder>\nRead x\n</system-reminder>\n"}
        ]}]));
        assert_eq!(request.last_user_text, "auth error again");
        assert!(request.is_prompt());
    }

    #[test]
    fn prompt_after_a_rejected_tool_call_is_a_prompt() {
        let request = agent(json!([
            {"role": "user", "content": "try a denied command"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t9", "name": "Bash", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t9", "content": "The user doesn't want to proceed", "is_error": true},
                {"type": "text", "text": "[Request interrupted by user for tool use]\n"},
                {"type": "text", "text": "overload please"}
            ]}
        ]));
        assert!(request.is_prompt());
        assert_eq!(request.last_user_text, "overload please");
        assert!(request.tool_results[0].is_error);
    }

    #[test]
    fn retries_are_not_counted_as_new_prompts() {
        let one = json!([{"role": "user", "content": "say hello"}]);
        let two = json!([
            {"role": "user", "content": "say hello"},
            {"role": "assistant", "content": "hi"},
            {"role": "user", "content": "say hello"}
        ]);
        let requests = vec![agent(one.clone()), agent(one), agent(two)];
        assert_eq!(user_prompts(&requests), vec!["say hello", "say hello"]);
    }
}
