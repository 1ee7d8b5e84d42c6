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
use crate::db::logs::Level;
use crate::state::AppState;
use crate::tmux::{Key, PaneId, SessionName};

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

/// The tmux key for a name the client sends; see `TerminalRequest::Key`.
pub fn parse_key(name: &str) -> Option<Key> {
    Some(match name {
        "Enter" => Key::Enter,
        "Escape" | "Esc" => Key::Escape,
        "C-c" => Key::CtrlC,
        "Tab" => Key::Tab,
        "BTab" => Key::BackTab,
        "BSpace" | "Backspace" => Key::Backspace,
        "Up" => Key::Up,
        "Down" => Key::Down,
        "Left" => Key::Left,
        "Right" => Key::Right,
        digit if digit.len() == 1 => Key::Digit(digit.parse().ok()?),
        _ => return None,
    })
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

    async fn refuse(&self, conn: &mut Conn, message: &str) -> Result<(), ConnError> {
        conn.send_json(&TerminalNotice::Error {
            message: message.to_owned(),
        })
        .await
    }

    async fn journal(&self, message: String) {
        if let Err(e) = self
            .state
            .journal
            .log(self.project_id, None, Level::Action, &message)
            .await
        {
            tracing::error!(project_id = self.project_id, error = %e, "cannot journal terminal input");
        }
    }

    async fn journal_typing(&mut self) {
        if self.typed_chars > 0 {
            let n = std::mem::take(&mut self.typed_chars);
            let plural = if n == 1 { "" } else { "s" };
            let who = self.viewer.username.clone();
            self.journal(format!(
                "{who} typed {n} character{plural} into the terminal"
            ))
            .await;
        }
        self.typed_at = None;
    }

    async fn request(&mut self, conn: &mut Conn, text: &str) -> Result<(), ConnError> {
        let request = match serde_json::from_str::<TerminalRequest>(text) {
            Ok(request) => request,
            Err(e) => {
                return self
                    .refuse(conn, &format!("not a terminal request: {e}"))
                    .await;
            }
        };
        let (project_id, connection) = (self.project_id, self.viewer.connection);
        let who = self.viewer.username.clone();
        match request {
            TerminalRequest::TakeOver => {
                self.state
                    .human
                    .take(project_id, self.viewer.user_id, &who, connection);
                self.journal(format!("{who} took over the terminal")).await;
                Ok(())
            }
            TerminalRequest::Release => {
                self.journal_typing().await;
                if self.state.human.release(project_id, connection) {
                    self.journal(format!("{who} released the terminal")).await;
                    Ok(())
                } else {
                    self.refuse(conn, "this terminal is not in your control")
                        .await
                }
            }
            TerminalRequest::Input { data } => {
                if data.contains('\0') {
                    return self.refuse(conn, "input cannot contain NUL").await;
                }
                let Some(pane) = self.typable(conn).await? else {
                    return Ok(());
                };
                match self
                    .tmux_send(pane, |tmux| async move {
                        tmux.send_literal(pane, &data)
                            .await
                            .map(|()| data.chars().count())
                    })
                    .await
                {
                    Some(n) => {
                        self.typed_chars += n;
                        self.typed_at = Some(Instant::now());
                        Ok(())
                    }
                    None => {
                        self.refuse(conn, "the terminal did not take the input")
                            .await
                    }
                }
            }
            TerminalRequest::Key { key: name } => {
                let Some(key) = parse_key(&name) else {
                    return self.refuse(conn, &format!("unknown key {name:?}")).await;
                };
                let Some(pane) = self.typable(conn).await? else {
                    return Ok(());
                };
                self.journal_typing().await;
                match self
                    .tmux_send(pane, |tmux| async move { tmux.send_key(pane, key).await })
                    .await
                {
                    Some(()) => {
                        self.journal(format!("{who} pressed {name} in the terminal"))
                            .await;
                        Ok(())
                    }
                    None => self.refuse(conn, "the terminal did not take the key").await,
                }
            }
        }
    }

    /// The live pane this connection may type into, or a refusal sent to the client.
    async fn typable(&self, conn: &mut Conn) -> Result<Option<PaneId>, ConnError> {
        let pane = match &self.pane {
            Some(w) if !w.exited => w.sub.pane,
            _ => {
                self.refuse(conn, "no terminal is running").await?;
                return Ok(None);
            }
        };
        if !self
            .state
            .human
            .touch(self.project_id, self.viewer.connection)
        {
            self.refuse(conn, "the terminal is read-only: take over first")
                .await?;
            return Ok(None);
        }
        Ok(Some(pane))
    }

    async fn tmux_send<T, F, Fut>(&self, pane: PaneId, send: F) -> Option<T>
    where
        F: FnOnce(crate::tmux::Tmux) -> Fut,
        Fut: std::future::Future<Output = Result<T, crate::tmux::TmuxError>>,
    {
        let tmux = self.state.monitor.as_ref()?.tmux().clone();
        match send(tmux).await {
            Ok(value) => Some(value),
            Err(e) => {
                tracing::warn!(project_id = self.project_id, %pane, error = %e, "sending to the pane failed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_map_to_tmux_keys() {
        assert_eq!(parse_key("Enter"), Some(Key::Enter));
        assert_eq!(parse_key("C-c"), Some(Key::CtrlC));
        assert_eq!(parse_key("3"), Some(Key::Digit(3)));
        assert_eq!(parse_key("x"), None);
        assert_eq!(parse_key("C-x"), None);
    }
}
