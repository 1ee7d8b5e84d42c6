//! Notifications to members' phones. Web Push (RFC 8030) encrypted per RFC 8291 and signed
//! per RFC 8292 with the daemon's own VAPID key. The push module listens to the journal's
//! status broadcast (the one the live WebSockets use) and never calls into the controller,
//! so a slow or failing push service can never hold a project up: deliveries are
//! separate tasks, bounded in number, retried with backoff, dropped with a warning when
//! the bound is reached.

pub mod answer;
pub mod channels;
pub mod deliver;
pub mod ece;
pub mod email;
pub mod message;
pub mod notify;
pub mod vapid;

use std::sync::Arc;

pub use deliver::{Delivery, Message, Urgency};
pub use vapid::{Vapid, VapidError};

/// The push side of the daemon: the VAPID identity and the delivery queue. Cheap to clone.
#[derive(Clone)]
pub struct Push {
    pub vapid: Arc<Vapid>,
    pub delivery: Delivery,
    pub cooldowns: Arc<notify::Cooldowns>,
    pub channels: Arc<ChannelSetup>,
    /// Tokens that let a permission notification's buttons answer it.
    pub answers: Arc<answer::AnswerTokens>,
}

/// What ntfy, Telegram and e-mail deliveries need besides the queue.
pub struct ChannelSetup {
    /// Opens the members' sealed Telegram tokens.
    pub master: Arc<crate::secrets::MasterKey>,
    pub telegram_api_base: String,
    /// The daemon's public URL: links in ntfy, Telegram and e-mail messages start with it.
    pub public_url: Option<String>,
}

impl Push {
    pub fn new(vapid: Vapid, cooldown: std::time::Duration, channels: ChannelSetup) -> Self {
        let vapid = Arc::new(vapid);
        Self {
            channels: Arc::new(channels),
            delivery: Delivery::new(vapid.clone()),
            vapid,
            cooldowns: Arc::new(notify::Cooldowns::new(cooldown)),
            answers: Arc::default(),
        }
    }
}
