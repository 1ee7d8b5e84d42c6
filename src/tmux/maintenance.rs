//! The monitor's upkeep: sweeps of pane metadata (closed, dead and newly linked panes),
//! screen resyncs from spawned `capture-pane`, and consistency checks of quiet panes.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tmux_interface::{CapturePane, DisplayMessage, ListPanes};
use tokio_util::sync::CancellationToken;

use super::monitor::{Inner, MONITOR_SESSION};
use super::screens::screen_from_capture;
use super::session::{PANE_FORMAT, PaneInfo};
use super::{PaneId, TmuxError};

/// How long a dead pane's exit status is awaited before its exit is reported without it.
const STATUS_GRACE: Duration = Duration::from_millis(500);
/// Re-sweep interval while a dead pane's status is awaited, so that the exit is reported as
/// soon as the status arrives or the grace time ends.
const STATUS_POLL: Duration = Duration::from_millis(40);

impl Inner {
    pub(crate) fn track(&self, pane: &PaneInfo) {
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

    /// A resync whose failure only concerns this pane: logged, and the caller goes on.
    async fn resync_logged(&self, pane: PaneId) {
        if let Err(e) = self.resync(pane).await {
            tracing::warn!(%pane, error = %e, "screen resync failed");
        }
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

    /// Applies pane states queried through the control client: reports deaths, and leaves
    /// closing and adopting to the spawned sweep (a reply can predate an adoption).
    async fn apply_listed(&self) -> Result<bool, TmuxError> {
        let listed = self.listed.lock().unwrap_or_else(|e| e.into_inner()).take();
        let mut awaiting_status = false;
        for info in listed.unwrap_or_default() {
            match self.screens.is_exited(info.id) {
                Some(false) => awaiting_status |= self.check_dead(&info),
                Some(true) => {}
                None if info.window != self.placeholder() => self.sweep.notify_one(),
                None => {}
            }
        }
        Ok(awaiting_status)
    }

    /// Reads every monitored pane's metadata: adopts panes linked by someone else (an
    /// earlier daemon run), reports deaths and closed panes, follows size changes. Returns
    /// whether a dead pane's status is still awaited (sweep again soon).
    async fn sweep(&self) -> Result<bool, TmuxError> {
        tracing::trace!("sweep");
        // Taken before listing: a pane adopted while the list runs is linked after the
        // list was made and must not be taken for a closed one.
        let tracked = self.screens.panes();
        let restores_before = self.restores.load(Ordering::SeqCst);
        let list = ListPanes::new()
            .session()
            .format(PANE_FORMAT)
            .target(format!("={MONITOR_SESSION}"))
            .build();
        let out = self.tmux.run_text(&[list]).await?;
        let present: HashMap<PaneId, PaneInfo> = out
            .lines()
            .filter_map(PaneInfo::parse)
            .filter(|p| p.window != self.placeholder())
            .map(|p| (p.id, p))
            .collect();
        let restores_after = self.restores.load(Ordering::SeqCst);
        let may_close = restores_before == restores_after && restores_after.is_multiple_of(2);
        for pane in tracked {
            if may_close && !present.contains_key(&pane) {
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
            let resync = match size {
                None => {
                    self.track(info);
                    true
                }
                Some((rows, cols)) if (rows.get(), cols.get()) != (info.height, info.width) => {
                    // Resized at once: the resync below is skipped while output flows.
                    self.screens.resize(info.id, info.height, info.width);
                    true
                }
                Some(_) => false,
            };
            if resync {
                self.resync_logged(info.id).await;
            }
            if self.screens.is_exited(info.id) == Some(false) {
                awaiting_status |= self.check_dead(info);
            }
        }
        Ok(awaiting_status)
    }
}

/// Sweeps and consistency checks; all tmux calls of the monitor except the client's own.
pub(crate) async fn maintain(inner: &Inner, cancel: &CancellationToken) {
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
            _ = quiet_tick.tick() => {
                check_quiet(inner).await;
                Ok(follow_up.is_some())
            }
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
    let awaiting_status = inner.sweep().await;
    for pane in inner.screens.panes() {
        inner.resync_logged(pane).await;
    }
    awaiting_status
}

async fn check_quiet(inner: &Inner) {
    let config = &inner.config;
    let due = inner
        .screens
        .unchecked_quiet(config.quiet_after, config.recheck_after);
    for pane in due.into_iter().take(config.checks_per_tick) {
        inner.resync_logged(pane).await;
    }
}
