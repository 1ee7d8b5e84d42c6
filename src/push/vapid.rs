//! The daemon's VAPID identity (RFC 8292): one P-256 key pair made on first start and kept
//! in `DATA/vapid.key` (mode 0600), and the short-lived ES256 JWT that proves to a push
//! service that a message comes from the server the browser subscribed with.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use serde_json::json;

/// How long a JWT is good for; RFC 8292 allows at most 24 hours.
const JWT_LIFETIME_SECS: u64 = 12 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    #[error("cannot read or write the VAPID key {0}: {1}")]
    Io(String, std::io::Error),
    #[error(
        "{0} is not a P-256 private key; move it away to make a new one (browsers will need to subscribe again)"
    )]
    Corrupt(String),
    #[error("{0} can be read by other users; run chmod 600 on it")]
    Exposed(String),
}

pub struct Vapid {
    key: SigningKey,
    /// The uncompressed public point, base64url: the browser's `applicationServerKey`.
    public: String,
    /// Who to contact about our traffic (`sub`): a mailto: or https: URL.
    subject: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public", &self.public)
            .finish()
    }
}

impl Vapid {
    /// Loads the key, or creates it (0600) if there is none yet.
    pub fn load_or_create(path: &Path, subject: String) -> Result<Self, VapidError> {
        let shown = || path.display().to_string();
        let key = match std::fs::read(path) {
            Ok(bytes) => {
                let mode = std::fs::metadata(path)
                    .map_err(|e| VapidError::Io(shown(), e))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(VapidError::Exposed(shown()));
                }
                SigningKey::from_slice(&bytes).map_err(|_| VapidError::Corrupt(shown()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SigningKey::random(&mut rand::rngs::OsRng);
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| VapidError::Io(shown(), e))?;
                file.write_all(&key.to_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| VapidError::Io(shown(), e))?;
                key
            }
            Err(e) => return Err(VapidError::Io(shown(), e)),
        };
        let public = B64.encode(key.verifying_key().to_encoded_point(false).as_bytes());
        Ok(Self {
            key,
            public,
            subject,
        })
    }

    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a push to `endpoint`'s origin, valid from `now`.
    pub fn authorization(&self, origin: &str, now_unix: u64) -> String {
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = json!({
            "aud": origin,
            "exp": now_unix + JWT_LIFETIME_SECS,
            "sub": self.subject,
        });
        let claims = B64.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        let jwt = format!("{signing_input}.{}", B64.encode(signature.to_bytes()));
        format!("vapid t={jwt}, k={}", self.public)
    }
}

/// `scheme://host[:port]` of an endpoint: the JWT's audience.
pub fn origin_of(endpoint: &reqwest::Url) -> String {
    endpoint.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::{VerifyingKey, signature::Verifier};

    #[test]
    fn the_key_is_kept_private_and_reused_and_the_jwt_verifies() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("vapid.key");
        let first = Vapid::load_or_create(&path, "mailto:a@b".into()).expect("create");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Vapid::load_or_create(&path, "mailto:a@b".into()).expect("load");
        assert_eq!(first.public_key(), again.public_key());

        let auth = first.authorization("https://push.example", 1_000);
        let (t, k) = auth
            .strip_prefix("vapid t=")
            .and_then(|s| s.split_once(", k="))
            .expect("shape");
        assert_eq!(k, first.public_key());
        let (input, sig) = t.rsplit_once('.').expect("jwt");
        let key = VerifyingKey::from_sec1_bytes(&B64.decode(k).expect("k")).expect("point");
        let sig = Signature::from_slice(&B64.decode(sig).expect("sig")).expect("sig");
        key.verify(input.as_bytes(), &sig).expect("valid signature");
        let claims: serde_json::Value = serde_json::from_slice(
            &B64.decode(input.split('.').nth(1).expect("claims"))
                .expect("b64"),
        )
        .expect("json");
        assert_eq!(claims["aud"], "https://push.example");
        assert_eq!(claims["exp"], 1_000 + JWT_LIFETIME_SECS);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            Vapid::load_or_create(&path, String::new()),
            Err(VapidError::Exposed(_))
        ));
    }
}
