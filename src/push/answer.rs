//! Answer tokens: what lets a notification's Approve / Deny buttons answer without the
//! member's session. The service worker has no access token (the PWA keeps it in the page),
//! and a long-lived credential must never travel in a push payload, so each permission
//! notification carries a token good for one answer to that one question of that one
//! member's project, for a few hours. Only a hash of it is kept, in memory: a daemon
//! restart voids every token, and the notification's tap still opens the inbox.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

/// How long a token may answer: a phone left in a pocket for an afternoon still can.
const TOKEN_TTL: Duration = Duration::from_secs(4 * 3600);
/// Outstanding tokens at most; the oldest are dropped first.
const MAX_OUTSTANDING: usize = 10_000;

/// What a token allows: answering `question` of project `project_id`, owned by `user_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub user_id: i64,
    pub project_id: i64,
    pub question: String,
    expires: Instant,
}

#[derive(Default)]
pub struct AnswerTokens {
    grants: Mutex<HashMap<[u8; 32], Grant>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl AnswerTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Grant>> {
        // The map holds no invariant a panic could break halfway.
        self.grants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh token for one answer to `question`.
    pub fn issue(&self, user_id: i64, project_id: i64, question: &str, now: Instant) -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = B64.encode(bytes);
        let mut grants = self.lock();
        grants.retain(|_, g| g.expires > now);
        if grants.len() >= MAX_OUTSTANDING {
            let oldest = grants
                .iter()
                .min_by_key(|(_, g)| g.expires)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                grants.remove(&k);
            }
        }
        grants.insert(
            digest(&token),
            Grant {
                user_id,
                project_id,
                question: question.to_owned(),
                expires: now + TOKEN_TTL,
            },
        );
        token
    }

    /// Uses the token up: its grant when it is known, unexpired and for `project_id`.
    /// A token for another project stays unused (it may still answer its own).
    pub fn redeem(&self, token: &str, project_id: i64, now: Instant) -> Option<Grant> {
        let key = digest(token);
        let mut grants = self.lock();
        let grant = grants.get(&key)?;
        if grant.project_id != project_id {
            return None;
        }
        let grant = grants.remove(&key)?;
        (grant.expires > now).then_some(grant)
    }

    /// Tokens of this project that could still answer (tests watch revocation with it).
    #[cfg(any(test, feature = "testkit"))]
    pub fn outstanding(&self, project_id: i64) -> usize {
        self.lock()
            .values()
            .filter(|g| g.project_id == project_id)
            .count()
    }

    /// The project stopped waiting: its outstanding tokens answer nothing any more.
    pub fn revoke_project(&self, project_id: i64) {
        self.lock().retain(|_, g| g.project_id != project_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_answers_once_its_own_project_before_it_expires() {
        let t = AnswerTokens::default();
        let now = Instant::now();
        let a = t.issue(1, 7, "Allow?", now);
        assert_eq!(t.redeem(&a, 8, now), None, "another project");
        let grant = t.redeem(&a, 7, now).expect("first use");
        assert_eq!((grant.user_id, grant.question.as_str()), (1, "Allow?"));
        assert_eq!(t.redeem(&a, 7, now), None, "replayed");
        let b = t.issue(1, 7, "Allow?", now);
        assert_eq!(t.redeem(&b, 7, now + TOKEN_TTL), None, "expired");
        let c = t.issue(1, 7, "Allow?", now);
        t.revoke_project(7);
        assert_eq!(t.redeem(&c, 7, now), None, "answered elsewhere");
        assert_eq!(t.redeem("not-a-token", 7, now), None);
    }
}
