//! The master key and what it protects. The key is 32 random bytes in `DATA/master.key`
//! (mode 0600; a looser file is refused, since anyone who can read it reads every stored
//! API key). Records are sealed with AES-256-GCM, a fresh nonce each, and the owning user
//! and record ids as associated data, so a ciphertext copied to another row or another
//! user's row fails to open. The key never appears in `Debug` output.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};

pub const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} is readable by others (mode {1:o}); run: chmod 600 {0}")]
    LoosePermissions(String, u32),
    #[error("{0} must hold exactly 32 bytes")]
    BadLength(String),
    #[error("master key file {0}: {1}")]
    Io(String, std::io::Error),
}

#[derive(Debug, thiserror::Error)]
#[error("the stored secret cannot be decrypted (tampered with, moved, or a different master key)")]
pub struct OpenError;

#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// A sealed secret as stored in the database.
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl MasterKey {
    /// Reads the key file, creating it with 32 random bytes and mode 0600 if absent.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        let io = |e| KeyError::Io(shown.clone(), e);
        match std::fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(KeyError::LoosePermissions(shown, mode));
                }
                let bytes = std::fs::read(path).map_err(io)?;
                let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadLength(shown))?;
                Ok(Self(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                OsRng.fill_bytes(&mut key);
                // create_new: two processes starting at once must not both write a key.
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(io)?;
                file.write_all(&key).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(Self(key))
            }
            Err(e) => Err(io(e)),
        }
    }

    #[cfg(test)]
    pub fn from_bytes(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// A separate key for signing JWTs, derived so that one file holds all secrets.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"autocode-derive-v1\0");
        h.update(purpose.as_bytes());
        h.update(b"\0");
        h.update(self.0);
        h.finalize().into()
    }

    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            // AES-GCM only fails for inputs over 64 GiB, which no caller can send.
            .unwrap_or_default();
        Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        }
    }

    /// Opens a sealed text as the database keeps it (a token, a password); None when it
    /// cannot be opened (tampered with, or moved to another row or key) or is not text.
    pub fn open_text(&self, nonce: &[u8], ciphertext: &[u8], aad: &[u8]) -> Option<String> {
        String::from_utf8(self.decrypt(nonce, ciphertext, aad).ok()?).ok()
    }

    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Vec<u8>, OpenError> {
        self.decrypt(&sealed.nonce, &sealed.ciphertext, aad)
    }

    fn decrypt(&self, nonce: &[u8], ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>, OpenError> {
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError)?;
        self.cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| OpenError)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.0).into())
    }
}

/// The last four characters of a secret: enough for its owner to recognise it, never more.
pub fn last4(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("master.key");
        let a = MasterKey::load_or_create(&path).expect("create");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = MasterKey::load_or_create(&path).expect("reload");
        assert_eq!(a.0, b.0);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            MasterKey::load_or_create(&path),
            Err(KeyError::LoosePermissions(..))
        ));
    }

    #[test]
    fn sealed_secrets_are_bound_to_their_record() {
        let key = MasterKey::from_bytes([7; 32]);
        let s = key.seal(b"sk-secret", b"user:1:key:5");
        assert_eq!(key.open(&s, b"user:1:key:5").expect("open"), b"sk-secret");
        assert!(key.open(&s, b"user:2:key:5").is_err());
        assert!(key.open(&s, b"user:1:key:6").is_err());
        let other = MasterKey::from_bytes([8; 32]);
        assert!(other.open(&s, b"user:1:key:5").is_err());
        let again = key.seal(b"sk-secret", b"user:1:key:5");
        assert_ne!(s.nonce, again.nonce, "nonces must never repeat");
    }
}
