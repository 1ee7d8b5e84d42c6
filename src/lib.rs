//! AutoCode: a self-hosted daemon that drives coding CLIs in tmux for a family of users.
//! Read top to bottom, the modules are a tour from the disk up to the HTTP API.

/// Accounts as a whole (row, workspace, sessions), shared by the API and the CLI.
pub mod accounts;
/// The admin password from the environment, taken out of it at start.
pub mod admin_password;
/// Typed agent-template settings: tools, permission policy, CLI launch config.
pub mod agent_config;
/// Backups of the whole data dir (one tar archive, taken while running) and restores.
pub mod backup;
/// Each member's own Claude Code account: credential kinds, checks, what a launch adds.
pub mod claude_account;
/// Flags, env and the optional `autocode.toml`.
pub mod config;
/// The per-project controller loops and their registry.
pub mod controller;
/// SQLite: migrations and per-table queries.
pub mod db;
/// The ready agent a new member starts with, from the admin's `[default_agent]`.
pub mod default_agent;
/// `autocode doctor`: plain-language checks of the host and data dir, each with its fix.
pub mod doctor;
/// A project's git history: a commit per step, diffs, undo; git only in the sandbox.
pub mod git;
/// Claude Code hooks: per-session secrets and event delivery.
pub mod hooks;
/// The REST API.
pub mod http;
/// Project logs committed to the database and broadcast to live subscribers.
pub mod journal;
/// What an agent's launch settings may not ask for: unregistered programs, reserved
/// environment names, arguments that switch off the permission policy.
pub mod launch_rules;
/// A project's life: create, start, stop, pause, resume, restart, message, delete, and
/// who is typing into which project; what the API and the scheduler call.
pub mod lifecycle;
/// The supervising LLM: an OpenAI-compatible chat-completions client.
pub mod llm;
/// Brute-force protection for logins.
pub mod login_guard;
/// Prometheus metrics: figures from the database plus a few process-wide counters.
pub mod metrics;
/// Username rules and project slugs: names that become paths and tmux targets.
pub mod names;
/// argon2id password hashing, off the async runtime.
pub mod passwords;
/// Coding-CLI profiles: how to launch, pre-seed and drive a CLI, and its screen rules.
pub mod profile;
/// Web Push to members' phones: VAPID, RFC 8291 encryption, the delivery queue, and the
/// listener that turns status changes into notifications.
pub mod push;
/// The bubblewrap sandbox each member's coding CLI (and all it runs) lives in.
pub mod sandbox;
/// Project schedules and maintenance jobs on tokio-cron-scheduler.
pub mod schedules;
/// Screen classification: terminal text in, CLI state out (pure, no I/O).
pub mod screen;
/// The master key and AES-256-GCM sealing of stored API keys.
pub mod secrets;
/// What handlers and tasks share.
pub mod state;
/// Test support: mock model APIs and the offline environment of the Claude Code CLI, for
/// the integration tests, benchmarks and the mock binaries (the `testkit` feature); never
/// compiled into the daemon.
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
/// The tmux driver and live screens: the only module that runs the tmux binary.
pub mod tmux;
/// JWT access tokens and hashed refresh tokens.
pub mod tokens;
/// A project's conversation from Claude Code's JSONL transcript: typed entries, a cursor
/// that resumes without gap or duplicate, files read only beneath the member's directory.
pub mod transcript;
/// The rule for servers a member names: https, or plain http to loopback.
pub mod web_url;
/// The embedded web app.
pub mod webapp;
/// The data-dir layout, workspaces from `data-template/`, path confinement.
pub mod workspace;
/// Live logs and live terminals over WebSockets.
pub mod ws;

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

