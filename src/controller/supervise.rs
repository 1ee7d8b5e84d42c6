//! What supervising a step does to the world: wait for the CLI's prompt, send the step,
//! answer its dialogs and menus, restart the CLI and record the plan (messages and the
//! owner's questions are in `controller/deliver.rs`). What to do and when is decided by
//! the supervisor machine (`controller/machine`), driven by `controller/drive.rs`.

use tokio::time::Instant;

use super::prompt;
use super::run::{Halt, Pending, Run};
use super::session::SessionError;
use crate::db::projects::{ProjectStatus, StepStatus};
use crate::db::{self, logs::Level};
use crate::profile::{MenuAction, Resume};
use crate::screen::State;
use crate::tmux::{SessionName, TmuxError};

impl Run {
    pub(super) fn session(&self) -> Result<&super::session::CliSession, Halt> {
        self.session
            .as_ref()
            .ok_or_else(|| Halt::Setup("no CLI session".into()))
    }

    /// Waits until the CLI shows its idle prompt, clearing start-up dialogs and restarting
    /// it if it died. A done step's commit still owed is made before any such wait.
    pub(super) async fn wait_ready(&mut self) -> Result<(), Halt> {
        let deadline = Instant::now() + self.deps.timing.startup_timeout;
        loop {
            self.check_cancel()?;
            let observed = self.session()?.observed();
            // After an API error the CLI is back at its prompt and takes input.
            if matches!(observed.state(), State::Idle | State::ApiError) {
                return Ok(());
            }
            self.flush_step_commit().await?;
            match observed.state() {
                // Leftover text (e.g. a prompt put back by an interrupt) would be glued to
                // ours; one Ctrl-C clears the box. Only when the box still holds text: on
                // an empty one Ctrl-C arms the CLI's "press again to exit".
                State::IdleWithInput if self.session()?.box_has_text() => {
                    self.session()?.press(crate::tmux::Key::CtrlC).await?;
                }
                State::TrustDialog => self.choose(MenuAction::AcceptTrust, 1).await?,
                State::ApiKeyDialog => self.choose(MenuAction::AcceptApiKey, 1).await?,
                State::BypassDialog => self.choose(MenuAction::AcceptBypass, 2).await?,
                State::AutoModeDialog => self.choose(MenuAction::KeepManualMode, 2).await?,
                // Restarting would show the same error: the owner must fix what the CLI
                // names (a broken settings file, no connection) first.
                State::SetupError => {
                    let q = setup_error_question(&observed.classification);
                    self.ask_human(&q).await?;
                    self.restart_cli("the owner fixed a setup error").await?;
                    // The owner took their time: the new CLI gets a start-up time of its own.
                    return Box::pin(self.wait_ready()).await;
                }
                State::Exited => {
                    // A resumed conversation that cannot be loaded (e.g. the CLI was killed
                    // before it saved it) makes the CLI exit at once: start afresh instead.
                    self.fresh_restart = true;
                    self.restart_cli("the CLI exited before it was ready")
                        .await?
                }
                _ => {}
            }
            let seq = observed.seq;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                let q = format!(
                    "Claude Code did not become ready (it shows: {}). Check the terminal, then reply to retry.",
                    self.session()?.observed().state()
                );
                self.ask_human(&q).await?;
                return Box::pin(self.wait_ready()).await;
            }
            let session = self.session()?;
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                _ = session.wait_for(remaining, |o| o.seq != seq) => {}
            }
        }
    }

    pub(super) async fn choose(&self, action: MenuAction, default: u32) -> Result<(), Halt> {
        let session = self.session()?;
        if !session.answer(action).await? {
            session.choose(default).await?;
        }
        self.log(
            Level::Action,
            &format!("Answered a start-up dialog: {}", dialog_answer(action)),
        )
        .await;
        Ok(())
    }

    /// Sends step `index` and records that it was sent (before confirming the submit, so
    /// a crash in between can never lead to a second send).
    pub(super) async fn send_step(&mut self, index: usize) -> Result<(), Halt> {
        self.wait_ready().await?;
        let text = self.step_text(index).await?;
        let mut project = self.project().await?;
        project.implementation_plan.0[index].status = StepStatus::Running;
        db::projects::set_plan(
            &self.deps.db,
            self.project_id,
            &project.implementation_plan.0,
        )
        .await?;
        let index_i64 = i64::try_from(index).unwrap_or(i64::MAX);
        db::projects::set_status(
            &self.deps.db,
            self.project_id,
            ProjectStatus::Running,
            Some(index_i64),
            None,
        )
        .await?;
        self.publish_plan(&project.implementation_plan.0);
        self.refresh_identity(&project);
        let pending = serde_json::to_string(&Pending::StepSent { step: index }).unwrap_or_default();
        db::projects::set_pending_action(&self.deps.db, self.project_id, Some(&pending)).await?;
        self.set_status(ProjectStatus::Running, None).await?;
        self.wait_for_human_release().await?;
        // The last step's commit (unless a wait above made it) is made while the CLI draws
        // the typed prompt; the prompt is sent once it is made, so the new step's changes
        // never join it.
        let owed = self.step_commit.take();
        let session = self.session()?;
        let (committed, typed) = tokio::join!(self.commit_owed(owed), session.type_in(&text));
        committed?;
        let submitted = match typed {
            Ok(typed) => session.press_submit(typed).await,
            Err(e) => Err(e),
        };
        if let Err(e) = submitted {
            // The prompt can reach the model before the screen shows it was taken, so the
            // CLI may die, or the loop be stopped, while the submit is being confirmed.
            // Neither is the submit's failure: the step is recorded as sent, and the
            // supervisor restarts a dead CLI and sends it again.
            self.check_cancel()?;
            if !matches!(e, SessionError::Tmux(TmuxError::NotFound(_))) {
                return Err(e.into());
            }
            tracing::warn!(
                project = self.project_id,
                "the CLI exited while its step was submitted"
            );
            return Ok(());
        }
        let title = &project.implementation_plan.0[index].title;
        self.log(Level::Action, &format!("Sent step {}: {title}", index + 1))
            .await;
        Ok(())
    }

    pub(super) fn context_files(&self) -> (String, String, String) {
        let rules = self
            .deps
            .layout
            .agent_dir(self.agent().id)
            .map(|d| prompt::read_or_empty(&d.join("RULES.md")))
            .unwrap_or_default();
        let claude_md = prompt::read_or_empty(&self.workspace.join(".claude/CLAUDE.md"));
        let memory = prompt::read_or_empty(&self.workspace.join(".nanobot/MEMORY.md"));
        (rules, claude_md, memory)
    }

    /// Global RULES.md and the project's CLAUDE.md, for the supervising LLM.
    pub(super) fn rules_text(&self) -> String {
        let (rules, claude_md, _) = self.context_files();
        format!("{rules}\n\n{claude_md}")
    }

    fn refresh_identity(&self, project: &db::projects::Project) {
        let (rules, claude_md, memory) = self.context_files();
        let ctx = prompt::Context {
            project,
            rules: &rules,
            claude_md: &claude_md,
            memory: &memory,
        };
        let text = prompt::identity(&ctx, &self.agent().identity);
        if let Err(e) = prompt::refresh_identity(&self.workspace.join(".nanobot"), &text) {
            tracing::warn!(project = self.project_id, "writing IDENTITY.md: {e}");
        }
    }

    /// Answers the permission menu on screen: the profile's option, else the first
    /// (allow) or the last (refuse).
    pub(super) async fn answer_menu(&self, action: MenuAction) -> Result<(), Halt> {
        let session = self.session()?;
        let options = session.observed().classification.options;
        let fallback = if action == MenuAction::Deny {
            options.iter().map(|o| o.number).max().unwrap_or(3)
        } else {
            1
        };
        let option = session.option_for(action).unwrap_or(fallback);
        session.choose(option).await?;
        Ok(())
    }

    /// Restarts the CLI with `--continue` (or `--resume <id>`), at most `max_restarts`
    /// times per window before asking the owner.
    pub(super) async fn restart_cli(&mut self, reason: &str) -> Result<(), Halt> {
        let project = self.project().await?;
        let now = crate::tokens::now_secs();
        let window = self.deps.timing.restart_window.as_secs();
        let mut restarts: Vec<u64> = project
            .restarts
            .0
            .iter()
            .copied()
            .filter(|t| now.saturating_sub(*t) < window)
            .collect();
        if restarts.len() >= self.deps.timing.max_restarts {
            let q = format!(
                "Claude Code stopped {} times in {} minutes (last: {reason}). Check the terminal, then reply to start it again.",
                restarts.len() + 1,
                window / 60
            );
            self.ask_human(&q).await?;
            restarts.clear();
        }
        restarts.push(now);
        db::projects::set_restarts(&self.deps.db, self.project_id, &restarts).await?;
        self.log(Level::Error, &format!("Restarting Claude Code: {reason}"))
            .await;
        let name = SessionName::new(project.tmux_session.clone())
            .map_err(|e| Halt::Setup(e.to_string()))?;
        let profile = std::sync::Arc::new(
            crate::profile::Profile::builtin(&self.agent().cli.0.profile)
                .map_err(|e| Halt::Setup(e.to_string()))?,
        );
        let resume = if std::mem::take(&mut self.fresh_restart) {
            Resume::Fresh
        } else {
            project
                .cli_session_id
                .clone()
                .map_or(Resume::Continue, Resume::Session)
        };
        self.launch(&name, profile, resume).await
    }

    /// The prompt of step `index`.
    pub(super) async fn step_text(&self, index: usize) -> Result<String, Halt> {
        let project = self.project().await?;
        let (rules, claude_md, memory) = self.context_files();
        Ok(prompt::step_prompt(
            &prompt::Context {
                project: &project,
                rules: &rules,
                claude_md: &claude_md,
                memory: &memory,
            },
            index,
        ))
    }
}

/// A start-up dialog's answer in words.
fn dialog_answer(action: MenuAction) -> &'static str {
    match action {
        MenuAction::AcceptTrust => "trusted the project folder",
        MenuAction::AcceptApiKey => "used the agent's API key",
        MenuAction::AcceptBypass => "accepted running without permission prompts",
        MenuAction::KeepManualMode => "kept permission prompts on",
        MenuAction::Approve | MenuAction::ApproveAlways => "allowed it",
        MenuAction::Deny => "refused it",
    }
}

/// The owner's question for a CLI that cannot start, in its own words when the screen says why.
fn setup_error_question(c: &crate::screen::Classification) -> String {
    let why = c.setup_problem.as_deref().map_or_else(
        || "see the terminal".to_owned(),
        |p| format!("it says: {p}"),
    );
    format!("Claude Code cannot start ({why}). Fix this, then reply to start it again.")
}
