//! The tools as the model sees them: which ones to offer at a decision point and their
//! JSON schemas. What the model sends back is read in `action`.

use serde_json::{Value, json};

use super::action::{KEY_NAMES, Limits, MAX_WAIT_SECS};
use crate::llm::ToolSpec;

/// The tools to offer: those the agent template allows and that make sense right now.
pub(super) fn offered_tools(allowed: &[String], limits: &Limits) -> Vec<ToolSpec> {
    crate::agent_config::TOOL_NAMES
        .iter()
        .filter(|name| allowed.iter().any(|a| a == *name))
        .filter(|name| match **name {
            "answer_prompt" => limits.options > 0,
            "mark_step_done" | "mark_step_failed" => limits.has_current_step,
            "update_step" => limits.plan_len > 0,
            _ => true,
        })
        .map(|name| spec(name))
        .collect()
}

fn spec(name: &str) -> ToolSpec {
    let text = |what: &str| json!({"type": "string", "description": what});
    let (description, properties, required): (&str, Value, &[&str]) = match name {
        "send_message" => (
            "Type a message to Claude Code and submit it (instructions, answers, fixes). \
             Of the slash commands only /compact, /clear, /context, /cost, /status and /help are allowed.",
            json!({"text": text("The message")}),
            &["text"],
        ),
        "answer_prompt" => (
            "Choose an option of the menu Claude Code shows (permission or question).",
            json!({"option": {"type": "integer", "minimum": 1, "description": "Option number as shown"}}),
            &["option"],
        ),
        "press_key" => (
            "Press one key in the terminal.",
            json!({"key": {"type": "string", "enum": KEY_NAMES}}),
            &["key"],
        ),
        "mark_step_done" => (
            "Mark the current step done. Only when the screen shows it is really done.",
            json!({"summary": text("What was done, and how you know")}),
            &["summary"],
        ),
        "mark_step_failed" => (
            "Give up on the current step after other approaches failed.",
            json!({"reason": text("Why it cannot be done")}),
            &["reason"],
        ),
        "add_step" => (
            "Add a step to the plan.",
            json!({"title": text("Short title"), "details": text("What to do"),
                   "after": {"type": "integer", "minimum": 0, "description": "Index of the step to insert after; omit to append"}}),
            &["title"],
        ),
        "update_step" => (
            "Change a step's title or details.",
            json!({"index": {"type": "integer", "minimum": 0}, "title": text("New title"), "details": text("New details")}),
            &["index"],
        ),
        "ask_human" => (
            "Ask the project's owner, when truly stuck or when a decision is theirs. Work stops until they answer.",
            json!({"question": text("A clear question with the context needed to answer it")}),
            &["question"],
        ),
        "restart_cli" => (
            "Restart Claude Code (continuing its session), when it is stuck or broken.",
            json!({}),
            &[],
        ),
        "remember" => (
            "Record a durable fact about this project in MEMORY.md.",
            json!({"fact": text("The fact")}),
            &["fact"],
        ),
        _ => (
            "Do nothing for a while, e.g. while waiting out a rate limit.",
            json!({"seconds": {"type": "integer", "minimum": 1, "maximum": MAX_WAIT_SECS}}),
            &["seconds"],
        ),
    };
    ToolSpec {
        name: name.to_owned(),
        description: description.to_owned(),
        parameters: json!({"type": "object", "properties": properties, "required": required,
                           "additionalProperties": false}),
    }
}
