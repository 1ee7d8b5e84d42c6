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
use crate::controller::{Command, ControlError, Controllers, StartMode};
use crate::db::{
    self,
    projects::{Project, ProjectStatus},
};
use crate::launch_rules;
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

fn controllers(state: &AppState) -> ApiResult<&std::sync::Arc<Controllers>> {
    state
        .controllers
        .as_ref()
        .ok_or_else(|| ApiError::internal("controllers are not running"))
}

/// An agent saved before the launch rules existed (or using an installation the admin
/// has since removed) must not launch; the member learns which field to fix.
async fn check_launch_settings(state: &AppState, project: &Project) -> ApiResult<()> {
    let agent = db::agents::get(&state.db, project.user_id, project.agent_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    launch_rules::check(&state.config.file, &agent.cli.0).map_err(|e| {
        ApiError::invalid(
            e.field,
            format!(
                "{} (edit agent \"{}\" to start its projects)",
                e.reason, agent.name
            ),
        )
    })
}

async fn start_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectView>> {
    let project = load(&state, user.id, id).await?;
    let c = controllers(&state)?;
    if project.status == ProjectStatus::Completed {
        return Err(ApiError::Conflict(
            "the project is completed; edit its plan to add work, then restart".into(),
        ));
    }
    check_launch_settings(&state, &project).await?;
    c.start(&project, StartMode::Fresh).await?;
    Ok(Json(view(&state, load(&state, user.id, id).await?).await?))
}

async fn stop_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectView>> {
    let project = load(&state, user.id, id).await?;
    if !controllers(&state)?
        .stop(&project, ProjectStatus::Paused)
        .await?
    {
        return Err(ControlError::NotRunning.into());
    }
    Ok(Json(view(&state, load(&state, user.id, id).await?).await?))
}

async fn restart_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectView>> {
    let project = load(&state, user.id, id).await?;
    let c = controllers(&state)?;
    check_launch_settings(&state, &project).await?;
    c.stop(&project, project.status).await?;
    let project = load(&state, user.id, id).await?;
    c.start(&project, StartMode::Restart).await?;
    Ok(Json(view(&state, load(&state, user.id, id).await?).await?))
}

async fn pause_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    load(&state, user.id, id).await?;
    controllers(&state)?.send(id, Command::Pause).await?;
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
    let c = controllers(&state)?;
    // A stopped project resumes by starting its loop again, continuing the conversation.
    match c.send(id, Command::Resume).await {
        Ok(()) => {}
        Err(ControlError::NotRunning) if project.status == ProjectStatus::Paused => {
            check_launch_settings(&state, &project).await?;
            c.start(&project, StartMode::Restart).await?
        }
        Err(e) => return Err(e.into()),
    }
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
    load(&state, user.id, id).await?;
    send_message(&state, user.id, id, &req.text).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A member's message to one of their projects (the caller checked it is theirs): the
/// one path for the project page and the inbox alike, so both log the same line.
pub(super) async fn send_message(
    state: &AppState,
    user_id: i64,
    id: i64,
    text: &str,
) -> ApiResult<()> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 20_000 {
        return Err(ApiError::invalid("text", "must be 1 to 20000 characters"));
    }
    let from = db::users::get(&state.db, user_id)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    controllers(state)?
        .send(
            id,
            Command::Message {
                text: text.to_owned(),
                from,
            },
        )
        .await?;
    Ok(())
}
