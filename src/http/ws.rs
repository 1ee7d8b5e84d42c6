//! WebSocket endpoints: tickets, the `/logs` and `/terminal` upgrades of a project and the
//! member's `/inbox` (the `/conversation` upgrade is in [`super::conversation`]).
//! Everything is checked before the upgrade, so a refusal is an ordinary JSON error: the
//! `Origin` (against `public_url`, else the request's own host), the caller (access token
//! in `Sec-WebSocket-Protocol` as `autocode.bearer.<token>`, a single-use `?ticket=`, or
//! an `Authorization` header from non-browser clients), the project's owner (another
//! user's project is a 404, as in REST) and the per-user socket cap (429).

use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{HOST, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use axum::http::request::Parts;
use axum::http::{Method, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, AuthUser, bearer};
use super::{Access, Route};
use crate::db;
use crate::state::AppState;
use crate::ws::tickets::TicketOwner;
use crate::ws::{logs, terminal};

/// The subprotocol both streams speak; echoed back on every upgrade.
pub const PROTOCOL: &str = "autocode.v1";
/// Prefix of the subprotocol entry that carries the access token.
pub const BEARER_PROTOCOL_PREFIX: &str = "autocode.bearer.";

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::POST, "/api/ws/ticket", Access::User, create_ticket),
        Route::new(
            Method::GET,
            "/api/ws/projects/{id}/logs",
            Access::User,
            logs_socket,
        ),
        Route::new(
            Method::GET,
            "/api/ws/projects/{id}/terminal",
            Access::User,
            terminal_socket,
        ),
        Route::new(Method::GET, "/api/ws/inbox", Access::User, inbox_socket),
        Route::new(
            Method::GET,
            "/api/ws/account/claude/login",
            Access::User,
            login_terminal_socket,
        ),
    ]
}

async fn create_ticket(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Value>> {
    let owner = TicketOwner {
        user_id: user.id,
        sid: user.sid,
    };
    let ticket = state
        .ws
        .tickets
        .issue(owner)
        .map_err(|_| ApiError::TooManyRequests {
            retry_after_secs: 30,
        })?;
    Ok(Json(json!({ "ticket": ticket })))
}

/// The caller of a WebSocket endpoint, authenticated (and origin-checked) before the upgrade.
pub struct WsCaller(pub AuthUser);

#[derive(Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
}

impl FromRequestParts<AppState> for WsCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !origin_allowed(parts, state.config.file.public_url.as_deref()) {
            tracing::info!(origin = ?parts.headers.get(ORIGIN), "websocket from a foreign origin refused");
            return Err(ApiError::Forbidden);
        }
        if let Some(token) = protocol_token(parts) {
            return state.authenticate(token).await.map(WsCaller);
        }
        let query =
            Query::<TicketQuery>::try_from_uri(&parts.uri).map_err(|_| ApiError::Unauthorized)?;
        if let Some(ticket) = query.0.ticket {
            let owner = state
                .ws
                .tickets
                .redeem(&ticket)
                .ok_or(ApiError::Unauthorized)?;
            // The session may have been revoked since the ticket was issued.
            let role = db::sessions::live_role(&state.db, &owner.sid, owner.user_id)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            return Ok(WsCaller(AuthUser {
                id: owner.user_id,
                role,
                sid: owner.sid,
            }));
        }
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        state.authenticate(token).await.map(WsCaller)
    }
}

/// The token in `Sec-WebSocket-Protocol: autocode.bearer.<token>, autocode.v1`.
fn protocol_token(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(BEARER_PROTOCOL_PREFIX))
}

/// Browsers always send `Origin` on WebSockets; a request without one comes from a
/// non-browser client, which cannot be tricked into carrying someone else's cookies or
/// tokens, so it is allowed.
fn origin_allowed(parts: &Parts, public_url: Option<&str>) -> bool {
    let Some(origin) = parts.headers.get(ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok().and_then(|o| o.parse::<Uri>().ok()) else {
        return false;
    };
    let (Some(scheme), Some(authority)) = (origin.scheme_str(), origin.authority()) else {
        return false;
    };
    match public_url {
        Some(public) => public.parse::<Uri>().is_ok_and(|public| {
            public
                .scheme_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
                && public
                    .authority()
                    .is_some_and(|a| a.as_str().eq_ignore_ascii_case(authority.as_str()))
        }),
        None => parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| host.eq_ignore_ascii_case(authority.as_str())),
    }
}

pub(super) type Upgrade = Result<WebSocketUpgrade, WebSocketUpgradeRejection>;

/// Checks ownership and the socket cap, then upgrades with the shared limits.
pub(super) fn upgrade<F, Fut>(
    state: &AppState,
    user: &AuthUser,
    project: db::projects::Project,
    ws: Upgrade,
    run: F,
) -> ApiResult<Response>
where
    F: FnOnce(axum::extract::ws::WebSocket, db::projects::Project) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    // While this socket is open the member is watching the project: no push for it.
    let watching = state.ws.watching.watch(user.id, project.id);
    upgrade_socket(state, user, ws, move |socket| async move {
        run(socket, project).await;
        drop(watching);
    })
}

