//! The `api_keys` table. Rows hold only sealed keys; see `secrets` for the sealing.

use sqlx::SqlitePool;

use crate::secrets::MasterKey;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub user_id: i64,
    pub provider: String,
    pub label: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: String,
}

/// Associated data binding a sealed key to its owner and its row.
pub fn aad(user_id: i64, key_id: i64) -> Vec<u8> {
    format!("autocode-api-key:v1:user={user_id}:key={key_id}").into_bytes()
}

impl KeyRow {
    pub fn open(&self, master: &MasterKey) -> Option<String> {
        master.open_text(&self.nonce, &self.ciphertext, &aad(self.user_id, self.id))
    }
}

/// Inserts and seals in one transaction: the row id is part of the associated data, so
/// the row exists (with an empty ciphertext) for a moment inside the transaction only.
pub async fn insert(
    pool: &SqlitePool,
    master: &MasterKey,
    user_id: i64,
    provider: &str,
    label: &str,
    key: &str,
) -> sqlx::Result<KeyRow> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "insert into api_keys (user_id, provider, label, nonce, ciphertext) values (?, ?, ?, x'', x'') returning id",
    )
    .bind(user_id)
    .bind(provider)
    .bind(label)
    .fetch_one(&mut *tx)
    .await?;
    let sealed = master.seal(key.as_bytes(), &aad(user_id, id));
    let row =
        sqlx::query_as("update api_keys set nonce = ?, ciphertext = ? where id = ? returning *")
            .bind(sealed.nonce)
            .bind(sealed.ciphertext)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn list(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<KeyRow>> {
    sqlx::query_as("select * from api_keys where user_id = ? order by created_at, id")
        .bind(user_id)
        .fetch_all(pool)
        .await
}

pub async fn get(pool: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<Option<KeyRow>> {
    sqlx::query_as("select * from api_keys where user_id = ? and id = ?")
        .bind(user_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The newest key the user stored for `provider`.
pub async fn latest_for_provider(
    pool: &SqlitePool,
    user_id: i64,
    provider: &str,
) -> sqlx::Result<Option<KeyRow>> {
    sqlx::query_as(
        "select * from api_keys where user_id = ? and provider = ? order by id desc limit 1",
    )
    .bind(user_id)
    .bind(provider)
    .fetch_optional(pool)
    .await
}

pub async fn delete(pool: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("delete from api_keys where user_id = ? and id = ?")
        .bind(user_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}
