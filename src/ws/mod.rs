//! Live streams over WebSockets: a project's `/logs` (the journal, resumable by id),
//! `/terminal` (the pane's screen and output, with take-over) and `/conversation` (the
//! CLI's transcript, resumable by cursor), and the member's `/inbox`. The protocol is in
//! [`protocol`] and `docs/websocket-protocol.md`; the HTTP side (authentication before
//! the upgrade, origin check, routes) is `crate::http::ws`. This module owns what the
//! connections share: tickets, the per-user socket cap and the terminal fan-out. Who is
//! in control of a terminal is the lifecycle's (`crate::lifecycle::HumanControl`).

pub mod conn;
pub mod conversation;
pub mod hub;
pub mod inbox;
pub mod logs;
pub mod protocol;
pub mod sockets;
pub mod terminal;
pub mod tickets;
pub mod watching;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_util::sync::CancellationToken;

/// State shared by every WebSocket connection. Cheap to clone.
#[derive(Clone, Default)]
pub struct WsState {
    pub tickets: Arc<tickets::Tickets>,
    pub sockets: sockets::OpenSockets,
    pub terminals: hub::TerminalHub,
    /// Open views per member and project: no push for what a member is watching.
    pub watching: watching::Watching,
    /// Cancelling it closes every socket ("server shutting down") and stops the fan-out.
    pub shutdown: CancellationToken,
    next_connection: Arc<AtomicU64>,
}

impl WsState {
    /// A process-unique id for a connection (take-over is bound to one connection).
    pub fn connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed) + 1
    }
}
