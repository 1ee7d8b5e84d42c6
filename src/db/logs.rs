//! The `logs` table: a project's whole history, readable from any id onwards.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

/// How a log line reads in the project's history; the frontend's `LOG_LEVELS`
/// (frontend/src/types.ts) lists the same words.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Level {
    Info,
    Action,
    Error,
    AgentDecision,
}

impl Level {
    pub const ALL: [Self; 4] = [Self::Info, Self::Action, Self::Error, Self::AgentDecision];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Action => "action",
            Level::Error => "error",
            Level::AgentDecision => "agent_decision",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct LogEntry {
    pub id: i64,
    pub project_id: i64,
    pub agent_instance_id: Option<i64>,
    pub level: Level,
    pub message: String,
    pub timestamp: String,
}

pub async fn insert(
    pool: &SqlitePool,
    project_id: i64,
    instance_id: Option<i64>,
    level: Level,
    message: &str,
) -> sqlx::Result<LogEntry> {
    sqlx::query_as(
        "insert into logs (project_id, agent_instance_id, level, message) values (?, ?, ?, ?) returning *",
    )
    .bind(project_id)
    .bind(instance_id)
    .bind(level)
    .bind(message)
    .fetch_one(pool)
    .await
}

/// Entries after `after`, oldest first. The caller has already checked ownership.
pub async fn after(
    pool: &SqlitePool,
    project_id: i64,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<LogEntry>> {
    sqlx::query_as("select * from logs where project_id = ? and id > ? order by id limit ?")
        .bind(project_id)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Deletes entries older than `before` (unix seconds); returns how many went.
pub async fn delete_before(pool: &SqlitePool, before: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "delete from logs where timestamp < strftime('%Y-%m-%dT%H:%M:%fZ', ?, 'unixepoch')",
    )
    .bind(before)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
