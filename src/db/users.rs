//! The `users` table.

use serde::Serialize;
use sqlx::SqlitePool;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct UserWithCounts {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub created_at: String,
    pub agent_count: i64,
}

pub const ADMIN: &str = "admin";
pub const USER: &str = "user";

pub async fn insert(
    pool: &SqlitePool,
    username: &str,
    hash: &str,
    role: &str,
) -> sqlx::Result<User> {
    sqlx::query_as(
        r"insert into users (username, password_hash, role) values (?, ?, ?)
          returning id, username, role, created_at",
    )
    .bind(username)
    .bind(hash)
    .bind(role)
    .fetch_one(pool)
    .await
}

pub async fn get(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as("select id, username, role, created_at from users where id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn by_name(pool: &SqlitePool, username: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as("select id, username, role, created_at from users where username = ?")
        .bind(username)
        .fetch_optional(pool)
        .await
}

/// The user and their password hash, for login.
pub async fn credentials(
    pool: &SqlitePool,
    username: &str,
) -> sqlx::Result<Option<(User, String)>> {
    let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
        "select id, username, role, created_at, password_hash from users where username = ?",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id, username, role, created_at, hash)| {
        (
            User {
                id,
                username,
                role,
                created_at,
            },
            hash,
        )
    }))
}

pub async fn password_hash(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select password_hash from users where id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn list(pool: &SqlitePool) -> sqlx::Result<Vec<UserWithCounts>> {
    sqlx::query_as(
        r"select u.id, u.username, u.role, u.created_at,
                 (select count(*) from agents a where a.user_id = u.id) as agent_count
          from users u order by u.username",
    )
    .fetch_all(pool)
    .await
}

pub async fn set_password(pool: &SqlitePool, id: i64, hash: &str) -> sqlx::Result<bool> {
    let r = sqlx::query("update users set password_hash = ? where id = ?")
        .bind(hash)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

// The last-admin guards live in the statements themselves, so two concurrent requests
// cannot each see "another admin exists" and together remove both.
macro_rules! not_last_admin {
    () => {
        "(role <> 'admin' or (select count(*) from users where role = 'admin') > 1)"
    };
}

/// Changes a role; `false` when the user is missing or is the last admin being demoted.
pub async fn set_role(pool: &SqlitePool, id: i64, role: &str) -> sqlx::Result<bool> {
    let sql = concat!(
        "update users set role = ? where id = ? and (? = 'admin' or ",
        not_last_admin!(),
        ")"
    );
    let r = sqlx::query(sql)
        .bind(role)
        .bind(id)
        .bind(role)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Deletes a user (rows cascade); `false` when missing or the last admin.
pub async fn delete(pool: &SqlitePool, id: i64) -> sqlx::Result<bool> {
    let sql = concat!("delete from users where id = ? and ", not_last_admin!());
    let r = sqlx::query(sql).bind(id).execute(pool).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn count_admins(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from users where role = 'admin'")
        .fetch_one(pool)
        .await
}
