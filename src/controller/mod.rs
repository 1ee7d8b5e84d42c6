//! The controllers: one supervising loop per running project, and the registry that
//! starts, stops, pauses and messages them. A loop owns its project's CLI session; the
//! registry owns the loops (one per project, ever) and the cancellation tree.

mod claude_hooks;
mod consult;
pub mod decide;
mod deliver;
mod drive;
mod history;
mod launch;
mod machine;
mod planning;
pub mod policy;
pub mod prompt;
mod registry;
mod remote;
mod run;
pub mod session;
mod supervise;
pub mod wording;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;

pub use registry::{Command, ControlError, Controllers, Held, StartMode};

use crate::config::Config;
use crate::hooks::Hooks;
use crate::journal::Journal;
use crate::secrets::MasterKey;
use crate::tmux::Monitor;
use crate::workspace::Layout;

/// Timings the loop uses; tests shorten them.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How long a freshly started CLI may take to show its idle prompt.
    pub startup_timeout: Duration,
    /// Restarts allowed inside `restart_window` before the project asks for help.
    pub max_restarts: usize,
    pub restart_window: Duration,
    /// First wait after an API error of the coding CLI's model; doubles per repeat.
    pub api_error_backoff: Duration,
    /// A turn that ends this soon after a send, without visible work, still counts.
    pub quiet_turn_grace: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            startup_timeout: Duration::from_secs(30),
            max_restarts: 3,
            restart_window: Duration::from_secs(600),
            api_error_backoff: Duration::from_secs(5),
            quiet_turn_grace: Duration::from_secs(10),
        }
    }
}

/// How the controllers are set up; the defaults are production's.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub timing: Timing,
    pub decide: decide::DecideConfig,
    /// The `autocode` binary the CLI's hooks run; this process's own binary by default
    /// (tests, whose process is the test harness, name the real one).
    pub autocode_bin: Option<PathBuf>,
}

/// What every controller loop shares.
pub struct Deps {
    pub db: SqlitePool,
    pub journal: Journal,
    pub layout: Arc<Layout>,
    pub master: Arc<MasterKey>,
    pub config: Arc<Config>,
    pub monitor: Monitor,
    /// Projects a human has taken over from the web terminal: send nothing to their panes.
    pub human: crate::lifecycle::human::HumanControl,
    pub hooks: Arc<Hooks>,
    /// Where `autocode hook` posts events (the daemon's own loopback address).
    pub hook_url: String,
    /// This binary, run by the CLI's hooks.
    pub autocode_bin: PathBuf,
    pub timing: Timing,
    pub decide: decide::DecideConfig,
}

impl Deps {
    /// The sandbox of the member whose directory is `member_dir`: the one place it is built,
    /// for their CLI, its version probe, "Log in here" and git alike.
    pub fn member_sandbox(&self, member_dir: &std::path::Path) -> crate::sandbox::Sandbox {
        crate::sandbox::Sandbox::for_member(
            &crate::sandbox::Settings::from_config(&self.config.file),
            member_dir,
            &self.autocode_bin,
        )
    }
}
