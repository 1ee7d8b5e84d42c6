//! The admin's SMTP server for e-mail notifications: `GET/PUT/DELETE /api/admin/smtp`. The
//! password is sealed like API keys and never shown again (only whether one is set).

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{AdminUser, ApiJson};
use super::{Access, Route};
use crate::db::smtp::{self, NewSmtp};
use crate::push::email::Security;
use crate::state::AppState;

const PATH: &str = "/api/admin/smtp";

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, PATH, Access::Admin, get_smtp),
        Route::new(Method::PUT, PATH, Access::Admin, put_smtp),
        Route::new(Method::DELETE, PATH, Access::Admin, delete_smtp),
    ]
}

#[derive(Serialize)]
pub struct SmtpView {
    host: String,
    port: i64,
    security: String,
    username: String,
    sender: String,
    password_set: bool,
    updated_at: String,
}

async fn get_smtp(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Option<SmtpView>>> {
    Ok(Json(smtp::get(&state.db).await?.map(|row| SmtpView {
        password_set: row.password(&state.master).is_some(),
        host: row.host,
        port: row.port,
        security: row.security,
        username: row.username,
        sender: row.sender,
        updated_at: row.updated_at,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutSmtp {
    host: String,
    port: u16,
    /// `tls`, `starttls` or `none` (loopback hosts only).
    security: String,
    #[serde(default)]
    username: String,
    /// Omitted: keep the stored password.
    #[serde(default)]
    password: Option<String>,
    /// The From mailbox, e.g. `AutoCode <autocode@example.org>`.
    sender: String,
}

fn check(req: &PutSmtp) -> ApiResult<Security> {
    let host = req.host.as_str();
    // A name or an address only: a port, a path or a login in it is refused (`:` only
    // inside an IPv6 address's brackets).
    let host_ok = (1..=253).contains(&host.len())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && reqwest::Url::parse(&format!("smtp://{host}"))
            .is_ok_and(|u| u.port().is_none() && u.path().is_empty() && u.username().is_empty());
    if !host_ok {
        return Err(ApiError::invalid(
            "host",
            "a host name or IP address, without scheme or port",
        ));
    }
    if req.port == 0 {
        return Err(ApiError::invalid("port", "must be 1 to 65535"));
    }
    let security = Security::parse(&req.security)
        .ok_or_else(|| ApiError::invalid("security", "must be tls, starttls or none"))?;
    if security == Security::None && !crate::web_url::is_loopback_host(host) {
        return Err(ApiError::invalid(
            "security",
            "none sends the password in the clear: only for a server on this machine (127.0.0.1)",
        ));
    }
    if req.username.chars().count() > 200 {
        return Err(ApiError::invalid("username", "longer than 200 characters"));
    }
    if req
        .password
        .as_ref()
        .is_some_and(|p| p.chars().count() > 500)
    {
        return Err(ApiError::invalid("password", "longer than 500 characters"));
    }
    if req.sender.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ApiError::invalid(
            "sender",
            "an e-mail address, optionally with a name: AutoCode <autocode@example.org>",
        ));
    }
    Ok(security)
}

async fn put_smtp(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiJson(req): ApiJson<PutSmtp>,
) -> ApiResult<StatusCode> {
    check(&req)?;
    let new = NewSmtp {
        host: &req.host,
        port: req.port,
        security: &req.security,
        username: req.username.trim(),
        sender: req.sender.trim(),
        password: req.password.as_deref(),
    };
    smtp::put(&state.db, &state.master, &new).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_smtp(State(state): State<AppState>, _admin: AdminUser) -> ApiResult<StatusCode> {
    if smtp::delete(&state.db).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
