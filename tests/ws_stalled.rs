//! Backpressure on the `/terminal` stream: a viewer that stops reading is skipped and
//! later redrawn, and does not delay another viewer of the same pane.

#[macro_use]
mod support;

use support::{common, ws_support};

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use autocode::tmux::{Key, ScreenEvent};
use common::TestApp;
use ws_support::{
    Frame, Options, bash, connect, connect_small_buffer, fixture, project_pane, render,
    terminal_path,
};

const WAIT: Duration = Duration::from_secs(10);

/// The timestamp of a `mark:N:EPOCHREALTIME` line.
fn mark_time(line: &str) -> Option<f64> {
    line.strip_prefix("mark:")?.split(':').nth(1)?.parse().ok()
}

fn mark_number(line: &str) -> u32 {
    line.strip_prefix("mark:")
        .and_then(|rest| rest.split(':').next()?.parse().ok())
        .expect("mark number")
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_viewer_does_not_delay_another() {
    let f = fixture(TestApp::start().await).await;
    let monitor = f.monitor();
    let pane = project_pane(&f, &bash()).await;
    let path = terminal_path(f.project_id);
    let opts = Options::token(&f.alice.access);

    let mut stalled = connect_small_buffer(f.app.addr, &path, &opts).await;
    stalled.expect_type("snapshot", WAIT).await;
    let mut reader = connect(f.app.addr, &path, &opts).await.expect("connect");
    reader.expect_type("snapshot", WAIT).await;

    // When each mark reached the daemon's emulator: the reader's delay is measured from
    // there, so that a slow tmux or emulator under a loaded test machine does not count.
    let at_monitor = std::sync::Arc::new(std::sync::Mutex::new(HashMap::<u32, f64>::new()));
    let mut events = monitor.subscribe();
    let watcher = tokio::spawn({
        let at_monitor = at_monitor.clone();
        async move {
            loop {
                match events.recv().await {
                    Ok(ScreenEvent::Output { bytes, .. }) => {
                        let now = now_secs();
                        let text = String::from_utf8_lossy(&bytes);
                        let mut marks = at_monitor.lock().expect("lock");
                        for part in text.split("mark:").skip(1) {
                            if let Some(n) = part.split(':').next().and_then(|n| n.parse().ok()) {
                                marks.entry(n).or_insert(now);
                            }
                        }
                        if marks.contains_key(&25) {
                            break;
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        }
    });

    // Enough output to fill the stalled socket and its queue, then timestamped marks.
    let tmux = monitor.tmux();
    tmux.send_literal(
        pane,
        "head -c 3000000 /dev/zero | tr '\\0' x | fold -w 150; sleep 0.5; for i in $(seq 1 25); do echo \"mark:$i:$EPOCHREALTIME\"; sleep 0.05; done",
    )
    .await
    .expect("type");
    tmux.send_key(pane, Key::Enter).await.expect("enter");
    let mut text = String::new();
    let mut delays = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut received = HashMap::<u32, f64>::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // A redraw of this reader (it may fall behind in the flood too) can cut a mark in two.
    while !seen.iter().any(|m| m.starts_with("mark:25:")) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match reader.next(left).await {
            Some(Frame::Bytes(b)) => {
                let now = now_secs();
                text.push_str(&String::from_utf8_lossy(&b));
                while let Some(end) = text.find("\r\n") {
                    let line: String = text.drain(..end + 2).collect();
                    let line = line.trim_end().to_owned();
                    if let Some(at) = mark_time(&line)
                        && !seen.contains(&line)
                    {
                        received.insert(mark_number(&line), now);
                        seen.push(line);
                        delays.push(now - at);
                    }
                }
            }
            Some(Frame::Json(snap)) if snap["type"] == "snapshot" => {
                // A redraw (this reader fell behind too): marks on screen count as received.
                let now = now_secs();
                text.clear();
                let shown = render(50, 200, snap["data"].as_str().expect("data").as_bytes());
                for row in shown.screen().rows(0, 200) {
                    if let Some(at) = mark_time(&row)
                        && !seen.contains(&row)
                    {
                        received.insert(mark_number(&row), now);
                        seen.push(row.clone());
                        delays.push(now - at);
                    }
                }
            }
            Some(Frame::Json(_)) => {}
            other => panic!(
                "reader lost its stream after {} marks: {other:?} {seen:?} {text:?}",
                delays.len()
            ),
        }
    }
    tokio::time::timeout(WAIT, watcher)
        .await
        .expect("the emulator saw every mark")
        .expect("watcher");
    let at_monitor = at_monitor.lock().expect("lock").clone();
    let mut hops: Vec<f64> = received
        .iter()
        .filter_map(|(n, at)| Some(at - at_monitor.get(n)?))
        .collect();
    delays.sort_by(f64::total_cmp);
    hops.sort_by(f64::total_cmp);
    eprintln!(
        "with a stalled viewer: pane -> reader p50 {:.1} ms, max {:.1} ms; emulator -> reader p50 {:.1} ms, max {:.1} ms",
        delays[delays.len() / 2] * 1e3,
        delays[delays.len() - 1] * 1e3,
        hops[hops.len() / 2] * 1e3,
        hops[hops.len() - 1] * 1e3,
    );
    assert!(received.len() >= 23, "marks were lost: {seen:?}");
    assert!(
        hops.len() >= 23,
        "the emulator missed marks: {at_monitor:?}"
    );
    // Generous for a loaded test machine (the benchmark measures the real figure); a
    // reader held up by the stalled one would wait for its 10 s write timeout.
    assert!(hops[hops.len() - 1] < 0.5, "marks were delayed: {hops:?}");
    // The stalled viewer really fell behind (more output than socket buffers hold): once
    // it reads again it is redrawn, or it was closed for not reading at all.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match stalled.next(left).await {
            Some(Frame::Json(m)) if m["type"] == "snapshot" => break,
            Some(Frame::Close(_)) => break,
            None => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the stalled viewer was neither redrawn nor closed"
                );
                break;
            }
            Some(_) => assert!(
                left > Duration::ZERO,
                "the stalled viewer was never redrawn"
            ),
        }
    }
    f.app.stop().await;
}
