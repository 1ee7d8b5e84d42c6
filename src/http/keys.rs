//! A user's stored API keys. The key itself is never returned: only its last four
//! characters, read by decrypting, so a tampered or moved record shows as unreadable.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, AuthUser};
use super::{Access, Route};
use crate::db::{self, api_keys::KeyRow};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/api/keys", Access::User, list_keys),
        Route::new(Method::POST, "/api/keys", Access::User, create_key),
        Route::new(Method::DELETE, "/api/keys/{id}", Access::User, delete_key),
    ]
}

#[derive(Serialize)]
pub struct KeyView {
    id: i64,
    provider: String,
    label: String,
    /// Last four characters, or null when the record cannot be decrypted.
    last4: Option<String>,
    readable: bool,
    created_at: String,
}

fn view(state: &AppState, row: KeyRow) -> KeyView {
    let last4 = row
        .open(&state.master)
        .as_deref()
        .map(crate::secrets::last4);
    KeyView {
        id: row.id,
        readable: last4.is_some(),
        last4,
        provider: row.provider,
        label: row.label,
        created_at: row.created_at,
    }
}

async fn list_keys(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Vec<KeyView>>> {
    let rows = db::api_keys::list(&state.db, user.id).await?;
    Ok(Json(rows.into_iter().map(|r| view(&state, r)).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    provider: String,
    #[serde(default)]
    label: String,
    key: String,
}

async fn create_key(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateKey>,
) -> ApiResult<(StatusCode, Json<KeyView>)> {
    let provider_ok = (1..=32).contains(&req.provider.len())
        && req
            .provider
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !provider_ok {
        return Err(ApiError::invalid(
            "provider",
            "must be 1-32 characters of a-z, 0-9, '-' or '_' (e.g. openai, anthropic)",
        ));
    }
    let label = req.label.trim();
    if label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "label",
            "must be at most 100 printable characters",
        ));
    }
    let key = req.key.trim();
    if key.is_empty() || key.len() > 4096 || key.chars().any(char::is_whitespace) {
        return Err(ApiError::invalid(
            "key",
            "must be 1-4096 characters without spaces",
        ));
    }
    let label = if label.is_empty() {
        req.provider.as_str()
    } else {
        label
    };
    let row =
        db::api_keys::insert(&state.db, &state.master, user.id, &req.provider, label, key).await?;
    Ok((StatusCode::CREATED, Json(view(&state, row))))
}

async fn delete_key(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    if db::api_keys::delete(&state.db, user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
