//! A new project: its name made into a slug unique among the member's projects, its
//! workspace from the template inside the member's own directory, its first commit, and
//! the first line of its log. A workspace that cannot be made takes the row back with it.

use super::fields::{check_name, check_plan, check_text, name_taken};
use super::remote;
use super::{Lifecycle, LifecycleError, Result};
use crate::db::project_remotes::PushMode;
use crate::db::{self, logs::Level, projects::Project, projects::Step};
use crate::names;
use crate::workspace::{MemberDir, ProjectVars, create_project_workspace};

/// What a member asks for.
pub struct NewProject<'a> {
    pub agent_id: i64,
    pub name: &'a str,
    pub description: &'a str,
    pub architecture: &'a str,
    pub plan: &'a [Step],
    /// Clone this repository instead of starting empty, and what to send back to it.
    pub repo_url: Option<&'a str>,
    pub push: Option<PushMode>,
    pub pull_request: Option<bool>,
}

impl Lifecycle {
    /// Creates a project under one of the member's agents.
    pub async fn create(&self, user_id: i64, new: &NewProject<'_>) -> Result<Project> {
        let deps = self.deps();
        let agent = db::agents::get(&deps.db, user_id, new.agent_id)
            .await?
            .ok_or(LifecycleError::NotFound)?;
        let name = check_name(new.name)?;
        check_text("description", new.description)?;
        check_text("architecture", new.architecture)?;
        check_plan(new.plan)?;
        let remote = remote::check(new.repo_url, new.push, new.pull_request)?;
        let owner = db::users::get(&deps.db, user_id)
            .await?
            .ok_or(LifecycleError::NotFound)?;
        let taken = db::projects::slugs_of_user(&deps.db, user_id).await?;
        let slug = names::unique_slug(&names::slugify(&name), |s| taken.iter().any(|t| t == s));
        let dir = deps
            .layout
            .project_dir(&owner.username, &agent.workspace_base, &slug)?;
        // Checked before the row exists: a link planted on the way refuses the create.
        let member = MemberDir::of(&deps.layout, &owner.username)?;
        member.check(&dir)?;
        if remote.is_some() {
            remote::check_folder(&dir)?;
        }
        let project = db::projects::insert(
            &deps.db,
            user_id,
            &db::projects::NewProject {
                agent_id: new.agent_id,
                name: &name,
                slug: &slug,
                description: new.description,
                architecture: new.architecture,
                plan: new.plan,
                workspace_path: &dir.to_string_lossy(),
            },
        )
        .await
        .map_err(name_taken)?;
        let vars = ProjectVars {
            name: &name,
            slug: &slug,
            description: new.description,
            architecture: new.architecture,
            cloned: remote.is_some(),
        };
        // The repository runs git in the owner's sandbox: clone and first commit alike.
        let repo = crate::git::Repo::new(
            self.member_sandbox(&deps.layout.user_dir(&owner.username)?),
            &dir,
        );
        let made = async {
            if let Some(choice) = &remote {
                self.clone_project(&repo, &member, &project, choice).await?;
            }
            create_project_workspace(&member, &dir, &vars)?;
            Ok::<_, LifecycleError>(())
        };
        if let Err(e) = made.await {
            // A clone's folder was empty before (see `remote::check_folder`): what is in it
            // now is the clone's, and goes with the row.
            if remote.is_some() {
                member.remove_tree(&dir)?;
            }
            db::projects::delete(&deps.db, user_id, project.id).await?;
            return Err(e);
        }
        // The history starts with the project; were git unavailable, the controller tries
        // again before the first step.
        let started = async {
            repo.ensure(&slug).await?;
            repo.commit_all(
                "Project created\n\nThe files AutoCode starts every project with.",
                false,
            )
            .await
        };
        if let Err(e) = started.await {
            tracing::warn!(project = project.id, "git init: {e}");
        }
        let steps = project.implementation_plan.0.len();
        deps.journal
            .log(
                project.id,
                None,
                Level::Info,
                &format!("Project \"{name}\" created with {steps} planned step(s)"),
            )
            .await?;
        Ok(project)
    }

    /// Removes a project's workspace inside its owner's directory only: a link planted on
    /// the way (even the workspace itself) never leads the removal into anyone else's files.
    pub async fn remove_workspace(&self, user_id: i64, workspace_path: &str) -> Result<()> {
        let deps = self.deps();
        let owner = db::users::get(&deps.db, user_id)
            .await?
            .ok_or(LifecycleError::NotFound)?;
        MemberDir::of(&deps.layout, &owner.username)?
            .remove_tree(std::path::Path::new(workspace_path))?;
        Ok(())
    }
}
