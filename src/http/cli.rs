//! The coding-CLI installations the admin registered, for the agent builder's select.
//! Names and profiles only: the paths are the server's business, and nothing here runs
//! the programs (a version probe runs a member-chosen program and belongs in a sandbox).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde::Serialize;

use super::error::ApiResult;
use super::extract::AuthUser;
use super::{Access, Route};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/api/cli/installations",
        Access::User,
        list_installations,
    )]
}

/// One choice for an agent's `cli.command`.
#[derive(Serialize)]
pub struct Installation {
    name: String,
    profile: String,
}

async fn list_installations(
    State(state): State<AppState>,
    _user: AuthUser,
) -> ApiResult<Json<Vec<Installation>>> {
    Ok(Json(
        state
            .config
            .file
            .cli_installations
            .iter()
            .map(|(name, inst)| Installation {
                name: name.clone(),
                profile: inst.profile.clone(),
            })
            .collect(),
    ))
}
