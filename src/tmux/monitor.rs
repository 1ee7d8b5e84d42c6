//! Live screens: keeps every adopted pane's current screen in [`Screens`] without polling.
//!
//! Every project window is `link-window`ed into one monitor session, so one long-lived
//! control-mode client (see `control_client`) receives `%output` for all panes. A spawned
//! `capture-pane` (never one run through the control client: that leaks server memory in
//! tmux 3.3a) only (re)syncs a screen: when a pane is adopted, after the control client
//! reconnects, and once when a pane goes quiet. Pane deaths are seen through a `pane-died`
//! hook that signals a `wait-for` channel, backed by a periodic metadata sweep; never from
//! the frozen last frame.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tmux_interface::{CapturePane, DisplayMessage, LinkWindow, ListPanes, ListWindows, NewSession};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::screens::screen_from_capture;
use super::session::{PANE_FORMAT, PaneInfo, server_setup};
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
    placeholder: WindowId,
    /// Something may have changed in the set of panes or their state: sweep now.
    pub(crate) sweep: Notify,
    /// The control client (re)connected: resync every screen.
    pub(crate) resync_all: Notify,
    pub(crate) client_pid: AtomicU32,
    /// Pane states from the control client's last query, for the maintenance loop.
    pub(crate) listed: std::sync::Mutex<Option<Vec<PaneInfo>>>,
    pub(crate) listed_ready: Notify,
    /// Panes seen dead whose exit status tmux has not collected yet, and since when.
    dead_without_status: std::sync::Mutex<HashMap<PaneId, Instant>>,
}

/// How long a dead pane's exit status is awaited before its exit is reported without it.
const STATUS_GRACE: Duration = Duration::from_millis(500);
/// Re-sweep interval while a dead pane's status is awaited; each call also wakes tmux 3.3a,
/// which otherwise may sit on the child's exit.
const STATUS_POLL: Duration = Duration::from_millis(40);

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
        let placeholder = ensure_monitor_session(&tmux).await?;
        let screens = Screens::new(config.event_capacity, config.scrollback);
        let inner = Arc::new(Inner {
            tmux,
            screens,
            config,
            placeholder,
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
                    maintain(&inner, &cancel),
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
        let tmux = &self.inner.tmux;
        let panes = tmux.session_panes(name).await?;
        let linked = monitor_windows(tmux).await?;
        let mut done = HashSet::new();
        for pane in &panes {
            if !linked.contains(&pane.window) && done.insert(pane.window) {
                let link = LinkWindow::new()
                    .detached()
                    .src_window(pane.window.to_string())
                    .dst_window(format!("={MONITOR_SESSION}:"))
                    .build();
                tmux.run(&[link]).await?;
            }
        }
        for pane in &panes {
            self.inner.track(pane);
            self.inner.resync(pane.id).await?;
        }
        Ok(panes.iter().map(|p| p.id).collect())
    }

    /// Compares a pane's screen with `capture-pane` and replaces it when they differ;
    /// returns whether it was replaced.
    pub async fn resync(&self, pane: PaneId) -> Result<bool, TmuxError> {
        self.inner.resync(pane).await
    }
}

impl Inner {
    fn track(&self, pane: &PaneInfo) {
        self.screens.track(pane.id, pane.height, pane.width);
        self.check_dead(pane);
    }

    /// Reports a dead pane once its status is known (or the grace time ran out); returns
    /// true while a status is still awaited.
    fn check_dead(&self, pane: &PaneInfo) -> bool {
        if !pane.dead {
            return false;
        }
        let mut waiting = self
            .dead_without_status
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let since = *waiting.entry(pane.id).or_insert_with(Instant::now);
        if !pane.status_ready && since.elapsed() < STATUS_GRACE {
            return true;
        }
        waiting.remove(&pane.id);
        drop(waiting);
        tracing::debug!(pane = %pane.id, status = ?pane.dead_status, signal = ?pane.dead_signal, "pane dead");
        self.screens.mark_exited(pane.id, pane.dead_status);
        false
    }

    pub(crate) async fn resync(&self, pane: PaneId) -> Result<bool, TmuxError> {
        let Some(seq) = self.screens.seq(pane) else {
            return Ok(false);
        };
        let target = pane.to_string();
        let capture = CapturePane::new()
            .stdout()
            .escape_sequences()
            .target_pane(target.clone())
            .build();
        let state = DisplayMessage::new()
            .print()
            .target_pane(target)
            .message("#{cursor_y} #{cursor_x} #{pane_height} #{pane_width} #{alternate_on} #{cursor_flag}")
            .build();
        let out = match self.tmux.run(&[capture, state]).await {
            Err(TmuxError::NotFound(_)) => {
                self.sweep.notify_one();
                return Ok(false);
            }
            other => other?,
        };
        let body = out.strip_suffix(b"\n").unwrap_or(&out);
        let split = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let (captured, state) = body.split_at(split);
        let nums: Vec<u16> = String::from_utf8_lossy(state)
            .split(' ')
            .filter_map(|n| n.parse().ok())
            .collect();
        let [y, x, rows, cols, alternate, cursor_flag] = nums[..] else {
            return Err(TmuxError::Parse {
                command: "display-message".into(),
                output: String::from_utf8_lossy(state).into_owned(),
            });
        };
        let parser = screen_from_capture(
            captured,
            rows,
            cols,
            (y, x),
            alternate == 1,
            cursor_flag == 1,
            self.config.scrollback,
        );
        let replaced = self.screens.resync(pane, seq, parser);
        if replaced {
            tracing::debug!(%pane, "screen resynced from capture-pane");
        }
        Ok(replaced)
    }

