//! Judging a reply: every tool call read strictly, the reply rejected as a whole if any
//! call is wrong, and the correction sent back in the tool-call protocol.

use super::action::{self, Action};
use crate::llm::{ChatReply, Message, ToolSpec};

/// Most actions accepted from one reply; more is a confused model.
const MAX_ACTIONS: usize = 8;

/// Why a reply was rejected: one entry per tool call (`None`: that call was fine).
pub(super) struct Problems {
    pub per_call: Vec<Option<String>>,
    pub general: Option<String>,
    pub summary: String,
}

pub(super) fn validate(
    reply: &ChatReply,
    tools: &[ToolSpec],
    limits: &action::Limits,
) -> Result<Vec<Action>, Problems> {
    let results: Vec<Result<Action, String>> = reply
        .tool_calls
        .iter()
        .map(|c| action::parse_call(c, tools, limits))
        .collect();
    let actions: Vec<Action> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect();
    let general = if reply.tool_calls.is_empty() {
        Some("you must act by calling one or more of the tools".to_owned())
    } else if reply.tool_calls.len() > MAX_ACTIONS {
        Some(format!("at most {MAX_ACTIONS} tool calls per reply"))
    } else if actions
        .iter()
        .any(|a| matches!(a, Action::MarkStepDone { .. }))
        && actions
            .iter()
            .any(|a| matches!(a, Action::MarkStepFailed { .. }))
    {
        Some("a step cannot be both done and failed".to_owned())
    } else {
        None
    };
    if general.is_none() && results.iter().all(Result::is_ok) {
        return Ok(actions);
    }
    let per_call: Vec<Option<String>> = results.into_iter().map(Result::err).collect();
    let mut summary: Vec<String> = general.iter().cloned().collect();
    for (call, problem) in reply.tool_calls.iter().zip(&per_call) {
        if let Some(p) = problem {
            summary.push(format!("{}: {p}", call.name));
        }
    }
    Err(Problems {
        per_call,
        general,
        summary: summary.join("; "),
    })
}

/// Tells the model what was wrong, in the tool-call protocol: its reply, then a result for
/// every call it made (a call cannot be left unanswered).
pub(super) fn correction(messages: &mut Vec<Message>, reply: ChatReply, problems: Problems) {
    let calls = reply.tool_calls.clone();
    messages.push(Message::Assistant {
        content: reply.content,
        tool_calls: reply.tool_calls,
    });
    let general = problems.general.clone().unwrap_or_default();
    for (call, problem) in calls.iter().zip(&problems.per_call) {
        let content = match problem {
            Some(p) => format!("REJECTED: {p}. Nothing was executed; send the corrected calls."),
            None => format!(
                "NOT EXECUTED: {}. Nothing was executed; send all calls again, corrected.",
                if general.is_empty() {
                    "another call in this reply was rejected"
                } else {
                    general.as_str()
                }
            ),
        };
        messages.push(Message::Tool {
            call_id: call.id.clone(),
            content,
        });
    }
    if calls.is_empty() {
        messages.push(Message::User(format!(
            "Your reply was rejected: {}. Respond by calling the tools.",
            problems.summary
        )));
    }
}
