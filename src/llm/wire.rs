//! The chat-completions wire format we speak: our own small message and tool types, their
//! JSON form, and the parsing of a reply. Kept apart from the transport so the format can
//! be tested without a server and so providers' small deviations are handled in one place.

use serde_json::{Value, json};

use super::LlmError;

/// One message of a conversation, in the roles chat-completions knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    System(String),
    User(String),
    /// What the model said before, including the tool calls it made (needed to answer them).
    Assistant {
        content: Option<String>,
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call, matched to it by id.
    Tool {
        call_id: String,
        content: String,
    },
}

impl Message {
    pub fn to_json(&self) -> Value {
        match self {
            Message::System(content) => json!({"role": "system", "content": content}),
            Message::User(content) => json!({"role": "user", "content": content}),
            Message::Assistant {
                content,
                tool_calls,
            } => {
                let mut msg = json!({"role": "assistant", "content": content});
                if !tool_calls.is_empty() {
                    msg["tool_calls"] = tool_calls.iter().map(ToolCall::to_json).collect();
                }
                msg
            }
            Message::Tool { call_id, content } => {
                json!({"role": "tool", "tool_call_id": call_id, "content": content})
            }
        }
    }
}

/// A function the model may call: its name, what it does and a JSON schema of its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

impl ToolSpec {
    pub fn to_json(&self) -> Value {
        json!({
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            }
        })
    }
}

/// A call the model made. `arguments` is the raw JSON text the model produced: it is
/// untrusted and may not even parse, which the caller must handle.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

impl ToolCall {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        })
    }
}

/// Tokens billed for a call (or, summed, for a whole decision).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
    }
}

/// The first choice of a completion.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatReply {
    pub content: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
}

pub(super) fn request_body(model: &str, messages: &[Message], tools: &[ToolSpec]) -> Value {
    let mut body = json!({
        "model": model,
        "messages": messages.iter().map(Message::to_json).collect::<Vec<_>>(),
        "stream": false,
    });
    if !tools.is_empty() {
        body["tools"] = tools.iter().map(ToolSpec::to_json).collect();
    }
    body
}

pub(super) fn parse_reply(body: &Value) -> Result<ChatReply, LlmError> {
    let malformed = |what: &str| LlmError::Malformed(what.to_owned());
    let message = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|choices| choices.first())
        .and_then(|choice| choice.get("message"))
        .ok_or_else(|| malformed("no choices[0].message in the reply"))?;
    let content = match message.get("content") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(malformed("message content is not a string")),
    };
    let mut tool_calls = Vec::new();
    if let Some(calls) = message.get("tool_calls").filter(|v| !v.is_null()) {
        let calls = calls
            .as_array()
            .ok_or_else(|| malformed("tool_calls is not a list"))?;
        for (n, call) in calls.iter().enumerate() {
            tool_calls.push(parse_tool_call(n, call)?);
        }
    }
    let usage = body.get("usage").map(parse_usage).unwrap_or_default();
    Ok(ChatReply {
        content,
        tool_calls,
        usage,
    })
}

fn parse_tool_call(n: usize, call: &Value) -> Result<ToolCall, LlmError> {
    let function = call
        .get("function")
        .ok_or_else(|| LlmError::Malformed(format!("tool call {n} has no function")))?;
    let name = function
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| LlmError::Malformed(format!("tool call {n} has no function name")))?;
    // Some OpenAI-compatible servers (older Ollama builds) send the arguments as an object
    // instead of a JSON string; both mean the same.
    let arguments = match function.get("arguments") {
        None | Some(Value::Null) => "{}".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    // An id is needed to answer the call; a missing one is invented so a re-ask still works.
    let id = call
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map_or_else(|| format!("call_{n}"), str::to_owned);
    Ok(ToolCall {
        id,
        name: name.to_owned(),
        arguments,
    })
}

fn parse_usage(usage: &Value) -> Usage {
    let field = |name: &str| usage.get(name).and_then(Value::as_u64).unwrap_or(0);
    Usage {
        prompt_tokens: field("prompt_tokens"),
        completion_tokens: field("completion_tokens"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_with_tool_calls_and_usage_parse() {
        let body = json!({
            "choices": [{"message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "wait", "arguments": "{\"seconds\":5}"}},
                {"type": "function", "function": {"name": "remember", "arguments": {"fact": "x"}}}
            ]}}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 7, "total_tokens": 127}
        });
        let reply = parse_reply(&body).expect("parses");
        assert_eq!(reply.content, None);
        assert_eq!(reply.tool_calls.len(), 2);
        assert_eq!(reply.tool_calls[0].arguments, r#"{"seconds":5}"#);
        assert_eq!(reply.tool_calls[1].id, "call_1");
        assert_eq!(reply.tool_calls[1].arguments, r#"{"fact":"x"}"#);
        assert_eq!(
            reply.usage,
            Usage {
                prompt_tokens: 120,
                completion_tokens: 7
            }
        );
    }

    #[test]
    fn replies_without_a_message_are_malformed() {
        for body in [
            json!({}),
            json!({"choices": []}),
            json!({"choices": [{"message": {"content": 5}}]}),
            json!({"choices": [{"message": {"tool_calls": [{"id": "x"}]}}]}),
        ] {
            assert!(
                matches!(parse_reply(&body), Err(LlmError::Malformed(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn assistant_tool_calls_round_trip_in_requests() {
        let call = ToolCall {
            id: "c1".into(),
            name: "wait".into(),
            arguments: "{}".into(),
        };
        let body = request_body(
            "m",
            &[
                Message::Assistant {
                    content: None,
                    tool_calls: vec![call],
                },
                Message::Tool {
                    call_id: "c1".into(),
                    content: "error: x".into(),
                },
            ],
            &[],
        );
        assert_eq!(
            body["messages"][0]["tool_calls"][0]["function"]["name"],
            "wait"
        );
        assert_eq!(body["messages"][1]["tool_call_id"], "c1");
        assert!(body.get("tools").is_none());
        assert_eq!(body["stream"], false);
    }
}
