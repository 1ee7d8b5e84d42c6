//! The long-lived control-mode client and the pane-death watcher, both restarted with
//! backoff when they die.

use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tmux_interface::{AttachSession, WaitFor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;
use tokio_util::sync::CancellationToken;

use super::control::{ControlEvent, ControlParser};
use super::monitor::{Inner, MONITOR_SESSION};
use super::server::command_args;
use super::session::{PANE_DIED_CHANNEL, PANE_FORMAT, PaneInfo};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// A client that ran this long was healthy; its restart starts again from `MIN_BACKOFF`.
const HEALTHY_RUN: Duration = Duration::from_secs(10);

fn spawn_tmux(
    inner: &Inner,
    cmd: tmux_interface::TmuxCommand<'_>,
    stdin: Stdio,
) -> std::io::Result<Child> {
    super::server::tmux_command()
        .args(inner.tmux.base_args())
        .args(command_args(&[cmd]))
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
}

/// Waits `backoff` unless cancelled first; returns false when cancelled.
async fn pause(backoff: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(backoff) => true,
    }
}

/// Runs the control client until `cancel`, restarting it whenever it exits.
pub(crate) async fn run_client(inner: &Inner, cancel: &CancellationToken) {
    let mut backoff = MIN_BACKOFF;
    let mut connected_before = false;
    while !cancel.is_cancelled() {
        if connected_before && let Err(e) = inner.restore_monitor_session().await {
            tracing::warn!(error = %e, "cannot restore the tmux monitor session");
        }
        let attach = AttachSession::new()
            .target_session(format!("={MONITOR_SESSION}"))
            .build();
        let gate = inner.tmux.attach_gate.clone().write_owned().await;
        let mut attach_args = vec!["-C".to_owned()];
        attach_args.extend(command_args(&[attach]));
        let spawned = super::server::tmux_command()
            .args(inner.tmux.base_args())
            .args(attach_args)
            // Closing stdin would end the client, so it stays piped and open.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        match spawned {
            Ok(child) => {
                let started = Instant::now();
                inner
                    .client_pid
                    .store(child.id().unwrap_or(0), Ordering::Relaxed);
                if connected_before {
                    inner.screens.client_reconnected();
                }
                connected_before = true;
                inner.resync_all.notify_one();
                read_client(inner, child, gate, cancel).await;
                inner.client_pid.store(0, Ordering::Relaxed);
                if started.elapsed() >= HEALTHY_RUN {
                    backoff = MIN_BACKOFF;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot start tmux control client"),
        }
        if cancel.is_cancelled() {
            break;
        }
        tracing::warn!(?backoff, "tmux control client ended, restarting");
        crate::metrics::count_tmux_control_restart();
        if !pause(backoff, cancel).await {
            break;
        }
        backoff = (backoff * 2).min(inner.config.max_backoff);
    }
}

/// How long session creation may be held back by an attach tmux does not answer.
const ATTACH_GATE_LIMIT: Duration = Duration::from_secs(2);

async fn read_client(
    inner: &Inner,
    mut child: Child,
    gate: tokio::sync::OwnedRwLockWriteGuard<()>,
    cancel: &CancellationToken,
) {
    let mut gate = Some(gate);
    let gate_deadline = tokio::time::Instant::now() + ATTACH_GATE_LIMIT;
    let mut stdin = child.stdin.take();
    let mut state_tick = tokio::time::interval(inner.config.state_interval);
    state_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Only dead panes are listed: the reply is usually empty and tmux's work stays small.
    let query =
        format!("list-panes -s -t '={MONITOR_SESSION}' -f '#{{pane_dead}}' -F '{PANE_FORMAT}'\n");
    let Some(mut stdout) = child.stdout.take() else {
        return;
    };
    let mut parser = ControlParser::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut events = Vec::new();
    loop {
        let read = tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep_until(gate_deadline), if gate.is_some() => {
                tracing::warn!("tmux control client attach not answered in time");
                gate = None;
                continue;
            }
            _ = state_tick.tick(), if gate.is_none() => {
                if let Some(pipe) = stdin.as_mut()
                    && let Err(e) = pipe.write_all(query.as_bytes()).await
                {
                    tracing::warn!(error = %e, "writing to tmux control client failed");
                    break;
                }
                continue;
            }
            read = stdout.read(&mut buf) => read,
        };
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "reading tmux control client failed");
                break;
            }
        };
        parser.feed(&buf[..n], &mut events);
        if !events.is_empty() {
            // The first event is the attach's reply: attaching is over.
            gate = None;
        }
        let mut exit = false;
        for event in events.drain(..) {
            exit |= handle(inner, event);
        }
        if exit {
            break;
        }
    }
    if let Err(e) = child.kill().await {
        tracing::debug!(error = %e, "tmux control client already gone");
    }
}

/// Applies one event; returns true when the client is leaving.
fn handle(inner: &Inner, event: ControlEvent) -> bool {
    match event {
        ControlEvent::Output { pane, data } => inner.screens.apply_output(pane, data),
        ControlEvent::WindowAdd { .. }
        | ControlEvent::WindowClose { .. }
        | ControlEvent::UnlinkedWindowClose { .. }
        | ControlEvent::WindowRenamed { .. }
        | ControlEvent::LayoutChange { .. }
        | ControlEvent::SessionsChanged => inner.sweep.notify_one(),
        ControlEvent::Exit { reason } => {
            tracing::info!(reason = ?reason.as_deref().map(String::from_utf8_lossy), "tmux control client exit");
            return true;
        }
        ControlEvent::Reply {
            success: true,
            lines,
            ..
        } if !lines.is_empty() => {
            let panes: Option<Vec<PaneInfo>> = lines
                .iter()
                .map(|l| PaneInfo::parse(&String::from_utf8_lossy(l)))
                .collect();
            if let Some(panes) = panes {
                *inner.listed.lock().unwrap_or_else(|e| e.into_inner()) = Some(panes);
                inner.listed_ready.notify_one();
            }
        }
        ControlEvent::Reply {
            success: false,
            lines,
            ..
        } => {
            tracing::debug!(?lines, "tmux control command failed");
        }
        other => tracing::trace!(?other, "tmux control event"),
    }
    false
}

/// Waits on the channel the `pane-died` hook signals, and triggers a sweep on each wake.
pub(crate) async fn watch_deaths(inner: &Inner, cancel: &CancellationToken) {
    let mut backoff = MIN_BACKOFF;
    while !cancel.is_cancelled() {
        let wait = WaitFor::new().channel(PANE_DIED_CHANNEL).build();
        let started = Instant::now();
        let ok = match spawn_tmux(inner, wait, Stdio::null()) {
            Ok(mut child) => tokio::select! {
                _ = cancel.cancelled() => break,
                status = child.wait() => status.is_ok_and(|s| s.success()),
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot start tmux wait-for");
                false
            }
        };
        tracing::debug!(ok, "pane-died channel woke");
        // Signals that land between this wake and the next wait are caught by this sweep
        // or, at worst, by the periodic one.
        inner.sweep.notify_one();
        if ok || started.elapsed() >= HEALTHY_RUN {
            backoff = MIN_BACKOFF;
            continue;
        }
        if !pause(backoff, cancel).await {
            break;
        }
        backoff = (backoff * 2).min(inner.config.max_backoff);
    }
}
