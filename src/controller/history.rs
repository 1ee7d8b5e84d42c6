//! The controller's side of a project's git history: before a step is sent, what is left
//! uncommitted becomes "Work before step N"; when a step is done, its changes become the
//! step's commit, recorded on the step. Git runs in the owner's sandbox ([`crate::git`]).
//! A git failure is logged and never stops the project: the code is what matters, the
//! history is a view of it.

use super::run::{Halt, Run};
use crate::db::{self, logs::Level};
use crate::git::{CO_AUTHOR, GITIGNORE, Repo};
use crate::workspace::MemberDir;

impl Run {
    pub(super) fn repo(&self) -> Repo {
        Repo::new(self.sandbox(), &self.workspace)
    }

    /// Makes sure the workspace is a repository (projects made before histories existed
    /// get one on their next start) and commits what is left before step `index` starts.
    pub(super) async fn commit_before_step(&self, index: usize) -> Result<(), Halt> {
        let project = self.project().await?;
        let repo = self.repo();
        let gitignore = self.workspace.join(".gitignore");
        if !repo.is_repository()
            && std::fs::symlink_metadata(&gitignore).is_err()
            && let Err(e) = MemberDir::at(&self.user_dir)
                .and_then(|m| m.write_atomic(&gitignore, GITIGNORE.as_bytes(), 0o644))
        {
            tracing::warn!(project = self.project_id, "writing .gitignore: {e}");
        }
        let message = format!(
            "Work before step {}\n\nChanges found in the workspace before the step started.",
            index + 1
        );
        let result = async {
            repo.ensure(&project.slug).await?;
            repo.commit_all(&message, false).await
        }
        .await;
        match result {
            Ok(Some(_)) => {
                self.log(
                    Level::Action,
                    &format!("Committed the work found before step {}", index + 1),
                )
                .await
            }
            Ok(None) => {}
            Err(e) => self.git_failed(&e).await,
        }
        Ok(())
    }

    /// Commits step `index`'s changes (even none: every done step has its commit) and
    /// records the commit on the step.
    pub(super) async fn commit_step(&self, index: usize, summary: &str) -> Result<(), Halt> {
        let project = self.project().await?;
        let title = project
            .implementation_plan
            .0
            .get(index)
            .map(|s| s.title.clone())
            .unwrap_or_default();
        let n = index + 1;
        let message = format!("Step {n}: {title}\n\n{summary}\n\n{CO_AUTHOR}\n");
        let repo = self.repo();
        let result = async {
            repo.ensure(&project.slug).await?;
            repo.commit_all(&message, true).await
        }
        .await;
        match result {
            Ok(Some(sha)) => {
                let step = i64::try_from(n).unwrap_or(i64::MAX);
                db::step_commits::insert(
                    &self.deps.db,
                    self.project_id,
                    step,
                    &sha,
                    &title,
                    summary,
                )
                .await?;
                let short: String = sha.chars().take(7).collect();
                self.log(Level::Action, &format!("Committed step {n} as {short}"))
                    .await;
                self.push_after_step(n).await?;
            }
            Ok(None) => {}
            Err(e) => self.git_failed(&e).await,
        }
        Ok(())
    }

    /// Makes the commit a done step still owes (see `Run::step_commit`); everything that
    /// may keep the next step waiting calls it first, so the commit is never late nor takes
    /// in a person's typing at the terminal.
    pub(super) async fn flush_step_commit(&mut self) -> Result<(), Halt> {
        let owed = self.step_commit.take();
        self.commit_owed(owed).await
    }

    /// Commits `owed`, a done step and its summary, if there is one.
    pub(super) async fn commit_owed(&self, owed: Option<(usize, String)>) -> Result<(), Halt> {
        match owed {
            Some((index, summary)) => self.commit_step(index, &summary).await,
            None => Ok(()),
        }
    }

    async fn git_failed(&self, e: &crate::git::GitError) {
        tracing::warn!(project = self.project_id, "git: {e}");
        self.log(
            Level::Error,
            &format!("Could not record the step in the project's history: {e}"),
        )
        .await;
    }
}
