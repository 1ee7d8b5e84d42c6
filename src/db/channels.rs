//! The `notify_channels` table: a member's ntfy topic and Telegram bot. The bot token is
//! sealed with the master key, bound to the member and the channel kind.

use sqlx::SqlitePool;

use crate::secrets::MasterKey;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRow {
    pub user_id: i64,
    pub kind: String,
    /// The ntfy topic URL, or the Telegram chat id.
    pub target: String,
    pub nonce: Vec<u8>,
    pub secret: Vec<u8>,
}

fn aad(user_id: i64, kind: &str) -> Vec<u8> {
    format!("autocode-notify-channel:v1:user={user_id}:kind={kind}").into_bytes()
}

impl ChannelRow {
    /// The Telegram bot token; None when absent or unreadable.
    pub fn secret(&self, master: &MasterKey) -> Option<String> {
        master.open_text(&self.nonce, &self.secret, &aad(self.user_id, &self.kind))
    }
}

pub async fn put(
    pool: &SqlitePool,
    master: &MasterKey,
    user_id: i64,
    kind: &str,
    target: &str,
    secret: Option<&str>,
) -> sqlx::Result<()> {
    let sealed = secret.map(|s| master.seal(s.as_bytes(), &aad(user_id, kind)));
    let (nonce, secret) = sealed.map_or((Vec::new(), Vec::new()), |s| (s.nonce, s.ciphertext));
    sqlx::query(
        r"insert into notify_channels (user_id, kind, target, nonce, secret) values (?, ?, ?, ?, ?)
          on conflict (user_id, kind) do update
          set target = excluded.target, nonce = excluded.nonce, secret = excluded.secret",
    )
    .bind(user_id)
    .bind(kind)
    .bind(target)
    .bind(nonce)
    .bind(secret)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn list(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<ChannelRow>> {
    sqlx::query_as("select * from notify_channels where user_id = ? order by kind")
        .bind(user_id)
        .fetch_all(pool)
        .await
}

pub async fn delete(pool: &SqlitePool, user_id: i64, kind: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from notify_channels where user_id = ? and kind = ?")
        .bind(user_id)
        .bind(kind)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
