//! Web Push subscriptions, notification settings and the test notification, all per member.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, AuthUser};
use super::{Access, Route};
use crate::db::push::{self as store, Settings, Subscription};
use crate::push::{Message, Urgency, ece};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/api/push/vapid-public-key",
            Access::User,
            vapid_public_key,
        ),
        Route::new(
            Method::GET,
            "/api/push/subscriptions",
            Access::User,
            list_subscriptions,
        ),
        Route::new(
            Method::POST,
            "/api/push/subscriptions",
            Access::User,
            create_subscription,
        ),
        Route::new(
            Method::DELETE,
            "/api/push/subscriptions/{id}",
            Access::User,
            delete_subscription,
        ),
        Route::new(Method::POST, "/api/push/test", Access::User, send_test),
        Route::new(
            Method::GET,
            "/api/notifications/settings",
            Access::User,
            get_settings,
        ),
        Route::new(
            Method::PUT,
            "/api/notifications/settings",
            Access::User,
            put_settings,
        ),
    ]
}

async fn vapid_public_key(
    State(state): State<AppState>,
    _user: AuthUser,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "key": state.push.vapid.public_key() })))
}

async fn list_subscriptions(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<Subscription>>> {
    Ok(Json(store::list(&state.db, user.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    endpoint: String,
    keys: Keys,
    #[serde(default)]
    device: String,
    /// Browsers' `PushSubscription.toJSON()` includes it; accepted and ignored.
    #[serde(default, rename = "expirationTime")]
    _expiration_time: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    p256dh: String,
    auth: String,
}

/// Push services are reached over https; plain http only on loopback (a local test
/// service), so a subscription cannot make the daemon post to the private network.
pub(super) fn check_endpoint(endpoint: &str) -> Result<(), ApiError> {
    crate::web_url::parse(endpoint)
        .map(drop)
        .map_err(|reason| ApiError::invalid("endpoint", reason))
}

fn decode_key(field: &str, value: &str) -> Result<Vec<u8>, ApiError> {
    B64.decode(value.trim_end_matches('='))
        .map_err(|_| ApiError::invalid(field, "not base64url"))
}

async fn create_subscription(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateSubscription>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    check_endpoint(&req.endpoint)?;
    let p256dh = decode_key("keys.p256dh", &req.keys.p256dh)?;
    let auth = decode_key("keys.auth", &req.keys.auth)?;
    ece::check_keys(&p256dh, &auth).map_err(|e| match e {
        ece::EceError::BadAuth => ApiError::invalid("keys.auth", "must be 16 bytes"),
        _ => ApiError::invalid("keys.p256dh", "not a P-256 public key"),
    })?;
    if req.device.chars().count() > 100 {
        return Err(ApiError::invalid("device", "longer than 100 characters"));
    }
    let row = store::upsert(
        &state.db,
        user.id,
        &req.endpoint,
        &B64.encode(&p256dh),
        &B64.encode(&auth),
        req.device.trim(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": row.id }))))
}

async fn delete_subscription(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    if store::delete(&state.db, user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Sends to every browser the member subscribed, regardless of settings and cooldowns:
/// it is how they check that notifications reach them.
async fn send_test(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let push = &state.push;
    let subs = store::list(&state.db, user.id).await?;
    let msg = Message {
        payload: json!({
            "title": "AutoCode",
            "body": "Notifications reach this device.",
            "url": "/",
            "project_id": null,
            "event": "test",
            "tag": "test",
        }),
        urgency: Urgency::Normal,
        topic: "test".into(),
    };
    let mut queued = 0;
    for sub in subs {
        if push
            .delivery
            .enqueue(&state.db, sub, msg.clone(), &state.ws.shutdown)
        {
            queued += 1;
        }
    }
    queued +=
        crate::push::notify::send_to_channels(push, &state.db, user.id, &msg, &state.ws.shutdown)
            .await?;
    if queued == 0 {
        return Err(ApiError::Conflict(
            "no browser is subscribed yet and no ntfy, Telegram or e-mail channel is set up: turn notifications on first (e-mail also needs the admin's mail server)".into(),
        ));
    }
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))))
}

async fn get_settings(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Settings>> {
    Ok(Json(store::settings(&state.db, user.id).await?))
}

async fn put_settings(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(settings): ApiJson<Settings>,
) -> ApiResult<Json<Settings>> {
    if settings.muted_projects.len() > 1000 {
        return Err(ApiError::invalid(
            "muted_projects",
            "more than 1000 projects",
        ));
    }
    store::save_settings(&state.db, user.id, &settings).await?;
    Ok(Json(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_loopback_http() {
        assert!(check_endpoint("https://fcm.googleapis.com/fcm/send/abc").is_ok());
        assert!(check_endpoint("http://127.0.0.1:4000/push/1").is_ok());
        assert!(check_endpoint("http://[::1]:4000/push/1").is_ok());
        assert!(check_endpoint("http://push.example/1").is_err());
        assert!(check_endpoint("http://192.168.1.1/1").is_err());
        assert!(check_endpoint("http://localhost.evil.example/1").is_err());
        assert!(check_endpoint("ftp://127.0.0.1/1").is_err());
        assert!(check_endpoint("not a url").is_err());
    }
}
