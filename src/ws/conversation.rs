//! The `/conversation` stream of one project: the transcript's entries after the client's
//! cursor, then new ones as the CLI writes them. The transcript is a file the member's
//! CLI appends to, so the stream polls it ([`POLL`]) from its cursor: a read never
//! passes a partial line, so nothing is sent twice or skipped, and a reconnecting client
//! that subscribes with the last cursor it got continues exactly there.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::conn::{CloseReason, Conn, ConnError, Incoming};
use crate::state::AppState;
use crate::transcript::files::ReadError;
use crate::transcript::{Cursor, Entry, Page, Source, read_page};

/// How often an open stream looks for new lines.
pub const POLL: Duration = Duration::from_millis(100);

/// Client → server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConversationRequest {
    /// Send every entry after `after` (a cursor from an earlier `entries`; empty for the
    /// start), then new entries as they are written.
    Subscribe {
        #[serde(default)]
        after: String,
    },
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConversationNotice {
    /// Entries after the previous cursor; `cursor` is where to resume from.
    Entries { entries: Vec<Entry>, cursor: Cursor },
    /// The client's cursor names a session the project no longer has: drop what is shown;
    /// the stream goes on from the start.
    Reset,
    /// A request was not understood; the socket stays open.
    Error { message: String },
}

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
            _ = ping.tick() => conn.ping_or_idle().await.map_err(StreamError::from),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_have_the_documented_shapes() {
        let sub: ConversationRequest = serde_json::from_value(
            json!({"type": "subscribe", "after": "1c0a4037-f67a-4bfe-88a7-0161850ed2dd:12"}),
        )
        .expect("subscribe");
        assert!(matches!(sub, ConversationRequest::Subscribe { after } if after.ends_with(":12")));
        let start: ConversationRequest =
            serde_json::from_value(json!({"type": "subscribe"})).expect("from the start");
        assert_eq!(
            start,
            ConversationRequest::Subscribe {
                after: String::new()
            }
        );
        let page = ConversationNotice::Entries {
            entries: Vec::new(),
            cursor: Cursor::Start,
        };
        assert_eq!(
            serde_json::to_value(page).expect("json"),
            json!({"type": "entries", "entries": [], "cursor": ""})
        );
        assert_eq!(
            serde_json::to_value(ConversationNotice::Reset).expect("json"),
            json!({"type": "reset"})
        );
    }
}
