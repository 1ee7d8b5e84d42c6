//! Talking to the CLI and the owner outside the supervisor machine's own inputs: a
//! message typed into the CLI once it can take one (and the panel a `/` command opens
//! closed again), the owner's question asked and waited on, and the terminal waited for
//! while a person holds it. A message is never fatal to the project.

use std::time::Duration;

use super::Command;
use super::run::{Halt, Run};
use crate::db::logs::Level;
use crate::db::projects::ProjectStatus;
use crate::screen::State;

impl Run {
    /// Types a message into the CLI once it can take one, and confirms it was submitted.
    pub(super) async fn deliver(&mut self, text: &str) -> Result<(), Halt> {
        self.wait_for_human_release().await?;
        self.wait_ready().await?;
        self.session()?.submit(text).await?;
        if text.trim_start().starts_with('/') {
            self.close_command_panel(text).await?;
        }
        Ok(())
    }

    /// A `/` command may open a panel of the CLI's own (`/help`) that waits for Escape;
    /// the person who typed it saw it in the terminal, and the CLI goes back to its prompt.
    async fn close_command_panel(&self, text: &str) -> Result<(), Halt> {
        let session = self.session()?;
        // Right after the submit the screen may still show the typed text; what the
        // command did shows within moments.
        let shown = |o: &super::session::Observed| {
            !matches!(o.state(), State::Starting | State::IdleWithInput)
        };
        let settled = session.wait_for(Duration::from_secs(2), shown).await;
        if settled.is_none() && session.observed().state() == State::Starting {
            session.press(crate::tmux::Key::Escape).await?;
            let command = text.split_whitespace().next().unwrap_or_default();
            self.log(
                Level::Info,
                &format!("Closed what {command} showed in the terminal"),
            )
            .await;
        }
        Ok(())
    }

    /// Forwards the owner's message outside a step's supervision (between steps, or the
    /// answer to a question asked before the step began). A message is never fatal: one
    /// that cannot be confirmed is tried once more, then reported.
    pub(super) async fn forward_user_text(&mut self, text: &str) -> Result<(), Halt> {
        let mut why = String::new();
        for _ in 0..2 {
            match self.deliver(text).await {
                Ok(()) => {
                    self.log(Level::Action, "Sent the owner's message to Claude")
                        .await;
                    return Ok(());
                }
                Err(Halt::Session(e)) => why = e.to_string(),
                Err(e) => return Err(e),
            }
        }
        self.log(
            Level::Error,
            &format!(
                "Gave up delivering a message after 2 tries ({why}); please look at the terminal"
            ),
        )
        .await;
        Ok(())
    }

    /// Asks the owner and waits for the reply (needs_help); the question survives a daemon
    /// restart in the project row.
    pub(super) async fn ask_human(&mut self, question: &str) -> Result<String, Halt> {
        self.set_status(ProjectStatus::NeedsHelp, Some(question))
            .await?;
        self.log(Level::AgentDecision, &format!("Needs help: {question}"))
            .await;
        loop {
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                cmd = self.inbox.recv() => match cmd {
                    Some(Command::Message { text, from }) => {
                        self.log(Level::Info, &format!("{from} replied: {text}")).await;
                        self.set_status(ProjectStatus::Running, None).await?;
                        return Ok(text);
                    }
                    Some(Command::Pause) => self.paused = true,
                    Some(Command::Resume) => self.paused = false,
                    None => return Err(Halt::Cancelled),
                },
            }
        }
    }

    /// While a person has taken over the terminal, the controller sends nothing; it waits
    /// until they release it (or their idle timeout does).
    pub(super) async fn wait_for_human_release(&mut self) -> Result<(), Halt> {
        if !self.deps.human.is_human_in_control(self.project_id) {
            return Ok(());
        }
        self.flush_step_commit().await?;
        let human = &self.deps.human;
        self.log(
            Level::Info,
            "Waiting: a person is in control of the terminal",
        )
        .await;
        let mut changes = human.subscribe();
        while human.is_human_in_control(self.project_id) {
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                _ = changes.recv() => {}
                // The holder's idle timeout ends control without an announcement.
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        self.log(
            Level::Info,
            "The terminal was released; the controller continues",
        )
        .await;
        Ok(())
    }
}
