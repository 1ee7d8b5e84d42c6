//! What the processes of AutoCode share. [`Base`] is what any of them opens from the data
//! dir (the account CLI runs with only that); [`AppState`] is the daemon's, built whole
//! once by `crate::start`, so no handler ever meets a part that is not there yet. Both are
//! cheap to clone.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::config::Config;
use crate::hooks::Hooks;
use crate::journal::Journal;
use crate::lifecycle::Lifecycle;
use crate::login_guard::LoginGuard;
use crate::push::Push;
use crate::schedules::Scheduler;
use crate::secrets::MasterKey;
use crate::tmux::Monitor;
use crate::tokens::TokenKeys;
use crate::workspace::Layout;
use crate::ws::WsState;

/// The data dir opened: database, configuration, paths, master key.
#[derive(Clone)]
pub struct Base {
    pub db: SqlitePool,
    pub config: Arc<Config>,
    pub layout: Arc<Layout>,
    pub master: Arc<MasterKey>,
}

/// What every handler and background task of the daemon shares.
#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
    pub config: Arc<Config>,
    pub layout: Arc<Layout>,
    pub master: Arc<MasterKey>,
    pub tokens: Arc<TokenKeys>,
    pub login_guard: Arc<LoginGuard>,
    pub journal: Journal,
    pub hooks: Arc<Hooks>,
    /// Projects' lives (create, start, stop, …), their controllers, and who is typing into
    /// which project.
    pub lifecycle: Arc<Lifecycle>,
    /// Project schedules and maintenance jobs.
    pub schedules: Arc<Scheduler>,
    /// The live screens of every pane of the daemon's tmux server.
    pub monitor: Monitor,
    pub ws: WsState,
    /// Web Push: the VAPID key and the delivery queue.
    pub push: Push,
}

/// The parts of [`AppState`] made before the controllers start (they and the scheduler
/// are given some of them).
pub struct Parts {
    pub base: Base,
    pub tokens: Arc<TokenKeys>,
    pub login_guard: Arc<LoginGuard>,
    pub journal: Journal,
    pub hooks: Arc<Hooks>,
    pub ws: WsState,
}

impl Parts {
    pub fn new(base: Base) -> Self {
        let file = &base.config.file;
        let login_guard = LoginGuard::new(
            file.login_max_failures,
            std::time::Duration::from_secs(file.login_window_secs),
        );
        Self {
            journal: Journal::new(base.db.clone()),
            tokens: Arc::new(TokenKeys::new(&base.master)),
            login_guard: Arc::new(login_guard),
            hooks: Arc::new(Hooks::default()),
            ws: WsState::default(),
            base,
        }
    }

    /// The whole state, once the controllers, scheduler and push run.
    pub fn finish(
        self,
        lifecycle: Arc<Lifecycle>,
        schedules: Arc<Scheduler>,
        monitor: Monitor,
        push: Push,
    ) -> AppState {
        let Base {
            db,
            config,
            layout,
            master,
        } = self.base;
        AppState {
            db,
            config,
            layout,
            master,
            tokens: self.tokens,
            login_guard: self.login_guard,
            journal: self.journal,
            hooks: self.hooks,
            lifecycle,
            schedules,
            monitor,
            ws: self.ws,
            push,
        }
    }
}
