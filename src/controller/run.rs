//! One project's controller loop: bring the CLI up (or take over the one still running),
//! plan if there is no plan, then for each step send it, supervise it until it is done,
//! and finish. Everything it does is logged to the project's journal and HISTORY.md.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::session::{CliSession, LaunchPlan, user_cli_paths};
use super::{Command, Deps, StartMode, prompt};
use crate::agent_config::EnvValue;
use crate::db::{self, agents::Agent, logs::Level, projects::Project, projects::StepStatus};
use crate::hooks::{self, HookEvent};
use crate::journal::ProjectEvent;
use crate::llm::{LlmClient, LlmConfig};
use crate::profile::{Profile, Resume, SessionContext};
use crate::tmux::SessionName;

/// How a loop ended.
pub enum RunEnd {
    /// Stopped from outside; the CLI session is handed back for the caller to shut down
    /// (or to leave running, on daemon shutdown).
    Cancelled(Option<CliSession>),
    Completed,
    Failed,
}

/// Why the inner loop stopped early.
#[derive(Debug, thiserror::Error)]
pub(super) enum Halt {
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Failed(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("CLI session: {0}")]
    Session(#[from] super::session::SessionError),
    #[error("{0}")]
    Setup(String),
}

/// The action in flight, persisted so a restarted daemon does not send it twice.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Pending {
    StepSent { step: usize },
}

pub struct Run {
    pub(super) deps: Arc<Deps>,
    pub(super) project_id: i64,
    pub(super) user_id: i64,
    pub(super) instance_id: i64,
    pub(super) inbox: mpsc::Receiver<Command>,
    pub(super) hook_events: Option<mpsc::Receiver<HookEvent>>,
    pub(super) cancel: CancellationToken,
    pub(super) session: Option<CliSession>,
    pub(super) llm: Option<LlmClient>,
    pub(super) agent: Option<Agent>,
    pub(super) workspace: PathBuf,
    pub(super) user_dir: PathBuf,
    pub(super) paused: bool,
    /// Set by a `wait` action: look at the CLI again after this long.
    pub(super) wait_request: Option<std::time::Duration>,
    /// The last resumed start failed: the next restart starts a fresh conversation.
    pub(super) fresh_restart: bool,
}

