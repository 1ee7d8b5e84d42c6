//! One project's controller loop: bring the CLI up (or take over the one still running),
//! plan if there is no plan, then for each step send it, supervise it until it is done,
//! and finish. Everything it does is logged to the project's journal and HISTORY.md.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::session::CliSession;
use super::{Command, Deps, StartMode, prompt};
use crate::db::instances::InstanceStatus;
use crate::db::projects::{Project, ProjectStatus, StepStatus};
use crate::db::{self, agents::Agent, logs::Level};
use crate::hooks::Posted;
use crate::journal::ProjectEvent;
use crate::llm::{LlmClient, LlmConfig};

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

impl Halt {
    /// Why the controller stopped, for the project's log: the daemon's own failures (its
    /// database, tmux) are named, their details stay in the daemon's log.
    pub(super) fn for_member(&self) -> String {
        match self {
            Halt::Cancelled => "it was stopped".into(),
            Halt::Failed(why) | Halt::Setup(why) => why.clone(),
            Halt::Db(_) => "the daemon could not read or write its database (details are in the daemon's log)".into(),
            Halt::Session(super::session::SessionError::Tmux(_)) => {
                "the daemon could not drive Claude Code's terminal (details are in the daemon's log)".into()
            }
            Halt::Session(e) => format!("Claude Code's terminal: {e}"),
        }
    }
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
    pub(super) hook_events: Option<mpsc::Receiver<Posted>>,
    /// The way back to a permission hook the CLI waits on, while the machine judges it.
    pub(super) hook_answer: Option<tokio::sync::oneshot::Sender<serde_json::Value>>,
    pub(super) cancel: CancellationToken,
    pub(super) session: Option<CliSession>,
    pub(super) llm: Option<LlmClient>,
    pub(super) agent: Option<Agent>,
    pub(super) workspace: PathBuf,
    pub(super) user_dir: PathBuf,
    pub(super) paused: bool,
    /// The last resumed start failed: the next restart starts a fresh conversation.
    pub(super) fresh_restart: bool,
    /// A step the supervisor found done whose commit is still to be made: it is made while
    /// the next step is typed, and before anything else reaches the CLI.
    pub(super) step_commit: Option<(usize, String)>,
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
            hook_answer: None,
            cancel,
            session: None,
            llm: None,
            agent: None,
            workspace: PathBuf::new(),
            user_dir: PathBuf::new(),
            paused: false,
            fresh_restart: false,
            step_commit: None,
        }
    }

    /// The project's whole loop, in a span naming the project: every line it (and what it
    /// awaits) logs carries the project id.
    #[tracing::instrument(name = "controller", skip_all, fields(project = self.project_id))]
    pub async fn run(mut self, mode: StartMode) -> RunEnd {
        let outcome = self.run_inner(mode).await;
        // However the loop ended, a done step keeps its commit.
        if let Err(e) = self.flush_step_commit().await {
            tracing::warn!(project = self.project_id, "committing the last step: {e}");
        }
        match outcome {
            Ok(()) => {
                self.finish_instance(InstanceStatus::Stopped).await;
                if let Some(s) = self.session.take()
                    && let Err(e) = s.shut_down().await
                {
                    tracing::warn!(project = self.project_id, "quitting the CLI: {e}");
                }
                RunEnd::Completed
            }
            Err(Halt::Cancelled) => RunEnd::Cancelled(self.session.take()),
            Err(e) => {
                tracing::error!(project = self.project_id, "controller stopped: {e}");
                self.log(
                    Level::Error,
                    &format!("Controller stopped: {}", e.for_member()),
                )
                .await;
                if let Err(e) = self.set_status(ProjectStatus::Failed, None).await {
                    tracing::error!(project = self.project_id, "recording the failure: {e}");
                }
                self.finish_instance(InstanceStatus::Crashed).await;
                if let Some(s) = self.session.take()
                    && let Err(e) = s.shut_down().await
                {
                    tracing::warn!(project = self.project_id, "quitting the CLI: {e}");
                }
                RunEnd::Failed
            }
        }
    }

    async fn finish_instance(&self, status: InstanceStatus) {
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
        // A stall recorded before (a daemon restart) is this new supervisor's to find again.
        self.report_stall(None).await?;

        self.bring_up_cli(&project, mode).await?;
        if project.implementation_plan.0.is_empty() {
            self.plan().await?;
        }
        if project.status == ProjectStatus::NeedsHelp
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
                // Right after a step's commit nothing is left before the next one: the
                // owed commit is made while the next step is typed (`send_step`).
                if self.step_commit.is_none() {
                    self.commit_before_step(index).await?;
                }
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
        status: ProjectStatus,
        question: Option<&str>,
    ) -> Result<(), Halt> {
        let project = self.project().await?;
        if project.status != status {
            self.log(
                Level::Info,
                &format!(
                    "The project was {}; now it is {}",
                    project.status.words(),
                    status.words()
                ),
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
            status,
            current_step: project.current_step,
            question: question.map(str::to_owned),
        });
        Ok(())
    }

    async fn complete(&mut self) -> Result<(), Halt> {
        self.flush_step_commit().await?;
        db::projects::set_pending_action(&self.deps.db, self.project_id, None).await?;
        self.finish_remote().await?;
        self.set_status(ProjectStatus::Completed, None).await?;
        self.log(Level::Info, "All steps are done: project completed")
            .await;
        Ok(())
    }

    pub(super) async fn wait_while_paused(&mut self) -> Result<(), Halt> {
        while self.paused {
            self.flush_step_commit().await?;
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                cmd = self.inbox.recv() => match cmd {
                    Some(Command::Resume) => {
                        self.paused = false;
                        self.set_status(ProjectStatus::Running, None).await?;
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
