//! What the admin needs to know about the host: whether members are sandboxed.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde::Serialize;

use super::error::ApiResult;
use super::extract::AdminUser;
use super::{Access, Route};
use crate::sandbox;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/api/admin/system",
        Access::Admin,
        get_system,
    )]
}

#[derive(Serialize)]
struct SystemView {
    sandbox: sandbox::Status,
}

/// Probes the sandbox afresh (a few milliseconds), so a fixed host shows as fixed.
async fn get_system(State(state): State<AppState>, _: AdminUser) -> ApiResult<Json<SystemView>> {
    let settings = sandbox::Settings::from_config(&state.config.file);
    Ok(Json(SystemView {
        sandbox: sandbox::status(&settings).await,
    }))
}
