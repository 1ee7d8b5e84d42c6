//! The mock Anthropic API over real HTTP: what a client (the CLI, or a browser test through the
//! `autocode-mock` process) sees, and what the mock records.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autocode::testkit::{MockAnthropic, RequestKind, Script, Served, Turn};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

fn agent_body(user_text: &str) -> Value {
    json!({
        "model": "claude-test",
        "stream": true,
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "<system-reminder>\nnoise\n</system-reminder>"},
                {"type": "text", "text": user_text}
            ]},
            {"role": "system", "content": "a trailing system reminder"}
        ]
    })
}

async fn post(client: &reqwest::Client, base: &str, body: &Value) -> (u16, String) {
    let response = client
        .post(format!("{base}/v1/messages?beta=true"))
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The `data:` objects of an SSE body.
fn events(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("event json"))
        .collect()
}

fn text_of(body: &str) -> String {
    events(body)
        .iter()
        .filter_map(|e| e["delta"]["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn keyed_turns_wait_for_their_prompt_and_others_go_in_order() {
    let script = Script::new(vec![
        Turn::text("keyed reply").when_user_contains("special"),
        Turn::text("first in order"),
        Turn::text("second in order"),
    ]);
    let mock = MockAnthropic::start(script).await.expect("mock");
    let client = reqwest::Client::new();
    let base = mock.base_url();

    let (_, one) = post(&client, &base, &agent_body("hello")).await;
    let (_, two) = post(&client, &base, &agent_body("a special request")).await;
    let (_, three) = post(&client, &base, &agent_body("hello again")).await;
    let (_, four) = post(&client, &base, &agent_body("nothing left")).await;

    assert_eq!(text_of(&one), "first in order");
    assert_eq!(text_of(&two), "keyed reply");
    assert_eq!(text_of(&three), "second in order");
    assert_eq!(text_of(&four), "OK (mock default reply).");
    let served: Vec<Served> = mock.requests().into_iter().map(|r| r.served).collect();
    assert_eq!(
        served,
        vec![
            Served::Turn(1),
            Served::Turn(0),
            Served::Turn(2),
            Served::DefaultReply
        ]
    );
    assert_eq!(mock.requests()[1].last_user_text, "a special request");
}

#[tokio::test]
async fn side_and_compaction_requests_do_not_consume_the_script() {
    let mock = MockAnthropic::start(Script::new(vec![Turn::text("the real turn")]))
        .await
        .expect("mock");
    let client = reqwest::Client::new();
    let base = mock.base_url();

    let title = json!({"model": "m", "stream": true,
        "messages": [{"role": "user", "content": "Generate a title"}]});
    let (_, side) = post(&client, &base, &title).await;
    let compaction = agent_body(
        "CRITICAL: Respond with TEXT ONLY.\nYour task is to create a detailed summary of the conversation so far",
    );
    let (_, summary) = post(&client, &base, &compaction).await;
    let (_, real) = post(&client, &base, &agent_body("go")).await;

    assert_eq!(text_of(&side), "Mock title");
    assert!(text_of(&summary).contains("<summary>"));
    assert_eq!(text_of(&real), "the real turn");
    let kinds: Vec<RequestKind> = mock.requests().iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![
            RequestKind::Side,
            RequestKind::Compaction,
            RequestKind::AgentLoop
        ]
    );
    assert_eq!(mock.user_prompts(), vec!["go"]);
}

#[tokio::test]
async fn tool_use_turn_streams_a_tool_call_and_the_result_is_recorded() {
    let mock = MockAnthropic::start(Script::new(vec![Turn::bash("touch marker.txt")]))
        .await
        .expect("mock");
    let client = reqwest::Client::new();
    let (status, body) = post(&client, &mock.base_url(), &agent_body("make a marker")).await;
    assert_eq!(status, 200);
    let evs = events(&body);
    let tool = evs
        .iter()
        .find(|e| e["content_block"]["type"] == "tool_use")
        .expect("tool_use block");
    let tool_id = tool["content_block"]["id"].as_str().expect("id").to_owned();
    let input: String = evs
        .iter()
        .filter_map(|e| e["delta"]["partial_json"].as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&input).expect("input json"),
        json!({"command": "touch marker.txt"})
    );
    let stop = evs
        .iter()
        .find(|e| e["type"] == "message_delta")
        .expect("delta");
    assert_eq!(stop["delta"]["stop_reason"], "tool_use");

    let result = json!({
        "model": "m", "stream": true,
        "tools": [{"name": "Bash", "input_schema": {}}],
        "messages": [
            {"role": "user", "content": "make a marker"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": tool_id, "name": "Bash", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "done"}]}
        ]
    });
    post(&client, &mock.base_url(), &result).await;
    let last = mock.requests().pop().expect("recorded");
    assert!(!last.is_prompt());
    assert_eq!(last.tool_results[0].tool_use_id, tool_id);
    assert_eq!(last.tool_results[0].content, "done");
    assert_eq!(mock.user_prompts(), vec!["make a marker"]);
}

#[tokio::test]
async fn error_turns_repeat_with_the_api_error_shape() {
    let script = Script::new(vec![
        Turn::error(529).repeat(2),
        Turn::prompt_too_long(250_000, 200_000),
    ]);
    let mock = MockAnthropic::start(script).await.expect("mock");
    let client = reqwest::Client::new();
    let base = mock.base_url();
    for _ in 0..2 {
        let (status, body) = post(&client, &base, &agent_body("retry me")).await;
        assert_eq!(status, 529);
        let body: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(body["error"]["type"], "overloaded_error");
    }
    let (status, body) = post(&client, &base, &agent_body("retry me")).await;
    assert_eq!(status, 400);
    assert!(body.contains("prompt is too long: 250000 tokens > 200000 maximum"));
    let (status, _) = post(&client, &base, &agent_body("retry me")).await;
    assert_eq!(status, 200, "queue exhausted: default reply");
    assert_eq!(
        mock.user_prompts(),
        vec!["retry me"],
        "retries are one prompt"
    );
}

#[tokio::test]
async fn delayed_turn_is_recorded_before_it_answers() {
    let script = Script::new(vec![Turn::text("late").delay(Duration::from_millis(600))]);
    let mock = MockAnthropic::start(script).await.expect("mock");
    let base = mock.base_url();
    let started = Instant::now();
    let request =
        tokio::spawn(
            async move { post(&reqwest::Client::new(), &base, &agent_body("slow")).await },
        );
    assert!(
        mock.wait_for(WAIT, |r| r.len() == 1).await,
        "request recorded"
    );
    assert!(!request.is_finished(), "still held back when recorded");
    let (_, body) = request.await.expect("join");
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(text_of(&body), "late");
}

#[tokio::test]
async fn usage_is_reported_as_scripted() {
    let script = Script::new(vec![Turn::text("big").usage(150_000, 20)]);
    let mock = MockAnthropic::start(script).await.expect("mock");
    let (_, body) = post(&reqwest::Client::new(), &mock.base_url(), &agent_body("x")).await;
    let evs = events(&body);
    assert_eq!(evs[0]["message"]["usage"]["input_tokens"], 150_000);
    let delta = evs
        .iter()
        .find(|e| e["type"] == "message_delta")
        .expect("delta");
    assert_eq!(delta["usage"]["output_tokens"], 20);
}

#[tokio::test]
async fn reachability_models_and_count_tokens_answer() {
    let mock = MockAnthropic::start(Script::default()).await.expect("mock");
    let client = reqwest::Client::new();
    let base = mock.base_url();
    let head = client.head(format!("{base}/")).send().await.expect("head");
    assert!(head.status().is_success());
    let models: Value = client
        .get(format!("{base}/v1/models"))
        .send()
        .await
        .expect("models")
        .json()
        .await
        .expect("json");
    assert_eq!(models["data"][0]["type"], "model");
    let count: Value = client
        .post(format!("{base}/v1/messages/count_tokens"))
        .json(&agent_body("count me"))
        .send()
        .await
        .expect("count")
        .json()
        .await
        .expect("json");
    assert!(count["input_tokens"].as_u64().expect("number") > 0);
}

#[tokio::test]
async fn non_streaming_request_gets_a_message_object() {
    let mock = MockAnthropic::start(Script::new(vec![Turn::text("plain")]))
        .await
        .expect("mock");
    let mut body = agent_body("x");
    body["stream"] = json!(false);
    let (_, text) = post(&reqwest::Client::new(), &mock.base_url(), &body).await;
    let message: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(message["content"][0]["text"], "plain");
    assert_eq!(message["stop_reason"], "end_turn");
}

/// Kills the child by pid when the test ends, pass or fail.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _already_exited_is_fine = self.0.kill();
        let _reaped = self.0.wait();
    }
}

