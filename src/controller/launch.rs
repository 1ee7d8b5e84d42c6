//! Bringing a project's CLI up: taking over the one still running, or launching a new one
//! with its hooks, its version detected and its session id recorded.

use std::path::PathBuf;
use std::sync::Arc;

use super::StartMode;
use super::run::{Halt, Run};
use super::session::{CliSession, LaunchPlan, user_cli_paths};
use crate::agent_config::EnvValue;
use crate::db::{self, logs::Level, projects::Project};
use crate::hooks;
use crate::profile::{Profile, Resume, SessionContext};
use crate::sandbox::{self, Sandbox};
use crate::tmux::SessionName;

impl Run {
    /// Takes over the running CLI (Adopt) or launches a new one.
    pub(super) async fn bring_up_cli(
        &mut self,
        project: &Project,
        mode: StartMode,
    ) -> Result<(), Halt> {
        let name = SessionName::new(project.tmux_session.clone())
            .map_err(|e| Halt::Setup(e.to_string()))?;
        let profile = Arc::new(
            Profile::builtin(&self.agent().cli.0.profile)
                .map_err(|e| Halt::Setup(e.to_string()))?,
        );
        if mode == StartMode::Adopt {
            let tmux = self.deps.monitor.tmux();
            let alive = tmux.has_session(&name).await.unwrap_or(false)
                && tmux
                    .session_panes(&name)
                    .await
                    .map(|p| p.iter().any(|p| !p.dead))
                    .unwrap_or(false);
            if alive {
                // The CLI's environment still holds the secret it was launched with.
                // Never through a link: one planted here could name another project's secret.
                let kept = crate::workspace::read_without_links(&self.hook_secret_path());
                let (secret, rx) = match kept {
                    Ok(kept) if !kept.trim().is_empty() => self
                        .deps
                        .hooks
                        .register_secret(self.project_id, kept.trim().to_owned()),
                    _ => self.deps.hooks.register(self.project_id),
                };
                self.hook_events = Some(rx);
                self.write_hook_secret(&secret)?;
                let version = self.cli_version(&profile).await;
                let session = CliSession::adopt(
                    &self.deps.monitor,
                    &name,
                    profile,
                    version.as_deref(),
                    &self.cancel,
                )
                .await?;
                self.session = Some(session);
                self.log(Level::Info, "Took over the CLI still running in tmux")
                    .await;
                return Ok(());
            }
            self.log(
                Level::Info,
                "The CLI is gone; starting it again with --continue",
            )
            .await;
        }
        let resume = match mode {
            StartMode::Fresh => Resume::Fresh,
            _ => project
                .cli_session_id
                .clone()
                .map_or(Resume::Continue, Resume::Session),
        };
        self.launch(&name, profile, resume).await
    }

    /// Where the hook secret of the current session is kept, so a re-adopted CLI (whose
    /// environment cannot change) still posts with a secret the new daemon knows.
    /// Daemon-private (outside the member's tree, which their sandbox can write): a secret
    /// kept there could be read by another session of the member, or replaced.
    fn hook_secret_path(&self) -> PathBuf {
        self.run_dir()
            .join("hooks")
            .join(format!("{}.secret", self.project_id))
    }

    fn run_dir(&self) -> PathBuf {
        sandbox::run_dir(self.deps.layout.root())
    }

    fn write_hook_secret(&self, secret: &str) -> Result<(), Halt> {
        let path = self.hook_secret_path();
        path.parent()
            .map_or(Ok(()), sandbox::private_dir)
            .and_then(|()| crate::workspace::write_atomic(&path, secret.as_bytes()))
            .map_err(|e| Halt::Setup(format!("keeping the hook secret: {e}")))
    }

    /// The owner's sandbox, which everything run for this project goes through.
    pub(super) fn sandbox(&self) -> Sandbox {
        self.deps.member_sandbox(&self.user_dir)
    }

    /// Asks the CLI for its version, inside the member's sandbox: the program is the
    /// member's choice, so the daemon never runs it bare.
    async fn cli_version(&self, profile: &Profile) -> Option<String> {
        let spec = profile.version.as_ref()?;
        let program = crate::launch_rules::program(&self.deps.config.file, &self.agent().cli.0)
            .ok()?
            .unwrap_or_else(|| profile.launch.command.clone());
        let run = match self
            .sandbox()
            .spec(&program, &spec.args, &self.workspace, Vec::new())
        {
            Ok(run) => run,
            Err(e) => {
                tracing::warn!(project = self.project_id, "version probe: {e}");
                return None;
            }
        };
        let command = run.command()?;
        match spec
            .detect(command.into(), &program, std::time::Duration::from_secs(10))
            .await
        {
            Ok(version) => Some(version),
            Err(e) => {
                tracing::warn!(project = self.project_id, "version probe: {e}");
                None
            }
        }
    }

