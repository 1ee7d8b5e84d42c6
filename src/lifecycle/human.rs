//! Who is typing into a project's terminal. While a human holds a project, the controller
//! must not send anything to its pane ([`HumanControl::is_human_in_control`]). Control is
//! bound to the WebSocket connection that took it, and ends when that connection releases
//! it, when another connection takes it over, or after `idle` without input. A dropped
//! connection does not release it at once: a phone that loses its network for a few
//! seconds would otherwise let the controller type into the middle of the human's work.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

/// The human in control of one project's terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub user_id: i64,
    /// Username, shown as "human in control: {by}".
    pub by: String,
    pub since: Instant,
    pub last_input: Instant,
    /// The WebSocket connection allowed to type.
    pub connection: u64,
}

/// Registry of take-overs, project id → holder. Cheap to clone.
#[derive(Clone)]
pub struct HumanControl {
    holders: Arc<Mutex<HashMap<i64, Holder>>>,
    /// Project ids whose holder changed.
    changes: broadcast::Sender<i64>,
    idle: Duration,
}

impl HumanControl {
    pub fn new(idle: Duration) -> Self {
        let (changes, _) = broadcast::channel(256);
        Self {
            holders: Arc::default(),
            changes,
            idle,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Holder>> {
        // Each entry is replaced whole; a panic cannot leave one half-written.
        self.holders.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn announce(&self, project_id: i64) {
        // Nobody watching the terminal is a normal state.
        if self.changes.send(project_id).is_err() {
            tracing::trace!(project_id, "control change with no terminal open");
        }
    }

    /// Announces project ids whose holder changed (taken, released, expired).
    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.changes.subscribe()
    }

    /// The current holder; an idle one is released here (and the release announced).
    pub fn current(&self, project_id: i64) -> Option<Holder> {
        let expired = {
            let mut holders = self.lock();
            match holders.get(&project_id) {
                Some(h) if h.last_input.elapsed() < self.idle => return Some(h.clone()),
                Some(_) => holders.remove(&project_id).is_some(),
                None => false,
            }
        };
        if expired {
            self.announce(project_id);
        }
        None
    }

    /// What the controller checks before sending anything to a project's pane.
    pub fn is_human_in_control(&self, project_id: i64) -> bool {
        self.current(project_id).is_some()
    }

    /// Gives control to `connection`, taking it from whoever had it.
    pub fn take(&self, project_id: i64, user_id: i64, by: &str, connection: u64) -> Holder {
        let now = Instant::now();
        let holder = Holder {
            user_id,
            by: by.to_owned(),
            since: now,
            last_input: now,
            connection,
        };
        self.lock().insert(project_id, holder.clone());
        self.announce(project_id);
        holder
    }

    /// Records input from `connection`; false (and nothing recorded) unless it holds control.
    pub fn touch(&self, project_id: i64, connection: u64) -> bool {
        if self.current(project_id).is_none() {
            return false;
        }
        match self.lock().get_mut(&project_id) {
            Some(h) if h.connection == connection => {
                h.last_input = Instant::now();
                true
            }
            _ => false,
        }
    }

    /// Ends control if `connection` holds it; returns whether it did.
    pub fn release(&self, project_id: i64, connection: u64) -> bool {
        let released = {
            let mut holders = self.lock();
            match holders.get(&project_id) {
                Some(h) if h.connection == connection => holders.remove(&project_id).is_some(),
                _ => false,
            }
        };
        if released {
            self.announce(project_id);
        }
        released
    }

    /// Ends any human's control of a project (the project stopped or was deleted).
    pub fn release_any(&self, project_id: i64) -> bool {
        let released = self.lock().remove(&project_id).is_some();
        if released {
            self.announce(project_id);
        }
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_connection_in_control_may_type() {
        let control = HumanControl::new(Duration::from_secs(60));
        let mut changes = control.subscribe();
        assert!(!control.touch(1, 10), "nobody took over yet");
        control.take(1, 5, "alice", 10);
        assert_eq!(changes.try_recv().unwrap(), 1);
        assert!(control.is_human_in_control(1));
        assert!(!control.is_human_in_control(2));
        assert!(control.touch(1, 10));
        assert!(!control.touch(1, 11), "another tab stays read-only");
        assert!(!control.release(1, 11));
        control.take(1, 5, "alice", 11);
        assert!(!control.touch(1, 10), "taken over by the other tab");
        assert!(control.release(1, 11));
        assert!(!control.is_human_in_control(1));
    }

    #[test]
    fn idle_control_expires_and_is_announced() {
        let control = HumanControl::new(Duration::ZERO);
        control.take(3, 5, "alice", 1);
        let mut changes = control.subscribe();
        assert!(!control.is_human_in_control(3));
        assert_eq!(changes.try_recv().unwrap(), 3);
        assert!(!control.touch(3, 1));
    }
}
