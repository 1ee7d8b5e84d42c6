//! The `claude_accounts` table: one row per member, the Claude Code credential sealed (see
//! `secrets`). A `login` row holds an empty seal: the CLI keeps that login itself.

use sqlx::SqlitePool;

use crate::secrets::MasterKey;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub user_id: i64,
    pub kind: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub updated_at: String,
}

/// Associated data binding the seal to its owner and its kind, so a token cannot be moved to
/// another member's row or passed off as the other kind of credential.
pub fn aad(user_id: i64, kind: &str) -> Vec<u8> {
    format!("autocode-claude-account:v1:user={user_id}:kind={kind}").into_bytes()
}

impl AccountRow {
    /// The stored secret; None when the record cannot be opened (tampered with or moved).
    pub fn open(&self, master: &MasterKey) -> Option<String> {
        master.open_text(
            &self.nonce,
            &self.ciphertext,
            &aad(self.user_id, &self.kind),
        )
    }
}

pub async fn get(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as("select * from claude_accounts where user_id = ?")
        .bind(user_id)
        .fetch_optional(pool)
        .await
}

/// Replaces the member's credential with `secret` (empty for `login`), sealed.
pub async fn put(
    pool: &SqlitePool,
    master: &MasterKey,
    user_id: i64,
    kind: &str,
    secret: &str,
) -> sqlx::Result<AccountRow> {
    let sealed = master.seal(secret.as_bytes(), &aad(user_id, kind));
    sqlx::query_as(
        r"insert into claude_accounts (user_id, kind, nonce, ciphertext) values (?, ?, ?, ?)
          on conflict (user_id) do update set kind = excluded.kind, nonce = excluded.nonce,
            ciphertext = excluded.ciphertext,
            updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          returning *",
    )
    .bind(user_id)
    .bind(kind)
    .bind(sealed.nonce)
    .bind(sealed.ciphertext)
    .fetch_one(pool)
    .await
}

pub async fn delete(pool: &SqlitePool, user_id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("delete from claude_accounts where user_id = ?")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}
