//! One upgraded socket as both streams use it: sends bounded by a write timeout (a client
//! that stops reading is closed instead of holding its task forever), keep-alive pings,
//! idle detection, and closes that say why.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use serde::Serialize;

/// Longest a single send may wait for the client to read.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("client stopped reading")]
    WriteTimeout,
    #[error("socket error: {0}")]
    Socket(#[from] axum::Error),
    #[error("encoding a message: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Why the server ends a connection; each becomes a close frame with a readable reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    Idle,
    TooBig,
    ShuttingDown,
    Internal,
}

impl CloseReason {
    fn frame(self) -> CloseFrame {
        let (code, reason) = match self {
            CloseReason::Idle => (close_code::NORMAL, "idle timeout"),
            CloseReason::TooBig => (close_code::SIZE, "message too big"),
            CloseReason::ShuttingDown => (close_code::AWAY, "server shutting down"),
            CloseReason::Internal => (close_code::ERROR, "internal error"),
        };
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }
}

/// Ping interval and idle timeout from the config. The idle timeout is at least two ping
/// intervals: a client is only heard from when it answers a ping.
pub fn keep_alive_timing(file: &crate::config::FileConfig) -> (Duration, Duration) {
    let ping = Duration::from_secs(file.ws_ping_interval_secs.max(1));
    let idle = Duration::from_secs(file.ws_idle_timeout_secs).max(ping * 2);
    (ping, idle)
}

pub struct Conn {
    socket: WebSocket,
    last_heard: Instant,
    idle: Duration,
}

/// What the client sent, after the connection bookkeeping.
pub enum Incoming {
    Text(axum::extract::ws::Utf8Bytes),
    /// Pings, pongs and binary frames (no stream accepts binary from clients).
    Ignored,
    /// The client closed or the connection broke.
    Gone,
    /// The client's message exceeded the size limit.
    TooBig,
}

impl Conn {
    pub fn new(socket: WebSocket, idle: Duration) -> Self {
        Self {
            socket,
            last_heard: Instant::now(),
            idle,
        }
    }

    async fn send(&mut self, message: Message) -> Result<(), ConnError> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.socket.send(message)).await {
            Ok(result) => result.map_err(ConnError::from),
            Err(_) => Err(ConnError::WriteTimeout),
        }
    }

    pub async fn send_json<T: Serialize>(&mut self, message: &T) -> Result<(), ConnError> {
        let text = serde_json::to_string(message)?;
        self.send(Message::Text(text.into())).await
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) -> Result<(), ConnError> {
        self.send(Message::Binary(bytes.into())).await
    }

    /// Receives the next client message. Cancel-safe: usable as a `select!` branch.
    pub async fn recv(&mut self) -> Incoming {
        match self.socket.recv().await {
            Some(Ok(message)) => {
                self.last_heard = Instant::now();
                match message {
                    Message::Text(text) => Incoming::Text(text),
                    Message::Close(_) => Incoming::Gone,
                    Message::Binary(_) | Message::Ping(_) | Message::Pong(_) => Incoming::Ignored,
                }
            }
            Some(Err(e)) if is_too_big(&e) => Incoming::TooBig,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "websocket read failed");
                Incoming::Gone
            }
            None => Incoming::Gone,
        }
    }

    /// Called on the ping interval, as a step of a socket's loop: pings, or `Some(Idle)`
    /// when the client went silent and the socket is to be closed.
    pub async fn keep_alive(&mut self) -> Result<Option<CloseReason>, ConnError> {
        if self.last_heard.elapsed() >= self.idle {
            return Ok(Some(CloseReason::Idle));
        }
        self.send(Message::Ping(Default::default())).await?;
        Ok(None)
    }

    /// Sends a close frame (best effort: the peer may be gone already).
    pub async fn close(mut self, reason: CloseReason) {
        if let Err(e) = self.send(Message::Close(Some(reason.frame()))).await {
            tracing::debug!(error = %e, ?reason, "close frame not delivered");
        }
    }
}

fn is_too_big(e: &axum::Error) -> bool {
    use std::error::Error as _;
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(ts) = err.downcast_ref::<tokio_tungstenite::tungstenite::Error>() {
            return matches!(ts, tokio_tungstenite::tungstenite::Error::Capacity(_));
        }
        source = err.source();
    }
    false
}