/// Upgrades under the per-user socket cap with the shared limits.
fn upgrade_socket<F, Fut>(
    state: &AppState,
    user: &AuthUser,
    ws: Upgrade,
    run: F,
) -> ApiResult<Response>
where
    F: FnOnce(axum::extract::ws::WebSocket) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let ws = ws.map_err(|_| ApiError::BadRequest("expected a WebSocket upgrade".into()))?;
    let file = &state.config.file;
    let permit = state
        .ws
        .sockets
        .try_open(user.id, file.ws_max_sockets_per_user)
        .ok_or(ApiError::TooManyRequests {
            retry_after_secs: 5,
        })?;
    Ok(ws
        .protocols([PROTOCOL])
        // Client messages are small; the 128 KiB default read buffer per socket would be
        // ~50 MB of RSS for 400 viewers.
        .read_buffer_size(8 * 1024)
        .max_message_size(file.ws_max_message_bytes)
        .max_frame_size(file.ws_max_message_bytes)
        .on_upgrade(move |socket| async move {
            run(socket).await;
            drop(permit);
        }))
}

async fn logs_socket(
    State(state): State<AppState>,
    WsCaller(user): WsCaller,
    ApiPath(id): ApiPath<i64>,
    ws: Upgrade,
) -> ApiResult<Response> {
    let project = super::projects::load(&state, user.id, id).await?;
    let shared = state.clone();
    upgrade(&state, &user, project, ws, move |socket, project| {
        logs::run(socket, shared, project.id)
    })
}

async fn viewer(state: &AppState, user: &AuthUser) -> ApiResult<terminal::Viewer> {
    let username = db::users::get(&state.db, user.id)
        .await?
        .ok_or(ApiError::Unauthorized)?
        .username;
    Ok(terminal::Viewer {
        user_id: user.id,
        username,
        connection: state.ws.connection_id(),
    })
}

async fn terminal_socket(
    State(state): State<AppState>,
    WsCaller(user): WsCaller,
    ApiPath(id): ApiPath<i64>,
    ws: Upgrade,
) -> ApiResult<Response> {
    let project = super::projects::load(&state, user.id, id).await?;
    let viewer = viewer(&state, &user).await?;
    let shared = state.clone();
    upgrade(&state, &user, project, ws, move |socket, project| {
        let target = terminal::Target::Project(project.id);
        terminal::run(socket, shared, target, project.tmux_session, viewer)
    })
}

/// The member's inbox, live: it covers every project of theirs, so it is not "watching" one.
async fn inbox_socket(
    State(state): State<AppState>,
    WsCaller(user): WsCaller,
    ws: Upgrade,
) -> ApiResult<Response> {
    let shared = state.clone();
    upgrade_socket(&state, &user, ws, move |socket| {
        crate::ws::inbox::run(socket, shared, user.id)
    })
}

/// The member's own "Log in here" session (named by their user id, so nobody else's).
async fn login_terminal_socket(
    State(state): State<AppState>,
    WsCaller(user): WsCaller,
    ws: Upgrade,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &user).await?;
    let session = crate::claude_account::login::session_name(user.id)
        .map_err(ApiError::internal)?
        .as_str()
        .to_owned();
    let shared = state.clone();
    upgrade_socket(&state, &user, ws, move |socket| {
        terminal::run(socket, shared, terminal::Target::Login, session, viewer)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut req = axum::http::Request::builder().uri("/api/ws/projects/1/logs");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).expect("request").into_parts().0
    }

    #[test]
    fn origins_are_checked_against_the_public_url_or_the_host() {
        let same = parts(&[
            ("host", "home.lan:8080"),
            ("origin", "http://home.lan:8080"),
        ]);
        assert!(origin_allowed(&same, None));
        let foreign = parts(&[("host", "home.lan:8080"), ("origin", "http://evil.example")]);
        assert!(!origin_allowed(&foreign, None));
        assert!(
            origin_allowed(&parts(&[("host", "x")]), None),
            "non-browser client"
        );
        let public = Some("https://code.example.org/");
        let ok = parts(&[("origin", "https://code.example.org")]);
        assert!(origin_allowed(&ok, public));
        let http = parts(&[("origin", "http://code.example.org")]);
        assert!(!origin_allowed(&http, public), "scheme matters");
        assert!(!origin_allowed(&parts(&[("origin", "null")]), public));
    }

    #[test]
    fn the_token_is_found_among_the_offered_protocols() {
        let p = parts(&[(
            "sec-websocket-protocol",
            "autocode.bearer.abc.def, autocode.v1",
        )]);
        assert_eq!(protocol_token(&p), Some("abc.def"));
        assert_eq!(
            protocol_token(&parts(&[("sec-websocket-protocol", "autocode.v1")])),
            None
        );
    }
}
