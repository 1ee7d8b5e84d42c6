use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::testkit::mock_llm::{MockLlm, MockReply};

const KEY: &str = "sk-test-SECRET-4242";

fn client(base_url: &str, timeout: Duration) -> LlmClient {
    LlmClient::new(LlmConfig {
        base_url: base_url.to_owned(),
        api_key: Some(KEY.to_owned()),
        model: "supervisor-1".to_owned(),
        timeout,
    })
    .expect("client")
}

fn wait_tool() -> ToolSpec {
    ToolSpec {
        name: "wait".into(),
        description: "wait".into(),
        parameters: json!({"type": "object", "properties": {"seconds": {"type": "integer"}}}),
    }
}

#[tokio::test]
async fn a_completion_returns_tool_calls_and_usage_and_sends_the_key_as_bearer() {
    let mock =
        MockLlm::start(|_| MockReply::tool("wait", json!({"seconds": 5})).with_usage(321, 12))
            .await
            .expect("mock");
    let llm = client(&format!("{}/", mock.base_url()), Duration::from_secs(5));
    let reply = llm
        .chat(&[Message::User("hello".into())], &[wait_tool()])
        .await
        .expect("reply");
    assert_eq!(reply.tool_calls.len(), 1);
    assert_eq!(reply.tool_calls[0].name, "wait");
    assert_eq!(reply.tool_calls[0].arguments, r#"{"seconds":5}"#);
    assert_eq!(
        reply.usage,
        Usage {
            prompt_tokens: 321,
            completion_tokens: 12
        }
    );
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(requests[0].body["model"], "supervisor-1");
    assert_eq!(requests[0].offered_tools(), vec!["wait".to_owned()]);
    assert_eq!(requests[0].messages()[0]["content"], "hello");
}

#[tokio::test]
async fn http_errors_keep_their_status_and_are_sent_once() {
    let cases = [
        (MockReply::status(500), 500, true),
        (MockReply::status(503), 503, true),
        (MockReply::status(401), 401, false),
        (MockReply::status(400), 400, false),
        // A proxy's plain-text rate limit must still be seen as a retryable 429.
        (
            MockReply::Status {
                status: 429,
                body: Some("Too Many Requests".into()),
            },
            429,
            true,
        ),
    ];
    for (reply, expected, retryable) in cases {
        let mock = MockLlm::start(move |_| reply.clone()).await.expect("mock");
        let err = client(&mock.base_url(), Duration::from_secs(5))
            .chat(&[Message::User("x".into())], &[])
            .await
            .expect_err("an error status");
        match &err {
            LlmError::Status { status, .. } => assert_eq!(*status, expected),
            other => panic!("expected status {expected}, got {other:?}"),
        }
        assert_eq!(err.is_retryable(), retryable, "{err}");
        // Retrying is the caller's policy; the client itself must not multiply requests.
        assert_eq!(mock.request_count(), 1, "{expected}");
    }
}

#[tokio::test]
async fn a_slow_endpoint_times_out_within_the_bound() {
    let mock = MockLlm::start(|_| MockReply::content("late").delayed(Duration::from_secs(10)))
        .await
        .expect("mock");
    let started = Instant::now();
    let err = client(&mock.base_url(), Duration::from_millis(300))
        .chat(&[Message::User("x".into())], &[])
        .await
        .expect_err("timeout");
    assert!(matches!(err, LlmError::Timeout), "{err:?}");
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn garbage_bodies_are_malformed_and_not_retried() {
    for body in ["this is not json", r#"{"choices": "nope"}"#] {
        let body = body.to_owned();
        let mock = MockLlm::start(move |_| MockReply::Raw { body: body.clone() })
            .await
            .expect("mock");
        let err = client(&mock.base_url(), Duration::from_secs(5))
            .chat(&[Message::User("x".into())], &[])
            .await
            .expect_err("malformed");
        assert!(matches!(err, LlmError::Malformed(_)), "{err:?}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn a_closed_port_is_a_retryable_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let err = client(&format!("http://{addr}/v1"), Duration::from_secs(5))
        .chat(&[Message::User("x".into())], &[])
        .await
        .expect_err("refused");
    assert!(matches!(err, LlmError::Network(_)), "{err:?}");
    assert!(err.is_retryable());
}

/// Collects everything logged while the test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_key_never_appears_in_debug_output_errors_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let replies = Arc::new(Mutex::new(vec![
        MockReply::status(401),
        MockReply::Raw {
            body: "garbage".into(),
        },
        MockReply::content("ok").with_usage(1, 1),
    ]));
    let mock = MockLlm::start(move |_| replies.lock().expect("replies").remove(0))
        .await
        .expect("mock");
    let llm = client(&mock.base_url(), Duration::from_secs(5));
    let mut texts = vec![
        format!("{llm:?}"),
        format!(
            "{:?}",
            LlmConfig {
                base_url: "http://x".into(),
                api_key: Some(KEY.into()),
                model: "m".into(),
                timeout: Duration::from_secs(1),
            }
        ),
    ];
    for _ in 0..3 {
        match llm.chat(&[Message::User("x".into())], &[]).await {
            Ok(reply) => texts.push(format!("{reply:?}")),
            Err(e) => texts.push(format!("{e} {e:?}")),
        }
    }
    assert_eq!(mock.request_count(), 3);
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("logs")).into_owned();
    assert!(
        logged.contains("llm call"),
        "the test must see the client's logs"
    );
    for text in texts.iter().chain([&logged]) {
        assert!(!text.contains("SECRET-4242"), "key leaked in: {text}");
    }
}

#[test]
fn providers_have_default_base_urls_except_custom() {
    assert_eq!(
        default_base_url("openai"),
        Some("https://api.openai.com/v1")
    );
    assert!(default_base_url("openrouter").is_some());
    assert!(default_base_url("ollama").is_some());
    assert_eq!(default_base_url("custom"), None);
    let t = Duration::from_secs(1);
    assert!(LlmConfig::for_provider("custom", None, None, "m", t).is_err());
    let cfg = LlmConfig::for_provider("custom", Some("http://gw/v1"), None, "m", t)
        .expect("explicit url");
    assert_eq!(cfg.base_url, "http://gw/v1");
    let cfg = LlmConfig::for_provider("ollama", Some(" "), None, "m", t).expect("default url");
    assert_eq!(cfg.base_url, "http://localhost:11434/v1");
}
