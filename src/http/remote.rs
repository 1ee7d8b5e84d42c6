//! A project made from a remote repository: the `repo_url`, `push` and `pull_request`
//! fields of a project's creation, and the clone (in the owner's sandbox, with their
//! stored git token). A clone that fails leaves nothing behind: no row, no folder.

use std::path::Path;

use super::error::{ApiError, ApiResult};
use crate::db::project_remotes::{NewRemote, PushMode};
use crate::db::{self, projects::Project};
use crate::git::remote::RemoteUrl;
use crate::git::{GITIGNORE, GitError};
use crate::state::AppState;
use crate::workspace::{MemberDir, ProjectVars, create_project_workspace};

/// What a member asked for at creation, checked.
pub struct RemoteChoice {
    url: RemoteUrl,
    push: PushMode,
    pull_request: bool,
}

/// Checks the creation's remote fields; none when no `repo_url` was given.
pub fn check(
    repo_url: Option<&str>,
    push: Option<PushMode>,
    pull_request: Option<bool>,
) -> ApiResult<Option<RemoteChoice>> {
    let Some(text) = repo_url.map(str::trim).filter(|s| !s.is_empty()) else {
        if push.is_some_and(|p| p != PushMode::Off) {
            return Err(ApiError::invalid("push", "needs a repo_url to push to"));
        }
        return Ok(None);
    };
    let url = RemoteUrl::parse(text).map_err(|reason| ApiError::invalid("repo_url", reason))?;
    Ok(Some(RemoteChoice {
        url,
        push: push.unwrap_or_default(),
        pull_request: pull_request.unwrap_or(true),
    }))
}

/// A clone needs an empty folder, and a failed one removes the folder: refuse one that
/// already holds anything, so that nothing of the member's is ever removed.
pub fn check_folder(dir: &Path) -> ApiResult<()> {
    let empty = std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none());
    if empty {
        Ok(())
    } else {
        Err(ApiError::Conflict(
            "the project's folder already exists and is not empty".into(),
        ))
    }
}

/// Fills a new project's workspace: cloned from `remote` if given (a failed clone removes
/// what it left; the folder was empty or absent, see [`check_folder`]), then AutoCode's
/// files, then the first commit.
pub async fn make_workspace(
    state: &AppState,
    (username, member): (&str, &MemberDir),
    project: &Project,
    vars: &ProjectVars<'_>,
    remote: Option<&RemoteChoice>,
) -> ApiResult<()> {
    let dir = Path::new(&project.workspace_path);
    if let Some(choice) = remote
        && let Err(e) = clone_project(state, username, member, project, choice).await
    {
        member.remove_tree(dir)?;
        return Err(e);
    }
    create_project_workspace(member, dir, vars)?;
    // The history starts with the project; were git unavailable, the controller tries
    // again before the first step.
    if state.controllers.is_some() {
        let repo = super::history::repo_of(state, username, project)?;
        let started = async {
            repo.ensure(&project.slug).await?;
            repo.commit_all(
                "Project created\n\nThe files AutoCode starts every project with.",
                false,
            )
            .await
        };
        if let Err(e) = started.await {
            tracing::warn!(project = project.id, "git init: {e}");
        }
    }
    Ok(())
}

/// Clones the remote into the project's empty workspace on `autocode/<slug>`, keeps
/// AutoCode's own files out of its history and records the remote.
async fn clone_project(
    state: &AppState,
    username: &str,
    member: &MemberDir,
    project: &Project,
    choice: &RemoteChoice,
) -> ApiResult<()> {
    let dir = Path::new(&project.workspace_path);
    member.create_dir_all(dir)?;
    let repo = super::history::repo_of(state, username, project)?;
    let token = db::git_credentials::token(&state.db, &state.master, project.user_id).await?;
    let base = repo
        .clone_from(&choice.url, token.as_deref(), &project.slug)
        .await
        .map_err(|e| match e {
            GitError::Failed { stderr, .. } => {
                ApiError::invalid("repo_url", format!("git could not clone it: {stderr}"))
            }
            GitError::Timeout(_) => {
                ApiError::invalid("repo_url", "cloning it took longer than 5 minutes")
            }
            other => other.into(),
        })?;
    // The repository's own .gitignore is the member's: AutoCode's go to info/exclude.
    member.write_atomic(
        &dir.join(".git").join("info").join("exclude"),
        GITIGNORE.as_bytes(),
        0o644,
    )?;
    db::project_remotes::insert(
        &state.db,
        project.id,
        &NewRemote {
            url: choice.url.as_str(),
            push: choice.push,
            pull_request: choice.pull_request,
            base_branch: base.as_deref(),
        },
    )
    .await?;
    Ok(())
}
