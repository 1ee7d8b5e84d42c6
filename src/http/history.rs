//! A project's history: the commits of its branch (which step each belongs to), one
//! commit's diff, and undoing a step. Git runs in the owner's sandbox ([`crate::git`]).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde::Serialize;

use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, AuthUser};
use super::projects::load;
use super::{Access, Route};
use crate::db::logs::Level;
use crate::db::projects::{Project, ProjectStatus, StepStatus};
use crate::db::{self, step_commits::StepCommit};
use crate::git::{self, FileStat, GitError, Repo, Revert};
use crate::journal::ProjectEvent;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/api/projects/{id}/commits",
            Access::User,
            list_commits,
        ),
        Route::new(
            Method::GET,
            "/api/projects/{id}/commits/{sha}/diff",
            Access::User,
            commit_diff,
        ),
        Route::new(
            Method::POST,
            "/api/projects/{id}/steps/{n}/revert",
            Access::User,
            revert_step,
        ),
    ]
}

/// How many commits the list shows (the newest).
const MAX_COMMITS: usize = 200;
/// The most of one file's patch a diff shows; the rest is marked as cut.
const MAX_FILE_PATCH: usize = 200_000;

#[derive(Serialize)]
pub struct CommitView {
    sha: String,
    /// The step whose commit this is (1-based); none for other commits.
    step: Option<i64>,
    title: String,
    summary: String,
    author: String,
    time: String,
    files: Vec<FileStat>,
    insertions: u64,
    deletions: u64,
    /// The commit that undid this step, if it was undone.
    reverted_by: Option<String>,
}

#[derive(Serialize)]
pub struct DiffView {
    sha: String,
    files: Vec<FileView>,
    /// The whole diff was longer than the daemon shows; files after the cut are missing.
    truncated: bool,
}

#[derive(Serialize)]
pub struct FileView {
    #[serde(flatten)]
    file: git::FileDiff,
    /// This file's patch was cut.
    truncated: bool,
}

#[derive(Serialize)]
pub struct RevertView {
    step: i64,
    reverted: String,
    /// The commit that undid it; none when the step had changed no file.
    commit: Option<String>,
}

/// The owner's repository, reached through their sandbox (like their CLI).
pub fn repo_of(state: &AppState, username: &str, project: &Project) -> ApiResult<Repo> {
    let user_dir = state.layout.user_dir(username)?;
    let sandbox = state.lifecycle.member_sandbox(&user_dir);
    Ok(Repo::new(
        sandbox,
        std::path::Path::new(&project.workspace_path),
    ))
}

async fn owner_repo(state: &AppState, user: &AuthUser, project: &Project) -> ApiResult<Repo> {
    let owner = db::users::get(&state.db, user.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    repo_of(state, &owner.username, project)
}

impl From<GitError> for ApiError {
    fn from(e: GitError) -> Self {
        match e {
            GitError::Sandbox(_) => {
                ApiError::Unavailable("the project's sandbox cannot run git".into())
            }
            other => ApiError::internal(other),
        }
    }
}

async fn list_commits(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<CommitView>>> {
    let project = load(&state, user.id, id).await?;
    let repo = owner_repo(&state, &user, &project).await?;
    let steps = db::step_commits::list(&state.db, project.id).await?;
    let log = repo.log(MAX_COMMITS).await?;
    let views = log
        .into_iter()
        .map(|c| {
            let step: Option<&StepCommit> = steps.iter().find(|s| s.sha == c.sha);
            CommitView {
                step: step.map(|s| s.step),
                title: step.map_or(c.subject, |s| s.title.clone()),
                summary: step.map_or_else(|| strip_trailer(&c.body), |s| s.summary.clone()),
                reverted_by: step.and_then(|s| s.reverted_by.clone()),
                sha: c.sha,
                author: c.author,
                time: c.time,
                files: c.files,
                insertions: c.insertions,
                deletions: c.deletions,
            }
        })
        .collect();
    Ok(Json(views))
}

/// A commit message's body without the co-author line AutoCode adds.
fn strip_trailer(body: &str) -> String {
    body.trim_end()
        .strip_suffix(git::CO_AUTHOR)
        .unwrap_or(body)
        .trim()
        .to_owned()
}

async fn commit_diff(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, sha)): ApiPath<(i64, String)>,
) -> ApiResult<Json<DiffView>> {
    let project = load(&state, user.id, id).await?;
    if !git::is_sha(&sha) {
        return Err(ApiError::invalid(
            "sha",
            "a commit id is 4 to 64 hexadecimal characters",
        ));
    }
    let repo = owner_repo(&state, &user, &project).await?;
    if !repo.is_repository() {
        return Err(ApiError::NotFound);
    }
    let (files, truncated) = repo.diff(&sha).await?.ok_or(ApiError::NotFound)?;
    let files = files
        .into_iter()
        .map(|mut file| {
            let cut = file.patch.len() > MAX_FILE_PATCH;
            if cut {
                let end = file.patch[..MAX_FILE_PATCH]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                file.patch.truncate(end);
            }
            FileView {
                file,
                truncated: cut,
            }
        })
        .collect();
    Ok(Json(DiffView {
        sha,
        files,
        truncated,
    }))
}

