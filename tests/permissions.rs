//! Permissions are judged on the exact tool input the CLI's hook hands over: a command
//! longer than the screen is wide is judged on all of it, not on what the menu shows.

mod common;
mod controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};
use serde_json::json;

const RUN: Duration = Duration::from_secs(120);

async fn long_command_judged_on_its_tail(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    // Everything is allowed but a command that mentions the tail's marker.
    let (status, _) = w
        .app
        .put(
            &format!("/api/agents/{}", w.agent_id),
            &w.user.access,
            json!({"permission_policy": {"allow": ["Bash"], "deny": ["Bash(*tail-marker*)"], "default": "approve"}}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let p = w.project("Long", &[("Long command", "")]).await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    // Wider than the 200-column terminal: the marker is past the first screen line.
    let command = format!("echo {} && touch tail-marker.txt", "x".repeat(260));
    w.anthropic
        .push_turn(Turn::bash(&command).when_user_contains("step 1 only"));
    w.anthropic
        .push_turn(Turn::text("Understood, I will not do that.").when_user_contains("denied"));
    w.start(id).await;
    w.wait_status(id, "completed", RUN).await;
    let logs = w.logs(id).await.join("\n");
    assert!(
        !ws.join("tail-marker.txt").exists(),
        "the denied command never ran: {logs}"
    );
    assert!(
        logs.contains("tail-marker.txt`: the agent's policy denies"),
        "{logs}"
    );
    assert!(!logs.contains("Approved Bash"), "{logs}");
    w.stop().await;
}

#[tokio::test]
async fn long_command_judged_on_its_tail_2_1_197() {
    long_command_judged_on_its_tail(VERSIONS[0]).await;
}

#[tokio::test]
async fn long_command_judged_on_its_tail_2_1_330() {
    long_command_judged_on_its_tail(VERSIONS[1]).await;
}
