//! The rows of the edge-case table about stalls: said once as a structured signal, and over
//! once the project moved on, never on the interrupt's own redraw.

use std::time::Duration;

use super::rows::Row;
use super::*;
use crate::controller::decide::{Action, Source};
use crate::screen::State;

/// Working, then silent for the stall time; `then` follows.
fn stalled_then(then: Vec<Feed>) -> Vec<Feed> {
    let mut f = vec![now(screen(State::Working)), at(STALL, Input::Tick)];
    f.extend(then);
    f
}

/// A stall the supervisor answered with `action`.
fn stall_decided(action: Action) -> Vec<Feed> {
    stalled_then(vec![now(decided(vec![action], Source::Llm))])
}

/// A stall the supervisor answered with "Please go on", which Claude took; `then` follows.
fn told_to_go_on<const N: usize>(then: [Feed; N]) -> Vec<Feed> {
    let mut f = stall_decided(Action::SendMessage {
        text: "Please go on".into(),
    });
    f.push(confirmed());
    f.extend(then);
    f
}

fn wait_decided() -> Feed {
    now(decided(vec![Action::Wait { seconds: 60 }], Source::Llm))
}

fn confirmed() -> Feed {
    now(Input::Delivered(Delivery::Confirmed))
}

fn position(e: &[Effect], want: impl Fn(&Effect) -> bool) -> Option<usize> {
    e.iter().position(want)
}

fn over_before(e: &[Effect], next: impl Fn(&Effect) -> bool) -> bool {
    matches!(
        (position(e, |x| *x == Effect::StallOver), position(e, next)),
        (Some(a), Some(b)) if a < b
    )
}

pub(super) fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "stall: said once as a stall, before the interrupt",
            just_sent: false,
            feeds: || stalled_then(vec![]),
            check: |m, e| {
                let said = position(e, |x| *x == Effect::Stalled { secs: 300 });
                let interrupted = position(e, |x| *x == Effect::Interrupt);
                m.stalled
                    && matches!((said, interrupted), (Some(a), Some(b)) if a < b)
                    && e.iter()
                        .filter(|x| matches!(x, Effect::Stalled { .. }))
                        .count()
                        == 1
            },
        },
        Row {
            name: "stall: the interrupt's redraw and a wait do not end it",
            just_sent: false,
            feeds: || {
                stalled_then(vec![
                    wait_decided(),
                    now(screen(State::Working)),
                    now(screen(State::Idle)),
                    at(Duration::from_secs(30), Input::Tick),
                ])
            },
            check: |m, e| m.stalled && !e.contains(&Effect::StallOver),
        },
        Row {
            name: "stall: over once Claude takes the supervisor's message",
            just_sent: false,
            feeds: || told_to_go_on([]),
            check: |m, e| !m.stalled && e.contains(&Effect::StallOver),
        },
        Row {
            name: "stall: over once Claude takes the owner's message",
            just_sent: false,
            feeds: || {
                stalled_then(vec![
                    wait_decided(),
                    now(screen(State::Idle)),
                    now(owner_says("Skip the slow test")),
                    confirmed(),
                ])
            },
            check: |_, e| {
                e.contains(&Effect::StallOver) && logged(e, "Sent alice's message to Claude")
            },
        },
        Row {
            name: "stall: still on while the owner's message waits to be taken",
            just_sent: false,
            feeds: || {
                stalled_then(vec![
                    wait_decided(),
                    now(screen(State::Idle)),
                    now(owner_says("Skip the slow test")),
                ])
            },
            check: |m, e| m.stalled && delivered(e) == vec![text("Skip the slow test")],
        },
        Row {
            name: "stall: a message typed at the terminal ends it",
            just_sent: false,
            feeds: || stalled_then(vec![wait_decided(), now(hook(Hook::PromptSubmitted))]),
            check: |m, e| !m.stalled && e == [Effect::StallOver],
        },
        Row {
            name: "stall: the end of the turn ends it",
            just_sent: true,
            feeds: || {
                let mut f = vec![now(hook(Hook::PromptSubmitted))];
                f.extend(stalled_then(vec![now(hook(Hook::Stop { reply: None }))]));
                f
            },
            check: |_, e| e.contains(&Effect::StallOver) && e.contains(&Effect::TrustIdle),
        },
        Row {
            name: "stall: over before the step is done",
            just_sent: false,
            feeds: || {
                stall_decided(Action::MarkStepDone {
                    summary: "it was done".into(),
                })
            },
            check: |_, e| over_before(e, |x| matches!(x, Effect::StepDone { .. })),
        },
        Row {
            name: "stall: over before the step fails",
            just_sent: false,
            feeds: || {
                stall_decided(Action::MarkStepFailed {
                    reason: "it hangs".into(),
                })
            },
            check: |_, e| over_before(e, |x| matches!(x, Effect::StepFailed { .. })),
        },
        Row {
            name: "stall: over once the CLI was restarted",
            just_sent: false,
            feeds: || {
                stalled_then(vec![
                    now(decided(vec![Action::RestartCli], Source::Llm)),
                    now(Input::Restarted),
                ])
            },
            check: |m, e| !m.stalled && e == [Effect::StallOver],
        },
        Row {
            name: "stall: a question for the owner takes its place",
            just_sent: false,
            feeds: || {
                stall_decided(Action::AskHuman {
                    question: "Is the build meant to take this long?".into(),
                })
            },
            check: |_, e| over_before(e, |x| matches!(x, Effect::AskHuman { .. })),
        },
        Row {
            name: "stall: over is said once",
            just_sent: false,
            feeds: || {
                told_to_go_on([
                    now(screen(State::Idle)),
                    now(owner_says("And then the docs")),
                    confirmed(),
                ])
            },
            check: |_, e| {
                logged(e, "Sent alice's message to Claude") && !e.contains(&Effect::StallOver)
            },
        },
        Row {
            name: "stall: a step without a stall says nothing of one",
            just_sent: true,
            feeds: || {
                let mut f = finished_turn();
                f.push(now(decided(
                    vec![Action::MarkStepDone {
                        summary: "done".into(),
                    }],
                    Source::Llm,
                )));
                f
            },
            check: |_, e| {
                e.contains(&Effect::StepDone {
                    summary: "done".into(),
                }) && !e.contains(&Effect::StallOver)
            },
        },
    ]
}
