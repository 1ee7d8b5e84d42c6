//! The member's git token (`/api/account/git`): what their projects clone private remotes,
//! push and open pull requests with. Write-only: reading shows its last four characters.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, AuthUser};
use super::{Access, Route};
use crate::db;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/api/account/git", Access::User, get_token),
        Route::new(Method::PUT, "/api/account/git", Access::User, put_token),
        Route::new(
            Method::DELETE,
            "/api/account/git",
            Access::User,
            delete_token,
        ),
    ]
}

#[derive(Serialize)]
pub struct TokenView {
    set: bool,
    /// Last four characters; none when unset or when the record cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    last4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    readable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
}

async fn view(state: &AppState, user_id: i64) -> ApiResult<TokenView> {
    let Some(row) = db::git_credentials::get(&state.db, user_id).await? else {
        return Ok(TokenView {
            set: false,
            last4: None,
            readable: None,
            updated_at: None,
        });
    };
    let token = row.open(&state.master);
    let last4 = token.as_ref().map(|s| crate::secrets::last4(s));
    Ok(TokenView {
        set: true,
        last4,
        readable: Some(token.is_some()),
        updated_at: Some(row.updated_at),
    })
}

async fn get_token(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<TokenView>> {
    Ok(Json(view(&state, user.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutToken {
    token: String,
}

/// A token is one printable word: it goes into git's credential protocol line by line.
fn check(token: &str) -> ApiResult<&str> {
    let token = token.trim();
    if !(8..=1000).contains(&token.len()) {
        return Err(ApiError::invalid("token", "must be 8 to 1000 characters"));
    }
    if !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            "token",
            "must be printable characters without spaces",
        ));
    }
    Ok(token)
}

async fn put_token(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<PutToken>,
) -> ApiResult<Json<TokenView>> {
    let token = check(&req.token)?;
    db::git_credentials::put(&state.db, &state.master, user.id, token).await?;
    Ok(Json(view(&state, user.id).await?))
}

async fn delete_token(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    if db::git_credentials::delete(&state.db, user.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
