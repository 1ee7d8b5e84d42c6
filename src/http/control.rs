//! Project lifecycle: start, stop, restart, pause, resume, and messages to a running
//! project. (The hook endpoint lives on its own loopback listener: `http::hooks`.)

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, AuthUser};
use super::projects::{ProjectView, load, view};
use super::{Access, Route};
use crate::controller::{ControlError, StartMode};
use crate::db;
use crate::lifecycle::LifecycleError;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/api/projects/{id}/start",
            Access::User,
            start_project,
        ),
        Route::new(
            Method::POST,
            "/api/projects/{id}/stop",
            Access::User,
            stop_project,
        ),
        Route::new(
            Method::POST,
            "/api/projects/{id}/restart",
            Access::User,
            restart_project,
        ),
        Route::new(
            Method::POST,
            "/api/projects/{id}/pause",
            Access::User,
            pause_project,
        ),
        Route::new(
            Method::POST,
            "/api/projects/{id}/resume",
            Access::User,
            resume_project,
        ),
        Route::new(
            Method::POST,
            "/api/projects/{id}/messages",
            Access::User,
            message_project,
        ),
    ]
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        match e {
            ControlError::AlreadyRunning
            | ControlError::NotRunning
            | ControlError::Busy
            | ControlError::TooManyRunning(_) => ApiError::Conflict(e.to_string()),
            // Every start, restart or resume the sandbox refused reaches the API here.
            ControlError::Sandbox(message) => {
                crate::metrics::count_sandbox_start_failure();
                ApiError::Unavailable(message)
            }
            ControlError::Db(e) => e.into(),
        }
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::NotFound => ApiError::NotFound,
            LifecycleError::Completed | LifecycleError::NameTaken => {
                ApiError::Conflict(e.to_string())
            }
            LifecycleError::Launch {
                field,
                reason,
                agent,
            } => ApiError::invalid(
                field,
                format!("{reason} (edit agent \"{agent}\" to start its projects)"),
            ),
            LifecycleError::Invalid { field, reason } => ApiError::invalid(field, reason),
            LifecycleError::Conflict(reason) => ApiError::Conflict(reason),
            LifecycleError::Git(e) => e.into(),
            LifecycleError::Control(e) => e.into(),
            LifecycleError::Path(e) => e.into(),
            LifecycleError::Db(e) => e.into(),
        }
    }
}

async fn start_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectView>> {
    let project = load(&state, user.id, id).await?;
    state.lifecycle.start(&project, StartMode::Fresh).await?;
    Ok(Json(view(&state, load(&state, user.id, id).await?).await?))
}

async fn stop_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectView>> {
    let project = load(&state, user.id, id).await?;
    state.lifecycle.stop(&project).await?;
    Ok(Json(view(&state, load(&state, user.id, id).await?).await?))
}

async fn restart_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectView>> {
    let project = load(&state, user.id, id).await?;
    state.lifecycle.restart(&project).await?;
    Ok(Json(view(&state, load(&state, user.id, id).await?).await?))
}

async fn pause_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    let project = load(&state, user.id, id).await?;
    state.lifecycle.pause(&project).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(view(&state, load(&state, user.id, id).await?).await?),
    ))
}

async fn resume_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    let project = load(&state, user.id, id).await?;
    state.lifecycle.resume(&project).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(view(&state, load(&state, user.id, id).await?).await?),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    text: String,
}

async fn message_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MessageRequest>,
) -> ApiResult<StatusCode> {
    let project = load(&state, user.id, id).await?;
    send_message(&state, user.id, &project, &req.text).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A member's message to one of their projects: the one path for the project page and
/// the inbox alike, so both log the same line.
pub(super) async fn send_message(
    state: &AppState,
    user_id: i64,
    project: &crate::db::projects::Project,
    text: &str,
) -> ApiResult<()> {
    let from = db::users::get(&state.db, user_id)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    state.lifecycle.message(project, from, text).await?;
    Ok(())
}
