//! Permissions are judged on the exact tool input the CLI's hook hands over: a command
//! longer than the screen is wide is judged on all of it, not on what the menu shows.

#[macro_use]
mod support;

use support::controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};
use serde_json::json;

const RUN: Duration = Duration::from_secs(120);

/// A world whose agent has this permission policy (`None`: the release is not installed).
async fn world_with_policy(version: &'static str, policy: serde_json::Value) -> Option<World> {
    let w = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await?;
    w.set_agent(json!({ "permission_policy": policy })).await;
    Some(w)
}

async fn long_command_judged_on_its_tail(version: &'static str) {
    // Everything is allowed but a command that mentions the tail's marker.
    let policy = json!({"allow": ["Bash"], "deny": ["Bash(*tail-marker*)"], "default": "approve"});
    let Some(w) = world_with_policy(version, policy).await else {
        return;
    };
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

/// Claude Code asks permission through its PermissionRequest hook before it draws a menu:
/// what the policy settles is answered there (no menu), what it leaves to the owner still
/// shows the menu and asks them.
async fn permissions_answered_through_the_hook(version: &'static str) {
    let policy = json!({"allow": ["Bash(touch allowed-marker*)"], "deny": ["Bash(*denied-marker*)"], "default": "ask"});
    let Some(w) = world_with_policy(version, policy).await else {
        return;
    };
    let p = w.project("Hooked", &[("Three commands", "")]).await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    w.anthropic
        .push_turn(Turn::bash("touch allowed-marker.txt").when_user_contains("step 1 only"));
    // The turns after a tool result have no user text: they are played in order.
    w.anthropic.push_turn(Turn::bash("touch denied-marker.txt"));
    w.anthropic.push_turn(Turn::bash("touch owner-marker.txt"));
    w.anthropic.push_turn(Turn::text("All three tried."));
    w.start(id).await;
    let asking = w.wait_status(id, "needs_help", RUN).await;
    let logs = w.logs(id).await.join("\n");
    let question = asking["question"].as_str().unwrap_or_default();
    assert!(question.contains("owner-marker.txt"), "{question}\n{logs}");
    assert!(ws.join("allowed-marker.txt").exists(), "{logs}");
    assert!(!ws.join("denied-marker.txt").exists(), "{logs}");
    assert!(
        logs.contains("Approved Bash `touch allowed-marker.txt` before Claude Code asked"),
        "{logs}"
    );
    assert!(
        logs.contains("Denied Bash `touch denied-marker.txt`: ")
            && logs.contains("(Claude was told before it asked)"),
        "{logs}"
    );
    assert!(w.model_was_told("denied by the project's policy"), "{logs}");
    w.message(id, "yes").await;
    w.wait_status(id, "completed", RUN).await;
    let logs = w.logs(id).await.join("\n");
    assert!(ws.join("owner-marker.txt").exists(), "{logs}");
    assert!(
        logs.contains("Approved Bash `touch owner-marker.txt` (you allowed it)"),
        "{logs}"
    );
    w.stop().await;
}

#[tokio::test]
async fn permissions_answered_through_the_hook_2_1_197() {
    permissions_answered_through_the_hook(VERSIONS[0]).await;
}

#[tokio::test]
async fn permissions_answered_through_the_hook_2_1_330() {
    permissions_answered_through_the_hook(VERSIONS[1]).await;
}
