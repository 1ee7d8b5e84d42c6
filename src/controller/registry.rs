//! The registry of controller loops: at most one per project. Stop cancels the loop and
//! then shuts its CLI down; daemon shutdown only cancels (the CLIs keep running in tmux
//! and the next daemon re-adopts them from their `running` instance rows).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Deps;
use super::run::{Run, RunEnd};
use crate::db::instances::InstanceStatus;
use crate::db::projects::{Project, ProjectStatus};
use crate::db::{self, logs::Level};
use crate::journal::ProjectEvent;
use crate::tmux::SessionName;
use places::{Loops, Slot};

mod places;

/// How a loop begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMode {
    /// A new start: a fresh CLI conversation.
    Fresh,
    /// A user restart: a new CLI process continuing the last conversation.
    Restart,
    /// After a daemon restart: take over the CLI that is still running, send nothing twice.
    Adopt,
}

/// A stopped project held still ([`Controllers::hold_stopped`]); released when dropped.
pub struct Held<'a> {
    // Only dropped: its drop gives the place back.
    _slot: Slot<'a>,
}

/// What the API can tell a running loop.
#[derive(Debug, Clone)]
pub enum Command {
    /// The user's answer when the project needs help, or an instruction at any time.
    Message {
        text: String,
        from: String,
    },
    Pause,
    Resume,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("the project is already running")]
    AlreadyRunning,
    #[error("the project is not running")]
    NotRunning,
    #[error("the project is starting or being changed; try again in a moment")]
    Busy,
    #[error(
        "you already have {0} projects running, the most one member may run at once; \
         stop one first"
    )]
    TooManyRunning(usize),
    /// The sandbox cannot be created; the message names the cause and the fix.
    #[error("{0}")]
    Sandbox(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

struct LoopHandle {
    user_id: i64,
    cancel: CancellationToken,
    inbox: mpsc::Sender<Command>,
    task: JoinHandle<RunEnd>,
}

pub struct Controllers {
    deps: Arc<Deps>,
    root: CancellationToken,
    loops: Mutex<Loops>,
}

impl Controllers {
    pub fn new(deps: Deps, root: CancellationToken) -> Arc<Self> {
        Arc::new(Self {
            deps: Arc::new(deps),
            root,
            loops: Mutex::new(Loops::default()),
        })
    }

    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    fn loops(&self) -> std::sync::MutexGuard<'_, Loops> {
        self.loops.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_running(&self, project_id: i64) -> bool {
        self.loops().is_running(project_id)
    }

    /// Takes the project's one place for a start, checked and taken under one lock before
    /// anything is written, so of two concurrent starts the loser leaves nothing behind.
    /// A new CLI also needs a place under the member's limit (`max_running_projects`);
    /// re-adoption (`counted` false) takes back what already runs.
    fn reserve(&self, project: &Project, counted: bool) -> Result<Slot<'_>, ControlError> {
        let mut loops = self.loops();
        if loops.is_running(project.id) || loops.starting.contains_key(&project.id) {
            return Err(ControlError::AlreadyRunning);
        }
        let running = loops.count_for(project.user_id);
        if counted && running >= self.deps.config.file.max_running_projects {
            return Err(ControlError::TooManyRunning(running));
        }
        loops.starting.insert(project.id, project.user_id);
        Ok(Slot::new(self, project.id))
    }

    /// Keeps a stopped project from starting while the caller changes its workspace
    /// (undoing a step): refused if it runs or is starting; a start meanwhile is a 409.
    pub fn hold_stopped(&self, project: &Project) -> Result<Held<'_>, ControlError> {
        // Not counted: holding a project still is not running it.
        Ok(Held {
            _slot: self.reserve(project, false)?,
        })
    }

    /// Starts the loop of a project; a second start while one runs is refused.
    pub async fn start(
        self: &Arc<Self>,
        project: &Project,
        mode: StartMode,
    ) -> Result<(), ControlError> {
        // Checked before anything is recorded, so a refused start leaves nothing behind.
        let sandbox = crate::sandbox::Settings::from_config(&self.deps.config.file);
        if mode != StartMode::Adopt && sandbox.enabled {
            crate::sandbox::check(&sandbox)
                .await
                .map_err(ControlError::Sandbox)?;
        }
        let slot = self.reserve(project, mode != StartMode::Adopt)?;
        let instance = self.instance_for(project, mode).await?;
        let mut loops = self.loops();
        slot.fill(&mut loops);
        let cancel = self.root.child_token();
        let (tx, rx) = mpsc::channel(64);
        let run = Run::new(
            self.deps.clone(),
            project.id,
            project.user_id,
            instance,
            rx,
            cancel.clone(),
        );
        let me = Arc::downgrade(self);
        let project_id = project.id;
        let task = tokio::spawn(async move {
            let end = run.run(mode).await;
            // A loop that ended on its own (completed, failed) leaves the registry itself.
            if !matches!(end, RunEnd::Cancelled(_))
                && let Some(me) = me.upgrade()
            {
                me.loops().running.remove(&project_id);
            }
            end
        });
        loops.running.insert(
            project.id,
            LoopHandle {
                user_id: project.user_id,
                cancel,
                inbox: tx,
                task,
            },
        );
        Ok(())
    }

    /// The instance row a start runs under (its place is held): the running one for a
    /// re-adoption, else a new one. The database holds at most one running row per project.
    async fn instance_for(&self, project: &Project, mode: StartMode) -> Result<i64, ControlError> {
        let db = &self.deps.db;
        match (
            mode,
            db::instances::running_for_project(db, project.id).await?,
        ) {
            (StartMode::Adopt, Some(id)) => return Ok(id),
            // A row left `running` by a loop that is gone (e.g. the CLI was stopped by
            // hand); it is over.
            (_, Some(id)) => db::instances::finish(db, id, InstanceStatus::Crashed).await?,
            (_, None) => {}
        }
        db::instances::start(db, project.user_id, project.agent_id, project.id)
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    ControlError::AlreadyRunning
                } else {
                    e.into()
                }
            })
    }

    /// Stops a project: cancels its loop, quits the CLI, kills its tmux session and ends
    /// the instance. Works on a project whose loop is gone too (cleans up what is left).
    pub async fn stop(
        &self,
        project: &Project,
        status_after: ProjectStatus,
    ) -> Result<bool, ControlError> {
        let handle = {
            let mut loops = self.loops();
            // A start under way would record its instance after this stop ended it.
            if loops.starting.contains_key(&project.id) {
                return Err(ControlError::Busy);
            }
            loops.running.remove(&project.id)
        };
        let was_running = handle.is_some();
        let mut session = None;
        if let Some(h) = handle {
            h.cancel.cancel();
            match tokio::time::timeout(Duration::from_secs(15), h.task).await {
                Ok(Ok(RunEnd::Cancelled(s))) => session = s,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(project = project.id, "controller task failed: {e}"),
                Err(_) => tracing::error!(project = project.id, "controller did not stop in time"),
            }
        }
        if let Some(s) = session {
            if let Err(e) = s.shut_down().await {
                tracing::warn!(project = project.id, "quitting the CLI: {e}");
            }
        } else if let Ok(name) = SessionName::new(project.tmux_session.clone()) {
            let tmux = self.deps.monitor.tmux();
            if tmux.has_session(&name).await.unwrap_or(false)
                && let Err(e) = tmux.kill_session(&name).await
            {
                tracing::warn!(project = project.id, "killing the tmux session: {e}");
            }
        }
        self.deps.hooks.unregister(project.id);
        self.deps.human.release_any(project.id);
        if let Some(id) = db::instances::running_for_project(&self.deps.db, project.id).await? {
            db::instances::finish(&self.deps.db, id, InstanceStatus::Stopped).await?;
        }
        db::projects::set_status(
            &self.deps.db,
            project.id,
            status_after,
            project.current_step,
            None,
        )
        .await?;
        db::projects::set_pending_action(&self.deps.db, project.id, None).await?;
        self.deps.journal.publish(ProjectEvent::Status {
            project_id: project.id,
            status: status_after,
            current_step: project.current_step,
            question: None,
        });
        if was_running {
            self.deps
                .journal
                .log(
                    project.id,
                    None,
                    Level::Info,
                    &format!("Stopped; the project is {}", status_after.words()),
                )
                .await?;
        }
        Ok(was_running)
    }

    pub async fn send(&self, project_id: i64, command: Command) -> Result<(), ControlError> {
        let inbox = self
            .loops()
            .running
            .get(&project_id)
            .filter(|h| !h.task.is_finished())
            .map(|h| h.inbox.clone())
            .ok_or(ControlError::NotRunning)?;
        inbox
            .send(command)
            .await
            .map_err(|_| ControlError::NotRunning)
    }

    /// Re-adopts every project whose instance was running when the daemon last stopped.
    pub async fn boot(self: &Arc<Self>) -> Result<usize, ControlError> {
        let projects = db::projects::with_running_instance(&self.deps.db).await?;
        for p in &projects {
            tracing::info!(project = p.id, session = %p.tmux_session, "re-adopting running project");
            self.start(p, StartMode::Adopt).await?;
        }
        Ok(projects.len())
    }

    /// Daemon shutdown: ends every loop but leaves the CLIs running for the next start.
    pub async fn shutdown(&self) {
        self.root.cancel();
        let handles: Vec<LoopHandle> = self.loops().running.drain().map(|(_, h)| h).collect();
        for h in handles {
            if tokio::time::timeout(Duration::from_secs(10), h.task)
                .await
                .is_err()
            {
                tracing::warn!("a controller did not stop in time");
            }
        }
    }
}
