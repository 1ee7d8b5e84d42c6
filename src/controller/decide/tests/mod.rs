//! The supervising LLM's decisions against the scripted mock: valid and invalid tool calls,
//! retries, timeouts and fallbacks.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::agent_config::TOOL_NAMES;
use crate::db::projects::StepStatus;
use crate::llm::{LlmClient, LlmConfig};
use crate::testkit::mock_llm::{MockLlm, MockReply, MockScript};

/// The prompt's text, the fallbacks, planning and the actions' wording.
mod wording;

fn fast() -> DecideConfig {
    DecideConfig {
        tries: 3,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        budget: Duration::from_secs(5),
        fallback_wait_secs: 30,
    }
}

fn client(mock: &MockLlm, timeout: Duration) -> LlmClient {
    LlmClient::new(LlmConfig {
        base_url: mock.base_url(),
        api_key: Some("k".into()),
        model: "m".into(),
        timeout,
    })
    .expect("client")
}

fn ctx(event: Event) -> DecisionContext {
    let step = |title: &str, status| Step {
        title: title.into(),
        details: format!("details of {title}"),
        status,
    };
    DecisionContext {
        event,
        plan: vec![
            step("Write hello.py", StepStatus::Running),
            step("Add tests", StepStatus::Pending),
        ],
        current_step: Some(0),
        description: "A greeting program".into(),
        architecture: "One Python file".into(),
        rules: "Be careful".into(),
        memory: "Python 3.11 is installed".into(),
        screen: "> write hello.py\n● Done.\n".into(),
        last_reply: None,
        recent_decisions: vec!["12:00 sent step 0".into()],
        allowed_tools: TOOL_NAMES.iter().map(|s| (*s).to_owned()).collect(),
        prior_fallbacks: 0,
    }
}

async fn run(mock: &MockLlm, ctx: &DecisionContext) -> Decision {
    decide(&client(mock, Duration::from_secs(5)), &fast(), ctx).await
}

