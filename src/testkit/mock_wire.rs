//! The Anthropic Messages API wire format the mock speaks: streamed SSE events, the
//! non-streamed message object and error bodies. Pure functions; the server lives in
//! [`mock_anthropic`](super::mock_anthropic).

use serde_json::{Value, json};

use super::mock_script::{ToolCall, Usage};

/// The assistant content of one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: Option<String>,
    pub tool: Option<(String, ToolCall)>,
    pub usage: Usage,
}

impl Answer {
    fn stop_reason(&self) -> &'static str {
        if self.tool.is_some() {
            "tool_use"
        } else {
            "end_turn"
        }
    }

    fn usage_json(&self) -> Value {
        json!({
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cache_creation_input_tokens": self.usage.cache_creation_input_tokens,
            "cache_read_input_tokens": self.usage.cache_read_input_tokens,
        })
    }

    /// The answer as a non-streamed message object.
    pub fn message(&self, id: &str, model: &str) -> Value {
        let mut content = Vec::new();
        if let Some(text) = &self.text {
            content.push(json!({"type": "text", "text": text}));
        }
        if let Some((tool_id, call)) = &self.tool {
            content.push(
                json!({"type": "tool_use", "id": tool_id, "name": call.name, "input": call.input}),
            );
        }
        json!({
            "id": id, "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": self.stop_reason(), "stop_sequence": null,
            "usage": self.usage_json(),
        })
    }

    /// The answer as server-sent events, one `event:`/`data:` frame per element.
    pub fn sse_frames(&self, id: &str, model: &str) -> Vec<String> {
        let mut start_usage = self.usage_json();
        // The real API reports output tokens only at the end; the start carries a placeholder.
        start_usage["output_tokens"] = json!(1);
        let mut frames = vec![frame(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": null, "stop_sequence": null, "usage": start_usage,
            }}),
        )];
        let mut index = 0;
        if let Some(text) = &self.text {
            frames.push(block_start(index, json!({"type": "text", "text": ""})));
            for piece in chunks(text) {
                frames.push(block_delta(
                    index,
                    json!({"type": "text_delta", "text": piece}),
                ));
            }
            frames.push(block_stop(index));
            index += 1;
        }
        if let Some((tool_id, call)) = &self.tool {
            frames.push(block_start(
                index,
                json!({"type": "tool_use", "id": tool_id, "name": call.name, "input": {}}),
            ));
            let input = call.input.to_string();
            for piece in chunks(&input) {
                frames.push(block_delta(
                    index,
                    json!({"type": "input_json_delta", "partial_json": piece}),
                ));
            }
            frames.push(block_stop(index));
        }
        frames.push(frame(
            "message_delta",
            &json!({"type": "message_delta",
                "delta": {"stop_reason": self.stop_reason(), "stop_sequence": null},
                "usage": self.usage_json()}),
        ));
        frames.push(frame("message_stop", &json!({"type": "message_stop"})));
        frames
    }
}

fn frame(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

fn block_start(index: usize, block: Value) -> String {
    frame(
        "content_block_start",
        &json!({"type": "content_block_start", "index": index, "content_block": block}),
    )
}

fn block_delta(index: usize, delta: Value) -> String {
    frame(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": index, "delta": delta}),
    )
}

fn block_stop(index: usize) -> String {
    frame(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": index}),
    )
}

/// Splits text into pieces of a few words (on char boundaries), as the real API streams it,
/// so that a client's delta reassembly is exercised.
fn chunks(text: &str) -> Vec<&str> {
    const TARGET: usize = 24;
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if end - start >= TARGET && (c == ' ' || c == ',' || end - start >= 2 * TARGET) {
            pieces.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() || pieces.is_empty() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// The API's error body for an HTTP status.
pub fn error_body(status: u16, message: Option<&str>) -> Value {
    let (kind, default_message) = match status {
        400 => ("invalid_request_error", "Invalid request (mock)"),
        401 => ("authentication_error", "invalid x-api-key"),
        403 => ("permission_error", "Permission denied (mock)"),
        404 => ("not_found_error", "Not found (mock)"),
        429 => ("rate_limit_error", "Rate limited (mock)"),
        529 => ("overloaded_error", "Overloaded"),
        _ => ("api_error", "Internal server error (mock)"),
    };
    json!({"type": "error", "error": {"type": kind, "message": message.unwrap_or(default_message)}})
}

/// The message the API gives when the prompt exceeds the context window.
pub fn prompt_too_long_message(tokens: u64, limit: u64) -> String {
    format!("prompt is too long: {tokens} tokens > {limit} maximum")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(frames: &[String]) -> Vec<Value> {
        frames
            .iter()
            .map(|f| {
                let data = f.lines().nth(1).expect("data line");
                serde_json::from_str(data.trim_start_matches("data: ")).expect("json")
            })
            .collect()
    }

    #[test]
    fn text_stream_reassembles_and_ends_the_turn() {
        let text = "Hello from the mock! This is a longer reply, with ünïcode, split in pieces.";
        let answer = Answer {
            text: Some(text.into()),
            tool: None,
            usage: Usage::default(),
        };
        let evs = events(&answer.sse_frames("msg_1", "m"));
        let types: Vec<&str> = evs.iter().filter_map(|e| e["type"].as_str()).collect();
        assert_eq!(types.first(), Some(&"message_start"));
        assert_eq!(types.last(), Some(&"message_stop"));
        let joined: String = evs
            .iter()
            .filter_map(|e| e["delta"]["text"].as_str())
            .collect();
        assert_eq!(joined, text);
        assert!(
            types
                .iter()
                .filter(|t| **t == "content_block_delta")
                .count()
                > 1
        );
        let delta = evs
            .iter()
            .find(|e| e["type"] == "message_delta")
            .expect("delta");
        assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    }

    #[test]
    fn tool_stream_carries_the_input_as_json_deltas() {
        let input = json!({"command": "touch marker.txt && ls -la /tmp/some/long/path"});
        let answer = Answer {
            text: Some("Running it.".into()),
            tool: Some((
                "toolu_1".into(),
                ToolCall {
                    name: "Bash".into(),
                    input: input.clone(),
                },
            )),
            usage: Usage::default(),
        };
        let evs = events(&answer.sse_frames("msg_1", "m"));
        let start = evs
            .iter()
            .find(|e| e["content_block"]["type"] == "tool_use")
            .expect("tool block");
        assert_eq!(start["index"], 1);
        assert_eq!(start["content_block"]["name"], "Bash");
        let partial: String = evs
            .iter()
            .filter_map(|e| e["delta"]["partial_json"].as_str())
            .collect();
        assert_eq!(
            serde_json::from_str::<Value>(&partial).expect("json"),
            input
        );
        let delta = evs
            .iter()
            .find(|e| e["type"] == "message_delta")
            .expect("delta");
        assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    }

    #[test]
    fn error_bodies_use_the_api_error_types() {
        assert_eq!(error_body(529, None)["error"]["type"], "overloaded_error");
        assert_eq!(
            error_body(401, None)["error"]["type"],
            "authentication_error"
        );
        assert_eq!(error_body(500, Some("boom"))["error"]["message"], "boom");
    }
}
