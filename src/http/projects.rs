//! Projects under an agent, and their history (logs). Every change a user makes writes
//! an `info` entry saying what changed, so a project's log is its whole history.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use sqlx::types::Json as SqlJson;

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use super::{Access, Route};
use crate::db::logs::{Level, LogEntry};
use crate::db::project_remotes::{ProjectRemote, PushMode};
use crate::db::projects::{Project, Step};
use crate::db::{self};
use crate::journal::ProjectEvent;
use crate::lifecycle::{NewProject, fields};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/api/projects",
            Access::User,
            list_all_projects,
        ),
        Route::new(
            Method::GET,
            "/api/agents/{id}/projects",
            Access::User,
            list_projects,
        ),
        Route::new(
            Method::POST,
            "/api/agents/{id}/projects",
            Access::User,
            create_project,
        ),
        Route::new(Method::GET, "/api/projects/{id}", Access::User, get_project),
        Route::new(
            Method::PUT,
            "/api/projects/{id}",
            Access::User,
            update_project,
        ),
        Route::new(
            Method::DELETE,
            "/api/projects/{id}",
            Access::User,
            delete_project,
        ),
        Route::new(
            Method::GET,
            "/api/projects/{id}/logs",
            Access::User,
            project_logs,
        ),
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    implementation_plan: Vec<Step>,
    /// Clone this repository instead of starting empty (see `remote.rs`).
    #[serde(default)]
    repo_url: Option<String>,
    #[serde(default)]
    push: Option<PushMode>,
    #[serde(default)]
    pull_request: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    name: Option<String>,
    description: Option<String>,
    architecture: Option<String>,
    implementation_plan: Option<Vec<Step>>,
}

/// A project as the API shows it: the row, its supervising-LLM cost, and whether its
/// controller is running.
#[derive(serde::Serialize)]
pub struct ProjectView {
    #[serde(flatten)]
    pub project: Project,
    pub cost: db::usage::Cost,
    pub controller_running: bool,
    /// The remote it was cloned from, its push setting and pull request; none if made empty.
    pub remote: Option<ProjectRemote>,
}

pub async fn view(state: &AppState, project: Project) -> ApiResult<ProjectView> {
    let mut one = views(state, vec![project]).await?;
    one.pop().ok_or(ApiError::NotFound)
}

/// The views of a listing: costs and remotes are read for all its projects at once.
async fn views(state: &AppState, projects: Vec<Project>) -> ApiResult<Vec<ProjectView>> {
    let ids: Vec<i64> = projects.iter().map(|p| p.id).collect();
    let mut costs = db::usage::for_projects(&state.db, &ids).await?;
    let mut remotes = db::project_remotes::for_projects(&state.db, &ids).await?;
    Ok(projects
        .into_iter()
        .map(|project| ProjectView {
            cost: costs.remove(&project.id).unwrap_or_default(),
            controller_running: state.lifecycle.is_running(project.id),
            remote: remotes.remove(&project.id),
            project,
        })
        .collect())
}

pub async fn load(state: &AppState, user_id: i64, id: i64) -> ApiResult<Project> {
    db::projects::get(&state.db, user_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

async fn list_all_projects(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<ProjectView>>> {
    let projects = db::projects::list(&state.db, user.id).await?;
    Ok(Json(views(&state, projects).await?))
}

async fn list_projects(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(agent_id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ProjectView>>> {
    db::agents::get(&state.db, user.id, agent_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let projects = db::projects::list_for_agent(&state.db, user.id, agent_id).await?;
    Ok(Json(views(&state, projects).await?))
}

async fn create_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(agent_id): ApiPath<i64>,
    ApiJson(req): ApiJson<CreateProject>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    let new = NewProject {
        agent_id,
        name: &req.name,
        description: &req.description,
        architecture: &req.architecture,
        plan: &req.implementation_plan,
        repo_url: req.repo_url.as_deref(),
        push: req.push,
        pull_request: req.pull_request,
    };
    let project = state.lifecycle.create(user.id, &new).await?;
    Ok((StatusCode::CREATED, Json(view(&state, project).await?)))
}

async fn get_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(view(&state, load(&state, user.id, id).await?).await?))
}

async fn update_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateProject>,
) -> ApiResult<Json<ProjectView>> {
    let mut project = load(&state, user.id, id).await?;
    let mut changed = Vec::new();
    if let Some(name) = &req.name {
        let name = fields::check_name(name)?;
        if name != project.name {
            changed.push(format!("name → \"{name}\""));
            project.name = name;
        }
    }
    if let Some(d) = req.description {
        fields::check_text("description", &d)?;
        if d != project.description {
            changed.push("description".to_owned());
            project.description = d;
        }
    }
    if let Some(a) = req.architecture {
        fields::check_text("architecture", &a)?;
        if a != project.architecture {
            changed.push("architecture".to_owned());
            project.architecture = a;
        }
    }
    let mut plan_changed = false;
    if let Some(plan) = req.implementation_plan {
        fields::check_plan(&plan)?;
        if plan != project.implementation_plan.0 {
            changed.push(format!("implementation plan ({} steps)", plan.len()));
            project.implementation_plan = SqlJson(plan);
            plan_changed = true;
        }
    }
    if changed.is_empty() {
        return Ok(Json(view(&state, project).await?));
    }
    db::projects::update_fields(&state.db, &project)
        .await
        .map_err(fields::name_taken)?;
    state
        .journal
        .log(
            id,
            None,
            Level::Info,
            &format!("Edited: {}", changed.join(", ")),
        )
        .await?;
    if plan_changed {
        state.journal.publish(ProjectEvent::Plan {
            project_id: id,
            implementation_plan: project.implementation_plan.0.clone(),
        });
    }
    Ok(Json(view(&state, load(&state, user.id, id).await?).await?))
}

async fn delete_project(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let project = load(&state, user.id, id).await?;
    state.lifecycle.delete(&project).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    200
}

async fn project_logs(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<Json<Vec<LogEntry>>> {
    load(&state, user.id, id).await?;
    if !(1..=1000).contains(&q.limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    Ok(Json(
        db::logs::after(&state.db, id, q.after, q.limit).await?,
    ))
}
