//! Drafting a plan when a project starts without one: the LLM proposes ordered steps
//! through a single `set_plan` tool, with the same retries and one re-ask as decisions.
//! There is no rule-based fallback for this; the caller asks the owner instead.

use serde_json::{Value, json};

use super::{DecideConfig, Problems, correction, request};
use crate::db::projects::{Step, StepStatus};
use crate::llm::{ChatModel, ChatReply, LlmError, Message, ToolSpec, Usage};

const MAX_STEPS: usize = 40;
const MAX_TITLE: usize = 200;

const PLANNER_PROMPT: &str = "\
You plan software projects that Claude Code, an AI coding assistant, will carry out one \
step at a time. Split the project into ordered steps, each a coherent piece of work that \
can be checked when done (it builds, its tests pass). Prefer few, substantial steps over \
many tiny ones; the first step sets up the project. Call set_plan exactly once.";

#[derive(Debug, Clone, PartialEq)]
pub struct PlanDraft {
    pub steps: Vec<Step>,
    pub usage: Usage,
    pub llm_calls: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the LLM is unavailable: {0}")]
    Llm(#[from] LlmError),
    #[error("the LLM's plan was invalid twice: {0}")]
    Invalid(String),
}

/// Asks the LLM for the steps of a project described by `description`, `architecture`
/// and `rules` (global RULES.md and the project's CLAUDE.md).
pub async fn draft_plan<M: ChatModel>(
    model: &M,
    cfg: &DecideConfig,
    description: &str,
    architecture: &str,
    rules: &str,
) -> Result<PlanDraft, PlanError> {
    let tools = [set_plan_spec()];
    let mut context = format!("## Project\n{}\n\n", description.trim());
    for (title, body) in [("Architecture", architecture), ("Rules", rules)] {
        if !body.trim().is_empty() {
            context.push_str(&format!("## {title}\n{}\n\n", body.trim()));
        }
    }
    let mut messages = vec![
        Message::System(PLANNER_PROMPT.to_owned()),
        Message::User(context),
    ];
    let (mut usage, mut calls) = (Usage::default(), 0);
    for attempt in 0..2 {
        let reply = request(model, cfg, &messages, &tools, &mut calls).await?;
        usage += reply.usage;
        match read_plan(&reply) {
            Ok(steps) => {
                return Ok(PlanDraft {
                    steps,
                    usage,
                    llm_calls: calls,
                });
            }
            Err(problems) if attempt == 0 => correction(&mut messages, reply, problems),
            Err(problems) => return Err(PlanError::Invalid(problems.summary)),
        }
    }
    Err(PlanError::Invalid("no valid reply".into()))
}

fn set_plan_spec() -> ToolSpec {
    ToolSpec {
        name: "set_plan".into(),
        description: "Set the project's ordered plan.".into(),
        parameters: json!({
            "type": "object",
            "properties": {"steps": {"type": "array", "minItems": 1, "maxItems": MAX_STEPS,
                "items": {"type": "object", "required": ["title", "details"], "properties": {
                    "title": {"type": "string", "description": "Short imperative title"},
                    "details": {"type": "string", "description": "What to build and how to check it"}
                }}}},
            "required": ["steps"],
            "additionalProperties": false,
        }),
    }
}

fn read_plan(reply: &ChatReply) -> Result<Vec<Step>, Problems> {
    let results: Vec<Result<Vec<Step>, String>> = reply
        .tool_calls
        .iter()
        .map(|call| {
            if call.name != "set_plan" {
                return Err(format!(
                    "tool {:?} is not available; call set_plan",
                    call.name
                ));
            }
            let args: Value = serde_json::from_str(&call.arguments)
                .map_err(|e| format!("arguments are not valid JSON: {e}"))?;
            steps(&args)
        })
        .collect();
    let general = match reply.tool_calls.len() {
        0 => Some("call set_plan with the steps".to_owned()),
        1 => None,
        _ => Some("call set_plan exactly once".to_owned()),
    };
    if general.is_none()
        && let Some(Ok(steps)) = results.first()
    {
        return Ok(steps.clone());
    }
    let per_call: Vec<Option<String>> = results.into_iter().map(Result::err).collect();
    let summary = general
        .iter()
        .chain(per_call.iter().flatten())
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    Err(Problems {
        per_call,
        general,
        summary,
    })
}

fn steps(args: &Value) -> Result<Vec<Step>, String> {
    let list = args["steps"]
        .as_array()
        .ok_or("`steps` must be a list of {title, details}")?;
    if list.is_empty() || list.len() > MAX_STEPS {
        return Err(format!("give between 1 and {MAX_STEPS} steps"));
    }
    list.iter()
        .enumerate()
        .map(|(i, step)| {
            let title = step["title"].as_str().map(str::trim).unwrap_or_default();
            if title.is_empty() || title.chars().count() > MAX_TITLE {
                return Err(format!(
                    "step {i}: `title` must be a non-empty string of at most {MAX_TITLE} characters"
                ));
            }
            Ok(Step {
                title: title.to_owned(),
                details: step["details"]
                    .as_str()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                status: StepStatus::Pending,
            })
        })
        .collect()
}
