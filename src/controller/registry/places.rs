//! Places under a member's limit of running projects (`max_running_projects`): the loops
//! that run and the starts under way, counted under the registry's one lock.

use std::collections::HashMap;

use super::{Controllers, LoopHandle};

/// The loops, and the starts under way (project id → user id) that already hold a place
/// under the member's limit, so two concurrent starts cannot both take the last one.
#[derive(Default)]
pub(super) struct Loops {
    pub(super) running: HashMap<i64, LoopHandle>,
    pub(super) starting: HashMap<i64, i64>,
}

impl Loops {
    pub(super) fn is_running(&self, project_id: i64) -> bool {
        self.running
            .get(&project_id)
            .is_some_and(|h| !h.task.is_finished())
    }

    /// What truly runs for a member: live loops and starts under way.
    pub(super) fn count_for(&self, user_id: i64) -> usize {
        let live = self
            .running
            .values()
            .filter(|h| h.user_id == user_id && !h.task.is_finished())
            .count();
        live + self.starting.values().filter(|u| **u == user_id).count()
    }
}

/// A start's place under the member's limit; given back when the start fails (dropped)
/// or turned into a loop ([`Slot::fill`]).
pub(super) struct Slot<'a> {
    controllers: &'a Controllers,
    project_id: i64,
    held: bool,
}

impl<'a> Slot<'a> {
    pub(super) fn new(controllers: &'a Controllers, project_id: i64) -> Self {
        Self {
            controllers,
            project_id,
            held: true,
        }
    }

    pub(super) fn fill(mut self, loops: &mut Loops) {
        loops.starting.remove(&self.project_id);
        self.held = false;
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if self.held {
            self.controllers.loops().starting.remove(&self.project_id);
        }
    }
}