fn user_message(request: &crate::testkit::mock_llm::RecordedRequest) -> String {
    request.messages()[1]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_valid_tool_call_becomes_the_decision() {
    let mock = MockLlm::with_script(MockScript::queue([MockReply::tools(&[
        ("remember", json!({"fact": "tests use pytest"})),
        (
            "mark_step_done",
            json!({"summary": "hello.py prints hello"}),
        ),
    ])
    .with_usage(900, 40)]))
    .await
    .expect("mock");
    let d = run(&mock, &ctx(Event::TurnFinished)).await;
    assert_eq!(d.source, Source::Llm);
    assert_eq!(
        d.actions,
        [
            Action::Remember {
                fact: "tests use pytest".into()
            },
            Action::MarkStepDone {
                summary: "hello.py prints hello".into()
            },
        ]
    );
    assert_eq!(
        d.usage,
        Usage {
            prompt_tokens: 900,
            completion_tokens: 40
        }
    );
    assert_eq!(d.llm_calls, 1);
    let request = &mock.requests()[0];
    // No menu is on screen, so answer_prompt is not offered.
    let offered = request.offered_tools();
    assert!(!offered.contains(&"answer_prompt".to_owned()));
    assert!(offered.contains(&"mark_step_done".to_owned()));
    assert_eq!(request.messages()[0]["role"], "system");
    let context = user_message(request);
    for part in [
        "A greeting program",
        "[0] running: Write hello.py  <- current",
        "Python 3.11",
        "12:00 sent step 0",
    ] {
        assert!(context.contains(part), "{part} missing from {context}");
    }
}

#[tokio::test]
async fn an_invalid_call_is_explained_and_asked_again_once() {
    let mock = MockLlm::with_script(MockScript::queue([
        MockReply::tools(&[
            ("send_message", json!("{\"text\": unquoted}")),
            ("wait", json!({"seconds": 5})),
        ])
        .with_usage(100, 10),
        MockReply::tool("send_message", json!({"text": "Run the tests"})).with_usage(150, 5),
    ]))
    .await
    .expect("mock");
    let d = run(&mock, &ctx(Event::TurnFinished)).await;
    assert_eq!(d.source, Source::Llm);
    assert_eq!(
        d.actions,
        [Action::SendMessage {
            text: "Run the tests".into()
        }]
    );
    assert_eq!(
        d.usage,
        Usage {
            prompt_tokens: 250,
            completion_tokens: 15
        }
    );
    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    let second = requests[1].messages();
    assert_eq!(second.len(), 5, "system, user, assistant, two tool results");
    assert_eq!(second[2]["role"], "assistant");
    assert_eq!(
        second[2]["tool_calls"][0]["function"]["name"],
        "send_message"
    );
    assert_eq!(second[3]["role"], "tool");
    assert_eq!(second[3]["tool_call_id"], second[2]["tool_calls"][0]["id"]);
    let rejected = second[3]["content"].as_str().unwrap_or_default();
    assert!(
        rejected.contains("REJECTED") && rejected.contains("not valid JSON"),
        "{rejected}"
    );
    assert!(
        second[4]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("NOT EXECUTED")
    );
}

#[tokio::test]
async fn invalid_twice_falls_back_without_a_third_call() {
    let mock = MockLlm::start(|_| MockReply::tool("answer_prompt", json!({"option": 7})))
        .await
        .expect("mock");
    let event = Event::Permission {
        tool: "Bash".into(),
        subject: "make deploy".into(),
        options: vec!["Yes".into(), "No".into()],
    };
    let d = run(&mock, &ctx(event)).await;
    assert_eq!(d.source, Source::Fallback);
    assert!(
        d.reason.contains("option must be between 1 and 2"),
        "{}",
        d.reason
    );
    assert!(
        matches!(&d.actions[..], [Action::AskHuman { question }] if question.contains("make deploy"))
    );
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn a_tool_the_agent_may_not_use_is_rejected() {
    let mock = MockLlm::with_script(MockScript::queue([
        MockReply::tool("restart_cli", json!({})),
        MockReply::tool("wait", json!({"seconds": 5000})),
    ]))
    .await
    .expect("mock");
    let mut c = ctx(Event::TurnFinished);
    c.allowed_tools = vec!["wait".into(), "send_message".into()];
    let d = run(&mock, &c).await;
    let requests = mock.requests();
    assert_eq!(requests[0].offered_tools(), ["send_message", "wait"]);
    let rejection = requests[1].messages()[3]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        rejection.contains("\"restart_cli\" is not available"),
        "{rejection}"
    );
    assert_eq!(d.source, Source::Llm);
    assert_eq!(
        d.actions,
        [Action::Wait {
            seconds: MAX_WAIT_SECS
        }]
    );
}

#[tokio::test]
async fn a_reply_without_tool_calls_is_asked_again() {
    let mock = MockLlm::with_script(MockScript::queue([
        MockReply::content("I think the step is done."),
        MockReply::tool("press_key", json!({"key": "rm -rf /"})),
    ]))
    .await
    .expect("mock");
    let d = run(&mock, &ctx(Event::TurnFinished)).await;
    assert_eq!(d.source, Source::Fallback);
    assert!(d.reason.contains("is not allowed"), "{}", d.reason);
    assert_eq!(d.actions, [Action::Wait { seconds: 30 }]);
    let second = mock.requests()[1].messages().to_vec();
    assert_eq!(
        second.last().map(|m| m["role"].clone()),
        Some(Value::from("user"))
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_fall_back() {
    let mock = MockLlm::start(|_| MockReply::status(500))
        .await
        .expect("mock");
    let d = run(
        &mock,
        &ctx(Event::Question {
            text: "Which DB?".into(),
            options: vec![],
        }),
    )
    .await;
    assert_eq!(d.source, Source::Fallback);
    assert_eq!(mock.request_count(), 3);
    assert_eq!(d.llm_calls, 3);
    assert!(
        matches!(&d.actions[..], [Action::AskHuman { question }] if question.contains("Which DB?"))
    );
}

#[tokio::test]
async fn a_rate_limit_is_retried_and_then_succeeds() {
    let mock = MockLlm::with_script(MockScript::queue([
        MockReply::status(429),
        MockReply::tool("wait", json!({"seconds": "20"})).with_usage(10, 2),
    ]))
    .await
    .expect("mock");
    let d = run(&mock, &ctx(Event::TurnFinished)).await;
    assert_eq!(d.source, Source::Llm);
    assert_eq!(d.actions, [Action::Wait { seconds: 20 }]);
    assert_eq!(d.llm_calls, 2);
}

#[tokio::test]
async fn a_slow_llm_times_out_and_falls_back_in_bounded_time() {
    let mock = MockLlm::start(|_| {
        MockReply::tool("wait", json!({"seconds": 1})).delayed(Duration::from_secs(30))
    })
    .await
    .expect("mock");
    let started = std::time::Instant::now();
    let d = decide(
        &client(&mock, Duration::from_millis(200)),
        &DecideConfig { tries: 2, ..fast() },
        &ctx(Event::Stall { secs: 400 }),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(d.source, Source::Fallback);
    assert!(d.reason.contains("timeout"), "{}", d.reason);
    assert_eq!(d.actions[0], Action::PressKey { key: Key::Escape });
    assert!(
        matches!(&d.actions[1], Action::SendMessage { text } if text.contains("What happened"))
    );
    assert_eq!(mock.request_count(), 2);
}
