//! The edge-case table: each row feeds synthetic inputs and checks the effects of the
//! last one. No tmux, no clock: time is whatever the row says.

use std::time::Duration;

use tokio::time::Instant;

mod hook_rows;
mod owner_rows;
mod rows;
mod stall_rows;

use super::*;
use crate::controller::decide::{Action, Decision, Source};
use crate::llm::Usage;
use crate::screen::State;
use rows::rows;

pub(super) const GRACE: Duration = Duration::from_secs(10);
pub(super) const STALL: Duration = Duration::from_secs(300);

pub(super) fn config() -> Config {
    Config {
        stall_after: STALL,
        quiet_turn_grace: GRACE,
        api_error_backoff: Duration::from_secs(5),
        max_retries: 2,
        delivery_tries: 2,
    }
}

/// The test policy: `rm` anywhere in a command is denied, `npm test` allowed, `curl`
/// goes to the owner, anything else to the LLM.
pub(super) fn judge() -> Judge {
    Box::new(|r: &ToolRequest| {
        if r.subject.contains("rm -rf") {
            Verdict::Deny("it deletes files".into())
        } else if r.subject.starts_with("npm test") {
            Verdict::Approve
        } else if r.subject.starts_with("curl") {
            Verdict::AskHuman
        } else {
            Verdict::AskLlm
        }
    })
}

/// One input, `after` this long since the previous one.
pub(super) struct Feed {
    after: Duration,
    input: Input,
}

pub(super) fn at(after: Duration, input: Input) -> Feed {
    Feed { after, input }
}

pub(super) fn now(input: Input) -> Feed {
    at(Duration::ZERO, input)
}

pub(super) fn screen(state: State) -> Input {
    screen_with(state, |_| {})
}

pub(super) fn screen_with(state: State, edit: impl FnOnce(&mut Screen)) -> Input {
    // Every screen is a new one to the machine, as from the watcher.
    let seq = next_seq();
    let mut s = Screen {
        seq,
        state,
        last_output: Instant::now(),
        turn_output: false,
        question: None,
        options: Vec::new(),
        permission: None,
        cut_short: false,
        error: None,
    };
    edit(&mut s);
    Input::Screen(s)
}

pub(super) fn next_seq() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

pub(super) fn idle_with_output() -> Input {
    screen_with(State::Idle, |s| s.turn_output = true)
}

pub(super) fn hook(h: Hook) -> Input {
    Input::Hook(h)
}

pub(super) fn owner_says(text: &str) -> Input {
    Input::Owner(Owner::Message {
        text: text.into(),
        from: "alice".into(),
    })
}

pub(super) fn decided(actions: Vec<Action>, source: Source) -> Input {
    Input::Decided(Decision {
        actions,
        reason: "test".into(),
        usage: Usage::default(),
        llm_calls: 1,
        source,
    })
}

pub(super) fn tool(tool: &str, subject: &str) -> ToolRequest {
    ToolRequest {
        tool: tool.into(),
        subject: subject.into(),
    }
}

/// A turn that was sent, worked on and ended by the Stop hook.
pub(super) fn finished_turn() -> Vec<Feed> {
    vec![
        now(hook(Hook::PromptSubmitted)),
        now(screen(State::Working)),
        now(hook(Hook::Stop { reply: None })),
        now(idle_with_output()),
    ]
}

pub(super) fn run(just_sent: bool, feeds: Vec<Feed>) -> (Machine, Vec<Vec<Effect>>) {
    let mut t = Instant::now();
    let mut m = Machine::new(config(), judge(), 1, just_sent, t);
    let mut all = Vec::new();
    for f in feeds {
        t += f.after;
        all.push(m.on(f.input, t));
    }
    (m, all)
}

/// The effects of the last input, timers left out.
pub(super) fn last(all: &[Vec<Effect>]) -> Vec<Effect> {
    all.last()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !matches!(e, Effect::WakeAt(_)))
        .collect()
}

pub(super) fn consulted(effects: &[Effect], kind: &str) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::Consult { event, .. } if event.kind() == kind))
}

pub(super) fn delivered(effects: &[Effect]) -> Vec<Message> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Deliver { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn logged(effects: &[Effect], part: &str) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::Log { text, .. } if text.contains(part)))
}

pub(super) fn asked(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::AskHuman { .. }))
}

pub(super) fn text(s: &str) -> Message {
    Message::Text(s.into())
}

#[test]
fn edge_cases() {
    let mut failed = Vec::new();
    for row in rows() {
        let (m, all) = run(row.just_sent, (row.feeds)());
        let effects = last(&all);
        if !(row.check)(&m, &effects) {
            failed.push(format!("{}: {effects:#?}", row.name));
        }
        for said in all.iter().flatten().filter_map(words_for_member) {
            if DEBUG_TEXT.is_match(said) {
                failed.push(format!("{}: debug text for the owner: {said}", row.name));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// Rust's debug text (`AnswerPrompt { option: 1 }`, `Some(3)`, `State::Idle`, `C-c`) or
/// tool-call syntax (`mark_step_done("ok")`) in what the owner reads.
static DEBUG_TEXT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"\b[A-Z][A-Za-z]+ \{ [a-z_]+: |\b(Some|Ok|Err)\(|\b[A-Z][A-Za-z]+::[A-Z]|\bC-c\b|\b[a-z]+(_[a-z]+)+\(",
    )
    .expect("regex")
});

/// The text of an effect that the owner reads: a log line or a question.
fn words_for_member(e: &Effect) -> Option<&str> {
    match e {
        Effect::Log { text, .. } => Some(text),
        Effect::AskHuman { question } => Some(question),
        _ => None,
    }
}

#[test]
fn debug_text_is_recognised() {
    for bad in [
        "Turn finished: MarkStepDone { summary: \"ok\" }",
        "Some(3)",
        "at State::Idle",
        "Pressed C-c",
        "(LLM chose mark_step_done(\"ok\"))",
    ] {
        assert!(DEBUG_TEXT.is_match(bad), "{bad}");
    }
    assert!(!DEBUG_TEXT.is_match("Approved Bash `npm test` (your policy allows it)"));
}

#[test]
fn a_timer_is_announced_only_when_it_changes() {
    let (_, all) = run(
        true,
        vec![now(screen(State::Idle)), now(screen(State::Idle))],
    );
    let wakes = |e: &Vec<Effect>| {
        e.iter()
            .filter(|e| matches!(e, Effect::WakeAt(Some(_))))
            .count()
    };
    assert_eq!(wakes(&all[0]), 1);
    assert_eq!(wakes(&all[1]), 0);
}
