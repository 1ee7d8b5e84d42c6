//! Sending a message to the CLI: typing it, then pressing Enter until the screen shows it
//! was taken. The two halves are apart so that what must happen before the message goes
//! (the last step's commit) can run while the CLI draws the typed text.

use std::sync::Arc;
use std::time::Duration;

use super::{CliSession, SessionError};
use crate::screen::{ScreenRules, State, classify, echoes};
use crate::tmux::{SubmitCheck, SubmitOptions};

/// A message typed into the CLI's input box, not sent yet ([`CliSession::type_in`]).
#[derive(Debug)]
pub struct Typed {
    typed: crate::tmux::Typed,
    text: String,
}

impl CliSession {
    /// Types a message into the CLI and confirms it was submitted (Enter re-pressed if it
    /// was lost; the text is never sent twice).
    pub async fn submit(&self, text: &str) -> Result<(), SessionError> {
        let typed = self.type_in(text).await?;
        self.press_submit(typed).await
    }

    /// Types a message into the input box and waits (briefly) for it to be drawn.
    pub async fn type_in(&self, text: &str) -> Result<Typed, SessionError> {
        let check = submit_check(text, self.rules.clone());
        let typed = self
            .monitor
            .tmux()
            .type_text(self.monitor.screens(), self.pane, text, &options(), check)
            .await?;
        Ok(Typed {
            typed,
            text: text.to_owned(),
        })
    }

    /// Sends what [`CliSession::type_in`] typed and confirms the CLI took it.
    pub async fn press_submit(&self, typed: Typed) -> Result<(), SessionError> {
        let check = submit_check(&typed.text, self.rules.clone());
        self.monitor
            .tmux()
            .press_submit(
                self.monitor.screens(),
                self.pane,
                typed.typed,
                &options(),
                check,
            )
            .await?;
        Ok(())
    }
}

fn options() -> SubmitOptions {
    SubmitOptions {
        submit_timeout: Duration::from_secs(3),
        ..SubmitOptions::default()
    }
}

/// How a screen tells where a message of `text` is: in the box, taken, or not known yet.
fn submit_check(text: &str, rules: Arc<ScreenRules>) -> impl Fn(&str) -> SubmitCheck {
    // What the transcript shows once the message is submitted: its first line, echoed
    // (after the prompt glyph, or as a shell line for a `!` line).
    let first: String = text
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(60)
        .collect();
    move |screen: &str| {
        let c = classify(screen, None, &rules);
        match c.state {
            State::IdleWithInput => SubmitCheck::InInput,
            State::Working
            | State::Retrying
            | State::Compacting
            | State::Permission
            | State::Question => SubmitCheck::Submitted,
            // An empty box alone proves nothing (the paste may not have landed yet);
            // the echoed message does.
            State::Idle | State::ApiError if screen.lines().any(|l| echoes(l, &first, &rules)) => {
                SubmitCheck::Submitted
            }
            // The box emptied, or a command (`/help`) opened a panel of its own.
            State::Idle | State::ApiError | State::Starting => SubmitCheck::Cleared,
            _ => SubmitCheck::Unknown,
        }
    }
}
