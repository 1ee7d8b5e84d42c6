//! The `agent_instances` table: one row per controller run of a project, with the pid of
//! the coding CLI it drives.

use serde::Serialize;
use sqlx::SqlitePool;

/// How a controller run of a project stands (`running` until it ends).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum InstanceStatus {
    Running,
    /// Ended by a stop or by the project completing.
    Stopped,
    /// Ended by a failure, or found running with no loop behind it.
    Crashed,
}

pub async fn start(
    pool: &SqlitePool,
    user_id: i64,
    agent_id: i64,
    project_id: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "insert into agent_instances (user_id, agent_id, project_id, status) values (?, ?, ?, 'running') returning id",
    )
    .bind(user_id)
    .bind(agent_id)
    .bind(project_id)
    .fetch_one(pool)
    .await
}

/// The running instance of a project, if any (what a restarted daemon re-adopts).
pub async fn running_for_project(pool: &SqlitePool, project_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("select id from agent_instances where project_id = ? and status = 'running' order by id desc limit 1")
        .bind(project_id)
        .fetch_optional(pool)
        .await
}

pub async fn set_pid(pool: &SqlitePool, id: i64, pid: Option<u32>) -> sqlx::Result<()> {
    sqlx::query("update agent_instances set pid = ? where id = ?")
        .bind(pid.map(i64::from))
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends an instance as stopped or crashed.
pub async fn finish(pool: &SqlitePool, id: i64, status: InstanceStatus) -> sqlx::Result<()> {
    sqlx::query(
        r"update agent_instances set status = ?, stopped_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          where id = ? and status = 'running'",
    )
    .bind(status)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}
