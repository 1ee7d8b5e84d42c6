//! Walls between members' projects at run time: tmux sessions named after the project id
//! (`ann-marie`/`blog` and `ann`/`marie blog` no longer share one, and each terminal shows
//! its own pane), and the per-member limit of running projects. The CLI is a registered
//! stand-in that prints where it runs and then waits: these points need no model.

#[macro_use]
mod support;

use support::{common, ws_support};

use std::time::Duration;

use autocode::config::{CliInstallation, FileConfig};
use common::{Session, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use ws_support::{Frame, Options, connect, terminal_path};

const WAIT: Duration = Duration::from_secs(15);

/// Answers the version probe like Claude Code, then shows its directory and waits.
const STAND_IN: &str = r#"#!/bin/sh
case "$1" in --version) echo "2.1.330 (Claude Code)"; exit 0;; esac
echo "stand-in CLI in $PWD"
exec sleep 600
"#;

/// An app whose only registered CLI is the stand-in; the temp dir holding it is returned
/// to be kept alive for the test.
async fn app_with_stand_in() -> (TestApp, tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("claude");
    std::fs::write(&path, STAND_IN).expect("write stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut file = FileConfig::default();
    file.cli_installations.insert(
        "stand-in".into(),
        CliInstallation {
            path,
            profile: "claude-code".into(),
        },
    );
    (TestApp::start_with(file).await, dir)
}

async fn stand_in_agent(app: &TestApp, s: &Session) -> i64 {
    let (status, agent) = app
        .post(
            "/api/agents",
            &s.access,
            json!({"name": "helper", "model": "m", "cli": {"command": "stand-in"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    agent["id"].as_i64().expect("id")
}

async fn start(app: &TestApp, s: &Session, id: i64) -> (StatusCode, Value) {
    app.post(&format!("/api/projects/{id}/start"), &s.access, json!({}))
        .await
}

/// What the project's terminal shows (its latest snapshot and the output after it) once
/// `mine` appears.
async fn terminal_text(app: &TestApp, s: &Session, id: i64, mine: &str) -> String {
    let opts = Options::token(&s.access);
    let mut ws = connect(app.addr, &terminal_path(id), &opts)
        .await
        .expect("connect");
    let snap = ws.expect_type("snapshot", WAIT).await;
    let mut text = snap["data"].as_str().unwrap_or_default().to_owned();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !text.contains(mine) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next(left).await {
            Some(Frame::Bytes(b)) => text.push_str(&String::from_utf8_lossy(&b)),
            // The placeholder until the pane exists, then the pane's own snapshot.
            Some(Frame::Json(j)) if j["type"] == "snapshot" => {
                text = j["data"].as_str().unwrap_or_default().to_owned();
            }
            Some(Frame::Json(_)) => {}
            other => panic!("no {mine:?} in the terminal ({other:?}): {text}"),
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_names_get_their_own_sessions_and_terminals() {
    let (app, _cli) = app_with_stand_in().await;
    let admin = app.admin().await;
    let ann_marie = app.user(&admin, "ann-marie").await;
    let ann = app.user(&admin, "ann").await;
    let blog = app
        .project(&ann_marie, stand_in_agent(&app, &ann_marie).await, "blog")
        .await;
    let marie_blog = app
        .project(&ann, stand_in_agent(&app, &ann).await, "marie blog")
        .await;
    let (blog_id, marie_id) = (
        blog["id"].as_i64().expect("id"),
        marie_blog["id"].as_i64().expect("id"),
    );
    assert_eq!(blog["tmux_session"], format!("autocode-p{blog_id}"));
    assert_eq!(marie_blog["tmux_session"], format!("autocode-p{marie_id}"));

    for (s, id) in [(&ann_marie, blog_id), (&ann, marie_id)] {
        let (status, body) = start(&app, s, id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let blog_marker = "users/ann-marie/projects/blog";
    let marie_marker = "users/ann/projects/marie-blog";
    let shown = terminal_text(&app, &ann_marie, blog_id, blog_marker).await;
    assert!(
        !shown.contains(marie_marker),
        "ann-marie sees ann's pane: {shown}"
    );
    let shown = terminal_text(&app, &ann, marie_id, marie_marker).await;
    assert!(
        !shown.contains(blog_marker),
        "ann sees ann-marie's pane: {shown}"
    );
    // Starting the second did not end the first.
    assert!(app.controllers.is_running(blog_id) && app.controllers.is_running(marie_id));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_runs_at_most_three_projects_at_once() {
    let (app, _cli) = app_with_stand_in().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let bob = app.user(&admin, "bob").await;
    let agent = stand_in_agent(&app, &alice).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let p = app.project(&alice, agent, &format!("p{n}")).await;
        ids.push(p["id"].as_i64().expect("id"));
    }
    for id in &ids[..2] {
        let (status, body) = start(&app, &alice, *id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Two starts racing for the last place: exactly one gets it.
    let (a, b) = tokio::join!(start(&app, &alice, ids[2]), start(&app, &alice, ids[3]));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let (refused_id, ok_id) = if a.0 == StatusCode::OK {
        (ids[3], ids[2])
    } else {
        (ids[2], ids[3])
    };

    let (status, err) = start(&app, &alice, ids[4]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    let message = err["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("you already have 3 projects running") && message.contains("stop one"),
        "{err}"
    );
    assert!(!app.controllers.is_running(ids[4]));

    // Another member's projects are not counted against alice.
    let bobs = app
        .project(&bob, stand_in_agent(&app, &bob).await, "b")
        .await;
    let (status, body) = start(&app, &bob, bobs["id"].as_i64().expect("id")).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Stopping one frees its place.
    let (status, body) = app
        .post(
            &format!("/api/projects/{ok_id}/stop"),
            &alice.access,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = start(&app, &alice, refused_id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_starts_of_one_project_leave_one_running_instance() {
    let (app, _cli) = app_with_stand_in().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = stand_in_agent(&app, &alice).await;
    let p = app.project(&alice, agent, "twice").await;
    let id = p["id"].as_i64().expect("id");
    // The loser must be refused before it records an instance: a second `running` row
    // would be re-adopted by the next boot as a project nobody started.
    let (a, b, c) = tokio::join!(
        start(&app, &alice, id),
        start(&app, &alice, id),
        start(&app, &alice, id)
    );
    let mut statuses = [a.0, b.0, c.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT, StatusCode::CONFLICT],
        "{a:?} {b:?} {c:?}"
    );
    let rows: Vec<String> =
        sqlx::query_scalar("select status from agent_instances where project_id = ?")
            .bind(id)
            .fetch_all(&app.state.db)
            .await
            .expect("instances");
    assert_eq!(rows, ["running"], "one instance for one running loop");
    assert!(app.controllers.is_running(id));
    app.stop().await;
}
