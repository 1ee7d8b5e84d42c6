//! The life of a project: create, start, stop, pause, resume, restart, message, delete.
//! The one place that decides whether a project may start (completed, launch rules, the
//! member's limit of running projects through the registry), names its files and tmux
//! session, and cleans up after it. HTTP handlers and the scheduler only call it; it never
//! speaks HTTP. It also holds who is typing into which project ([`HumanControl`]), which
//! the controllers consult before they type.

mod create;
pub mod fields;
pub mod human;
mod remote;

use std::sync::Arc;

pub use create::NewProject;
pub use human::{Holder, HumanControl};

use crate::controller::{Command, ControlError, Controllers, Deps, StartMode};
use crate::db::{self, projects::Project, projects::ProjectStatus};
use crate::git::GitError;
use crate::workspace::PathError;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("no such project")]
    NotFound,
    #[error("the project is completed; edit its plan to add work, then restart")]
    Completed,
    /// The agent's saved launch settings break the launch rules (`field` names what).
    #[error("{field}: {reason} (edit agent \"{agent}\")")]
    Launch {
        field: String,
        reason: String,
        agent: String,
    },
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("you already have a project with that name")]
    NameTaken,
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type Result<T> = std::result::Result<T, LifecycleError>;

impl LifecycleError {
    /// The error as a member reads it in a project's log: faults of the server itself
    /// (its database, its own files) in plain words, their detail left to the server log.
    pub fn for_member(&self) -> String {
        match self {
            LifecycleError::Db(_) | LifecycleError::Control(ControlError::Db(_)) => {
                "the server could not use its database (the administrator can see why in the server log)".into()
            }
            LifecycleError::Path(PathError::Io(_)) => {
                "the server could not reach the project's folder (the administrator can see why in the server log)".into()
            }
            other => other.to_string(),
        }
    }
}

/// Starts, stops and messages projects; one per daemon, shared by the API and the scheduler.
pub struct Lifecycle {
    controllers: Arc<Controllers>,
}

impl Lifecycle {
    pub fn new(controllers: Arc<Controllers>) -> Arc<Self> {
        Arc::new(Self { controllers })
    }

    pub fn controllers(&self) -> &Arc<Controllers> {
        &self.controllers
    }

    fn deps(&self) -> &Deps {
        self.controllers.deps()
    }

    /// Who is typing into which project's terminal.
    pub fn human(&self) -> &HumanControl {
        &self.deps().human
    }

    /// The sandbox of the member whose directory is `member_dir` (their CLI, git, login).
    pub fn member_sandbox(&self, member_dir: &std::path::Path) -> crate::sandbox::Sandbox {
        self.deps().member_sandbox(member_dir)
    }

    /// The live screens and the daemon's tmux server.
    pub fn monitor(&self) -> &crate::tmux::Monitor {
        &self.deps().monitor
    }

    pub fn is_running(&self, project_id: i64) -> bool {
        self.controllers.is_running(project_id)
    }

    /// Keeps a stopped project from starting while its workspace changes (undoing a step).
    pub fn hold_stopped(
        &self,
        project: &Project,
    ) -> std::result::Result<crate::controller::Held<'_>, ControlError> {
        self.controllers.hold_stopped(project)
    }

    /// Starts a project that is not running: a fresh conversation (`StartMode::Fresh`) or
    /// continuing the last one (`StartMode::Restart`). Refused for a completed project and
    /// for an agent whose launch settings break the rules.
    pub async fn start(&self, project: &Project, mode: StartMode) -> Result<()> {
        if project.status == ProjectStatus::Completed {
            return Err(LifecycleError::Completed);
        }
        self.check_launch_settings(project).await?;
        self.controllers.start(project, mode).await?;
        Ok(())
    }

    /// Stops a running project; it is paused afterwards.
    pub async fn stop(&self, project: &Project) -> Result<()> {
        if !self
            .controllers
            .stop(project, ProjectStatus::Paused)
            .await?
        {
            return Err(ControlError::NotRunning.into());
        }
        Ok(())
    }

    /// A new CLI process continuing the last conversation, whether or not one ran.
    pub async fn restart(&self, project: &Project) -> Result<()> {
        self.check_launch_settings(project).await?;
        self.controllers.stop(project, project.status).await?;
        let project = self.reload(project).await?;
        self.controllers.start(&project, StartMode::Restart).await?;
        Ok(())
    }

    pub async fn pause(&self, project: &Project) -> Result<()> {
        self.controllers.send(project.id, Command::Pause).await?;
        Ok(())
    }

    /// Resumes a paused loop, or starts a stopped (paused) project's loop again,
    /// continuing its conversation.
    pub async fn resume(&self, project: &Project) -> Result<()> {
        match self.controllers.send(project.id, Command::Resume).await {
            Ok(()) => Ok(()),
            Err(ControlError::NotRunning) if project.status == ProjectStatus::Paused => {
                self.check_launch_settings(project).await?;
                self.controllers.start(project, StartMode::Restart).await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A member's message to one of their projects: an answer or an instruction.
    pub async fn message(&self, project: &Project, from: String, text: &str) -> Result<()> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 20_000 {
            return Err(LifecycleError::Invalid {
                field: "text".into(),
                reason: "must be 1 to 20000 characters".into(),
            });
        }
        let command = Command::Message {
            text: text.to_owned(),
            from,
        };
        self.controllers.send(project.id, command).await?;
        Ok(())
    }

    /// Stops a project's controller and CLI (whatever state they are in) before its rows or
    /// files go away with it, its agent or its owner.
    pub async fn stop_for_removal(&self, project: &Project) -> Result<()> {
        self.controllers.stop(project, project.status).await?;
        Ok(())
    }

    /// Deletes a project: its loop and CLI, its rows, its workspace.
    pub async fn delete(&self, project: &Project) -> Result<()> {
        self.stop_for_removal(project).await?;
        db::projects::delete(&self.deps().db, project.user_id, project.id).await?;
        self.remove_workspace(project.user_id, &project.workspace_path)
            .await
    }

    /// Daemon shutdown: the loops end, the CLIs keep running for the next start.
    pub async fn shutdown(&self) {
        self.controllers.shutdown().await;
    }

    async fn reload(&self, project: &Project) -> Result<Project> {
        db::projects::get(&self.deps().db, project.user_id, project.id)
            .await?
            .ok_or(LifecycleError::NotFound)
    }

    /// An agent saved before the launch rules existed (or using an installation the admin
    /// has since removed) must not launch; the member learns which field to fix.
    async fn check_launch_settings(&self, project: &Project) -> Result<()> {
        let deps = self.deps();
        let agent = db::agents::get(&deps.db, project.user_id, project.agent_id)
            .await?
            .ok_or(LifecycleError::NotFound)?;
        crate::launch_rules::check(&deps.config.file, &agent.cli.0).map_err(|e| {
            LifecycleError::Launch {
                field: e.field,
                reason: e.reason,
                agent: agent.name.clone(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_faults_are_told_in_plain_words() {
        let db = LifecycleError::Db(sqlx::Error::PoolTimedOut).for_member();
        assert!(db.contains("could not use its database"), "{db}");
        let io = std::io::Error::other("disk on fire");
        let folder = LifecycleError::Path(PathError::Io(io)).for_member();
        assert!(!folder.contains("disk on fire"), "{folder}");
        let busy = LifecycleError::Control(ControlError::AlreadyRunning).for_member();
        assert_eq!(busy, "the project is already running");
    }
}
