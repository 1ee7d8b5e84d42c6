//! The inbox with a real Claude Code CLI: a permission the agent's policy leaves to the
//! owner shows up in `/api/inbox` with the exact command and the screen around it, is
//! answered from there, and the project goes on to complete.

mod common;
mod controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{World, agreeable};
use reqwest::StatusCode;
use serde_json::json;

const RUN: Duration = Duration::from_secs(120);

#[tokio::test]
async fn a_permission_left_to_the_owner_is_answered_from_the_inbox() {
    let Some(w) = World::new("2.1.330", Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let (status, _) = w
        .app
        .put(
            &format!("/api/agents/{}", w.agent_id),
            &w.user.access,
            json!({"permission_policy": {"allow": [], "deny": [], "default": "ask"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let p = w.project("Notes", &[("Write the notes file", "")]).await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    w.anthropic
        .push_turn(Turn::bash("touch inbox-approved.txt").when_user_contains("step 1 only"));

    let (_, empty) = w.app.get("/api/inbox", &w.user.access).await;
    assert_eq!(empty["count"], 0, "{empty}");
    let (status, err) = w
        .app
        .post(
            &format!("/api/inbox/{id}/answer"),
            &w.user.access,
            json!({"text": "yes"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to answer yet: {err}");

    w.start(id).await;
    w.wait_status(id, "needs_help", RUN).await;
    let (status, inbox) = w.app.get("/api/inbox", &w.user.access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(inbox["count"], 1, "{inbox}");
    let item = &inbox["items"][0];
    assert_eq!(item["id"], id);
    assert_eq!(item["kind"], "needs_help");
    assert_eq!(item["project_name"], "Notes");
    assert_eq!(item["url"], format!("/projects/{id}"));
    let question = item["question"].as_str().expect("question");
    assert!(
        question.contains("touch inbox-approved.txt"),
        "the exact command: {question}"
    );
    let screen = item["screen"].as_str().expect("a screen excerpt");
    assert!(
        screen.contains("touch inbox-approved.txt"),
        "the menu is on screen: {screen}"
    );

    // Bad answers are refused before anything reaches the project.
    let answer = format!("/api/inbox/{id}/answer");
    let (status, err) = w
        .app
        .post(&answer, &w.user.access, json!({"text": "  "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, err) = w
        .app
        .post(&answer, &w.user.access, json!({"txt": "yes"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let admin = w.app.admin().await;
    let (status, _) = w
        .app
        .post(&answer, &admin.access, json!({"text": "yes"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another member's item");

    let (status, err) = w
        .app
        .post(&answer, &w.user.access, json!({"text": "yes"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{err}");
    w.wait_status(id, "completed", RUN).await;
    assert!(
        ws.join("inbox-approved.txt").exists(),
        "the approved command ran"
    );
    let logs = w.logs(id).await.join("\n");
    assert!(
        logs.contains("replied: yes"),
        "the same log line as the project page: {logs}"
    );
    assert!(logs.contains("(you allowed it)"), "{logs}");
    let (_, inbox) = w.app.get("/api/inbox", &w.user.access).await;
    assert_eq!(inbox["count"], 0, "answered items leave the inbox: {inbox}");
    w.stop().await;
}
