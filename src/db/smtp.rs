//! The `smtp_settings` table: the one SMTP server the admin set up for e-mail notifications.
//! The password is sealed with the master key and bound to this table, as API keys are.

use sqlx::SqlitePool;

use crate::secrets::MasterKey;

const AAD: &[u8] = b"autocode-smtp:v1";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmtpRow {
    pub host: String,
    pub port: i64,
    /// `tls` (implicit TLS, usually 465), `starttls` (usually 587) or `none` (loopback only).
    pub security: String,
    pub username: String,
    /// The From mailbox, `AutoCode <autocode@example.org>`.
    pub sender: String,
    pub nonce: Vec<u8>,
    pub secret: Vec<u8>,
    pub updated_at: String,
}

impl SmtpRow {
    /// The password; None when none was set or it cannot be read.
    pub fn password(&self, master: &MasterKey) -> Option<String> {
        if self.secret.is_empty() {
            return None;
        }
        master.open_text(&self.nonce, &self.secret, AAD)
    }
}

/// What the admin sets; `password: None` keeps the stored one.
pub struct NewSmtp<'a> {
    pub host: &'a str,
    pub port: u16,
    pub security: &'a str,
    pub username: &'a str,
    pub sender: &'a str,
    pub password: Option<&'a str>,
}

pub async fn get(pool: &SqlitePool) -> sqlx::Result<Option<SmtpRow>> {
    sqlx::query_as("select * from smtp_settings where id = 1")
        .fetch_optional(pool)
        .await
}

pub async fn put(pool: &SqlitePool, master: &MasterKey, s: &NewSmtp<'_>) -> sqlx::Result<()> {
    let sealed = s.password.map(|p| master.seal(p.as_bytes(), AAD));
    let (nonce, secret) = sealed.map_or((None, None), |s| (Some(s.nonce), Some(s.ciphertext)));
    sqlx::query(
        r"insert into smtp_settings (id, host, port, security, username, sender, nonce, secret)
          values (1, ?, ?, ?, ?, ?, coalesce(?, x''), coalesce(?, x''))
          on conflict (id) do update set host = excluded.host, port = excluded.port,
            security = excluded.security, username = excluded.username, sender = excluded.sender,
            nonce = coalesce(?, smtp_settings.nonce), secret = coalesce(?, smtp_settings.secret),
            updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    )
    .bind(s.host)
    .bind(i64::from(s.port))
    .bind(s.security)
    .bind(s.username)
    .bind(s.sender)
    .bind(nonce.clone())
    .bind(secret.clone())
    .bind(nonce)
    .bind(secret)
    .execute(pool)
    .await?;
    Ok(())
}

/// True when a server was set up (and is now removed).
pub async fn delete(pool: &SqlitePool) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from smtp_settings where id = 1")
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
