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

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::mock_record::{RecordedRequest, RequestKind, Served, is_compaction, user_prompts};
use super::mock_script::{Reply, Script, Turn, Usage};
use super::mock_wire::{Answer, error_body, prompt_too_long_message};

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

struct Shared {
    state: Mutex<MockState>,
    /// Bumped after every recorded request, so waiters wake without polling.
    generation: watch::Sender<u64>,
}

struct MockState {
    queue: Vec<Queued>,
    next_index: usize,
    default_reply: String,
    side_reply: String,
    compaction_reply: String,
    compaction_delay_ms: u64,
    requests: Vec<RecordedRequest>,
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
        let app = Router::new()
            .route("/v1/messages", post(post_messages))
            .route("/v1/messages/count_tokens", post(post_count_tokens))
            .route("/v1/models", get(get_models))
            .route("/v1/models/{id}", get(get_models))
            .route("/_mock/requests", get(get_recorded))
            .route("/_mock/turns", post(post_turns).delete(delete_turns))
            .fallback(fallback)
            .with_state(shared.clone());
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
        self.shared.lock().queue.clear();
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
    fn lock(&self) -> MutexGuard<'_, MockState> {
        // A panic while holding the lock cannot leave the record half-written in a way that
        // matters to a test, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, request: RecordedRequest) {
        self.lock().requests.push(request);
        self.generation.send_modify(|g| *g += 1);
    }
}

impl MockState {
    fn push(&mut self, turn: Turn) {
        self.queue.push(Queued {
            index: self.next_index,
            left: turn.repeat.max(1),
            turn,
        });
        self.next_index += 1;
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

/// How one messages request is answered.
enum Outcome {
    Answer(Answer),
    Error(u16, Value),
}

async fn post_messages(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let estimated_input = u64::try_from(body.len() / 4).unwrap_or(u64::MAX);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let has_tools = body["tools"].as_array().is_some_and(|t| !t.is_empty());
    let mut record = RecordedRequest::new("POST", &uri.to_string(), RequestKind::Side, body);
    record.kind = if is_compaction(&record.last_user_text) {
        RequestKind::Compaction
    } else if has_tools {
        RequestKind::AgentLoop
    } else {
        RequestKind::Side
    };
    let stream = record.body["stream"].as_bool().unwrap_or(false);
    let model = record.body["model"]
        .as_str()
        .unwrap_or("claude-mock")
        .to_owned();
    let default_usage = Usage {
        input_tokens: estimated_input,
        output_tokens: 12,
        ..Usage::default()
    };

    let (counter, turn) = {
        let mut state = shared.lock();
        state.counter += 1;
        let counter = state.counter;
        let turn = match record.kind {
            RequestKind::AgentLoop => match state.take_turn(&record.last_user_text) {
                Some((index, turn)) => {
                    record.served = Served::Turn(index);
                    turn
                }
                None => {
                    record.served = Served::DefaultReply;
                    Turn::text(state.default_reply.clone())
                }
            },
            RequestKind::Compaction => {
                record.served = Served::CompactionReply;
                let delay = Duration::from_millis(state.compaction_delay_ms);
                Turn::text(state.compaction_reply.clone()).delay(delay)
            }
            _ => {
                record.served = Served::SideReply;
                Turn::text(state.side_reply.clone())
            }
        };
        (counter, turn)
    };
    // Recorded before the delay, so a test can see that the CLI is waiting on this request.
    shared.record(record);

    if turn.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(turn.delay_ms)).await;
    }
    let usage = turn.usage.unwrap_or(default_usage);
    let outcome = match &turn.reply {
        Reply::Error { status, message } => {
            Outcome::Error(*status, error_body(*status, message.as_deref()))
        }
        Reply::PromptTooLong { tokens, limit } => Outcome::Error(
            400,
            error_body(400, Some(&prompt_too_long_message(*tokens, *limit))),
        ),
        reply => Outcome::Answer(Answer {
            text: match reply {
                Reply::Text { text } => Some(text.clone()),
                Reply::ToolUse { text, .. } => text.clone(),
                _ => None,
            },
            tool: reply
                .tool_call()
                .map(|call| (format!("toolu_mock_{counter:04}"), call)),
            usage,
        }),
    };
    let request_id = format!("req_mock_{counter:04}");
    let message_id = format!("msg_mock_{counter:04}");
    match outcome {
        Outcome::Error(status, body) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [("request-id", request_id)], Json(body)).into_response()
        }
        Outcome::Answer(answer) if stream => {
            let frames = answer.sse_frames(&message_id, &model);
            let body = if turn.chunk_delay_ms == 0 {
                Body::from(frames.concat())
            } else {
                paced_body(frames, Duration::from_millis(turn.chunk_delay_ms))
            };
            (
                [
                    (header::CONTENT_TYPE, "text/event-stream".to_owned()),
                    (header::CACHE_CONTROL, "no-cache".to_owned()),
                    (header::HeaderName::from_static("request-id"), request_id),
                ],
                body,
            )
                .into_response()
        }
        Outcome::Answer(answer) => (
            [("request-id", request_id)],
            Json(answer.message(&message_id, &model)),
        )
            .into_response(),
    }
}

