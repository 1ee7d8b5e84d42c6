//! Live screens: keeps every adopted pane's current screen in [`Screens`] without polling.
//!
//! Every project window is `link-window`ed into one monitor session, so one long-lived
//! control-mode client (see `control_client`) receives `%output` for all panes. A spawned
//! `capture-pane` (never one run through the control client: that leaks server memory in
//! tmux 3.3a) only (re)syncs a screen: when a pane is adopted, after the control client
//! reconnects, and once when a pane goes quiet. Pane deaths are seen through a `pane-died`
//! hook that signals a `wait-for` channel and a pane-state query sent through the control
//! client, never from the frozen last frame (see `maintenance`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tmux_interface::{LinkWindow, ListWindows, NewSession};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::session::{PaneInfo, server_setup};
use super::{PaneId, ScreenEvent, Screens, SessionName, Tmux, TmuxError, WindowId};

/// The daemon's own session holding a link to every project window. Its name cannot be a
/// [`SessionName`], so no project can take it.
pub const MONITOR_SESSION: &str = "__autocode_monitor";
const PLACEHOLDER_WINDOW: &str = "__monitor";

/// Tuning of the monitor; the defaults suit a few hundred panes on a small machine.
#[derive(Clone, Debug)]
pub struct MonitorConfig {
    /// A pane silent this long gets one consistency check against `capture-pane`.
    pub quiet_after: Duration,
    /// A quiet pane is checked again after this long (None: only once per quiet period).
    pub recheck_after: Option<Duration>,
    /// At most this many consistency captures per quiet tick, to spread their CPU cost.
    pub checks_per_tick: usize,
    /// Interval of the pane-state query sent through the control client (no process
    /// spawn): it notices dead panes when the `pane-died` hook cannot (tmux 3.3a may sit
    /// on a child's exit status while the pane's pty is already closed).
    pub state_interval: Duration,
    /// Interval of the spawned metadata sweep that also notices closed panes and adopts
    /// panes linked by someone else.
    pub sweep_interval: Duration,
    /// Longest wait between control-client restarts.
    pub max_backoff: Duration,
    /// Scrollback rows kept per pane screen.
    pub scrollback: usize,
    /// Event backlog per subscriber.
    pub event_capacity: usize,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            quiet_after: Duration::from_secs(1),
            recheck_after: Some(Duration::from_secs(300)),
            checks_per_tick: 8,
            state_interval: Duration::from_millis(250),
            sweep_interval: Duration::from_secs(5),
            max_backoff: Duration::from_secs(5),
            scrollback: 0,
            event_capacity: 8192,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) tmux: Tmux,
    pub(crate) screens: Screens,
    pub(crate) config: MonitorConfig,
    /// The monitor session's own window (not a project pane); replaced if the monitor
    /// session has to be re-created.
    placeholder: AtomicU32,
    /// Bumped when a restore of the monitor session starts and when it ends (odd while it
    /// runs): a sweep that overlapped one must not take not-yet-relinked panes for closed.
    pub(crate) restores: std::sync::atomic::AtomicU64,
    /// Something may have changed in the set of panes or their state: sweep now.
    pub(crate) sweep: Notify,
    /// The control client (re)connected: resync every screen.
    pub(crate) resync_all: Notify,
    pub(crate) client_pid: AtomicU32,
    /// Pane states from the control client's last query, for the maintenance loop.
    pub(crate) listed: std::sync::Mutex<Option<Vec<PaneInfo>>>,
    pub(crate) listed_ready: Notify,
    /// Panes seen dead whose exit status tmux has not collected yet, and since when.
    pub(crate) dead_without_status: std::sync::Mutex<HashMap<PaneId, Instant>>,
}

/// Handle to the live-screen monitor. Cheap to clone.
#[derive(Clone)]
pub struct Monitor {
    inner: Arc<Inner>,
}

impl Monitor {
    /// Creates the monitor session if needed and starts the control client, the death
    /// watcher and the maintenance loop; they stop when `cancel` is cancelled. Windows
    /// already linked into the monitor session (by an earlier daemon run) are adopted.
    pub async fn start(
        tmux: Tmux,
        config: MonitorConfig,
        cancel: CancellationToken,
    ) -> Result<(Self, JoinHandle<()>), TmuxError> {
        let (placeholder, _) = ensure_monitor_session(&tmux).await?;
        let screens = Screens::new(config.event_capacity, config.scrollback);
        let inner = Arc::new(Inner {
            tmux,
            screens,
            config,
            placeholder: AtomicU32::new(placeholder.0),
            restores: Default::default(),
            sweep: Notify::new(),
            resync_all: Notify::new(),
            client_pid: AtomicU32::new(0),
            dead_without_status: Default::default(),
            listed: Default::default(),
            listed_ready: Notify::new(),
        });
        let task = tokio::spawn({
            let inner = inner.clone();
            async move {
                tokio::join!(
                    super::control_client::run_client(&inner, &cancel),
                    super::control_client::watch_deaths(&inner, &cancel),
                    super::maintenance::maintain(&inner, &cancel),
                );
            }
        });
        Ok((Self { inner }, task))
    }

