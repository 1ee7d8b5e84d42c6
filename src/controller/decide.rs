//! The decision agent: at a decision point, asks the supervising LLM what to do through
//! tool calls and returns validated [`Action`]s. It owns the retry policy for the LLM
//! (bounded tries and time), the one re-ask after an invalid reply, and the rule-based
//! fallback. It never panics and never hangs: every path ends in a [`Decision`].
//! It performs no action itself; the controller executes the decision.

mod action;
mod describe;
mod fallback;
mod plan;
mod prompt;
mod tools;
mod validate;

use std::time::{Duration, Instant};

use crate::db::projects::Step;
use crate::llm::{ChatModel, ChatReply, LlmError, Message, ToolSpec, Usage};
use validate::{Problems, correction, validate};

pub use action::{Action, Key, MAX_WAIT_SECS};
pub use fallback::ESCALATE_AFTER;
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
    /// Working without new output for this long.
    Stall { secs: u64 },
}

impl Event {
    /// A short name for logs: `turn_finished`, `permission`...
    pub fn kind(&self) -> &'static str {
        match self {
            Event::TurnFinished => "turn_finished",
            Event::Permission { .. } => "permission",
            Event::Question { .. } => "question",
            Event::Stall { .. } => "stall",
        }
    }
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
    /// Claude's last reply when its turn finished: from the CLI's transcript where it has
    /// one, else as the screen shows it. Untrusted, like the screen.
    pub last_reply: Option<String>,
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
    let tools = tools::offered_tools(&ctx.allowed_tools, &limits);
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
                    // Without words of its own the actions say it all (the log and
                    // HISTORY.md show them beside the reason).
                    .map_or_else(String::new, str::to_owned);
                let reason = match (attempt, reason.is_empty()) {
                    (0, _) => reason,
                    (_, true) => "after one correction".to_owned(),
                    (_, false) => format!("{reason} (after one correction)"),
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

#[cfg(test)]
mod tests;
