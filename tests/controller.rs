//! The controller end to end: real tmux, the real Claude Code CLI (every pinned release)
//! against the mock Anthropic API, a scripted mock supervising LLM, driven through the
//! HTTP API only.

mod common;
mod controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};

const RUN: Duration = Duration::from_secs(120);

async fn three_step_plan(version: &'static str) {
    let script = Script::new(vec![]);
    let Some(w) = World::new(version, script, Arc::new(agreeable)).await else {
        return;
    };
    let p = w
        .project(
            "Three Steps",
            &[
                ("Create hello", "write hello.txt"),
                ("Create two", "echo into two.txt"),
                ("Review", "say it is fine"),
            ],
        )
        .await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    // Step 1: a Write the LLM approves; step 2: a Bash the allow-list approves; step 3: text.
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
    let done = w.wait_status(id, "completed", RUN).await;
    assert!(
        done["implementation_plan"]
            .as_array()
            .expect("plan")
            .iter()
            .all(|s| s["status"] == "done"),
        "{done}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("hello.txt")).expect("hello.txt"),
        "hello from step one\n"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("two.txt"))
            .expect("two.txt")
            .trim(),
        "two"
    );
    for n in 1..=3 {
        assert_eq!(
            w.prompts_containing(&format!("step {n} only")),
            1,
            "step {n} sent exactly once"
        );
    }
    let logs = w.logs(id).await.join("\n");
    assert!(
        logs.contains("Approved Bash(echo two > two.txt) (permission policy)"),
        "{logs}"
    );
    assert!(
        logs.contains("Chose option 1"),
        "the LLM answered the Write prompt: {logs}"
    );
    assert!(
        done["cost"]["prompt_tokens"].as_i64().expect("cost") > 0,
        "{done}"
    );
    let history = std::fs::read_to_string(ws.join(".nanobot/HISTORY.md")).expect("history");
    assert!(
        history.lines().filter(|l| l.starts_with("- ")).count() >= 3,
        "{history}"
    );
    let identity = std::fs::read_to_string(ws.join(".nanobot/IDENTITY.md")).expect("identity");
    assert!(identity.contains("Create hello"));
    // No LLM call while Claude works: decisions only (three turn ends, one Write prompt).
    assert!(
        w.llm.request_count() <= 6,
        "{} LLM calls",
        w.llm.request_count()
    );
    w.stop().await;
}

#[tokio::test]
async fn three_step_plan_completes_2_1_197() {
    three_step_plan(VERSIONS[0]).await;
}

#[tokio::test]
async fn three_step_plan_completes_2_1_330() {
    three_step_plan(VERSIONS[1]).await;
}