    pub fn screens(&self) -> &Screens {
        &self.inner.screens
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ScreenEvent> {
        self.inner.screens.subscribe()
    }

    pub fn tmux(&self) -> &Tmux {
        &self.inner.tmux
    }

    /// Pid of the current control-mode client, if one is running (for diagnostics).
    pub fn control_client_pid(&self) -> Option<u32> {
        match self.inner.client_pid.load(Ordering::Relaxed) {
            0 => None,
            pid => Some(pid),
        }
    }

    /// Starts watching a project session: links its windows into the monitor session and
    /// syncs its panes' screens from `capture-pane`. Idempotent.
    pub async fn adopt(&self, name: &SessionName) -> Result<Vec<PaneId>, TmuxError> {
        self.inner.adopt(name).await
    }

    /// Adopts every project session on the server (on daemon start, to pick up sessions
    /// that outlived the previous daemon).
    pub async fn adopt_all(&self) -> Result<Vec<PaneId>, TmuxError> {
        self.inner.adopt_all().await
    }

    /// Compares a pane's screen with `capture-pane` and replaces it when they differ;
    /// returns whether it was replaced.
    pub async fn resync(&self, pane: PaneId) -> Result<bool, TmuxError> {
        self.inner.resync(pane).await
    }
}

impl Inner {
    pub(crate) fn placeholder(&self) -> WindowId {
        WindowId(self.placeholder.load(Ordering::Relaxed))
    }

    async fn adopt(&self, name: &SessionName) -> Result<Vec<PaneId>, TmuxError> {
        let panes = self.tmux.session_panes(name).await?;
        let linked = monitor_windows(&self.tmux).await?;
        let mut done = HashSet::new();
        for pane in &panes {
            if !linked.contains(&pane.window) && done.insert(pane.window) {
                let link = LinkWindow::new()
                    .detached()
                    .src_window(pane.window.to_string())
                    .dst_window(format!("={MONITOR_SESSION}:"))
                    .build();
                self.tmux.run(&[link]).await?;
            }
        }
        for pane in &panes {
            self.track(pane);
            self.resync(pane.id).await?;
        }
        Ok(panes.iter().map(|p| p.id).collect())
    }

    async fn adopt_all(&self) -> Result<Vec<PaneId>, TmuxError> {
        let mut adopted = Vec::new();
        for name in self.tmux.list_sessions().await? {
            match self.adopt(&name).await {
                Ok(panes) => adopted.extend(panes),
                // Killed between the listing and the adoption.
                Err(TmuxError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(adopted)
    }

    /// Before a control client reattaches: if the monitor session is gone (killed by
    /// hand, or the whole server died), re-create it and link every project window again.
    pub(crate) async fn restore_monitor_session(&self) -> Result<(), TmuxError> {
        self.restores.fetch_add(1, Ordering::SeqCst);
        let restored = async {
            let (placeholder, created) = ensure_monitor_session(&self.tmux).await?;
            self.placeholder.store(placeholder.0, Ordering::Relaxed);
            if created {
                tracing::warn!("tmux monitor session was gone; re-created it");
                self.adopt_all().await?;
            }
            Ok(())
        }
        .await;
        self.restores.fetch_add(1, Ordering::SeqCst);
        restored
    }
}

/// Creates the monitor session (a placeholder window running `cat`) unless it exists, and
/// returns the placeholder's window id and whether the session was created.
async fn ensure_monitor_session(tmux: &Tmux) -> Result<(WindowId, bool), TmuxError> {
    let mut cmds = server_setup();
    let mut new_session = NewSession::new()
        .detached()
        .session_name(MONITOR_SESSION)
        .window_name(PLACEHOLDER_WINDOW)
        .width(200)
        .height(50)
        .build();
    for arg in ["--", "env", "cat"] {
        new_session.push_param(arg);
    }
    cmds.push(new_session);
    let gate = tmux.attach_gate.read().await;
    let created = tmux.run(&cmds).await;
    drop(gate);
    let created = match created {
        Ok(_) => true,
        Err(TmuxError::Command { stderr, .. }) if stderr.contains("duplicate session") => {
            // Exists from an earlier run; the settings still need (re)applying.
            tmux.run(&server_setup()).await?;
            false
        }
        Err(e) => return Err(e),
    };
    let list = ListWindows::new()
        .format("#{window_id} #{window_name}")
        .target_session(format!("={MONITOR_SESSION}"))
        .build();
    let out = tmux.run_text(&[list]).await?;
    out.lines()
        .find_map(|l| {
            let (id, name) = l.split_once(' ')?;
            (name == PLACEHOLDER_WINDOW).then(|| WindowId::parse_bytes(id.as_bytes()))?
        })
        .map(|window| (window, created))
        .ok_or(TmuxError::Parse {
            command: "list-windows".into(),
            output: out,
        })
}

async fn monitor_windows(tmux: &Tmux) -> Result<HashSet<WindowId>, TmuxError> {
    let list = ListWindows::new()
        .format("#{window_id}")
        .target_session(format!("={MONITOR_SESSION}"))
        .build();
    let out = tmux.run_text(&[list]).await?;
    Ok(out
        .lines()
        .filter_map(|l| WindowId::parse_bytes(l.as_bytes()))
        .collect())
}
