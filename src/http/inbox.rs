//! The inbox: everything waiting for this member across their projects (questions and
//! permissions, failed projects, stalled ones), with enough context to answer from a phone. A
//! project waits on at most one thing at a time, so an item's id is its project's id. Answers
//! are in [`super::inbox_answer`]; the live `/api/ws/inbox` stream sends [`collect`]'s result
//! again whenever one of the member's projects changes status or stalls or moves on, so an item
//! answered anywhere leaves every open page.

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

/// The answers a stalled item offers besides text: start Claude Code again, resuming.
pub const STALL_OPTIONS: [&str; 1] = ["restart"];

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
    /// A running project whose CLI made no progress for the stall time and was interrupted;
    /// answered with text (sent to Claude) or by restarting Claude Code.
    Stalled,
}

impl ItemKind {
    /// Every kind; the frontend's `InboxItemKind` lists the same words.
    pub const ALL: [Self; 3] = [Self::NeedsHelp, Self::Failed, Self::Stalled];
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
            ProjectStatus::Running if p.stalled_since.is_some() => ItemKind::Stalled,
            _ => continue,
        };
        if kind == ItemKind::Stalled {
            items.push(stalled_item(state, p).await?);
            continue;
        }
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

/// A stalled project as an item: how long it has shown no progress, in plain words.
async fn stalled_item(state: &AppState, p: db::projects::Project) -> sqlx::Result<Item> {
    // Read off the row already loaded (an RFC 3339 time the database wrote).
    let secs = p
        .stalled_since
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |since| {
            (chrono::Utc::now() - since.to_utc()).num_seconds()
        });
    Ok(Item {
        id: p.id,
        kind: ItemKind::Stalled,
        project_id: p.id,
        screen: screen_excerpt(state, &p.tmux_session).await,
        project_name: p.name,
        question: Some(stalled_question(secs)),
        permission: None,
        options: STALL_OPTIONS.to_vec(),
        since: p.stalled_since.unwrap_or(p.updated_at),
        url: format!("/projects/{}", p.id),
    })
}

/// "No progress for 7 minutes. …": what a stalled item asks.
fn stalled_question(secs: i64) -> String {
    let how_long = match secs.max(0) / 60 {
        0 => format!("{} seconds", secs.max(0)),
        1 => "1 minute".to_owned(),
        minutes => format!("{minutes} minutes"),
    };
    format!(
        "No progress for {how_long}, so Claude was interrupted. Tell Claude how to go on, or restart it."
    )
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

#[cfg(test)]
mod tests {
    use super::stalled_question;

    #[test]
    fn a_stall_says_how_long_in_plain_words() {
        assert!(stalled_question(42).starts_with("No progress for 42 seconds, "));
        assert!(stalled_question(61).starts_with("No progress for 1 minute, "));
        assert!(stalled_question(300).starts_with("No progress for 5 minutes, "));
        assert!(stalled_question(-3).starts_with("No progress for 0 seconds, "));
    }
}
