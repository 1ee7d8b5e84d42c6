//! The conversation view's data: a step run by the real Claude Code CLI (2.1.197 and
//! 2.1.330, against the mock Anthropic API and the mock supervising LLM) that writes a file
//! and runs a Bash command comes back from `GET /api/projects/{id}/conversation` and the
//! `/conversation` WebSocket as typed entries; pages read while it runs, and a live stream
//! that reconnects from its cursor, add up to exactly the whole conversation (no gap, no
//! duplicate); the supervising LLM reads Claude's last reply from the transcript; another
//! member gets 404; a link planted where the transcript is, pointing
//! at another member's file, is not read.

#[macro_use]
mod support;

use support::{controller_support, ws_support};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable};
use reqwest::StatusCode;
use serde_json::{Value, json};
use ws_support::{Options, connect};

const RUN: Duration = Duration::from_secs(120);

#[tokio::test]
async fn a_step_with_a_write_and_a_bash_call_reads_back_as_a_conversation_2_1_197() {
    conversation_of_a_step(VERSIONS[0]).await;
}

#[tokio::test]
async fn a_step_with_a_write_and_a_bash_call_reads_back_as_a_conversation_2_1_330() {
    conversation_of_a_step(VERSIONS[1]).await;
}

fn ids(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}

fn page_path(id: i64, cursor: &str) -> String {
    format!("/api/projects/{id}/conversation?after={cursor}")
}

/// Reads pages from `cursor` until the server has nothing more right now.
async fn drain(w: &World, id: i64, cursor: &mut String, into: &mut Vec<Value>) {
    loop {
        let (status, page) = w.app.get(&page_path(id, cursor), &w.user.access).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        into.extend(page["entries"].as_array().expect("entries").iter().cloned());
        *cursor = page["cursor"].as_str().expect("cursor").to_owned();
        if page["more"] != true {
            return;
        }
    }
}

