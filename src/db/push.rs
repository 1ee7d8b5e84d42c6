//! The `push_subscriptions` and `notification_settings` tables. Every read and write names
//! the member; the delivery queue removes a subscription by id alone only when the push
//! service said it is gone (404/410).

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use sqlx::types::Json;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Subscription {
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    pub endpoint: String,
    #[serde(skip)]
    pub p256dh: String,
    #[serde(skip)]
    pub auth: String,
    pub device: String,
    pub created_at: String,
}

/// Adds a subscription, or refreshes the keys of the same endpoint (a browser that
/// subscribes again keeps its endpoint but may change keys).
pub async fn upsert(
    pool: &SqlitePool,
    user_id: i64,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    device: &str,
) -> sqlx::Result<Subscription> {
    sqlx::query_as(
        r"insert into push_subscriptions (user_id, endpoint, p256dh, auth, device)
          values (?, ?, ?, ?, ?)
          on conflict (user_id, endpoint) do update
          set p256dh = excluded.p256dh, auth = excluded.auth, device = excluded.device
          returning *",
    )
    .bind(user_id)
    .bind(endpoint)
    .bind(p256dh)
    .bind(auth)
    .bind(device)
    .fetch_one(pool)
    .await
}

pub async fn list(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query_as("select * from push_subscriptions where user_id = ? order by id")
        .bind(user_id)
        .fetch_all(pool)
        .await
}

/// True when a row of this member was removed.
pub async fn delete(pool: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from push_subscriptions where id = ? and user_id = ?")
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The push service answered 404/410: the browser dropped this subscription.
pub async fn forget(pool: &SqlitePool, id: i64) -> sqlx::Result<()> {
    sqlx::query("delete from push_subscriptions where id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Which events a member wants to hear about. Unknown keys are refused so a typo in a
/// client is a 422, not a setting that silently does nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub events: Events,
    /// Projects that never notify.
    pub muted_projects: Vec<i64>,
    pub channels: Channels,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Events {
    /// A project asks its owner a question.
    pub needs_help: bool,
    /// A tool use the agent's policy leaves to the owner (Approve / Deny on the phone).
    pub permission: bool,
    pub completed: bool,
    pub failed: bool,
    /// Claude Code worked without output for the stall time and was interrupted.
    pub stalled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Channels {
    pub web_push: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            events: Events::default(),
            muted_projects: Vec::new(),
            channels: Channels { web_push: true },
        }
    }
}

impl Default for Events {
    fn default() -> Self {
        Self {
            needs_help: true,
            permission: true,
            completed: true,
            failed: true,
            stalled: true,
        }
    }
}

impl Default for Channels {
    fn default() -> Self {
        Self { web_push: true }
    }
}

pub async fn settings(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Settings> {
    let row: Option<Json<Settings>> =
        sqlx::query_scalar("select settings from notification_settings where user_id = ?")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|j| j.0).unwrap_or_default())
}

pub async fn save_settings(
    pool: &SqlitePool,
    user_id: i64,
    settings: &Settings,
) -> sqlx::Result<()> {
    sqlx::query(
        r"insert into notification_settings (user_id, settings) values (?, ?)
          on conflict (user_id) do update set settings = excluded.settings",
    )
    .bind(user_id)
    .bind(Json(settings))
    .execute(pool)
    .await?;
    Ok(())
}

/// The owner and name of a project, for a notification about it.
pub async fn project_owner(
    pool: &SqlitePool,
    project_id: i64,
) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as("select user_id, name from projects where id = ?")
        .bind(project_id)
        .fetch_optional(pool)
        .await
}
