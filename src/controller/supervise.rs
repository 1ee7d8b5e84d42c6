//! Supervising one step: wait for the CLI, send the step, then react to what the screen
//! (and the hooks) say, asking the supervising LLM only at decision points: the turn
//! ended, a permission or question appeared, an error, a stall. While Claude works the
//! loop sleeps on the state stream and spends nothing.

use std::time::Duration;

use tokio::time::Instant;

use super::Command;
use super::decide::{self, Action, Decision, DecisionContext, Event};
use super::policy::{self, PolicyContext, Verdict};
use super::prompt;
use super::run::{Halt, Pending, Run};
use crate::db::{self, logs::Level, projects::StepStatus};
use crate::profile::{MenuAction, Resume};
use crate::screen::{ErrorKind, State};
use crate::tmux::SessionName;

/// How supervising a step ended.
pub(super) enum StepEnd {
    Done,
}

/// What is known about the turn our latest message started.
struct Turn {
    sent_at: Instant,
    /// Working was seen (or the CLI said the turn ended). After a fresh send the turn is
    /// only over once work was seen or a grace period passed; a re-adopted step may
    /// already be over.
    saw_work: bool,
    /// The CLI's Stop hook arrived for this message.
    stop_seen: bool,
    /// The CLI took the message (UserPromptSubmit): only a Stop after that ends the turn,
    /// not a late one from the turn before.
    prompt_seen: bool,
}

impl Turn {
    fn new(just_sent: bool) -> Self {
        Self {
            sent_at: Instant::now(),
            saw_work: !just_sent,
            stop_seen: false,
            prompt_seen: !just_sent,
        }
    }

    /// A new message was just sent.
    fn reset(&mut self) {
        *self = Self::new(true);
    }
}

/// Same-error bookkeeping for "three times the same error → try another way → ask", and
/// the count of rule-based decisions in a row (the fallback escalates on it).
#[derive(Default)]
struct Repeats {
    last: Option<String>,
    count: u32,
    fallbacks: u32,
}

impl Repeats {
    fn note(&mut self, key: &str) -> u32 {
        if self.last.as_deref() == Some(key) {
            self.count += 1;
        } else {
            self.last = Some(key.to_owned());
            self.count = 1;
        }
        self.count
    }
}

impl Run {
    fn session(&self) -> Result<&super::session::CliSession, Halt> {
        self.session
            .as_ref()
            .ok_or_else(|| Halt::Setup("no CLI session".into()))
    }

