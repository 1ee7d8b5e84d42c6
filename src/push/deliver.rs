//! The delivery queue: each message to each subscription is a task holding one of a fixed
//! number of permits (the queue's bound); a message that finds no permit is dropped with a
//! warning rather than waited for. 429 and 5xx are retried with backoff (or the service's
//! `Retry-After`), 404 and 410 remove the subscription, anything else is logged once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::SqlitePool;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{ece, vapid};
use crate::db::push::Subscription;

/// Messages in flight (waiting, sending or backing off) at most.
const QUEUE_BOUND: usize = 256;
/// Sends of one message before giving up.
const ATTEMPTS: u32 = 4;
/// First backoff; doubled each time, and a `Retry-After` is capped at the last one.
const BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a push service keeps an undelivered message for an offline phone.
const TTL_SECS: u32 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Normal,
    High,
}

impl Urgency {
    fn header(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// One notification for one subscription.
#[derive(Debug, Clone)]
pub struct Message {
    /// The JSON the service worker receives.
    pub payload: serde_json::Value,
    pub urgency: Urgency,
    /// A newer message with the same topic replaces an undelivered older one.
    pub topic: String,
}

impl Message {
    /// A text field of the payload (title, body, url...) for channels that are not a
    /// browser: empty when absent.
    pub fn field(&self, name: &str) -> String {
        self.payload[name].as_str().unwrap_or_default().to_owned()
    }
}

#[derive(Clone)]
pub struct Delivery {
    vapid: Arc<vapid::Vapid>,
    http: reqwest::Client,
    permits: Arc<Semaphore>,
    dropped: Arc<AtomicU64>,
}

enum Outcome {
    Delivered,
    Gone,
    Retry(Option<Duration>),
    Refused(String),
}

impl Delivery {
    pub fn new(vapid: Arc<vapid::Vapid>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            // Push services answer directly; a redirect would send the JWT elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            vapid,
            http,
            permits: Arc::new(Semaphore::new(QUEUE_BOUND)),
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Messages dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Queues a message; returns at once. False when the queue is full and it was dropped.
    pub fn enqueue(
        &self,
        db: &SqlitePool,
        sub: Subscription,
        msg: Message,
        cancel: &CancellationToken,
    ) -> bool {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                subscription = sub.id,
                "push queue full; notification dropped"
            );
            return false;
        };
        let this = self.clone();
        let db = db.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = this.run(&db, &sub, &msg) => {}
            }
            drop(permit);
        });
        true
    }

    /// Queues a message for an ntfy topic or a Telegram chat; same bound, same retries.
    pub fn enqueue_channel(
        &self,
        channel: super::channels::Channel,
        msg: Message,
        link_base: Option<String>,
        cancel: &CancellationToken,
    ) -> bool {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("notification queue full; notification dropped");
            return false;
        };
        let http = self.http.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let run = async {
                let mut backoff = BACKOFF;
                for attempt in 1..=ATTEMPTS {
                    match super::channels::send(&http, &channel, &msg, link_base.as_deref()).await {
                        super::channels::Sent::Done => return,
                        super::channels::Sent::Refused(why) => {
                            tracing::warn!(%why, "notification channel refused the message");
                            return;
                        }
                        super::channels::Sent::Retry if attempt < ATTEMPTS => {
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                        }
                        super::channels::Sent::Retry => {
                            tracing::warn!("notification channel failed {ATTEMPTS} times; dropped");
                        }
                    }
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = run => {}
            }
            drop(permit);
        });
        true
    }

    async fn run(&self, db: &SqlitePool, sub: &Subscription, msg: &Message) {
        let mut backoff = BACKOFF;
        for attempt in 1..=ATTEMPTS {
            match self.send(sub, msg).await {
                Outcome::Delivered => {
                    crate::metrics::count_push_sent();
                    return;
                }
                Outcome::Gone => {
                    crate::metrics::count_push_failed();
                    tracing::info!(subscription = sub.id, "push subscription expired; removed");
                    if let Err(e) = crate::db::push::forget(db, sub.id).await {
                        tracing::error!(error = %e, "removing an expired push subscription failed");
                    }
                    return;
                }
                Outcome::Refused(why) => {
                    crate::metrics::count_push_failed();
                    tracing::warn!(subscription = sub.id, %why, "push refused");
                    return;
                }
                Outcome::Retry(after) if attempt < ATTEMPTS => {
                    let wait = after.unwrap_or(backoff).min(MAX_BACKOFF);
                    tracing::debug!(subscription = sub.id, attempt, ?wait, "push retry");
                    tokio::time::sleep(wait).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Outcome::Retry(_) => {
                    crate::metrics::count_push_failed();
                    tracing::warn!(
                        subscription = sub.id,
                        "push failed {ATTEMPTS} times; dropped"
                    );
                }
            }
        }
    }

    async fn send(&self, sub: &Subscription, msg: &Message) -> Outcome {
        let Ok(endpoint) = reqwest::Url::parse(&sub.endpoint) else {
            return Outcome::Refused("the endpoint is not a URL".into());
        };
        let decode = |s: &str| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('='))
        };
        let (Ok(p256dh), Ok(auth)) = (decode(&sub.p256dh), decode(&sub.auth)) else {
            return Outcome::Refused("the subscription keys are not base64url".into());
        };
        let body = match ece::encrypt(&p256dh, &auth, msg.payload.to_string().as_bytes()) {
            Ok(body) => body,
            Err(e) => return Outcome::Refused(e.to_string()),
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let authorization = self.vapid.authorization(&vapid::origin_of(&endpoint), now);
        let sent = self
            .http
            .post(endpoint)
            .header("TTL", TTL_SECS.to_string())
            .header("Urgency", msg.urgency.header())
            .header("Topic", &msg.topic)
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("Authorization", authorization)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, "push service unreachable");
                return Outcome::Retry(None);
            }
        };
        let status = response.status().as_u16();
        match status {
            200..=299 => Outcome::Delivered,
            404 | 410 => Outcome::Gone,
            429 | 500..=599 => Outcome::Retry(
                response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok())
                    .map(Duration::from_secs),
            ),
            other => Outcome::Refused(format!("the push service answered {other}")),
        }
    }
}
