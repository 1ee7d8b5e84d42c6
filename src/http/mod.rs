//! The HTTP API. Every endpoint is declared once in a table (method, path, who may call
//! it, handler); the router is built from that table and the isolation tests walk the
//! same table, so a new route is covered by them without anyone remembering to add it.

pub mod agents;
pub mod auth;
pub mod channels;
pub mod claude_account;
pub mod cli;
pub mod control;
pub mod conversation;
pub mod error;
pub mod extract;
pub mod git_account;
pub mod history;
pub mod hooks;
pub mod inbox;
mod inbox_answer;
pub mod keys;
pub mod metrics;
pub mod projects;
pub mod push;
pub mod schedules;
pub mod smtp;
pub mod system;
pub mod trace;
pub mod users;
pub mod ws;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{Method, Uri};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::AppState;
use error::ApiError;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Any signed-in user, on their own data only.
    User,
    Admin,
    /// An admin's token, or no token at all from the host itself (a local scraper): see
    /// `metrics.rs`. Any token presented is judged as a token.
    AdminOrLoopback,
}

/// One row of the endpoint table.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        Self {
            method,
            path,
            access,
            handler: on(filter, handler),
        }
    }
}

/// Method, path and access of every API endpoint (what the tests walk).
pub fn endpoints() -> Vec<(Method, &'static str, Access)> {
    routes()
        .into_iter()
        .map(|r| (r.method, r.path, r.access))
        .collect()
}

fn routes() -> Vec<Route> {
    let mut all = vec![Route::new(
        Method::GET,
        "/api/health",
        Access::Public,
        health,
    )];
    all.extend(auth::routes());
    all.extend(users::routes());
    all.extend(agents::routes());
    all.extend(cli::routes());
    all.extend(projects::routes());
    all.extend(control::routes());
    all.extend(history::routes());
    all.extend(conversation::routes());
    all.extend(schedules::routes());
    all.extend(keys::routes());
    all.extend(claude_account::routes());
    all.extend(git_account::routes());
    all.extend(push::routes());
    all.extend(inbox::routes());
    all.extend(channels::routes());
    all.extend(smtp::routes());
    all.extend(ws::routes());
    all.extend(system::routes());
    all.extend(metrics::routes());
    all
}

/// The API router with its limits and JSON fallbacks.
pub fn api_router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for route in routes() {
        router = router.route(route.path, route.handler);
    }
    router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.file.max_body_bytes))
}

/// Anything that matched no route: a JSON 404 under `/api`, the web app elsewhere.
pub async fn fallback(uri: Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        api_not_found(uri).await.into_response()
    } else {
        crate::webapp::serve(uri).await
    }
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

async fn api_not_found(uri: Uri) -> ApiError {
    tracing::debug!(%uri, "no such API route");
    ApiError::NotFound
}

async fn method_not_allowed() -> (axum::http::StatusCode, Json<Value>) {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({ "error": "method not allowed" })),
    )
}
