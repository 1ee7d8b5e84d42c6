//! The per-user cap on open WebSockets. A permit is taken before the upgrade (so a client
//! over the cap gets a plain 429) and released when the connection task drops it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct OpenSockets {
    counts: Arc<Mutex<HashMap<i64, usize>>>,
}

/// One open socket of a user; dropping it frees the slot.
pub struct SocketPermit {
    counts: Arc<Mutex<HashMap<i64, usize>>>,
    user_id: i64,
}

impl OpenSockets {
    /// A permit unless the user already has `max` sockets open.
    pub fn try_open(&self, user_id: i64, max: usize) -> Option<SocketPermit> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(user_id).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(SocketPermit {
            counts: self.counts.clone(),
            user_id,
        })
    }

    /// Every user's open sockets together (for metrics).
    pub fn total(&self) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.values().sum()
    }

    pub fn open_for(&self, user_id: i64) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(&user_id).copied().unwrap_or(0)
    }
}

impl Drop for SocketPermit {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.user_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_holds_per_user_and_frees_on_drop() {
        let open = OpenSockets::default();
        let a = open.try_open(1, 2).unwrap();
        let _b = open.try_open(1, 2).unwrap();
        assert!(open.try_open(1, 2).is_none());
        assert!(
            open.try_open(2, 2).is_some(),
            "another user is not affected"
        );
        drop(a);
        assert_eq!(open.open_for(1), 1);
        assert!(open.try_open(1, 2).is_some());
    }
}
