//! The rows of the edge-case table about the owner and the terminal: re-adoption,
//! take-over, pause, messages, waits and start-up dialogs.

use std::time::Duration;

use super::rows::Row;
use super::*;
use crate::controller::decide::{Action, Source};
use crate::db::projects::ProjectStatus;
use crate::profile::MenuAction;
use crate::screen::State;

pub(super) fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "re-adoption: an idle CLI with output is judged at once",
            just_sent: false,
            feeds: || vec![now(idle_with_output())],
            check: |_, e| consulted(e, "turn_finished"),
        },
        Row {
            name: "take-over: nothing is done while a person holds the terminal",
            just_sent: false,
            feeds: || vec![now(Input::Owner(Owner::TakeOver)), now(idle_with_output())],
            check: |_, e| e.is_empty(),
        },
        Row {
            name: "take-over: released, the controller looks again",
            just_sent: false,
            feeds: || {
                vec![
                    now(Input::Owner(Owner::TakeOver)),
                    now(idle_with_output()),
                    now(owner_says("hello")),
                    now(Input::Owner(Owner::Release)),
                ]
            },
            check: |_, e| logged(e, "released") && delivered(e) == vec![text("hello")],
        },
        Row {
            name: "pause: nothing is judged while paused; resume looks again",
            just_sent: false,
            feeds: || {
                vec![
                    now(Input::Owner(Owner::Pause)),
                    now(idle_with_output()),
                    now(Input::Owner(Owner::Resume)),
                ]
            },
            check: |_, e| {
                e.contains(&Effect::SetStatus(ProjectStatus::Running))
                    && consulted(e, "turn_finished")
            },
        },
        Row {
            name: "message mid-turn: held until the prompt, then delivered once",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen(State::Working)),
                    now(owner_says("/help me")),
                    now(screen(State::Working)),
                    now(idle_with_output()),
                ]
            },
            check: |_, e| delivered(e) == vec![text("/help me")] && !consulted(e, "turn_finished"),
        },
        Row {
            name: "message at idle while the LLM is consulted: delivered after the decision",
            just_sent: false,
            feeds: || {
                vec![
                    now(idle_with_output()),
                    now(owner_says("! ls")),
                    now(decided(vec![], Source::Llm)),
                ]
            },
            check: |_, e| delivered(e) == vec![text("! ls")],
        },
        Row {
            name: "unconfirmed delivery is tried again",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen(State::Idle)),
                    now(owner_says("two\nlines")),
                    now(Input::Delivered(Delivery::Unconfirmed("no echo".into()))),
                ]
            },
            check: |_, e| delivered(e) == vec![text("two\nlines")] && logged(e, "trying again"),
        },
        Row {
            name: "a delivery that never confirms is reported to the owner, never fatal",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen(State::Idle)),
                    now(owner_says("/help me")),
                    now(Input::Delivered(Delivery::Unconfirmed("no echo".into()))),
                    now(Input::Delivered(Delivery::Unconfirmed("no echo".into()))),
                ]
            },
            check: |m, e| {
                asked(e)
                    && logged(e, "Gave up delivering")
                    && !m.finished()
                    && !e.iter().any(|e| matches!(e, Effect::StepFailed { .. }))
            },
        },
        Row {
            name: "a wait action looks again when it is over",
            just_sent: false,
            feeds: || {
                vec![
                    now(idle_with_output()),
                    now(decided(vec![Action::Wait { seconds: 30 }], Source::Llm)),
                    at(Duration::from_secs(30), Input::Tick),
                ]
            },
            check: |_, e| consulted(e, "turn_finished"),
        },
        Row {
            name: "a message delivered during a wait ends it: its turn is judged when it ends",
            just_sent: false,
            feeds: || {
                let mut feeds = vec![
                    now(idle_with_output()),
                    now(decided(vec![Action::Wait { seconds: 600 }], Source::Llm)),
                    now(owner_says("use blue")),
                    now(Input::Delivered(Delivery::Confirmed)),
                ];
                feeds.extend(finished_turn());
                feeds
            },
            check: |_, e| consulted(e, "turn_finished"),
        },
        Row {
            name: "start-up dialog mid-step is answered",
            just_sent: false,
            feeds: || vec![now(screen(State::TrustDialog))],
            check: |_, e| {
                e == [Effect::AnswerDialog {
                    action: MenuAction::AcceptTrust,
                    default: 1,
                }]
            },
        },
        Row {
            name: "the same screen is acted on once",
            just_sent: false,
            feeds: || {
                let s = idle_with_output();
                vec![now(s.clone()), now(decided(vec![], Source::Llm)), now(s)]
            },
            check: |_, e| e.is_empty(),
        },
    ]
}
