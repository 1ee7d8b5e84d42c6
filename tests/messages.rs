//! No message is fatal: whatever the owner types (plain text, several lines, a `/` command,
//! a `!` shell line), while Claude works or while it is idle, reaches the real CLI once
//! and the project goes on to complete.

#[macro_use]
mod support;

use support::controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::mock_llm::MockReply;
use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable, last_user_text};
use serde_json::json;

const RUN: Duration = Duration::from_secs(90);
const SENT: &str = "Sent alice's message to Claude";
/// Claude's answer to the last message sent at idle: the supervisor calls the step done.
const LAST_ANSWER: &str = "Noted the last note.";

/// The four kinds of message, each marked with `tag` so the two rounds can be told apart.
fn messages(tag: &str, bang_file: &str) -> Vec<String> {
    vec![
        format!("/help me {tag}"),
        format!("! echo {tag} >> {bang_file}"),
        format!("first line {tag}\nsecond line {tag}"),
        format!("plain note {tag}"),
    ]
}

async fn sent_count(w: &World, id: i64) -> usize {
    w.logs(id).await.iter().filter(|l| l.contains(SENT)).count()
}

async fn wait_sent(w: &World, id: i64, want: usize) {
    let deadline = tokio::time::Instant::now() + RUN;
    while sent_count(w, id).await < want {
        if tokio::time::Instant::now() > deadline {
            let p = w.get(id).await;
            panic!(
                "[{}] {want} messages never delivered:\n{}\nscreen:\n{}",
                w.version,
                w.logs(id).await.join("\n"),
                w.screen(&p)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn every_kind_mid_turn_and_at_idle(version: &'static str) {
    // Every finished turn is answered with a long wait (Claude sits idle at its prompt)
    // until Claude has answered the last message; a message ends the wait, and the turn it
    // starts is judged when it ends.
    let llm = Arc::new(move |req: &serde_json::Value| {
        let text = last_user_text(req);
        if text.contains("Event: turn_finished") && !text.contains(LAST_ANSWER) {
            MockReply::tool("wait", json!({"seconds": 600}))
        } else {
            agreeable(req)
        }
    });
    let Some(w) = World::new(version, Script::new(vec![]), llm).await else {
        return;
    };
    let p = w.project("Chatty", &[("Only step", "")]).await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    let bang = ws.join("bang.txt");
    let bang_file = bang.to_string_lossy().into_owned();
    // Claude takes a while over the step: the first round of messages arrives mid-turn.
    w.anthropic.push_turn(
        Turn::text("Working on it. Step 1 is done.")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(4)),
    );
    w.anthropic.push_turn(
        Turn::text(format!("{LAST_ANSWER} Step 1 is done."))
            .when_user_contains("plain note at-idle"),
    );
    w.start(id).await;
    w.wait_prompt("step 1 only").await;
    for m in messages("mid-turn", &bang_file) {
        w.message(id, &m).await;
    }
    wait_sent(&w, id, 4).await;
    // Second round: each message sent while Claude is idle (the supervisor waits).
    w.wait_log(id, "decided to wait", RUN).await;
    for (n, m) in messages("at-idle", &bang_file).iter().enumerate() {
        w.message(id, m).await;
        wait_sent(&w, id, 5 + n).await;
    }
    let done = w.wait_status(id, "completed", RUN).await;
    assert_eq!(done["status"], "completed", "{done}");
    let logs = w.logs(id).await.join("\n");
    assert!(!logs.contains("Controller stopped"), "{logs}");
    assert!(!logs.contains("Gave up delivering"), "{logs}");
    assert_eq!(
        sent_count(&w, id).await,
        8,
        "each message delivered once: {logs}"
    );
    for tag in ["mid-turn", "at-idle"] {
        // Text reaches the model once; both lines of a multi-line message in one prompt.
        assert_eq!(
            w.prompts_containing(&format!("plain note {tag}")),
            1,
            "{tag}"
        );
        let first_lines: Vec<String> = w
            .anthropic
            .user_prompts()
            .into_iter()
            .filter(|p| p.contains(&format!("first line {tag}")))
            .collect();
        // Requests that carry it anywhere (an earlier user message of a batched request).
        let carried = w
            .anthropic
            .requests()
            .iter()
            .filter(|r| r.body.to_string().contains(&format!("first line {tag}")))
            .count();
        assert_eq!(
            w.prompts_containing(&format!("first line {tag}\nsecond line {tag}")),
            1,
            "{tag}: prompts with its first line: {first_lines:?}; requests carrying it: {carried}"
        );
        // A `/help` shows the CLI's help: no model turn of its own.
        assert_eq!(w.prompts_containing(&format!("/help me {tag}")), 0, "{tag}");
    }
    // A `!` line is run by the CLI's shell, once each.
    let ran = std::fs::read_to_string(&bang).unwrap_or_default();
    assert_eq!(ran, "mid-turn\nat-idle\n", "{logs}");
    w.stop().await;
}

#[tokio::test]
async fn every_kind_mid_turn_and_at_idle_2_1_197() {
    every_kind_mid_turn_and_at_idle(VERSIONS[0]).await;
}

#[tokio::test]
async fn every_kind_mid_turn_and_at_idle_2_1_330() {
    every_kind_mid_turn_and_at_idle(VERSIONS[1]).await;
}
