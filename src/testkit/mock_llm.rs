//! A scripted OpenAI-compatible chat-completions server on 127.0.0.1 for tests: each
//! request is answered by a handler closure or from a script (rules, then a queue, then a
//! default), and every request is recorded so tests can assert what the client sent.
//! It serves `POST /v1/chat/completions` and `POST /chat/completions`; nothing else.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// How the mock answers one request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MockReply {
    /// A completion whose message calls these tools.
    ToolCalls {
        calls: Vec<MockCall>,
        #[serde(default)]
        usage: MockUsage,
    },
    /// A completion with plain text and no tool calls.
    Content {
        text: String,
        #[serde(default)]
        usage: MockUsage,
    },
    /// An HTTP error with an OpenAI-style error body, or `body` verbatim.
    Status {
        status: u16,
        #[serde(default)]
        body: Option<String>,
    },
    /// Waits, then answers with `then` (to force client timeouts).
    Delay { ms: u64, then: Box<MockReply> },
    /// `200 OK` with this body verbatim (malformed JSON, a wrong shape...).
    Raw { body: String },
}

/// One tool call. `arguments` that is a JSON string is sent verbatim (so tests can send
/// arguments that do not parse); any other value is sent serialized.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MockCall {
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct MockUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

impl MockReply {
    pub fn tool(name: &str, arguments: Value) -> Self {
        Self::tools(&[(name, arguments)])
    }

    pub fn tools(calls: &[(&str, Value)]) -> Self {
        MockReply::ToolCalls {
            calls: calls
                .iter()
                .map(|(name, arguments)| MockCall {
                    name: (*name).to_owned(),
                    arguments: arguments.clone(),
                })
                .collect(),
            usage: MockUsage::default(),
        }
    }

    pub fn content(text: &str) -> Self {
        MockReply::Content {
            text: text.to_owned(),
            usage: MockUsage::default(),
        }
    }

    pub fn status(status: u16) -> Self {
        MockReply::Status { status, body: None }
    }

    pub fn delayed(self, delay: Duration) -> Self {
        MockReply::Delay {
            ms: delay.as_millis() as u64,
            then: Box::new(self),
        }
    }

    /// Sets the usage numbers of a completion (no effect on errors).
    pub fn with_usage(mut self, prompt: u64, completion: u64) -> Self {
        if let MockReply::ToolCalls { usage, .. } | MockReply::Content { usage, .. } = &mut self {
            *usage = MockUsage {
                prompt_tokens: prompt,
                completion_tokens: completion,
            };
        }
        self
    }
}

/// What the mock does when no handler is given: the first rule whose `contains` text occurs
/// in the request's messages, else the next queued reply, else `default`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MockScript {
    #[serde(default)]
    pub rules: Vec<MockRule>,
    #[serde(default)]
    pub queue: VecDeque<MockReply>,
    /// When nothing else applies; a 500 saying the script is exhausted if absent.
    #[serde(default)]
    pub default: Option<MockReply>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MockRule {
    pub contains: String,
    pub reply: MockReply,
}

impl MockScript {
    pub fn queue(replies: impl IntoIterator<Item = MockReply>) -> Self {
        Self {
            queue: replies.into_iter().collect(),
            ..Self::default()
        }
    }

    fn next(&mut self, request: &Value) -> MockReply {
        let messages = request.get("messages").map(Value::to_string);
        let messages = messages.as_deref().unwrap_or("");
        if let Some(rule) = self.rules.iter().find(|r| messages.contains(&r.contains)) {
            return rule.reply.clone();
        }
        self.queue
            .pop_front()
            .or_else(|| self.default.clone())
            .unwrap_or(MockReply::Status {
                status: 500,
                body: Some(r#"{"error":{"message":"mock script exhausted"}}"#.to_owned()),
            })
    }
}

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub path: String,
    /// The `Authorization` header verbatim, if any.
    pub authorization: Option<String>,
    pub body: Value,
    /// When the request's body had been read, for latency measurements.
    pub received_at: Instant,
    /// When the answer was handed to the HTTP server (after any scripted delay); `None`
    /// until then.
    pub answered_at: Option<Instant>,
}

impl RecordedRequest {
    /// Names of the tools the request offered, in order.
    pub fn offered_tools(&self) -> Vec<String> {
        self.body["tools"]
            .as_array()
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn messages(&self) -> &[Value] {
        self.body["messages"].as_array().map_or(&[], Vec::as_slice)
    }
}

type Handler = dyn Fn(&Value) -> MockReply + Send + Sync;

struct Shared {
    handler: Box<Handler>,
    requests: Mutex<Vec<RecordedRequest>>,
}

/// A running mock; the server stops when this is dropped.
pub struct MockLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl MockLlm {
    /// Serves replies from `handler`, called with each request's JSON body.
    pub async fn start(
        handler: impl Fn(&Value) -> MockReply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Self::serve(listener, Box::new(handler))
    }

    pub async fn with_script(script: MockScript) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Self::serve_script(listener, script)
    }

    /// Serves `script` on an already bound listener (the mock binary picks its own port).
    pub fn serve_script(listener: TcpListener, script: MockScript) -> std::io::Result<Self> {
        let script = Mutex::new(script);
        Self::serve(
            listener,
            Box::new(move |request| lock(&script).next(request)),
        )
    }

    fn serve(listener: TcpListener, handler: Box<Handler>) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            handler,
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .route("/chat/completions", post(complete))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("mock LLM server stopped: {e}");
            }
        });
        Ok(Self { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client should use, including `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A test that panicked while holding a lock must not hide the recorded requests.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn complete(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let received_at = Instant::now();
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "request body is not JSON").into_response();
    };
    let reply = (shared.handler)(&request);
    let n = {
        let mut requests = lock(&shared.requests);
        requests.push(RecordedRequest {
            path: uri.path().to_owned(),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: request,
            received_at,
            answered_at: None,
        });
        requests.len()
    };
    let response = render(reply, n).await;
    if let Some(recorded) = lock(&shared.requests).get_mut(n - 1) {
        recorded.answered_at = Some(Instant::now());
    }
    response
}

async fn render(reply: MockReply, n: usize) -> Response {
    let completion = |message: Value, usage: MockUsage| {
        let body = json!({
            "id": format!("chatcmpl-mock-{n}"),
            "object": "chat.completion",
            "created": 0,
            "model": "mock",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.prompt_tokens + usage.completion_tokens,
            },
        });
        axum::Json(body).into_response()
    };
    match reply {
        MockReply::ToolCalls { calls, usage } => {
            let calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, call)| {
                    let arguments = match &call.arguments {
                        Value::String(raw) => raw.clone(),
                        other => other.to_string(),
                    };
                    json!({"id": format!("call_{n}_{i}"), "type": "function",
                           "function": {"name": call.name, "arguments": arguments}})
                })
                .collect();
            let message = json!({"role": "assistant", "content": null, "tool_calls": calls});
            completion(message, usage)
        }
        MockReply::Content { text, usage } => {
            completion(json!({"role": "assistant", "content": text}), usage)
        }
        MockReply::Status { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = body.unwrap_or_else(|| {
                json!({"error": {"message": format!("mock error {}", status.as_u16()),
                                 "type": "mock_error"}})
                .to_string()
            });
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        MockReply::Raw { body } => {
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        MockReply::Delay { ms, then } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Box::pin(render(*then, n)).await
        }
    }
}
