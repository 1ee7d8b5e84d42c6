//! The controller end to end: real tmux, the real Claude Code CLI (every pinned release)
//! against the mock Anthropic API, a scripted mock supervising LLM, driven through the
//! HTTP API only. The faults it recovers from are in `controller_faults.rs`.

#[macro_use]
mod support;

use support::{common, controller_support};

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::mock_llm::MockReply;
use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable, llm_with};
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
    assert!(
        bobs[0]["cost"]["calls"].as_i64().expect("calls") > 0,
        "{bobs}"
    );
    // A listing carries each project's own cost: the one that ran, and one never started.
    let idle = w.project("Alice Idle", &[("Later", "")]).await;
    let (_, mine) = w.app.get("/api/projects", &w.user.access).await;
    let listed = |id: &serde_json::Value| {
        mine.as_array()
            .and_then(|l| l.iter().find(|p| p["id"] == *id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in {mine}"))
    };
    let (_, single) = w
        .app
        .get(&format!("/api/projects/{a}"), &w.user.access)
        .await;
    assert!(
        single["cost"]["calls"].as_i64().expect("calls") > 0,
        "{single}"
    );
    assert_eq!(listed(&alice_p["id"])["cost"], single["cost"]);
    assert_eq!(listed(&idle["id"])["cost"]["calls"], 0);
    assert_eq!(listed(&alice_p["id"])["remote"], serde_json::Value::Null);
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
