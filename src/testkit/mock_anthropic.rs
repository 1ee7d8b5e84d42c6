//! A scriptable mock of the Anthropic Messages API, for driving the real Claude Code CLI in
//! tests without the internet. It owns the HTTP server and the record of every request; the
//! script format lives in [`mock_script`](super::mock_script), the wire format in
//! [`mock_wire`](super::mock_wire). It only ever listens on loopback.
//!
//! Endpoints: `HEAD /` (reachability check), `POST /v1/messages` (streamed or not),
//! `POST /v1/messages/count_tokens`, `GET /v1/models[/{id}]`. For a mock run as a process
//! (`autocode-mock`), `GET /_mock/requests` returns the record as JSON, `POST /_mock/turns`
//! appends turns (one turn object or an array) and `DELETE /_mock/turns` empties the queue;
//! these are not recorded.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::mock_record::{RecordedRequest, RequestKind, Served, user_prompts};
use super::mock_routes;
use super::mock_script::{Script, Turn};

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot listen on loopback: {0}")]
    Bind(#[source] std::io::Error),
}

/// A running mock server. Dropping it stops the server.
pub struct MockAnthropic {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
}

pub(super) struct Shared {
    state: Mutex<MockState>,
    /// Bumped after every recorded request, so waiters wake without polling.
    generation: watch::Sender<u64>,
}

pub(super) struct MockState {
    queue: Vec<Queued>,
    next_index: usize,
    default_reply: String,
    side_reply: String,
    compaction_reply: String,
    compaction_delay_ms: u64,
    pub(super) requests: Vec<RecordedRequest>,
    counter: u64,
}

struct Queued {
    index: usize,
    left: u32,
    turn: Turn,
}

impl MockAnthropic {
    /// Starts the mock on `127.0.0.1` at a free port.
    pub async fn start(script: Script) -> Result<Self, MockError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(MockError::Bind)?;
        Self::serve_on(listener, script)
    }

    /// Serves the mock on an already bound listener.
    pub fn serve_on(listener: TcpListener, script: Script) -> Result<Self, MockError> {
        let addr = listener.local_addr().map_err(MockError::Bind)?;
        let queue = script
            .turns
            .into_iter()
            .enumerate()
            .map(|(index, turn)| Queued {
                index,
                left: turn.repeat.max(1),
                turn,
            })
            .collect::<Vec<_>>();
        let shared = Arc::new(Shared {
            state: Mutex::new(MockState {
                next_index: queue.len(),
                queue,
                default_reply: script.default_reply,
                side_reply: script.side_reply,
                compaction_reply: script.compaction_reply,
                compaction_delay_ms: script.compaction_delay_ms,
                requests: Vec::new(),
                counter: 0,
            }),
            generation: watch::Sender::new(0),
        });
        let app = mock_routes::router(shared.clone());
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(err) = served {
                tracing::warn!(%err, "mock Anthropic server stopped");
            }
        });
        Ok(Self {
            addr,
            shared,
            shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`, the value for `ANTHROPIC_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Appends a turn to the script.
    pub fn push_turn(&self, turn: Turn) {
        self.shared.lock().push(turn);
    }

    /// Drops every turn not yet served.
    pub fn clear_turns(&self) {
        self.shared.lock().clear();
    }

    /// Turns not yet served.
    pub fn remaining_turns(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The agent-loop requests received so far.
    pub fn agent_requests(&self) -> Vec<RecordedRequest> {
        let state = self.shared.lock();
        let agent = state
            .requests
            .iter()
            .filter(|r| r.kind == RequestKind::AgentLoop);
        agent.cloned().collect()
    }

    /// The prompts the CLI sent, retries counted once (see [`user_prompts`]).
    pub fn user_prompts(&self) -> Vec<String> {
        user_prompts(&self.shared.lock().requests)
    }

    /// Waits until `done` holds for the requests received, or `timeout` passes.
    /// Returns whether it held.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[RecordedRequest]) -> bool,
    ) -> bool {
        let mut changes = self.shared.generation.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if done(&self.shared.lock().requests) {
                return true;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return done(&self.shared.lock().requests),
            }
        }
    }
}

impl Drop for MockAnthropic {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, MockState> {
        // A panic while holding the lock cannot leave the record half-written in a way that
        // matters to a test, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a request; returns its position in the record.
    pub(super) fn record(&self, request: RecordedRequest) -> usize {
        let position = {
            let mut state = self.lock();
            state.requests.push(request);
            state.requests.len() - 1
        };
        self.generation.send_modify(|g| *g += 1);
        position
    }

    /// Notes that the answer to the request at `position` was handed over whole.
    pub(super) fn answered(&self, position: usize) {
        if let Some(request) = self.lock().requests.get_mut(position) {
            request.answered_at = Some(std::time::Instant::now());
        }
        self.generation.send_modify(|g| *g += 1);
    }
}

impl MockState {
    pub(super) fn push(&mut self, turn: Turn) {
        self.queue.push(Queued {
            index: self.next_index,
            left: turn.repeat.max(1),
            turn,
        });
        self.next_index += 1;
    }

    pub(super) fn clear(&mut self) -> usize {
        let removed = self.queue.len();
        self.queue.clear();
        removed
    }

    /// Picks the answer for a messages request and notes it in `record.served`; returns a
    /// number unique to the request (for message and tool ids) and the turn to play.
    pub(super) fn answer(&mut self, record: &mut RecordedRequest) -> (u64, Turn) {
        self.counter += 1;
        let turn = match record.kind {
            RequestKind::AgentLoop => match self.take_turn(&record.last_user_text) {
                Some((index, turn)) => {
                    record.served = Served::Turn(index);
                    turn
                }
                None => {
                    record.served = Served::DefaultReply;
                    Turn::text(self.default_reply.clone())
                }
            },
            RequestKind::Compaction => {
                record.served = Served::CompactionReply;
                let delay = Duration::from_millis(self.compaction_delay_ms);
                Turn::text(self.compaction_reply.clone()).delay(delay)
            }
            _ => {
                record.served = Served::SideReply;
                Turn::text(self.side_reply.clone())
            }
        };
        (self.counter, turn)
    }

    /// Takes the turn for an agent-loop request: the first keyed turn that matches, else
    /// the first unkeyed one.
    fn take_turn(&mut self, user_text: &str) -> Option<(usize, Turn)> {
        let position = self
            .queue
            .iter()
            .position(|q| {
                q.turn
                    .when_user_contains
                    .as_deref()
                    .is_some_and(|needle| user_text.contains(needle))
            })
            .or_else(|| {
                let unkeyed = |q: &Queued| q.turn.when_user_contains.is_none();
                self.queue.iter().position(unkeyed)
            })?;
        let queued = &mut self.queue[position];
        queued.left -= 1;
        let taken = (queued.index, queued.turn.clone());
        if queued.left == 0 {
            self.queue.remove(position);
        }
        Some(taken)
    }
}
