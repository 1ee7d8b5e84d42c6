//! The controller's recoveries end to end (a killed CLI, a daemon restart, the supervising
//! LLM down or talking nonsense, model API errors, a stall, a full context), against the
//! real Claude Code CLI of every pinned release, driven through the HTTP API only.

#[macro_use]
mod support;

use support::controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::mock_llm::MockReply;
use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable, llm_with};
use serde_json::json;

const RUN: Duration = Duration::from_secs(120);

async fn kill9_mid_step(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w
        .project("Crashy", &[("Long step", "take your time")])
        .await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::text("Still thinking...")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(8)),
    );
    w.start(id).await;
    w.wait_prompt("step 1 only").await;
    let pid = w.cli_pid(&p);
    let killed_at = std::time::Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .expect("kill")
            .success()
    );
    w.wait_log(
        id,
        "Restarting Claude Code: Claude Code exited",
        Duration::from_secs(5),
    )
    .await;
    let detected = killed_at.elapsed();
    let done = w.wait_status(id, "completed", RUN).await;
    let logs = w.logs(id).await.join("\n");
    assert!(
        logs.contains("(--continue)") || logs.contains("(--resume "),
        "{logs}"
    );
    assert!(logs.contains("Re-sent step 1 after the restart"), "{logs}");
    assert_eq!(done["implementation_plan"][0]["status"], "done");
    println!("[{version}] crash noticed after {detected:?}");
    w.stop().await;
}
per_version!(kill9, kill9_mid_step);

async fn daemon_restart_mid_step(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w
        .project("Survivor", &[("Slow step", ""), ("Quick step", "")])
        .await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::text("Done with the slow step.")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(6)),
    );
    w.start(id).await;
    w.wait_prompt("step 1 only").await;
    let pid_before = w.cli_pid(&p);
    let w = w.restart_daemon().await;
    let done = w.wait_status(id, "completed", RUN).await;
    assert_eq!(
        w.prompts_containing("step 1 only"),
        1,
        "the step was not sent twice"
    );
    assert_eq!(w.prompts_containing("step 2 only"), 1);
    assert_eq!(
        w.cli_pid(&p),
        pid_before,
        "the CLI was adopted, not restarted"
    );
    let logs = w.logs(id).await.join("\n");
    assert!(logs.contains("Re-adopted after a daemon restart"), "{logs}");
    assert!(
        logs.contains("Resuming step 1 (already sent; not sending it again)"),
        "{logs}"
    );
    let instances: Vec<(String,)> =
        sqlx::query_as("select status from agent_instances where project_id = ?")
            .bind(id)
            .fetch_all(&w.app.state.db)
            .await
            .expect("instances");
    assert_eq!(instances.len(), 1, "one instance, adopted: {instances:?}");
    assert_eq!(done["implementation_plan"][1]["status"], "done");
    w.stop().await;
}
per_version!(daemon_restart, daemon_restart_mid_step);

