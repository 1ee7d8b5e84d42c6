//! ntfy and Telegram channels against local HTTP servers: set up through the API (bad
//! input refused field by field, the bot token sealed and never shown), then a project
//! that needs help reaches both with its title, question and link.

#[macro_use]
mod support;

use support::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocode::config::FileConfig;
use autocode::db::projects::ProjectStatus;
use autocode::journal::ProjectEvent;
use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use common::{TestApp, eventually};
use reqwest::StatusCode;
use serde_json::json;

type Seen = Arc<Mutex<Vec<(String, HeaderMap, Vec<u8>)>>>;

/// Records every POST it gets and answers 200.
async fn recorder() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let s = s.clone();
        async move {
            s.lock()
                .expect("lock")
                .push((uri.path().to_owned(), headers, body.to_vec()));
            axum::Json(json!({"ok": true}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

const TOKEN: &str = "123456789:AAH-very-secret-bot-token-0123456789";

#[tokio::test]
async fn a_project_needing_help_reaches_ntfy_and_telegram() {
    let (ntfy, ntfy_seen) = recorder().await;
    let (telegram, telegram_seen) = recorder().await;
    let app = TestApp::start_with(FileConfig {
        telegram_api_base: telegram,
        public_url: Some("https://code.example.org".into()),
        ..FileConfig::default()
    })
    .await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "helper").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "Blog")
        .await;
    let pid = project["id"].as_i64().expect("id");

    let ntfy_path = "/api/notifications/channels/ntfy";
    let telegram_path = "/api/notifications/channels/telegram";
    for (path, body, field) in [
        (
            ntfy_path,
            json!({"url": "http://ntfy.example/topic"}),
            "url",
        ),
        (ntfy_path, json!({"url": "not a url"}), "url"),
        (
            telegram_path,
            json!({"bot_token": "https://evil/x", "chat_id": "42"}),
            "bot_token",
        ),
        (
            telegram_path,
            json!({"bot_token": TOKEN, "chat_id": "42/../x"}),
            "chat_id",
        ),
    ] {
        let (s, err) = app.put(path, &alice.access, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["detail"]["field"], field, "{err}");
    }
    let (s, err) = app
        .put(telegram_path, &alice.access, json!({"bot_token": TOKEN}))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing chat_id: {err}"
    );

    let (s, _) = app
        .put(
            ntfy_path,
            &alice.access,
            json!({"url": format!("{ntfy}/alice-topic")}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .put(
            telegram_path,
            &alice.access,
            json!({"bot_token": TOKEN, "chat_id": "-1001234"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = app.get("/api/notifications/channels", &alice.access).await;
    assert_eq!(list[1]["kind"], "telegram", "{list}");
    assert_eq!(list[1]["token_last4"], "6789");
    assert!(
        !list.to_string().contains("very-secret"),
        "the token is never shown: {list}"
    );
    let stored: Vec<u8> =
        sqlx::query_scalar("select secret from notify_channels where kind = 'telegram'")
            .fetch_one(&app.state.db)
            .await
            .expect("row");
    assert!(
        !String::from_utf8_lossy(&stored).contains("very-secret"),
        "sealed at rest"
    );
    let (_, bobs) = app
        .get(
            "/api/notifications/channels",
            &app.user(&admin, "bob").await.access,
        )
        .await;
    assert_eq!(bobs, json!([]), "per member");

    app.state.journal.publish(ProjectEvent::Status {
        project_id: pid,
        status: ProjectStatus::NeedsHelp,
        current_step: None,
        question: Some("Which colour?".into()),
    });
    eventually("both channels got it", Duration::from_secs(10), || async {
        !ntfy_seen.lock().expect("lock").is_empty()
            && !telegram_seen.lock().expect("lock").is_empty()
    })
    .await;

    let (path, headers, body) = ntfy_seen.lock().expect("lock")[0].clone();
    assert_eq!(path, "/alice-topic");
    assert_eq!(headers["title"], "Blog needs you");
    assert_eq!(headers["priority"], "high");
    assert_eq!(
        headers["click"],
        format!("https://code.example.org/inbox/{pid}").as_str()
    );
    assert_eq!(body, b"Which colour?");

    let (path, _, body) = telegram_seen.lock().expect("lock")[0].clone();
    assert_eq!(path, format!("/bot{TOKEN}/sendMessage"));
    let sent: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(sent["chat_id"], "-1001234");
    assert_eq!(
        sent["text"],
        format!("Blog needs you\nWhich colour?\nhttps://code.example.org/inbox/{pid}")
    );

    // The test notification goes to the channels too, even with no browser subscribed.
    let (s, body) = app.post("/api/push/test", &alice.access, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["queued"], 2);
    eventually("the test reached ntfy", Duration::from_secs(10), || async {
        ntfy_seen.lock().expect("lock").len() == 2
    })
    .await;

    let (s, _) = app.delete(telegram_path, &alice.access).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.delete(telegram_path, &alice.access).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}
