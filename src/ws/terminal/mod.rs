//! The `/terminal` stream of one project: a snapshot of the pane's screen from the
//! monitor's emulator, then the pane's raw output as binary frames (at most one every
//! [`BATCH`]), `control` notices, and, after an explicit take-over, the owner's typing.
//! A viewer that falls behind skips what it missed and redraws from a fresh snapshot;
//! every byte frame continues exactly where the last snapshot or frame ended (output
//! sequence numbers, see [`crate::tmux::Snapshot`]).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::ws::WebSocket;
use tokio::sync::broadcast;

use super::conn::{CloseReason, Conn, ConnError, Incoming};
use super::hub::{PaneFeed, Subscription};
use super::protocol::{TerminalNotice, TerminalRequest};
use crate::state::AppState;
use crate::tmux::{PaneId, SessionName};

mod input;
pub use input::parse_key;

/// Output is sent at most this often per viewer; bytes in between are batched.
pub const BATCH: Duration = Duration::from_millis(16);
/// Unsent output beyond this means the viewer cannot keep up: redraw instead.
const MAX_PENDING: usize = 1 << 20;
/// How often a viewer without a live pane looks for one, and idle control is expired.
const HOUSEKEEPING: Duration = Duration::from_secs(1);
/// Typing is journaled once per burst, after this long without input.
const TYPING_BURST: Duration = Duration::from_secs(1);

/// The signed-in owner watching the terminal.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: i64,
    pub username: String,
    /// Distinguishes this socket from the same user's other tabs.
    pub connection: u64,
}

struct Watched {
    sub: Subscription,
    /// Output sequence number the client's screen is at (snapshot plus sent and pending).
    seq: u64,
    pending: Vec<u8>,
    last_flush: Instant,
    flush_at: Option<tokio::time::Instant>,
    exited: bool,
}

struct Terminal {
    state: AppState,
    project_id: i64,
    session: Option<SessionName>,
    viewer: Viewer,
    pane: Option<Watched>,
    placeholder_sent: bool,
    typed_chars: usize,
    typed_at: Option<Instant>,
}

/// Runs one `/terminal` connection until the client leaves, goes idle, or the server stops.
pub async fn run(
    socket: WebSocket,
    state: AppState,
    project_id: i64,
    tmux_session: String,
    viewer: Viewer,
) {
    let (ping_every, idle) = super::conn::keep_alive_timing(&state.config.file);
    let mut conn = Conn::new(socket, idle);
    let mut ping = tokio::time::interval(ping_every);
    ping.reset();
    let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
    housekeeping.reset();
    let mut control_changes = state.human.subscribe();
    let shutdown = state.ws.shutdown.clone();
    let session = SessionName::new(tmux_session.as_str()).ok();
    if session.is_none() {
        tracing::warn!(
            project_id,
            tmux_session,
            "project has an invalid tmux session name"
        );
    }
    let mut term = Terminal {
        state: state.clone(),
        project_id,
        session,
        viewer,
        pane: None,
        placeholder_sent: false,
        typed_chars: 0,
        typed_at: None,
    };
    let mut result = async {
        term.attach(&mut conn).await?;
        term.send_control(&mut conn).await
    }
    .await
    .map(|()| None);
    while let Ok(None) = result {
        let flush_at = term.pane.as_ref().and_then(|w| w.flush_at);
        result = tokio::select! {
            _ = shutdown.cancelled() => Ok(Some(CloseReason::ShuttingDown)),
            incoming = conn.recv() => match incoming {
                Incoming::Text(text) => term.request(&mut conn, text.as_str()).await.map(|()| None),
                Incoming::Ignored => Ok(None),
                Incoming::TooBig => Ok(Some(CloseReason::TooBig)),
                Incoming::Gone => break,
            },
            feed = next_feed(&mut term.pane) => term.feed(&mut conn, feed).await.map(|()| None),
            _ = sleep_until(flush_at) => term.flush(&mut conn).await.map(|()| None),
            change = control_changes.recv() => match change {
                Ok(id) if id != term.project_id => Ok(None),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    term.send_control(&mut conn).await.map(|()| None)
                }
                Err(broadcast::error::RecvError::Closed) => Ok(Some(CloseReason::ShuttingDown)),
            },
            _ = ping.tick() => conn.keep_alive().await.map(|alive| (!alive).then_some(CloseReason::Idle)),
            _ = housekeeping.tick() => term.housekeeping(&mut conn).await.map(|()| None),
        };
    }
    term.journal_typing().await;
    match result {
        Ok(Some(reason)) => conn.close(reason).await,
        Ok(None) => {}
        Err(e) => tracing::debug!(project_id, error = %e, "terminal socket ended"),
    }
}

