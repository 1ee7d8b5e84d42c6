//! A stalled project in the inbox, with a real Claude Code CLI: the model never answers, so
//! after the stall time the supervisor interrupts Claude and (here) decides to wait. The
//! project shows up in `/api/inbox` and on the live stream as a stalled item with the end of
//! its terminal, the phone hears of it, and the owner's words reach the model through the
//! project page's own message path; the item leaves. Stalled again, "restart" restarts the
//! CLI the way the project page does, and the project goes on to complete.

#[macro_use]
mod support;

use support::{controller_support, ws_support};

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::mock_llm::MockReply;
use autocode::testkit::push_service::MockPushService;
use autocode::testkit::{Script, Turn};
use controller_support::{World, agreeable, last_user_text};
use reqwest::StatusCode;
use serde_json::{Value, json};
use ws_support::{Options, connect};

const RUN: Duration = Duration::from_secs(120);
/// Longer than the test: the stall stays until the owner acts.
const LONG: Duration = Duration::from_secs(300);

/// A supervisor that waits out a stall (the owner is to decide) and is agreeable otherwise.
fn waits_on_stalls(request: &Value) -> MockReply {
    if last_user_text(request).contains("Event: stall") {
        MockReply::tool("wait", json!({"seconds": 600}))
    } else {
        agreeable(request)
    }
}

/// The stalled item of project `id` in an inbox, if it has one.
fn stalled_item(inbox: &Value, id: i64) -> Option<Value> {
    inbox["items"]
        .as_array()?
        .iter()
        .find(|i| i["id"] == id && i["kind"] == "stalled")
        .cloned()
}

/// Reads the live inbox stream until `want` holds for an inbox it sent.
async fn stream_until(
    ws: &mut ws_support::TcpClient,
    what: &str,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + RUN;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(!left.is_zero(), "the inbox stream never showed {what}");
        let Some(msg) = ws.next_json(left).await else {
            panic!("the inbox stream ended before it showed {what}");
        };
        if msg["type"] == "inbox" && want(&msg) {
            return msg;
        }
    }
}

#[tokio::test]
async fn a_stalled_project_is_answered_from_the_inbox() {
    let Some(w) = World::new("2.1.330", Script::new(vec![]), Arc::new(waits_on_stalls)).await
    else {
        return;
    };
    w.set_agent(json!({"stall_timeout_s": 10})).await;
    let push = MockPushService::start().await.expect("push service");
    let phone = w.subscribe_phone(&push).await;
    let p = w.project("Stuck", &[("Hang", "")]).await;
    let id = p["id"].as_i64().expect("id");
    // Only the spinner moves: the step's answer, and then the answer to the owner's words,
    // come too late. The step sent again after the restart is answered at once.
    w.anthropic.push_turn(
        Turn::text("too late")
            .when_user_contains("step 1 only")
            .delay(LONG),
    );
    w.anthropic.push_turn(
        Turn::text("still too late")
            .when_user_contains("Skip the slow part")
            .delay(LONG),
    );
    w.anthropic
        .push_turn(Turn::text("Step 1 is done.").when_user_contains("step 1 only"));

    let mut ws = connect(w.app.addr, "/api/ws/inbox", &Options::token(&w.user.access))
        .await
        .expect("inbox stream");
    let first = ws.expect_type("inbox", Duration::from_secs(10)).await;
    assert_eq!(first["count"], 0, "{first}");
    w.start(id).await;

    // Stalled: the item is on the live stream and in /api/inbox, with the terminal.
    let live = stream_until(&mut ws, "the stalled item", |m| {
        stalled_item(m, id).is_some()
    })
    .await;
    let item = stalled_item(&live, id).expect("item");
    assert_eq!(item["project_name"], "Stuck");
    assert_eq!(item["options"], json!(["restart"]));
    assert_eq!(item["url"], format!("/projects/{id}"));
    let question = item["question"].as_str().expect("question");
    assert!(
        question.starts_with("No progress for ") && !question.contains('{'),
        "plain words: {question}"
    );
    // The excerpt is the end of the live terminal: the CLI's prompt box, as tmux shows it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, inbox) = w.app.get("/api/inbox", &w.user.access).await;
        assert_eq!(status, StatusCode::OK);
        let listed = stalled_item(&inbox, id).expect("listed over HTTP too");
        let screen = listed["screen"]
            .as_str()
            .expect("a screen excerpt")
            .to_owned();
        let pane = w.screen(&p);
        let last = |t: &str| {
            t.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let shown = last(&screen);
        if screen.contains('❯') && last(&pane).ends_with(&shown) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the excerpt is not the end of the pane:\n{screen}\n---\n{pane}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let logs = w.logs(id).await.join("\n");
    assert!(
        logs.contains("No output for 10 s while working: interrupting"),
        "{logs}"
    );

    // The phone heard of it from the structured stall.
    assert!(push.wait_for(1, RUN).await, "the stall was pushed");
    let received = push.received().remove(0);
    let payload: Value =
        serde_json::from_slice(&phone.decrypt(&received.body).expect("decrypts")).expect("json");
    assert_eq!(payload["event"], "stalled", "{payload}");
    assert_eq!(payload["title"], "Stuck seems stuck");

    // Bad answers are refused with a clear error, before anything reaches the project.
    let answer = format!("/api/inbox/{id}/answer");
    for bad in [
        json!({"option": "allow"}),
        json!({"option": "restart", "text": "go on"}),
        json!({"text": "   "}),
    ] {
        let (status, err) = w.app.post(&answer, &w.user.access, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {err}");
        assert!(err["error"].is_string(), "{err}");
    }
    let (_, err) = w
        .app
        .post(&answer, &w.user.access, json!({"option": "allow"}))
        .await;
    assert!(
        err.to_string().contains("restart"),
        "names the option: {err}"
    );
    let admin = w.app.admin().await;
    let (status, _) = w
        .app
        .post(&answer, &admin.access, json!({"text": "go on"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another member's item");

    // Words for Claude: the project page's message path; the model hears them, the item
    // leaves every open page.
    let (status, err) = w
        .app
        .post(
            &answer,
            &w.user.access,
            json!({"text": "Skip the slow part"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{err}");
    w.wait_prompt("Skip the slow part").await;
    stream_until(&mut ws, "the item leaving", |m| {
        stalled_item(m, id).is_none()
    })
    .await;
    let logs = w
        .wait_log(id, "Sent alice's message to Claude", RUN)
        .await
        .join("\n");
    assert_eq!(
        logs.matches("Sent alice's message to Claude").count(),
        1,
        "{logs}"
    );

    // Stalled again on the answer to those words: "restart" restarts Claude Code.
    let again = stream_until(&mut ws, "the second stall", |m| {
        stalled_item(m, id).is_some()
    })
    .await;
    assert_ne!(
        stalled_item(&again, id).expect("item")["since"],
        item["since"],
        "a new stall"
    );
    let (status, err) = w
        .app
        .post(&answer, &w.user.access, json!({"option": "restart"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{err}");
    stream_until(&mut ws, "the restarted project leaving", |m| {
        stalled_item(m, id).is_none()
    })
    .await;
    w.wait_status(id, "completed", RUN).await;
    let logs = w.logs(id).await.join("\n");
    assert!(logs.contains("Restarted; controller running"), "{logs}");
    assert_eq!(
        w.prompts_containing("step 1 only"),
        2,
        "the step was sent again after the restart"
    );
    let (_, inbox) = w.app.get("/api/inbox", &w.user.access).await;
    assert_eq!(inbox["count"], 0, "{inbox}");
    w.stop().await;
}
