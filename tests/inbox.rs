//! The inbox with a real Claude Code CLI: a permission the agent's policy leaves to the
//! owner shows up in `/api/inbox` with the exact command and the screen around it, and its
//! push carries Approve / Deny with an answer token. The first is approved from the phone's
//! notification (the token), the second from the inbox (`{"option": "allow"}`); both take the
//! project page's message path and the project completes.

#[macro_use]
mod support;

use support::controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::push_service::MockPushService;
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
    w.set_agent(json!({"permission_policy": {"allow": [], "deny": [], "default": "ask"}}))
        .await;
    let push = MockPushService::start().await.expect("push service");
    let phone = w.subscribe_phone(&push).await;
    let p = w
        .project(
            "Notes",
            &[("Write the notes file", ""), ("Write the index", "")],
        )
        .await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    w.anthropic
        .push_turn(Turn::bash("touch inbox-approved.txt").when_user_contains("step 1 only"));
    w.anthropic
        .push_turn(Turn::bash("touch option-approved.txt").when_user_contains("step 2 only"));

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

    // The phone's notification: a permission, urgent, with its buttons and token.
    assert!(push.wait_for(1, RUN).await, "the phone got a push");
    let received = push.received().remove(0);
    assert_eq!(received.header("urgency"), Some("high"));
    let payload: serde_json::Value =
        serde_json::from_slice(&phone.decrypt(&received.body).expect("decrypts")).expect("json");
    assert_eq!(payload["event"], "permission", "{payload}");
    assert_eq!(payload["url"], format!("/inbox/{id}"));
    assert_eq!(payload["body"], "Bash `touch inbox-approved.txt`");
    assert_eq!(payload["actions"][0]["action"], "allow");
    let token = payload["answer"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let action = payload["answer"]["url"].as_str().expect("url").to_owned();
    assert_eq!(action, format!("/api/inbox/{id}/action"));

    // "Approve" on the notification: no session, only the token.
    let (status, err) = w
        .app
        .post(&action, "", json!({"token": token, "option": "allow"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{err}");
    let (status, err) = w
        .app
        .post(&action, "", json!({"token": token, "option": "allow"}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a used token is refused: {err}"
    );

    // The second permission is answered from the inbox with its option.
    let deadline = tokio::time::Instant::now() + RUN;
    let second = loop {
        let (_, inbox) = w.app.get("/api/inbox", &w.user.access).await;
        let item = inbox["items"][0].clone();
        if item["permission"]
            .as_str()
            .is_some_and(|p| p.contains("option-approved"))
        {
            break item;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no second permission: {inbox}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(second["options"], json!(["allow", "deny"]));
    let (status, err) = w
        .app
        .post(&answer, &w.user.access, json!({"option": "allow"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{err}");
    w.wait_status(id, "completed", RUN).await;
    assert!(
        ws.join("inbox-approved.txt").exists() && ws.join("option-approved.txt").exists(),
        "both approved commands ran"
    );
    let logs = w.logs(id).await.join("\n");
    assert_eq!(
        logs.matches("replied: yes").count(),
        2,
        "the same log line as the project page, both ways: {logs}"
    );
    assert_eq!(logs.matches("(you allowed it)").count(), 2, "{logs}");
    let (_, inbox) = w.app.get("/api/inbox", &w.user.access).await;
    assert_eq!(inbox["count"], 0, "answered items leave the inbox: {inbox}");
    w.stop().await;
}
