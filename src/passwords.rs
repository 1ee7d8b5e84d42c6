//! Password hashing with argon2id, always off the async runtime (a hash takes tens of
//! milliseconds of CPU). Unknown usernames are checked against a fixed dummy hash so a
//! failed login takes the same time whether or not the user exists.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::rngs::OsRng;

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed")]
    Join(#[from] tokio::task::JoinError),
}

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking("autocode-timing-equaliser").unwrap_or_default());

fn hash_blocking(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub async fn hash(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

/// Verifies against `hash`, or against the dummy hash when there is no user, so both
/// paths cost one argon2 verification.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, HashError> {
    Ok(tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_blocking(&password, &h),
        None => {
            verify_blocking(&password, &DUMMY_HASH);
            false
        }
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("correct horse".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .expect("v")
        );
        assert!(!verify("wrong horse".into(), Some(h)).await.expect("v"));
        assert!(!verify("anything".into(), None).await.expect("v"));
    }
}
