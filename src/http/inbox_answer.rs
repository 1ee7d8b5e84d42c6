//! Answering an inbox item: `POST /api/inbox/{id}/answer` with `{"text"}` or `{"option"}`
//! from the signed-in member (a stalled project's `{"option": "restart"}` is the project
//! page's restart), and `POST /api/inbox/{id}/action` with `{"token", "option"}`
//! from a notification's Approve / Deny button (the service worker has no session; the
//! token is single-use, bound to that member's project and question, and expires, see
//! [`crate::push::answer`]). Both end in the project page's own message path, so the log
//! shows the same line whichever way the owner answered.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::Deserialize;

use super::control::send_message;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, AuthUser};
use super::inbox::{PERMISSION_OPTIONS, STALL_OPTIONS};
use super::projects::load;
use super::{Access, Route};
use crate::controller::wording;
use crate::db::projects::{Project, ProjectStatus};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/api/inbox/{id}/answer",
            Access::User,
            answer_item,
        ),
        Route::new(
            Method::POST,
            "/api/inbox/{id}/action",
            Access::Public,
            answer_with_token,
        ),
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    option: Option<String>,
}

/// The project is waiting for an answer right now.
fn check_waiting(project: &Project) -> ApiResult<()> {
    match project.status {
        ProjectStatus::NeedsHelp => Ok(()),
        ProjectStatus::Failed => Err(ApiError::Conflict(
            "this project stopped with an error: restart it from its page".into(),
        )),
        _ => Err(ApiError::Conflict(
            "this project is not waiting for an answer any more".into(),
        )),
    }
}

/// The reply an option stands for: a permission's "allow" is the "yes" the project page
/// would send, "deny" its "no".
fn option_reply(project: &Project, option: &str) -> ApiResult<&'static str> {
    let permission = project
        .question
        .as_deref()
        .and_then(wording::permission_subject)
        .is_some();
    if !permission {
        return Err(ApiError::invalid(
            "option",
            "this question has no options: answer with text",
        ));
    }
    parse_option(option)
}

/// A permission option as the reply it stands for.
fn parse_option(option: &str) -> ApiResult<&'static str> {
    match option {
        "allow" => Ok("yes"),
        "deny" => Ok("no"),
        _ => Err(ApiError::invalid(
            "option",
            format!("must be one of: {}", PERMISSION_OPTIONS.join(", ")),
        )),
    }
}

/// A running project whose CLI is stalled: its item takes text or "restart".
fn stalled(project: &Project) -> bool {
    project.status == ProjectStatus::Running && project.stalled_since.is_some()
}

async fn answer_item(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Answer>,
) -> ApiResult<StatusCode> {
    let project = load(&state, user.id, id).await?;
    let stalled = stalled(&project);
    if !stalled {
        check_waiting(&project)?;
    }
    let text = match (&req.text, &req.option) {
        (Some(text), None) => text.as_str(),
        (None, Some(option)) if stalled => {
            check_stall_option(option)?;
            // The project page's restart: a new CLI continuing the conversation.
            state.lifecycle.restart(&project).await?;
            return Ok(StatusCode::ACCEPTED);
        }
        (None, Some(option)) => option_reply(&project, option)?,
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "option",
                "answer with text or with an option, not both",
            ));
        }
        (None, None) => return Err(ApiError::invalid("text", "missing: write an answer")),
    };
    send_message(&state, user.id, &project, text).await?;
    Ok(StatusCode::ACCEPTED)
}

fn check_stall_option(option: &str) -> ApiResult<()> {
    if STALL_OPTIONS.contains(&option) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "option",
            format!(
                "must be one of: {} (or answer with text)",
                STALL_OPTIONS.join(", ")
            ),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenAnswer {
    token: String,
    option: String,
}

async fn answer_with_token(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TokenAnswer>,
) -> ApiResult<StatusCode> {
    // Checked before the token is redeemed: a mistyped option does not use it up.
    parse_option(&req.option)?;
    let grant = state
        .push
        .answers
        .redeem(&req.token, id, tokio::time::Instant::now())
        .ok_or_else(|| {
            ApiError::Unauthenticated(
                "this answer button has expired or was already used: open the inbox to answer"
                    .into(),
            )
        })?;
    let project = load(&state, grant.user_id, id).await?;
    check_waiting(&project)?;
    if project.question.as_deref() != Some(grant.question.as_str()) {
        return Err(ApiError::Conflict(
            "this project now asks something else: open the inbox to answer".into(),
        ));
    }
    let reply = option_reply(&project, &req.option)?;
    send_message(&state, grant.user_id, &project, reply).await?;
    Ok(StatusCode::ACCEPTED)
}
