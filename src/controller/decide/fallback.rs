//! What to do when the supervising LLM cannot decide (down, slow, or answering garbage):
//! fixed rules that keep the project safe and moving. They never approve anything on
//! their own judgement and escalate to the owner when falling back keeps happening.
//! This is the controller's own safety net, so the agent template's `tools` list (which
//! limits the model) does not limit it.

use super::action::{Action, Key};
use super::{DecisionContext, Event};

/// Consecutive fallbacks for one step after which waiting more is pointless.
pub const ESCALATE_AFTER: u32 = 3;
/// Default first wait when the LLM is down.
pub const FIRST_WAIT_SECS: u64 = 30;

/// The actions and the reason for them; `why` says why the LLM could not decide.
#[cfg(test)]
pub fn decide(ctx: &DecisionContext, why: &str) -> (Vec<Action>, String) {
    decide_with_wait(ctx, why, FIRST_WAIT_SECS)
}

/// [`decide`] with the first backoff wait in seconds (doubling per repeated fallback).
pub fn decide_with_wait(
    ctx: &DecisionContext,
    why: &str,
    first_wait_secs: u64,
) -> (Vec<Action>, String) {
    let ask = |question: String| vec![Action::AskHuman { question }];
    let backoff = first_wait_secs
        .max(1)
        .saturating_mul(1 << ctx.prior_fallbacks.min(5))
        .min(super::action::MAX_WAIT_SECS);
    let (actions, rule) = match &ctx.event {
        Event::TurnFinished if ctx.prior_fallbacks + 1 >= ESCALATE_AFTER => (
            ask(format!(
                "The supervising LLM has failed {} times in a row ({why}), so I cannot judge \
                 whether the step is done. Please check the LLM settings, or tell me how to continue.",
                ctx.prior_fallbacks + 1
            )),
            "turn finished, fallbacks repeated: escalate",
        ),
        Event::TurnFinished => (
            vec![Action::Wait { seconds: backoff }],
            "turn finished: wait for the LLM to recover",
        ),
        Event::Permission { tool, subject, .. } => (
            ask(format!(
                "Claude Code asks permission to use {tool} on: {subject}\nThe supervising LLM \
                 is unavailable ({why}), so this needs your decision."
            )),
            "permission: never approve without judgement",
        ),
        Event::Question { text, options } => {
            let mut question = format!("Claude Code asks: {text}");
            for (i, o) in options.iter().enumerate() {
                question.push_str(&format!("\n{}. {o}", i + 1));
            }
            question.push_str(&format!("\n(The supervising LLM is unavailable: {why}.)"));
            (ask(question), "question: ask the owner")
        }
        Event::Stall { secs } => (
            vec![
                Action::PressKey { key: Key::Escape },
                Action::SendMessage {
                    text: format!(
                        "There has been no output for {secs} seconds, so I interrupted you. \
                         What happened? Say briefly where you are, then continue with the current step."
                    ),
                },
            ],
            "stall: interrupt and ask",
        ),
    };
    (actions, format!("fallback ({rule}); LLM: {why}"))
}
