//! A project's conversation (Claude Code's transcript, see [`crate::transcript`]): a page
//! after a cursor over REST, and the live `/conversation` WebSocket stream. Owner only;
//! another member's project is a 404 like one that does not exist.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery, AuthUser};
use super::projects::load;
use super::ws::{Upgrade, WsCaller, upgrade};
use super::{Access, Route};
use crate::db::{self, projects::Project};
use crate::state::AppState;
use crate::transcript::files::ReadError;
use crate::transcript::{Cursor, Page, Source, read_page};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/api/projects/{id}/conversation",
            Access::User,
            get_conversation,
        ),
        Route::new(
            Method::GET,
            "/api/ws/projects/{id}/conversation",
            Access::User,
            conversation_socket,
        ),
    ]
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: String,
}

/// Where the project's transcripts are: the owner's directory and the project's
/// workspace, from the database, never from anything the CLI wrote.
async fn source(state: &AppState, project: &Project) -> ApiResult<Source> {
    let owner = db::users::get(&state.db, project.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let member_dir = state
        .layout
        .user_dir(&owner.username)
        .map_err(ApiError::internal)?;
    Ok(Source::for_project(member_dir, project))
}

async fn get_conversation(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<After>,
) -> ApiResult<Json<Page>> {
    let project = load(&state, user.id, id).await?;
    let cursor: Cursor = q
        .after
        .parse()
        .map_err(|e: crate::transcript::BadCursor| ApiError::invalid("after", e.to_string()))?;
    let source = source(&state, &project).await?;
    let page = tokio::task::spawn_blocking(move || read_page(&source, &cursor))
        .await
        .map_err(ApiError::internal)?;
    match page {
        Ok(page) => Ok(Json(page)),
        Err(e @ ReadError::UnknownSession) => Err(ApiError::invalid("after", e.to_string())),
        Err(e) => Err(ApiError::internal(e)),
    }
}

async fn conversation_socket(
    State(state): State<AppState>,
    WsCaller(user): WsCaller,
    ApiPath(id): ApiPath<i64>,
    ws: Upgrade,
) -> ApiResult<Response> {
    let project = load(&state, user.id, id).await?;
    let source = source(&state, &project).await?;
    let shared = state.clone();
    upgrade(&state, &user, project, ws, move |socket, _project| {
        crate::ws::conversation::run(socket, shared, source)
    })
}
