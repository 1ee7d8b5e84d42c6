//! A project cloned from a loopback git server, run by the real Claude Code CLI (against
//! the mock Anthropic API and mock supervising LLM): its branch is pushed after each step
//! with the member's token, and at completion a pull request is opened on a mock GitHub
//! API, whose link the project then shows. A pull request GitHub refuses is logged and
//! the project completes all the same.

#[macro_use]
mod support;

use support::{controller_support, git_support};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::git_server::{GitServer, MockGitHub};
use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};
use git_support::{bare_repo, git};
use reqwest::StatusCode;
use serde_json::{Value, json};

const RUN: Duration = Duration::from_secs(120);
const TOKEN: &str = "ghp_run0123456789secret";

async fn create(w: &World, name: &str, url: &str, push: &str) -> Value {
    let (status, body) = w
        .app
        .post(
            &format!("/api/agents/{}/projects", w.agent_id),
            &w.user.access,
            json!({
                "name": name,
                "description": "Say hello in two files.",
                "repo_url": url,
                "push": push,
                "implementation_plan": [
                    {"title": "Create hello", "details": "write hello.txt"},
                    {"title": "Review", "details": "say it is fine"},
                ],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn each_step_is_pushed_and_a_pull_request_is_opened_at_completion() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("real path");
    let private = root.join("private");
    let public = root.join("public");
    let bare = bare_repo(&private, "alice");
    bare_repo(&public, "alice");
    let server = GitServer::start(&private, Some(TOKEN))
        .await
        .expect("git server");
    let open = GitServer::start(&public, None).await.expect("git server");
    let hub = MockGitHub::start(TOKEN).await.expect("mock github");
    let file = autocode::config::FileConfig {
        github_api_base: hub.api_base(),
        github_hosts: vec![server.addr.to_string(), open.addr.to_string()],
        ..Default::default()
    };
    let Some(w) =
        World::new_with(VERSIONS[1], Script::new(vec![]), Arc::new(agreeable), file).await
    else {
        return;
    };
    let (status, _) = w
        .app
        .put("/api/account/git", &w.user.access, json!({"token": TOKEN}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let p = create(&w, "Pushed App", &server.url("alice/app.git"), "each_step").await;
    let id = p["id"].as_i64().expect("id");
    let ws = PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    w.anthropic.push_turn(
        Turn::write(ws.join("hello.txt").to_string_lossy(), "hello\n")
            .when_user_contains("step 1 only"),
    );
    w.anthropic
        .push_turn(Turn::text("Wrote hello.txt. Step 1 is done."));
    w.anthropic
        .push_turn(Turn::text("It is fine. Step 2 is done.").when_user_contains("step 2 only"));
    w.start(id).await;
    let done = w.wait_status(id, "completed", RUN).await;

    // The branch on the remote is the workspace's, step commits and all.
    let head = git(&ws, &["rev-parse", "HEAD"]);
    let remote = git(&bare, &["rev-parse", "refs/heads/autocode/pushed-app"]);
    assert_eq!(remote, head);
    let subjects = git(&bare, &["log", "--format=%s", "autocode/pushed-app"]);
    assert!(
        subjects.starts_with("Step 2: Review\nStep 1: Create hello\n"),
        "{subjects}"
    );
    let logs = w.logs(id).await;
    let pushes = logs
        .iter()
        .filter(|l| l.contains("Pushed autocode/pushed-app"))
        .count();
    assert_eq!(
        pushes, 2,
        "after each step, and not again at completion: {logs:#?}"
    );

    // One pull request, with the token, from the branch into main, the plan as its body.
    let seen = hub.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path, "/repos/alice/app/pulls");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let pr: Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(pr["head"], "autocode/pushed-app");
    assert_eq!(pr["base"], "main");
    assert_eq!(pr["title"], "Pushed App");
    let body = pr["body"].as_str().expect("body");
    assert!(body.contains("Say hello in two files."), "{body}");
    assert!(
        body.contains("- [x] 1. Create hello") && body.contains("- [x] 2. Review"),
        "{body}"
    );
    let link = format!("{}/alice/app/pull/1", hub.api_base());
    assert_eq!(done["remote"]["pull_request_url"], link.as_str());
    assert!(
        logs.iter()
            .any(|l| l.contains(&format!("Opened a pull request: {link}")))
    );
    assert!(!logs.join("\n").contains(TOKEN));

    // GitHub refuses the token: logged in plain words, and the project completes anyway.
    let (status, _) = w
        .app
        .put(
            "/api/account/git",
            &w.user.access,
            json!({"token": "ghp_wrong_token_000"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let p = create(&w, "Refused", &open.url("alice/app.git"), "at_completion").await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic
        .push_turn(Turn::text("Step 1 is done.").when_user_contains("step 1 only"));
    w.anthropic
        .push_turn(Turn::text("Step 2 is done.").when_user_contains("step 2 only"));
    // The loop lets go of the first project just after it reports it completed.
    controller_support::wait_until("the first run ends", Duration::from_secs(10), || async {
        !w.app
            .controllers
            .is_running(done["id"].as_i64().expect("id"))
    })
    .await;
    w.start(id).await;
    let refused = w.wait_status(id, "completed", RUN).await;
    assert_eq!(refused["remote"]["pull_request_url"], Value::Null);
    let logs = w.logs(id).await;
    let pushes = logs
        .iter()
        .filter(|l| l.contains("Pushed autocode/refused"))
        .count();
    assert_eq!(pushes, 1, "only at completion: {logs:#?}");
    assert!(
        logs.iter()
            .any(|l| l
                .contains("No pull request was opened: GitHub refused the stored git token (401)")),
        "{logs:#?}"
    );
    assert_eq!(hub.seen().len(), 2);
    w.stop().await;
    drop(tmp);
}
