//! Starting projects with the sandbox: refused cleanly (status and message asserted, nothing
//! half-started) when it cannot be created; the admin sees why; the CLI's version probe runs
//! inside the member's sandbox.

#[macro_use]
mod support;

use support::{common, controller_support};

use std::sync::Arc;
use std::time::Duration;

use autocode::config::FileConfig;
use autocode::testkit::Script;
use controller_support::{VERSIONS, World, agreeable};
use reqwest::StatusCode;
use serde_json::json;

const RUN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn without_bwrap_a_start_is_refused_and_leaves_nothing_behind() {
    let file = FileConfig {
        bwrap: "/nonexistent/bwrap".into(),
        ..FileConfig::default()
    };
    let Some(w) =
        World::new_with(VERSIONS[0], Script::new(vec![]), Arc::new(agreeable), file).await
    else {
        return;
    };
    let p = w.project("No Walls", &[("Anything", "")]).await;
    let id = p["id"].as_i64().expect("id");
    let (status, body) = w
        .app
        .post(
            &format!("/api/projects/{id}/start"),
            &w.user.access,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let error = body["error"].as_str().expect("an error message");
    assert!(error.contains("The sandbox cannot start"), "{error}");
    assert!(
        error.contains("bubblewrap") && error.contains("not installed"),
        "{error}"
    );
    assert!(
        error.contains("sandbox = false"),
        "the way out is named: {error}"
    );

    let p = w.get(id).await;
    assert_ne!(p["status"], "running");
    assert_eq!(p["controller_running"], false);
    let rows: Vec<(String,)> =
        sqlx::query_as("select status from agent_instances where project_id = ?")
            .bind(id)
            .fetch_all(&w.app.state.db)
            .await
            .expect("instances");
    assert!(rows.is_empty(), "no instance row: {rows:?}");
    let has = std::process::Command::new("tmux")
        .arg("-S")
        .arg(w.app.data_dir.join("tmux.sock"))
        .args([
            "has-session",
            "-t",
            p["tmux_session"].as_str().expect("session"),
        ])
        .output()
        .expect("tmux");
    assert!(!has.status.success(), "no tmux session");

    // The admin panel says why; members may not ask.
    let admin = w.app.admin().await;
    let (status, system) = w.app.get("/api/admin/system", &admin.access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(system["sandbox"]["enabled"], true);
    assert_eq!(system["sandbox"]["available"], false);
    assert!(
        system["sandbox"]["problem"]
            .as_str()
            .expect("problem")
            .contains("not installed")
    );
    assert_eq!(
        w.app.get("/api/admin/system", &w.user.access).await.0,
        StatusCode::FORBIDDEN
    );
    w.stop().await;
}

#[tokio::test]
async fn the_admin_sees_a_working_sandbox() {
    let app = common::TestApp::start().await;
    let admin = app.admin().await;
    let (status, system) = app.get("/api/admin/system", &admin.access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        system,
        json!({"sandbox": {"enabled": true, "available": true, "problem": null}})
    );
    app.stop().await;
}

#[tokio::test]
async fn the_version_probe_runs_inside_the_members_sandbox() {
    // The admin registers a stand-in CLI that records what its version probe sees.
    let tools = tempfile::tempdir().expect("tempdir");
    let fake = tools.path().join("fake-claude");
    let mut file = autocode::config::FileConfig::default();
    file.cli_installations.insert(
        "recorder".into(),
        autocode::config::CliInstallation {
            path: fake.clone(),
            profile: "claude-code".into(),
        },
    );
    let Some(w) =
        World::new_with(VERSIONS[0], Script::new(vec![]), Arc::new(agreeable), file).await
    else {
        return;
    };
    let data = w.app.data_dir.display().to_string();
    let seen = w.app.data_dir.join("users/alice/probe.txt");
    // Records what the probe sees, in alice's own tree (the only place it can write).
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then\n  {{ echo uid=$(id -u); cat {data}/master.key || echo no-master-key; env; }} > {} 2>&1\n  echo '2.1.197 (Claude Code)'\nfi\n",
        seen.display()
    );
    std::fs::write(&fake, script).expect("fake CLI");
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let (status, body) = w
        .app
        .put(
            &format!("/api/agents/{}", w.agent_id),
            &w.user.access,
            json!({"cli": {"profile": "claude-code", "command": "recorder"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = w.project("Probe", &[("Anything", "")]).await;
    w.start(p["id"].as_i64().expect("id")).await;
    controller_support::wait_until("the probe ran", RUN, || {
        let seen = seen.clone();
        async move { std::fs::read_to_string(seen).is_ok_and(|t| t.contains("PATH=")) }
    })
    .await;
    let text = std::fs::read_to_string(&seen).expect("probe output");
    assert!(text.starts_with("uid=1000\n"), "{text}");
    assert!(text.contains("no-master-key"), "{text}");
    let key = std::fs::read(w.app.data_dir.join("master.key")).expect("key");
    assert!(!text.contains(&hex::encode(&key)));
    assert!(
        !text.contains("CARGO_MANIFEST_DIR="),
        "the daemon's environment stays out: {text}"
    );
    w.stop().await;
}
