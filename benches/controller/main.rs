//! Controller benchmark (prints figures; not a test). Run: `cargo bench --bench controller`.
//! Options (after `--`): `--runs N` (5 fast projects), `--slow-runs N` (2), `--steps N` (10),
//! `--slow-ms N` (4000), `--gaps` (prints each boundary's instants, in ms after its turn
//! finished). Needs Claude Code 2.1.197 from `scripts/install-test-tools.sh`
//! (`AUTOCODE_TEST_TOOLS` points elsewhere).
//!
//! The world is the one of the controller tests (tests/support/controller_support): the real
//! daemon with its own tmux server, the real CLI against the mock Anthropic API, the mock
//! supervising LLM calling every finished turn done. Each project has N steps whose turns
//! are one plain text reply; in "slow" projects every even step's reply comes after
//! `--slow-ms`. Reported per project: turn finished → next step sent (p50/p99) and how it
//! splits, supervising-LLM calls and tokens per completed step, and calls made while the
//! CLI was working.

mod marks;
mod report;
mod screen_log;
#[path = "../../tests/support/mod.rs"]
mod support;
mod timeline;

use std::sync::Arc;
use std::time::{Duration, Instant};

use autocode::testkit::mock_llm::MockReply;
use autocode::testkit::{Script, Turn};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use report::RunFigures;
use screen_log::ScreenLog;
use support::controller_support::{World, agreeable};

const VERSION: &str = "2.1.197";

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(default)
}

/// The supervisor of the controller tests, reporting as prompt tokens an estimate of what
/// it was sent (4 characters a token) so that the project's cost reflects request sizes.
fn supervisor(request: &Value) -> MockReply {
    let sent = request["messages"].to_string().len() + request["tools"].to_string().len();
    agreeable(request).with_usage(sent.div_ceil(4) as u64, 40)
}

fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: a benchmark is
    // not a test, so it only runs under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("the controller benchmark runs with `cargo bench --bench controller`");
        return;
    }
    let marks = marks::Marks::install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(marks));
}

async fn bench(marks: marks::Marks) {
    let runs = arg("--runs", 5) as usize;
    let slow_runs = arg("--slow-runs", 2) as usize;
    let steps = arg("--steps", 10) as usize;
    let slow = Duration::from_millis(arg("--slow-ms", 4000));
    let world = World::new(VERSION, Script::new(vec![]), Arc::new(supervisor))
        .await
        .expect("Claude Code 2.1.197 is not installed: run scripts/install-test-tools.sh");
    let rules = autocode::profile::Profile::claude_code()
        .expect("profile")
        .screen_rules(Some(VERSION))
        .expect("rules");
    let cancel = CancellationToken::new();
    let screen = ScreenLog::start(
        world.app.controllers.deps().monitor.clone(),
        rules,
        cancel.clone(),
    );
    println!("Claude Code {VERSION}, {steps} steps a project, slow turns {slow:?}");
    let mut fast = Vec::new();
    let mut slow_figures = Vec::new();
    for i in 0..runs + slow_runs {
        let is_slow = i >= runs;
        let figures = run_project(&world, &screen, &marks, i, steps, is_slow.then_some(slow)).await;
        figures.print();
        if is_slow {
            slow_figures.push(figures);
        } else {
            fast.push(figures);
        }
    }
    report::summary(&fast, &slow_figures);
    cancel.cancel();
    let server = tmux_server_pid(&world.app.data_dir.join("tmux.sock"));
    world.stop().await;
    // The data dir (and the socket in it) goes with the world, so the server is checked by
    // pid; it exits shortly after `kill-server` returns.
    let Some(pid) = server else {
        println!("tmux server pid unknown");
        return;
    };
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while proc_dir.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if proc_dir.exists() {
        println!("tmux server {pid} is still running");
    } else {
        println!("tmux server {pid} stopped");
    }
}

fn tmux_server_pid(sock: &std::path::Path) -> Option<u32> {
    let out = std::process::Command::new("tmux")
        .arg("-S")
        .arg(sock)
        .args(["display-message", "-p", "#{pid}"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Runs one project to completion and measures it.
async fn run_project(
    w: &World,
    screen: &ScreenLog,
    marks: &marks::Marks,
    index: usize,
    steps: usize,
    slow: Option<Duration>,
) -> RunFigures {
    let titles: Vec<(String, String)> = (1..=steps)
        .map(|k| {
            (
                format!("Step {k}"),
                format!("Reply with one sentence (step {k})."),
            )
        })
        .collect();
    let plan: Vec<(&str, &str)> = titles
        .iter()
        .map(|(t, d)| (t.as_str(), d.as_str()))
        .collect();
    if let Some(delay) = slow {
        for k in (2..=steps).step_by(2) {
            w.anthropic.push_turn(
                Turn::text(format!("Step {k} is done, after some thought."))
                    .when_user_contains(format!("step {k} only:"))
                    .delay(delay),
            );
        }
    }
    let name = format!("{}-{index}", if slow.is_some() { "slow" } else { "fast" });
    let project = w.project(&name, &plan).await;
    let id = project["id"].as_i64().expect("project id");
    let start = Instant::now();
    w.start(id).await;
    let done = w
        .wait_status(id, "completed", Duration::from_secs(60 + 10 * steps as u64))
        .await;
    let ended = Instant::now();
    let requests = w.anthropic.requests();
    let llm: Vec<_> = w
        .llm
        .requests()
        .into_iter()
        .filter(|r| r.received_at >= start && r.received_at <= ended)
        .collect();
    let gaps = timeline::gaps(&requests, &llm, screen, marks, steps, start);
    let working = timeline::working_spans(&requests, steps, start);
    if std::env::args().any(|a| a == "--gaps") {
        for g in &gaps {
            let ms = |a: Option<Instant>| {
                a.map(|a| format!("{:.0}", (a - g.finished).as_secs_f64() * 1e3))
                    .unwrap_or("-".into())
            };
            println!(
                "gap: idle {} stop {} llm {} ans {} typed {} enter {} sent {}",
                ms(g.idle_drawn),
                ms(g.stop_hook),
                ms(g.llm_received),
                ms(g.llm_answered),
                ms(g.typed),
                ms(g.enter),
                ms(Some(g.sent))
            );
        }
    }
    RunFigures::new(name, steps, &gaps, &llm, &working, &done["cost"])
}
