//! A project's journal: every log entry is committed to the `logs` table first and then
//! published on a broadcast channel, so live subscribers never see an entry that a later
//! backlog read could miss. Status and plan changes travel on the same channel.

use serde::Serialize;
use sqlx::SqlitePool;
use tokio::sync::broadcast;

use crate::db::logs::{self, Level, LogEntry};
use crate::db::projects::Step;

/// Capacity of the in-process channel; a receiver that lags further re-reads the database.
const CHANNEL_CAPACITY: usize = 4096;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProjectEvent {
    Log {
        entry: LogEntry,
    },
    Status {
        project_id: i64,
        status: crate::db::projects::ProjectStatus,
        current_step: Option<i64>,
        question: Option<String>,
    },
    Plan {
        project_id: i64,
        implementation_plan: Vec<Step>,
    },
    /// The project's CLI worked `secs` without new output and was interrupted: the project
    /// is stalled until [`ProjectEvent::StallOver`] (or any status change).
    Stalled {
        project_id: i64,
        secs: u64,
    },
    /// The stalled project moved on.
    StallOver {
        project_id: i64,
    },
}

impl ProjectEvent {
    pub fn project_id(&self) -> i64 {
        match self {
            ProjectEvent::Log { entry } => entry.project_id,
            ProjectEvent::Status { project_id, .. }
            | ProjectEvent::Plan { project_id, .. }
            | ProjectEvent::Stalled { project_id, .. }
            | ProjectEvent::StallOver { project_id } => *project_id,
        }
    }

    /// Whether the event can change what the project's owner finds in their inbox.
    pub fn changes_inbox(&self) -> bool {
        matches!(
            self,
            ProjectEvent::Status { .. }
                | ProjectEvent::Stalled { .. }
                | ProjectEvent::StallOver { .. }
        )
    }
}

#[derive(Clone)]
pub struct Journal {
    db: SqlitePool,
    tx: broadcast::Sender<ProjectEvent>,
    /// Held from insert to publish so entries are announced in id order: a live subscriber
    /// skips ids it already sent, so an entry published after a higher id would be lost.
    order: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Journal {
    pub fn new(db: SqlitePool) -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            db,
            tx,
            order: Default::default(),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ProjectEvent> {
        self.tx.subscribe()
    }

    /// Records an entry, then announces it.
    pub async fn log(
        &self,
        project_id: i64,
        instance_id: Option<i64>,
        level: Level,
        message: &str,
    ) -> sqlx::Result<LogEntry> {
        let _order = self.order.lock().await;
        let entry = logs::insert(&self.db, project_id, instance_id, level, message).await?;
        self.publish(ProjectEvent::Log {
            entry: entry.clone(),
        });
        Ok(entry)
    }

    pub fn publish(&self, event: ProjectEvent) {
        // No receiver is a normal state (nobody watching), not an error.
        if self.tx.send(event).is_err() {
            tracing::trace!("project event with no subscribers");
        }
    }
}
