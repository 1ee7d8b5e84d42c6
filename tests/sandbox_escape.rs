//! From inside member B's running session, with the real Claude Code CLI, three ways in: a
//! Bash tool call his policy approves, a `!` line he sends as a message, and a `!` line he
//! types after taking over the terminal. Each tries, in several spellings, to read member
//! A's workspace, the master key, the database, the tmux socket, A's hook secret, other
//! processes and the daemon's environment. Every attempt fails, while B's own commands run
//! and his step completes.

#[macro_use]
mod support;

use support::{common, controller_support, ws_support};

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::mock_llm::MockReply;
use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};
use serde_json::{Value, json};
use ws_support::{Options, connect, terminal_path};

const RUN: Duration = Duration::from_secs(120);

/// Shell lines that try to reach A's data from B's sandbox; `marker` proves they ran. The
/// data dir is spelled in two halves so the lexical policy sees no path (as an attacker
/// would phrase it); only the sandbox stands in the way.
fn probes(marker: &str, data: &str, alice_rel: &str) -> String {
    let (left, right) = data.split_at(data.len() / 2);
    [
        format!("L='{left}'; R='{right}'; D=\"$L$R\"; A=\"$D/{alice_rel}\""),
        format!("echo {marker}-$((6*7))"),
        "cat \"$A\"".to_owned(),
        "cat \"/proc/self/root$A\"".to_owned(),
        "python3 -c 'import os; print(open(os.environ.get(\"A\", \"\")).read())'".to_owned(),
        "od -An -tx1 \"$D/master.key\"".to_owned(),
        "od -An -c \"$D/autocode.db\" | head -5".to_owned(),
        "ls \"$D\" | tr '\\n' ,; ls \"$D/users\" | tr '\\n' ,; ls -la \"$D/tmux.sock\"".to_owned(),
        "cat \"$D\"/run/hooks/*".to_owned(),
        "ln -s \"$D\" /tmp/d; cat /tmp/d/master.key /tmp/d/users/*/*/*/secret.txt".to_owned(),
        "cat /proc/*/cmdline | tr '\\0' ' '".to_owned(),
        "cat /proc/*/environ | tr '\\0' '\\n'".to_owned(),
    ]
    .join("; ")
}

struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn assert_absent(&self, text: &str, place: &str) {
        for (what, value) in &self.0 {
            assert!(!text.contains(value.as_str()), "{what} leaked into {place}");
        }
    }
}

async fn post(w: &World, token: &str, path: String, body: Value) -> (reqwest::StatusCode, Value) {
    w.app.post(&path, token, body).await
}

/// What B must never see: A runs a project (its CLI alive, its hook secret kept) with a
/// secret file in its workspace.
struct AliceRunning {
    data: String,
    alice_rel: String,
    secrets: Secrets,
}

async fn alice_running(w: &World) -> AliceRunning {
    let data = w.app.data_dir.to_string_lossy().into_owned();
    // A (alice, the World's user) runs a project with a secret in its workspace.
    let a = w.project("Alice Site", &[("Alice waits", "")]).await;
    let a_id = a["id"].as_i64().expect("id");
    let alice_file = format!("{}/secret.txt", a["workspace_path"].as_str().expect("ws"));
    let alice_rel = alice_file
        .strip_prefix(&format!("{data}/"))
        .expect("A's workspace is in the data dir")
        .to_owned();
    std::fs::write(&alice_file, "ALICE-SECRET-93d1f").expect("alice's file");
    w.anthropic.push_turn(
        Turn::text("Waited.")
            .delay(Duration::from_secs(150))
            .when_user_contains("Alice waits"),
    );
    w.start(a_id).await;
    let hook_dir = w.app.data_dir.join("run/hooks");
    common::eventually("A's hook secret is kept", RUN, || {
        let path = hook_dir.join(format!("{a_id}.secret"));
        async move { path.exists() }
    })
    .await;
    let key = std::fs::read(w.app.data_dir.join("master.key")).expect("master key");
    let spaced: Vec<String> = key.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let secrets = Secrets(vec![
        ("A's file".into(), "ALICE-SECRET-93d1f".into()),
        ("the master key".into(), spaced.join(" ")),
        ("the master key".into(), hex::encode(&key)),
        (
            "A's hook secret".into(),
            std::fs::read_to_string(hook_dir.join(format!("{a_id}.secret"))).expect("secret"),
        ),
        // The daemon (this test process) runs with CARGO_MANIFEST_DIR set.
        (
            "the daemon's environment".into(),
            "CARGO_MANIFEST_DIR=".into(),
        ),
        ("the data dir's listing".into(), "master.key,".into()),
        ("another member's name".into(), "alice,".into()),
        ("the database".into(), "S   Q   L   i   t   e".into()),
    ]);

    AliceRunning {
        data,
        alice_rel,
        secrets,
    }
}

