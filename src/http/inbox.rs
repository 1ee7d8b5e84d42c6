//! The inbox: everything waiting for this member across their projects, with enough
//! context to answer from a phone. A project waits on at most one thing at a time, so an
//! item's id is its project's id. Answers are in [`super::inbox_answer`]; the live
//! `/api/ws/inbox` stream sends [`collect`]'s result again whenever one of the member's
//! projects changes status, so an item answered anywhere leaves every open page.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde::Serialize;

use super::error::ApiResult;
use super::extract::AuthUser;
use super::{Access, Route};
use crate::controller::wording;
use crate::db::{self, projects::ProjectStatus};
use crate::state::AppState;

/// Lines of the pane shown with an item: enough to see the question's surroundings.
const SCREEN_LINES: usize = 20;

/// The answers a permission item offers, as `{"option": ...}` takes them.
pub const PERMISSION_OPTIONS: [&str; 2] = ["allow", "deny"];

pub fn routes() -> Vec<Route> {
    let mut routes = vec![Route::new(
        Method::GET,
        "/api/inbox",
        Access::User,
        list_inbox,
    )];
    routes.extend(super::inbox_answer::routes());
    routes
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A question, or a permission the policy leaves to the owner; answered with text
    /// (or, for a permission, an option).
    NeedsHelp,
    /// The project stopped with an error; it is restarted from its page.
    Failed,
}

#[derive(Debug, Serialize, Clone)]
pub struct Item {
    id: i64,
    kind: ItemKind,
    project_id: i64,
    project_name: String,
    question: Option<String>,
    /// For a permission: the tool and the exact command or path it is about.
    permission: Option<String>,
    /// What `{"option"}` accepts for this item (empty: answer with text).
    options: Vec<&'static str>,
    /// The last lines of the project's terminal, when it is running.
    screen: Option<String>,
    since: String,
    url: String,
}

#[derive(Debug, Serialize, Clone)]
pub struct Inbox {
    count: usize,
    items: Vec<Item>,
}

async fn list_inbox(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Inbox>> {
    Ok(Json(collect(&state, user.id).await?))
}

/// Everything waiting for `user_id`, oldest first.
pub async fn collect(state: &AppState, user_id: i64) -> sqlx::Result<Inbox> {
    let mut items = Vec::new();
    for p in db::projects::list(&state.db, user_id).await? {
        let kind = match p.status {
            ProjectStatus::NeedsHelp => ItemKind::NeedsHelp,
            ProjectStatus::Failed => ItemKind::Failed,
            _ => continue,
        };
        let permission = p
            .question
            .as_deref()
            .filter(|_| kind == ItemKind::NeedsHelp)
            .and_then(wording::permission_subject)
            .map(str::to_owned);
        items.push(Item {
            id: p.id,
            kind,
            project_id: p.id,
            screen: screen_excerpt(state, &p.tmux_session).await,
            project_name: p.name,
            options: if permission.is_some() {
                PERMISSION_OPTIONS.to_vec()
            } else {
                Vec::new()
            },
            permission,
            question: p.question,
            since: p.updated_at,
            url: format!("/projects/{}", p.id),
        });
    }
    // Oldest first: what has waited longest is answered first.
    items.sort_by(|a, b| a.since.cmp(&b.since));
    Ok(Inbox {
        count: items.len(),
        items,
    })
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
