//! The pane watcher of a CLI session: classifies every new frame of the pane, debounces
//! the states and publishes them (with when the screen last showed progress) to the
//! session's watch channel. It never types into the pane.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Observed;
use crate::screen::{
    DebounceConfig, Debouncer, PaneMeta, ScreenRules, classify, progress_fingerprint,
};
use crate::tmux::{Monitor, PaneId, ScreenEvent};

/// What the pane watcher works with.
pub(super) struct Watch {
    pub monitor: Monitor,
    pub pane: PaneId,
    pub rules: Arc<ScreenRules>,
    pub tx: watch::Sender<Observed>,
    pub turn_ended: Arc<tokio::sync::Notify>,
}

/// How long after a Stop hook an idle frame is still trusted without settling.
const TRUST_AFTER_STOP: Duration = Duration::from_secs(1);

/// Classifies every new frame of the pane and publishes debounced changes.
pub(super) async fn watch_pane(watch: Watch, mut dead: bool, cancel: CancellationToken) {
    let Watch {
        monitor,
        pane,
        rules,
        tx,
        turn_ended,
    } = watch;
    let mut events = monitor.subscribe();
    let mut debouncer = Debouncer::new(DebounceConfig::default());
    let mut seq = 0u64;
    let mut last_progress = Instant::now();
    let classify_now = |dead: bool| {
        let text = monitor.screens().text(pane).unwrap_or_default();
        let meta = PaneMeta {
            dead,
            ..PaneMeta::default()
        };
        (
            classify(&text, Some(&meta), &rules),
            progress_fingerprint(&text, &rules),
        )
    };
    let mut publish = |change: Option<crate::screen::StateChange>,
                       last_progress: Instant,
                       progressed: bool| {
        if let Some(change) = change {
            tracing::trace!(%pane, state = %change.state, screen = %monitor.screens().text(pane).unwrap_or_default(), "state change");
            seq += 1;
            tracing::debug!(%pane, state = %change.state, "CLI state");
            tx.send_replace(Observed {
                classification: change.classification,
                since: Instant::from_std(change.at),
                last_output: last_progress,
                seq,
            });
        } else if progressed {
            tx.send_modify(|o| o.last_output = last_progress);
        }
    };
    let (first, mut fingerprint) = classify_now(dead);
    publish(
        debouncer.feed(first, std::time::Instant::now()),
        last_progress,
        false,
    );
    loop {
        let deadline = debouncer.deadline().map(Instant::from_std);
        tokio::select! {
            () = cancel.cancelled() => break,
            () = async { if let Some(d) = deadline { tokio::time::sleep_until(d).await } else { std::future::pending().await } } => {
                publish(debouncer.poll(std::time::Instant::now()), last_progress, false);
            }
            () = turn_ended.notified() => {
                let change = debouncer.trust_next(std::time::Instant::now(), TRUST_AFTER_STOP);
                publish(change, last_progress, false);
            }
            ev = events.recv() => {
                let relevant = match ev {
                    Ok(ScreenEvent::ScreenChanged { pane: p }) => p == pane,
                    Ok(ScreenEvent::PaneExited { pane: p, .. }) if p == pane => { dead = true; true }
                    Ok(ScreenEvent::ClientReconnected) => true,
                    Ok(_) => false,
                    // Missed events: look at the screen as it is now.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                if relevant {
                    if monitor.screens().is_exited(pane) == Some(true) {
                        dead = true;
                    }
                    let (c, fp) = classify_now(dead);
                    let progressed = fp != fingerprint;
                    if progressed {
                        fingerprint = fp;
                        last_progress = Instant::now();
                    }
                    publish(debouncer.feed(c, std::time::Instant::now()), last_progress, progressed);
                }
            }
        }
    }
}
