//! A project's remote, seen from its controller: after each step or at completion (as
//! the project says) the branch is pushed with the owner's stored token, and at completion
//! a GitHub remote gets a pull request with the plan as its description. A push or pull
//! request that fails is logged in plain words and never fails the project.

use super::run::{Halt, Run};
use crate::db::project_remotes::{ProjectRemote, PushMode};
use crate::db::projects::{Project, StepStatus};
use crate::db::{self, logs::Level};
use crate::git::Repo;
use crate::git::github::{self, PullRequest};
use crate::git::remote::RemoteUrl;

impl Run {
    /// After step `n`'s commit: pushes when the project pushes after each step.
    pub(super) async fn push_after_step(&self, n: usize) -> Result<(), Halt> {
        let Some((remote, url)) = self.remote().await? else {
            return Ok(());
        };
        if remote.push == PushMode::EachStep {
            let project = self.project().await?;
            self.push(&project, &url, &format!("after step {n}"))
                .await?;
        }
        Ok(())
    }

    /// At completion: pushes (whichever push mode is on) and opens the pull request.
    pub(super) async fn finish_remote(&self) -> Result<(), Halt> {
        let Some((remote, url)) = self.remote().await? else {
            return Ok(());
        };
        if remote.push == PushMode::Off {
            return Ok(());
        }
        let project = self.project().await?;
        // The last step's push already sent this commit: nothing new to push.
        let head = self.repo().head().await.ok();
        let pushed = head.is_some() && head == remote.pushed_sha;
        if !pushed && !self.push(&project, &url, "at completion").await? {
            return Ok(());
        }
        if !remote.pull_request {
            return Ok(());
        }
        let github = &self.deps.config.file;
        if !github.github_hosts.iter().any(|h| *h == url.host_port()) {
            return Ok(());
        }
        if let Some(pr) = &remote.pull_request_url {
            self.log(
                Level::Info,
                &format!("The pull request is already open: {pr}"),
            )
            .await;
            return Ok(());
        }
        let (Some(base), Some((owner, repo))) = (remote.base_branch.as_deref(), url.owner_repo())
        else {
            let why = if remote.base_branch.is_none() {
                "the remote had no branch to merge into when it was cloned"
            } else {
                "its address does not name an owner and a repository"
            };
            self.log(Level::Error, &format!("No pull request was opened: {why}"))
                .await;
            return Ok(());
        };
        let Some(token) = self.token().await? else {
            self.log(
                Level::Error,
                "No pull request was opened: there is no git token in Settings",
            )
            .await;
            return Ok(());
        };
        let head = Repo::branch(&project.slug);
        let body = description(&project);
        let pr = PullRequest {
            owner: &owner,
            repo: &repo,
            head: &head,
            base,
            title: &project.name,
            body: &body,
        };
        // Boxed: the controller's future is deep already, this one holds an HTTP client.
        let opened = Box::pin(github::open_pull_request(
            &github.github_api_base,
            &token,
            &pr,
        ));
        // A stop never waits on a slow server.
        let opened = self
            .cancel
            .run_until_cancelled(opened)
            .await
            .ok_or(Halt::Cancelled)?;
        match opened {
            Ok(link) => {
                db::project_remotes::set_pull_request(&self.deps.db, self.project_id, &link)
                    .await?;
                self.log(Level::Action, &format!("Opened a pull request: {link}"))
                    .await;
            }
            Err(e) => {
                self.log(Level::Error, &format!("No pull request was opened: {e}"))
                    .await;
            }
        }
        Ok(())
    }

    async fn remote(&self) -> Result<Option<(ProjectRemote, RemoteUrl)>, Halt> {
        let Some(remote) = db::project_remotes::get(&self.deps.db, self.project_id).await? else {
            return Ok(None);
        };
        // Checked when stored; a row that no longer passes is not used.
        match RemoteUrl::parse(&remote.url) {
            Ok(url) => Ok(Some((remote, url))),
            Err(_) => Ok(None),
        }
    }

    async fn token(&self) -> Result<Option<String>, Halt> {
        Ok(db::git_credentials::token(&self.deps.db, &self.deps.master, self.user_id).await?)
    }

    /// Pushes the branch; false (and a line in the log) when it could not.
    async fn push(&self, project: &Project, url: &RemoteUrl, when: &str) -> Result<bool, Halt> {
        let token = self.token().await?;
        let branch = Repo::branch(&project.slug);
        let repo = self.repo();
        // Boxed: the controller's future is deep already (a debug build's stack is small).
        let pushed = Box::pin(repo.push_to(url, token.as_deref(), &branch));
        // A stop never waits on a slow server (the push's own timeout is minutes long).
        let pushed = self
            .cancel
            .run_until_cancelled(pushed)
            .await
            .ok_or(Halt::Cancelled)?;
        match pushed {
            Ok(sha) => {
                db::project_remotes::set_pushed(&self.deps.db, self.project_id, &sha).await?;
                let short: String = sha.chars().take(7).collect();
                self.log(
                    Level::Action,
                    &format!("Pushed {branch} ({short}) to {} {when}", url.as_str()),
                )
                .await;
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(project = self.project_id, "git push: {e}");
                self.log(
                    Level::Error,
                    &format!("Could not push {branch} to {} {when}: {e}", url.as_str()),
                )
                .await;
                Ok(false)
            }
        }
    }
}

/// The pull request's description: the project's goal and its plan with each step's state.
fn description(project: &Project) -> String {
    let mut text = String::new();
    if !project.description.trim().is_empty() {
        text.push_str(project.description.trim());
        text.push_str("\n\n");
    }
    text.push_str("## Plan\n\n");
    for (i, step) in project.implementation_plan.0.iter().enumerate() {
        let mark = if step.status == StepStatus::Done {
            "x"
        } else {
            " "
        };
        text.push_str(&format!("- [{mark}] {}. {}\n", i + 1, step.title));
        for line in step.details.lines().filter(|l| !l.trim().is_empty()) {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text.push_str("\nOpened by AutoCode: each step is one commit on this branch.\n");
    text
}
