//! A loopback git server speaking git's smart HTTP protocol (the real `git http-backend`
//! behind a small CGI bridge) with HTTP Basic authentication by token, and a mock of
//! GitHub's pull-request API, for the tests of project remotes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::io::AsyncWriteExt;

/// What one request to a mock carried.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Clone)]
struct GitShared {
    root: PathBuf,
    token: Option<String>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Repositories under `root` served at `http://addr/<name>.git`; with a token, every
/// request must carry it as the Basic password (401 otherwise, as GitHub answers).
pub struct GitServer {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl GitServer {
    pub async fn start(root: &Path, token: Option<&str>) -> std::io::Result<Self> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = GitShared {
            root: root.to_owned(),
            token: token.map(str::to_owned),
            seen: seen.clone(),
        };
        let app = axum::Router::new()
            .route("/{*path}", any(serve_git))
            .with_state(shared);
        let (addr, task) = spawn(app).await?;
        Ok(Self { addr, seen, task })
    }

    pub fn url(&self, repo: &str) -> String {
        format!("http://{}/{repo}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn spawn(app: axum::Router) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "mock server stopped");
        }
    });
    Ok((addr, task))
}

fn basic_password(header: Option<&str>) -> Option<String> {
    let encoded = header?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(B64.decode(encoded).ok()?).ok()?;
    decoded.split_once(':').map(|(_, p)| p.to_owned())
}

async fn serve_git(
    State(s): State<GitShared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").map(str::to_owned);
    s.seen.lock().unwrap_or_else(|e| e.into_inner()).push(Seen {
        path: uri.path().to_owned(),
        authorization: authorization.clone(),
        body: Vec::new(),
    });
    if let Some(token) = &s.token
        && basic_password(authorization.as_deref()).as_deref() != Some(token.as_str())
    {
        return (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Basic realm=\"git\"")],
            "authentication required",
        )
            .into_response();
    }
    let mut command = tokio::process::Command::new("git");
    command
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", &s.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        // Pushes are served to an authenticated user only.
        .env("REMOTE_USER", "tester")
        .env("REQUEST_METHOD", method.as_str())
        .env("PATH_INFO", uri.path())
        .env("QUERY_STRING", uri.query().unwrap_or_default())
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env(
            "HTTP_CONTENT_ENCODING",
            header("content-encoding").unwrap_or_default(),
        )
        .env("GIT_PROTOCOL", header("git-protocol").unwrap_or_default())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        // Its complaints (a missing repository) are in its answer already.
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let Ok(mut child) = command.spawn() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Some(mut stdin) = child.stdin.take() {
        // http-backend reads CONTENT_LENGTH bytes; a failed write shows in its answer.
        if let Err(e) = stdin.write_all(&body).await {
            tracing::warn!("git http-backend stdin: {e}");
        }
    }
    let Ok(out) = child.wait_with_output().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    cgi_response(&out.stdout)
}

/// A CGI answer (headers, a blank line, the body) as an HTTP response.
fn cgi_response(out: &[u8]) -> Response {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            out.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        });
    let Some((end, start)) = split else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let mut response = Response::builder();
    let mut status = StatusCode::OK;
    for line in String::from_utf8_lossy(&out[..end]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split(' ').next().and_then(|c| c.parse().ok());
            status = code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(status);
        } else {
            response = response.header(name.trim(), value);
        }
    }
    response
        .status(status)
        .body(Body::from(out[start..].to_vec()))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

#[derive(Clone)]
struct HubShared {
    token: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    addr: Arc<Mutex<Option<SocketAddr>>>,
}

/// GitHub's `POST /repos/{owner}/{repo}/pulls`: a wrong bearer token is a 401 with
/// GitHub's body, a right one creates pull request 1 and answers its `html_url`.
pub struct MockGitHub {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockGitHub {
    pub async fn start(token: &str) -> std::io::Result<Self> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let addr_cell = Arc::new(Mutex::new(None));
        let shared = HubShared {
            token: token.to_owned(),
            seen: seen.clone(),
            addr: addr_cell.clone(),
        };
        let app = axum::Router::new()
            .route("/repos/{owner}/{repo}/pulls", post(create_pull))
            .with_state(shared);
        let (addr, task) = spawn(app).await?;
        *addr_cell.lock().unwrap_or_else(|e| e.into_inner()) = Some(addr);
        Ok(Self { addr, seen, task })
    }

    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for MockGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn create_pull(
    State(s): State<HubShared>,
    UrlPath((owner, repo)): UrlPath<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    s.seen.lock().unwrap_or_else(|e| e.into_inner()).push(Seen {
        path: uri.path().to_owned(),
        authorization: authorization.clone(),
        body: body.to_vec(),
    });
    if authorization.as_deref() != Some(&format!("Bearer {}", s.token)) {
        let body = serde_json::json!({"message": "Bad credentials", "status": "401"});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let addr = s
        .addr
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or(([127, 0, 0, 1], 0).into());
    let link = format!("http://{addr}/{owner}/{repo}/pull/1");
    let body = serde_json::json!({"number": 1, "html_url": link, "state": "open"});
    (StatusCode::CREATED, axum::Json(body)).into_response()
}