#[tokio::test]
async fn mock_binary_serves_a_json_script_and_takes_turns_at_runtime() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("script.json");
    std::fs::write(
        &script,
        r#"{"turns": [{"kind": "text", "text": "from the file"}]}"#,
    )
    .expect("write script");
    let child = Command::new(env!("CARGO_BIN_EXE_autocode-mock"))
        .arg("--script")
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn autocode-mock");
    let mut child = ChildGuard(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let port = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("port line");
        line.trim().parse::<u16>().expect("port number")
    })
    .await
    .expect("join");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    let (_, first) = post(&client, &base, &agent_body("one")).await;
    assert_eq!(text_of(&first), "from the file");
    let added: Value = client
        .post(format!("{base}/_mock/turns"))
        .json(&json!([{"kind": "text", "text": "pushed"}]))
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("json");
    assert_eq!(added["added"], 1);
    let (_, second) = post(&client, &base, &agent_body("two")).await;
    assert_eq!(text_of(&second), "pushed");
    let recorded: Vec<Value> = client
        .get(format!("{base}/_mock/requests"))
        .send()
        .await
        .expect("requests")
        .json()
        .await
        .expect("json");
    let prompts: Vec<&str> = recorded
        .iter()
        .filter_map(|r| r["last_user_text"].as_str())
        .collect();
    assert_eq!(prompts, vec!["one", "two"]);
}

#[tokio::test]
async fn paced_stream_delivers_the_whole_reply() {
    let text = "A reply long enough to be split into several streamed pieces, paced apart.";
    let script = Script::new(vec![
        Turn::text(text).chunk_delay(Duration::from_millis(20)),
    ]);
    let mock = MockAnthropic::start(script).await.expect("mock");
    let started = Instant::now();
    let (_, body) = post(&reqwest::Client::new(), &mock.base_url(), &agent_body("x")).await;
    assert_eq!(text_of(&body), text);
    let frames = events(&body).len();
    let paced = Duration::from_millis(20 * (frames as u64 - 1));
    assert!(
        started.elapsed() >= paced,
        "{frames} frames paced 20 ms apart"
    );
}
