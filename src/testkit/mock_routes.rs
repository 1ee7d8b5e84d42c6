//! The mock's HTTP surface: routes and handlers, translating requests into
//! [`MockState`](super::mock_anthropic) decisions and turns into wire responses.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::mock_anthropic::Shared;
use super::mock_record::{RecordedRequest, RequestKind, is_compaction};
use super::mock_script::{Reply, Turn, Usage};
use super::mock_wire::{Answer, error_body, prompt_too_long_message};

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/messages", post(post_messages))
        .route("/v1/messages/count_tokens", post(post_count_tokens))
        .route("/v1/models", get(get_models))
        .route("/v1/models/{id}", get(get_models))
        .route("/_mock/requests", get(get_recorded))
        .route("/_mock/turns", post(post_turns).delete(delete_turns))
        .fallback(fallback)
        .with_state(shared)
}

/// How one messages request is answered.
enum Outcome {
    Answer(Answer),
    Error(u16, Value),
}

/// Last four characters of the request's `x-api-key` or bearer token.
fn credential_tail(headers: &axum::http::HeaderMap) -> Option<String> {
    let key = headers
        .get("x-api-key")
        .or_else(|| headers.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())?;
    let chars: Vec<char> = key.chars().collect();
    Some(chars[chars.len().saturating_sub(4)..].iter().collect())
}

async fn post_messages(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let estimated_input = u64::try_from(body.len() / 4).unwrap_or(u64::MAX);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut record = RecordedRequest::new("POST", &uri.to_string(), RequestKind::Side, body);
    record.kind = messages_kind(&record);
    record.credential_tail = credential_tail(&headers);
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

    let (counter, turn) = shared.lock().answer(&mut record);
    // Recorded before the delay, so a test can see that the CLI is waiting on this request.
    let position = shared.record(record);

    if turn.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(turn.delay_ms)).await;
    }
    // A paced stream is still being written when the handler returns; anything else goes
    // out as one body now.
    if !(stream && turn.chunk_delay_ms > 0) {
        shared.answered(position);
    }
    let outcome = outcome(&turn, counter, turn.usage.unwrap_or(default_usage));
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

/// Agent-loop requests advertise tools; compaction requests do too (2.1.197 and 2.1.330), so
/// they are told apart by their instruction; anything else is a side request.
fn messages_kind(record: &RecordedRequest) -> RequestKind {
    let has_tools = record.body["tools"]
        .as_array()
        .is_some_and(|t| !t.is_empty());
    if is_compaction(&record.last_user_text) {
        RequestKind::Compaction
    } else if has_tools {
        RequestKind::AgentLoop
    } else {
        RequestKind::Side
    }
}

fn outcome(turn: &Turn, counter: u64, usage: Usage) -> Outcome {
    match &turn.reply {
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
    let removed = shared.lock().clear();
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
