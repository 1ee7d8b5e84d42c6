//! Decisions in plain words, for the project's log a family member reads.

use super::{Action, Decision, Source};

impl Action {
    /// What the action does, e.g. "mark the step done: the page exists".
    pub fn describe(&self) -> String {
        match self {
            Action::SendMessage { text } => format!("tell Claude \"{}\"", shorten(text)),
            Action::AnswerPrompt { option } => format!("choose option {option} of the menu"),
            Action::PressKey { key } => format!("press {}", key.words()),
            Action::MarkStepDone { summary } => format!("mark the step done: {summary}"),
            Action::MarkStepFailed { reason } => format!("mark the step failed: {reason}"),
            Action::AddStep { title, .. } => format!("add a step \"{title}\""),
            Action::UpdateStep { index, .. } => format!("change step {}", index + 1),
            Action::AskHuman { question } => format!("ask you \"{}\"", shorten(question)),
            Action::RestartCli => "restart Claude Code".into(),
            Action::Remember { fact } => format!("remember \"{}\"", shorten(fact)),
            Action::Wait { seconds } => format!("wait {seconds} s"),
        }
    }
}

impl Decision {
    /// "mark the step done: ok (the supervisor: tests pass)".
    pub fn describe(&self) -> String {
        let what = if self.actions.is_empty() {
            "do nothing".to_owned()
        } else {
            self.actions
                .iter()
                .map(Action::describe)
                .collect::<Vec<_>>()
                .join(", then ")
        };
        let who = match self.source {
            Source::Llm => "the supervisor",
            Source::Fallback => "the rules",
        };
        if self.reason.is_empty() {
            format!("{what} ({who})")
        } else {
            format!("{what} ({who}: {})", self.reason)
        }
    }
}

/// The first line of a text, cut to a readable length.
fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let cut: String = line.chars().take(80).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Usage;

    #[test]
    fn decisions_read_as_sentences_without_debug_text() {
        let d = Decision {
            actions: vec![
                Action::AnswerPrompt { option: 1 },
                Action::MarkStepDone {
                    summary: "ok".into(),
                },
            ],
            reason: "the tests pass".into(),
            usage: Usage::default(),
            llm_calls: 1,
            source: Source::Llm,
        };
        let text = d.describe();
        assert_eq!(
            text,
            "choose option 1 of the menu, then mark the step done: ok (the supervisor: the tests pass)"
        );
        assert!(!text.contains('{') && !text.contains("MarkStepDone"));
    }

    #[test]
    fn long_messages_are_cut_to_their_first_line() {
        let a = Action::SendMessage {
            text: format!("{}\nsecond", "x".repeat(100)),
        };
        assert_eq!(a.describe(), format!("tell Claude \"{}…\"", "x".repeat(80)));
    }
}
