//! The decision agent: at a decision point, asks the supervising LLM what to do through
//! tool calls and returns validated [`Action`]s. It owns the retry policy for the LLM
//! (bounded tries and time), the one re-ask after an invalid reply, and the rule-based
//! fallback. It never panics and never hangs: every path ends in a [`Decision`].
//! It performs no action itself; the controller executes the decision.

mod action;
mod fallback;
mod plan;
mod prompt;

use std::time::{Duration, Instant};

use crate::db::projects::Step;
use crate::llm::{ChatModel, ChatReply, LlmError, Message, ToolSpec, Usage};

pub use action::{Action, Key, MAX_WAIT_SECS};
pub use fallback::{ESCALATE_AFTER, state_summary};
pub use plan::{PlanDraft, PlanError, draft_plan};
pub use prompt::{SCREEN_LINES, SYSTEM_PROMPT, fence};

/// Why a decision is needed.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Claude finished its turn and is idle at the prompt.
    TurnFinished,
    /// A permission menu: the tool, the command or path, and the menu's options in order.
    Permission {
        tool: String,
        subject: String,
        options: Vec<String>,
    },
    /// A question (an AskUserQuestion menu when `options` is not empty).
    Question { text: String, options: Vec<String> },
    /// An error from Claude's own model API.
    ApiError { kind: ApiErrorKind, message: String },
    /// Working without new output for this long.
    Stall { secs: u64 },
    /// Claude compacted its context.
    Compacted,
    /// The project's owner wrote a message.
    UserMessage { text: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    Auth,
    RateLimit,
    Overloaded,
    PromptTooLong,
    Other,
}

/// Everything the agent may consider. Screen text is untrusted and is fenced.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionContext {
    pub event: Event,
    pub plan: Vec<Step>,
    /// Index into `plan` of the step being worked on.
    pub current_step: Option<usize>,
    pub description: String,
    pub architecture: String,
    /// Global RULES.md and the project's CLAUDE.md.
    pub rules: String,
    /// MEMORY.md.
    pub memory: String,
    /// The terminal as captured; only the last [`SCREEN_LINES`] lines are sent.
    pub screen: String,
    /// The last few HISTORY.md lines.
    pub recent_decisions: Vec<String>,
    /// The agent template's `tools`.
    pub allowed_tools: Vec<String>,
    /// Fallback decisions in a row for this step so far (kept by the caller); the
    /// fallback escalates to the owner after [`ESCALATE_AFTER`].
    pub prior_fallbacks: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Llm,
    Fallback,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// To be executed in order.
    pub actions: Vec<Action>,
    pub reason: String,
    /// Summed over every LLM call made for this decision.
    pub usage: Usage,
    /// HTTP calls made, failed ones included.
    pub llm_calls: u32,
    pub source: Source,
}

/// Retry timing; tests shrink it.
#[derive(Debug, Clone)]
pub struct DecideConfig {
    /// Tries per LLM request for transient failures (timeouts, 429, 5xx, network).
    pub tries: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Bound on one request's tries and backoffs together.
    pub budget: Duration,
    /// First wait of the rule-based fallback while the LLM is down (doubles per repeat).
    pub fallback_wait_secs: u64,
}

impl Default for DecideConfig {
    fn default() -> Self {
        Self {
            tries: 3,
            first_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(10),
            budget: Duration::from_secs(60),
            fallback_wait_secs: fallback::FIRST_WAIT_SECS,
        }
    }
}

/// Most actions accepted from one reply; more is a confused model.
const MAX_ACTIONS: usize = 8;

/// The rule-based decision, for when there is no supervising LLM to ask at all.
pub fn decide_without_llm(cfg: &DecideConfig, ctx: &DecisionContext, why: &str) -> Decision {
    let (actions, reason) = fallback::decide_with_wait(ctx, why, cfg.fallback_wait_secs);
    Decision {
        actions,
        reason,
        usage: Usage::default(),
        llm_calls: 0,
        source: Source::Fallback,
    }
}

