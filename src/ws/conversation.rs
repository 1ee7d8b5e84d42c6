//! The `/conversation` stream of one project: the transcript's entries after the client's
//! cursor, then new ones as the CLI writes them. The transcript is a file the member's
//! CLI appends to, so the stream polls it ([`POLL`]) from its cursor: a read never
//! passes a partial line, so nothing is sent twice or skipped, and a reconnecting client
//! that subscribes with the last cursor it got continues exactly there.

use std::time::Duration;

use super::conn::{CloseReason, Conn, ConnError, Incoming};
use super::protocol::{ConversationNotice, ConversationRequest};
use crate::state::AppState;
use crate::transcript::files::ReadError;
use crate::transcript::{Cursor, Page, Source, read_page};

/// How often an open stream looks for new lines.
pub const POLL: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
enum StreamError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error("{0}")]
    Read(String),
}

/// Runs one `/conversation` connection until the client leaves, goes idle, or the
/// server stops.
pub async fn run(socket: axum::extract::ws::WebSocket, state: AppState, source: Source) {
    let (ping_every, idle) = super::conn::keep_alive_timing(&state.config.file);
    let mut conn = Conn::new(socket, idle);
    let mut ping = tokio::time::interval(ping_every);
    ping.reset();
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let shutdown = state.ws.shutdown.clone();
    let mut cursor: Option<Cursor> = None;
    let close = loop {
        let step: Result<Option<CloseReason>, StreamError> = tokio::select! {
            _ = shutdown.cancelled() => Ok(Some(CloseReason::ShuttingDown)),
            incoming = conn.recv() => match incoming {
                Incoming::Text(text) => request(&mut conn, &source, &mut cursor, text.as_str()).await,
                Incoming::Ignored => Ok(None),
                Incoming::TooBig => Ok(Some(CloseReason::TooBig)),
                Incoming::Gone => break None,
            },
            _ = poll.tick(), if cursor.is_some() => {
                send_new(&mut conn, &source, &mut cursor, false).await.map(|()| None)
            }
            _ = ping.tick() => conn.keep_alive().await.map_err(StreamError::from),
        };
        match step {
            Ok(None) => {}
            Ok(Some(reason)) => break Some(reason),
            Err(StreamError::Conn(e)) => {
                tracing::debug!(error = %e, "conversation socket ended");
                break None;
            }
            Err(e @ StreamError::Read(_)) => {
                tracing::error!(error = %e, "conversation stream failed");
                break Some(CloseReason::Internal);
            }
        }
    };
    if let Some(reason) = close {
        conn.close(reason).await;
    }
}

async fn request(
    conn: &mut Conn,
    source: &Source,
    cursor: &mut Option<Cursor>,
    text: &str,
) -> Result<Option<CloseReason>, StreamError> {
    let parsed = serde_json::from_str::<ConversationRequest>(text)
        .map_err(|e| format!("not a conversation request: {e}"))
        .and_then(|ConversationRequest::Subscribe { after }| {
            after.parse::<Cursor>().map_err(|e| e.to_string())
        });
    match parsed {
        Ok(after) => {
            *cursor = Some(after);
            send_new(conn, source, cursor, true).await?;
        }
        Err(message) => {
            conn.send_json(&ConversationNotice::Error { message })
                .await?;
        }
    }
    Ok(None)
}

/// Sends what was written after the cursor, page by page. `always`: send even an empty
/// page (the answer to a subscribe, which tells the client its starting cursor).
async fn send_new(
    conn: &mut Conn,
    source: &Source,
    cursor: &mut Option<Cursor>,
    mut always: bool,
) -> Result<(), StreamError> {
    loop {
        let Some(from) = cursor.clone() else {
            return Ok(());
        };
        let page = match read(source, from).await? {
            Ok(page) => page,
            Err(ReadError::UnknownSession) => {
                conn.send_json(&ConversationNotice::Reset).await?;
                *cursor = Some(Cursor::Start);
                always = true;
                continue;
            }
            Err(e) => return Err(StreamError::Read(e.to_string())),
        };
        let more = page.more;
        *cursor = Some(page.cursor.clone());
        if always || !page.entries.is_empty() {
            let notice = ConversationNotice::Entries {
                entries: page.entries,
                cursor: page.cursor,
            };
            conn.send_json(&notice).await?;
        }
        always = false;
        if !more {
            return Ok(());
        }
    }
}

/// Reads a page off the runtime (file I/O).
async fn read(source: &Source, from: Cursor) -> Result<Result<Page, ReadError>, StreamError> {
    let source = source.clone();
    tokio::task::spawn_blocking(move || read_page(&source, &from))
        .await
        .map_err(|e| StreamError::Read(format!("transcript reader stopped: {e}")))
}
