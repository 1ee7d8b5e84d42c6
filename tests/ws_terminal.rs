//! The `/terminal` stream of a pane on the daemon's own tmux server: the snapshot equals
//! `capture-pane -e`, bytes follow in order, input only after take-over, a placeholder
//! until a pane exists, a redraw when the pane is resized.

#[macro_use]
mod support;

use support::{common, ws_support};

use std::time::Duration;

use autocode::tmux::{Key, Monitor, PaneId};
use common::TestApp;
use serde_json::json;
use ws_support::{
    Options, bash, bytes_until, connect, fixture, project_pane, render, terminal_path,
};

const WAIT: Duration = Duration::from_secs(10);

fn capture(monitor: &Monitor, pane: PaneId, escapes: bool) -> Vec<u8> {
    let mut cmd = std::process::Command::new("tmux");
    cmd.arg("-S")
        .arg(monitor.tmux().socket())
        .args(["capture-pane", "-p"]);
    if escapes {
        cmd.arg("-e");
    }
    cmd.args(["-t", &pane.to_string()]);
    cmd.output().expect("capture-pane").stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminal_snapshot_matches_the_pane_and_bytes_follow_in_order() {
    let f = fixture(TestApp::start().await).await;
    let monitor = f.monitor();
    let pane = project_pane(&f, &bash()).await;
    let path = terminal_path(f.project_id);
    let opts = Options::token(&f.alice.access);

    let mut first = connect(f.app.addr, &path, &opts).await.expect("connect");
    let snap = first.expect_type("snapshot", WAIT).await;
    assert_eq!(
        (&snap["cols"], &snap["rows"], &snap["live"]),
        (&json!(200), &json!(50), &json!(true))
    );
    let control = first.expect_type("control", WAIT).await;
    assert_eq!(
        control,
        json!({"type": "control", "human": false, "by": null})
    );

    // Colours and attributes drawn after the first viewer attached reach the emulator
    // only through the control client's output stream.
    let tmux = monitor.tmux();
    tmux.send_literal(pane, r"printf '\e[31mred\e[0m plain \e[1;44mbold-on-blue\e[0m \e[38;5;208m%s\e[0m\n' orange-$((6*7))")
        .await
        .expect("type");
    tmux.send_key(pane, Key::Enter).await.expect("enter");
    bytes_until(&mut first, "orange-42", WAIT).await;

    let mut second = connect(f.app.addr, &path, &opts).await.expect("connect");
    let snap = second.expect_type("snapshot", WAIT).await;
    let data = snap["data"].as_str().expect("data");
    let shown = render(50, 200, data.as_bytes());
    let plain = String::from_utf8(capture(&monitor, pane, false)).expect("utf8");
    let expected: Vec<&str> = plain.lines().map(str::trim_end).collect();
    let shown_rows: Vec<String> = shown
        .screen()
        .rows(0, 200)
        .map(|r| r.trim_end().to_owned())
        .collect();
    assert_eq!(
        shown_rows[..expected.len()],
        expected[..],
        "snapshot text equals capture-pane"
    );
    // Cell by cell, colours and attributes equal `capture-pane -e` rendered the same way.
    let escaped = capture(&monitor, pane, true);
    let lines: Vec<&[u8]> = escaped.split(|&b| b == b'\n').take(50).collect();
    let reference = render(50, 200, &lines.join(&b"\r\n"[..]));
    let mut coloured = 0;
    for row in 0..50 {
        for col in 0..200 {
            let (a, b) = (
                shown.screen().cell(row, col),
                reference.screen().cell(row, col),
            );
            let (a, b) = (a.expect("cell"), b.expect("cell"));
            // An erased cell and a written space look alike; vt100 tells them apart.
            let text = |c: &vt100::Cell| {
                let s = c.contents();
                if s.is_empty() {
                    " ".to_owned()
                } else {
                    s.to_owned()
                }
            };
            assert_eq!(
                (text(a), a.fgcolor(), a.bgcolor(), a.bold()),
                (text(b), b.fgcolor(), b.bgcolor(), b.bold()),
                "cell {row},{col}"
            );
            coloured += usize::from(a.fgcolor() != vt100::Color::Default);
        }
    }
    assert!(
        coloured >= "redorange-42".len(),
        "the colours made it into the snapshot"
    );
    assert_eq!(
        shown.screen().cursor_position(),
        monitor.screens().cursor(pane).expect("cursor")
    );

    // Bytes after the snapshot arrive complete and in order.
    tmux.send_literal(pane, "for i in $(seq 1 400); do echo n:$i; done")
        .await
        .expect("type");
    tmux.send_key(pane, Key::Enter).await.expect("enter");
    let out = bytes_until(&mut second, "n:400\r\n", WAIT).await;
    let numbers: Vec<u32> = String::from_utf8_lossy(&out)
        .split("\r\n")
        // bash writes `ESC[?2004l CR` before running a command line.
        .filter_map(|l| l.rsplit('\r').next()?.strip_prefix("n:")?.parse().ok())
        .collect();
    assert_eq!(numbers, (1..=400).collect::<Vec<_>>());
    // The client's screen, built from snapshot plus bytes, is the pane's screen.
    let mut client = render(50, 200, data.as_bytes());
    client.process(&out);
    let rows: Vec<String> = client
        .screen()
        .rows(0, 200)
        .map(|r| r.trim_end().to_owned())
        .collect();
    common::eventually("the client's screen to equal the pane", WAIT, || async {
        let plain = String::from_utf8(capture(&monitor, pane, false)).expect("utf8");
        plain.lines().map(str::trim_end).collect::<Vec<_>>() == rows[..plain.lines().count()]
    })
    .await;
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_reaches_the_pane_only_after_take_over() {
    let f = fixture(TestApp::start().await).await;
    let monitor = f.monitor();
    let pane = project_pane(&f, &bash()).await;
    let opts = Options::token(&f.alice.access);
    let mut ws = connect(f.app.addr, &terminal_path(f.project_id), &opts)
        .await
        .expect("connect");
    ws.expect_type("snapshot", WAIT).await;
    ws.expect_type("control", WAIT).await;

    ws.send_json(json!({"type": "input", "data": "echo refused-$((1+1))\r"}))
        .await;
    let refusal = ws.expect_type("error", WAIT).await;
    assert!(
        refusal["message"]
            .as_str()
            .expect("message")
            .contains("read-only"),
        "{refusal}"
    );
    assert!(
        !f.app
            .state
            .lifecycle
            .human()
            .is_human_in_control(f.project_id)
    );

    ws.send_json(json!({"type": "take_over"})).await;
    let control = ws.expect_type("control", WAIT).await;
    assert_eq!(
        control,
        json!({"type": "control", "human": true, "by": "alice"})
    );
    assert!(
        f.app
            .state
            .lifecycle
            .human()
            .is_human_in_control(f.project_id),
        "the controller sees it"
    );

    ws.send_json(json!({"type": "input", "data": "echo took-$((40+2))"}))
        .await;
    ws.send_json(json!({"type": "key", "key": "Enter"})).await;
    let out = bytes_until(&mut ws, "took-42\r\n", WAIT).await;
    let screen = monitor.screens().text(pane).expect("screen");
    assert!(screen.contains("took-42"), "{screen}");
    assert!(!screen.contains("refused") && !String::from_utf8_lossy(&out).contains("refused"));

    ws.send_json(json!({"type": "release"})).await;
    let control = ws.expect_type("control", WAIT).await;
    assert_eq!(control["human"], json!(false));
    ws.send_json(json!({"type": "key", "key": "Enter"})).await;
    ws.expect_type("error", WAIT).await;

    // Who did what is in the project's journal, without the typed text.
    let entries = autocode::db::logs::after(&f.app.state.db, f.project_id, 0, 1000)
        .await
        .expect("logs");
    let messages: Vec<&str> = entries.iter().map(|e| e.message.as_str()).collect();
    for wanted in [
        "alice took over the terminal",
        "alice typed 19 characters into the terminal",
        "alice pressed Enter in the terminal",
        "alice released the terminal",
    ] {
        assert!(
            messages.contains(&wanted),
            "{wanted:?} missing from {messages:#?}"
        );
    }
    assert!(
        !messages.iter().any(|m| m.contains("took-")),
        "typed text is not journaled"
    );
    f.app.stop().await;
}

#[tokio::test]
async fn a_project_without_a_pane_shows_a_placeholder() {
    let f = fixture(TestApp::start().await).await;
    let mut ws = connect(
        f.app.addr,
        &terminal_path(f.project_id),
        &Options::token(&f.alice.access),
    )
    .await
    .expect("connect");
    let snap = ws.expect_type("snapshot", WAIT).await;
    assert_eq!(snap["live"], json!(false));
    assert!(
        snap["data"]
            .as_str()
            .expect("data")
            .contains("No terminal is running")
    );
    // The pane appears later: the viewer switches to it without reconnecting.
    let _pane = project_pane(
        &f,
        &[
            "bash",
            "--norc",
            "--noprofile",
            "-c",
            "echo started-$((2*21)); exec cat",
        ],
    )
    .await;
    let snap = ws.expect_type("snapshot", WAIT).await;
    assert_eq!(snap["live"], json!(true));
    let shown = render(50, 200, snap["data"].as_str().expect("data").as_bytes());
    let text = shown.screen().contents();
    if !text.contains("started-42") {
        bytes_until(&mut ws, "started-42", WAIT).await;
    }
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resized_pane_is_redrawn_at_its_new_size() {
    let f = fixture(TestApp::start().await).await;
    let monitor = f.monitor();
    let pane = project_pane(&f, &bash()).await;
    let mut ws = connect(
        f.app.addr,
        &terminal_path(f.project_id),
        &Options::token(&f.alice.access),
    )
    .await
    .expect("connect");
    let snap = ws.expect_type("snapshot", WAIT).await;
    assert_eq!((&snap["cols"], &snap["rows"]), (&json!(200), &json!(50)));
    let status = std::process::Command::new("tmux")
        .arg("-S")
        .arg(monitor.tmux().socket())
        .args([
            "resize-window",
            "-t",
            &pane.to_string(),
            "-x",
            "120",
            "-y",
            "40",
        ])
        .status()
        .expect("resize-window");
    assert!(status.success());
    // The monitor resyncs the screen from tmux; the viewer gets a snapshot of the new size
    // (the browser refits its terminal from it) without reconnecting.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let snap = ws.expect_type("snapshot", left).await;
        if (&snap["cols"], &snap["rows"]) == (&json!(120), &json!(40)) {
            break;
        }
    }
    f.app.stop().await;
}
