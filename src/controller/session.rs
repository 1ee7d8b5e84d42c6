//! One coding-CLI session of a project: launching (or re-adopting) it in tmux, and the
//! watcher that turns its live screen into a debounced state stream. The controller only
//! talks to the CLI through this type.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod pane_watch;
mod submit;

pub use submit::Typed;

use crate::hooks::Posted;
use crate::profile::{MenuAction, Profile, Resume, SessionContext};
use crate::screen::{Classification, ScreenRules, State};
use crate::tmux::{Key, Monitor, PaneId, SessionName, SessionSpec, TmuxError};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Tmux(#[from] TmuxError),
    #[error("CLI profile: {0}")]
    Profile(String),
    #[error("sandbox: {0}")]
    Sandbox(String),
    #[error("the session has no pane")]
    NoPane,
    #[error("the CLI is not ready for input (state {0})")]
    NotReady(State),
}

/// The latest debounced view of the CLI.
#[derive(Debug, Clone)]
pub struct Observed {
    pub classification: Classification,
    /// When the reported state began.
    pub since: Instant,
    /// When the screen last showed progress: a change other than the spinner and its
    /// timer, which animate even when nothing happens (for stall detection).
    pub last_output: Instant,
    /// Bumped on every reported change, so waiters can tell changes apart.
    pub seq: u64,
}

impl Observed {
    pub fn state(&self) -> State {
        self.classification.state
    }
}

/// Everything needed to start the CLI for a project.
pub struct LaunchPlan {
    pub name: SessionName,
    pub profile: Arc<Profile>,
    pub ctx: SessionContext,
    pub resume: Resume,
    /// Overrides the profile's program.
    pub command: Option<String>,
    pub extra_args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The member's sandbox the CLI runs in.
    pub sandbox: crate::sandbox::Sandbox,
    /// The daemon-private directory the launch spec (with the secrets) is written to.
    pub run_dir: PathBuf,
    pub width: u16,
    pub height: u16,
}

pub struct CliSession {
    pub name: SessionName,
    pub pane: PaneId,
    pub pid: Option<u32>,
    monitor: Monitor,
    profile: Arc<Profile>,
    rules: Arc<ScreenRules>,
    state: watch::Receiver<Observed>,
    /// Tells the watcher the CLI said its turn ended (see [`CliSession::turn_ended`]).
    turn_ended: Arc<tokio::sync::Notify>,
    cancel: CancellationToken,
}

impl Drop for CliSession {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl CliSession {
    /// Starts the CLI in a new tmux session (killing a stale one of the same name). The
    /// caller has pre-seeded the CLI's configuration.
    pub async fn launch(
        monitor: &Monitor,
        plan: LaunchPlan,
        parent: &CancellationToken,
    ) -> Result<Self, SessionError> {
        let tmux = monitor.tmux();
        if tmux.has_session(&plan.name).await? {
            tmux.kill_session(&plan.name).await?;
        }
        let spec = plan
            .profile
            .launch(&plan.ctx, &plan.resume)
            .map_err(|e| SessionError::Profile(e.to_string()))?;
        let program = plan.command.clone().unwrap_or(spec.program);
        let mut args = spec.args;
        args.extend(plan.extra_args.iter().cloned());
        let env = spec.env.into_iter().chain(plan.env).collect();
        let run = plan
            .sandbox
            .spec(&program, &args, &spec.cwd, env)
            .map_err(|e| SessionError::Sandbox(e.to_string()))?;
        // The pane runs the launcher with the spec's path only: the environment (keys, the
        // hook secret) never appears on a command line or in tmux's environment.
        let file = run
            .write_private(&plan.run_dir)
            .map_err(|e| SessionError::Sandbox(format!("writing the launch spec: {e}")))?;
        let command = vec![
            plan.sandbox.autocode_bin().to_string_lossy().into_owned(),
            "sandbox-exec".to_owned(),
            file.to_string_lossy().into_owned(),
        ];
        let mut session = SessionSpec::new(plan.name.clone(), spec.cwd, command);
        session.width = plan.width;
        session.height = plan.height;
        if let Err(e) = tmux.create_session(&session).await {
            // Not started, so never read: the secrets must not stay on disk.
            if let Err(rm) = std::fs::remove_file(&file) {
                tracing::warn!("removing an unused launch spec: {rm}");
            }
            return Err(e.into());
        }
        Self::adopt(
            monitor,
            &plan.name,
            plan.profile,
            plan.ctx.cli_version.as_deref(),
            parent,
        )
        .await
    }

    /// Watches an existing session (after a daemon restart, or right after launch).
    pub async fn adopt(
        monitor: &Monitor,
        name: &SessionName,
        profile: Arc<Profile>,
        cli_version: Option<&str>,
        parent: &CancellationToken,
    ) -> Result<Self, SessionError> {
        let panes = monitor.adopt(name).await?;
        let pane = *panes.first().ok_or(SessionError::NoPane)?;
        let info = monitor.tmux().pane_info(pane).await?;
        let rules = Arc::new(
            profile
                .screen_rules(cli_version)
                .map_err(|e| SessionError::Profile(e.to_string()))?,
        );
        let cancel = parent.child_token();
        let now = Instant::now();
        let (tx, rx) = watch::channel(Observed {
            classification: Classification::new(State::Starting),
            since: now,
            last_output: now,
            seq: 0,
        });
        let turn_ended = Arc::new(tokio::sync::Notify::new());
        tokio::spawn(pane_watch::watch_pane(
            pane_watch::Watch {
                monitor: monitor.clone(),
                pane,
                rules: rules.clone(),
                tx,
                turn_ended: turn_ended.clone(),
            },
            info.dead,
            cancel.clone(),
        ));
        Ok(Self {
            name: name.clone(),
            pane,
            pid: info.pid,
            monitor: monitor.clone(),
            profile,
            rules,
            state: rx,
            turn_ended,
            cancel,
        })
    }

