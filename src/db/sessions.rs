//! The `auth_sessions` and `refresh_tokens` tables: one row per login, and the chain of
//! refresh tokens it has been handed. A token that was already used comes back only if
//! it was stolen (or replayed), so presenting one revokes its whole session.

use sqlx::SqlitePool;

use crate::tokens::{hash_token, now_secs, random_token};

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Refresh {
    /// Rotated: the session's user id and the new refresh token.
    Rotated {
        session_id: String,
        user_id: i64,
        token: String,
    },
    /// Unknown, expired or revoked.
    Invalid,
    /// A used token came back; the session is now revoked.
    Reused,
}

/// Creates a session and its first refresh token; returns (session id, refresh token).
pub async fn create(
    pool: &SqlitePool,
    user_id: i64,
    ttl_secs: u64,
) -> sqlx::Result<(String, String)> {
    let sid = random_token();
    let token = random_token();
    let mut tx = pool.begin().await?;
    sqlx::query("insert into auth_sessions (id, user_id, expires_at) values (?, ?, ?)")
        .bind(&sid)
        .bind(user_id)
        .bind(expiry(ttl_secs))
        .execute(&mut *tx)
        .await?;
    sqlx::query("insert into refresh_tokens (token_hash, session_id) values (?, ?)")
        .bind(hash_token(&token))
        .bind(&sid)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((sid, token))
}

fn expiry(ttl_secs: u64) -> i64 {
    i64::try_from(now_secs().saturating_add(ttl_secs)).unwrap_or(i64::MAX)
}

/// The user's current role while the session exists, is not revoked and belongs to
/// `user_id`; `None` otherwise.
pub async fn live_role(pool: &SqlitePool, sid: &str, user_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        r"select u.role from auth_sessions s join users u on u.id = s.user_id
          where s.id = ? and s.user_id = ? and s.revoked_at is null",
    )
    .bind(sid)
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

/// (session id, token used_at, user id, session expires_at, session revoked_at)
type TokenRow = (String, Option<String>, i64, i64, Option<String>);

pub async fn rotate(pool: &SqlitePool, token: &str, ttl_secs: u64) -> sqlx::Result<Refresh> {
    let mut tx = pool.begin().await?;
    let row: Option<TokenRow> = sqlx::query_as(
        r"select s.id, t.used_at, s.user_id, s.expires_at, s.revoked_at
          from refresh_tokens t join auth_sessions s on s.id = t.session_id
          where t.token_hash = ?",
    )
    .bind(hash_token(token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((sid, used_at, user_id, expires_at, revoked_at)) = row else {
        return Ok(Refresh::Invalid);
    };
    if revoked_at.is_some() || expires_at < i64::try_from(now_secs()).unwrap_or(i64::MAX) {
        return Ok(Refresh::Invalid);
    }
    if used_at.is_some() {
        revoke_in(&mut tx, &sid).await?;
        tx.commit().await?;
        return Ok(Refresh::Reused);
    }
    // The `used_at is null` guard makes two racing refreshes with one token produce one
    // winner; the loser sees zero rows and is treated as reuse.
    let marked = sqlx::query(
        "update refresh_tokens set used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where token_hash = ? and used_at is null",
    )
    .bind(hash_token(token))
    .execute(&mut *tx)
    .await?;
    if marked.rows_affected() != 1 {
        revoke_in(&mut tx, &sid).await?;
        tx.commit().await?;
        return Ok(Refresh::Reused);
    }
    let new_token = random_token();
    sqlx::query("insert into refresh_tokens (token_hash, session_id) values (?, ?)")
        .bind(hash_token(&new_token))
        .bind(&sid)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update auth_sessions set expires_at = ? where id = ?")
        .bind(expiry(ttl_secs))
        .bind(&sid)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Refresh::Rotated {
        session_id: sid,
        user_id,
        token: new_token,
    })
}

async fn revoke_in(tx: &mut sqlx::SqliteConnection, sid: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update auth_sessions set revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where id = ? and revoked_at is null",
    )
    .bind(sid)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn revoke(pool: &SqlitePool, sid: &str) -> sqlx::Result<()> {
    let mut conn = pool.acquire().await?;
    revoke_in(&mut conn, sid).await
}

/// Revokes every session of a user except `keep` (the one changing its password).
pub async fn revoke_all_except(
    pool: &SqlitePool,
    user_id: i64,
    keep: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        r"update auth_sessions set revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          where user_id = ? and revoked_at is null and id is not ?",
    )
    .bind(user_id)
    .bind(keep)
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes sessions past their refresh horizon (their refresh tokens go with them).
pub async fn delete_expired(pool: &SqlitePool, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from auth_sessions where expires_at < ?")
        .bind(now)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
