//! The rows of the edge-case table about permissions the CLI asks through its hook and
//! waits on: answered there when the policy settles them, left to the menu otherwise.

use super::super::hook::HOOK_MENU_GRACE as GRACE_AFTER_HOOK;
use super::rows::Row;
use super::*;
use crate::hooks::PermissionAnswer;
use crate::profile::MenuAction;
use crate::screen::State;

fn asked(subject: &str) -> Input {
    hook(Hook::PermissionAsked(tool("Bash", subject)))
}

/// A permission menu; a subject ending in `…` is one the profile flags as cut short.
fn menu(subject: &str) -> Input {
    screen_with(State::Permission, |s| {
        s.permission = Some(tool("Bash", subject));
        s.cut_short = subject.ends_with('\u{2026}');
    })
}

fn answered(taken: bool) -> Input {
    Input::HookAnswered { taken }
}

/// Allowed through the hook, then the CLI draws a menu anyway.
fn menu_after_answer() -> Vec<Feed> {
    vec![
        now(asked("npm test")),
        now(answered(true)),
        now(menu("npm test")),
    ]
}

pub(super) fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "hook: a permission the policy allows is answered before any menu",
            just_sent: false,
            feeds: || vec![now(asked("npm test"))],
            check: |_, e| e == [Effect::AnswerHook(PermissionAnswer::Allow)],
        },
        Row {
            name: "hook: the answer taken, the log says it was approved without a menu",
            just_sent: false,
            feeds: || vec![now(asked("npm test")), now(answered(true))],
            check: |_, e| {
                logged(
                    e,
                    "Approved Bash `npm test` before Claude Code asked (your policy allows it)",
                )
            },
        },
        Row {
            name: "hook: a permission the policy denies is refused with the reason for Claude",
            just_sent: false,
            feeds: || vec![now(asked("rm -rf ../victim"))],
            check: |_, e| matches!(e, [Effect::AnswerHook(PermissionAnswer::Deny(why))] if why.contains("it deletes files")),
        },
        Row {
            name: "hook: a refusal taken is logged, and nothing else is typed",
            just_sent: false,
            feeds: || vec![now(asked("rm -rf ../victim")), now(answered(true))],
            check: |_, e| {
                logged(e, "Denied Bash `rm -rf ../victim`: it deletes files")
                    && delivered(e).is_empty()
            },
        },
        Row {
            name: "hook: a permission left to the owner gets no answer, the menu still asks",
            just_sent: false,
            feeds: || vec![now(asked("curl example.org")), now(menu("curl exa…"))],
            check: |_, e| {
                asked_about(e, "Bash `curl example.org`")
                    && !e.iter().any(|e| matches!(e, Effect::AnswerHook(_)))
            },
        },
        Row {
            name: "hook: an earlier call's input does not stand in for the menu on screen",
            just_sent: false,
            feeds: || {
                vec![
                    now(hook(Hook::ToolRequest(tool("Bash", "npm test")))),
                    now(menu("curl example.org")),
                ]
            },
            check: |_, e| {
                asked_about(e, "Bash `curl example.org`")
                    && !e.iter().any(|e| matches!(e, Effect::AnswerMenu(_)))
            },
        },
        Row {
            name: "hook: input without a subject does not hide the command the screen shows",
            just_sent: false,
            feeds: || {
                vec![
                    now(hook(Hook::PermissionAsked(tool("Bash", "")))),
                    now(menu("rm -rf ../victim")),
                ]
            },
            check: |_, e| {
                e.contains(&Effect::AnswerMenu(MenuAction::Deny)) && logged(e, "it deletes files")
            },
        },
        Row {
            name: "hook: a menu drawn right after the hook's answer is not answered again",
            just_sent: false,
            feeds: menu_after_answer,
            check: |_, e| e.is_empty(),
        },
        Row {
            name: "hook: a menu still there after the grace is answered from the screen",
            just_sent: false,
            feeds: || {
                let mut f = menu_after_answer();
                f.push(at(GRACE_AFTER_HOOK, Input::Tick));
                f
            },
            check: |_, e| e.contains(&Effect::AnswerMenu(MenuAction::Approve)),
        },
        Row {
            name: "hook: an answer too late leaves the menu to the screen at once",
            just_sent: false,
            feeds: || {
                vec![
                    now(asked("npm test")),
                    now(answered(false)),
                    now(menu("npm t…")),
                ]
            },
            check: |_, e| e.contains(&Effect::AnswerMenu(MenuAction::Approve)),
        },
        Row {
            name: "hook: paused, no permission is answered",
            just_sent: false,
            feeds: || vec![now(Input::Owner(Owner::Pause)), now(asked("npm test"))],
            check: |_, e| e.is_empty(),
        },
    ]
}

/// The owner was asked about this tool and subject, in words that name it whole.
fn asked_about(effects: &[Effect], what: &str) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::AskHuman { question } if question.contains(what)))
}
