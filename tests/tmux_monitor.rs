//! Live screens against a real tmux server (own socket): the registry matches
//! `capture-pane`, deaths are reported within a second, a killed control client is
//! replaced and screens resynced, and a restarted monitor re-adopts linked panes.

#[macro_use]
mod support;

use support::tmux_support;

use std::time::{Duration, Instant};

use autocode::tmux::{MONITOR_SESSION, MonitorConfig, PaneId, ScreenEvent};
use tmux_support::{TestTmux, eventually};
use tokio::sync::broadcast;

const WAIT: Duration = Duration::from_secs(5);

async fn next_matching(
    events: &mut broadcast::Receiver<ScreenEvent>,
    timeout: Duration,
    mut want: impl FnMut(&ScreenEvent) -> bool,
) -> Option<ScreenEvent> {
    tokio::time::timeout(timeout, async {
        loop {
            match events.recv().await {
                Ok(event) if want(&event) => return Some(event),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()
}

/// Colours, a wrapped long line, cursor movement and an overwrite: the emulator must end up
/// with exactly what tmux shows.
const DRAWING: &str = r#"printf '\033[31mred\033[0m plain\n'; i=0; while [ $i -lt 30 ]; do printf 'wrap%03d ' $i; i=$((i+1)); done; printf '\n\033[5;10Hplaced\033[3;1Hover\033[Kwritten\n'; printf 'done\n'; exec cat"#;

#[tokio::test]
async fn registry_matches_capture_pane() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let mut spec = t.spec("gina-draw", &["sh", "-c", DRAWING]);
    spec.width = 80;
    spec.height = 24;
    let name = spec.name.clone();
    // Created before adoption: the first screen comes from the adoption capture, later
    // output from the control client.
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&name).await.unwrap();
    let screens = running.monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("done"))
            .await
    );
    t.tmux
        .send_literal(pane.id, "more text via the control client")
        .await
        .unwrap();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("via the control client"))
            .await
    );
    let reference = t.capture(pane.id);
    assert_eq!(screens.rows(pane.id).unwrap(), reference);
    assert_eq!(screens.cursor(pane.id).unwrap(), t.cursor(pane.id));
    let formatted = String::from_utf8(screens.formatted(pane.id).unwrap()).unwrap();
    assert!(formatted.contains("\u{1b}[31mred"), "{formatted:?}");
    running.stop().await;
}

#[tokio::test]
async fn kill_9_is_reported_within_a_second_with_pane_dead() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec(
        "hank-kill",
        &["sh", "-c", "echo; echo 'esc to interrupt'; exec sleep 600"],
    );
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let screens = running.monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("esc to interrupt"))
            .await
    );
    let mut events = running.monitor.subscribe();
    let pid = pane.pid.unwrap();
    let killed = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exited = next_matching(
        &mut events,
        Duration::from_secs(3),
        |e| matches!(e, ScreenEvent::PaneExited { pane: p, .. } if *p == pane.id),
    )
    .await;
    let elapsed = killed.elapsed();
    assert!(exited.is_some(), "no PaneExited");
    assert!(
        elapsed < Duration::from_secs(1),
        "PaneExited after {elapsed:?}"
    );
    let info = t.tmux.pane_info(pane.id).await.unwrap();
    assert!(info.dead);
    assert_eq!(screens.is_exited(pane.id), Some(true));
    // The frozen frame still reads as working; only the metadata tells.
    assert!(screens.text(pane.id).unwrap().contains("esc to interrupt"));

    // A normal exit carries its status.
    let spec = t.spec("hank-exit", &["sh", "-c", "read x; exit 3"]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    t.tmux
        .send_key(pane.id, autocode::tmux::Key::Enter)
        .await
        .unwrap();
    let exited = next_matching(
        &mut events,
        WAIT,
        |e| matches!(e, ScreenEvent::PaneExited { pane: p, .. } if *p == pane.id),
    )
    .await;
    // tmux 3.3a sometimes collects the exit status only after the pty closed and the
    // event went out; the event then says None, never a wrong status, and the pane
    // metadata has it soon after.
    match exited {
        Some(ScreenEvent::PaneExited {
            status: Some(3), ..
        }) => {}
        Some(ScreenEvent::PaneExited { status: None, .. }) => {
            // Under load tmux 3.3a can keep the child unreaped for a long time; the pane
            // is dead all the same. A status, once known, must be the right one.
            let tmux = &t.tmux;
            eventually(WAIT, || async {
                tmux.pane_info(pane.id).await.unwrap().dead_status.is_some()
            })
            .await;
            let info = tmux.pane_info(pane.id).await.unwrap();
            assert!(info.dead, "{info:?}");
            assert!(matches!(info.dead_status, None | Some(3)), "{info:?}");
        }
        other => panic!("unexpected {other:?}"),
    }
    running.stop().await;
}

