//! Walls between family members, over real HTTP: the hook endpoint lives only on its
//! loopback listener and checks every field; one project's hook secret moves no other
//! project; and a symlink planted in member B's tree never makes the daemon create,
//! write or delete anything of member A's.

#[macro_use]
mod support;

use support::{common, controller_support};

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

const S1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const S2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

async fn post_hook(app: &TestApp, base: &str, secret: Option<&str>, body: String) -> StatusCode {
    let mut req = app
        .client
        .post(format!("{base}/api/hooks"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = secret {
        req = req.header(autocode::hooks::SECRET_HEADER, s);
    }
    req.send().await.expect("send").status()
}

fn event(name: &str, session: &str) -> String {
    json!({"hook_event_name": name, "session_id": session}).to_string()
}

#[tokio::test]
async fn hooks_are_served_on_loopback_only_and_every_field_is_checked() {
    let app = TestApp::start().await;
    assert!(app.hook_addr.ip().is_loopback());
    assert_ne!(app.hook_addr, app.addr);
    let hooks = format!("http://{}", app.hook_addr);
    let (secret, mut events) = app.state.hooks.register(42);

    // The public listener has no hook route at all.
    let public = post_hook(&app, &app.base, Some(&secret), event("Stop", S1)).await;
    assert_eq!(public, StatusCode::NOT_FOUND);
    assert!(events.try_recv().is_err());
    // And the hook listener serves nothing else.
    let (status, _) = app
        .call(reqwest::Method::GET, "/api/health", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let other = app
        .client
        .get(format!("{hooks}/api/health"))
        .send()
        .await
        .expect("send");
    assert_eq!(other.status(), StatusCode::NOT_FOUND);

    let stop = || event("Stop", S1);
    assert_eq!(
        post_hook(&app, &hooks, None, stop()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_hook(&app, &hooks, Some("made-up"), stop()).await,
        StatusCode::UNAUTHORIZED
    );
    for (body, why) in [
        (event("Stop", "abc"), "non-UUID session id"),
        (event("Stop", "--resume"), "an option as session id"),
        (
            json!({"hook_event_name": "Stop"}).to_string(),
            "no session id",
        ),
        (event("RunThis", S1), "unknown event"),
        ("[1, 2]".to_owned(), "not an object"),
        ("{not json".to_owned(), "malformed"),
    ] {
        let resp = app
            .client
            .post(format!("{hooks}/api/hooks"))
            .header(autocode::hooks::SECRET_HEADER, &secret)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{why}");
        let err: Value = resp.json().await.expect("JSON error body");
        assert!(err["error"].is_string(), "{why}: {err}");
    }
    let huge = json!({
        "hook_event_name": "PreToolUse",
        "session_id": S1,
        "tool_input": {"content": "x".repeat(autocode::hooks::MAX_BODY_BYTES)},
    });
    assert_eq!(
        post_hook(&app, &hooks, Some(&secret), huge.to_string()).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert!(events.try_recv().is_err(), "nothing bad was delivered");

    // A large but reasonable PreToolUse payload (a file the CLI writes) still arrives.
    let big = json!({
        "hook_event_name": "PreToolUse",
        "session_id": S1,
        "tool_input": {"content": "y".repeat(200 * 1024)},
    });
    assert_eq!(
        post_hook(&app, &hooks, Some(&secret), big.to_string()).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post_hook(&app, &hooks, Some(&secret), stop()).await,
        StatusCode::NO_CONTENT
    );
    let first = events.try_recv().expect("delivered");
    let second = events.try_recv().expect("delivered");
    assert_eq!(
        (
            first.event.name.as_str(),
            second.event.name.as_str(),
            second.event.session_id.as_deref()
        ),
        ("PreToolUse", "Stop", Some(S1))
    );
    app.stop().await;
}

#[tokio::test]
async fn one_projects_secret_moves_no_other_project() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let a = app.user(&admin, "ann").await;
    let agent = app.agent(&a, "helper").await;
    let project = app
        .project(&a, agent["id"].as_i64().expect("id"), "blog")
        .await;
    let a_id = project["id"].as_i64().expect("id");
    // A's project is on session S1 (as a re-adopted CLI's would be, from the database).
    autocode::db::projects::set_cli_session_id(&app.state.db, a_id, S1)
        .await
        .expect("record");
    let (a_secret, mut a_events) = app.state.hooks.register(a_id);
    let (b_secret, mut b_events) = app.state.hooks.register(a_id + 1000);
    let hooks = format!("http://{}", app.hook_addr);

    // B's secret, whatever the payload says, reaches B's project only.
    let forged = json!({
        "hook_event_name": "Stop", "session_id": S1, "project_id": a_id, "cwd": "/users/ann",
    });
    assert_eq!(
        post_hook(&app, &hooks, Some(&b_secret), forged.to_string()).await,
        StatusCode::NO_CONTENT
    );
    assert!(b_events.try_recv().is_ok());
    assert!(a_events.try_recv().is_err(), "A's controller saw nothing");

    // On A's own secret, an event of another session than the recorded one is refused;
    // a SessionStart moves the project to its new session.
    assert_eq!(
        post_hook(&app, &hooks, Some(&a_secret), event("Stop", S2)).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        post_hook(&app, &hooks, Some(&a_secret), event("Stop", S1)).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post_hook(&app, &hooks, Some(&a_secret), event("SessionStart", S2)).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post_hook(&app, &hooks, Some(&a_secret), event("Stop", S2)).await,
        StatusCode::NO_CONTENT
    );
    let names: Vec<String> = std::iter::from_fn(|| a_events.try_recv().ok())
        .map(|e| e.event.name)
        .collect();
    assert_eq!(names, ["Stop", "SessionStart", "Stop"]);
    app.stop().await;
}

/// Every file under `dir` with its contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

/// Ann (A) with project "app", and Bob (B) logged in; returns A's tree and B's dir.
async fn ann_and_bob(app: &TestApp) -> (common::Session, PathBuf, PathBuf) {
    let admin = app.admin().await;
    let ann = app.user(&admin, "ann").await;
    let agent = app.agent(&ann, "helper").await;
    app.project(&ann, agent["id"].as_i64().expect("id"), "app")
        .await;
    let bob = app.user(&admin, "bob").await;
    let users = app.data_dir.join("users");
    let a_tree = users.join("ann");
    assert!(a_tree.join("projects/app/.claude/CLAUDE.md").is_file());
    (bob, a_tree, users.join("bob"))
}

async fn create(app: &TestApp, s: &common::Session, agent_id: i64, name: &str) -> StatusCode {
    let (status, _) = app
        .post(
            &format!("/api/agents/{agent_id}/projects"),
            &s.access,
            json!({"name": name, "description": "d", "implementation_plan": []}),
        )
        .await;
    status
}

#[tokio::test]
async fn a_planted_link_never_leads_project_create_into_another_members_tree() {
    let app = TestApp::start().await;
    let (bob, a_tree, b_dir) = ann_and_bob(&app).await;
    let before = snapshot(&a_tree);

    // `projects/<slug>` planted as a link to A's workspace.
    let agent = app.agent(&bob, "mine").await;
    let agent_id = agent["id"].as_i64().expect("id");
    symlink(a_tree.join("projects/app"), b_dir.join("projects/blog")).expect("symlink");
    let status = create(&app, &bob, agent_id, "blog").await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A `workspace_base` that is a link into A's tree.
    symlink(a_tree.join("projects"), b_dir.join("code")).expect("symlink");
    let (status, body) = app
        .post(
            "/api/agents",
            &bob.access,
            json!({"name": "linked", "model": "gpt-test", "workspace_base": "code"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let status = create(&app, &bob, body["id"].as_i64().expect("id"), "fresh").await;
    assert_eq!(status, StatusCode::CONFLICT);

    assert_eq!(snapshot(&a_tree), before, "A's files are unchanged");
    assert!(!a_tree.join("projects/fresh").exists());
    let (_, projects) = app.get("/api/projects", &bob.access).await;
    assert_eq!(projects.as_array().map(Vec::len), Some(0), "{projects}");
    app.stop().await;
}

#[tokio::test]
async fn a_planted_link_never_leads_project_delete_into_another_members_tree() {
    let app = TestApp::start().await;
    let (bob, a_tree, b_dir) = ann_and_bob(&app).await;
    let agent = app.agent(&bob, "mine").await;
    let agent_id = agent["id"].as_i64().expect("id");
    let mut ids = Vec::new();
    for name in ["app", "other"] {
        assert_eq!(
            create(&app, &bob, agent_id, name).await,
            StatusCode::CREATED
        );
        let (_, list) = app.get("/api/projects", &bob.access).await;
        let id = list
            .as_array()
            .and_then(|l| l.iter().find(|p| p["name"] == name))
            .and_then(|p| p["id"].as_i64())
            .expect("created");
        ids.push(id);
    }
    let before = snapshot(&a_tree);

    // The workspace itself replaced by a link to A's: the link goes, A's files stay.
    std::fs::remove_dir_all(b_dir.join("projects/other")).expect("rm");
    symlink(a_tree.join("projects/app"), b_dir.join("projects/other")).expect("symlink");
    let (status, body) = app
        .delete(&format!("/api/projects/{}", ids[1]), &bob.access)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(std::fs::symlink_metadata(b_dir.join("projects/other")).is_err());

    // The workspace's parent replaced by a link to A's `projects`: refused.
    std::fs::rename(b_dir.join("projects"), b_dir.join("moved")).expect("mv");
    symlink(a_tree.join("projects"), b_dir.join("projects")).expect("symlink");
    let (status, body) = app
        .delete(&format!("/api/projects/{}", ids[0]), &bob.access)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.contains('/')),
        "no path: {body}"
    );

    assert_eq!(snapshot(&a_tree), before, "A's files are unchanged");
    app.stop().await;
}

/// Pre-seeding at launch, with the real CLI: B's config files planted as links to A's.
#[tokio::test]
async fn a_planted_link_never_makes_preseeding_write_another_members_file() {
    let version = controller_support::VERSIONS[1];
    let script = autocode::testkit::Script::new(vec![]);
    let llm = std::sync::Arc::new(controller_support::agreeable);
    let Some(w) = controller_support::World::new(version, script, llm).await else {
        return;
    };
    let admin = w.app.admin().await;
    w.app.user(&admin, "ann").await;
    let users = w.app.data_dir.join("users");
    let (a_dir, b_dir) = (users.join("ann"), users.join("alice"));
    let p = w.project("Linked", &[("Step", "say done")]).await;
    let id = p["id"].as_i64().expect("id");
    let slug = p["slug"].as_str().expect("slug");
    let planted = [
        "config/claude/.claude.json".to_owned(),
        "config/home/.claude.json".to_owned(),
        format!("config/sessions/{slug}.settings.json"),
    ];
    for rel in &planted {
        let a_file = a_dir.join(rel);
        std::fs::create_dir_all(a_file.parent().expect("dir")).expect("mkdir");
        std::fs::write(&a_file, r#"{"ann": "private"}"#).expect("write");
        let b_file = b_dir.join(rel);
        std::fs::create_dir_all(b_file.parent().expect("dir")).expect("mkdir");
        symlink(&a_file, &b_file).expect("symlink");
    }
    let before = snapshot(&a_dir);

    w.start(id).await;
    w.wait_log(
        id,
        "Claude Code session",
        std::time::Duration::from_secs(120),
    )
    .await;
    assert_eq!(snapshot(&a_dir), before, "A's files are unchanged");
    // The CLI's config and the session's settings were pre-seeded (config/home is not).
    for rel in [&planted[0], &planted[2]] {
        let meta = std::fs::symlink_metadata(b_dir.join(rel)).expect("B's own file");
        assert!(meta.is_file(), "{rel} was replaced by B's own file");
        let text = std::fs::read_to_string(b_dir.join(rel)).expect("read");
        assert!(!text.contains("private"), "nothing of A's was read: {text}");
    }
    w.stop().await;
}
