//! Starts of one project that race each other (two tabs, a schedule firing, a double tap):
//! exactly one wins, and exactly one instance row and one CLI session exist, also after a
//! daemon restart re-adopts the project. Real tmux, real SQLite, the real Claude Code CLI.

#[macro_use]
mod support;

use support::{common, controller_support};

use std::sync::Arc;
use std::time::Duration;

use autocode::controller::{ControlError, StartMode};
use autocode::testkit::{Script, Turn};
use controller_support::{World, agreeable};
use reqwest::StatusCode;
use serde_json::json;

/// Four starts over HTTP at the same moment: the status codes, in no particular order.
async fn race_http_starts(w: &World, id: i64) -> Vec<StatusCode> {
    let path = format!("/api/projects/{id}/start");
    let start = || w.app.post(&path, &w.user.access, json!({}));
    let (a, b, c, d) = tokio::join!(start(), start(), start(), start());
    vec![a.0, b.0, c.0, d.0]
}

/// Every way the registry starts a loop, at once, on a project that already runs.
async fn race_registry_starts(w: &World, id: i64) {
    let project = autocode::db::projects::get(&w.app.state.db, w.user.user_id, id)
        .await
        .expect("load")
        .expect("project");
    let c = &w.app.controllers;
    let (fresh, restart, adopt) = tokio::join!(
        c.start(&project, StartMode::Fresh),
        c.start(&project, StartMode::Restart),
        c.start(&project, StartMode::Adopt),
    );
    for (mode, result) in [("fresh", fresh), ("restart", restart), ("adopt", adopt)] {
        assert!(
            matches!(result, Err(ControlError::AlreadyRunning)),
            "a {mode} start of a running project: {result:?}"
        );
    }
}

/// (running instance rows, all instance rows) of the project.
async fn instance_rows(w: &World, id: i64) -> (i64, i64) {
    sqlx::query_as(
        "select count(*) filter (where status = 'running'), count(*) from agent_instances where project_id = ?",
    )
    .bind(id)
    .fetch_one(&w.app.state.db)
    .await
    .expect("count instances")
}

/// How many CLIs the daemon's tmux server runs for projects: its panes in sessions named
/// like a project's (`autocode-p<id>`). Names are unique on a server, so a second CLI would
/// be a second window of the project's session or a session under another project name;
/// both count here.
fn project_panes(w: &World, session: &str) -> usize {
    let out = std::process::Command::new("tmux")
        .arg("-S")
        .arg(w.app.data_dir.join("tmux.sock"))
        .args(["list-panes", "-a", "-F", "#{session_name}"])
        .output()
        .expect("tmux list-panes");
    let names = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        names.lines().any(|l| l == session),
        "the project's session runs: {names}"
    );
    names
        .lines()
        .filter(|l| l.starts_with("autocode-p"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_starts_leave_one_instance_and_one_cli_across_a_daemon_restart() {
    let Some(w) = World::new("2.1.330", Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w.project("Raced", &[("Slow step", "")]).await;
    let id = p["id"].as_i64().expect("id");
    let session = p["tmux_session"].as_str().expect("session").to_owned();
    // The step stays busy for the whole test, so the project is running throughout.
    w.anthropic.push_turn(
        Turn::text("Done with the slow step.")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(60)),
    );

    let mut codes = race_http_starts(&w, id).await;
    codes.sort();
    assert_eq!(
        codes,
        [
            StatusCode::OK,
            StatusCode::CONFLICT,
            StatusCode::CONFLICT,
            StatusCode::CONFLICT
        ],
        "exactly one start wins"
    );
    race_registry_starts(&w, id).await;
    w.wait_prompt("step 1 only").await;
    assert_eq!(instance_rows(&w, id).await, (1, 1), "one instance row");
    assert_eq!(project_panes(&w, &session), 1, "one CLI");

    // The database itself refuses a second running row for the project.
    let second =
        autocode::db::instances::start(&w.app.state.db, w.user.user_id, w.agent_id, id).await;
    assert!(
        second
            .as_ref()
            .is_err_and(autocode::db::is_unique_violation),
        "a second running row: {second:?}"
    );

    let w = w.restart_daemon().await;
    w.wait_log(
        id,
        "Re-adopted after a daemon restart",
        Duration::from_secs(30),
    )
    .await;
    let codes = race_http_starts(&w, id).await;
    assert!(
        codes.iter().all(|c| *c == StatusCode::CONFLICT),
        "the re-adopted project is running: {codes:?}"
    );
    race_registry_starts(&w, id).await;
    assert_eq!(
        instance_rows(&w, id).await,
        (1, 1),
        "the adopted instance is the only one"
    );
    assert_eq!(project_panes(&w, &session), 1, "still one CLI");
    assert_eq!(
        w.prompts_containing("step 1 only"),
        1,
        "the step was sent once"
    );
    w.stop().await;
}

/// A project held still while its workspace changes (undoing a step) can be neither started
/// nor stopped meanwhile: both are a 409 saying why; let go, a stop is judged as usual.
#[tokio::test]
async fn a_held_project_refuses_start_and_stop_until_let_go() {
    let app = common::TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "helper").await;
    let p = app
        .project(&alice, agent["id"].as_i64().expect("id"), "Held")
        .await;
    let id = p["id"].as_i64().expect("id");
    let project = autocode::db::projects::get(&app.state.db, alice.user_id, id)
        .await
        .expect("load")
        .expect("project");
    let held = app.state.lifecycle.hold_stopped(&project).expect("hold");
    let path = |what: &str| format!("/api/projects/{id}/{what}");
    let (status, body) = app.post(&path("stop"), &alice.access, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("being changed")),
        "{body}"
    );
    let (status, body) = app.post(&path("start"), &alice.access, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        app.state.lifecycle.hold_stopped(&project).is_err(),
        "one hold at a time"
    );
    drop(held);
    let (_, body) = app.post(&path("stop"), &alice.access, json!({})).await;
    assert_eq!(body["error"], "the project is not running", "{body}");
}
