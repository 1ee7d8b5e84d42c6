//! A member's ntfy, Telegram and e-mail channels (e-mail goes through the admin's SMTP
//! server, `http::smtp`). The Telegram token is never shown again: only its
//! last four characters, read by decrypting (as for API keys).

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, AuthUser};
use super::push::check_endpoint;
use super::{Access, Route};
use crate::db::channels;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    const NTFY: &str = "/api/notifications/channels/ntfy";
    const TELEGRAM: &str = "/api/notifications/channels/telegram";
    const EMAIL: &str = "/api/notifications/channels/email";
    vec![
        Route::new(
            Method::GET,
            "/api/notifications/channels",
            Access::User,
            list_channels,
        ),
        Route::new(Method::PUT, NTFY, Access::User, put_ntfy),
        Route::new(Method::DELETE, NTFY, Access::User, delete_ntfy),
        Route::new(Method::PUT, TELEGRAM, Access::User, put_telegram),
        Route::new(Method::DELETE, TELEGRAM, Access::User, delete_telegram),
        Route::new(Method::PUT, EMAIL, Access::User, put_email),
        Route::new(Method::DELETE, EMAIL, Access::User, delete_email),
    ]
}

#[derive(Serialize)]
pub struct ChannelView {
    kind: String,
    /// The ntfy topic URL, the Telegram chat id, or the e-mail address.
    target: String,
    /// The Telegram token's last four characters; null for ntfy or when unreadable.
    token_last4: Option<String>,
}

async fn list_channels(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<ChannelView>>> {
    let rows = channels::list(&state.db, user.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ChannelView {
                token_last4: r
                    .secret(&state.master)
                    .as_deref()
                    .map(crate::secrets::last4),
                kind: r.kind,
                target: r.target,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ntfy {
    /// The topic URL of the member's choosing, e.g. `https://ntfy.sh/my-secret-topic`.
    url: String,
}

async fn put_ntfy(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<Ntfy>,
) -> ApiResult<StatusCode> {
    check_endpoint(&req.url)
        .map_err(|_| ApiError::invalid("url", "must be an https:// topic URL"))?;
    channels::put(&state.db, &state.master, user.id, "ntfy", &req.url, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telegram {
    bot_token: String,
    chat_id: String,
}

async fn put_telegram(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<Telegram>,
) -> ApiResult<StatusCode> {
    // Bot tokens are `<digits>:<35 url-safe characters>`; the shape keeps a pasted URL or
    // a slash (which would change the API path) out.
    let token = req.bot_token.trim();
    let token_ok = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && (20..=100).contains(&secret.len())
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if !token_ok {
        return Err(ApiError::invalid(
            "bot_token",
            "not a Telegram bot token (123456:ABC...)",
        ));
    }
    let chat = req.chat_id.trim();
    let chat_ok = (1..=64).contains(&chat.len())
        && (chat
            .strip_prefix('-')
            .unwrap_or(chat)
            .bytes()
            .all(|b| b.is_ascii_digit())
            || (chat.starts_with('@')
                && chat[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')));
    if !chat_ok {
        return Err(ApiError::invalid("chat_id", "a number or an @channel name"));
    }
    channels::put(
        &state.db,
        &state.master,
        user.id,
        "telegram",
        chat,
        Some(token),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Email {
    /// Where this member's notifications are mailed, through the admin's SMTP server.
    address: String,
}

async fn put_email(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<Email>,
) -> ApiResult<StatusCode> {
    let address = req.address.trim();
    if address.len() > 254 || address.parse::<lettre::Address>().is_err() {
        return Err(ApiError::invalid("address", "not an e-mail address"));
    }
    channels::put(&state.db, &state.master, user.id, "email", address, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_email(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    delete(&state, &user, "email").await
}

async fn delete_ntfy(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    delete(&state, &user, "ntfy").await
}

async fn delete_telegram(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    delete(&state, &user, "telegram").await
}

async fn delete(state: &AppState, user: &AuthUser, kind: &str) -> ApiResult<StatusCode> {
    if channels::delete(&state.db, user.id, kind).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
