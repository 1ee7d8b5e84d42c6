//! A local push service (RFC 8030) for tests and benchmarks, and a browser-side subscriber
//! that decrypts what arrives (RFC 8291) and checks the VAPID JWT (RFC 8292), written from
//! the RFCs independently of the daemon's sender so that one cannot hide the other's bug.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hkdf::Hkdf;
use p256::ecdsa::{Signature, VerifyingKey, signature::Verifier};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;
use tokio::sync::Notify;
use tokio::time::Instant;

/// One request the service received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Statuses to answer with per path, in order; 201 once they run out.
    answers: Mutex<std::collections::HashMap<String, VecDeque<u16>>>,
    arrived: Notify,
}

pub struct MockPushService {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl MockPushService {
    pub async fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let app = axum::Router::new().route(
            "/push/{id}",
            post(
                move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
                    let s = s.clone();
                    async move {
                        let status = s
                            .answers
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get_mut(uri.path())
                            .and_then(VecDeque::pop_front)
                            .unwrap_or(201);
                        s.received
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(Received {
                                path: uri.path().to_owned(),
                                headers,
                                body: body.to_vec(),
                                at: Instant::now(),
                            });
                        s.arrived.notify_waiters();
                        StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED)
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "mock push service stopped");
            }
        });
        Ok(Self { addr, shared, task })
    }

    /// The endpoint a subscription with this id gets.
    pub fn endpoint(&self, id: u32) -> String {
        format!("http://{}/push/{id}", self.addr)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next requests to subscription `id` are answered with these statuses.
    pub fn answer_with(&self, id: u32, statuses: &[u16]) {
        self.shared
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(format!("/push/{id}"))
            .or_default()
            .extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until at least `n` requests arrived; false at the deadline.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            if self.received().len() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.received().len() >= n;
            }
        }
    }
}

impl Drop for MockPushService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a browser keeps for one subscription: its key pair and auth secret.
pub struct Subscriber {
    secret: SecretKey,
    auth: [u8; 16],
}

impl Default for Subscriber {
    fn default() -> Self {
        let mut auth = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut auth);
        Self {
            secret: SecretKey::random(&mut rand::rngs::OsRng),
            auth,
        }
    }
}

impl Subscriber {
    pub fn p256dh(&self) -> String {
        B64.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    pub fn auth(&self) -> String {
        B64.encode(self.auth)
    }

    /// RFC 8291 section 3.4 and RFC 8188, from the receiving side.
    pub fn decrypt(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        if body.len() < 21 {
            return Err("shorter than the header".into());
        }
        let (salt, rest) = body.split_at(16);
        let idlen = rest[4] as usize;
        let (as_public, ciphertext) = rest[5..].split_at(idlen.min(rest.len() - 5));
        let sender = PublicKey::from_sec1_bytes(as_public).map_err(|_| "bad sender key")?;
        let shared =
            p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), sender.as_affine());
        let ua_public = self.secret.public_key().to_encoded_point(false);
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(ua_public.as_bytes());
        info.extend_from_slice(as_public);
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes())
            .expand(&info, &mut ikm)
            .map_err(|_| "hkdf")?;
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
            .map_err(|_| "hkdf")?;
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
            .map_err(|_| "hkdf")?;
        let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| "key")?;
        let mut plain = cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| "the message does not decrypt with this subscription's keys")?;
        // Strip the padding and the last-record delimiter (0x02).
        while plain.last() == Some(&0) {
            plain.pop();
        }
        if plain.pop() != Some(2) {
            return Err("no last-record delimiter".into());
        }
        Ok(plain)
    }
}

/// Checks a `vapid t=..., k=...` header: ES256 signature by `k`, `aud` is `origin`,
/// `exp` in the future and at most 24 hours away. Returns the JWT's claims.
pub fn verify_vapid(authorization: &str, origin: &str) -> Result<serde_json::Value, String> {
    let (t, k) = authorization
        .strip_prefix("vapid t=")
        .and_then(|s| s.split_once(", k="))
        .ok_or("not a vapid authorization")?;
    let (input, sig) = t.rsplit_once('.').ok_or("not a JWT")?;
    let (header, claims) = input.split_once('.').ok_or("not a JWT")?;
    let header: serde_json::Value =
        serde_json::from_slice(&B64.decode(header).map_err(|_| "header b64")?)
            .map_err(|_| "header json")?;
    if header["alg"] != "ES256" {
        return Err(format!("alg is {}", header["alg"]));
    }
    let key = VerifyingKey::from_sec1_bytes(&B64.decode(k).map_err(|_| "k b64")?)
        .map_err(|_| "k is not a P-256 point")?;
    let sig = Signature::from_slice(&B64.decode(sig).map_err(|_| "sig b64")?)
        .map_err(|_| "signature shape")?;
    key.verify(input.as_bytes(), &sig)
        .map_err(|_| "bad signature")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&B64.decode(claims).map_err(|_| "claims b64")?)
            .map_err(|_| "claims json")?;
    if claims["aud"] != origin {
        return Err(format!("aud is {}, not {origin}", claims["aud"]));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let exp = claims["exp"].as_u64().ok_or("no exp")?;
    if exp <= now || exp > now + 24 * 3600 {
        return Err(format!("exp {exp} is not within 24 h of {now}"));
    }
    Ok(claims)
}
