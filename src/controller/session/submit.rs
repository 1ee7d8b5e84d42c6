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
    /// What the screen shows of it once submitted (see [`echo_of`]).
    echo: String,
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
        let echo = echo_of(text);
        let check = submit_check(echo.clone(), self.rules.clone());
        let typed = self
            .monitor
            .tmux()
            .type_text(self.monitor.screens(), self.pane, text, &options(), check)
            .await?;
        Ok(Typed { typed, echo })
    }

    /// Sends what [`CliSession::type_in`] typed and confirms the CLI took it.
    pub async fn press_submit(&self, typed: Typed) -> Result<(), SessionError> {
        let check = submit_check(typed.echo, self.rules.clone());
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

/// What the transcript shows of a submitted message: its first line, echoed (after the
/// prompt glyph, or as a shell line for a `!` line).
fn echo_of(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(60)
        .collect()
}

/// How a screen tells where a message showing `first` once submitted is: in the box,
/// taken, or not known yet.
fn submit_check(first: String, rules: Arc<ScreenRules>) -> impl Fn(&str) -> SubmitCheck {
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