use config::Config;
use state::{AppState, Base};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create data dir {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Key(#[from] secrets::KeyError),
    #[error(transparent)]
    Db(#[from] db::OpenError),
    #[error("creating the first admin failed: {0}")]
    Admin(#[from] accounts::AccountError),
}

/// Opens the data dir (creating it, the database and the master key as needed). Used by
/// `serve`, the user CLI and the tests alike.
pub async fn open(config: Config) -> Result<Base, StartError> {
    let layout = workspace::Layout::new(&config.data_dir)
        .map_err(|e| StartError::DataDir(config.data_dir.display().to_string(), e))?;
    let master = secrets::MasterKey::load_or_create(&layout.master_key())?;
    let db = db::open(&layout.database()).await?;
    Ok(Base {
        db,
        config: std::sync::Arc::new(config),
        layout: std::sync::Arc::new(layout),
        master: std::sync::Arc::new(master),
    })
}

/// Creates the `admin` user on first start. A generated password is logged once.
pub async fn ensure_admin(base: &Base, password: Option<String>) -> Result<(), StartError> {
    if let Some(generated) = accounts::bootstrap_admin(&base.db, &base.layout, password).await? {
        tracing::warn!(
            "FIRST START: created user 'admin' with password {generated} (shown only this once; change it after logging in)"
        );
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("tmux: {0}")]
    Tmux(#[from] tmux::TmuxError),
    #[error(transparent)]
    Control(#[from] controller::ControlError),
    #[error(transparent)]
    Vapid(#[from] push::VapidError),
    #[error(transparent)]
    Schedule(#[from] schedules::ScheduleError),
    #[error("cannot find this binary: {0}")]
    Exe(std::io::Error),
}

/// Starts what drives projects and builds the daemon's whole state: the daemon's own tmux
/// server (socket in the data dir), the live-screen monitor, the controllers (re-adopting
/// the projects that were running), Web Push and the scheduler (which first reports runs
/// missed while the daemon was down). `hook_addr` is the loopback hook listener's address
/// (from `bind_hook_listener`; CLIs post their hooks there, never to the public listener).
/// Everything stops when `cancel` is cancelled.
pub async fn start(
    base: Base,
    hook_addr: std::net::SocketAddr,
    options: controller::Options,
    cancel: tokio_util::sync::CancellationToken,
) -> Result<AppState, RuntimeError> {
    let controller::Options {
        timing,
        decide,
        autocode_bin,
    } = options;
    let autocode_bin = match autocode_bin {
        Some(path) => path,
        None => std::env::current_exe().map_err(RuntimeError::Exe)?,
    };
    let parts = state::Parts::new(base);
    let (base, file) = (&parts.base, &parts.base.config.file);
    let vapid = push::Vapid::load_or_create(
        &base.layout.root().join("vapid.key"),
        file.push_contact.clone(),
    )?;
    let channels = push::ChannelSetup {
        master: base.master.clone(),
        telegram_api_base: file.telegram_api_base.clone(),
        public_url: file.public_url.clone(),
    };
    let cooldown = std::time::Duration::from_secs(file.push_cooldown_secs);
    let push = push::Push::new(vapid, cooldown, channels);
    let tmux = tmux::Tmux::new(base.layout.root().join("tmux.sock"));
    let (monitor, _task) =
        tmux::Monitor::start(tmux, tmux::MonitorConfig::default(), cancel.child_token()).await?;
    let ip = if hook_addr.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        hook_addr.ip()
    };
    let deps = controller::Deps {
        db: base.db.clone(),
        journal: parts.journal.clone(),
        layout: base.layout.clone(),
        master: base.master.clone(),
        config: base.config.clone(),
        // Terminal WebSockets read the same live screens the controllers act on.
        monitor: monitor.clone(),
        human: lifecycle::HumanControl::new(std::time::Duration::from_secs(
            file.human_idle_timeout_secs,
        )),
        hooks: parts.hooks.clone(),
        hook_url: format!(
            "http://{}/api/hooks",
            std::net::SocketAddr::new(ip, hook_addr.port())
        ),
        autocode_bin,
        timing,
        decide,
    };
    // Beside the controllers, on the broadcast the live sockets use: never in their way.
    push::notify::spawn(
        push.clone(),
        base.db.clone(),
        &parts.journal,
        parts.ws.watching.clone(),
        cancel.child_token(),
    );
    let lifecycle = lifecycle::Lifecycle::new(controller::Controllers::new(deps, cancel.clone()));
    let adopted = lifecycle.controllers().boot().await?;
    if adopted > 0 {
        tracing::info!(adopted, "re-adopted running projects");
    }
    let schedules = schedules::Scheduler::start(
        schedules::Deps {
            base: base.clone(),
            journal: parts.journal.clone(),
            lifecycle: lifecycle.clone(),
            tickets: parts.ws.tickets.clone(),
        },
        cancel.child_token(),
    )
    .await?;
    Ok(parts.finish(lifecycle, schedules, monitor, push))
}

/// Binds the loopback-only hook listener: `requested`, or the port the previous run used.
pub async fn bind_hook_listener(
    base: &Base,
    requested: Option<std::net::SocketAddr>,
) -> Result<TcpListener, http::hooks::BindError> {
    http::hooks::bind(&base.layout, requested).await
}

/// Serves hook posts until `shutdown` resolves. Keep it up until the controllers have
/// stopped, so a stopping CLI's last hooks still arrive.
pub async fn serve_hooks(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    http::hooks::serve(listener, state, shutdown).await
}

/// The whole application: the API under `/api`, the web app everywhere else.
pub fn app(state: AppState) -> Router {
    http::trace::traced(http::api_router(&state).fallback(http::fallback)).with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Upgraded sockets are not connections graceful shutdown waits for; they are told to
    // close ("server shutting down") when shutdown begins.
    metrics::mark_start();
    let sockets = state.ws.shutdown.clone();
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown.await;
            sockets.cancel();
        })
        .await
}
