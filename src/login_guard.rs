//! Brute-force protection for logins, kept in memory (a restart forgets, which costs an
//! attacker a daemon restart they cannot cause).
//!
//! Failures are counted per (username, address): after `max_failures` of them the next
//! attempt from that address for that name waits 1 s, then 2 s, 4 s… (capped at the
//! window) after the last failure. A username alone is never locked, so guessing the
//! admin's password from elsewhere cannot lock the admin out. Separately, one address
//! failing `SPRAY_FACTOR × max_failures` times inside the window, across any usernames
//! (password spraying), is refused until its oldest failure leaves the window.
//!
//! Memory stays bounded: the caller refuses over-long usernames before recording, an
//! address that hits the spray limit records nothing more, and idle entries are pruned.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many more failures one address may make across usernames than for one username.
pub const SPRAY_FACTOR: usize = 4;
/// Entries are pruned of idle records once the map grows past this many.
const PRUNE_ABOVE: usize = 4096;

type Pair = (String, Option<IpAddr>);

/// Failures of one (username, address) pair.
struct Streak {
    count: u32,
    last: Instant,
}

#[derive(Default)]
struct Failures {
    pairs: HashMap<Pair, Streak>,
    addrs: HashMap<Option<IpAddr>, VecDeque<Instant>>,
}

pub struct LoginGuard {
    max_failures: usize,
    window: Duration,
    failures: Mutex<Failures>,
}

impl LoginGuard {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window,
            failures: Mutex::new(Failures::default()),
        }
    }

    /// How long the pair waits after its last failure; zero below the threshold.
    fn backoff(&self, count: u32) -> Duration {
        let over = (count as usize).checked_sub(self.max_failures);
        match over {
            None => Duration::ZERO,
            Some(n) => {
                let secs = 1u64.checked_shl(n.min(32) as u32).unwrap_or(u64::MAX);
                Duration::from_secs(secs).min(self.window)
            }
        }
    }

    /// `Some(seconds to wait)` when this username from this address, or this address as
    /// a whole, must wait before trying again.
    pub fn check(&self, username: &str, addr: Option<IpAddr>, now: Instant) -> Option<u64> {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        let pair = (username.to_owned(), addr);
        if let Some(streak) = f.pairs.get(&pair) {
            let idle = now.saturating_duration_since(streak.last);
            if idle >= self.window {
                f.pairs.remove(&pair);
            } else {
                wait = wait.max(self.backoff(streak.count).saturating_sub(idle));
            }
        }
        if let Some(times) = f.addrs.get_mut(&addr) {
            while times
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
            {
                times.pop_front();
            }
            if times.len() >= self.max_failures * SPRAY_FACTOR
                && let Some(oldest) = times.front()
            {
                wait = wait.max(
                    self.window
                        .saturating_sub(now.saturating_duration_since(*oldest)),
                );
            }
            if times.is_empty() {
                f.addrs.remove(&addr);
            }
        }
        // Round up: "wait 0 s" would invite an immediate retry that is refused again.
        (!wait.is_zero()).then(|| wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }

    pub fn record_failure(&self, username: &str, addr: Option<IpAddr>, now: Instant) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.pairs.len() + f.addrs.len() > PRUNE_ABOVE {
            let window = self.window;
            f.pairs
                .retain(|_, s| now.saturating_duration_since(s.last) < window);
            f.addrs.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
        }
        let streak = f
            .pairs
            .entry((username.to_owned(), addr))
            .or_insert(Streak {
                count: 0,
                last: now,
            });
        streak.count = streak.count.saturating_add(1);
        streak.last = now;
        let times = f.addrs.entry(addr).or_default();
        times.push_back(now);
        // Only the newest failures inside the limit matter; older ones cannot pile up.
        while times.len() > self.max_failures * SPRAY_FACTOR {
            times.pop_front();
        }
    }

    /// A successful login clears this pair's streak (not the address's: one address
    /// guessing many usernames stays limited).
    pub fn record_success(&self, username: &str, addr: Option<IpAddr>) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        f.pairs.remove(&(username.to_owned(), addr));
    }

    /// How many (username, address) pairs are remembered (for tests of the length cap).
    pub fn remembered_pairs(&self) -> usize {
        let f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        f.pairs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn one_address_backs_off_while_the_username_stays_open_elsewhere() {
        let g = LoginGuard::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let (x, y) = (ip("10.0.0.1"), ip("10.0.0.2"));
        for _ in 0..3 {
            assert_eq!(g.check("admin", x, t0), None);
            g.record_failure("admin", x, t0);
        }
        assert_eq!(g.check("admin", x, t0), Some(1), "first back-off is 1 s");
        assert_eq!(g.check("admin", y, t0), None, "never locked for everybody");
        assert_eq!(g.check("admin", x, t0 + Duration::from_secs(1)), None);
        g.record_failure("admin", x, t0 + Duration::from_secs(1));
        assert_eq!(g.check("admin", x, t0 + Duration::from_secs(1)), Some(2));
        g.record_failure("admin", x, t0 + Duration::from_secs(3));
        assert_eq!(g.check("admin", x, t0 + Duration::from_secs(3)), Some(4));
        // Capped at the window, and forgotten after a quiet window.
        for _ in 0..20 {
            g.record_failure("admin", x, t0 + Duration::from_secs(3));
        }
        assert_eq!(g.check("admin", x, t0 + Duration::from_secs(3)), Some(60));
        assert_eq!(g.check("admin", x, t0 + Duration::from_secs(63)), None);
        g.record_success("admin", y);
        assert_eq!(g.check("admin", y, t0), None);
    }

    #[test]
    fn spraying_many_usernames_from_one_address_is_limited() {
        let g = LoginGuard::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        let x = ip("10.0.0.1");
        for i in 0..2 * SPRAY_FACTOR {
            assert_eq!(g.check(&format!("u{i}"), x, t0), None, "{i}");
            g.record_failure(&format!("u{i}"), x, t0);
        }
        assert_eq!(g.check("fresh", x, t0), Some(60));
        assert_eq!(g.check("fresh", ip("10.0.0.2"), t0), None);
        assert_eq!(g.check("fresh", x, t0 + Duration::from_secs(60)), None);
    }
}
