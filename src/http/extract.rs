//! Extractors that carry identity and turn every malformed input into our JSON errors:
//! `AuthUser`/`AdminUser` (a live session, checked against the database on every
//! request), `ApiJson` (400 for malformed JSON, 422 naming the bad field, 413 for
//! oversized bodies), `ApiPath` and `ApiQuery`, and `ClientIp` (which believes
//! `X-Forwarded-For` only from a configured trusted proxy).

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::state::AppState;

/// The authenticated caller. Handlers that touch user data take this and filter by `id`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub role: String,
    /// The auth session the token belongs to.
    pub sid: String,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == crate::db::users::ADMIN
    }
}

/// An authenticated admin; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

impl AppState {
    /// Checks an access token and its session; used by the extractor and by WebSockets.
    pub async fn authenticate(&self, token: &str) -> Result<AuthUser, ApiError> {
        let claims = self
            .tokens
            .verify(token)
            .map_err(|_| ApiError::Unauthorized)?;
        let role = crate::db::sessions::live_role(&self.db, &claims.sid, claims.sub)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(AuthUser {
            id: claims.sub,
            role,
            sid: claims.sid,
        })
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        state.authenticate(token).await
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.is_admin() {
            Ok(AdminUser(user))
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// A JSON body with our error shape for every way it can be wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("could not read the request body".into())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::invalid(field, strip_position(&inner.to_string()))
        } else {
            ApiError::BadRequest(format!("malformed JSON: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// serde's messages end with " at line 1 column 9", which is noise for a field error.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Path parameters; a non-numeric id is a 404 (it names nothing), like a missing one.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| ApiError::NotFound)
    }
}

/// Query parameters with a 422 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::invalid("query", e.body_text()))
    }
}

/// The client's address: the TCP peer, or the last untrusted hop of `X-Forwarded-For`
/// when the peer is a trusted proxy (a client can prepend anything to that header).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let trusted = &state.config.file.trusted_proxies;
        let Some(peer) = peer else {
            return Ok(ClientIp(None));
        };
        if !trusted.contains(&peer) {
            return Ok(ClientIp(Some(peer)));
        }
        let hops: Vec<IpAddr> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        let client = hops.iter().rev().find(|ip| !trusted.contains(ip)).copied();
        Ok(ClientIp(Some(client.unwrap_or(peer))))
    }
}
