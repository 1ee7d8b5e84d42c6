//! The inbox: everything waiting for this member across their projects, with enough
//! context to answer from a phone, and answers that take the project page's own path.
//! A project waits on at most one thing at a time, so an item's id is its project's id.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::control::send_message;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, AuthUser};
use super::projects::load;
use super::{Access, Route};
use crate::db::{self, projects::ProjectStatus};
use crate::state::AppState;

/// Lines of the pane shown with an item: enough to see the question's surroundings.
const SCREEN_LINES: usize = 20;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/api/inbox", Access::User, list_inbox),
        Route::new(
            Method::POST,
            "/api/inbox/{id}/answer",
            Access::User,
            answer_item,
        ),
    ]
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A question, or a permission the policy leaves to the owner; answered with text.
    NeedsHelp,
    /// The project stopped with an error; it is restarted from its page.
    Failed,
}

#[derive(Debug, Serialize)]
pub struct Item {
    id: i64,
    kind: ItemKind,
    project_id: i64,
    project_name: String,
    question: Option<String>,
    /// The last lines of the project's terminal, when it is running.
    screen: Option<String>,
    since: String,
    url: String,
}

#[derive(Debug, Serialize)]
pub struct Inbox {
    count: usize,
    items: Vec<Item>,
}

async fn list_inbox(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Inbox>> {
    let mut items = Vec::new();
    for p in db::projects::list(&state.db, user.id).await? {
        let kind = match p.status {
            ProjectStatus::NeedsHelp => ItemKind::NeedsHelp,
            ProjectStatus::Failed => ItemKind::Failed,
            _ => continue,
        };
        items.push(Item {
            id: p.id,
            kind,
            project_id: p.id,
            screen: screen_excerpt(&state, &p.tmux_session).await,
            project_name: p.name,
            question: p.question,
            since: p.updated_at,
            url: format!("/projects/{}", p.id),
        });
    }
    // Oldest first: what has waited longest is answered first.
    items.sort_by(|a, b| a.since.cmp(&b.since));
    Ok(Json(Inbox {
        count: items.len(),
        items,
    }))
}

async fn screen_excerpt(state: &AppState, session: &str) -> Option<String> {
    let monitor = &state.monitor;
    let session = crate::tmux::SessionName::new(session).ok()?;
    let panes = monitor.tmux().session_panes(&session).await.ok()?;
    let pane = panes.iter().find(|p| !p.dead)?.id;
    let rows = monitor.screens().rows(pane)?;
    let rows: Vec<&str> = rows.iter().map(|r| r.trim_end()).collect();
    let end = rows.iter().rposition(|r| !r.is_empty())? + 1;
    Some(rows[end.saturating_sub(SCREEN_LINES)..end].join("\n"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    text: String,
}

async fn answer_item(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Answer>,
) -> ApiResult<StatusCode> {
    let project = load(&state, user.id, id).await?;
    match project.status {
        ProjectStatus::NeedsHelp => {}
        ProjectStatus::Failed => {
            return Err(ApiError::Conflict(
                "this project stopped with an error: restart it from its page".into(),
            ));
        }
        _ => {
            return Err(ApiError::Conflict(
                "this project is not waiting for an answer any more".into(),
            ));
        }
    }
    send_message(&state, &user, &project, &req.text).await?;
    Ok(StatusCode::ACCEPTED)
}
