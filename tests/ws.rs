//! The WebSocket endpoints over a real server and a real client: authentication before
//! the upgrade, limits and keep-alive, and logs resuming without gap or duplicate.

#[macro_use]
mod support;

use support::{common, ws_support};

use std::time::Duration;

use autocode::config::FileConfig;
use autocode::db::logs::Level;
use autocode::journal::ProjectEvent;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use ws_support::{Auth, Frame, Options, connect, connect_small_buffer, fixture, logs_path};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn sockets_are_refused_before_the_upgrade() {
    let file = FileConfig {
        ws_max_sockets_per_user: 2,
        ..FileConfig::default()
    };
    let f = fixture(TestApp::start_with(file).await).await;
    let admin = f.app.admin().await;
    let bob = f.app.user(&admin, "bob").await;
    let addr = f.app.addr;
    let path = logs_path(f.project_id);
    let refused = |opts: Options<'static>| {
        let path = path.clone();
        async move { connect(addr, &path, &opts).await.err() }
    };

    let none = Options {
        auth: Auth::None,
        origin: None,
    };
    assert_eq!(refused(none).await, Some(StatusCode::UNAUTHORIZED));
    assert_eq!(
        refused(Options::token("not.a.token")).await,
        Some(StatusCode::UNAUTHORIZED)
    );
    let bobs = Options::token(Box::leak(bob.access.clone().into_boxed_str()));
    assert_eq!(refused(bobs).await, Some(StatusCode::NOT_FOUND));
    let token: &'static str = Box::leak(f.alice.access.clone().into_boxed_str());
    let foreign = Options {
        auth: Auth::Protocol(token),
        origin: Some("http://evil.example"),
    };
    assert_eq!(refused(foreign).await, Some(StatusCode::FORBIDDEN));

    // The right token from the same origin works, and the subprotocol is echoed.
    let same_origin = format!("http://{addr}");
    let ok = connect(
        addr,
        &path,
        &Options {
            auth: Auth::Protocol(token),
            origin: Some(&same_origin),
        },
    )
    .await
    .expect("owner connects");
    assert_eq!(ok.protocol.as_deref(), Some("autocode.v1"));

    // A ticket works once.
    let (status, body) = f.app.post("/api/ws/ticket", token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ticket: &'static str = Box::leak(body["ticket"].as_str().expect("ticket").into());
    let by_ticket = Options {
        auth: Auth::Ticket(ticket),
        origin: None,
    };
    let second = connect(addr, &path, &by_ticket)
        .await
        .expect("ticket works");
    let again = Options {
        auth: Auth::Ticket(ticket),
        origin: None,
    };
    assert_eq!(refused(again).await, Some(StatusCode::UNAUTHORIZED));

    // Two sockets are open: the per-user cap (2) refuses a third, not bob's first.
    assert_eq!(
        refused(Options::token(token)).await,
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    drop((ok, second));
    common::eventually("a closed socket frees its slot", WAIT, || async {
        f.app.state.ws.sockets.open_for(f.alice.user_id) < 2
    })
    .await;
    connect(addr, &path, &Options::token(token))
        .await
        .expect("a slot is free again");
}

#[tokio::test]
async fn a_ticket_dies_with_its_login_session() {
    let f = fixture(TestApp::start().await).await;
    let (status, body) = f
        .app
        .post("/api/ws/ticket", &f.alice.access, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ticket = body["ticket"].as_str().expect("ticket").to_owned();
    let (status, _) = f
        .app
        .call(
            reqwest::Method::POST,
            "/api/auth/logout",
            Some(&f.alice.access),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let opts = Options {
        auth: Auth::Ticket(&ticket),
        origin: None,
    };
    let refused = connect(f.app.addr, &logs_path(f.project_id), &opts)
        .await
        .err();
    assert_eq!(refused, Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn an_oversized_message_closes_with_a_reason() {
    let file = FileConfig {
        ws_max_message_bytes: 1024,
        ..FileConfig::default()
    };
    let f = fixture(TestApp::start_with(file).await).await;
    let mut ws = connect(
        f.app.addr,
        &logs_path(f.project_id),
        &Options::token(&f.alice.access),
    )
    .await
    .expect("connect");
    ws.send_json(json!({"type": "subscribe", "after": 0, "pad": "x".repeat(4096)}))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next(left).await {
            Some(Frame::Close(Some((code, reason)))) => {
                assert_eq!((code, reason.as_str()), (1009, "message too big"));
                break;
            }
            Some(Frame::Close(None)) | None => panic!("closed without a reason"),
            Some(_) => {}
        }
    }
}

/// Reads `log` messages until `want` entries arrived; returns their ids.
async fn read_logs<S>(ws: &mut ws_support::Client<S>, want: usize) -> Vec<i64>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut ids = Vec::new();
    while ids.len() < want {
        let msg = ws
            .next_json(WAIT)
            .await
            .unwrap_or_else(|| panic!("only {} of {want} entries arrived", ids.len()));
        match msg["type"].as_str() {
            Some("log") => ids.push(msg["entry"]["id"].as_i64().expect("id")),
            Some("status" | "plan") => {}
            other => panic!("unexpected message {other:?}: {msg}"),
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_resume_after_a_disconnect_without_gap_or_duplicate() {
    let f = fixture(TestApp::start().await).await;
    let journal = f.app.state.journal.clone();
    let db = f.app.state.db.clone();
    let path = logs_path(f.project_id);
    let opts = Options::token(&f.alice.access);
    let all = |after| {
        let db = db.clone();
        async move {
            autocode::db::logs::after(&db, f.project_id, after, 10_000)
                .await
                .expect("read logs")
                .into_iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
        }
    };

    let mut ws = connect(f.app.addr, &path, &opts).await.expect("connect");
    ws.send_json(json!({"type": "subscribe", "after": 0})).await;
    let backlog = all(0).await;
    assert!(!backlog.is_empty(), "creating a project journals it");
    assert_eq!(read_logs(&mut ws, backlog.len()).await, backlog);
    for i in 0..3 {
        journal
            .log(f.project_id, None, Level::Info, &format!("live {i}"))
            .await
            .expect("log");
    }
    let seen = read_logs(&mut ws, 3).await;
    let last = *seen.last().expect("ids");
    drop(ws);

    for i in 0..5 {
        journal
            .log(f.project_id, None, Level::Action, &format!("offline {i}"))
            .await
            .expect("log");
    }
    // Entries keep coming while the client resubscribes, so some land on the seam.
    let writer = tokio::spawn({
        let journal = journal.clone();
        async move {
            for i in 0..40 {
                journal
                    .log(f.project_id, None, Level::Info, &format!("racing {i}"))
                    .await
                    .expect("log");
                tokio::task::yield_now().await;
            }
        }
    });
    let mut ws = connect(f.app.addr, &path, &opts).await.expect("reconnect");
    ws.send_json(json!({"type": "subscribe", "after": last}))
        .await;
    let resumed = read_logs(&mut ws, 45).await;
    writer.await.expect("writer");
    assert_eq!(
        resumed,
        all(last).await,
        "every entry after {last}, in order, once"
    );
    assert!(
        ws.next_json(Duration::from_millis(300)).await.is_none(),
        "nothing is sent twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logs_client_that_falls_behind_is_told_to_resubscribe() {
    let f = fixture(TestApp::start().await).await;
    let path = logs_path(f.project_id);
    let mut slow = connect_small_buffer(f.app.addr, &path, &Options::token(&f.alice.access)).await;
    slow.send_json(json!({"type": "subscribe", "after": 0}))
        .await;
    let backlog = autocode::db::logs::after(&f.app.state.db, f.project_id, 0, 100)
        .await
        .expect("logs");
    let last = backlog.last().expect("project creation is journaled").id;
    // The backlog arriving shows the server has subscribed to live events.
    let first = slow.expect_type("log", WAIT).await;
    assert_eq!(first["entry"]["id"], json!(last));
    // More events than the journal channel holds, large enough that the socket stalls.
    let question = "y".repeat(2048);
    for _ in 0..5000 {
        f.app.state.journal.publish(ProjectEvent::Status {
            project_id: f.project_id,
            status: autocode::db::projects::ProjectStatus::Running,
            current_step: None,
            question: Some(question.clone()),
        });
    }
    let notice = slow.expect_type("resubscribe", WAIT).await;
    assert_eq!(notice["after"], json!(last));
    // Subscribing again resumes from the client's last id.
    let id = f
        .app
        .state
        .journal
        .log(f.project_id, None, Level::Info, "after the lag")
        .await
        .expect("log")
        .id;
    slow.send_json(json!({"type": "subscribe", "after": last}))
        .await;
    let entry = slow.expect_type("log", WAIT).await;
    assert_eq!(entry["entry"]["id"], json!(id));
}

/// A pane in the test's tmux server for the project's session, running `command`.
#[tokio::test]
async fn a_silent_client_is_closed_as_idle() {
    let file = FileConfig {
        ws_idle_timeout_secs: 1,
        ws_ping_interval_secs: 1,
        ..FileConfig::default()
    };
    let f = fixture(TestApp::start_with(file).await).await;
    let path = logs_path(f.project_id);
    let opts = Options::token(&f.alice.access);
    let mut silent = connect(f.app.addr, &path, &opts).await.expect("connect");
    let mut alive = connect(f.app.addr, &path, &opts).await.expect("connect");
    // `alive` reads (and so answers pings) throughout; `silent` reads nothing for 3 s.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < deadline {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if let Some(Frame::Close(c)) = alive.next(left).await {
            panic!("a client answering pings was closed: {c:?}");
        }
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match silent.next(left).await {
            Some(Frame::Close(Some((code, reason)))) => {
                assert_eq!((code, reason.as_str()), (1000, "idle timeout"));
                break;
            }
            Some(Frame::Close(None)) | None => panic!("closed without saying why"),
            Some(_) => {}
        }
    }
}
