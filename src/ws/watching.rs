//! Who is looking at which project right now (an open logs or terminal socket), so a
//! notification is not pushed to the phone of a member who is already watching that
//! project live.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Watching {
    counts: Arc<Mutex<HashMap<(i64, i64), usize>>>,
}

/// One open view of a project; dropping it ends the view.
pub struct WatchGuard {
    counts: Arc<Mutex<HashMap<(i64, i64), usize>>>,
    key: (i64, i64),
}

impl Watching {
    pub fn watch(&self, user_id: i64, project_id: i64) -> WatchGuard {
        let key = (user_id, project_id);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(key).or_default() += 1;
        WatchGuard {
            counts: self.counts.clone(),
            key,
        }
    }

    pub fn is_watching(&self, user_id: i64, project_id: i64) -> bool {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(&(user_id, project_id)).is_some_and(|n| *n > 0)
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_lasts_as_long_as_its_guard() {
        let w = Watching::default();
        let a = w.watch(1, 7);
        let b = w.watch(1, 7);
        assert!(w.is_watching(1, 7));
        assert!(!w.is_watching(2, 7), "another member");
        assert!(!w.is_watching(1, 8), "another project");
        drop(a);
        assert!(w.is_watching(1, 7));
        drop(b);
        assert!(!w.is_watching(1, 7));
    }
}
