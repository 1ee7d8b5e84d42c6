//! The thin async driver of the supervisor [`Machine`]: one `select!` loop turns the CLI's
//! screen, its hooks, the owner's commands, the terminal's take-over and the clock into
//! inputs, and carries out the machine's effects. Decisions are the machine's; this file
//! only does I/O.

use std::collections::VecDeque;

use tokio::sync::watch;
use tokio::time::Instant;

use super::Command;
use super::claude_hooks;
use super::machine::{
    self, Delivery, Effect, Hook, Input, Machine, Message, Owner, Screen, ToolRequest,
};
use super::policy::{self, PolicyContext};
use super::run::{Halt, Run};
use super::session::Observed;
use crate::db;
use crate::db::logs::Level;
use crate::db::projects::{ProjectStatus, StepStatus};

use crate::journal::ProjectEvent;

impl Run {
    /// Supervises step `index` until it is done (or failed: an error).
    #[tracing::instrument(skip(self))]
    pub(super) async fn supervise_step(
        &mut self,
        index: usize,
        just_sent: bool,
    ) -> Result<(), Halt> {
        let agent = self.agent();
        let config = machine::Config {
            stall_after: std::time::Duration::from_secs(
                u64::try_from(agent.stall_timeout_s).unwrap_or(300),
            ),
            quiet_turn_grace: self.deps.timing.quiet_turn_grace,
            api_error_backoff: self.deps.timing.api_error_backoff,
            max_retries: u32::try_from(agent.max_retries).unwrap_or(3),
            delivery_tries: 2,
        };
        let mut m = Machine::new(config, self.judge(), index, just_sent, Instant::now());
        let mut wake: Option<Instant> = None;
        let mut changes = self.session()?.changes();
        let mut human = self.deps.human.subscribe();
        let mut held = false;
        let first = self.screen_input(&mut changes)?;
        self.feed(&mut m, first, index, &mut wake, &mut changes)
            .await?;
        loop {
            if m.finished() {
                return Ok(());
            }
            if self.deps.human.is_human_in_control(self.project_id) != held {
                held = !held;
                let cmd = if held {
                    Owner::TakeOver
                } else {
                    Owner::Release
                };
                self.feed(&mut m, Input::Owner(cmd), index, &mut wake, &mut changes)
                    .await?;
                continue;
            }
            let input = tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                changed = changes.changed() => match changed {
                    Ok(()) => self.screen_input(&mut changes)?,
                    // The watcher ended with its session (a restart replaces both).
                    Err(_) => {
                        changes = self.session()?.changes();
                        continue;
                    }
                },
                () = sleep_until_opt(wake) => Input::Tick,
                cmd = self.inbox.recv() => match cmd {
                    Some(Command::Message { text, from }) => Input::Owner(Owner::Message { text, from }),
                    Some(Command::Pause) => Input::Owner(Owner::Pause),
                    Some(Command::Resume) => Input::Owner(Owner::Resume),
                    None => return Err(Halt::Cancelled),
                },
                Some(posted) = recv_opt(&mut self.hook_events) => {
                    tracing::debug!(event = %posted.event.name, "hook");
                    let mut hook = claude_hooks::input(&posted.event);
                    // A permission the CLI no longer waits on (the answer's time ran out)
                    // is only the exact input for the menu it shows instead.
                    match posted.answer.filter(|a| !a.is_closed()) {
                        Some(answer) => self.hook_answer = Some(answer),
                        None => if let Hook::PermissionAsked(r) = hook {
                            hook = Hook::ToolRequest(r);
                        },
                    }
                    Input::Hook(hook)
                }
                // Take-over changes are announced; the holder's idle timeout ends control
                // without an announcement, so a held terminal is also looked at each second.
                _ = human.recv() => continue,
                () = tokio::time::sleep(std::time::Duration::from_secs(1)), if held => continue,
            };
            self.feed(&mut m, input, index, &mut wake, &mut changes)
                .await?;
            // A permission the machine left unanswered: the CLI shows its menu at once
            // instead of waiting out the answer's time.
            self.hook_answer = None;
        }
    }

    /// Gives the machine one input and carries out what it asks, feeding back the results.
    async fn feed(
        &mut self,
        m: &mut Machine,
        input: Input,
        index: usize,
        wake: &mut Option<Instant>,
        changes: &mut watch::Receiver<Observed>,
    ) -> Result<(), Halt> {
        let mut queue: VecDeque<Effect> = m.on(input, Instant::now()).into();
        while let Some(effect) = queue.pop_front() {
            if let Some(next) = self.execute(effect, index, wake, changes).await? {
                queue.extend(m.on(next, Instant::now()));
            }
        }
        Ok(())
    }

    async fn execute(
        &mut self,
        effect: Effect,
        index: usize,
        wake: &mut Option<Instant>,
        changes: &mut watch::Receiver<Observed>,
    ) -> Result<Option<Input>, Halt> {
        match effect {
            Effect::Deliver { message, .. } => {
                let text = match message {
                    Message::Text(t) => t,
                    Message::StepPrompt => self.step_text(index).await?,
                    Message::StateSummary => {
                        let project = self.project().await?;
                        super::prompt::state_summary(&project, Some(index))
                    }
                };
                let result = self.deliver(&text).await;
                // Waiting for the prompt may have restarted the CLI.
                *changes = self.session()?.changes();
                return match result {
                    Ok(()) => Ok(Some(Input::Delivered(Delivery::Confirmed))),
                    Err(Halt::Session(e)) => {
                        Ok(Some(Input::Delivered(Delivery::Unconfirmed(e.to_string()))))
                    }
                    Err(e) => Err(e),
                };
            }
            Effect::Press(key) => {
                let name = key.tmux_name();
                let k = crate::tmux::Key::from_name(&name)
                    .ok_or_else(|| Halt::Setup(format!("unknown key {name}")))?;
                self.session()?.press(k).await?;
            }
            Effect::Interrupt => self.session()?.interrupt().await?,
            Effect::Choose(option) => self.session()?.choose(option).await?,
            Effect::AnswerMenu(action) => self.answer_menu(action).await?,
            Effect::AnswerHook(answer) => {
                let output = crate::hooks::permission_output(&answer);
                let taken = self
                    .hook_answer
                    .take()
                    .is_some_and(|tx| tx.send(output).is_ok());
                return Ok(Some(Input::HookAnswered { taken }));
            }
            Effect::AnswerDialog { action, default } => self.choose(action, default).await?,
            Effect::Consult {
                event,
                prior_fallbacks,
                reply,
            } => {
                let decision = self.consult(&event, index, prior_fallbacks, reply).await?;
                return Ok(Some(Input::Decided(decision)));
            }
            Effect::AskHuman { question } => {
                self.set_status(ProjectStatus::NeedsHelp, Some(&question))
                    .await?;
                self.log(Level::AgentDecision, &format!("Needs help: {question}"))
                    .await;
            }
            Effect::SetStatus(status) => {
                self.paused = status == ProjectStatus::Paused;
                self.set_status(status, None).await?;
            }
            Effect::RestartCli { reason } => {
                self.restart_cli(&reason).await?;
                self.wait_ready().await?;
                *changes = self.session()?.changes();
                return Ok(Some(Input::Restarted));
            }
            Effect::EditPlan(action) => self.edit_plan(action).await?,
            Effect::Remember(fact) => {
                let path = self.workspace.join(".nanobot/MEMORY.md");
                if let Err(e) = super::prompt::append_line(&path, &format!("- {fact}")) {
                    tracing::warn!("writing MEMORY.md: {e}");
                }
            }
            Effect::TrustIdle => self.session()?.turn_ended(),
            Effect::RecordSession(id) => self.record_cli_session(&id).await?,
            Effect::Stalled { secs } => self.report_stall(Some(secs)).await?,
            Effect::StallOver => self.report_stall(None).await?,
            Effect::WakeAt(at) => *wake = at,
            Effect::Log { level, text } => self.log(level, &text).await,
            Effect::StepDone { summary } => {
                self.mark_step(index, StepStatus::Done).await?;
                self.step_commit = Some((index, summary));
            }
            Effect::StepFailed { reason } => {
                self.mark_step(index, StepStatus::Failed).await?;
                return Err(Halt::Failed(format!("step {} failed: {reason}", index + 1)));
            }
        }
        Ok(None)
    }

    /// Records that the project is stalled (`Some(secs)` without output) or moved on, and
    /// announces it: the inbox stream and the notifications go by the announcement. A stall
    /// that a status change already ended is not announced as over twice.
    pub(super) async fn report_stall(&self, stalled: Option<u64>) -> Result<(), Halt> {
        let db = &self.deps.db;
        let event = match stalled {
            Some(secs) => {
                db::projects::set_stalled(db, self.project_id, secs).await?;
                ProjectEvent::Stalled {
                    project_id: self.project_id,
                    secs,
                }
            }
            None if db::projects::clear_stalled(db, self.project_id).await? => {
                ProjectEvent::StallOver {
                    project_id: self.project_id,
                }
            }
            None => return Ok(()),
        };
        self.deps.journal.publish(event);
        Ok(())
    }

    /// The permission policy of the agent, with this project's paths.
    fn judge(&self) -> machine::Judge {
        let policy = self.agent().permission_policy.0.clone();
        let workspace = self.workspace.clone();
        let data_dir = self.deps.layout.root().to_owned();
        let home = self.user_dir.join("config").join("home");
        Box::new(move |r: &ToolRequest| {
            let ctx = PolicyContext {
                workspace: &workspace,
                data_dir: &data_dir,
                home: Some(&home),
            };
            policy::evaluate(&policy, &r.tool, &r.subject, &ctx)
        })
    }

    /// What the machine needs of the current screen (marking it seen).
    fn screen_input(&self, changes: &mut watch::Receiver<Observed>) -> Result<Input, Halt> {
        let o = changes.borrow_and_update().clone();
        let c = &o.classification;
        Ok(Input::Screen(Screen {
            seq: o.seq,
            state: o.state(),
            last_output: o.last_output,
            turn_output: self.session()?.turn_has_output(),
            question: c.question.as_ref().and_then(|q| q.prompt.clone()),
            options: c.options.iter().map(|o| o.label.clone()).collect(),
            permission: c.permission.as_ref().map(|p| ToolRequest {
                tool: p.tool.clone().unwrap_or_else(|| "unknown".into()),
                subject: p.target.clone().unwrap_or_default(),
            }),
            cut_short: c.permission.as_ref().is_some_and(|p| p.cut_short),
            error: c.error.as_ref().map(|e| (e.kind, e.message.clone())),
        }))
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

async fn recv_opt<T>(rx: &mut Option<tokio::sync::mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}
