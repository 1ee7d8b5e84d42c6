//! Every step is a commit: a three-step plan run by the real Claude Code CLI (against the
//! mock Anthropic API and mock supervising LLM) leaves one commit per step, the API lists
//! them and shows their diffs, and undoing step 2 takes its changes back.

#[macro_use]
mod support;

use support::controller_support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};
use reqwest::StatusCode;
use serde_json::{Value, json};

const RUN: Duration = Duration::from_secs(120);

/// What git itself says of the workspace (run by the test, hooks off).
fn git(ws: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "core.hooksPath=/dev/null"])
        .args(args)
        .current_dir(ws)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn step_commit(commits: &Value, step: i64) -> Value {
    commits
        .as_array()
        .expect("commits")
        .iter()
        .find(|c| c["step"] == step)
        .unwrap_or_else(|| panic!("no commit of step {step}: {commits}"))
        .clone()
}

#[tokio::test]
async fn three_steps_leave_three_commits_and_step_2_can_be_undone_2_1_197() {
    three_steps(VERSIONS[0]).await;
}

#[tokio::test]
async fn three_steps_leave_three_commits_and_step_2_can_be_undone_2_1_330() {
    three_steps(VERSIONS[1]).await;
}

async fn three_steps(version: &str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w
        .project(
            "Three Commits",
            &[
                ("Create hello", "write hello.txt"),
                ("Create two", "echo into two.txt"),
                ("Review", "say it is fine"),
            ],
        )
        .await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    assert_eq!(
        git(&ws, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "autocode/three-commits",
        "the repository is made with the project"
    );
    // Left by the member before the start: committed as work before step 1.
    std::fs::write(ws.join("notes.txt"), "my own notes\n").expect("notes");
    w.anthropic.push_turn(
        Turn::write(
            ws.join("hello.txt").to_string_lossy(),
            "hello from step one\n",
        )
        .when_user_contains("step 1 only"),
    );
    w.anthropic
        .push_turn(Turn::text("Wrote hello.txt. Step 1 is done."));
    w.anthropic
        .push_turn(Turn::bash("echo two > two.txt").when_user_contains("step 2 only"));
    w.anthropic
        .push_turn(Turn::text("Created two.txt. Step 2 is done."));
    w.anthropic.push_turn(
        Turn::text("Everything looks fine. Step 3 is done.").when_user_contains("step 3 only"),
    );
    w.start(id).await;
    // While the controller runs, nothing is undone under it.
    let (status, body) = w
        .app
        .post(
            &format!("/api/projects/{id}/steps/1/revert"),
            &w.user.access,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .contains("stop the project")
    );
    w.wait_status(id, "completed", RUN).await;

    let subjects = git(&ws, &["log", "--format=%s%x09%an"]);
    let subjects: Vec<&str> = subjects.lines().collect();
    assert_eq!(
        subjects,
        [
            "Step 3: Review\tAutoCode",
            "Step 2: Create two\tAutoCode",
            "Step 1: Create hello\tAutoCode",
            "Work before step 1\tAutoCode",
            "Project created\tAutoCode",
        ]
    );
    let message = git(&ws, &["log", "-1", "--format=%B"]);
    assert!(message.contains("Co-authored-by: Claude"), "{message}");
    assert!(
        message.contains("the transcript shows the step is complete"),
        "{message}"
    );
    let tracked = git(&ws, &["ls-files"]);
    assert!(
        !tracked.contains(".nanobot/") && !tracked.contains(".claude/"),
        "{tracked}"
    );

    let (status, commits) = w
        .app
        .get(&format!("/api/projects/{id}/commits"), &w.user.access)
        .await;
    assert_eq!(status, StatusCode::OK, "{commits}");
    assert_eq!(commits.as_array().expect("list").len(), 5, "{commits}");
    let one = step_commit(&commits, 1);
    assert_eq!(one["title"], "Create hello");
    assert_eq!(one["author"], "AutoCode");
    assert_eq!(one["insertions"], 1);
    assert_eq!(one["files"][0]["path"], "hello.txt");
    assert_eq!(step_commit(&commits, 3)["files"], json!([]));
    let two = step_commit(&commits, 2);
    let sha2 = two["sha"].as_str().expect("sha").to_owned();

    let (status, diff) = w
        .app
        .get(
            &format!("/api/projects/{id}/commits/{sha2}/diff"),
            &w.user.access,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!(diff["files"][0]["path"], "two.txt");
    assert!(
        diff["files"][0]["patch"]
            .as_str()
            .expect("patch")
            .contains("+two")
    );
    assert_eq!(diff["files"][0]["binary"], false);
    assert_eq!(diff["truncated"], false);

    // Bad inputs: each a clear error.
    for (path, want) in [
        (
            format!("/api/projects/{id}/commits/not-a-sha/diff"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("/api/projects/{id}/commits/deadbeef/diff"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, body) = w.app.get(&path, &w.user.access).await;
        assert_eq!(status, want, "{path}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let revert = |n: i64| {
        let w = &w;
        async move {
            w.app
                .post(
                    &format!("/api/projects/{id}/steps/{n}/revert"),
                    &w.user.access,
                    json!({}),
                )
                .await
        }
    };
    // The loop lets go of the project just after it reports it completed.
    controller_support::wait_until("the controller ends", Duration::from_secs(10), || async {
        revert(9).await.0 != StatusCode::CONFLICT
    })
    .await;
    assert_eq!(revert(9).await.0, StatusCode::NOT_FOUND);
    assert_eq!(revert(0).await.0, StatusCode::NOT_FOUND);

    // Undo step 2: two.txt is gone, step 1's file stays, step 2 is to do again.
    let (status, body) = revert(2).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["reverted"], sha2.as_str());
    assert!(!ws.join("two.txt").exists(), "step 2's file is still there");
    assert!(ws.join("hello.txt").exists());
    assert!(ws.join("notes.txt").exists());
    let project = w.get(id).await;
    let plan = project["implementation_plan"].as_array().expect("plan");
    let statuses: Vec<&str> = plan
        .iter()
        .map(|s| s["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["done", "pending", "done"]);
    assert_eq!(
        git(&ws, &["log", "-1", "--format=%s"]).trim(),
        "Undo step 2: Create two"
    );
    let logs = w.logs(id).await.join("\n");
    assert!(logs.contains("Undid step 2 (Create two)"), "{logs}");
    let (_, commits) = w
        .app
        .get(&format!("/api/projects/{id}/commits"), &w.user.access)
        .await;
    assert_eq!(step_commit(&commits, 2)["reverted_by"], body["commit"]);
    // Done once: there is nothing left to undo.
    let (status, body) = revert(2).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    w.stop().await;
}
