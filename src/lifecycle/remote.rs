//! A project made from a remote repository: the `repo_url`, `push` and `pull_request`
//! fields of a project's creation, and the clone (in the owner's sandbox, with their
//! stored git token). A clone that fails leaves nothing behind: no row, no folder.

use std::path::Path;

use super::fields::invalid;
use super::{Lifecycle, LifecycleError, Result};
use crate::db::project_remotes::{NewRemote, PushMode};
use crate::db::{self, projects::Project};
use crate::git::remote::RemoteUrl;
use crate::git::{GITIGNORE, GitError, Repo};
use crate::workspace::MemberDir;

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
) -> Result<Option<RemoteChoice>> {
    let Some(text) = repo_url.map(str::trim).filter(|s| !s.is_empty()) else {
        if push.is_some_and(|p| p != PushMode::Off) {
            return Err(invalid("push", "needs a repo_url to push to"));
        }
        return Ok(None);
    };
    let url = RemoteUrl::parse(text).map_err(|reason| invalid("repo_url", reason))?;
    Ok(Some(RemoteChoice {
        url,
        push: push.unwrap_or_default(),
        pull_request: pull_request.unwrap_or(true),
    }))
}

/// A clone needs an empty folder, and a failed one removes the folder: refuse one that
/// already holds anything, so that nothing of the member's is ever removed.
pub fn check_folder(dir: &Path) -> Result<()> {
    let empty = std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none());
    if empty {
        Ok(())
    } else {
        Err(LifecycleError::Conflict(
            "the project's folder already exists and is not empty".into(),
        ))
    }
}

impl Lifecycle {
    /// Clones the remote into the project's empty workspace on `autocode/<slug>`, keeps
    /// AutoCode's own files out of its history and records the remote. A failed clone
    /// removes what it left (the folder was empty or absent, see [`check_folder`]).
    pub(super) async fn clone_project(
        &self,
        repo: &Repo,
        member: &MemberDir,
        project: &Project,
        choice: &RemoteChoice,
    ) -> Result<()> {
        let deps = self.deps();
        let dir = Path::new(&project.workspace_path);
        let cloned = async {
            member.create_dir_all(dir)?;
            let token = db::git_credentials::token(&deps.db, &deps.master, project.user_id).await?;
            let base = repo
                .clone_from(&choice.url, token.as_deref(), &project.slug)
                .await
                .map_err(|e| match e {
                    GitError::Failed { stderr, .. } => {
                        invalid("repo_url", format!("git could not clone it: {stderr}"))
                    }
                    GitError::Timeout(_) => {
                        invalid("repo_url", "cloning it took longer than 5 minutes")
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
                &deps.db,
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
        .await;
        if cloned.is_err() {
            member.remove_tree(dir)?;
        }
        cloned
    }
}
