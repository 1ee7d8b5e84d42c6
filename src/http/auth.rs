//! Login, refresh rotation, logout, who-am-I and own password change.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, AuthUser, ClientIp};
use super::{Access, Route};
use crate::db::{self, sessions::Refresh, users::User};
use crate::state::AppState;
use crate::{accounts, names, passwords};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::POST, "/api/auth/login", Access::Public, login),
        Route::new(Method::POST, "/api/auth/refresh", Access::Public, refresh),
        Route::new(Method::POST, "/api/auth/logout", Access::User, logout),
        Route::new(Method::GET, "/api/auth/me", Access::User, me),
        Route::new(
            Method::POST,
            "/api/auth/password",
            Access::User,
            change_password,
        ),
    ]
}

#[derive(Deserialize)]
pub struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct TokenResponse {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: u64,
    user: User,
}

const BAD_LOGIN: &str = "invalid username or password";

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let guard = &state.login_guard;
    // No account has a longer name: refuse before the guard records it, so junk names
    // cannot grow its memory.
    if req.username.len() > names::MAX_USERNAME_LEN {
        return Err(unauthorized(BAD_LOGIN));
    }
    if let Some(wait) = guard.check(&req.username, ip, Instant::now()) {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    // Unknown users are verified against a dummy hash: same error, similar time.
    let found = db::users::credentials(&state.db, &req.username).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let ok = passwords::verify(req.password, hash)
        .await
        .map_err(ApiError::internal)?;
    let Some(user) = user.filter(|_| ok) else {
        guard.record_failure(&req.username, ip, Instant::now());
        tracing::info!(username = %req.username, ?ip, "failed login");
        return Err(unauthorized(BAD_LOGIN));
    };
    guard.record_success(&req.username, ip);
    let (sid, refresh_token) =
        db::sessions::create(&state.db, user.id, state.config.file.refresh_token_ttl_secs).await?;
    Ok(Json(tokens_for(&state, user, &sid, refresh_token)))
}

/// A 401 with a specific message (the generic one says "authentication required").
fn unauthorized(msg: &str) -> ApiError {
    ApiError::Unauthenticated(msg.to_owned())
}

fn tokens_for(state: &AppState, user: User, sid: &str, refresh_token: String) -> TokenResponse {
    let ttl = state.config.access_ttl();
    TokenResponse {
        access_token: state.tokens.issue(user.id, &user.role, sid, ttl),
        refresh_token,
        token_type: "Bearer",
        expires_in: ttl.as_secs(),
        user,
    }
}

#[derive(Deserialize)]
pub struct RefreshRequest {
    refresh_token: String,
}

async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let ttl = state.config.file.refresh_token_ttl_secs;
    match db::sessions::rotate(&state.db, &req.refresh_token, ttl).await? {
        Refresh::Rotated {
            session_id,
            user_id,
            token,
        } => {
            let user = db::users::get(&state.db, user_id)
                .await?
                .ok_or_else(|| unauthorized("session ended"))?;
            Ok(Json(tokens_for(&state, user, &session_id, token)))
        }
        Refresh::Reused => {
            tracing::warn!("refresh token reuse detected; session revoked");
            Err(unauthorized(
                "refresh token was already used; the session has been ended for safety",
            ))
        }
        Refresh::Invalid => Err(unauthorized("invalid or expired refresh token")),
    }
}

async fn logout(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    db::sessions::revoke(&state.db, &user.sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<User>> {
    db::users::get(&state.db, user.id)
        .await?
        .map(Json)
        .ok_or(ApiError::Unauthorized)
}

#[derive(Deserialize)]
pub struct PasswordRequest {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> ApiResult<StatusCode> {
    accounts::check_password(&req.new_password)?;
    let hash = db::users::password_hash(&state.db, user.id).await?;
    let ok = passwords::verify(req.current_password, hash)
        .await
        .map_err(ApiError::internal)?;
    if !ok {
        return Err(ApiError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    accounts::set_password(&state.db, user.id, &req.new_password, Some(&user.sid)).await?;
    Ok(StatusCode::NO_CONTENT)
}
