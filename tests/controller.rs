//! The controller end to end: real tmux, the real Claude Code CLI (every pinned release)
//! against the mock Anthropic API, a scripted mock supervising LLM, driven through the
//! HTTP API only.

mod common;
mod controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::mock_llm::MockReply;
use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};
use serde_json::json;

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
        // Through the hook ("before Claude Code asked") or, where no hook answered, the menu.
        logs.contains("Approved Bash `echo two > two.txt`")
            && logs.contains("(your policy allows it)"),
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

/// Declares one test per pinned release.
macro_rules! per_version {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn v2_1_197() {
                super::$body(super::VERSIONS[0]).await;
            }
            #[tokio::test]
            async fn v2_1_330() {
                super::$body(super::VERSIONS[1]).await;
            }
        }
    };
}

fn llm_with(
    f: impl Fn(&serde_json::Value, &str) -> Option<MockReply> + Send + Sync + 'static,
) -> controller_support::LlmHandler {
    Arc::new(move |req: &serde_json::Value| {
        let text = controller_support::last_user_text(req);
        f(req, &text).unwrap_or_else(|| agreeable(req))
    })
}

async fn planning_from_empty_plan(version: &'static str) {
    let llm = llm_with(|req, _| {
        controller_support::offers(req, "set_plan").then(|| {
            MockReply::tool(
                "set_plan",
                json!({"steps": [{"title": "Write the notes", "details": "notes.md"}, {"title": "Check the notes"}]}),
            )
        })
    });
    let Some(w) = World::new(version, Script::new(vec![]), llm).await else {
        return;
    };
    let p = w.project("Planned", &[]).await;
    let id = p["id"].as_i64().expect("id");
    w.start(id).await;
    let done = w.wait_status(id, "completed", RUN).await;
    let plan = done["implementation_plan"].as_array().expect("plan");
    assert_eq!(plan.len(), 2, "{done}");
    assert_eq!(plan[0]["title"], "Write the notes");
    assert!(plan.iter().all(|s| s["status"] == "done"));
    let logs = w.logs(id).await.join("\n");
    assert!(logs.contains("Drafted a plan of 2 steps"), "{logs}");
    assert!(
        logs.contains("The project was created; now it is planning"),
        "{logs}"
    );
    assert_eq!(w.prompts_containing("step 2 only: Check the notes"), 1);
    w.stop().await;
}
per_version!(planning, planning_from_empty_plan);

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