async fn deny_listed_command(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    // Even with a policy that approves everything, a built-in denial wins.
    let (status, _) = w
        .app
        .put(
            &format!("/api/agents/{}", w.agent_id),
            &w.user.access,
            json!({"permission_policy": {"allow": ["Bash"], "deny": [], "default": "approve"}}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let p = w.project("Careful", &[("Clean up", "")]).await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    let victim = ws.parent().expect("parent").join("victim");
    std::fs::create_dir_all(&victim).expect("victim");
    w.anthropic
        .push_turn(Turn::bash("rm -rf ../victim").when_user_contains("step 1 only"));
    w.anthropic
        .push_turn(Turn::text("Understood, I will not delete it.").when_user_contains("denied"));
    w.start(id).await;
    w.wait_status(id, "completed", RUN).await;
    assert!(victim.exists(), "the deny-listed command never ran");
    let logs = w.logs(id).await.join("\n");
    assert!(logs.contains("Denied Bash `rm -rf ../victim`"), "{logs}");
    assert!(!logs.contains("Approved Bash `rm"), "{logs}");
    assert!(
        w.model_was_told("denied by the project's policy"),
        "Claude was told why"
    );
    for r in w.llm.requests() {
        let text = r.body.to_string();
        assert!(
            !(text.contains("Event: permission") && text.contains("rm -rf")),
            "a denied command never reaches the LLM"
        );
    }
    w.stop().await;
}
per_version!(deny_list, deny_listed_command);

async fn llm_down_then_needs_help(version: &'static str) {
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = healthy.clone();
    let llm = llm_with(move |_, text| {
        (!flag.load(std::sync::atomic::Ordering::SeqCst) && text.contains("Event: turn_finished"))
            .then(|| MockReply::status(500))
    });
    let Some(w) = World::new(version, Script::new(vec![]), llm).await else {
        return;
    };
    let p = w.project("Lonely", &[("Only step", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.start(id).await;
    let stuck = w.wait_status(id, "needs_help", RUN).await;
    let question = stuck["question"].as_str().expect("question");
    assert!(question.contains("supervising LLM"), "{question}");
    assert!(w.llm.request_count() >= 3, "retried before giving up");
    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    w.message(id, "The LLM is back; please carry on with the step.")
        .await;
    w.wait_status(id, "completed", RUN).await;
    assert_eq!(
        w.prompts_containing("The LLM is back"),
        1,
        "the reply reached Claude"
    );
    w.stop().await;
}
per_version!(llm_down, llm_down_then_needs_help);

async fn llm_garbage_and_timeouts(version: &'static str) {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n = calls.clone();
    let llm = llm_with(move |_, text| {
        if !text.contains("Event: turn_finished") {
            return None;
        }
        match n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            // A tool that does not exist, then arguments that do not parse: re-asked once each.
            0 => Some(MockReply::tool("format_disk", json!({}))),
            1 => Some(MockReply::tools(&[("mark_step_done", json!("{not json"))])),
            // Then a reply slower than the client's timeout, then garbage.
            2 => Some(MockReply::content("ok").delayed(Duration::from_secs(5))),
            3 => Some(MockReply::Raw {
                body: "this is not json".into(),
            }),
            _ => None,
        }
    });
    let file = autocode::config::FileConfig {
        llm_timeout_secs: 2,
        ..Default::default()
    };
    let Some(w) = World::new_with(version, Script::new(vec![]), llm, file).await else {
        return;
    };
    let p = w.project("Noisy", &[("Only step", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.start(id).await;
    w.wait_status(id, "completed", RUN).await;
    // Every bad reply was seen and survived: unknown tool, bad arguments, timeout, garbage.
    assert!(
        calls.load(std::sync::atomic::Ordering::SeqCst) >= 5,
        "{} calls",
        calls.load(std::sync::atomic::Ordering::SeqCst)
    );
    let logs = w.logs(id).await.join("\n");
    assert!(
        logs.contains("fallback"),
        "the rules kept it safe meanwhile: {logs}"
    );
    assert!(
        !logs.contains("format_disk"),
        "an unknown tool never ran: {logs}"
    );
    w.stop().await;
}
per_version!(llm_garbage, llm_garbage_and_timeouts);

async fn model_api_overloaded_then_recovers(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w.project("Busy", &[("Only step", "")]).await;
    let id = p["id"].as_i64().expect("id");
    // CLAUDE_CODE_MAX_RETRIES=1: two attempts, both overloaded, then the error screen.
    w.anthropic
        .push_turn(Turn::error(529).when_user_contains("step 1 only").repeat(2));
    w.start(id).await;
    w.wait_status(id, "completed", RUN).await;
    let logs = w.logs(id).await.join("\n");
    assert!(
        logs.contains("Claude's model API failed (overloaded)"),
        "{logs}"
    );
    assert!(logs.contains("Asked Claude to continue"), "{logs}");
    w.stop().await;
}
per_version!(overloaded, model_api_overloaded_then_recovers);

async fn model_api_auth_error(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w.project("Locked", &[("Only step", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic
        .push_turn(Turn::error(401).when_user_contains("step 1 only").repeat(5));
    w.start(id).await;
    let stuck = w.wait_status(id, "needs_help", RUN).await;
    let q = stuck["question"].as_str().expect("question");
    assert!(q.contains("credentials"), "{q}");
    w.stop().await;
}
per_version!(auth_error, model_api_auth_error);

async fn stalled_turn_is_interrupted(version: &'static str) {
    let llm = llm_with(|_, text| {
        text.contains("Event: stall").then(|| {
            MockReply::tool(
                "send_message",
                json!({"text": "You seemed stuck. Please finish the step now."}),
            )
        })
    });
    let Some(w) = World::new(version, Script::new(vec![]), llm).await else {
        return;
    };
    let (status, _) = w
        .app
        .put(
            &format!("/api/agents/{}", w.agent_id),
            &w.user.access,
            json!({"stall_timeout_s": 10}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let p = w.project("Stuck", &[("Hang", "")]).await;
    let id = p["id"].as_i64().expect("id");
    // The model never answers the step: only the spinner moves.
    w.anthropic.push_turn(
        Turn::text("too late")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(90)),
    );
    w.start(id).await;
    w.wait_log(
        id,
        "No output for 10 s while working: interrupting",
        Duration::from_secs(40),
    )
    .await;
    w.wait_status(id, "completed", RUN).await;
    assert_eq!(w.prompts_containing("You seemed stuck"), 1);
    w.stop().await;
}
per_version!(stall, stalled_turn_is_interrupted);

async fn context_full_then_compacted(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w.project("Wordy", &[("Long step", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::prompt_too_long(250_000, 200_000)
            .when_user_contains("step 1 only")
            .repeat(2),
    );
    w.start(id).await;
    w.wait_status(id, "completed", RUN).await;
    let logs = w.logs(id).await.join("\n");
    assert!(
        logs.contains("Context is full: compacting") || logs.contains("state summary"),
        "{logs}"
    );
    w.stop().await;
}
per_version!(context_full, context_full_then_compacted);
