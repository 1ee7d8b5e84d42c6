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
use crate::db::projects::{NewProject, Project, Step};
use crate::db::{self};
use crate::journal::ProjectEvent;
use crate::names;
use crate::state::AppState;
use crate::workspace::{MemberDir, ProjectVars};

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

const MAX_TEXT: usize = 200_000;
const MAX_STEPS: usize = 200;

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

fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "name",
            "must be 1 to 100 characters without control characters",
        ));
    }
    Ok(name.to_owned())
}

fn check_text(field: &str, value: &str) -> ApiResult<()> {
    if value.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

fn check_plan(plan: &[Step]) -> ApiResult<()> {
    if plan.len() > MAX_STEPS {
        return Err(ApiError::invalid(
            "implementation_plan",
            format!("at most {MAX_STEPS} steps"),
        ));
    }
    for (i, step) in plan.iter().enumerate() {
        let n = step.title.trim().chars().count();
        if n == 0 || n > 200 {
            return Err(ApiError::invalid(
                format!("implementation_plan[{i}].title"),
                "must be 1 to 200 characters",
            ));
        }
        check_text(&format!("implementation_plan[{i}].details"), &step.details)?;
    }
    Ok(())
}

fn name_conflict(e: sqlx::Error) -> ApiError {
    if db::is_unique_violation(&e) {
        ApiError::Conflict("you already have a project with that name".into())
    } else {
        e.into()
    }
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
    let cost = db::usage::for_project(&state.db, project.id).await?;
    let controller_running = state
        .controllers
        .as_ref()
        .is_some_and(|c| c.is_running(project.id));
    let remote = db::project_remotes::get(&state.db, project.id).await?;
    Ok(ProjectView {
        project,
        cost,
        controller_running,
        remote,
    })
}

async fn views(state: &AppState, projects: Vec<Project>) -> ApiResult<Vec<ProjectView>> {
    let mut out = Vec::with_capacity(projects.len());
    for p in projects {
        out.push(view(state, p).await?);
    }
    Ok(out)
}

/// Stops a project's controller and CLI before its rows or files go away.
pub async fn stop_before_delete(state: &AppState, project: &Project) -> ApiResult<()> {
    if let Some(c) = &state.controllers {
        c.stop(project, project.status).await?;
    }
    Ok(())
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
    let agent = db::agents::get(&state.db, user.id, agent_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let name = check_name(&req.name)?;
    check_text("description", &req.description)?;
    check_text("architecture", &req.architecture)?;
    check_plan(&req.implementation_plan)?;
    let remote = super::remote::check(req.repo_url.as_deref(), req.push, req.pull_request)?;
    let owner = db::users::get(&state.db, user.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let taken = db::projects::slugs_of_user(&state.db, user.id).await?;
    let slug = names::unique_slug(&names::slugify(&name), |s| taken.iter().any(|t| t == s));
    let dir = state
        .layout
        .project_dir(&owner.username, &agent.workspace_base, &slug)?;
    // Checked before the row exists: a link planted on the way refuses the create.
    let member = MemberDir::of(&state.layout, &owner.username)?;
    member.check(&dir)?;
    if remote.is_some() {
        super::remote::check_folder(&dir)?;
    }
    let project = db::projects::insert(
        &state.db,
        user.id,
        &NewProject {
            agent_id,
            name: &name,
            slug: &slug,
            description: &req.description,
            architecture: &req.architecture,
            plan: &req.implementation_plan,
            workspace_path: &dir.to_string_lossy(),
        },
    )
    .await
    .map_err(name_conflict)?;
    let vars = ProjectVars {
        name: &name,
        slug: &slug,
        description: &req.description,
        architecture: &req.architecture,
    };
    let made = super::remote::make_workspace(
        &state,
        (&owner.username, &member),
        &project,
        &vars,
        remote.as_ref(),
    );
    if let Err(e) = made.await {
        db::projects::delete(&state.db, user.id, project.id).await?;
        return Err(e);
    }
    let steps = project.implementation_plan.0.len();
    state
        .journal
        .log(
            project.id,
            None,
            Level::Info,
            &format!("Project \"{name}\" created with {steps} planned step(s)"),
        )
        .await?;
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
        let name = check_name(name)?;
        if name != project.name {
            changed.push(format!("name → \"{name}\""));
            project.name = name;
        }
    }
    if let Some(d) = req.description {
        check_text("description", &d)?;
        if d != project.description {
            changed.push("description".to_owned());
            project.description = d;
        }
    }
    if let Some(a) = req.architecture {
        check_text("architecture", &a)?;
        if a != project.architecture {
            changed.push("architecture".to_owned());
            project.architecture = a;
        }
    }
    let mut plan_changed = false;
    if let Some(plan) = req.implementation_plan {
        check_plan(&plan)?;
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
        .map_err(name_conflict)?;
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
    stop_before_delete(&state, &project).await?;
    db::projects::delete(&state.db, user.id, id).await?;
    remove_workspace(&state, user.id, &project.workspace_path).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a project's workspace inside its owner's directory only: a link planted on
/// the way (even the workspace itself) never leads the removal into anyone else's files.
pub(super) async fn remove_workspace(
    state: &AppState,
    user_id: i64,
    workspace_path: &str,
) -> ApiResult<()> {
    let owner = db::users::get(&state.db, user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    MemberDir::of(&state.layout, &owner.username)?
        .remove_tree(std::path::Path::new(workspace_path))?;
    Ok(())
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