    /// Reads every monitored pane's metadata: adopts panes linked by someone else (an
    /// earlier daemon run), reports deaths and closed panes, follows size changes.
    /// Applies pane states queried through the control client: reports deaths, and leaves
    /// closing and adopting to the spawned sweep (a reply can predate an adoption).
    async fn apply_listed(&self) -> Result<bool, TmuxError> {
        let listed = self.listed.lock().unwrap_or_else(|e| e.into_inner()).take();
        let mut awaiting_status = false;
        for info in listed.unwrap_or_default() {
            match self.screens.is_exited(info.id) {
                Some(false) => awaiting_status |= self.check_dead(&info),
                Some(true) => {}
                None if info.window != self.placeholder => self.sweep.notify_one(),
                None => {}
            }
        }
        Ok(awaiting_status)
    }

    /// Returns whether a dead pane's status is still awaited (sweep again soon).
    async fn sweep(&self) -> Result<bool, TmuxError> {
        tracing::trace!("sweep");
        // Taken before listing: a pane adopted while the list runs is linked after the
        // list was made and must not be taken for a closed one.
        let tracked = self.screens.panes();
        let list = ListPanes::new()
            .session()
            .format(PANE_FORMAT)
            .target(format!("={MONITOR_SESSION}"))
            .build();
        let out = self.tmux.run_text(&[list]).await?;
        let present: HashMap<PaneId, PaneInfo> = out
            .lines()
            .filter_map(PaneInfo::parse)
            .filter(|p| p.window != self.placeholder)
            .map(|p| (p.id, p))
            .collect();
        for pane in tracked {
            if !present.contains_key(&pane) {
                self.screens.mark_exited(pane, None);
                self.screens.remove(pane);
                self.dead_without_status
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&pane);
            }
        }
        let mut awaiting_status = false;
        for info in present.values() {
            let size = self.screens.with_screen(info.id, |s| s.size());
            match size {
                None => {
                    self.track(info);
                    self.resync(info.id).await?;
                }
                Some((rows, cols)) if (rows.get(), cols.get()) != (info.height, info.width) => {
                    self.resync(info.id).await?;
                }
                Some(_) => {}
            }
            if self.screens.is_exited(info.id) == Some(false) {
                awaiting_status |= self.check_dead(info);
            }
        }
        Ok(awaiting_status)
    }
}

/// Creates the monitor session (a placeholder window running `cat`) unless it exists, and
/// returns the placeholder's window id.
async fn ensure_monitor_session(tmux: &Tmux) -> Result<WindowId, TmuxError> {
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
    match created {
        Ok(_) => {}
        Err(TmuxError::Command { stderr, .. }) if stderr.contains("duplicate session") => {
            // Exists from an earlier run; the settings still need (re)applying.
            tmux.run(&server_setup()).await?;
        }
        Err(e) => return Err(e),
    }
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

/// Sweeps and consistency checks; all tmux calls of the monitor except the client's own.
async fn maintain(inner: &Inner, cancel: &CancellationToken) {
    let config = &inner.config;
    let mut sweep_tick = tokio::time::interval(config.sweep_interval);
    let mut quiet_tick =
        tokio::time::interval((config.quiet_after / 2).max(Duration::from_millis(50)));
    for tick in [&mut sweep_tick, &mut quiet_tick] {
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    let mut follow_up: Option<tokio::time::Instant> = None;
    loop {
        let swept = tokio::select! {
            _ = cancel.cancelled() => break,
            _ = inner.sweep.notified() => inner.sweep().await,
            _ = sweep_tick.tick() => inner.sweep().await,
            _ = sleep_until_some(follow_up) => inner.sweep().await,
            _ = inner.resync_all.notified() => resync_all(inner).await,
            _ = inner.listed_ready.notified() => inner.apply_listed().await,
            _ = quiet_tick.tick() => check_quiet(inner).await.map(|()| follow_up.is_some()),
        };
        match swept {
            Ok(true) => {
                follow_up.get_or_insert_with(|| tokio::time::Instant::now() + STATUS_POLL);
            }
            Ok(false) => follow_up = None,
            Err(e) => tracing::warn!(error = %e, "tmux monitor maintenance failed"),
        }
        if follow_up.is_some_and(|at| at <= tokio::time::Instant::now()) {
            follow_up = Some(tokio::time::Instant::now() + STATUS_POLL);
        }
    }
}

async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn resync_all(inner: &Inner) -> Result<bool, TmuxError> {
    let awaiting_status = inner.sweep().await?;
    for pane in inner.screens.panes() {
        inner.resync(pane).await?;
    }
    Ok(awaiting_status)
}

async fn check_quiet(inner: &Inner) -> Result<(), TmuxError> {
    let config = &inner.config;
    let due = inner
        .screens
        .unchecked_quiet(config.quiet_after, config.recheck_after);
    for pane in due.into_iter().take(config.checks_per_tick) {
        inner.resync(pane).await?;
    }
    Ok(())
}
