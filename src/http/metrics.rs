//! `GET /api/metrics`: Prometheus text for an admin's token, or for a scraper on the host
//! itself without one.
//!
//! "On the host itself" means the TCP peer is loopback *and* no proxy forwarded the request:
//! Caddy connects from 127.0.0.1 too, and adds `X-Forwarded-For`, so an internet request
//! through Caddy never counts as local, whatever `trusted_proxies` says. (Caddy also answers
//! 404 for this path, so metrics stay off the internet twice over.)

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ApiResult};
use super::extract::{AdminUser, bearer};
use super::{Access, Route};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/api/metrics",
        Access::AdminOrLoopback,
        get_metrics,
    )]
}

/// Lets the request through, or says why not (401 no or bad token, 403 not an admin).
struct MetricsReader;

impl FromRequestParts<AppState> for MetricsReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if bearer(parts).is_none() && is_local(parts) {
            return Ok(Self);
        }
        AdminUser::from_request_parts(parts, state).await?;
        Ok(Self)
    }
}

fn is_local(parts: &Parts) -> bool {
    let peer_is_loopback = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| parts.headers.contains_key(*h));
    peer_is_loopback && !forwarded
}

async fn get_metrics(State(state): State<AppState>, _: MetricsReader) -> ApiResult<Response> {
    let live = crate::metrics::Live {
        websocket_clients: state.ws.sockets.total(),
        uptime_secs: crate::metrics::uptime_secs(),
    };
    let text = crate::metrics::render(&state.db, live).await?;
    let mut resp = text.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(resp)
}
