//! The hook listener: `POST /api/hooks`, served on loopback only and on its own listener,
//! so neither the public listener nor a reverse proxy in front of it can reach it. Its
//! port is kept in `DATA/hook.port` and reused on the next start, because CLIs re-adopted
//! after a restart keep posting to the address they were launched with.

use std::net::{Ipv4Addr, SocketAddr};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use tokio::net::TcpListener;

use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use crate::db;
use crate::hooks::{self, HookEvent, Refusal, SECRET_HEADER};
use crate::state::AppState;
use crate::workspace::Layout;

/// The hook listener's whole router: one route, a small body limit, JSON 404s.
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .route("/api/hooks", post(receive_hook))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(hooks::MAX_BODY_BYTES));
    super::trace::traced(router).with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("the hook listener must be on a loopback address, not {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen for hooks on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("cannot keep the hook port in the data dir: {0}")]
    Keep(std::io::Error),
}

/// Binds the hook listener: `requested` if given (it must be loopback), else the port
/// the last run used (so re-adopted CLIs still reach us), else any free loopback port.
pub async fn bind(
    layout: &Layout,
    requested: Option<SocketAddr>,
) -> Result<TcpListener, BindError> {
    let kept = layout.root().join("hook.port");
    let listener = match requested {
        Some(addr) if !addr.ip().is_loopback() => return Err(BindError::NotLoopback(addr)),
        Some(addr) => TcpListener::bind(addr)
            .await
            .map_err(|e| BindError::Bind(addr, e))?,
        None => {
            let previous = std::fs::read_to_string(&kept)
                .ok()
                .and_then(|p| p.trim().parse::<u16>().ok());
            let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let again = match previous {
                Some(port) => TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await.ok(),
                None => None,
            };
            match again {
                Some(listener) => listener,
                None => {
                    if let Some(port) = previous {
                        tracing::warn!(
                            port,
                            "the previous hook port is taken; CLIs still running from the last start will not report hooks"
                        );
                    }
                    TcpListener::bind(any)
                        .await
                        .map_err(|e| BindError::Bind(any, e))?
                }
            }
        }
    };
    let port = listener
        .local_addr()
        .map_err(BindError::Keep)?
        .port()
        .to_string();
    crate::workspace::write_atomic(&kept, port.as_bytes()).map_err(BindError::Keep)?;
    Ok(listener)
}

/// Hook events from a CLI session; the secret identifies the session (no user token). A
/// permission request is held open (at most [`hooks::ANSWER_WAIT`]) for the controller's
/// decision, which is the response body; everything else is answered at once, empty.
async fn receive_hook(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(payload): ApiJson<Value>,
) -> ApiResult<Response> {
    let secret = headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized)?;
    let event = HookEvent::parse(payload).map_err(refused)?;
    let (project, bound) = state
        .hooks
        .project_of(secret)
        .ok_or(ApiError::Unauthorized)?;
    if !bound {
        // Registered before its SessionStart reached this registry (a re-adopted CLI):
        // the session the project recorded is the one its events must name.
        if let Some(id) = db::projects::cli_session_id(&state.db, project).await?
            && hooks::is_uuid(&id)
        {
            state.hooks.bind_session(project, &id);
        }
    }
    if !event.wants_answer() {
        state.hooks.deliver(secret, event).map_err(refused)?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let answer = state.hooks.ask(secret, event).map_err(refused)?;
    Ok(
        match tokio::time::timeout(hooks::ANSWER_WAIT, answer).await {
            Ok(Ok(decision)) => Json(decision).into_response(),
            // No answer (left to the owner or the supervising LLM, or none in time): the CLI
            // shows its menu.
            _ => StatusCode::NO_CONTENT.into_response(),
        },
    )
}

fn refused(r: Refusal) -> ApiError {
    tracing::info!("hook refused: {r}");
    match r {
        Refusal::UnknownSecret => ApiError::Unauthorized,
        Refusal::OtherSession => ApiError::Conflict(r.to_string()),
        Refusal::NotAnObject | Refusal::UnknownEvent | Refusal::BadSessionId => {
            ApiError::BadRequest(r.to_string())
        }
    }
}

/// Serves the hook router until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_loopback_only_and_keeps_its_port_across_starts() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let layout = Layout::new(tmp.path()).expect("layout");
        let public = SocketAddr::from(([0, 0, 0, 0], 0));
        assert!(matches!(
            bind(&layout, Some(public)).await,
            Err(BindError::NotLoopback(_))
        ));
        let first = bind(&layout, None).await.expect("bind");
        let addr = first.local_addr().expect("addr");
        assert!(addr.ip().is_loopback());
        drop(first);
        let again = bind(&layout, None).await.expect("bind again");
        assert_eq!(
            again.local_addr().expect("addr"),
            addr,
            "same port next start"
        );
        // Taken meanwhile: another free port, and that one is kept.
        let other = bind(&layout, None).await.expect("bind while taken");
        assert_ne!(other.local_addr().expect("addr"), addr);
    }
}
