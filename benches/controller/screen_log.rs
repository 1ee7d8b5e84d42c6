//! Watches every pane of the daemon's tmux monitor from the benchmark's side and keeps each
//! change of the classified screen state with the instant it was first seen (no debounce),
//! so the time the CLI takes to draw can be told apart from the controller's settle time.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use autocode::screen::{PaneMeta, ScreenRules, State, classify};
use autocode::tmux::{Monitor, ScreenEvent};
use tokio_util::sync::CancellationToken;

/// State changes of the watched panes, oldest first.
#[derive(Clone, Default)]
pub struct ScreenLog {
    changes: Arc<Mutex<Vec<(Instant, State)>>>,
}

impl ScreenLog {
    /// Starts watching; stops when `cancel` fires. The benchmark runs one project at a
    /// time, so the changes of all panes form one sequence.
    pub fn start(monitor: Monitor, rules: ScreenRules, cancel: CancellationToken) -> Self {
        let log = ScreenLog::default();
        let changes = log.changes.clone();
        let mut events = monitor.subscribe();
        tokio::spawn(async move {
            let mut last: Option<State> = None;
            loop {
                let pane = tokio::select! {
                    () = cancel.cancelled() => break,
                    ev = events.recv() => match ev {
                        Ok(ScreenEvent::ScreenChanged { pane }) => pane,
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    },
                };
                let at = Instant::now();
                let text = monitor.screens().text(pane).unwrap_or_default();
                let state = classify(&text, Some(&PaneMeta::default()), &rules).state;
                if last != Some(state) {
                    last = Some(state);
                    changes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((at, state));
                }
            }
        });
        log
    }

    /// The first instant after `after` at which the screen showed one of `states`.
    pub fn first(&self, after: Instant, states: &[State]) -> Option<Instant> {
        let changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        changes
            .iter()
            .find(|(at, state)| *at >= after && states.contains(state))
            .map(|(at, _)| *at)
    }
}
