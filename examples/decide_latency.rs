//! Prints how long one supervising decision takes against a local mock LLM (prompt
//! rendering, the HTTP round trip on loopback, parsing and validation), and the prompt
//! size the model reads per decision:
//! `cargo run --release --example decide_latency`.

use std::time::{Duration, Instant};

use autocode::agent_config::TOOL_NAMES;
use autocode::controller::decide::{DecideConfig, DecisionContext, Event, decide};
use autocode::db::projects::{Step, StepStatus};
use autocode::llm::{LlmClient, LlmConfig};
use autocode::testkit::mock_llm::{MockLlm, MockReply};
use serde_json::json;

const ROUNDS: usize = 500;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockLlm::start(|_| {
        MockReply::tool("mark_step_done", json!({"summary": "done"})).with_usage(0, 0)
    })
    .await?;
    let llm = LlmClient::new(LlmConfig {
        base_url: mock.base_url(),
        api_key: Some("k".into()),
        model: "mock".into(),
        timeout: Duration::from_secs(5),
    })?;
    let steps = (0..10)
        .map(|i| Step {
            title: format!("Step {i}"),
            details: "Implement the module and its tests.".into(),
            status: if i < 3 {
                StepStatus::Done
            } else {
                StepStatus::Pending
            },
        })
        .collect();
    let ctx = DecisionContext {
        event: Event::TurnFinished,
        plan: steps,
        current_step: Some(3),
        description: "A web service with a React front end.".repeat(10),
        architecture: "axum + sqlx + React".repeat(10),
        rules: "Write tests first.".repeat(20),
        memory: "- tests run with cargo test\n".repeat(20),
        screen: "● Wrote src/lib.rs (120 lines)\n".repeat(200),
        last_reply: None,
        recent_decisions: vec!["- 1700000000 | idle | Llm | send_message | step 3".into(); 8],
        allowed_tools: TOOL_NAMES.iter().map(|t| (*t).to_owned()).collect(),
        prior_fallbacks: 0,
    };
    let cfg = DecideConfig::default();
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let decision = decide(&llm, &cfg, &ctx).await;
        times.push(started.elapsed());
        if decision.llm_calls != 1 {
            return Err(format!("expected one call, got {decision:?}").into());
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    let body = mock.requests()[0].body.to_string();
    println!("decisions: {ROUNDS}, one LLM call each");
    println!("p50 {:?}  p99 {:?}  max {:?}", at(0.5), at(0.99), at(1.0));
    println!(
        "request body: {} bytes (~{} tokens)",
        body.len(),
        body.len() / 4
    );
    Ok(())
}