/// Member B (bob) with an agent that approves every Bash call, and one project of his.
async fn bob_project(w: &World, name: &str, step: &str) -> (common::Session, Value) {
    let admin = w.app.admin().await;
    let bob = w.app.user(&admin, "bob").await;
    let policy =
        json!({"permission_policy": {"allow": ["Bash"], "deny": [], "default": "approve"}});
    let bob_agent =
        controller_support::create_agent(&w.app, &bob, &w.anthropic, &w.llm, policy).await;
    let (status, b) = post(
        w,
        &bob.access,
        format!("/api/agents/{bob_agent}/projects"),
        json!({"name": name, "implementation_plan": [{"title": step}]}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{b}");
    (bob, b)
}

/// Starts B's project as B.
async fn start_as(w: &World, bob: &common::Session, id: i64) {
    let (status, body) = post(
        w,
        &bob.access,
        format!("/api/projects/{id}/start"),
        json!({}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
}

async fn bob_status(w: &World, bob: &common::Session, id: i64) -> String {
    let project = w
        .app
        .get(&format!("/api/projects/{id}"), &bob.access)
        .await
        .1;
    project["status"].as_str().unwrap_or("").to_owned()
}

/// Everything B's tree holds as text (his CLI's transcripts, where `!` lines and their
/// output are kept) and his live screen.
fn bob_text(w: &World, b: &Value) -> String {
    fn walk(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                walk(&path, out);
            } else if kind.is_file()
                && entry.metadata().is_ok_and(|m| m.len() < 4 << 20)
                && let Ok(bytes) = std::fs::read(&path)
            {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    let mut out = w.screen(b);
    walk(&w.app.data_dir.join("users/bob"), &mut out);
    out
}

#[tokio::test]
async fn nothing_of_another_member_is_reachable_from_inside_a_session() {
    let Some(w) = World::new(VERSIONS[0], Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let AliceRunning {
        data,
        alice_rel,
        secrets,
    } = alice_running(&w).await;
    let (bob, b) = bob_project(&w, "Bob Site", "Bob probes").await;
    let b_id = b["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::bash(probes("BOB-TOOL", &data, &alice_rel)).when_user_contains("Bob probes"),
    );
    w.anthropic
        .push_turn(Turn::text("Probed.").when_user_contains("BOB-TOOL-42"));
    start_as(&w, &bob, b_id).await;
    let seen = w
        .anthropic
        .wait_for(RUN, |reqs| {
            reqs.iter().any(|r| {
                r.tool_results
                    .iter()
                    .any(|t| t.content.contains("BOB-TOOL-42"))
            })
        })
        .await;
    if !seen {
        let logs = w
            .app
            .get(&format!("/api/projects/{b_id}/logs"), &bob.access)
            .await
            .1;
        panic!("B's Bash call never ran: {logs}\n{}", w.screen(&b));
    }
    let results: String = w
        .anthropic
        .requests()
        .iter()
        .flat_map(|r| r.tool_results.iter().map(|t| t.content.clone()))
        .collect();
    // The listing works: B sees his own directory among the members, and only it.
    assert!(results.contains("bob,"), "{results}");

    // B's own step still completes.
    common::eventually("B's step completes", RUN, || async {
        bob_status(&w, &bob, b_id).await == "completed"
    })
    .await;
    for r in w.anthropic.requests() {
        secrets.assert_absent(&r.body.to_string(), "a request to the model");
    }
    secrets.assert_absent(&bob_text(&w, &b), "B's files and screen");
    w.stop().await;
}

/// The same probes, short enough to type: a `!` line runs in the CLI's own shell.
fn typed_probes(marker: &str, data: &str, alice_rel: &str) -> String {
    let (left, right) = data.split_at(data.len() / 2);
    format!(
        "!L='{left}'; R='{right}'; D=\"$L$R\"; echo {marker}-$((6*7)); cat \"$D/{alice_rel}\"; \
         od -An -tx1 \"$D/master.key\"; head -c 64 \"$D/autocode.db\"; \
         ls \"$D\" \"$D/users\" | tr '\\n' ,; cat \"$D\"/run/hooks/*; \
         cat /proc/*/environ | tr '\\0' '\\n'"
    )
}

#[tokio::test]
async fn a_bang_line_sent_as_a_message_and_take_over_typing_stay_inside() {
    // The supervisor asks B once after his first turn (so the CLI sits idle for the
    // take-over), then agrees as usual.
    let asked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let llm = move |req: &Value| {
        let text = controller_support::last_user_text(req);
        if text.contains("Event: turn_finished")
            && !asked.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return MockReply::tool("ask_human", json!({"question": "Anything to add?"}));
        }
        agreeable(req)
    };
    let Some(w) = World::new(VERSIONS[0], Script::new(vec![]), Arc::new(llm)).await else {
        return;
    };
    let AliceRunning {
        data,
        alice_rel,
        secrets,
    } = alice_running(&w).await;
    let (bob, b) = bob_project(&w, "Bob Chat", "Bob talks").await;
    let b_id = b["id"].as_i64().expect("id");
    // B's turn takes a while, so his message arrives while the project runs.
    w.anthropic.push_turn(
        Turn::text("Talked.")
            .delay(Duration::from_secs(8))
            .when_user_contains("Bob talks"),
    );
    start_as(&w, &bob, b_id).await;
    w.wait_prompt("Bob talks").await;

    // (2) A `!` line sent as a message.
    let (status, body) = post(
        &w,
        &bob.access,
        format!("/api/projects/{b_id}/messages"),
        json!({"text": typed_probes("BOB-BANG", &data, &alice_rel)}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{body}");
    common::eventually("the message's ! line ran in B's CLI", RUN, || async {
        bob_text(&w, &b).contains("BOB-BANG-42")
    })
    .await;

    // (3) Take-over typing, while the supervisor waits for B's answer.
    common::eventually("B's project asks him", RUN, || async {
        bob_status(&w, &bob, b_id).await == "needs_help"
    })
    .await;
    let mut ws = connect(
        w.app.addr,
        &terminal_path(b_id),
        &Options::token(&bob.access),
    )
    .await
    .expect("B's terminal");
    let wait = Duration::from_secs(10);
    ws.expect_type("snapshot", wait).await;
    let control = ws.expect_type("control", wait).await;
    assert_eq!(control["human"], json!(false), "{control}");
    ws.send_json(json!({"type": "take_over"})).await;
    let control = ws.expect_type("control", wait).await;
    assert_eq!(control["human"], json!(true), "{control}");
    ws.send_json(json!({"type": "input", "data": typed_probes("BOB-TYPED", &data, &alice_rel)}))
        .await;
    ws.send_json(json!({"type": "key", "key": "Enter"})).await;
    common::eventually("the typed ! line ran in B's CLI", RUN, || async {
        bob_text(&w, &b).contains("BOB-TYPED-42")
    })
    .await;
    ws.send_json(json!({"type": "release"})).await;

    // B's step still completes once he answers.
    w.anthropic
        .push_turn(Turn::text("All done.").when_user_contains("Nothing to add"));
    let (status, body) = post(
        &w,
        &bob.access,
        format!("/api/projects/{b_id}/messages"),
        json!({"text": "Nothing to add, thanks."}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{body}");
    common::eventually("B's step completes", RUN, || async {
        bob_status(&w, &bob, b_id).await == "completed"
    })
    .await;

    let seen = bob_text(&w, &b);
    // B's shell ran and listed his own directory among the members, and only it.
    assert!(seen.contains("bob,"), "B's listing is missing");
    secrets.assert_absent(&seen, "B's files and screen");
    for r in w.anthropic.requests() {
        secrets.assert_absent(&r.body.to_string(), "a request to the model");
    }
    w.stop().await;
}
