//! The `/terminal` stream of one project (or of a member's "Log in here" session, which is
//! theirs to type into without a take-over): a snapshot of the pane's screen from the
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

/// Whose pane a terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A project's CLI: read-only until the owner takes over; typing is journaled.
    Project(i64),
    /// The member's own sign-in session: no controller, so always theirs to type into.
    Login,
}

impl Target {
    fn project(self) -> Option<i64> {
        match self {
            Target::Project(id) => Some(id),
            Target::Login => None,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Project(id) => write!(f, "project {id}"),
            Target::Login => f.write_str("login session"),
        }
    }
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
    target: Target,
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
    target: Target,
    tmux_session: String,
    viewer: Viewer,
) {
    let (ping_every, idle) = super::conn::keep_alive_timing(&state.config.file);
    let mut conn = Conn::new(socket, idle);
    let mut ping = tokio::time::interval(ping_every);
    ping.reset();
    let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
    housekeeping.reset();
    let mut control_changes = state.lifecycle.human().subscribe();
    let shutdown = state.ws.shutdown.clone();
    let session = SessionName::new(tmux_session.as_str()).ok();
    if session.is_none() {
        tracing::warn!(%target, tmux_session, "invalid tmux session name");
    }
    let mut term = Terminal {
        state: state.clone(),
        target,
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
                Ok(id) if Some(id) != term.target.project() => Ok(None),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    term.send_control(&mut conn).await.map(|()| None)
                }
                Err(broadcast::error::RecvError::Closed) => Ok(Some(CloseReason::ShuttingDown)),
            },
            _ = ping.tick() => conn.keep_alive().await,
            _ = housekeeping.tick() => term.housekeeping(&mut conn).await.map(|()| None),
        };
    }
    term.journal_typing().await;
    match result {
        Ok(Some(reason)) => conn.close(reason).await,
        Ok(None) => {}
        Err(e) => tracing::debug!(%target, error = %e, "terminal socket ended"),
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

fn placeholder(target: Target) -> TerminalNotice {
    let data = match target {
        Target::Project(_) => {
            "\x1bc\r\n  No terminal is running for this project.\r\n  It appears here as soon as the agent starts.\r\n"
        }
        Target::Login => {
            "\x1bc\r\n  No sign-in session is running.\r\n  Start one with \"Start Claude Code login\".\r\n"
        }
    };
    TerminalNotice::Snapshot {
        cols: 80,
        rows: 24,
        data: data.into(),
        live: false,
    }
}

impl Terminal {
    /// Finds the project's pane (a live one first, else the dead one tmux still shows)
    /// and makes sure the monitor tracks it.
    async fn find_pane(&self) -> Option<PaneId> {
        let monitor = &self.state.monitor;
        let session = self.session.as_ref()?;
        let panes = match monitor.tmux().session_panes(session).await {
            Ok(panes) => panes,
            Err(e) => {
                tracing::trace!(target = %self.target, error = %e, "no pane");
                return None;
            }
        };
        let pane = panes.iter().find(|p| !p.dead).or(panes.first())?.id;
        if !monitor.screens().contains(pane)
            && let Err(e) = monitor.adopt(session).await
        {
            tracing::warn!(target = %self.target, error = %e, "cannot adopt pane");
            return None;
        }
        Some(pane)
    }

    /// Switches to the project's current pane if it changed, or shows the placeholder.
    async fn attach(&mut self, conn: &mut Conn) -> Result<(), ConnError> {
        let found = self.find_pane().await;
        let current = self.pane.as_ref().map(|w| w.sub.pane);
        match found {
            Some(pane) if Some(pane) != current => {
                let sub = self.state.ws.terminals.subscribe(
                    &self.state.monitor,
                    pane,
                    &self.state.ws.shutdown,
                );
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
            Some(_) => Ok(()),
            None if self.pane.is_none() && !self.placeholder_sent => {
                self.placeholder_sent = true;
                conn.send_json(&placeholder(self.target)).await
            }
            None => Ok(()),
        }
    }

    /// Sends a fresh snapshot; queued and pending output it already contains is dropped.
    async fn redraw(&mut self, conn: &mut Conn) -> Result<(), ConnError> {
        let monitor = self.state.monitor.clone();
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
            return conn.send_json(&placeholder(self.target)).await;
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
                let at = self.state.monitor.screens().seq(w.sub.pane);
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
        let notice = match self.target {
            Target::Project(id) => {
                let holder = self.state.lifecycle.human().current(id);
                TerminalNotice::Control {
                    human: holder.is_some(),
                    by: holder.map(|h| h.by),
                }
            }
            Target::Login => TerminalNotice::Control {
                human: true,
                by: Some(self.viewer.username.clone()),
            },
        };
        conn.send_json(&notice).await
    }

    async fn housekeeping(&mut self, conn: &mut Conn) -> Result<(), ConnError> {
        // Expires idle control (announced to every viewer through the change channel).
        if let Some(id) = self.target.project() {
            self.state.lifecycle.human().current(id);
        }
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
