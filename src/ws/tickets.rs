//! Single-use WebSocket tickets: a browser cannot set headers on a WebSocket, and a
//! long-lived access token must not sit in a URL (proxy logs, history), so the client
//! trades its token for a ticket that works once, within 30 s, for the same session.
//! Tickets live only in memory; a daemon restart voids them, which costs a client one
//! extra `POST /api/ws/ticket`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

/// How long an unused ticket stays valid.
pub const TICKET_TTL: Duration = Duration::from_secs(30);
/// Outstanding tickets per user; a client needs one per connection attempt, so more within
/// 30 s means it is minting them in a loop.
const MAX_PER_USER: usize = 64;
/// Outstanding tickets across all users, bounding the memory they take.
const MAX_OUTSTANDING: usize = 10_000;

/// Whom a redeemed ticket was issued to. The session still has to be checked as live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketOwner {
    pub user_id: i64,
    pub sid: String,
}

struct Issued {
    owner: TicketOwner,
    expires: Instant,
}

#[derive(Default)]
pub struct Tickets {
    issued: Mutex<HashMap<String, Issued>>,
}

#[derive(Debug, thiserror::Error)]
#[error("too many outstanding WebSocket tickets")]
pub struct TooManyTickets;

impl Tickets {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Issued>> {
        // The map holds no invariant a panic could break halfway.
        self.issued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Issues a fresh ticket for `owner`.
    pub fn issue(&self, owner: TicketOwner) -> Result<String, TooManyTickets> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let ticket = hex::encode(bytes);
        let now = Instant::now();
        let mut issued = self.lock();
        issued.retain(|_, t| t.expires > now);
        let mine = issued
            .values()
            .filter(|t| t.owner.user_id == owner.user_id)
            .count();
        if mine >= MAX_PER_USER || issued.len() >= MAX_OUTSTANDING {
            return Err(TooManyTickets);
        }
        issued.insert(
            ticket.clone(),
            Issued {
                owner,
                expires: now + TICKET_TTL,
            },
        );
        Ok(ticket)
    }

    /// Takes a ticket out (it never works twice); None when unknown or expired.
    pub fn redeem(&self, ticket: &str) -> Option<TicketOwner> {
        let issued = self.lock().remove(ticket)?;
        (issued.expires > Instant::now()).then_some(issued.owner)
    }

    /// Drops expired tickets (issuing does too; this bounds memory when nobody issues).
    pub fn purge_expired(&self) -> usize {
        let now = Instant::now();
        let mut issued = self.lock();
        let before = issued.len();
        issued.retain(|_, t| t.expires > now);
        before - issued.len()
    }

    #[cfg(test)]
    fn expire_all(&self) {
        let past = Instant::now() - Duration::from_millis(1);
        for t in self.lock().values_mut() {
            t.expires = past;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> TicketOwner {
        TicketOwner {
            user_id: 7,
            sid: "s1".into(),
        }
    }

    #[test]
    fn a_ticket_works_once() {
        let tickets = Tickets::default();
        let t = tickets.issue(owner()).unwrap();
        assert_eq!(t.len(), 64);
        assert_eq!(tickets.redeem(&t), Some(owner()));
        assert_eq!(tickets.redeem(&t), None);
        assert_eq!(tickets.redeem("not-a-ticket"), None);
    }

    #[test]
    fn one_user_cannot_hoard_tickets() {
        let tickets = Tickets::default();
        for _ in 0..MAX_PER_USER {
            tickets.issue(owner()).unwrap();
        }
        assert!(tickets.issue(owner()).is_err());
        let other = TicketOwner {
            user_id: 8,
            sid: "s2".into(),
        };
        assert!(tickets.issue(other).is_ok(), "other users are not affected");
        tickets.expire_all();
        assert!(
            tickets.issue(owner()).is_ok(),
            "expired tickets free the quota"
        );
    }

    #[test]
    fn an_expired_ticket_is_refused() {
        let tickets = Tickets::default();
        let t = tickets.issue(owner()).unwrap();
        tickets.expire_all();
        assert_eq!(tickets.redeem(&t), None);
    }
}
