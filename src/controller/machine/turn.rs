//! Bookkeeping about the turn in flight and about repeated trouble.

use tokio::time::Instant;

/// What is known about the turn our latest message started.
#[derive(Debug, Clone)]
pub(super) struct Turn {
    pub sent_at: Instant,
    /// Working was seen (or the CLI said the turn ended). After a fresh send the turn is
    /// only over once work was seen or a grace period passed; a re-adopted step may
    /// already be over.
    pub saw_work: bool,
    /// The CLI's Stop hook arrived for this message.
    pub stop_seen: bool,
    /// The CLI took the message (UserPromptSubmit): only a Stop after that ends the turn,
    /// not a late one from the turn before.
    pub prompt_seen: bool,
    /// Claude's last reply, as the Stop hook handed it over.
    pub reply: Option<String>,
}

impl Turn {
    pub fn new(just_sent: bool, now: Instant) -> Self {
        Self {
            sent_at: now,
            saw_work: !just_sent,
            stop_seen: false,
            prompt_seen: !just_sent,
            reply: None,
        }
    }

    /// A new message was just sent.
    pub fn reset(&mut self, now: Instant) {
        *self = Self::new(true, now);
    }
}

/// Same-error bookkeeping for "the same error again and again → ask", and the count of
/// rule-based decisions in a row (the fallback escalates on it).
#[derive(Debug, Default)]
pub(super) struct Repeats {
    last: Option<String>,
    count: u32,
    pub fallbacks: u32,
}

impl Repeats {
    /// Counts `key`, returning how many times in a row it came.
    pub fn note(&mut self, key: &str) -> u32 {
        if self.last.as_deref() == Some(key) {
            self.count += 1;
        } else {
            self.last = Some(key.to_owned());
            self.count = 1;
        }
        self.count
    }

    pub fn clear_errors(&mut self) {
        self.last = None;
        self.count = 0;
    }
}
