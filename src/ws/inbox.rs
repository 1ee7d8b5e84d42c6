//! The `/inbox` stream of one member: the whole inbox on connect, then again each time one of
//! their projects changes status, stalls, or moves on from a stall, so an item answered on the
//! phone leaves the laptop's page (and the sidebar count and app badge) at once. The journal is
//! subscribed to before the first read, so no change between the two is missed. Inboxes are a
//! handful of items; sending all of them is simpler than patches and cannot drift.

use tokio::sync::broadcast::error::RecvError;

use super::conn::{CloseReason, Conn, ConnError};
use super::protocol::InboxNotice;
use crate::state::AppState;

/// Runs one `/inbox` connection until the client leaves, goes idle, or the server stops.
pub async fn run(socket: axum::extract::ws::WebSocket, state: AppState, user_id: i64) {
    let (ping_every, idle) = super::conn::keep_alive_timing(&state.config.file);
    let mut conn = Conn::new(socket, idle);
    let mut ping = tokio::time::interval(ping_every);
    ping.reset();
    let shutdown = state.ws.shutdown.clone();
    let mut events = state.journal.subscribe();
    let mut step = send_inbox(&mut conn, &state, user_id).await;
    let close = loop {
        match step {
            Ok(None) => {}
            Ok(Some(reason)) => break Some(reason),
            Err(e) => {
                tracing::debug!(user_id, error = %e, "inbox socket ended");
                break None;
            }
        }
        step = tokio::select! {
            _ = shutdown.cancelled() => Ok(Some(CloseReason::ShuttingDown)),
            incoming = conn.recv() => match incoming {
                super::conn::Incoming::Text(_) => {
                    let message = "the inbox stream takes no requests".to_owned();
                    conn.send_json(&InboxNotice::Error { message }).await.map(|()| None)
                }
                super::conn::Incoming::Ignored => Ok(None),
                super::conn::Incoming::TooBig => Ok(Some(CloseReason::TooBig)),
                super::conn::Incoming::Gone => break None,
            },
            event = events.recv() => match event {
                Ok(event) if event.changes_inbox() => {
                    if owns(&state, user_id, event.project_id()).await {
                        send_inbox(&mut conn, &state, user_id).await
                    } else {
                        Ok(None)
                    }
                }
                Ok(_) => Ok(None),
                // Missed changes: the whole inbox again covers them.
                Err(RecvError::Lagged(_)) => send_inbox(&mut conn, &state, user_id).await,
                Err(RecvError::Closed) => Ok(Some(CloseReason::ShuttingDown)),
            },
            _ = ping.tick() => conn.keep_alive().await,
        };
    };
    if let Some(reason) = close {
        conn.close(reason).await;
    }
}

async fn owns(state: &AppState, user_id: i64, project_id: i64) -> bool {
    match crate::db::push::project_owner(&state.db, project_id).await {
        Ok(owner) => owner.is_some_and(|(owner, _)| owner == user_id),
        Err(e) => {
            tracing::error!(project_id, error = %e, "inbox stream: reading the project failed");
            false
        }
    }
}

async fn send_inbox(
    conn: &mut Conn,
    state: &AppState,
    user_id: i64,
) -> Result<Option<CloseReason>, ConnError> {
    match crate::http::inbox::collect(state, user_id).await {
        Ok(inbox) => conn
            .send_json(&InboxNotice::Inbox(inbox))
            .await
            .map(|()| None),
        Err(e) => {
            tracing::error!(user_id, error = %e, "inbox stream: reading the inbox failed");
            Ok(Some(CloseReason::Internal))
        }
    }
}
