//! The agent a controller test's member works with: the pinned CLI release against the
//! mock Anthropic API, supervised by the mock LLM.

use autocode::testkit::MockAnthropic;
use autocode::testkit::mock_llm::MockLlm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::common::{Session, TestApp};

/// The name under which a [`World`] registers its pinned CLI release (`cli_installations`).
pub const TEST_INSTALLATION: &str = "claude-under-test";

/// An agent whose coding CLI is the pinned release (registered as [`TEST_INSTALLATION`])
/// talking to the mock Anthropic API, and whose supervising LLM is the mock LLM (keyless
/// `custom` endpoint).
pub async fn create_agent(
    app: &TestApp,
    user: &Session,
    anthropic: &MockAnthropic,
    llm: &MockLlm,
    extra: Value,
) -> i64 {
    let (status, key) = app
        .post("/api/keys", &user.access, json!({"provider": "anthropic", "label": "test", "key": "sk-ant-test-0123456789abcdefghij"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let mut body = json!({
        "name": format!("builder-{}", key["id"]),
        "model": "mock-supervisor",
        "llm_provider": "custom",
        "llm_base_url": llm.base_url(),
        "permission_policy": {"allow": ["Bash(echo *)"], "deny": [], "default": "llm"},
        "cli": {
            "profile": "claude-code",
            "command": TEST_INSTALLATION,
            "env": {
                "ANTHROPIC_BASE_URL": anthropic.base_url(),
                "ANTHROPIC_API_KEY": {"api_key_id": key["id"]},
                "CLAUDE_CODE_MAX_RETRIES": "1",
            },
        },
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let (status, agent) = app.post("/api/agents", &user.access, body).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    agent["id"].as_i64().expect("id")
}