/// Decides what to do at a decision point. Always returns a decision.
pub async fn decide<M: ChatModel>(
    model: &M,
    cfg: &DecideConfig,
    ctx: &DecisionContext,
) -> Decision {
    let limits = action::Limits {
        options: match &ctx.event {
            Event::Permission { options, .. } | Event::Question { options, .. } => options.len(),
            _ => 0,
        },
        plan_len: ctx.plan.len(),
        has_current_step: ctx.current_step.is_some_and(|i| i < ctx.plan.len()),
    };
    let tools = action::offered_tools(&ctx.allowed_tools, &limits);
    let mut usage = Usage::default();
    let mut calls = 0;
    let fail = |why: String, usage: Usage, calls: u32| {
        let (actions, reason) = fallback::decide_with_wait(ctx, &why, cfg.fallback_wait_secs);
        tracing::warn!(%reason, "decision fell back to rules");
        Decision {
            actions,
            reason,
            usage,
            llm_calls: calls,
            source: Source::Fallback,
        }
    };
    if tools.is_empty() {
        return fail(
            "no tool the agent may use fits this situation".into(),
            usage,
            calls,
        );
    }
    let mut messages = vec![
        Message::System(prompt::SYSTEM_PROMPT.to_owned()),
        Message::User(prompt::render(ctx)),
    ];
    for attempt in 0..2 {
        let reply = match request(model, cfg, &messages, &tools, &mut calls).await {
            Ok(reply) => reply,
            Err(e) => return fail(format!("unavailable: {e}"), usage, calls),
        };
        usage += reply.usage;
        match validate(&reply, &tools, &limits) {
            Ok(actions) => {
                let reason = reply
                    .content
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map_or_else(|| summarize(&actions), str::to_owned);
                let reason = if attempt == 0 {
                    reason
                } else {
                    format!("{reason} (after one correction)")
                };
                return Decision {
                    actions,
                    reason,
                    usage,
                    llm_calls: calls,
                    source: Source::Llm,
                };
            }
            Err(problems) if attempt == 0 => {
                tracing::info!(problems = %problems.summary, "re-asking the LLM after invalid tool calls");
                correction(&mut messages, reply, problems);
            }
            Err(problems) => {
                return fail(
                    format!("invalid tool calls twice: {}", problems.summary),
                    usage,
                    calls,
                );
            }
        }
    }
    fail("no valid reply".into(), usage, calls)
}

/// One request with bounded retries of transient failures.
async fn request<M: ChatModel>(
    model: &M,
    cfg: &DecideConfig,
    messages: &[Message],
    tools: &[ToolSpec],
    calls: &mut u32,
) -> Result<ChatReply, LlmError> {
    let deadline = Instant::now() + cfg.budget;
    let mut backoff = cfg.first_backoff;
    let mut tries = 0;
    loop {
        tries += 1;
        *calls += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let result = tokio::time::timeout(remaining, model.chat(messages, tools))
            .await
            .unwrap_or(Err(LlmError::Timeout));
        match result {
            Ok(reply) => return Ok(reply),
            Err(e) if e.is_retryable() && tries < cfg.tries => {
                if deadline.saturating_duration_since(Instant::now()) <= backoff {
                    return Err(e);
                }
                tracing::warn!(error = %e, try_ = tries, "LLM call failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(cfg.max_backoff);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Why a reply was rejected: one entry per tool call (`None`: that call was fine).
struct Problems {
    per_call: Vec<Option<String>>,
    general: Option<String>,
    summary: String,
}

fn validate(
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
fn correction(messages: &mut Vec<Message>, reply: ChatReply, problems: Problems) {
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

fn summarize(actions: &[Action]) -> String {
    let names: Vec<String> = actions
        .iter()
        .map(|a| {
            serde_json::to_value(a)
                .ok()
                .and_then(|v| v["tool"].as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    format!("LLM chose {}", names.join(", "))
}

#[cfg(test)]
mod tests;
