//! Permissions left to the owner and stalls are notification events of their own: each
//! with its urgency, topic and deep link, a permission with Approve / Deny and an answer
//! token, and each switched off by its own setting.

#[macro_use]
mod support;

use support::common;

use std::time::Duration;

use autocode::controller::wording::{permission_question, stall_line};
use autocode::db::logs::Level;
use autocode::db::projects::ProjectStatus;
use autocode::journal::ProjectEvent;
use autocode::testkit::push_service::{MockPushService, Received, Subscriber};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ARRIVAL: Duration = Duration::from_secs(10);

fn open(received: &Received, sub: &Subscriber) -> Value {
    serde_json::from_slice(&sub.decrypt(&received.body).expect("decrypts")).expect("json")
}

#[tokio::test]
async fn permissions_and_stalls_notify_as_their_own_events() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "helper").await;
    let agent_id = agent["id"].as_i64().expect("id");
    let blog = app.project(&alice, agent_id, "Blog").await["id"]
        .as_i64()
        .expect("id");
    let shop = app.project(&alice, agent_id, "Shop").await["id"]
        .as_i64()
        .expect("id");
    let push = MockPushService::start().await.expect("push service");
    let phone = Subscriber::default();
    let (s, body) = app
        .post(
            "/api/push/subscriptions",
            &alice.access,
            json!({"endpoint": push.endpoint(1), "keys": {"p256dh": phone.p256dh(), "auth": phone.auth()}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (_, settings) = app.get("/api/notifications/settings", &alice.access).await;
    assert_eq!(settings["events"]["permission"], true, "{settings}");
    assert_eq!(settings["events"]["stalled"], true, "{settings}");

    let q = permission_question("Bash `make deploy`");
    app.state.journal.publish(ProjectEvent::Status {
        project_id: blog,
        status: ProjectStatus::NeedsHelp,
        current_step: None,
        question: Some(q.clone()),
    });
    assert!(push.wait_for(1, ARRIVAL).await, "the permission was pushed");
    let msg = &push.received()[0];
    assert_eq!(msg.header("urgency"), Some("high"));
    assert_eq!(
        msg.header("topic"),
        Some(format!("project-{blog}").as_str())
    );
    let payload = open(msg, &phone);
    assert_eq!(payload["event"], "permission", "{payload}");
    assert_eq!(payload["title"], "Blog asks for permission");
    assert_eq!(payload["body"], "Bash `make deploy`");
    assert_eq!(payload["url"], format!("/inbox/{blog}"));
    assert_eq!(
        payload["actions"],
        json!([{"action": "allow", "title": "Approve"}, {"action": "deny", "title": "Deny"}])
    );
    assert!(
        payload["answer"]["token"]
            .as_str()
            .is_some_and(|t| t.len() >= 40)
    );

    // A stall is the supervisor's structured signal; its log line alone pushes nothing.
    app.state
        .journal
        .log(shop, None, Level::Error, &stall_line(300))
        .await
        .expect("log");
    assert!(
        !push.wait_for(2, Duration::from_millis(700)).await,
        "a log line was taken for a stall"
    );
    app.state.journal.publish(ProjectEvent::Stalled {
        project_id: shop,
        secs: 300,
    });
    assert!(push.wait_for(2, ARRIVAL).await, "the stall was pushed");
    let msg = &push.received()[1];
    assert_eq!(msg.header("urgency"), Some("normal"));
    let payload = open(msg, &phone);
    assert_eq!(payload["event"], "stalled", "{payload}");
    assert_eq!(payload["title"], "Shop seems stuck");
    assert_eq!(payload["url"], format!("/projects/{shop}"));
    assert!(payload.get("actions").is_none());

    // Other error lines are not stalls; switched-off events stay silent.
    app.state
        .journal
        .log(
            blog,
            None,
            Level::Error,
            "Claude's model API failed (overloaded): busy",
        )
        .await
        .expect("log");
    assert!(
        !push.wait_for(3, Duration::from_millis(700)).await,
        "an error line that is not a stall was pushed"
    );
    let (s, _) = app
        .put(
            "/api/notifications/settings",
            &alice.access,
            json!({"events": {"permission": false, "stalled": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.state.journal.publish(ProjectEvent::Status {
        project_id: shop,
        status: ProjectStatus::NeedsHelp,
        current_step: None,
        question: Some(q),
    });
    app.state.journal.publish(ProjectEvent::Stalled {
        project_id: blog,
        secs: 300,
    });
    assert!(
        !push.wait_for(3, Duration::from_millis(700)).await,
        "nothing else was pushed: {:?}",
        push.received()
            .iter()
            .skip(2)
            .map(|r| open(r, &phone))
            .collect::<Vec<_>>()
    );
    app.stop().await;
}
