//! Web Push end to end: the API, then real deliveries to a local push service that
//! decrypts each message with the subscription's private key (RFC 8291) and checks the
//! VAPID JWT (RFC 8292); last, a real Claude Code CLI whose project needs help.

#[macro_use]
mod support;

use support::{common, controller_support, ws_support};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use autocode::db::projects::ProjectStatus;
use autocode::journal::ProjectEvent;
use autocode::testkit::Script;
use autocode::testkit::mock_llm::MockReply;
use autocode::testkit::push_service::{MockPushService, Received, Subscriber, verify_vapid};
use common::{Session, TestApp, eventually};
use controller_support::{World, agreeable, last_user_text};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ARRIVAL: Duration = Duration::from_secs(10);

async fn subscribe(
    app: &TestApp,
    s: &Session,
    push: &MockPushService,
    n: u32,
) -> (Subscriber, i64) {
    let sub = Subscriber::default();
    let (status, body) = app
        .post(
            "/api/push/subscriptions",
            &s.access,
            json!({"endpoint": push.endpoint(n), "keys": {"p256dh": sub.p256dh(), "auth": sub.auth()}, "device": "phone"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (sub, body["id"].as_i64().expect("id"))
}

/// Decrypts and checks one delivery; returns its payload.
fn open(received: &Received, sub: &Subscriber, push: &MockPushService) -> Value {
    assert_eq!(received.header("content-encoding"), Some("aes128gcm"));
    assert!(received.header("ttl").is_some());
    verify_vapid(
        received.header("authorization").expect("authorization"),
        &push.origin(),
    )
    .expect("a valid VAPID JWT");
    let plain = sub.decrypt(&received.body).expect("decrypts");
    serde_json::from_slice(&plain).expect("JSON payload")
}

fn status(project_id: i64, status: ProjectStatus, question: Option<&str>) -> ProjectEvent {
    ProjectEvent::Status {
        project_id,
        status,
        current_step: None,
        question: question.map(str::to_owned),
    }
}

#[tokio::test]
async fn subscriptions_and_settings_are_checked_and_per_member() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let bob = app.user(&admin, "bob").await;
    let push = MockPushService::start().await.expect("push service");

    let (s, key) = app.get("/api/push/vapid-public-key", &alice.access).await;
    assert_eq!(s, StatusCode::OK);
    let key = key["key"].as_str().expect("key");
    assert_eq!(key.len(), 87, "65 bytes of uncompressed point in base64url");
    let (s, _) = app.get("/api/push/vapid-public-key", "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let sub = Subscriber::default();
    let good_keys = json!({"p256dh": sub.p256dh(), "auth": sub.auth()});
    for (body, field) in [
        (
            json!({"endpoint": "http://push.example/1", "keys": good_keys}),
            "endpoint",
        ),
        (
            json!({"endpoint": "http://10.0.0.1/1", "keys": good_keys}),
            "endpoint",
        ),
        (
            json!({"endpoint": push.endpoint(1), "keys": {"p256dh": "AAAA", "auth": sub.auth()}}),
            "keys.p256dh",
        ),
        (
            json!({"endpoint": push.endpoint(1), "keys": {"p256dh": sub.p256dh(), "auth": "AAAA"}}),
            "keys.auth",
        ),
        (
            json!({"endpoint": push.endpoint(1), "keys": {"p256dh": "!!", "auth": sub.auth()}}),
            "keys.p256dh",
        ),
    ] {
        let (s, err) = app
            .post("/api/push/subscriptions", &alice.access, body)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["detail"]["field"], field, "{err}");
    }
    let (s, err) = app
        .post(
            "/api/push/subscriptions",
            &alice.access,
            json!({"endpoint": push.endpoint(1)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "missing keys: {err}");

    let (s, err) = app.post("/api/push/test", &alice.access, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing subscribed yet: {err}");
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|e| e.contains("no browser is subscribed yet")),
        "said in words: {err}"
    );

    let (s, body) = app
        .post(
            "/api/push/subscriptions",
            &alice.access,
            json!({"endpoint": push.endpoint(1), "keys": good_keys, "expirationTime": null}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().expect("id");
    let (_, list) = app.get("/api/push/subscriptions", &alice.access).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(list[0].get("p256dh").is_none(), "keys are not shown back");
    let (_, list) = app.get("/api/push/subscriptions", &bob.access).await;
    assert_eq!(list, json!([]), "bob sees none of alice's");
    let (s, _) = app
        .delete(&format!("/api/push/subscriptions/{id}"), &bob.access)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The test notification reaches alice's browser, and only hers.
    let (s, body) = app.post("/api/push/test", &alice.access, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    assert!(
        push.wait_for(1, ARRIVAL).await,
        "the test notification arrived"
    );
    let payload = open(&push.received()[0], &sub, &push);
    assert_eq!(payload["event"], "test");
    assert_eq!(payload["body"], "Notifications reach this device.");

    let (_, settings) = app.get("/api/notifications/settings", &alice.access).await;
    assert_eq!(settings["events"]["needs_help"], true);
    let (s, err) = app
        .put(
            "/api/notifications/settings",
            &alice.access,
            json!({"events": {"needs_hlep": true}}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a typo is refused: {err}"
    );
    let (s, _) = app
        .put(
            "/api/notifications/settings",
            &alice.access,
            json!({"events": {"completed": false}, "muted_projects": [3]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, settings) = app.get("/api/notifications/settings", &alice.access).await;
    assert_eq!(settings["events"]["completed"], false);
    assert_eq!(
        settings["events"]["needs_help"], true,
        "unnamed events keep their default"
    );
    assert_eq!(settings["muted_projects"], json!([3]));
    let (_, settings) = app.get("/api/notifications/settings", &bob.access).await;
    assert_eq!(settings["events"]["completed"], true, "bob's are his own");

    let (s, _) = app
        .delete(&format!("/api/push/subscriptions/{id}"), &alice.access)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test]
async fn gone_subscriptions_are_removed_and_the_cooldown_holds() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "helper").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "Blog")
        .await;
    let pid = project["id"].as_i64().expect("id");
    let other = app
        .project(&alice, agent["id"].as_i64().expect("id"), "Shop")
        .await;
    let other = other["id"].as_i64().expect("id");
    let push = MockPushService::start().await.expect("push service");
    let (phone, _) = subscribe(&app, &alice, &push, 1).await;
    let (_old_laptop, laptop_id) = subscribe(&app, &alice, &push, 2).await;
    let journal = &app.state.journal;

    journal.publish(status(pid, ProjectStatus::NeedsHelp, Some("Which colour?")));
    assert!(push.wait_for(2, ARRIVAL).await, "both browsers were tried");
    let phone_msg = push
        .received()
        .into_iter()
        .find(|r| r.path == "/push/1")
        .expect("the phone got it");
    assert_eq!(phone_msg.header("urgency"), Some("high"));
    assert_eq!(
        phone_msg.header("topic"),
        Some(format!("project-{pid}").as_str())
    );
    let payload = open(&phone_msg, &phone, &push);
    assert_eq!(payload["title"], "Blog needs you");
    assert_eq!(payload["body"], "Which colour?");
    assert_eq!(payload["url"], format!("/inbox/{pid}"));
    assert_eq!(payload["event"], "needs_help");

    // Now the laptop's endpoint is gone: 503 is retried, then 410 removes it.
    push.answer_with(2, &[503, 410]);
    let (s, _) = app.post("/api/push/test", &alice.access, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    eventually("the gone subscription is removed", ARRIVAL, || async {
        let (_, list) = app.get("/api/push/subscriptions", &alice.access).await;
        list.as_array()
            .is_some_and(|l| l.iter().all(|s| s["id"] != laptop_id) && l.len() == 1)
    })
    .await;
    let before = push.received().len();

    // A second needs_help within the cooldown is not pushed; the completion after it is.
    journal.publish(status(pid, ProjectStatus::Running, None));
    journal.publish(status(pid, ProjectStatus::NeedsHelp, Some("And the font?")));
    journal.publish(status(pid, ProjectStatus::Completed, None));
    assert!(
        push.wait_for(before + 1, ARRIVAL).await,
        "the completion arrived"
    );
    assert!(
        !push.wait_for(before + 2, Duration::from_millis(500)).await,
        "nothing else arrived"
    );
    let last = push.received().pop().expect("last");
    let payload = open(&last, &phone, &push);
    assert_eq!(payload["event"], "completed");
    assert_eq!(last.header("urgency"), Some("normal"));

    // Muted projects and members watching live get nothing.
    let (s, _) = app
        .put(
            "/api/notifications/settings",
            &alice.access,
            json!({"muted_projects": [pid]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    journal.publish(status(pid, ProjectStatus::Failed, None));
    assert!(
        !push.wait_for(before + 2, Duration::from_millis(500)).await,
        "a muted project does not notify"
    );
    let watching = app.state.ws.watching.watch(alice.user_id, other);
    journal.publish(status(other, ProjectStatus::Failed, None));
    assert!(
        !push.wait_for(before + 2, Duration::from_millis(500)).await,
        "a project its owner watches live does not notify"
    );
    drop(watching);
    journal.publish(status(other, ProjectStatus::Failed, None));
    assert!(
        push.wait_for(before + 2, ARRIVAL).await,
        "once they look away, it does"
    );
    app.stop().await;
}

/// The real CLI asks its question through the supervising LLM's `ask_human`; the phone
/// gets exactly one push for it, and one more when the project completes.
#[tokio::test]
async fn a_project_needing_help_buzzes_the_phone_once() {
    let asked = Arc::new(AtomicBool::new(false));
    let a = asked.clone();
    let llm = Arc::new(move |r: &Value| {
        let text = last_user_text(r);
        if text.contains("Event: turn_finished") && !a.swap(true, Ordering::SeqCst) {
            MockReply::tool(
                "ask_human",
                json!({"question": "Which colour should the button be?"}),
            )
        } else {
            agreeable(r)
        }
    });
    let Some(w) = World::new("2.1.330", Script::new(vec![]), llm).await else {
        return;
    };
    let push = MockPushService::start().await.expect("push service");
    let (phone, _) = subscribe(&w.app, &w.user, &push, 7).await;
    let p = w.project("Colourful", &[("Style the button", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.start(id).await;
    w.wait_status(id, "needs_help", Duration::from_secs(120))
        .await;
    assert!(push.wait_for(1, ARRIVAL).await, "the phone got a push");
    let first = push.received()[0].clone();
    assert_eq!(first.header("urgency"), Some("high"));
    let payload = open(&first, &phone, &push);
    assert_eq!(payload["event"], "needs_help");
    assert_eq!(payload["project_id"], id);
    assert_eq!(payload["title"], "Colourful needs you");
    assert_eq!(payload["body"], "Which colour should the button be?");
    assert_eq!(payload["url"], format!("/inbox/{id}"));

    w.message(id, "Make it teal.").await;
    w.wait_status(id, "completed", Duration::from_secs(120))
        .await;
    assert!(push.wait_for(2, ARRIVAL).await, "the completion was pushed");
    let events: Vec<Value> = push
        .received()
        .iter()
        .map(|r| open(r, &phone, &push)["event"].clone())
        .collect();
    assert_eq!(events, vec![json!("needs_help"), json!("completed")]);
    // The admin's metrics count them (process-wide: other tests here may add theirs).
    let metrics = reqwest::get(format!("{}/api/metrics", w.app.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let sent: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("autocode_push_messages_total{outcome=\"sent\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sent count in:\n{metrics}"));
    assert!(sent >= 2.0, "{metrics}");
    w.stop().await;
}

/// A member reading a project's live log is not buzzed about that project; once the
/// socket closes, they are again.
#[tokio::test]
async fn no_push_while_the_member_watches_the_project_live() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "helper").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "Blog")
        .await;
    let pid = project["id"].as_i64().expect("id");
    let push = MockPushService::start().await.expect("push service");
    let (phone, _) = subscribe(&app, &alice, &push, 1).await;

    let socket = ws_support::connect(
        app.addr,
        &ws_support::logs_path(pid),
        &ws_support::Options::token(&alice.access),
    )
    .await
    .expect("logs socket");
    app.state
        .journal
        .publish(status(pid, ProjectStatus::NeedsHelp, Some("Which colour?")));
    assert!(
        !push.wait_for(1, Duration::from_millis(700)).await,
        "no push while the log is open"
    );
    drop(socket);
    eventually("the view to end", ARRIVAL, || async {
        !app.state.ws.watching.is_watching(alice.user_id, pid)
    })
    .await;
    app.state
        .journal
        .publish(status(pid, ProjectStatus::Completed, None));
    assert!(
        push.wait_for(1, ARRIVAL).await,
        "pushed once nobody watches"
    );
    assert_eq!(
        open(&push.received()[0], &phone, &push)["event"],
        "completed"
    );
    app.stop().await;
}
