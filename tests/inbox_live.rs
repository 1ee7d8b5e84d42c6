//! The inbox without a CLI: the live `/api/ws/inbox` stream follows status changes of the
//! member's own projects only; answers by option or text are checked before anything
//! reaches a project; a notification's answer token works once, for its own project and
//! question, and is refused replayed, foreign, stale or made up.

#[macro_use]
mod support;

use support::{common, ws_support};

use std::time::Duration;

use autocode::controller::wording::permission_question;
use autocode::db::projects::{self, ProjectStatus};
use autocode::journal::ProjectEvent;
use common::{TestApp, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};
use ws_support::{Options, connect};

const ARRIVAL: Duration = Duration::from_secs(10);

/// Sets a project's status the way the controller does: the row, then the journal.
async fn set_status(app: &TestApp, id: i64, status: ProjectStatus, question: Option<&str>) {
    projects::set_status(&app.state.db, id, status, None, question)
        .await
        .expect("status");
    app.state.journal.publish(ProjectEvent::Status {
        project_id: id,
        status,
        current_step: None,
        question: question.map(str::to_owned),
    });
}

async fn project(app: &TestApp, s: &common::Session, name: &str) -> i64 {
    let agent = app.agent(s, &format!("{name}-agent")).await;
    let p = app
        .project(s, agent["id"].as_i64().expect("agent id"), name)
        .await;
    p["id"].as_i64().expect("project id")
}

#[tokio::test]
async fn the_inbox_stream_follows_the_members_own_projects() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let bob = app.user(&admin, "bob").await;
    let notes = project(&app, &alice, "Notes").await;
    let shop = project(&app, &bob, "Shop").await;

    let (status, _) = app.get("/api/ws/inbox", "").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the stream needs a member"
    );
    let mut ws = connect(app.addr, "/api/ws/inbox", &Options::token(&alice.access))
        .await
        .expect("connects");
    let first = ws.expect_type("inbox", ARRIVAL).await;
    assert_eq!(first["count"], 0, "{first}");

    let q = permission_question("Bash `touch a.txt`");
    set_status(&app, notes, ProjectStatus::NeedsHelp, Some(&q)).await;
    let live = ws.expect_type("inbox", ARRIVAL).await;
    assert_eq!(live["count"], 1, "{live}");
    let item = &live["items"][0];
    assert_eq!(item["id"], notes);
    assert_eq!(item["permission"], "Bash `touch a.txt`");
    assert_eq!(item["options"], json!(["allow", "deny"]));

    // Bob's project changing says nothing to alice.
    set_status(&app, shop, ProjectStatus::Failed, None).await;
    assert!(
        ws.next_json(Duration::from_millis(500)).await.is_none(),
        "another member's project is not in alice's stream"
    );

    // Answered (the controller moves it on): the item leaves every open page at once.
    set_status(&app, notes, ProjectStatus::Running, None).await;
    let gone = ws.expect_type("inbox", ARRIVAL).await;
    assert_eq!(gone["count"], 0, "{gone}");
    app.stop().await;
}

