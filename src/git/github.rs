//! Opening a pull request on GitHub (REST `POST /repos/{owner}/{repo}/pulls`) with the
//! member's token as a bearer token. The daemon makes this call itself: it is an HTTP
//! request to a fixed API, not a program of the member's. Errors are in plain words.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(30);

/// What to open: `head` into `base` on `owner/repo`.
pub struct PullRequest<'a> {
    pub owner: &'a str,
    pub repo: &'a str,
    pub head: &'a str,
    pub base: &'a str,
    pub title: &'a str,
    pub body: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub could not be reached: {0}")]
    Unreachable(String),
    #[error("GitHub refused the stored git token (401): check it in Settings")]
    BadToken,
    #[error("GitHub says the token may not open pull requests on {0} ({1})")]
    NotAllowed(String, u16),
    #[error("GitHub answered {0}: {1}")]
    Other(u16, String),
}

#[derive(Deserialize)]
struct Created {
    html_url: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

fn client() -> Result<reqwest::Client, GitHubError> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("AutoCode/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| GitHubError::Unreachable(e.to_string()))
}

fn request(builder: reqwest::RequestBuilder, token: &str) -> reqwest::RequestBuilder {
    builder
        .bearer_auth(token)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
}

/// Opens the pull request and returns its page; one already open for the same branch is
/// found and returned instead (a project completed again after an undo).
pub async fn open_pull_request(
    api_base: &str,
    token: &str,
    pr: &PullRequest<'_>,
) -> Result<String, GitHubError> {
    let http = client()?;
    let base = api_base.trim_end_matches('/');
    let pulls = format!("{base}/repos/{}/{}/pulls", pr.owner, pr.repo);
    let body = json!({"title": pr.title, "head": pr.head, "base": pr.base, "body": pr.body});
    let response = request(http.post(&pulls), token)
        .json(&body)
        .send()
        .await
        .map_err(|e| GitHubError::Unreachable(without_url(&e)))?;
    let status = response.status().as_u16();
    if status == 201 {
        let created: Created = response
            .json()
            .await
            .map_err(|_| GitHubError::Other(status, "an answer without a link".into()))?;
        return Ok(created.html_url);
    }
    let error: ErrorBody = response.json().await.unwrap_or(ErrorBody {
        message: String::new(),
        errors: Vec::new(),
    });
    let already = error.errors.iter().any(|e| {
        e.get("message")
            .and_then(|m| m.as_str())
            .is_some_and(|m| m.contains("already exists"))
    });
    match status {
        422 if already => existing(&http, &pulls, token, pr).await,
        401 => Err(GitHubError::BadToken),
        403 | 404 => Err(GitHubError::NotAllowed(
            format!("{}/{}", pr.owner, pr.repo),
            status,
        )),
        _ => Err(GitHubError::Other(
            status,
            error.message.chars().take(300).collect(),
        )),
    }
}

/// The open pull request of `pr.head`, when GitHub says one exists.
async fn existing(
    http: &reqwest::Client,
    pulls: &str,
    token: &str,
    pr: &PullRequest<'_>,
) -> Result<String, GitHubError> {
    let head = format!("{}:{}", pr.owner, pr.head);
    let found: Vec<Created> = request(http.get(pulls), token)
        .query(&[("head", head.as_str()), ("state", "open")])
        .send()
        .await
        .map_err(|e| GitHubError::Unreachable(without_url(&e)))?
        .json()
        .await
        .map_err(|_| GitHubError::Other(200, "an unreadable list of pull requests".into()))?;
    found
        .into_iter()
        .next()
        .map(|p| p.html_url)
        .ok_or_else(|| GitHubError::Other(422, "a pull request exists but was not found".into()))
}

/// reqwest's error text without the URL (which is only the API's, but keeps lines short).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer within 30 seconds".into()
    } else if e.is_connect() {
        "the connection failed".into()
    } else {
        "the request failed".into()
    }
}
