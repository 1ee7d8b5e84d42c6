//! From inside member B's running session, with the real Claude Code CLI: a Bash tool call
//! his policy approves tries, in several spellings, to
//! read member A's workspace, the master key, the database, the tmux socket, A's hook
//! secret and other processes. Every attempt fails, while B's own commands run.

mod common;
mod controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};
use serde_json::{Value, json};

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

#[tokio::test]
async fn nothing_of_another_member_is_reachable_from_inside_a_session() {
    let Some(w) = World::new(VERSIONS[0], Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
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
            .delay(Duration::from_secs(40))
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

    // B (bob) approves every Bash call.
    let admin = w.app.admin().await;
    let bob = w.app.user(&admin, "bob").await;
    let policy =
        json!({"permission_policy": {"allow": ["Bash"], "deny": [], "default": "approve"}});
    let bob_agent =
        controller_support::create_agent(&w.app, &bob, &w.anthropic, &w.llm, policy).await;
    let (status, b) = post(
        &w,
        &bob.access,
        format!("/api/agents/{bob_agent}/projects"),
        json!({"name": "Bob Site", "implementation_plan": [{"title": "Bob probes"}]}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{b}");
    let b_id = b["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::bash(probes("BOB-TOOL", &data, &alice_rel)).when_user_contains("Bob probes"),
    );
    w.anthropic
        .push_turn(Turn::text("Probed.").when_user_contains("BOB-TOOL-42"));
    let (status, body) = post(
        &w,
        &bob.access,
        format!("/api/projects/{b_id}/start"),
        json!({}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
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

    let b_now = w
        .app
        .get(&format!("/api/projects/{b_id}"), &bob.access)
        .await
        .1;
    for r in w.anthropic.requests() {
        secrets.assert_absent(&r.body.to_string(), "a request to the model");
    }
    secrets.assert_absent(&w.screen(&b_now), "B's screen");
    w.stop().await;
}