    pub(super) async fn launch(
        &mut self,
        name: &SessionName,
        profile: Arc<Profile>,
        resume: Resume,
    ) -> Result<(), Halt> {
        if let Some(old) = self.session.take() {
            drop(old);
        }
        let agent = self.agent().clone();
        let project = self.project().await?;
        let (config_dir, settings_file) = user_cli_paths(&self.user_dir, &project.slug);
        let mut env: Vec<(String, String)> = self
            .deps
            .config
            .file
            .cli_env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut api_key = None;
        for (k, v) in &agent.cli.0.env {
            let value = match v {
                EnvValue::Literal(s) => s.clone(),
                EnvValue::ApiKey { api_key_id } => {
                    let row = db::api_keys::get(&self.deps.db, self.user_id, *api_key_id).await?;
                    let key = row.and_then(|r| r.open(&self.deps.master)).ok_or_else(|| {
                        Halt::Setup(format!(
                            "API key {api_key_id} for {k} is missing or unreadable"
                        ))
                    })?;
                    if k.ends_with("API_KEY") {
                        api_key = Some(key.clone());
                    }
                    key
                }
            };
            env.push((k.clone(), value));
        }
        // The owner's own Claude Code account, unless the agent's `env` names one already.
        let own = crate::claude_account::launch_credential(
            &self.deps.db,
            &self.deps.master,
            self.user_id,
            &env,
        )
        .await
        .map_err(|e| Halt::Setup(e.to_string()))?;
        env.extend(own.env);
        api_key = api_key.or(own.api_key);
        // Each user's CLI gets a home of its own inside their directory, so nothing it
        // keeps in `~` is shared between family members or with the daemon.
        let sandbox = self.sandbox();
        crate::workspace::MemberDir::at(&self.user_dir)
            .and_then(|member| member.create_dir_all(&sandbox.home()))
            .map_err(|e| Halt::Setup(format!("creating the CLI home: {e}")))?;
        let (secret, rx) = self.deps.hooks.register(self.project_id);
        self.hook_events = Some(rx);
        self.write_hook_secret(&secret)?;
        env.push((hooks::ENV_URL.into(), self.deps.hook_url.clone()));
        env.push((hooks::ENV_SECRET.into(), secret));
        let cli_version = self.cli_version(&profile).await;
        let ctx = SessionContext {
            member_dir: self.user_dir.clone(),
            workspace: self.workspace.clone(),
            config_dir,
            settings_file: settings_file.clone(),
            api_key,
            cli_version: cli_version.clone(),
            auto_mode: agent.cli.0.auto_mode,
        };
        let plan = LaunchPlan {
            name: name.clone(),
            profile: profile.clone(),
            ctx,
            resume: resume.clone(),
            command: crate::launch_rules::program(&self.deps.config.file, &agent.cli.0)
                .map_err(|e| Halt::Setup(format!("{}: {}", e.field, e.reason)))?,
            extra_args: agent.cli.0.args.clone(),
            env,
            sandbox: sandbox.clone(),
            run_dir: self.run_dir().join("launch"),
            width: 200,
            height: 50,
        };
        // The profile's pre-seed writes the settings file; the hooks go into it after.
        profile
            .preseed(&plan.ctx)
            .map_err(|e| Halt::Setup(e.to_string()))?;
        merge_hooks(
            &settings_file,
            &hooks::settings_block(sandbox.autocode_bin()),
        )
        .map_err(|e| Halt::Setup(format!("writing CLI settings: {e}")))?;
        let session = CliSession::launch(&self.deps.monitor, plan, &self.cancel).await?;
        let pid = session.pid;
        self.session = Some(session);
        self.await_session_start().await?;
        db::instances::set_pid(&self.deps.db, self.instance_id, pid).await?;
        let how = match resume {
            Resume::Fresh => "a new conversation".to_owned(),
            Resume::Continue => "--continue".to_owned(),
            Resume::Session(id) => format!("--resume {id}"),
        };
        self.log(
            Level::Action,
            &format!(
                "Launched {} ({how}) in tmux session {}",
                profile.display_name,
                name.as_str()
            ),
        )
        .await;
        Ok(())
    }

    /// Waits (bounded) for the CLI's SessionStart hook: text typed while its start-up hooks
    /// run is kept but its Enter is lost, even when the prompt is already drawn.
    async fn await_session_start(&mut self) -> Result<(), Halt> {
        let Some(rx) = self.hook_events.as_mut() else {
            return Ok(());
        };
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        let started = loop {
            tokio::select! {
                () = self.cancel.cancelled() => return Err(Halt::Cancelled),
                () = tokio::time::sleep_until(deadline) => break None,
                ev = rx.recv() => match ev {
                    Some(p) if p.event.name == "SessionStart" => break p.event.session_id,
                    Some(_) => {}
                    None => break None,
                },
            }
        };
        match started {
            Some(id) => self.record_cli_session(&id).await?,
            None => tracing::warn!(
                project = self.project_id,
                "no SessionStart hook from the CLI; going on"
            ),
        }
        Ok(())
    }

    /// Keeps the CLI's session id (for `--resume`) when its SessionStart hook names a new one.
    pub(super) async fn record_cli_session(&self, id: &str) -> Result<(), Halt> {
        let project = self.project().await?;
        if project.cli_session_id.as_deref() != Some(id) {
            db::projects::set_cli_session_id(&self.deps.db, self.project_id, id).await?;
            self.log(Level::Info, &format!("Claude Code session {id} started"))
                .await;
        }
        Ok(())
    }
}

/// Adds the hooks block to the settings file the profile pre-seeded.
fn merge_hooks(settings_file: &std::path::Path, hooks: &serde_json::Value) -> std::io::Result<()> {
    // Never through a link: a planted one would pour another member's settings into this one.
    let mut settings: serde_json::Value = crate::workspace::read_without_links(settings_file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    if !settings.is_object() {
        settings = serde_json::json!({});
    }
    settings["hooks"] = hooks.clone();
    let text = serde_json::to_vec_pretty(&settings).map_err(std::io::Error::other)?;
    crate::workspace::write_atomic(settings_file, &text)
}
