//! Turns the two mocks' request records (and the benchmark's own screen log) into one
//! record per step boundary: when step N's turn finished, what happened until step N+1's
//! prompt reached the model API, and which supervising-LLM calls fell in between.

use std::time::{Duration, Instant};

use autocode::screen::State;
use autocode::testkit::RecordedRequest;
use autocode::testkit::RequestKind;
use autocode::testkit::mock_llm::RecordedRequest as LlmRequest;

use crate::marks::{Mark, Marks};
use crate::screen_log::ScreenLog;

/// One step boundary: step `step`'s turn finished, step `step + 1` was sent.
pub struct Gap {
    /// The mock API handed over the whole reply of step `step`'s last model request.
    pub finished: Instant,
    /// The screen first showed the CLI idle again (benchmark's own classifier, no settle).
    pub idle_drawn: Option<Instant>,
    /// The first supervising-LLM request after `finished` reached the mock LLM.
    pub llm_received: Option<Instant>,
    /// The mock LLM handed over its answer to the last call before `sent`.
    pub llm_answered: Option<Instant>,
    /// The screen first showed text in the input box (the prompt being typed).
    pub typed: Option<Instant>,
    /// The request carrying step `step + 1`'s prompt reached the mock API.
    pub sent: Instant,
    /// The CLI's `Stop` hook reached the controller.
    pub stop_hook: Option<Instant>,
    /// The controller pressed Enter on step `step + 1`'s typed prompt.
    pub enter: Option<Instant>,
}

/// The instant the prompt of step `n` (1-based) first reached the model API.
pub fn prompt_sent(requests: &[RecordedRequest], n: usize, after: Instant) -> Option<Instant> {
    let needle = format!("step {n} only:");
    requests
        .iter()
        .find(|r| r.received_at >= after && r.is_prompt() && r.last_user_text.contains(&needle))
        .map(|r| r.received_at)
}

/// The boundaries between steps 1..=steps of a project started at `start`.
pub fn gaps(
    requests: &[RecordedRequest],
    llm: &[LlmRequest],
    screen: &ScreenLog,
    marks: &Marks,
    steps: usize,
    start: Instant,
) -> Vec<Gap> {
    let mut out = Vec::new();
    for step in 1..steps {
        let (Some(this), Some(sent)) = (
            prompt_sent(requests, step, start),
            prompt_sent(requests, step + 1, start),
        ) else {
            continue;
        };
        // The turn's last model request before the next prompt is the one that ended it.
        let Some(finished) = requests
            .iter()
            .filter(|r| r.kind == RequestKind::AgentLoop)
            .filter(|r| r.received_at >= this && r.received_at < sent)
            .filter_map(|r| r.answered_at)
            .filter(|at| *at < sent)
            .max()
        else {
            continue;
        };
        let between: Vec<&LlmRequest> = llm
            .iter()
            .filter(|r| r.received_at >= finished && r.received_at < sent)
            .collect();
        let llm_received = between.first().map(|r| r.received_at);
        let llm_answered = between.last().and_then(|r| r.answered_at);
        // A state the screen log did not catch in its place (drawn and gone between two
        // frames) would be found at the next boundary: such a sample is dropped, not
        // counted at the wrong length.
        let before = |limit: Option<Instant>| move |at: &Instant| limit.is_none_or(|l| *at <= l);
        out.push(Gap {
            finished,
            idle_drawn: screen
                .first(finished, &[State::Idle, State::IdleWithInput])
                .filter(before(llm_received)),
            llm_received,
            llm_answered,
            typed: llm_answered
                .and_then(|at| screen.first(at, &[State::IdleWithInput]))
                .filter(before(Some(sent))),
            sent,
            stop_hook: marks.first(Mark::StopHook, finished, sent),
            enter: llm_answered.and_then(|at| marks.first(Mark::Enter, at, sent)),
        });
    }
    out
}

/// `later - earlier`, when both are known and in that order.
pub fn span(earlier: Option<Instant>, later: Option<Instant>) -> Option<Duration> {
    later?.checked_duration_since(earlier?)
}

/// For each step, from its prompt reaching the model API to its turn's last reply handed
/// over: the time the CLI was working.
pub fn working_spans(
    requests: &[RecordedRequest],
    steps: usize,
    start: Instant,
) -> Vec<(Instant, Instant)> {
    (1..=steps)
        .filter_map(|step| {
            let sent = prompt_sent(requests, step, start)?;
            let next = prompt_sent(requests, step + 1, start);
            let finished = requests
                .iter()
                .filter(|r| r.kind == RequestKind::AgentLoop && r.received_at >= sent)
                .filter(|r| next.is_none_or(|n| r.received_at < n))
                .filter_map(|r| r.answered_at)
                .max()?;
            Some((sent, finished))
        })
        .collect()
}
