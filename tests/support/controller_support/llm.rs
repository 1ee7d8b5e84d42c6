//! The scripted supervising LLM's side of controller tests: what a request asked, and
//! replies that agree with everything unless a test says otherwise.

use std::sync::Arc;

use autocode::testkit::mock_llm::MockReply;
use serde_json::{Value, json};

pub type LlmHandler = Arc<dyn Fn(&Value) -> MockReply + Send + Sync>;

/// The text of the last `user` message of a chat request (where the decision context is).
pub fn last_user_text(request: &Value) -> String {
    request["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_owned()
}

pub fn offers(request: &Value, tool: &str) -> bool {
    request["tools"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["function"]["name"] == tool))
}

/// A supervisor that approves every menu with option 1 and calls every finished turn done.
pub fn agreeable(request: &Value) -> MockReply {
    let text = last_user_text(request);
    if text.contains("Event: permission") || text.contains("Event: question") {
        MockReply::tool("answer_prompt", json!({"option": 1}))
    } else {
        MockReply::tool(
            "mark_step_done",
            json!({"summary": "the transcript shows the step is complete"}),
        )
    }
    .with_usage(1200, 40)
}

/// A supervisor that answers as `f` says where it says anything, and agrees otherwise.
pub fn llm_with(
    f: impl Fn(&serde_json::Value, &str) -> Option<MockReply> + Send + Sync + 'static,
) -> LlmHandler {
    Arc::new(move |req: &serde_json::Value| {
        let text = last_user_text(req);
        f(req, &text).unwrap_or_else(|| agreeable(req))
    })
}
