//! The `projects` table. Every query is scoped to its owner.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use sqlx::types::Json;

/// Where a project stands. The frontend's `PROJECT_STATUSES` (frontend/src/types.ts) lists
/// the same words; tests/frontend_types.rs keeps the two from drifting.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum ProjectStatus {
    Created,
    Planning,
    Running,
    Paused,
    NeedsHelp,
    Completed,
    Failed,
}

impl ProjectStatus {
    pub const ALL: [Self; 7] = [
        Self::Created,
        Self::Planning,
        Self::Running,
        Self::Paused,
        Self::NeedsHelp,
        Self::Completed,
        Self::Failed,
    ];

    /// The word stored in the database and sent to the frontend.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Planning => "planning",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::NeedsHelp => "needs_help",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// The status in words, for a project's log.
    pub fn words(self) -> &'static str {
        match self {
            Self::NeedsHelp => "needs help",
            other => other.as_str(),
        }
    }
}

impl std::fmt::Display for ProjectStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a step of the plan got; the frontend's `StepStatus` type lists the same words.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    #[default]
    Pending,
    Running,
    Done,
    Failed,
}

impl StepStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Running, Self::Done, Self::Failed];
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub status: StepStatus,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Project {
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    pub agent_id: i64,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub architecture: String,
    pub implementation_plan: Json<Vec<Step>>,
    pub status: ProjectStatus,
    pub current_step: Option<i64>,
    pub tmux_session: String,
    pub workspace_path: String,
    pub created_at: String,
    pub updated_at: String,
    /// What the project asks its owner while it needs help.
    pub question: Option<String>,
    #[serde(skip)]
    pub cli_session_id: Option<String>,
    #[serde(skip)]
    pub pending_action: Option<String>,
    #[serde(skip)]
    pub restarts: Json<Vec<u64>>,
    /// While the CLI of a running project is stalled: when its output last moved.
    #[serde(skip)]
    pub stalled_since: Option<String>,
}

pub struct NewProject<'a> {
    pub agent_id: i64,
    pub name: &'a str,
    pub slug: &'a str,
    pub description: &'a str,
    pub architecture: &'a str,
    pub plan: &'a [Step],
    pub workspace_path: &'a str,
}

pub async fn list_for_agent(
    pool: &SqlitePool,
    user_id: i64,
    agent_id: i64,
) -> sqlx::Result<Vec<Project>> {
    sqlx::query_as(
        "select * from projects where user_id = ? and agent_id = ? order by created_at, id",
    )
    .bind(user_id)
    .bind(agent_id)
    .fetch_all(pool)
    .await
}

pub async fn list(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<Project>> {
    sqlx::query_as("select * from projects where user_id = ? order by created_at, id")
        .bind(user_id)
        .fetch_all(pool)
        .await
}

pub async fn get(pool: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<Option<Project>> {
    sqlx::query_as("select * from projects where user_id = ? and id = ?")
        .bind(user_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn slug_taken(pool: &SqlitePool, user_id: i64, slug: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("select count(*) from projects where user_id = ? and slug = ?")
        .bind(user_id)
        .bind(slug)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

pub async fn slugs_of_user(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select slug from projects where user_id = ?")
        .bind(user_id)
        .fetch_all(pool)
        .await
}

/// Inserts a project; its tmux session is named after the id the row gets, in the same
/// transaction, so no row is ever seen without its final name.
pub async fn insert(pool: &SqlitePool, user_id: i64, p: &NewProject<'_>) -> sqlx::Result<Project> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        r"insert into projects (user_id, agent_id, name, slug, description, architecture,
              implementation_plan, tmux_session, workspace_path)
          values (?, ?, ?, ?, ?, ?, ?, 'autocode-new', ?) returning id",
    )
    .bind(user_id)
    .bind(p.agent_id)
    .bind(p.name)
    .bind(p.slug)
    .bind(p.description)
    .bind(p.architecture)
    .bind(Json(p.plan))
    .bind(p.workspace_path)
    .fetch_one(&mut *tx)
    .await?;
    let project = sqlx::query_as("update projects set tmux_session = ? where id = ? returning *")
        .bind(crate::names::tmux_session(id))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(project)
}

/// Writes the user-editable fields of `p` back.
pub async fn update_fields(pool: &SqlitePool, p: &Project) -> sqlx::Result<bool> {
    let r = sqlx::query(
        r"update projects set name = ?, description = ?, architecture = ?, implementation_plan = ?,
              updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          where user_id = ? and id = ?",
    )
    .bind(&p.name)
    .bind(&p.description)
    .bind(&p.architecture)
    .bind(&p.implementation_plan)
    .bind(p.user_id)
    .bind(p.id)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete(pool: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("delete from projects where user_id = ? and id = ?")
        .bind(user_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Projects whose controller should be running: boot re-adopts these.
pub async fn with_running_instance(pool: &SqlitePool) -> sqlx::Result<Vec<Project>> {
    sqlx::query_as(
        r"select p.* from projects p
          where exists (select 1 from agent_instances i where i.project_id = p.id and i.status = 'running')
          order by p.id",
    )
    .fetch_all(pool)
    .await
}

/// Sets status, current step and question together (they change together). Any status
/// change means the project moved on: a stall it had is over.
pub async fn set_status(
    pool: &SqlitePool,
    id: i64,
    status: ProjectStatus,
    current_step: Option<i64>,
    question: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        r"update projects set status = ?, current_step = ?, question = ?, stalled_since = null,
              updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where id = ?",
    )
    .bind(status)
    .bind(current_step)
    .bind(question)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn set_plan(pool: &SqlitePool, id: i64, plan: &[Step]) -> sqlx::Result<()> {
    sqlx::query(
        "update projects set implementation_plan = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where id = ?",
    )
    .bind(Json(plan))
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn set_pending_action(
    pool: &SqlitePool,
    id: i64,
    action: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("update projects set pending_action = ? where id = ?")
        .bind(action)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The CLI session a project last recorded (what hook events must name).
pub async fn cli_session_id(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("select cli_session_id from projects where id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(s,)| s))
}

pub async fn set_cli_session_id(pool: &SqlitePool, id: i64, session: &str) -> sqlx::Result<()> {
    sqlx::query("update projects set cli_session_id = ? where id = ?")
        .bind(session)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn set_restarts(pool: &SqlitePool, id: i64, restarts: &[u64]) -> sqlx::Result<()> {
    sqlx::query("update projects set restarts = ? where id = ?")
        .bind(Json(restarts))
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records that the project's CLI has shown no progress for `secs`; a stall already recorded
/// keeps its start.
pub async fn set_stalled(pool: &SqlitePool, id: i64, secs: u64) -> sqlx::Result<()> {
    sqlx::query(
        r"update projects
          set stalled_since = coalesce(stalled_since, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?))
          where id = ?",
    )
    .bind(format!("-{secs} seconds"))
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends a recorded stall; true when there was one.
pub async fn clear_stalled(pool: &SqlitePool, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "update projects set stalled_since = null where id = ? and stalled_since is not null",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}
