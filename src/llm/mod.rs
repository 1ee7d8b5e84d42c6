//! The supervising LLM: a client for any OpenAI-compatible chat-completions endpoint
//! (OpenAI, OpenRouter, Ollama, a custom gateway), behind the small [`ChatModel`] trait.
//! It sends one request per call and reports failures with whether they are worth
//! retrying; retry policy belongs to the caller. The API key never appears in Debug output,
//! errors or logs.

mod transport;
mod wire;

use std::future::Future;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use serde_json::Value;

pub use wire::{ChatReply, Message, ToolCall, ToolSpec, Usage};

/// Where a provider's API lives when the agent template names no base URL.
pub fn default_base_url(provider: &str) -> Option<&'static str> {
    match provider {
        "openai" => Some("https://api.openai.com/v1"),
        "openrouter" => Some("https://openrouter.ai/api/v1"),
        "ollama" => Some("http://localhost:11434/v1"),
        _ => None,
    }
}

#[derive(Clone)]
pub struct LlmConfig {
    /// Up to and including the version segment, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// `None` for keyless local endpoints.
    pub api_key: Option<String>,
    pub model: String,
    /// Bound on one HTTP request, connect to last byte.
    pub timeout: Duration,
}

impl LlmConfig {
    /// The configuration for an agent template's provider: its explicit base URL if any,
    /// the provider's default otherwise (`custom` has none and needs one).
    pub fn for_provider(
        provider: &str,
        base_url: Option<&str>,
        api_key: Option<String>,
        model: &str,
        timeout: Duration,
    ) -> Result<Self, LlmError> {
        let base_url = base_url
            .filter(|url| !url.trim().is_empty())
            .or_else(|| default_base_url(provider))
            .ok_or_else(|| {
                LlmError::Config(format!("provider {provider:?} needs an explicit base URL"))
            })?;
        Ok(Self {
            base_url: base_url.to_owned(),
            api_key,
            model: model.to_owned(),
            timeout,
        })
    }
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the LLM did not answer within the timeout")]
    Timeout,
    #[error("cannot reach the LLM endpoint: {0}")]
    Network(String),
    #[error("the LLM endpoint answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the LLM reply is malformed: {0}")]
    Malformed(String),
    #[error("LLM client configuration: {0}")]
    Config(String),
}

impl LlmError {
    /// Whether trying again later may succeed: timeouts, network failures, rate limits and
    /// server errors. A bad key (401), a bad request or garbage will not get better.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Timeout | LlmError::Network(_) => true,
            LlmError::Status { status, .. } => *status == 429 || *status >= 500,
            LlmError::Malformed(_) | LlmError::Config(_) => false,
        }
    }
}

impl From<OpenAIError> for LlmError {
    fn from(error: OpenAIError) -> Self {
        match error {
            OpenAIError::Reqwest(e) if e.is_timeout() => LlmError::Timeout,
            OpenAIError::Reqwest(e) if e.is_decode() => LlmError::Malformed(e.to_string()),
            OpenAIError::Reqwest(e) if e.is_builder() => LlmError::Config(e.to_string()),
            OpenAIError::Reqwest(e) => LlmError::Network(e.to_string()),
            OpenAIError::ApiError(resp) => LlmError::Status {
                status: resp.status_code.as_u16(),
                message: transport::truncate(&resp.api_error.to_string(), 300),
            },
            OpenAIError::JSONDeserialize(e, body) => {
                LlmError::Malformed(format!("{e}: {}", transport::truncate(&body, 200)))
            }
            OpenAIError::InvalidArgument(m) => LlmError::Config(m),
            other => LlmError::Malformed(other.to_string()),
        }
    }
}

/// A chat-completions endpoint, as the decision agent sees it (tests can script one).
pub trait ChatModel: Send + Sync {
    fn chat(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> impl Future<Output = Result<ChatReply, LlmError>> + Send;
}

pub struct LlmClient {
    client: Client<OpenAIConfig>,
    model: String,
    timeout: Duration,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field(
                "base_url",
                &async_openai::config::Config::api_base(self.client.config()),
            )
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    pub fn new(cfg: LlmConfig) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .build()
            .map_err(|e| LlmError::Config(e.to_string()))?;
        // Every field is set explicitly: `OpenAIConfig::new()` would otherwise pick up the
        // daemon's own OPENAI_* environment, and one user's project must never use a key
        // that is not theirs.
        let config = OpenAIConfig::new()
            .with_api_base(cfg.base_url.trim_end_matches('/'))
            .with_api_key(cfg.api_key.unwrap_or_default())
            .with_org_id("")
            .with_project_id("");
        let client =
            Client::with_config(config).with_http_service(transport::SingleShot::new(http));
        Ok(Self {
            client,
            model: cfg.model,
            timeout: cfg.timeout,
        })
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub async fn chat(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<ChatReply, LlmError> {
        let body = wire::request_body(&self.model, messages, tools);
        let started = std::time::Instant::now();
        // reqwest's timeout covers the request; this outer bound also covers anything the
        // library does around it, so a call can never hang a controller.
        let chat = self.client.chat();
        let call = chat.create_byot::<Value, Value>(body);
        let reply = tokio::time::timeout(self.timeout + Duration::from_secs(1), call)
            .await
            .map_err(|_| LlmError::Timeout)?
            .map_err(LlmError::from)
            .and_then(|value| wire::parse_reply(&value));
        match &reply {
            Ok(r) => tracing::debug!(
                model = %self.model,
                ms = started.elapsed().as_millis() as u64,
                prompt_tokens = r.usage.prompt_tokens,
                completion_tokens = r.usage.completion_tokens,
                tool_calls = r.tool_calls.len(),
                "llm call"
            ),
            Err(e) => tracing::warn!(model = %self.model, error = %e, "llm call failed"),
        }
        reply
    }
}

impl ChatModel for LlmClient {
    fn chat(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> impl Future<Output = Result<ChatReply, LlmError>> + Send {
        LlmClient::chat(self, messages, tools)
    }
}

#[cfg(test)]
mod tests;
