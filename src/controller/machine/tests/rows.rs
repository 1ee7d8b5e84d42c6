//! The rows of the edge-case table: a name, the inputs, and what the last one must do.

use std::time::Duration;

use super::*;
use crate::controller::decide::{Action, Event, Source};
use crate::db::projects::ProjectStatus;
use crate::profile::MenuAction;
use crate::screen::{ErrorKind, State};

pub(super) type Check = fn(&Machine, &[Effect]) -> bool;

pub(super) struct Row {
    pub name: &'static str,
    pub just_sent: bool,
    pub feeds: fn() -> Vec<Feed>,
    pub check: Check,
}

pub(super) fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "a turn ended by the Stop hook is judged at once",
            just_sent: true,
            feeds: finished_turn,
            check: |_, e| consulted(e, "turn_finished"),
        },
        Row {
            name: "the reply the Stop hook brings goes to the supervising LLM",
            just_sent: true,
            feeds: || {
                vec![
                    now(hook(Hook::PromptSubmitted)),
                    now(screen(State::Working)),
                    now(hook(Hook::Stop {
                        reply: Some("The page exists.".into()),
                    })),
                    now(idle_with_output()),
                ]
            },
            check: |_, e| {
                e.iter().any(|e| {
                    matches!(e, Effect::Consult { event: Event::TurnFinished, reply: Some(r), .. } if r == "The page exists.")
                })
            },
        },
        Row {
            name: "the Stop hook for our message lets the idle screen through unsettled",
            just_sent: true,
            feeds: || {
                vec![
                    now(hook(Hook::PromptSubmitted)),
                    now(screen(State::Working)),
                    now(hook(Hook::Stop { reply: None })),
                ]
            },
            check: |_, e| e == [Effect::TrustIdle],
        },
        Row {
            name: "an idle frame before any work is not the end of the turn",
            just_sent: true,
            feeds: || vec![now(screen(State::Idle))],
            check: |_, e| !consulted(e, "turn_finished") && e.is_empty(),
        },
        Row {
            name: "a quiet turn counts once its grace passed",
            just_sent: true,
            feeds: || vec![now(screen(State::Idle)), at(GRACE, Input::Tick)],
            check: |_, e| consulted(e, "turn_finished"),
        },
        Row {
            name: "a late Stop from the turn before does not end this one",
            just_sent: true,
            feeds: || vec![now(hook(Hook::Stop { reply: None }))],
            check: |_, e| e.is_empty(),
        },
        Row {
            name: "mark_step_done ends the step",
            just_sent: true,
            feeds: || {
                let mut f = finished_turn();
                f.push(now(decided(
                    vec![Action::MarkStepDone {
                        summary: "the page exists".into(),
                    }],
                    Source::Llm,
                )));
                f
            },
            check: |m, e| {
                m.finished()
                    && e.contains(&Effect::StepDone {
                        summary: "the page exists".into(),
                    })
                    && logged(e, "Step 2 done: the page exists")
            },
        },
        Row {
            name: "crash: the CLI is restarted and the step sent again",
            just_sent: false,
            feeds: || vec![now(screen(State::Exited))],
            check: |_, e| {
                matches!(e.first(), Some(Effect::RestartCli { .. }))
                    && delivered(e) == vec![Message::StepPrompt]
            },
        },
        Row {
            name: "stall: interrupted once, then the LLM is asked",
            just_sent: false,
            feeds: || vec![now(screen(State::Working)), at(STALL, Input::Tick)],
            check: |_, e| {
                e.contains(&Effect::Interrupt)
                    && consulted(e, "stall")
                    && logged(e, "No output for 300 s")
            },
        },
        Row {
            name: "stall: a second tick on the same silence interrupts no more",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen(State::Working)),
                    at(STALL, Input::Tick),
                    now(decided(vec![], Source::Llm)),
                    at(Duration::from_secs(1), Input::Tick),
                ]
            },
            check: |_, e| !e.contains(&Effect::Interrupt),
        },
        Row {
            name: "repeated API error: retried with backoff",
            just_sent: false,
            feeds: || {
                vec![now(screen_with(State::ApiError, |s| {
                    s.error = Some((ErrorKind::Overloaded, "529".into()))
                }))]
            },
            check: |_, e| {
                logged(e, "(overloaded)") && logged(e, "Retrying in 5 s (attempt 1 of 2)")
            },
        },
        Row {
            name: "repeated API error: after the backoff Claude is asked to continue",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen_with(State::ApiError, |s| {
                        s.error = Some((ErrorKind::Overloaded, "529".into()))
                    })),
                    at(Duration::from_secs(5), Input::Tick),
                ]
            },
            check: |_, e| delivered(e) == vec![text("Please continue with the current step.")],
        },
        Row {
            name: "repeated API error: past the retries the owner is asked",
            just_sent: false,
            feeds: || {
                let err = || {
                    screen_with(State::ApiError, |s| {
                        s.error = Some((ErrorKind::Server, "500".into()))
                    })
                };
                let mut f = Vec::new();
                for _ in 0..2 {
                    f.push(now(err()));
                    f.push(at(Duration::from_secs(60), Input::Tick));
                    f.push(now(Input::Delivered(Delivery::Confirmed)));
                }
                f.push(now(err()));
                f
            },
            check: |m, e| asked(e) && m.asking(),
        },
        Row {
            name: "question: the LLM sees its text and options and answers it",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen_with(State::Question, |s| {
                        s.question = Some("Which database?".into());
                        s.options = vec!["SQLite".into(), "Postgres".into()];
                    })),
                    now(decided(
                        vec![Action::AnswerPrompt { option: 2 }],
                        Source::Llm,
                    )),
                ]
            },
            check: |_, e| e.contains(&Effect::Choose(2)) && logged(e, "Chose option 2"),
        },
        Row {
            name: "a key the LLM chose is pressed and logged as a person names it",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen_with(State::Question, |s| {
                        s.question = Some("Continue?".into());
                    })),
                    now(decided(
                        vec![Action::PressKey {
                            key: crate::controller::decide::Key::CtrlC,
                        }],
                        Source::Llm,
                    )),
                ]
            },
            check: |_, e| {
                e.contains(&Effect::Press(crate::controller::decide::Key::CtrlC))
                    && logged(e, "Pressed Ctrl-C")
            },
        },
        Row {
            name: "permission allowed by the policy is approved",
            just_sent: false,
            feeds: || {
                vec![now(screen_with(State::Permission, |s| {
                    s.permission = Some(tool("Bash", "npm test"))
                }))]
            },
            check: |_, e| {
                e.contains(&Effect::AnswerMenu(MenuAction::Approve))
                    && logged(e, "Approved Bash `npm test` (your policy allows it)")
            },
        },
        Row {
            name: "permission judged on the hook's full command, not the cut screen line",
            just_sent: false,
            feeds: || {
                let long = format!("echo {} && rm -rf ../victim", "x".repeat(300));
                vec![
                    now(hook(Hook::ToolRequest(tool("Bash", &long)))),
                    now(screen_with(State::Permission, |s| {
                        s.permission = Some(tool("Bash", &format!("echo {}…", "x".repeat(100))));
                        s.cut_short = true;
                    })),
                ]
            },
            check: |_, e| {
                e.contains(&Effect::AnswerMenu(MenuAction::Deny))
                    && delivered(e).len() == 1
                    && logged(e, "it deletes files")
            },
        },
        Row {
            name: "a cut-short screen line with no hook input is never approved, the owner is asked",
            just_sent: false,
            feeds: || {
                vec![now(screen_with(State::Permission, |s| {
                    s.permission = Some(tool("Bash", &format!("npm test && echo {}\u{2026}", "x".repeat(90))));
                    s.cut_short = true;
                }))]
            },
            check: |_, e| {
                !e.iter().any(|e| matches!(e, Effect::AnswerMenu(_)))
                    && e.iter().any(|e| matches!(e, Effect::AskHuman { .. }))
            },
        },
        Row {
            name: "permission the policy leaves to the LLM is consulted with the subject",
            just_sent: false,
            feeds: || {
                vec![now(screen_with(State::Permission, |s| {
                    s.permission = Some(tool("Bash", "make"))
                }))]
            },
            check: |_, e| {
                e.iter().any(|e| {
                    matches!(e, Effect::Consult { event: Event::Permission { subject, .. }, .. } if subject == "make")
                })
            },
        },
        Row {
            name: "permission for the owner: their yes approves it",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen_with(State::Permission, |s| {
                        s.permission = Some(tool("Bash", "curl example.com"))
                    })),
                    now(owner_says("yes")),
                ]
            },
            check: |_, e| {
                e.contains(&Effect::AnswerMenu(MenuAction::Approve))
                    && e.contains(&Effect::SetStatus(ProjectStatus::Running))
            },
        },
        Row {
            name: "compaction: a state summary is sent instead of judging the turn",
            just_sent: false,
            feeds: || vec![now(screen(State::Compacting)), now(idle_with_output())],
            check: |_, e| {
                delivered(e) == vec![Message::StateSummary] && !consulted(e, "turn_finished")
            },
        },
        Row {
            name: "auth error: the owner is asked; their reply restarts the CLI",
            just_sent: false,
            feeds: || {
                vec![
                    now(screen_with(State::ApiError, |s| {
                        s.error = Some((ErrorKind::Auth, "401".into()))
                    })),
                    now(owner_says("fixed")),
                ]
            },
            check: |_, e| {
                e.iter().any(|e| matches!(e, Effect::RestartCli { .. }))
                    && delivered(e) == vec![text("Please continue with the current step.")]
            },
        },
        Row {
            name: "context full: /compact is sent",
            just_sent: false,
            feeds: || {
                vec![now(screen_with(State::ApiError, |s| {
                    s.error = Some((ErrorKind::PromptTooLong, "too long".into()))
                }))]
            },
            check: |_, e| delivered(e) == vec![text("/compact")],
        },
        Row {
            name: "LLM down or garbage: the rules' decision counts toward escalation",
            just_sent: false,
            feeds: || {
                vec![
                    now(idle_with_output()),
                    now(decided(vec![], Source::Fallback)),
                    at(GRACE, Input::Tick),
                ]
            },
            check: |_, e| {
                e.iter().any(|e| {
                    matches!(
                        e,
                        Effect::Consult {
                            prior_fallbacks: 1,
                            ..
                        }
                    )
                })
            },
        },
    ]
    .into_iter()
    .chain(super::owner_rows::rows())
    .chain(super::hook_rows::rows())
    .chain(super::stall_rows::rows())
    .collect()
}