    /// The CLI said its turn ended (its Stop hook): the idle screen is reported without
    /// the settle time that guards against the pauses between a turn's steps.
    pub fn turn_ended(&self) {
        self.turn_ended.notify_one();
    }

    pub fn observed(&self) -> Observed {
        self.state.borrow().clone()
    }

    /// A receiver of state changes (for `select!`).
    pub fn changes(&self) -> watch::Receiver<Observed> {
        self.state.clone()
    }

    pub fn screen_text(&self) -> String {
        self.monitor.screens().text(self.pane).unwrap_or_default()
    }

    /// Whether the input box holds text on the screen as it is now (the reported state
    /// may be a frame behind).
    pub fn box_has_text(&self) -> bool {
        crate::screen::classify(&self.screen_text(), None, &self.rules).state
            == State::IdleWithInput
    }

    /// Whether the screen shows output for the last submitted message (see
    /// [`crate::screen::turn_has_output`]).
    pub fn turn_has_output(&self) -> bool {
        crate::screen::turn_has_output(&self.screen_text(), &self.rules)
    }

    /// Waits until `accept` holds for the observed state, or the timeout passes.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        accept: impl Fn(&Observed) -> bool,
    ) -> Option<Observed> {
        let mut rx = self.state.clone();
        let deadline = Instant::now() + timeout;
        loop {
            {
                let seen = rx.borrow_and_update();
                if accept(&seen) {
                    return Some(seen.clone());
                }
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return None,
            }
        }
    }

    pub async fn press(&self, key: Key) -> Result<(), SessionError> {
        self.monitor.tmux().send_key(self.pane, key).await?;
        Ok(())
    }

    /// Chooses a numbered menu option by typing its digit. A digit typed while the menu
    /// is still being drawn is ignored by the CLI, so the menu must have been on screen for
    /// a moment first, and the answer is checked: if the same menu is still there, the
    /// digit is typed again (at most twice more); once the menu is gone it never is.
    pub async fn choose(&self, option: u32) -> Result<(), SessionError> {
        let digit = u8::try_from(option)
            .ok()
            .filter(|d| *d <= 9)
            .ok_or(SessionError::NotReady(State::Question))?;
        let menu = |o: &Observed| matches!(o.state(), State::Permission | State::Question);
        let settle = self.observed().since + MENU_SETTLE;
        tokio::time::sleep_until(settle).await;
        for _ in 0..3 {
            self.press(Key::Digit(digit)).await?;
            if self
                .wait_for(Duration::from_millis(1500), |o| !menu(o))
                .await
                .is_some()
            {
                return Ok(());
            }
            tracing::warn!(pane = %self.pane, option, "menu answer not taken; typing it again");
        }
        Ok(())
    }

    /// The option number the profile picks for `action` among the menu on screen.
    pub fn option_for(&self, action: MenuAction) -> Option<u32> {
        self.profile
            .choose(action, &self.observed().classification.options)
    }

    /// Takes `action` on the dialog on screen the way the profile says: a digit where the
    /// options are numbered, cursor moves and Enter where they are not (2.1.330's start-up
    /// dialogs ignore digits). `false` when the dialog offers no such choice.
    pub async fn answer(&self, action: MenuAction) -> Result<bool, SessionError> {
        let Some(steps) = self
            .profile
            .answer_keys(action, &self.observed().classification)
        else {
            return Ok(false);
        };
        for step in &steps {
            self.press_step(step).await?;
        }
        Ok(true)
    }

    pub async fn interrupt(&self) -> Result<(), SessionError> {
        for step in &self.profile.keys.interrupt {
            self.press_step(step).await?;
        }
        Ok(())
    }

    /// Asks the CLI to quit (its quit keys), then kills the tmux session.
    pub async fn shut_down(self) -> Result<(), SessionError> {
        for step in &self.profile.keys.quit {
            if self.press_step(step).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        self.wait_for(Duration::from_secs(3), |o| o.state() == State::Exited)
            .await;
        let tmux = self.monitor.tmux();
        if tmux.has_session(&self.name).await? {
            tmux.kill_session(&self.name).await?;
        }
        Ok(())
    }

    async fn press_step(&self, step: &crate::profile::KeyStep) -> Result<(), SessionError> {
        match step {
            crate::profile::KeyStep::Key(name) => {
                let key = Key::from_name(name)
                    .ok_or_else(|| SessionError::Profile(format!("unknown key {name}")))?;
                self.press(key).await
            }
            crate::profile::KeyStep::Text(text) => {
                self.monitor.tmux().send_literal(self.pane, text).await?;
                Ok(())
            }
        }
    }
}

/// How long a menu must have been on screen before a digit answers it.
const MENU_SETTLE: Duration = Duration::from_millis(400);

/// Where a user's CLI configuration and per-session settings live.
pub fn user_cli_paths(user_dir: &std::path::Path, slug: &str) -> (PathBuf, PathBuf) {
    (
        user_dir.join("config").join("claude"),
        user_dir
            .join("config")
            .join("sessions")
            .join(format!("{slug}.settings.json")),
    )
}

/// Hook events the controller reacts to, beside the screen.
pub type HookStream = mpsc::Receiver<Posted>;
