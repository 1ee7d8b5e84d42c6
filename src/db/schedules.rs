//! Project schedules. Member-facing queries filter by `user_id`; the scheduler's own
//! (`get_any`, `enabled`, `overdue`) act for the daemon.

use serde::Serialize;
use sqlx::SqlitePool;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Schedule {
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    pub project_id: i64,
    pub cron: String,
    pub action: String,
    pub max_run_minutes: Option<i64>,
    pub enabled: bool,
    #[serde(skip)]
    pub checked_at: i64,
    #[serde(skip)]
    pub run_deadline: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// The fields a member sets.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    pub cron: &'a str,
    pub action: &'a str,
    pub max_run_minutes: Option<i64>,
    pub enabled: bool,
}

pub async fn list(pool: &SqlitePool, user_id: i64, project_id: i64) -> sqlx::Result<Vec<Schedule>> {
    sqlx::query_as("select * from schedules where user_id = ? and project_id = ? order by id")
        .bind(user_id)
        .bind(project_id)
        .fetch_all(pool)
        .await
}

pub async fn get(
    pool: &SqlitePool,
    user_id: i64,
    project_id: i64,
    id: i64,
) -> sqlx::Result<Option<Schedule>> {
    sqlx::query_as("select * from schedules where user_id = ? and project_id = ? and id = ?")
        .bind(user_id)
        .bind(project_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// For the scheduler, which acts on behalf of the owner.
pub async fn get_any(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<Schedule>> {
    sqlx::query_as("select * from schedules where id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn enabled(pool: &SqlitePool) -> sqlx::Result<Vec<Schedule>> {
    sqlx::query_as("select * from schedules where enabled = 1 order by id")
        .fetch_all(pool)
        .await
}

pub async fn count_for_project(pool: &SqlitePool, project_id: i64) -> sqlx::Result<i64> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from schedules where project_id = ?")
        .bind(project_id)
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// `now` becomes `checked_at`: occurrences before it count as handled.
pub async fn insert(
    pool: &SqlitePool,
    user_id: i64,
    project_id: i64,
    f: &Fields<'_>,
    now: i64,
) -> sqlx::Result<Schedule> {
    sqlx::query_as(
        r"insert into schedules (user_id, project_id, cron, action, max_run_minutes, enabled, checked_at)
          values (?, ?, ?, ?, ?, ?, ?) returning *",
    )
    .bind(user_id)
    .bind(project_id)
    .bind(f.cron)
    .bind(f.action)
    .bind(f.max_run_minutes)
    .bind(f.enabled)
    .bind(now)
    .fetch_one(pool)
    .await
}

/// Also moves `checked_at` to `now`: a changed schedule has missed nothing yet.
pub async fn update(
    pool: &SqlitePool,
    user_id: i64,
    project_id: i64,
    id: i64,
    f: &Fields<'_>,
    now: i64,
) -> sqlx::Result<Option<Schedule>> {
    sqlx::query_as(
        r"update schedules set cron = ?, action = ?, max_run_minutes = ?, enabled = ?,
              checked_at = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          where user_id = ? and project_id = ? and id = ? returning *",
    )
    .bind(f.cron)
    .bind(f.action)
    .bind(f.max_run_minutes)
    .bind(f.enabled)
    .bind(now)
    .bind(user_id)
    .bind(project_id)
    .bind(id)
    .fetch_optional(pool)
    .await
}

pub async fn delete(
    pool: &SqlitePool,
    user_id: i64,
    project_id: i64,
    id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from schedules where user_id = ? and project_id = ? and id = ?")
        .bind(user_id)
        .bind(project_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_checked(pool: &SqlitePool, id: i64, at: i64) -> sqlx::Result<()> {
    sqlx::query("update schedules set checked_at = ? where id = ?")
        .bind(at)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn set_deadline(pool: &SqlitePool, id: i64, deadline: Option<i64>) -> sqlx::Result<()> {
    sqlx::query("update schedules set run_deadline = ? where id = ?")
        .bind(deadline)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Schedules whose run passed its `max_run_minutes`.
pub async fn overdue(pool: &SqlitePool, now: i64) -> sqlx::Result<Vec<Schedule>> {
    sqlx::query_as("select * from schedules where run_deadline is not null and run_deadline <= ?")
        .bind(now)
        .fetch_all(pool)
        .await
}