async fn ask_human_and_reply(version: &'static str) {
    let asked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let a = asked.clone();
    let llm = llm_with(move |_, text| {
        (text.contains("Event: turn_finished")
            && !a.swap(true, std::sync::atomic::Ordering::SeqCst))
        .then(|| {
            MockReply::tool(
                "ask_human",
                json!({"question": "Which colour should the button be?"}),
            )
        })
    });
    let Some(w) = World::new(version, Script::new(vec![]), llm).await else {
        return;
    };
    let p = w.project("Colourful", &[("Style the button", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.start(id).await;
    let stuck = w.wait_status(id, "needs_help", RUN).await;
    assert_eq!(stuck["question"], "Which colour should the button be?");
    w.message(id, "Make it teal.").await;
    let done = w.wait_status(id, "completed", RUN).await;
    assert_eq!(done["question"], serde_json::Value::Null);
    assert_eq!(w.prompts_containing("Make it teal."), 1);
    w.stop().await;
}
per_version!(ask_human, ask_human_and_reply);

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

async fn lifecycle_pause_stop_and_double_start(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w.project("Controlled", &[("Slow", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::text("slow")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(30)),
    );
    w.start(id).await;
    let (status, body) = w
        .app
        .post(
            &format!("/api/projects/{id}/start"),
            &w.user.access,
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        reqwest::StatusCode::CONFLICT,
        "one controller per project: {body}"
    );
    let (status, _) = w
        .app
        .post(
            &format!("/api/projects/{id}/pause"),
            &w.user.access,
            json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED);
    w.wait_status(id, "paused", RUN).await;
    let (status, _) = w
        .app
        .post(
            &format!("/api/projects/{id}/resume"),
            &w.user.access,
            json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED);
    w.wait_status(id, "running", RUN).await;
    let (status, stopped) = w
        .app
        .post(
            &format!("/api/projects/{id}/stop"),
            &w.user.access,
            json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{stopped}");
    assert_eq!(stopped["status"], "paused");
    assert_eq!(stopped["controller_running"], false);
    let sock = w.app.data_dir.join("tmux.sock");
    let has = std::process::Command::new("tmux")
        .arg("-S")
        .arg(&sock)
        .args(["has-session", "-t", p["tmux_session"].as_str().expect("s")])
        .status()
        .expect("tmux");
    assert!(!has.success(), "stop kills the project's tmux session");
    let (status, _) = w
        .app
        .post(
            &format!("/api/projects/{id}/messages"),
            &w.user.access,
            json!({"text": "hi"}),
        )
        .await;
    assert_eq!(
        status,
        reqwest::StatusCode::CONFLICT,
        "no controller to talk to"
    );
    w.stop().await;
}
per_version!(lifecycle, lifecycle_pause_stop_and_double_start);

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

async fn question_answered_by_the_llm(version: &'static str) {
    let llm = llm_with(|_, text| {
        (text.contains("Event: question") && text.contains("Postgres"))
            .then(|| MockReply::tool("answer_prompt", json!({"option": 2})))
    });
    let Some(w) = World::new(version, Script::new(vec![]), llm).await else {
        return;
    };
    let p = w.project("Choosy", &[("Pick a database", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::ask_user_question(
            "Which database?",
            "Database",
            &[("SQLite", "a file"), ("Postgres", "a server")],
        )
        .when_user_contains("step 1 only"),
    );
    w.anthropic
        .push_turn(Turn::text("Going with Postgres. Step done."));
    w.start(id).await;
    w.wait_status(id, "completed", RUN).await;
    let logs = w.logs(id).await.join("\n");
    assert!(logs.contains("Chose option 2"), "{logs}");
    // The CLI sent the answer back to the model as the tool's result.
    let answered = w.anthropic.agent_requests().iter().any(|r| {
        r.tool_results
            .iter()
            .any(|t| t.content.contains("Postgres"))
    });
    assert!(answered, "the model got the answer");
    w.stop().await;
}
per_version!(question, question_answered_by_the_llm);

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

#[tokio::test]
async fn two_users_run_at_once_and_see_only_their_own() {
    let Some(w) = World::new(VERSIONS[0], Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let admin = w.app.admin().await;
    let bob = w.app.user(&admin, "bob").await;
    let bob_agent =
        controller_support::create_agent(&w.app, &bob, &w.anthropic, &w.llm, json!({})).await;
    let alice_p = w.project("Alice Site", &[("Alice step", "")]).await;
    let (status, bob_p) = w
        .app
        .post(
            &format!("/api/agents/{bob_agent}/projects"),
            &bob.access,
            json!({"name": "Bob Site", "implementation_plan": [{"title": "Bob step"}]}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{bob_p}");
    let (a, b) = (
        alice_p["id"].as_i64().expect("id"),
        bob_p["id"].as_i64().expect("id"),
    );
    w.start(a).await;
    let (status, _) = w
        .app
        .post(&format!("/api/projects/{b}/start"), &bob.access, json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    w.wait_status(a, "completed", RUN).await;
    eventually_completed(&w, &bob, b).await;
    for (token, theirs) in [(&w.user.access, b), (&bob.access, a)] {
        for path in [
            format!("/api/projects/{theirs}"),
            format!("/api/projects/{theirs}/logs"),
        ] {
            assert_eq!(
                w.app.get(&path, token).await.0,
                reqwest::StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        let (status, _) = w
            .app
            .post(&format!("/api/projects/{theirs}/stop"), token, json!({}))
            .await;
        assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    }
    let (_, bobs) = w.app.get("/api/projects", &bob.access).await;
    assert_eq!(bobs.as_array().map(Vec::len), Some(1));
    assert_eq!(bobs[0]["name"], "Bob Site");
    // Each CLI ran in its owner's directory, with its owner's home.
    assert!(
        alice_p["workspace_path"]
            .as_str()
            .expect("ws")
            .contains("/users/alice/")
    );
    assert!(
        bob_p["workspace_path"]
            .as_str()
            .expect("ws")
            .contains("/users/bob/")
    );
    w.stop().await;
}

async fn eventually_completed(w: &World, who: &common::Session, id: i64) {
    let deadline = tokio::time::Instant::now() + RUN;
    loop {
        let (_, p) = w.app.get(&format!("/api/projects/{id}"), &who.access).await;
        if p["status"] == "completed" {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "project {id} is {}",
            p["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
