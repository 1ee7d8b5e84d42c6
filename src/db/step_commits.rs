//! The `step_commits` table: which commit each finished step left, and what undid it.

use serde::Serialize;
use sqlx::SqlitePool;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StepCommit {
    /// 1-based, as members count steps.
    pub step: i64,
    pub sha: String,
    pub title: String,
    pub summary: String,
    pub reverted_by: Option<String>,
}

pub async fn insert(
    pool: &SqlitePool,
    project_id: i64,
    step: i64,
    sha: &str,
    title: &str,
    summary: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into step_commits (project_id, step, sha, title, summary) values (?, ?, ?, ?, ?)",
    )
    .bind(project_id)
    .bind(step)
    .bind(sha)
    .bind(title)
    .bind(summary)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn list(pool: &SqlitePool, project_id: i64) -> sqlx::Result<Vec<StepCommit>> {
    sqlx::query_as(
        "select step, sha, title, summary, reverted_by from step_commits where project_id = ? order by id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await
}

/// The latest commit of step `step` that has not been undone.
pub async fn current(
    pool: &SqlitePool,
    project_id: i64,
    step: i64,
) -> sqlx::Result<Option<StepCommit>> {
    sqlx::query_as(
        r"select step, sha, title, summary, reverted_by from step_commits
          where project_id = ? and step = ? and reverted_by is null order by id desc limit 1",
    )
    .bind(project_id)
    .bind(step)
    .fetch_optional(pool)
    .await
}

pub async fn set_reverted(
    pool: &SqlitePool,
    project_id: i64,
    sha: &str,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query("update step_commits set reverted_by = ? where project_id = ? and sha = ?")
        .bind(by)
        .bind(project_id)
        .bind(sha)
        .execute(pool)
        .await?;
    Ok(())
}