/// A body that sends one SSE frame, then waits `pause`, and so on.
fn paced_body(frames: Vec<String>, pause: Duration) -> Body {
    let stream = futures_util::stream::unfold(
        (frames.into_iter(), true),
        move |(mut frames, first)| async move {
            let frame = frames.next()?;
            if !first {
                tokio::time::sleep(pause).await;
            }
            Some((Ok::<_, Infallible>(frame), (frames, false)))
        },
    );
    Body::from_stream(stream)
}

async fn post_count_tokens(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Json<Value> {
    let tokens = body.len() / 4;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.record(RecordedRequest::new(
        "POST",
        &uri.to_string(),
        RequestKind::CountTokens,
        body,
    ));
    Json(json!({ "input_tokens": tokens }))
}

async fn get_models(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
) -> Json<Value> {
    shared.record(RecordedRequest::new(
        "GET",
        &uri.to_string(),
        RequestKind::Models,
        Value::Null,
    ));
    let model = json!({"type": "model", "id": "claude-mock", "display_name": "Claude Mock",
        "created_at": "2026-01-01T00:00:00Z"});
    if uri.path() == "/v1/models" {
        Json(
            json!({"data": [model], "has_more": false, "first_id": "claude-mock", "last_id": "claude-mock"}),
        )
    } else {
        Json(model)
    }
}

async fn get_recorded(State(shared): State<Arc<Shared>>) -> Json<Vec<RecordedRequest>> {
    Json(shared.lock().requests.clone())
}

async fn post_turns(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Vec<Turn>>(&body)
        .or_else(|_| serde_json::from_slice::<Turn>(&body).map(|turn| vec![turn]));
    match parsed {
        Ok(turns) => {
            let mut state = shared.lock();
            let count = turns.len();
            turns.into_iter().for_each(|turn| state.push(turn));
            Json(json!({ "added": count })).into_response()
        }
        Err(err) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": err.to_string()})),
        )
            .into_response(),
    }
}

async fn delete_turns(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let mut state = shared.lock();
    let removed = state.queue.len();
    state.queue.clear();
    Json(json!({ "removed": removed }))
}

async fn fallback(
    State(shared): State<Arc<Shared>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
) -> Response {
    shared.record(RecordedRequest::new(
        method.as_str(),
        &uri.to_string(),
        RequestKind::Other,
        Value::Null,
    ));
    // `HEAD /` is the CLI's reachability check.
    if uri.path() == "/" {
        return StatusCode::OK.into_response();
    }
    (StatusCode::NOT_FOUND, Json(error_body(404, None))).into_response()
}
