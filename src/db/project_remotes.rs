//! The `project_remotes` table: the remote a project was cloned from, when to push to it
//! and the pull request opened there. Rows are reached through their project, which the
//! caller has already loaded for its owner.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

/// When a project's branch goes to its remote.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum PushMode {
    #[default]
    Off,
    EachStep,
    AtCompletion,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProjectRemote {
    #[serde(skip)]
    pub project_id: i64,
    pub url: String,
    pub push: PushMode,
    pub pull_request: bool,
    pub base_branch: Option<String>,
    pub pull_request_url: Option<String>,
    pub pushed_sha: Option<String>,
    pub updated_at: String,
}

pub struct NewRemote<'a> {
    pub url: &'a str,
    pub push: PushMode,
    pub pull_request: bool,
    pub base_branch: Option<&'a str>,
}

pub async fn insert(pool: &SqlitePool, project_id: i64, new: &NewRemote<'_>) -> sqlx::Result<()> {
    sqlx::query(
        r"insert into project_remotes (project_id, url, push, pull_request, base_branch)
          values (?, ?, ?, ?, ?)",
    )
    .bind(project_id)
    .bind(new.url)
    .bind(new.push)
    .bind(new.pull_request)
    .bind(new.base_branch)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(pool: &SqlitePool, project_id: i64) -> sqlx::Result<Option<ProjectRemote>> {
    sqlx::query_as("select * from project_remotes where project_id = ?")
        .bind(project_id)
        .fetch_optional(pool)
        .await
}

/// The remotes of `project_ids` in one query (a listing's projects), by project.
pub async fn for_projects(
    pool: &SqlitePool,
    project_ids: &[i64],
) -> sqlx::Result<std::collections::HashMap<i64, ProjectRemote>> {
    let ids = serde_json::to_string(project_ids).unwrap_or_else(|_| "[]".into());
    let rows: Vec<ProjectRemote> = sqlx::query_as(
        "select * from project_remotes where project_id in (select value from json_each(?))",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.project_id, r)).collect())
}

/// Records the commit last pushed to the remote.
pub async fn set_pushed(pool: &SqlitePool, project_id: i64, sha: &str) -> sqlx::Result<()> {
    record(pool, project_id, Some(sha), None).await
}

/// Records the pull request opened on the remote.
pub async fn set_pull_request(pool: &SqlitePool, project_id: i64, url: &str) -> sqlx::Result<()> {
    record(pool, project_id, None, Some(url)).await
}

async fn record(
    pool: &SqlitePool,
    project_id: i64,
    pushed: Option<&str>,
    pull_request: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        r"update project_remotes set pushed_sha = coalesce(?, pushed_sha),
            pull_request_url = coalesce(?, pull_request_url),
            updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where project_id = ?",
    )
    .bind(pushed)
    .bind(pull_request)
    .bind(project_id)
    .execute(pool)
    .await?;
    Ok(())
}
