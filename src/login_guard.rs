//! Brute-force protection for logins: after `max_failures` failed attempts for one
//! username, or from one address, inside the window, further attempts are refused
//! (429) until the oldest failure leaves the window. Kept in memory: a restart forgets,
//! which costs an attacker a daemon restart they cannot cause.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Addr(IpAddr),
}

pub struct LoginGuard {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl LoginGuard {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, addr: Option<IpAddr>) -> Vec<Key> {
        let mut keys = vec![Key::User(username.to_owned())];
        keys.extend(addr.map(Key::Addr));
        keys
    }

    /// `Some(seconds to wait)` when this username or address is locked out.
    pub fn check(&self, username: &str, addr: Option<IpAddr>, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for key in Self::keys(username, addr) {
            if let Some(times) = map.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                if times.len() >= self.max_failures
                    && let Some(oldest) = times.front()
                {
                    let left = self.window.saturating_sub(now.duration_since(*oldest));
                    wait = Some(wait.unwrap_or(0).max(left.as_secs().max(1)));
                }
                if times.is_empty() {
                    map.remove(&key);
                }
            }
        }
        wait
    }

    pub fn record_failure(&self, username: &str, addr: Option<IpAddr>, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in Self::keys(username, addr) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the username's record (not the address's: one address
    /// guessing many usernames stays limited).
    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Key::User(username.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_unlocks_after_window() {
        let g = LoginGuard::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        for _ in 0..3 {
            assert_eq!(g.check("bob", Some(ip), t0), None);
            g.record_failure("bob", Some(ip), t0);
        }
        assert!(g.check("bob", None, t0).is_some(), "username locked");
        assert!(g.check("carol", Some(ip), t0).is_some(), "address locked");
        assert_eq!(g.check("carol", None, t0), None);
        assert_eq!(g.check("bob", None, t0 + Duration::from_secs(61)), None);
    }
}
