//! Access and refresh tokens. An access token is a short-lived HS256 JWT naming the user,
//! their role and their auth session; it is only honoured while that session row is live.
//! A refresh token is 32 random bytes, shown to the client once and stored only as a
//! SHA-256 hash, so a database leak does not hand out logins.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secrets::MasterKey;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: i64,
    pub role: String,
    /// Auth session id.
    pub sid: String,
    pub iat: u64,
    pub exp: u64,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid or expired token")]
pub struct InvalidToken;

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TokenKeys {
    pub fn new(master: &MasterKey) -> Self {
        let secret = master.derive("jwt-hs256");
        Self {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
        }
    }

    pub fn issue(&self, user_id: i64, role: &str, sid: &str, ttl: Duration) -> String {
        let iat = now_secs();
        self.encode(&Claims {
            sub: user_id,
            role: role.to_owned(),
            sid: sid.to_owned(),
            iat,
            exp: iat + ttl.as_secs(),
        })
    }

    fn encode(&self, claims: &Claims) -> String {
        // HS256 over a serialisable struct cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .unwrap_or_default()
    }

    pub fn verify(&self, token: &str) -> Result<Claims, InvalidToken> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is exact: a 15-minute token is dead at 15 minutes, not 16.
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| InvalidToken)
    }
}

/// A fresh random secret, hex encoded (auth session ids, refresh tokens, tickets).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_and_reject() {
        let keys = TokenKeys::new(&MasterKey::from_bytes([1; 32]));
        let t = keys.issue(4, "user", "sess", Duration::from_secs(60));
        let c = keys.verify(&t).expect("valid");
        assert_eq!(
            (c.sub, c.role.as_str(), c.sid.as_str()),
            (4, "user", "sess")
        );
        let other = TokenKeys::new(&MasterKey::from_bytes([2; 32]));
        assert!(other.verify(&t).is_err());
        let expired = keys.encode(&Claims {
            exp: now_secs() - 1,
            ..c
        });
        assert!(keys.verify(&expired).is_err());
        assert!(keys.verify("garbage").is_err());
    }
}
