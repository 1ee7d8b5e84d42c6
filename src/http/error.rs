//! The one error type of the HTTP API. Every failure becomes `{"error": "...", "detail":
//! ...}` with the right status; internal errors are logged once and reach the client as
//! a bare "internal error", never as SQL, a path or a library message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::accounts::AccountError;
use crate::agent_config::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    /// A 401 with a message saying why (bad password, reused refresh token).
    #[error("{0}")]
    Unauthenticated(String),
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("too many attempts; try again later")]
    TooManyRequests { retry_after_secs: u64 },
    /// A feature this server cannot offer (yet), said in words (503).
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Logs the cause and hides it from the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                json!({ "error": "internal error" })
            }
            ApiError::Invalid { field, reason } => json!({
                "error": self.to_string(),
                "detail": { "field": field, "reason": reason },
            }),
            _ => json!({ "error": self.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            response.headers_mut().insert("retry-after", v);
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Invalid {
            field: e.field,
            reason: e.reason,
        }
    }
}

impl From<crate::workspace::PathError> for ApiError {
    fn from(e: crate::workspace::PathError) -> Self {
        ApiError::internal(e)
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::InvalidUsername => {
                ApiError::invalid("username", crate::names::USERNAME_RULE)
            }
            AccountError::InvalidPassword => ApiError::invalid("password", e.to_string()),
            AccountError::InvalidRole => ApiError::invalid("role", e.to_string()),
            AccountError::Duplicate => ApiError::Conflict(e.to_string()),
            AccountError::NotFound => ApiError::NotFound,
            AccountError::LastAdmin => ApiError::Conflict(e.to_string()),
            AccountError::Db(_) | AccountError::Path(_) | AccountError::Hash(_) => {
                ApiError::internal(e)
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