#[tokio::test]
async fn a_killed_control_client_is_restarted_and_screens_resynced() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("ivy-client", &["cat"]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let monitor = &running.monitor;
    assert!(eventually(WAIT, || async { monitor.control_client_pid().is_some() }).await);
    let old_pid = monitor.control_client_pid().unwrap();
    let mut events = monitor.subscribe();
    // Our own child process, killed by pid.
    let status = std::process::Command::new("kill")
        .args(["-9", &old_pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Output while no client is attached is only recoverable by the resync capture.
    t.tmux
        .send_literal(pane.id, "typed while detached")
        .await
        .unwrap();
    let reconnected =
        next_matching(&mut events, WAIT, |e| *e == ScreenEvent::ClientReconnected).await;
    assert!(reconnected.is_some(), "no ClientReconnected");
    assert_ne!(monitor.control_client_pid(), Some(old_pid));
    let screens = monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("typed while detached"))
            .await,
        "{:?}",
        screens.text(pane.id)
    );
    // And live output flows through the new client.
    t.tmux.send_literal(pane.id, " and after").await.unwrap();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("detached and after"))
            .await
    );
    running.stop().await;
}

#[tokio::test]
async fn a_restarted_monitor_readopts_linked_panes() {
    let t = TestTmux::new();
    let first = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("jack-restart", &["cat"]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    first.monitor.adopt(&spec.name).await.unwrap();
    first.stop().await;
    t.tmux
        .send_literal(pane.id, "between daemons")
        .await
        .unwrap();
    let second = t.monitor(MonitorConfig::default()).await;
    let screens = second.monitor.screens();
    assert!(eventually(WAIT, || async { screens.contains(pane.id) }).await);
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("between daemons"))
            .await
    );
    assert_eq!(screens.panes(), vec![pane.id]);
    assert!(
        !screens.contains(PaneId(0)),
        "the monitor's own placeholder is not a project pane"
    );
    second.stop().await;
}

#[tokio::test]
async fn a_killed_monitor_session_is_recreated_without_losing_panes() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("kim-monitor", &["cat"]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let mut events = running.monitor.subscribe();
    let status = std::process::Command::new("tmux")
        .arg("-S")
        .arg(t.tmux.socket())
        .args(["kill-session", "-t", &format!("={MONITOR_SESSION}")])
        .status()
        .unwrap();
    assert!(status.success());
    let reconnected =
        next_matching(&mut events, WAIT, |e| *e == ScreenEvent::ClientReconnected).await;
    assert!(reconnected.is_some(), "no ClientReconnected");
    t.tmux
        .send_literal(pane.id, "after the restore")
        .await
        .unwrap();
    let screens = running.monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("after the restore"))
            .await,
        "{:?}",
        screens.text(pane.id)
    );
    // The project pane lived on and was never reported gone.
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, ScreenEvent::PaneExited { .. }),
            "{event:?}"
        );
    }
    assert_eq!(screens.is_exited(pane.id), Some(false));
    running.stop().await;
}

#[tokio::test]
async fn adopt_all_picks_up_sessions_created_before_the_monitor() {
    let t = TestTmux::new();
    let a = t
        .tmux
        .create_session(&t.spec("lea-one", &["cat"]))
        .await
        .unwrap();
    let b = t
        .tmux
        .create_session(&t.spec("lea-two", &["cat"]))
        .await
        .unwrap();
    let running = t.monitor(MonitorConfig::default()).await;
    let mut adopted = running.monitor.adopt_all().await.unwrap();
    adopted.sort();
    let mut expected = vec![a.id, b.id];
    expected.sort();
    assert_eq!(adopted, expected);
    assert_eq!(running.monitor.screens().panes(), expected);
    running.stop().await;
}

#[tokio::test]
async fn a_resized_pane_gets_a_resized_screen() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("mia-resize", &["sh", "-c", "seq 1 60; exec cat"]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let screens = running.monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("\n60\n"))
            .await
    );
    let status = std::process::Command::new("tmux")
        .arg("-S")
        .arg(t.tmux.socket())
        .args([
            "resize-window",
            "-t",
            &pane.window.to_string(),
            "-x",
            "100",
            "-y",
            "30",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let size = || {
        screens
            .with_screen(pane.id, |s| s.size())
            .map(|(r, c)| (r.get(), c.get()))
    };
    assert!(
        eventually(WAIT, || async { size() == Some((30, 100)) }).await,
        "{:?}",
        size()
    );
    // After the quiet check the content is tmux's own again.
    assert!(
        eventually(WAIT, || async {
            screens.rows(pane.id).unwrap() == t.capture(pane.id)
        })
        .await,
        "{:?} vs {:?}",
        screens.rows(pane.id),
        t.capture(pane.id)
    );
    running.stop().await;
}
