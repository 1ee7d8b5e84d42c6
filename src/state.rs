//! `AppState`: what every handler and background task shares. Cheap to clone.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::config::Config;
use crate::controller::Controllers;
use crate::hooks::Hooks;
use crate::journal::Journal;
use crate::login_guard::LoginGuard;
use crate::secrets::MasterKey;
use crate::tmux::Monitor;
use crate::tokens::TokenKeys;
use crate::workspace::Layout;
use crate::ws::{HumanControl, WsState};

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
    /// The controller registry; `None` in processes that only manage accounts (the CLI).
    pub controllers: Option<Arc<Controllers>>,
    /// Project schedules and maintenance jobs; `None` where nothing is scheduled (the CLI).
    pub schedules: Option<Arc<crate::schedules::Scheduler>>,
    /// The live screens of every pane; None until the daemon has started its tmux server
    /// (terminal sockets then show "no terminal is running").
    pub monitor: Option<Monitor>,
    /// Which projects a human is typing into; the controller stays silent on those.
    pub human: HumanControl,
    pub ws: WsState,
    /// Web Push: the VAPID key and the delivery queue (set by `open_state`).
    pub push: Option<crate::push::Push>,
}

impl AppState {
    pub fn new(db: SqlitePool, config: Config, layout: Layout, master: MasterKey) -> Self {
        let login_guard = LoginGuard::new(
            config.file.login_max_failures,
            std::time::Duration::from_secs(config.file.login_window_secs),
        );
        let human = HumanControl::new(std::time::Duration::from_secs(
            config.file.human_idle_timeout_secs,
        ));
        Self {
            journal: Journal::new(db.clone()),
            monitor: None,
            human,
            ws: WsState::default(),
            tokens: Arc::new(TokenKeys::new(&master)),
            db,
            config: Arc::new(config),
            layout: Arc::new(layout),
            master: Arc::new(master),
            login_guard: Arc::new(login_guard),
            hooks: Arc::new(Hooks::default()),
            controllers: None,
            schedules: None,
            push: None,
        }
    }
}
