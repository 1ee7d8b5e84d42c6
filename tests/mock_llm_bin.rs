//! The `autocode-mock-llm` binary that browser end-to-end tests run: it serves a script
//! file, announces its port, and answers by rule, then queue, then default.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_autocode-mock-llm");

/// Kills the mock (by its own pid) even when an assertion fails.
struct Mock(Child);

impl Drop for Mock {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill() {
            eprintln!("mock already gone: {e}");
        }
        if let Err(e) = self.0.wait() {
            eprintln!("cannot reap the mock: {e}");
        }
    }
}

#[tokio::test]
async fn the_mock_binary_serves_a_script_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("script.json");
    let body = json!({
        "rules": [{"contains": "draft a plan", "reply": {"kind": "content", "text": "plan!"}}],
        "queue": [
            {"kind": "tool_calls", "calls": [{"name": "wait", "arguments": {"seconds": 3}}],
             "usage": {"prompt_tokens": 11, "completion_tokens": 2}},
            {"kind": "status", "status": 503}
        ],
        "default": {"kind": "raw", "body": "not json"}
    });
    std::fs::write(&script, body.to_string()).expect("write script");
    let mut child = Command::new(BIN)
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn mock");
    let stdout = child.stdout.take().expect("stdout");
    let mock = Mock(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        tx.send(read).ok();
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the mock announces its port in time")
        .expect("read stdout");
    let port: u16 = line
        .trim()
        .strip_prefix("PORT=")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));

    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/v1/chat/completions");
    let ask = |text: &str| {
        http.post(&url)
            .json(&json!({"model": "m", "messages": [{"role": "user", "content": text}]}))
            .send()
    };
    let planned: Value = ask("please draft a plan")
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(planned["choices"][0]["message"]["content"], "plan!");
    let first: Value = ask("decide")
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let call = &first["choices"][0]["message"]["tool_calls"][0]["function"];
    assert_eq!(call["name"], "wait");
    assert_eq!(call["arguments"], r#"{"seconds":3}"#);
    assert_eq!(first["usage"]["prompt_tokens"], 11);
    assert_eq!(ask("decide").await.expect("send").status().as_u16(), 503);
    let raw = ask("decide").await.expect("send");
    assert_eq!(raw.status().as_u16(), 200);
    assert_eq!(raw.text().await.expect("text"), "not json");
    drop(mock);
}
