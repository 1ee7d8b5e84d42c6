//! The `/logs` stream of one project: the backlog from the database after the client's
//! last id, then live journal events, with no gap and no duplicate at the seam. The
//! journal channel is subscribed to before the backlog is read, and live entries with an
//! id the backlog already sent are skipped. A client that falls behind the channel gets
//! `resubscribe` and nothing more until it subscribes again.

use tokio::sync::broadcast::{self, error::RecvError};

use super::conn::{CloseReason, Conn, ConnError, Incoming};
use super::protocol::{LogsNotice, LogsRequest};
use crate::db::logs;
use crate::journal::ProjectEvent;
use crate::state::AppState;

/// Backlog rows per database read.
const BACKLOG_PAGE: i64 = 500;

struct Stream {
    project_id: i64,
    /// Highest entry id sent; live entries at or below it were in the backlog.
    last_sent: i64,
    events: Option<broadcast::Receiver<ProjectEvent>>,
}

#[derive(Debug, thiserror::Error)]
enum LogsError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error("reading the backlog: {0}")]
    Db(#[from] sqlx::Error),
}

/// Runs one `/logs` connection until the client leaves, goes idle, or the server stops.
pub async fn run(socket: axum::extract::ws::WebSocket, state: AppState, project_id: i64) {
    let (ping_every, idle) = super::conn::keep_alive_timing(&state.config.file);
    let mut conn = Conn::new(socket, idle);
    let mut ping = tokio::time::interval(ping_every);
    ping.reset();
    let shutdown = state.ws.shutdown.clone();
    let mut stream = Stream {
        project_id,
        last_sent: 0,
        events: None,
    };
    let close = loop {
        let step: Result<Option<CloseReason>, LogsError> = tokio::select! {
            _ = shutdown.cancelled() => Ok(Some(CloseReason::ShuttingDown)),
            incoming = conn.recv() => match incoming {
                Incoming::Text(text) => stream.request(&mut conn, &state, text.as_str()).await,
                Incoming::Ignored => Ok(None),
                Incoming::TooBig => Ok(Some(CloseReason::TooBig)),
                Incoming::Gone => break None,
            },
            event = next_event(&mut stream.events) => stream.event(&mut conn, event).await.map(|()| None),
            _ = ping.tick() => conn.keep_alive().await.map_err(Into::into),
        };
        match step {
            Ok(None) => {}
            Ok(Some(reason)) => break Some(reason),
            Err(LogsError::Conn(e)) => {
                tracing::debug!(project_id, error = %e, "logs socket ended");
                break None;
            }
            Err(e @ LogsError::Db(_)) => {
                tracing::error!(project_id, error = %e, "logs stream failed");
                break Some(CloseReason::Internal);
            }
        }
    };
    if let Some(reason) = close {
        conn.close(reason).await;
    }
}

/// The next journal event, or never while not subscribed.
async fn next_event(
    events: &mut Option<broadcast::Receiver<ProjectEvent>>,
) -> Result<ProjectEvent, RecvError> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

impl Stream {
    async fn request(
        &mut self,
        conn: &mut Conn,
        state: &AppState,
        text: &str,
    ) -> Result<Option<CloseReason>, LogsError> {
        match serde_json::from_str::<LogsRequest>(text) {
            Ok(LogsRequest::Subscribe { after }) => {
                self.subscribe(conn, state, after).await?;
            }
            Err(e) => {
                let message = format!("not a logs request: {e}");
                conn.send_json(&LogsNotice::Error { message }).await?;
            }
        }
        Ok(None)
    }

    async fn subscribe(
        &mut self,
        conn: &mut Conn,
        state: &AppState,
        after: i64,
    ) -> Result<(), LogsError> {
        // Subscribed first: whatever is committed after the backlog read is then queued.
        self.events = Some(state.journal.subscribe());
        self.last_sent = after.max(0);
        loop {
            let page =
                logs::after(&state.db, self.project_id, self.last_sent, BACKLOG_PAGE).await?;
            let full = page.len() as i64 == BACKLOG_PAGE;
            for entry in page {
                self.last_sent = entry.id;
                conn.send_json(&ProjectEvent::Log { entry }).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn event(
        &mut self,
        conn: &mut Conn,
        event: Result<ProjectEvent, RecvError>,
    ) -> Result<(), LogsError> {
        match event {
            Ok(event) if event.project_id() != self.project_id => Ok(()),
            Ok(ProjectEvent::Log { entry }) if entry.id <= self.last_sent => Ok(()),
            Ok(event) => {
                if let ProjectEvent::Log { entry } = &event {
                    self.last_sent = entry.id;
                }
                conn.send_json(&event).await?;
                Ok(())
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(
                    project_id = self.project_id,
                    missed,
                    "logs client fell behind"
                );
                self.events = None;
                let notice = LogsNotice::Resubscribe {
                    after: self.last_sent,
                };
                conn.send_json(&notice).await?;
                Ok(())
            }
            Err(RecvError::Closed) => {
                self.events = None;
                Ok(())
            }
        }
    }
}
