//! The `git_credentials` table: one token per member, sealed (see `secrets`) with the
//! owner's id as associated data, so a ciphertext copied to another member's row fails.

use sqlx::SqlitePool;

use crate::secrets::MasterKey;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CredentialRow {
    pub user_id: i64,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub updated_at: String,
}

fn aad(user_id: i64) -> Vec<u8> {
    format!("autocode-git-credential:v1:user={user_id}").into_bytes()
}

impl CredentialRow {
    /// The token; None when the record cannot be opened (tampered with or moved).
    pub fn open(&self, master: &MasterKey) -> Option<String> {
        master.open_text(&self.nonce, &self.ciphertext, &aad(self.user_id))
    }
}

pub async fn get(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Option<CredentialRow>> {
    sqlx::query_as("select * from git_credentials where user_id = ?")
        .bind(user_id)
        .fetch_optional(pool)
        .await
}

/// The member's token, opened; None when unset or unreadable.
pub async fn token(
    pool: &SqlitePool,
    master: &MasterKey,
    user_id: i64,
) -> sqlx::Result<Option<String>> {
    Ok(get(pool, user_id).await?.and_then(|row| row.open(master)))
}

pub async fn put(
    pool: &SqlitePool,
    master: &MasterKey,
    user_id: i64,
    token: &str,
) -> sqlx::Result<CredentialRow> {
    let sealed = master.seal(token.as_bytes(), &aad(user_id));
    sqlx::query_as(
        r"insert into git_credentials (user_id, nonce, ciphertext) values (?, ?, ?)
          on conflict (user_id) do update set nonce = excluded.nonce,
            ciphertext = excluded.ciphertext,
            updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          returning *",
    )
    .bind(user_id)
    .bind(sealed.nonce)
    .bind(sealed.ciphertext)
    .fetch_one(pool)
    .await
}

pub async fn delete(pool: &SqlitePool, user_id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("delete from git_credentials where user_id = ?")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}