    /// Waits until the CLI shows its idle prompt, clearing start-up dialogs and restarting
    /// it if it died.
    pub(super) async fn wait_ready(&mut self) -> Result<(), Halt> {
        let deadline = Instant::now() + self.deps.timing.startup_timeout;
        loop {
            self.check_cancel()?;
            let observed = self.session()?.observed();
            match observed.state() {
                // After an API error the CLI is back at its prompt and takes input.
                State::Idle | State::ApiError => return Ok(()),
                State::IdleWithInput => {
                    // Leftover text (e.g. a prompt put back by an interrupt) would be glued
                    // to ours; one Ctrl-C clears the box.
                    self.session()?.press(crate::tmux::Key::CtrlC).await?;
                }
                State::TrustDialog => self.choose(MenuAction::AcceptTrust, 1).await?,
                State::ApiKeyDialog => self.choose(MenuAction::AcceptApiKey, 1).await?,
                State::BypassDialog => self.choose(MenuAction::AcceptBypass, 2).await?,
                State::AutoModeDialog => self.choose(MenuAction::KeepManualMode, 2).await?,
                State::Exited | State::SetupError => {
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

    async fn choose(&self, action: MenuAction, default: u32) -> Result<(), Halt> {
        let session = self.session()?;
        if !session.answer(action).await? {
            session.choose(default).await?;
        }
        self.log(
            Level::Action,
            &format!("Answered a start-up dialog ({action:?})"),
        )
        .await;
        Ok(())
    }

    /// Sends step `index` and records that it was sent (before confirming the submit, so
    /// a crash in between can never lead to a second send).
    pub(super) async fn send_step(&mut self, index: usize) -> Result<(), Halt> {
        self.wait_ready().await?;
        let mut project = self.project().await?;
        let (rules, claude_md, memory) = self.context_files();
        let text = prompt::step_prompt(
            &prompt::Context {
                project: &project,
                rules: &rules,
                claude_md: &claude_md,
                memory: &memory,
            },
            index,
        );
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
            "running",
            Some(index_i64),
            None,
        )
        .await?;
        self.publish_plan(&project.implementation_plan.0);
        self.refresh_identity(&project);
        let pending = serde_json::to_string(&Pending::StepSent { step: index }).unwrap_or_default();
        db::projects::set_pending_action(&self.deps.db, self.project_id, Some(&pending)).await?;
        self.set_status("running", None).await?;
        self.wait_for_human_release().await?;
        self.session()?.submit(&text).await?;
        let title = &project.implementation_plan.0[index].title;
        self.log(Level::Action, &format!("Sent step {}: {title}", index + 1))
            .await;
        Ok(())
    }

    fn context_files(&self) -> (String, String, String) {
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

    pub(super) fn publish_plan(&self, plan: &[db::projects::Step]) {
        self.deps
            .journal
            .publish(crate::journal::ProjectEvent::Plan {
                project_id: self.project_id,
                implementation_plan: plan.to_vec(),
            });
    }

    /// Reacts to the CLI until the step is done.
    pub(super) async fn supervise_step(
        &mut self,
        index: usize,
        just_sent: bool,
    ) -> Result<StepEnd, Halt> {
        let mut turn = Turn::new(just_sent);
        let mut handled_seq = None;
        let mut repeats = Repeats::default();
        let mut compacted = false;
        let mut wake_at: Option<Instant> = None;
        loop {
            self.check_cancel()?;
            let observed = self.session()?.observed();
            let state = observed.state();
            if matches!(state, State::Working | State::Retrying | State::Compacting) {
                turn.saw_work = true;
                compacted |= state == State::Compacting;
            }
            let fresh =
                handled_seq != Some(observed.seq) && wake_at.is_none_or(|w| Instant::now() >= w);
            if fresh && !self.paused {
                let grace = self.deps.timing.quiet_turn_grace;
                // Over means: work was seen and the CLI says so (its Stop hook) or its output
                // for our message is on screen. A frame between submit and the first token
                // looks idle but shows nothing below the echoed prompt yet.
                let evidence = turn.stop_seen
                    || super::session::turn_has_output(&self.session()?.screen_text());
                let turn_over = (turn.saw_work && evidence) || turn.sent_at.elapsed() >= grace;
                let mut acted = true;
                match state {
                    // Text left in the box (a stray key, a put-back prompt) does not make the
                    // turn any less over.
                    State::Idle | State::IdleWithInput if turn_over => {
                        if compacted {
                            compacted = false;
                            let project = self.project().await?;
                            self.send_text(
                                &prompt::state_summary(&project, Some(index)),
                                "Sent a state summary after compaction",
                            )
                            .await?;
                            turn.reset();
                        } else if let Some(end) = self
                            .decide_and_act(Event::TurnFinished, index, &mut repeats)
                            .await?
                        {
                            return Ok(end);
                        } else {
                            turn.reset();
                        }
                    }
                    State::Idle | State::IdleWithInput => acted = false,
                    State::Permission => {
                        if let Some(end) = self.handle_permission(index, &mut repeats).await? {
                            return Ok(end);
                        }
                    }
                    State::Question => {
                        let c = observed.classification.clone();
                        let text = c
                            .question
                            .as_ref()
                            .and_then(|q| q.prompt.clone())
                            .unwrap_or_default();
                        let options = c.options.iter().map(|o| o.label.clone()).collect();
                        let event = Event::Question { text, options };
                        if let Some(end) = self.decide_and_act(event, index, &mut repeats).await? {
                            return Ok(end);
                        }
                    }
                    State::ApiError => {
                        self.handle_api_error(&observed.classification, &mut repeats)
                            .await?;
                        turn.reset();
                    }
                    State::Exited | State::SetupError => {
                        self.restart_cli("Claude Code exited").await?;
                        self.wait_ready().await?;
                        self.resend_step(index).await?;
                        turn.reset();
                        // A new session numbers its states afresh.
                        handled_seq = None;
                        continue;
                    }
                    State::TrustDialog => self.choose(MenuAction::AcceptTrust, 1).await?,
                    State::ApiKeyDialog => self.choose(MenuAction::AcceptApiKey, 1).await?,
                    State::BypassDialog => self.choose(MenuAction::AcceptBypass, 2).await?,
                    State::AutoModeDialog => self.choose(MenuAction::KeepManualMode, 2).await?,
                    _ => acted = false,
                }
                if acted {
                    handled_seq = Some(observed.seq);
                    wake_at = None;
                    // Acting took time and may have changed the screen: look again before
                    // sleeping on a state that is no longer current.
                    continue;
                }
            }
            // A Wait action asks to look again later even if nothing changes.
            if let Some(w) = self.take_wait() {
                wake_at = Some(Instant::now() + w);
                handled_seq = None;
            }
            // Sleep until something happens.
            let stall_after =
                Duration::from_secs(u64::try_from(self.agent().stall_timeout_s).unwrap_or(300));
            let stall_at = (state == State::Working).then(|| observed.last_output + stall_after);
            let grace_at = (matches!(state, State::Idle | State::IdleWithInput) && !turn.saw_work)
                .then(|| turn.sent_at + self.deps.timing.quiet_turn_grace);
            let timer = [stall_at, grace_at, wake_at].into_iter().flatten().min();
            let mut changes = self.session()?.changes();
            changes.mark_unchanged();
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                _ = changes.changed() => {}
                () = sleep_until_opt(timer) => {
                    if stall_at.is_some_and(|s| Instant::now() >= s) && self.session()?.observed().state() == State::Working {
                        let secs = stall_after.as_secs();
                        self.log(Level::Error, &format!("No output for {secs} s while working: interrupting")).await;
                        self.session()?.interrupt().await?;
                        if let Some(end) = self.decide_and_act(Event::Stall { secs }, index, &mut repeats).await? {
                            return Ok(end);
                        }
                        turn.reset();
                    }
                    // The wait is over, or a quiet turn's grace ran out: look again at the
                    // same screen.
                    if wake_at.is_some_and(|w| Instant::now() >= w) || grace_at.is_some_and(|g| Instant::now() >= g) {
                        handled_seq = None;
                        turn.saw_work |= grace_at.is_some();
                    }
                }
                cmd = self.inbox.recv() => {
                    match cmd {
                        Some(Command::Message { text, from }) => {
                            self.log(Level::Info, &format!("Instruction from {from} sent to Claude")).await;
                            self.forward_user_text(&text).await?;
                            turn.reset();
                            handled_seq = None;
                        }
                        Some(Command::Pause) => {
                            self.paused = true;
                            self.set_status("paused", None).await?;
                            self.wait_while_paused().await?;
                            handled_seq = None;
                        }
                        Some(Command::Resume) => {}
                        None => return Err(Halt::Cancelled),
                    }
                }
                Some(ev) = recv_opt(&mut self.hook_events) => {
                    // The CLI's own word that the turn ended backs up the screen: a turn too
                    // quick for any working frame to be seen still counts.
                    match ev.name.as_str() {
                        "Stop" | "StopFailure" if turn.prompt_seen => {
                            turn.saw_work = true;
                            turn.stop_seen = true;
                            handled_seq = None;
                        }
                        "UserPromptSubmit" => {
                            turn.prompt_seen = true;
                            turn.stop_seen = false;
                        }
                        _ => {}
                    }
                    self.on_hook(ev).await?;
                }
            }
        }
    }

    async fn on_hook(&mut self, ev: crate::hooks::HookEvent) -> Result<(), Halt> {
        if ev.name == "SessionStart"
            && let Some(id) = &ev.session_id
        {
            self.record_cli_session(id).await?;
        }
        tracing::debug!(project = self.project_id, event = %ev.name, "hook");
        Ok(())
    }

    async fn handle_permission(
        &mut self,
        index: usize,
        repeats: &mut Repeats,
    ) -> Result<Option<StepEnd>, Halt> {
        let c = self.session()?.observed().classification;
        let perm = c
            .permission
            .clone()
            .unwrap_or(crate::screen::PermissionRequest {
                tool: None,
                target: None,
                title: None,
                prompt: None,
            });
        let tool = perm.tool.clone().unwrap_or_else(|| "unknown".into());
        let target = perm.target.clone().unwrap_or_default();
        let data_dir = self.deps.layout.root().to_owned();
        let home = self.user_dir.join("config").join("home");
        let ctx = PolicyContext {
            workspace: &self.workspace,
            data_dir: &data_dir,
            home: Some(&home),
        };
        let verdict = policy::evaluate(&self.agent().permission_policy.0, &tool, &target, &ctx);
        let what = format!("{tool}({target})");
        match verdict {
            Verdict::Approve => {
                self.answer_permission(
                    MenuAction::Approve,
                    &format!("Approved {what} (permission policy)"),
                )
                .await?;
            }
            Verdict::Deny(reason) => {
                self.answer_permission(MenuAction::Deny, &format!("Denied {what}: {reason}"))
                    .await?;
                self.wait_idle_briefly().await;
                self.send_text(
                    &format!("That action ({what}) was denied by the project's policy: {reason}. Do not try it again; find another way to finish the step."),
                    "Told Claude why the action was denied",
                )
                .await?;
            }
            Verdict::AskHuman => {
                let answer = self
                    .ask_human(&format!("Claude wants to run {what}. Allow it? Reply \"yes\" to allow, anything else to deny."))
                    .await?;
                let yes = matches!(
                    answer.trim().to_lowercase().as_str(),
                    "yes" | "y" | "allow" | "ok"
                );
                let action = if yes {
                    MenuAction::Approve
                } else {
                    MenuAction::Deny
                };
                self.answer_permission(
                    action,
                    &format!(
                        "{} {what} on the owner's answer",
                        if yes { "Approved" } else { "Denied" }
                    ),
                )
                .await?;
            }
            Verdict::AskLlm => {
                let options = c.options.iter().map(|o| o.label.clone()).collect();
                let event = Event::Permission {
                    tool,
                    subject: target,
                    options,
                };
                return self.decide_and_act(event, index, repeats).await;
            }
        }
        Ok(None)
    }

    async fn answer_permission(&self, action: MenuAction, message: &str) -> Result<(), Halt> {
        let session = self.session()?;
        let options = session.observed().classification.options;
        let fallback = if action == MenuAction::Deny {
            options.iter().map(|o| o.number).max().unwrap_or(3)
        } else {
            1
        };
        let option = session.option_for(action).unwrap_or(fallback);
        session.choose(option).await?;
        self.log(Level::Action, &format!("{message} (option {option})"))
            .await;
        Ok(())
    }

    async fn wait_idle_briefly(&self) {
        if let Ok(s) = self.session() {
            s.wait_for(Duration::from_secs(5), |o| {
                matches!(o.state(), State::Idle | State::IdleWithInput)
            })
            .await;
        }
    }

    async fn handle_api_error(
        &mut self,
        c: &crate::screen::Classification,
        repeats: &mut Repeats,
    ) -> Result<(), Halt> {
        let error = c.error.clone();
        let kind = error.as_ref().map_or(ErrorKind::Other, |e| e.kind);
        let message = error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        self.log(
            Level::Error,
            &format!("Claude's model API failed ({kind:?}): {message}"),
        )
        .await;
        match kind {
            ErrorKind::Auth => {
                let answer = self
                    .ask_human(&format!(
                        "Claude Code cannot use its model API: the credentials were rejected ({message}). Fix the agent's API key, then reply to continue."
                    ))
                    .await?;
                self.log(Level::Info, &format!("Owner replied: {answer}"))
                    .await;
                self.restart_cli("credentials were fixed").await?;
                self.wait_ready().await?;
                self.send_text(
                    "Please continue with the current step.",
                    "Asked Claude to continue",
                )
                .await?;
            }
            ErrorKind::PromptTooLong => {
                self.send_text("/compact", "Context is full: compacting")
                    .await?;
            }
            _ => {
                let n = repeats.note(&format!("api:{kind:?}"));
                let max = u32::try_from(self.agent().max_retries).unwrap_or(3);
                if n > max {
                    let answer = self
                        .ask_human(&format!("Claude's model API keeps failing ({message}), {n} times in a row. Reply to try again."))
                        .await?;
                    self.log(Level::Info, &format!("Owner replied: {answer}"))
                        .await;
                    *repeats = Repeats::default();
                } else {
                    let wait = self.deps.timing.api_error_backoff * 2u32.saturating_pow(n - 1);
                    self.log(
                        Level::Info,
                        &format!("Retrying in {} s (attempt {n} of {max})", wait.as_secs()),
                    )
                    .await;
                    self.sleep(wait).await?;
                }
                self.send_text(
                    "Please continue with the current step.",
                    "Asked Claude to continue",
                )
                .await?;
            }
        }
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

    async fn resend_step(&mut self, index: usize) -> Result<(), Halt> {
        let project = self.project().await?;
        let (rules, claude_md, memory) = self.context_files();
        let text = prompt::step_prompt(
            &prompt::Context {
                project: &project,
                rules: &rules,
                claude_md: &claude_md,
                memory: &memory,
            },
            index,
        );
        self.send_text(
            &text,
            &format!("Re-sent step {} after the restart", index + 1),
        )
        .await
    }

    /// Types a message into the CLI once it can take one.
    pub(super) async fn send_text(&mut self, text: &str, log: &str) -> Result<(), Halt> {
        self.wait_for_human_release().await?;
        self.wait_ready().await?;
        self.session()?.submit(text).await?;
        self.log(Level::Action, log).await;
        Ok(())
    }

    pub(super) async fn forward_user_text(&mut self, text: &str) -> Result<(), Halt> {
        self.send_text(text, "Sent the owner's message to Claude")
            .await
    }

    /// Asks the owner and waits for the reply (needs_help); the question survives a daemon
    /// restart in the project row.
    pub(super) async fn ask_human(&mut self, question: &str) -> Result<String, Halt> {
        self.set_status("needs_help", Some(question)).await?;
        self.log(Level::AgentDecision, &format!("Needs help: {question}"))
            .await;
        loop {
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                cmd = self.inbox.recv() => match cmd {
                    Some(Command::Message { text, from }) => {
                        self.log(Level::Info, &format!("{from} replied: {text}")).await;
                        self.set_status("running", None).await?;
                        return Ok(text);
                    }
                    Some(Command::Pause) => self.paused = true,
                    Some(Command::Resume) => self.paused = false,
                    None => return Err(Halt::Cancelled),
                },
            }
        }
    }

    pub(super) async fn sleep(&self, d: Duration) -> Result<(), Halt> {
        tokio::select! {
            () = self.cancel.cancelled() => Err(Halt::Cancelled),
            () = tokio::time::sleep(d) => Ok(()),
        }
    }

    /// While a person has taken over the terminal, the controller sends nothing; it waits
    /// until they release it (or their idle timeout does).
    async fn wait_for_human_release(&self) -> Result<(), Halt> {
        let human = &self.deps.human;
        if !human.is_human_in_control(self.project_id) {
            return Ok(());
        }
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

    fn take_wait(&mut self) -> Option<Duration> {
        self.wait_request.take()
    }

    /// Asks the supervising agent (or the rules, if it cannot answer) and carries out what
    /// it decided.
    async fn decide_and_act(
        &mut self,
        event: Event,
        index: usize,
        repeats: &mut Repeats,
    ) -> Result<Option<StepEnd>, Halt> {
        let decision = self.consult(&event, index, repeats.fallbacks).await?;
        if decision.source == decide::Source::Fallback {
            repeats.fallbacks += 1;
        } else {
            repeats.fallbacks = 0;
        }
        self.apply(decision, index).await
    }

    async fn consult(
        &mut self,
        event: &Event,
        index: usize,
        prior_fallbacks: u32,
    ) -> Result<Decision, Halt> {
        let project = self.project().await?;
        let (rules, claude_md, memory) = self.context_files();
        let history = prompt::read_or_empty(&self.workspace.join(".nanobot/HISTORY.md"));
        let mut recent: Vec<String> = history.lines().rev().take(8).map(str::to_owned).collect();
        recent.reverse();
        let screen = self.session()?.screen_text();
        let ctx = DecisionContext {
            event: event.clone(),
            plan: project.implementation_plan.0.clone(),
            current_step: Some(index),
            description: project.description.clone(),
            architecture: project.architecture.clone(),
            rules: format!("{rules}\n\n{claude_md}"),
            memory,
            screen,
            recent_decisions: recent,
            allowed_tools: self.agent().tools.0.clone(),
            prior_fallbacks,
        };
        let cfg = &self.deps.decide;
        let decision = match &self.llm {
            Some(llm) => decide::decide(llm, cfg, &ctx).await,
            None => decide::decide_without_llm(cfg, &ctx, "no supervising LLM is configured"),
        };
        self.record_usage(decision.usage).await?;
        let state = self.session()?.observed().state();
        let actions: Vec<String> = decision.actions.iter().map(|a| format!("{a:?}")).collect();
        let line = format!(
            "- {} | state {} | {:?} | {} | {}",
            crate::tokens::now_secs(),
            state,
            decision.source,
            actions.join(", "),
            decision.reason
        );
        if let Err(e) = prompt::append_line(&self.workspace.join(".nanobot/HISTORY.md"), &line) {
            tracing::warn!("writing HISTORY.md: {e}");
        }
        self.log(
            Level::AgentDecision,
            &format!(
                "{}: {} ({})",
                event_name(event),
                actions.join(", "),
                decision.reason
            ),
        )
        .await;
        Ok(decision)
    }

    pub(super) async fn record_usage(&self, usage: crate::llm::Usage) -> Result<(), Halt> {
        if usage.prompt_tokens + usage.completion_tokens == 0 {
            return Ok(());
        }
        let model = self.agent().model.clone();
        let cost =
            self.deps
                .config
                .file
                .cost_usd(&model, usage.prompt_tokens, usage.completion_tokens);
        db::usage::record(
            &self.deps.db,
            self.user_id,
            self.project_id,
            &model,
            usage.prompt_tokens,
            usage.completion_tokens,
            cost,
        )
        .await?;
        Ok(())
    }

    async fn apply(&mut self, decision: Decision, index: usize) -> Result<Option<StepEnd>, Halt> {
        for action in decision.actions {
            match action {
                Action::SendMessage { text } => {
                    self.send_text(&text, "Sent the supervisor's message to Claude")
                        .await?
                }
                Action::AnswerPrompt { option } => {
                    let option = u32::try_from(option).unwrap_or(u32::MAX);
                    self.session()?.choose(option).await?;
                    self.log(Level::Action, &format!("Chose option {option}"))
                        .await;
                }
                Action::PressKey { key } => {
                    let name = key.tmux_name();
                    let k = crate::tmux::Key::from_name(&name)
                        .ok_or_else(|| Halt::Setup(format!("unknown key {name}")))?;
                    self.session()?.press(k).await?;
                    self.log(Level::Action, &format!("Pressed {name}")).await;
                }
                Action::MarkStepDone { summary } => {
                    return self
                        .mark_step(index, StepStatus::Done, &summary)
                        .await
                        .map(Some);
                }
                Action::MarkStepFailed { reason } => {
                    self.mark_step(index, StepStatus::Failed, &reason).await?;
                    return Err(Halt::Failed(format!("step {} failed: {reason}", index + 1)));
                }
                Action::AddStep {
                    title,
                    details,
                    after,
                } => {
                    let mut project = self.project().await?;
                    let plan = &mut project.implementation_plan.0;
                    let at = after.map_or(plan.len(), |a| (a + 1).min(plan.len()));
                    plan.insert(
                        at,
                        db::projects::Step {
                            title: title.clone(),
                            details,
                            status: StepStatus::Pending,
                        },
                    );
                    db::projects::set_plan(&self.deps.db, self.project_id, plan).await?;
                    self.publish_plan(plan);
                    self.log(Level::Action, &format!("Added step {}: {title}", at + 1))
                        .await;
                }
                Action::UpdateStep {
                    index: i,
                    title,
                    details,
                } => {
                    let mut project = self.project().await?;
                    let plan = &mut project.implementation_plan.0;
                    if let Some(step) = plan.get_mut(i) {
                        if let Some(t) = title {
                            step.title = t;
                        }
                        if let Some(d) = details {
                            step.details = d;
                        }
                        db::projects::set_plan(&self.deps.db, self.project_id, plan).await?;
                        self.publish_plan(plan);
                        self.log(Level::Action, &format!("Updated step {}", i + 1))
                            .await;
                    }
                }
                Action::AskHuman { question } => {
                    let answer = self.ask_human(&question).await?;
                    self.forward_user_text(&answer).await?;
                }
                Action::RestartCli => {
                    self.restart_cli("the supervisor asked for a restart")
                        .await?;
                    self.wait_ready().await?;
                    self.resend_step(index).await?;
                }
                Action::Remember { fact } => {
                    let path = self.workspace.join(".nanobot/MEMORY.md");
                    if let Err(e) = prompt::append_line(&path, &format!("- {fact}")) {
                        tracing::warn!("writing MEMORY.md: {e}");
                    }
                    self.log(Level::Action, &format!("Remembered: {fact}"))
                        .await;
                }
                Action::Wait { seconds } => {
                    self.wait_request = Some(Duration::from_secs(seconds));
                }
            }
        }
        Ok(None)
    }

    async fn mark_step(
        &mut self,
        index: usize,
        status: StepStatus,
        note: &str,
    ) -> Result<StepEnd, Halt> {
        let mut project = self.project().await?;
        if let Some(step) = project.implementation_plan.0.get_mut(index) {
            step.status = status;
        }
        db::projects::set_plan(
            &self.deps.db,
            self.project_id,
            &project.implementation_plan.0,
        )
        .await?;
        db::projects::set_pending_action(&self.deps.db, self.project_id, None).await?;
        self.publish_plan(&project.implementation_plan.0);
        let word = if status == StepStatus::Done {
            "done"
        } else {
            "failed"
        };
        self.log(Level::Action, &format!("Step {} {word}: {note}", index + 1))
            .await;
        Ok(StepEnd::Done)
    }
}

fn event_name(event: &Event) -> &'static str {
    match event {
        Event::TurnFinished => "Turn finished",
        Event::Permission { .. } => "Permission",
        Event::Question { .. } => "Question",
        Event::ApiError { .. } => "API error",
        Event::Stall { .. } => "Stall",
        Event::Compacted => "Compacted",
        Event::UserMessage { .. } => "Message",
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
