//! Fan-out of pane output to terminal sockets. One task reads the monitor's event channel
//! and hands each pane's events to that pane's viewers through bounded queues with
//! `try_send`, so a viewer that stops reading only loses its own events (it is flagged
//! `lagged` and redraws from a fresh snapshot) and never slows the monitor or other viewers.
//! Viewers do not each subscribe to the monitor: 400 sockets would then all wake up for
//! every pane's output.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::tmux::{Monitor, PaneId, ScreenEvent};

/// Events queued per viewer before it is considered lagging.
const VIEWER_QUEUE: usize = 256;

/// What a viewer receives about its pane.
#[derive(Debug, Clone)]
pub enum PaneFeed {
    /// Output bytes; `seq` continues the sequence of [`crate::tmux::Snapshot::seq`].
    Bytes {
        seq: u64,
        bytes: Arc<[u8]>,
    },
    /// The screen changed without output (a resync from tmux): take a new snapshot.
    Redraw,
    Exited {
        status: Option<i32>,
    },
}

struct Viewer {
    id: u64,
    tx: mpsc::Sender<PaneFeed>,
    lagged: Arc<AtomicBool>,
}

type Viewers = Arc<Mutex<HashMap<PaneId, Vec<Viewer>>>>;

#[derive(Clone, Default)]
pub struct TerminalHub {
    viewers: Viewers,
    started: Arc<OnceLock<()>>,
    next_id: Arc<AtomicU64>,
}

/// A viewer's queue; dropping it unregisters the viewer.
pub struct Subscription {
    pub rx: mpsc::Receiver<PaneFeed>,
    /// Set when events were dropped for this viewer; it must redraw from a snapshot.
    pub lagged: Arc<AtomicBool>,
    pub pane: PaneId,
    id: u64,
    viewers: Viewers,
}

fn lock(viewers: &Viewers) -> MutexGuard<'_, HashMap<PaneId, Vec<Viewer>>> {
    // Lists of senders: nothing a panic could leave inconsistent.
    viewers.lock().unwrap_or_else(|e| e.into_inner())
}

impl TerminalHub {
    /// Registers a viewer of `pane`. The fan-out task starts with the first viewer and
    /// runs until `shutdown` or until the monitor goes away. Take the snapshot after this
    /// returns, so that no output falls between the two.
    pub fn subscribe(
        &self,
        monitor: &Monitor,
        pane: PaneId,
        shutdown: &CancellationToken,
    ) -> Subscription {
        self.started.get_or_init(|| {
            let events = monitor.subscribe();
            let viewers = self.viewers.clone();
            let screens = monitor.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move { fan_out(events, viewers, screens, shutdown).await });
        });
        let (tx, rx) = mpsc::channel(VIEWER_QUEUE);
        let lagged = Arc::new(AtomicBool::new(false));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.viewers).entry(pane).or_default().push(Viewer {
            id,
            tx,
            lagged: lagged.clone(),
        });
        Subscription {
            rx,
            lagged,
            pane,
            id,
            viewers: self.viewers.clone(),
        }
    }

    /// Number of registered viewers (diagnostics and tests).
    pub fn viewer_count(&self) -> usize {
        lock(&self.viewers).values().map(Vec::len).sum()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut viewers = lock(&self.viewers);
        if let Some(list) = viewers.get_mut(&self.pane) {
            list.retain(|v| v.id != self.id);
            if list.is_empty() {
                viewers.remove(&self.pane);
            }
        }
    }
}

fn deliver(viewers: &Viewers, pane: PaneId, feed: PaneFeed) {
    let viewers = lock(viewers);
    for viewer in viewers.get(&pane).into_iter().flatten() {
        if let Err(mpsc::error::TrySendError::Full(_)) = viewer.tx.try_send(feed.clone()) {
            viewer.lagged.store(true, Ordering::Release);
        }
        // A closed queue belongs to a viewer whose Drop is about to unregister it.
    }
}

async fn fan_out(
    mut events: broadcast::Receiver<ScreenEvent>,
    viewers: Viewers,
    monitor: Monitor,
    shutdown: CancellationToken,
) {
    // Last output seq handed out per pane, to tell a resync (screen changed, no output)
    // from the change that follows every output.
    let mut delivered: HashMap<PaneId, u64> = HashMap::new();
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => break,
            event = events.recv() => event,
        };
        match event {
            Ok(ScreenEvent::Output { pane, seq, bytes }) => {
                delivered.insert(pane, seq);
                deliver(&viewers, pane, PaneFeed::Bytes { seq, bytes });
            }
            Ok(ScreenEvent::ScreenChanged { pane }) => {
                let current = monitor.screens().seq(pane);
                // Output still queued behind this event would explain a higher seq; only
                // an idle queue means the screen was replaced.
                if current.is_some_and(|s| delivered.get(&pane).is_none_or(|&d| s > d))
                    && events.is_empty()
                {
                    if let Some(s) = current {
                        delivered.insert(pane, s);
                    }
                    deliver(&viewers, pane, PaneFeed::Redraw);
                }
            }
            Ok(ScreenEvent::PaneExited { pane, status }) => {
                delivered.remove(&pane);
                deliver(&viewers, pane, PaneFeed::Exited { status });
            }
            Ok(ScreenEvent::ClientReconnected) => {}
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "terminal fan-out fell behind the monitor");
                for viewer in lock(&viewers).values().flatten() {
                    viewer.lagged.store(true, Ordering::Release);
                    // Wakes a viewer of a quiet pane, which would otherwise not look at
                    // the flag until its pane writes again; a full queue wakes it anyway.
                    if viewer.tx.try_send(PaneFeed::Redraw).is_err() {
                        tracing::trace!(viewer = viewer.id, "viewer queue full or closed");
                    }
                }
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    tracing::debug!("terminal fan-out stopped");
}
