//! The HTTP transport under async-openai. Its default transport retries on its own (and
//! sleeps for whatever `Retry-After` a server asks), which would hide failures from our
//! bounded retry policy; it also loses the status of a non-JSON error body (a proxy's plain
//! `429 Too Many Requests`). This transport sends each request exactly once and turns every
//! non-success status into an error that keeps the status.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_openai::error::{ApiError, ApiErrorResponse, OpenAIError, WrappedError};
use async_openai::middleware::HttpRequestFactory;

/// Error bodies are quoted in errors and logs; a proxy's HTML page is cut short.
const MAX_ERROR_BODY: usize = 300;

#[derive(Clone, Debug)]
pub(super) struct SingleShot {
    client: reqwest::Client,
}

impl SingleShot {
    pub(super) fn new(client: reqwest::Client) -> Self {
        Self { client }
    }
}

impl tower::Service<HttpRequestFactory> for SingleShot {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequestFactory) -> Self::Future {
        let client = self.client.clone();
        Box::pin(async move {
            let request = request.build().await?;
            let response = client.execute(request).await?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let body = response.bytes().await?;
            let api_error = match serde_json::from_slice::<WrappedError>(&body) {
                Ok(wrapped) => wrapped.error,
                Err(_) => ApiError {
                    message: truncate(&String::from_utf8_lossy(&body), MAX_ERROR_BODY),
                    ..ApiError::default()
                },
            };
            Err(OpenAIError::ApiError(ApiErrorResponse {
                status_code: status,
                api_error,
            }))
        })
    }
}

pub(super) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