#[tokio::test]
async fn answers_are_checked_and_answer_tokens_work_once() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let bob = app.user(&admin, "bob").await;
    let notes = project(&app, &alice, "Notes").await;
    let blog = project(&app, &alice, "Blog").await;
    let shop = project(&app, &bob, "Shop").await;
    let q = permission_question("Bash `touch a.txt`");
    set_status(&app, notes, ProjectStatus::NeedsHelp, Some(&q)).await;
    set_status(&app, blog, ProjectStatus::NeedsHelp, Some("Which colour?")).await;
    set_status(&app, shop, ProjectStatus::NeedsHelp, Some(&q)).await;

    let answer = |id: i64| format!("/api/inbox/{id}/answer");
    let refused = |body: &Value, field: &str| {
        assert_eq!(body["detail"]["field"], field, "{body}");
    };
    for (body, field) in [
        (json!({"option": "maybe"}), "option"),
        (json!({"text": "yes", "option": "allow"}), "option"),
        (json!({}), "text"),
    ] {
        let (s, err) = app.post(&answer(notes), &alice.access, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        refused(&err, field);
    }
    let (s, err) = app
        .post(&answer(blog), &alice.access, json!({"option": "allow"}))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a question has no options: {err}"
    );
    assert!(
        err["error"]
            .as_str()
            .unwrap_or_default()
            .contains("answer with text")
    );
    let (s, _) = app
        .post(&answer(shop), &alice.access, json!({"option": "allow"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "bob's item");

    // Tokens: only the notification's own project, once, before it expires.
    let push = &app.state.push;
    let now = tokio::time::Instant::now;
    let act = |id: i64, body: Value| {
        let app = &app;
        async move { app.post(&format!("/api/inbox/{id}/action"), "", body).await }
    };
    let token = push.answers.issue(alice.user_id, notes, &q, now());
    let stale = push
        .answers
        .issue(alice.user_id, notes, "an older question", now());
    let cases = [
        (
            notes,
            json!({"token": token, "option": "perhaps"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "option",
        ),
        (
            notes,
            json!({"token": token, "option": "allow", "x": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field",
        ),
        (
            shop,
            json!({"token": token, "option": "allow"}),
            StatusCode::UNAUTHORIZED,
            "expired or was already used",
        ),
        (
            notes,
            json!({"token": "made-up", "option": "allow"}),
            StatusCode::UNAUTHORIZED,
            "expired or was already used",
        ),
        // Good: it reaches the project's message path (no controller runs here), used up.
        (
            notes,
            json!({"token": token, "option": "allow"}),
            StatusCode::CONFLICT,
            "not running",
        ),
        (
            notes,
            json!({"token": token, "option": "allow"}),
            StatusCode::UNAUTHORIZED,
            "already used",
        ),
        // A token for an earlier question does not answer a new one.
        (
            notes,
            json!({"token": stale, "option": "deny"}),
            StatusCode::CONFLICT,
            "asks something else",
        ),
    ];
    for (id, body, want, says) in cases {
        let (s, err) = act(id, body.clone()).await;
        assert_eq!(s, want, "{body}: {err}");
        let text = err.to_string();
        assert!(text.contains(says), "{body}: {err} should say {says:?}");
    }

    // Once the project moves on, its outstanding tokens answer nothing.
    let early = push.answers.issue(alice.user_id, notes, &q, now());
    assert_eq!(push.answers.outstanding(notes), 1);
    set_status(&app, notes, ProjectStatus::Running, None).await;
    eventually("the token to be revoked", ARRIVAL, || async {
        push.answers.outstanding(notes) == 0
    })
    .await;
    let (s, _) = act(notes, json!({"token": early, "option": "allow"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

/// Marks a project stalled (or over it) the way the supervisor's driver does: the row, then
/// the journal.
async fn stall(app: &TestApp, id: i64, stalled: bool) {
    if stalled {
        projects::set_stalled(&app.state.db, id, 300)
            .await
            .expect("stalled");
        app.state.journal.publish(ProjectEvent::Stalled {
            project_id: id,
            secs: 300,
        });
    } else {
        projects::clear_stalled(&app.state.db, id)
            .await
            .expect("over");
        app.state
            .journal
            .publish(ProjectEvent::StallOver { project_id: id });
    }
}

#[tokio::test]
async fn a_stall_of_a_running_project_is_an_item_until_it_moves_on() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let notes = project(&app, &alice, "Notes").await;
    let mut ws = connect(app.addr, "/api/ws/inbox", &Options::token(&alice.access))
        .await
        .expect("connects");
    assert_eq!(ws.expect_type("inbox", ARRIVAL).await["count"], 0);

    set_status(&app, notes, ProjectStatus::Running, None).await;
    assert_eq!(ws.expect_type("inbox", ARRIVAL).await["count"], 0);
    stall(&app, notes, true).await;
    let live = ws.expect_type("inbox", ARRIVAL).await;
    assert_eq!(live["count"], 1, "{live}");
    let item = &live["items"][0];
    assert_eq!(item["kind"], "stalled");
    assert_eq!(item["options"], json!(["restart"]));
    let question = item["question"].as_str().expect("question");
    assert!(
        question.starts_with("No progress for 5 minutes"),
        "{question}"
    );

    // Checked before anything reaches the project (no controller runs here).
    let answer = format!("/api/inbox/{notes}/answer");
    let (s, err) = app
        .post(&answer, &alice.access, json!({"option": "allow"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["detail"]["field"], "option", "{err}");
    let (s, err) = app
        .post(&answer, &alice.access, json!({"text": "go on"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "not running: {err}");

    stall(&app, notes, false).await;
    assert_eq!(ws.expect_type("inbox", ARRIVAL).await["count"], 0);
    // Any status change ends a stall: a paused project is not stalled.
    stall(&app, notes, true).await;
    assert_eq!(ws.expect_type("inbox", ARRIVAL).await["count"], 1);
    set_status(&app, notes, ProjectStatus::Paused, None).await;
    assert_eq!(ws.expect_type("inbox", ARRIVAL).await["count"], 0);
    set_status(&app, notes, ProjectStatus::Running, None).await;
    let (_, inbox) = app.get("/api/inbox", &alice.access).await;
    assert_eq!(inbox["count"], 0, "the stall did not come back: {inbox}");
    app.stop().await;
}