async fn conversation_of_a_step(version: &str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w
        .project(
            "Talk",
            &[("Write and run", "step 1 only: write hello.txt, then echo")],
        )
        .await;
    let id = p["id"].as_i64().expect("id");
    let ws = PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    let hello = ws.join("hello.txt").to_string_lossy().into_owned();
    w.anthropic.push_turn(
        Turn::write(hello.clone(), "hello\nconversation\n").when_user_contains("step 1 only"),
    );
    w.anthropic.push_turn(Turn::bash("echo conv-bash-output"));
    w.anthropic.push_turn(Turn::text(
        "Wrote **hello.txt** and ran echo. Step 1 is done.",
    ));

    let path = format!("/api/ws/projects/{id}/conversation");
    let mut live = connect(w.app.addr, &path, &Options::token(&w.user.access))
        .await
        .expect("the owner's socket");
    live.send_json(json!({"type": "subscribe", "after": ""}))
        .await;
    let first = live.expect_type("entries", Duration::from_secs(10)).await;
    assert_eq!(first["entries"], json!([]), "nothing before the start");
    w.start(id).await;

    // Pages read while the step runs, each from the cursor of the one before.
    let paging = async {
        let mut cursor = String::new();
        let mut paged = Vec::new();
        let deadline = tokio::time::Instant::now() + RUN;
        loop {
            let done = w.get(id).await["status"] == "completed";
            drain(&w, id, &mut cursor, &mut paged).await;
            if done {
                return paged;
            }
            assert!(tokio::time::Instant::now() < deadline, "step not completed");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    };
    // The live stream, dropped after its first entries and resumed from its cursor.
    let streaming = async {
        let mut streamed: Vec<Value> = Vec::new();
        let mut reconnected = false;
        loop {
            let msg = live.expect_type("entries", RUN).await;
            streamed.extend(msg["entries"].as_array().expect("entries").iter().cloned());
            let cursor = msg["cursor"].as_str().expect("cursor").to_owned();
            if streamed.iter().any(|e| {
                e["kind"] == "text"
                    && e["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("Step 1 is done"))
            }) {
                return (streamed, reconnected);
            }
            if !reconnected && !streamed.is_empty() {
                reconnected = true;
                live = connect(w.app.addr, &path, &Options::token(&w.user.access))
                    .await
                    .expect("reconnect");
                live.send_json(json!({"type": "subscribe", "after": cursor}))
                    .await;
            }
        }
    };
    let (paged, (streamed, reconnected)) = tokio::join!(paging, streaming);
    assert!(reconnected, "the stream was resumed once");

    let mut whole_cursor = String::new();
    let mut whole = Vec::new();
    drain(&w, id, &mut whole_cursor, &mut whole).await;
    assert_eq!(ids(&paged), ids(&whole), "pages: no gap, no duplicate");
    let streamed_ids = ids(&streamed);
    assert_eq!(
        streamed_ids,
        ids(&whole)[..streamed_ids.len()],
        "stream: no gap, no duplicate across the reconnect"
    );

    // What the member will see, in order.
    let find = |pred: &dyn Fn(&Value) -> bool| {
        whole
            .iter()
            .position(pred)
            .unwrap_or_else(|| panic!("not in {whole:#?}"))
    };
    let prompt = find(&|e| {
        e["kind"] == "prompt"
            && e["text"]
                .as_str()
                .is_some_and(|t| t.contains("step 1 only"))
    });
    let write = find(&|e| e["kind"] == "tool_use" && e["name"] == "Write");
    assert_eq!(whole[write]["input"]["file_path"], hello.as_str());
    let written =
        find(&|e| e["kind"] == "tool_result" && e["tool_use_id"] == whole[write]["tool_use_id"]);
    assert_eq!(whole[written]["file_path"], hello.as_str());
    assert_eq!(
        whole[written]["patch"],
        "@@ -0,0 +1,2 @@\n+hello\n+conversation\n"
    );
    let bash = find(&|e| e["kind"] == "tool_use" && e["name"] == "Bash");
    assert_eq!(whole[bash]["input"]["command"], "echo conv-bash-output");
    let ran =
        find(&|e| e["kind"] == "tool_result" && e["tool_use_id"] == whole[bash]["tool_use_id"]);
    assert_eq!(whole[ran]["output"], "conv-bash-output");
    assert_eq!(whole[ran]["is_error"], false);
    let reply = find(&|e| {
        e["kind"] == "text"
            && e["text"]
                .as_str()
                .is_some_and(|t| t.contains("Step 1 is done"))
    });
    assert!(prompt < write && write < written && written < bash && bash < ran && ran < reply);

    // The supervisor judged the finished turn with Claude's reply as the transcript has it.
    let asked: Vec<String> = w
        .llm
        .requests()
        .iter()
        .map(|r| controller_support::last_user_text(&r.body))
        .filter(|t| t.contains("Event: turn_finished"))
        .collect();
    assert!(
        asked
            .iter()
            .any(|t| t
                .contains("<<<REPLY\nWrote **hello.txt** and ran echo. Step 1 is done.\nREPLY>>>")),
        "{asked:#?}"
    );

    // Nothing new: the same cursor back, no entries.
    let (_, again) = w
        .app
        .get(&page_path(id, &whole_cursor), &w.user.access)
        .await;
    assert_eq!(again["entries"], json!([]));
    assert_eq!(again["cursor"], whole_cursor.as_str());
    let (status, bad) = w
        .app
        .get(&page_path(id, "../../etc:0"), &w.user.access)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    // A well-formed cursor of a session the project does not have: the stream says reset,
    // then sends the conversation from its start.
    let mut stale = connect(w.app.addr, &path, &Options::token(&w.user.access))
        .await
        .expect("connect");
    stale
        .send_json(json!({"type": "subscribe", "after": "00000000-0000-4000-8000-000000000000:0"}))
        .await;
    stale.expect_type("reset", RUN).await;
    let mut restarted: Vec<Value> = Vec::new();
    while restarted.len() < whole.len() {
        let msg = stale.expect_type("entries", RUN).await;
        restarted.extend(msg["entries"].as_array().expect("entries").iter().cloned());
    }
    assert_eq!(
        ids(&restarted),
        ids(&whole),
        "after a reset: everything, once"
    );

    // Another member: as if the project did not exist.
    let admin = w.app.admin().await;
    let bob = w.app.user(&admin, "bob").await;
    let (status, _) = w.app.get(&page_path(id, ""), &bob.access).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let refused = connect(w.app.addr, &path, &Options::token(&bob.access)).await;
    assert_eq!(refused.err(), Some(StatusCode::NOT_FOUND));

    // A link where alice's transcript is, into bob's tree: not read.
    let bob_file = w.app.data_dir.join("users/bob/secret.jsonl");
    std::fs::create_dir_all(bob_file.parent().expect("dir")).expect("bob's dir");
    let secret = json!({"type": "user", "uuid": "s", "message": {"content": "BOB'S SECRET"}});
    std::fs::write(&bob_file, format!("{secret}\n")).expect("bob's file");
    let transcript = session_file(&w.app.data_dir, &ws);
    std::fs::remove_file(&transcript).expect("rm");
    std::os::unix::fs::symlink(&bob_file, &transcript).expect("symlink");
    let (status, page) = w.app.get(&page_path(id, ""), &w.user.access).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(!page.to_string().contains("BOB'S SECRET"), "{page}");
    assert_eq!(page["entries"], json!([]));
    w.stop().await;
}

/// Alice's one session file for the workspace `ws`.
fn session_file(data_dir: &Path, ws: &Path) -> PathBuf {
    let folder = data_dir
        .join("users/alice/config/claude/projects")
        .join(autocode::transcript::files::folder_name(ws));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("transcript folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.remove(0)
}
