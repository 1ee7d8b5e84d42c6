//! Account management for admins.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{AdminUser, ApiJson, ApiPath};
use super::{Access, Route};
use crate::accounts;
use crate::db::{self, users::User, users::UserWithCounts};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/api/users", Access::Admin, list_users),
        Route::new(Method::POST, "/api/users", Access::Admin, create_user),
        Route::new(Method::PUT, "/api/users/{id}", Access::Admin, update_user),
        Route::new(
            Method::DELETE,
            "/api/users/{id}",
            Access::Admin,
            delete_user,
        ),
    ]
}

async fn list_users(
    State(state): State<AppState>,
    _: AdminUser,
) -> ApiResult<Json<Vec<UserWithCounts>>> {
    Ok(Json(db::users::list(&state.db).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    username: String,
    password: String,
    #[serde(default = "default_role")]
    role: String,
}

fn default_role() -> String {
    db::users::USER.to_owned()
}

async fn create_user(
    State(state): State<AppState>,
    _: AdminUser,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = accounts::create(
        &state.db,
        &state.layout,
        &req.username,
        &req.password,
        &req.role,
    )
    .await?;
    tracing::info!(username = %user.username, role = %user.role, "user created");
    give_default_agent(&state, &user).await;
    Ok((StatusCode::CREATED, Json(user)))
}

/// The new member's ready agent. The account stands without it, so a failure is logged for
/// the admin rather than undoing the account.
async fn give_default_agent(state: &AppState, user: &User) {
    let config = state.config.file.default_agent.as_ref();
    if let Err(e) =
        crate::default_agent::create_for(&state.db, &state.layout, user.id, config).await
    {
        tracing::error!(username = %user.username, "creating the default agent failed: {e}");
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    password: Option<String>,
    role: Option<String>,
}

async fn update_user(
    State(state): State<AppState>,
    _: AdminUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    // Validate everything before changing anything.
    if let Some(p) = &req.password {
        accounts::check_password(p)?;
    }
    if let Some(r) = &req.role {
        accounts::check_role(r)?;
    }
    if db::users::get(&state.db, id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    if let Some(role) = &req.role {
        accounts::set_role(&state.db, id, role).await?;
    }
    if let Some(password) = &req.password {
        // A reset by an admin logs the user out everywhere.
        accounts::set_password(&state.db, id, password, None).await?;
    }
    db::users::get(&state.db, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

async fn delete_user(
    State(state): State<AppState>,
    _: AdminUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let target = db::users::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if target.role == db::users::ADMIN && db::users::count_admins(&state.db).await? <= 1 {
        return Err(accounts::AccountError::LastAdmin.into());
    }
    // Their running work stops before their rows and files go.
    for p in db::projects::list(&state.db, id).await? {
        state.lifecycle.stop_for_removal(&p).await?;
    }
    let user = accounts::delete(&state.db, &state.layout, id).await?;
    tracing::info!(username = %user.username, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}