async fn next_feed(pane: &mut Option<Watched>) -> Option<PaneFeed> {
    match pane {
        Some(w) => w.sub.rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn placeholder() -> TerminalNotice {
    TerminalNotice::Snapshot {
        cols: 80,
        rows: 24,
        data: "\x1bc\r\n  No terminal is running for this project.\r\n  It appears here as soon as the agent starts.\r\n".into(),
        live: false,
    }
}

impl Terminal {
    /// Finds the project's pane (a live one first, else the dead one tmux still shows)
    /// and makes sure the monitor tracks it.
    async fn find_pane(&self) -> Option<PaneId> {
        let monitor = self.state.monitor.as_ref()?;
        let session = self.session.as_ref()?;
        let panes = match monitor.tmux().session_panes(session).await {
            Ok(panes) => panes,
            Err(e) => {
                tracing::trace!(project_id = self.project_id, error = %e, "no pane for project");
                return None;
            }
        };
        let pane = panes.iter().find(|p| !p.dead).or(panes.first())?.id;
        if !monitor.screens().contains(pane)
            && let Err(e) = monitor.adopt(session).await
        {
            tracing::warn!(project_id = self.project_id, error = %e, "cannot adopt pane");
            return None;
        }
        Some(pane)
    }

    /// Switches to the project's current pane if it changed, or shows the placeholder.
    async fn attach(&mut self, conn: &mut Conn) -> Result<(), ConnError> {
        let found = self.find_pane().await;
        let current = self.pane.as_ref().map(|w| w.sub.pane);
        match (found, self.state.monitor.clone()) {
            (Some(pane), Some(monitor)) if Some(pane) != current => {
                let sub =
                    self.state
                        .ws
                        .terminals
                        .subscribe(&monitor, pane, &self.state.ws.shutdown);
                self.pane = Some(Watched {
                    sub,
                    seq: 0,
                    pending: Vec::new(),
                    last_flush: Instant::now(),
                    flush_at: None,
                    exited: false,
                });
                self.redraw(conn).await
            }
            (Some(_), _) => Ok(()),
            (None, _) if self.pane.is_none() && !self.placeholder_sent => {
                self.placeholder_sent = true;
                conn.send_json(&placeholder()).await
            }
            (None, _) => Ok(()),
        }
    }

    /// Sends a fresh snapshot; queued and pending output it already contains is dropped.
    async fn redraw(&mut self, conn: &mut Conn) -> Result<(), ConnError> {
        let Some(monitor) = self.state.monitor.as_ref() else {
            return Ok(());
        };
        let Some(w) = self.pane.as_mut() else {
            return Ok(());
        };
        // Cleared before the snapshot: a drop after this point flags the next redraw.
        w.sub.lagged.store(false, Ordering::Release);
        while w.sub.rx.try_recv().is_ok() {}
        let Some(snapshot) = monitor.screens().snapshot(w.sub.pane) else {
            // The pane closed in the meantime.
            self.pane = None;
            self.placeholder_sent = true;
            return conn.send_json(&placeholder()).await;
        };
        w.seq = snapshot.seq;
        w.pending.clear();
        w.flush_at = None;
        w.exited = snapshot.exited;
        self.placeholder_sent = false;
        conn.send_json(&TerminalNotice::Snapshot {
            cols: snapshot.cols,
            rows: snapshot.rows,
            data: snapshot.data,
            live: !snapshot.exited,
        })
        .await
    }

    async fn feed(&mut self, conn: &mut Conn, feed: Option<PaneFeed>) -> Result<(), ConnError> {
        let Some(w) = self.pane.as_mut() else {
            return Ok(());
        };
        let Some(feed) = feed else {
            // The hub stopped (server shutting down); the shutdown branch ends the loop.
            self.pane = None;
            return Ok(());
        };
        if w.sub.lagged.load(Ordering::Acquire) {
            return self.redraw(conn).await;
        }
        match feed {
            PaneFeed::Bytes { seq, .. } if seq <= w.seq => Ok(()),
            PaneFeed::Bytes { seq, .. } if seq != w.seq + 1 => self.redraw(conn).await,
            PaneFeed::Bytes { seq, bytes } => {
                w.seq = seq;
                w.pending.extend_from_slice(&bytes);
                if w.pending.len() > MAX_PENDING {
                    return self.redraw(conn).await;
                }
                let due = w.last_flush + BATCH;
                if Instant::now() >= due {
                    self.flush(conn).await
                } else {
                    w.flush_at
                        .get_or_insert(tokio::time::Instant::from_std(due));
                    Ok(())
                }
            }
            PaneFeed::Redraw => {
                let at = self
                    .state
                    .monitor
                    .as_ref()
                    .and_then(|m| m.screens().seq(w.sub.pane));
                if at != Some(w.seq) {
                    self.redraw(conn).await
                } else {
                    Ok(())
                }
            }
            PaneFeed::Exited { .. } => {
                self.flush(conn).await?;
                self.redraw(conn).await
            }
        }
    }

    async fn flush(&mut self, conn: &mut Conn) -> Result<(), ConnError> {
        let Some(w) = self.pane.as_mut() else {
            return Ok(());
        };
        w.flush_at = None;
        if w.pending.is_empty() {
            return Ok(());
        }
        w.last_flush = Instant::now();
        let bytes = std::mem::take(&mut w.pending);
        conn.send_binary(bytes).await
    }

    async fn send_control(&self, conn: &mut Conn) -> Result<(), ConnError> {
        let holder = self.state.human.current(self.project_id);
        conn.send_json(&TerminalNotice::Control {
            human: holder.is_some(),
            by: holder.map(|h| h.by),
        })
        .await
    }

    async fn housekeeping(&mut self, conn: &mut Conn) -> Result<(), ConnError> {
        // Expires idle control (announced to every viewer through the change channel).
        self.state.human.current(self.project_id);
        if self.typed_at.is_some_and(|at| at.elapsed() >= TYPING_BURST) {
            self.journal_typing().await;
        }
        let live = self.pane.as_ref().is_some_and(|w| !w.exited);
        if !live {
            self.attach(conn).await?;
        }
        Ok(())
    }
}