impl Run {
    pub fn new(
        deps: Arc<Deps>,
        project_id: i64,
        user_id: i64,
        instance_id: i64,
        inbox: mpsc::Receiver<Command>,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            deps,
            project_id,
            user_id,
            instance_id,
            inbox,
            hook_events: None,
            cancel,
            session: None,
            llm: None,
            agent: None,
            workspace: PathBuf::new(),
            user_dir: PathBuf::new(),
            paused: false,
            wait_request: None,
            fresh_restart: false,
        }
    }

    pub async fn run(mut self, mode: StartMode) -> RunEnd {
        let outcome = self.run_inner(mode).await;
        match outcome {
            Ok(()) => {
                self.finish_instance("stopped").await;
                if let Some(s) = self.session.take()
                    && let Err(e) = s.shut_down().await
                {
                    tracing::warn!(project = self.project_id, "quitting the CLI: {e}");
                }
                RunEnd::Completed
            }
            Err(Halt::Cancelled) => RunEnd::Cancelled(self.session.take()),
            Err(e) => {
                let message = format!("Controller stopped: {e}");
                self.log(Level::Error, &message).await;
                let _ = self
                    .set_status("failed", None)
                    .await
                    .map_err(|e| tracing::error!("{e}"));
                self.finish_instance("crashed").await;
                if let Some(s) = self.session.take()
                    && let Err(e) = s.shut_down().await
                {
                    tracing::warn!(project = self.project_id, "quitting the CLI: {e}");
                }
                RunEnd::Failed
            }
        }
    }

    async fn finish_instance(&self, status: &str) {
        if let Err(e) = db::instances::finish(&self.deps.db, self.instance_id, status).await {
            tracing::error!(project = self.project_id, "ending instance: {e}");
        }
        self.deps.hooks.unregister(self.project_id);
    }

    async fn run_inner(&mut self, mode: StartMode) -> Result<(), Halt> {
        let project = self.project().await?;
        let agent = db::agents::get(&self.deps.db, self.user_id, project.agent_id)
            .await?
            .ok_or_else(|| Halt::Setup("the project's agent is gone".into()))?;
        let owner = db::users::get(&self.deps.db, self.user_id)
            .await?
            .ok_or_else(|| Halt::Setup("the project's owner is gone".into()))?;
        self.workspace = PathBuf::from(&project.workspace_path);
        self.user_dir = self
            .deps
            .layout
            .user_dir(&owner.username)
            .map_err(|e| Halt::Setup(e.to_string()))?;
        self.llm = self.build_llm(&agent).await;
        self.agent = Some(agent);
        let verb = match mode {
            StartMode::Fresh => "Started",
            StartMode::Restart => "Restarted",
            StartMode::Adopt => "Re-adopted after a daemon restart",
        };
        self.log(Level::Info, &format!("{verb}; controller running"))
            .await;

        self.bring_up_cli(&project, mode).await?;
        if project.implementation_plan.0.is_empty() {
            self.plan().await?;
        }
        if project.status == "needs_help"
            && let Some(q) = project.question.clone()
        {
            let answer = self.ask_human(&q).await?;
            self.forward_user_text(&answer).await?;
        }
        loop {
            self.check_cancel()?;
            self.wait_while_paused().await?;
            let project = self.project().await?;
            let plan = &project.implementation_plan.0;
            let Some(index) = prompt::next_step(plan) else {
                return self.complete().await;
            };
            if plan[index].status == StepStatus::Failed {
                return Err(Halt::Failed(format!(
                    "step {} failed: {}",
                    index + 1,
                    plan[index].title
                )));
            }
            let already_sent = pending_of(&project) == Some(Pending::StepSent { step: index });
            if already_sent {
                self.log(
                    Level::Info,
                    &format!(
                        "Resuming step {} (already sent; not sending it again)",
                        index + 1
                    ),
                )
                .await;
            } else {
                self.send_step(index).await?;
            }
            self.supervise_step(index, !already_sent).await?;
        }
    }

    pub(super) async fn project(&self) -> Result<Project, Halt> {
        db::projects::get(&self.deps.db, self.user_id, self.project_id)
            .await?
            .ok_or_else(|| Halt::Setup("the project was deleted".into()))
    }

    pub(super) fn check_cancel(&self) -> Result<(), Halt> {
        if self.cancel.is_cancelled() {
            Err(Halt::Cancelled)
        } else {
            Ok(())
        }
    }

    pub(super) fn agent(&self) -> &Agent {
        // Set at the top of run_inner before anything else uses it.
        self.agent.as_ref().expect("agent is loaded first")
    }

    /// The supervising LLM, or None when the agent's provider cannot be reached (no key):
    /// decisions then fall back to the rules.
    async fn build_llm(&self, agent: &Agent) -> Option<LlmClient> {
        let key = match db::api_keys::latest_for_provider(
            &self.deps.db,
            self.user_id,
            &agent.llm_provider,
        )
        .await
        {
            Ok(row) => row.and_then(|r| r.open(&self.deps.master)),
            Err(e) => {
                tracing::error!("reading the LLM key: {e}");
                None
            }
        };
        let timeout = std::time::Duration::from_secs(self.deps.config.file.llm_timeout_secs);
        let config = LlmConfig::for_provider(
            &agent.llm_provider,
            agent.llm_base_url.as_deref(),
            key,
            &agent.model,
            timeout,
        );
        match config.and_then(LlmClient::new) {
            Ok(c) => Some(c),
            Err(e) => {
                self.log(
                    Level::Error,
                    &format!("Supervising LLM unavailable ({e}); using rule-based decisions"),
                )
                .await;
                None
            }
        }
    }

    /// Takes over the running CLI (Adopt) or launches a new one.
    async fn bring_up_cli(&mut self, project: &Project, mode: StartMode) -> Result<(), Halt> {
        let name = SessionName::new(project.tmux_session.clone())
            .map_err(|e| Halt::Setup(e.to_string()))?;
        let profile = Arc::new(
            Profile::builtin(&self.agent().cli.0.profile)
                .map_err(|e| Halt::Setup(e.to_string()))?,
        );
        if mode == StartMode::Adopt {
            let tmux = self.deps.monitor.tmux();
            let alive = tmux.has_session(&name).await.unwrap_or(false)
                && tmux
                    .session_panes(&name)
                    .await
                    .map(|p| p.iter().any(|p| !p.dead))
                    .unwrap_or(false);
            if alive {
                // The CLI's environment still holds the secret it was launched with.
                let (secret, rx) = match std::fs::read_to_string(self.hook_secret_path()) {
                    Ok(kept) if !kept.trim().is_empty() => self
                        .deps
                        .hooks
                        .register_secret(self.project_id, kept.trim().to_owned()),
                    _ => self.deps.hooks.register(self.project_id),
                };
                self.hook_events = Some(rx);
                self.write_hook_secret(&secret)?;
                let version = self.cli_version(&profile).await;
                let session = CliSession::adopt(
                    &self.deps.monitor,
                    &name,
                    profile,
                    version.as_deref(),
                    &self.cancel,
                )
                .await?;
                self.session = Some(session);
                self.log(Level::Info, "Took over the CLI still running in tmux")
                    .await;
                return Ok(());
            }
            self.log(
                Level::Info,
                "The CLI is gone; starting it again with --continue",
            )
            .await;
        }
        let resume = match mode {
            StartMode::Fresh => Resume::Fresh,
            _ => project
                .cli_session_id
                .clone()
                .map_or(Resume::Continue, Resume::Session),
        };
        self.launch(&name, profile, resume).await
    }

    /// Where the hook secret of the current session is kept, so a re-adopted CLI (whose
    /// environment cannot change) still posts with a secret the new daemon knows.
    fn hook_secret_path(&self) -> PathBuf {
        self.user_dir
            .join("config")
            .join("sessions")
            .join(format!("{}.hook-secret", self.project_id))
    }

    fn write_hook_secret(&self, secret: &str) -> Result<(), Halt> {
        crate::workspace::write_atomic(&self.hook_secret_path(), secret.as_bytes())
            .map_err(|e| Halt::Setup(e.to_string()))
    }

    async fn cli_version(&self, profile: &Profile) -> Option<String> {
        let spec = profile.version.as_ref()?;
        let program = self
            .agent()
            .cli
            .0
            .command
            .clone()
            .unwrap_or_else(|| profile.launch.command.clone());
        spec.detect(&program, std::time::Duration::from_secs(10))
            .await
            .ok()
    }

    pub(super) async fn launch(
        &mut self,
        name: &SessionName,
        profile: Arc<Profile>,
        resume: Resume,
    ) -> Result<(), Halt> {
        if let Some(old) = self.session.take() {
            drop(old);
        }
        let agent = self.agent().clone();
        let project = self.project().await?;
        let (config_dir, settings_file) = user_cli_paths(&self.user_dir, &project.slug);
        let mut env: Vec<(String, String)> = self
            .deps
            .config
            .file
            .cli_env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut api_key = None;
        for (k, v) in &agent.cli.0.env {
            let value = match v {
                EnvValue::Literal(s) => s.clone(),
                EnvValue::ApiKey { api_key_id } => {
                    let row = db::api_keys::get(&self.deps.db, self.user_id, *api_key_id).await?;
                    let key = row.and_then(|r| r.open(&self.deps.master)).ok_or_else(|| {
                        Halt::Setup(format!(
                            "API key {api_key_id} for {k} is missing or unreadable"
                        ))
                    })?;
                    if k.ends_with("API_KEY") {
                        api_key = Some(key.clone());
                    }
                    key
                }
            };
            env.push((k.clone(), value));
        }
        // MERGE(account): the owner's own Claude Code account, unless `env` names one already.
        let own = crate::claude_account::launch_credential(
            &self.deps.db,
            &self.deps.master,
            self.user_id,
            &env,
        )
        .await
        .map_err(|e| Halt::Setup(e.to_string()))?;
        env.extend(own.env);
        api_key = api_key.or(own.api_key);
        // Each user's CLI gets a home of its own inside their directory, so nothing it
        // keeps in `~` is shared between family members or with the daemon.
        let home = self.user_dir.join("config").join("home");
        std::fs::create_dir_all(&home)
            .map_err(|e| Halt::Setup(format!("creating the CLI home: {e}")))?;
        if !agent.cli.0.env.contains_key("HOME") {
            env.push(("HOME".into(), home.to_string_lossy().into_owned()));
        }
        let (secret, rx) = self.deps.hooks.register(self.project_id);
        self.hook_events = Some(rx);
        self.write_hook_secret(&secret)?;
        env.push((hooks::ENV_URL.into(), self.deps.hook_url.clone()));
        env.push((hooks::ENV_SECRET.into(), secret));
        let cli_version = self.cli_version(&profile).await;
        let ctx = SessionContext {
            workspace: self.workspace.clone(),
            config_dir,
            settings_file: settings_file.clone(),
            api_key,
            cli_version: cli_version.clone(),
            auto_mode: agent.cli.0.auto_mode,
        };
        let plan = LaunchPlan {
            name: name.clone(),
            profile: profile.clone(),
            ctx,
            resume: resume.clone(),
            command: agent.cli.0.command.clone(),
            extra_args: agent.cli.0.args.clone(),
            env,
            width: 200,
            height: 50,
        };
        // The profile's pre-seed writes the settings file; the hooks go into it after.
        profile
            .preseed(&plan.ctx)
            .map_err(|e| Halt::Setup(e.to_string()))?;
        merge_hooks(
            &settings_file,
            &hooks::settings_block(&self.deps.autocode_bin),
        )
        .map_err(|e| Halt::Setup(format!("writing CLI settings: {e}")))?;
        let session = CliSession::launch(&self.deps.monitor, plan, &self.cancel).await?;
        let pid = session.pid;
        self.session = Some(session);
        self.await_session_start().await?;
        db::instances::set_pid(&self.deps.db, self.instance_id, pid).await?;
        let how = match resume {
            Resume::Fresh => "a new conversation".to_owned(),
            Resume::Continue => "--continue".to_owned(),
            Resume::Session(id) => format!("--resume {id}"),
        };
        self.log(
            Level::Action,
            &format!(
                "Launched {} ({how}) in tmux session {}",
                profile.display_name,
                name.as_str()
            ),
        )
        .await;
        Ok(())
    }

    /// Waits (bounded) for the CLI's SessionStart hook: text typed while its start-up hooks
    /// run is kept but its Enter is lost, even when the prompt is already drawn.
    async fn await_session_start(&mut self) -> Result<(), Halt> {
        let Some(rx) = self.hook_events.as_mut() else {
            return Ok(());
        };
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        let started = loop {
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                () = tokio::time::sleep_until(deadline) => break None,
                ev = rx.recv() => match ev {
                    Some(ev) if ev.name == "SessionStart" => break ev.session_id,
                    Some(_) => {}
                    None => break None,
                },
            }
        };
        match started {
            Some(id) => self.record_cli_session(&id).await?,
            None => tracing::warn!(
                project = self.project_id,
                "no SessionStart hook from the CLI; going on"
            ),
        }
        Ok(())
    }

    /// Keeps the CLI's session id (for `--resume`) when its SessionStart hook names a new one.
    pub(super) async fn record_cli_session(&self, id: &str) -> Result<(), Halt> {
        let project = self.project().await?;
        if project.cli_session_id.as_deref() != Some(id) {
            db::projects::set_cli_session_id(&self.deps.db, self.project_id, id).await?;
            self.log(Level::Info, &format!("Claude Code session {id} started"))
                .await;
        }
        Ok(())
    }

    /// Records an entry in the project's journal; a failing database is logged, not fatal.
    pub(super) async fn log(&self, level: Level, message: &str) {
        if let Err(e) = self
            .deps
            .journal
            .log(self.project_id, Some(self.instance_id), level, message)
            .await
        {
            tracing::error!(project = self.project_id, "writing log: {e}");
        }
    }

    pub(super) async fn set_status(
        &self,
        status: &str,
        question: Option<&str>,
    ) -> Result<(), Halt> {
        let project = self.project().await?;
        if project.status != status {
            self.log(
                Level::Info,
                &format!("Status {} → {status}", project.status),
            )
            .await;
        }
        db::projects::set_status(
            &self.deps.db,
            self.project_id,
            status,
            project.current_step,
            question,
        )
        .await?;
        self.deps.journal.publish(ProjectEvent::Status {
            project_id: self.project_id,
            status: status.to_owned(),
            current_step: project.current_step,
            question: question.map(str::to_owned),
        });
        Ok(())
    }

    async fn complete(&mut self) -> Result<(), Halt> {
        db::projects::set_pending_action(&self.deps.db, self.project_id, None).await?;
        self.set_status("completed", None).await?;
        self.log(Level::Info, "All steps are done: project completed")
            .await;
        Ok(())
    }

    pub(super) async fn wait_while_paused(&mut self) -> Result<(), Halt> {
        while self.paused {
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                cmd = self.inbox.recv() => match cmd {
                    Some(Command::Resume) => {
                        self.paused = false;
                        self.set_status("running", None).await?;
                    }
                    Some(Command::Message { text, from }) => {
                        self.log(Level::Info, &format!("Message from {from} while paused: sent to Claude")).await;
                        self.forward_user_text(&text).await?;
                    }
                    Some(Command::Pause) => {}
                    None => return Err(Halt::Cancelled),
                },
            }
        }
        Ok(())
    }
}

pub(super) fn pending_of(project: &Project) -> Option<Pending> {
    project
        .pending_action
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
}

/// Adds the hooks block to the settings file the profile pre-seeded.
fn merge_hooks(settings_file: &std::path::Path, hooks: &serde_json::Value) -> std::io::Result<()> {
    let mut settings: serde_json::Value = std::fs::read_to_string(settings_file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    if !settings.is_object() {
        settings = serde_json::json!({});
    }
    settings["hooks"] = hooks.clone();
    let text = serde_json::to_vec_pretty(&settings).map_err(std::io::Error::other)?;
    crate::workspace::write_atomic(settings_file, &text)
}