async fn revert_step(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, n)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<RevertView>> {
    let project = load(&state, user.id, id).await?;
    // Held until the undo is recorded: a start meanwhile would work on a moving workspace.
    let _held = state
        .lifecycle
        .hold_stopped(&project)
        .map_err(|_| ApiError::Conflict("stop the project before undoing a step".into()))?;
    let index = usize::try_from(n - 1).map_err(|_| ApiError::NotFound)?;
    let title = project
        .implementation_plan
        .0
        .get(index)
        .map(|s| s.title.clone())
        .ok_or(ApiError::NotFound)?;
    let commit = db::step_commits::current(&state.db, project.id, n)
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("step {n} has no commit to undo")))?;
    let repo = owner_repo(&state, &user, &project).await?;
    // Leftovers are kept in a commit of their own, so the undo never discards them.
    repo.commit_all(
        &format!("Work before undoing step {n}\n\nChanges found in the workspace."),
        false,
    )
    .await?;
    let message = format!(
        "Undo step {n}: {title}\n\nReverts {}, at the owner's request.\n",
        commit.sha
    );
    let new = match repo.revert(&commit.sha, &message).await? {
        Revert::Done(sha) => Some(sha),
        Revert::NothingToUndo => None,
        Revert::Conflict(why) => {
            return Err(ApiError::Conflict(format!(
                "later changes touch the same lines, so step {n} cannot be undone on its own: {why}"
            )));
        }
    };
    let by = new.clone().unwrap_or_else(|| commit.sha.clone());
    db::step_commits::set_reverted(&state.db, project.id, &commit.sha, &by).await?;
    let mut plan = project.implementation_plan.0.clone();
    plan[index].status = StepStatus::Pending;
    db::projects::set_plan(&state.db, project.id, &plan).await?;
    state.journal.publish(ProjectEvent::Plan {
        project_id: project.id,
        implementation_plan: plan.clone(),
    });
    // A completed project has a step to do again: it can be started once more.
    if project.status == ProjectStatus::Completed {
        db::projects::set_status(&state.db, project.id, ProjectStatus::Created, None, None).await?;
    }
    let short = |s: &str| s.chars().take(7).collect::<String>();
    let line = match &new {
        Some(sha) => format!(
            "Undid step {n} ({title}): its commit {} is reverted by {}; the step is to do again",
            short(&commit.sha),
            short(sha)
        ),
        None => {
            format!("Undid step {n} ({title}): it had changed no file; the step is to do again")
        }
    };
    state
        .journal
        .log(project.id, None, Level::Action, &line)
        .await?;
    Ok(Json(RevertView {
        step: n,
        reverted: commit.sha,
        commit: new,
    }))
}
