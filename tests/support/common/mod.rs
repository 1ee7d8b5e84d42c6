//! Test support: starts the real application (real SQLite file in a temp dir, real TCP
//! listener on 127.0.0.1:0) and talks to it over HTTP.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use autocode::config::{Config, FileConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ADMIN_PASSWORD: &str = "admin-pass-123";

pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    /// The loopback-only hook listener (the public one has no `/api/hooks`).
    pub hook_addr: SocketAddr,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    pub state: autocode::state::AppState,
    pub controllers: std::sync::Arc<autocode::controller::Controllers>,
    /// The `autocode.toml` it runs with; a restart keeps it.
    pub file: FileConfig,
    cancel: tokio_util::sync::CancellationToken,
    _tmp: Option<tempfile::TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
    hooks: Option<JoinHandle<std::io::Result<()>>>,
}

pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: i64,
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(FileConfig::default()).await
    }

    pub async fn start_with(file: FileConfig) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let mut app = Self::start_in(&dir, file).await;
        app._tmp = Some(tmp);
        app
    }

    /// Starts on an existing data dir (to test restarts); the caller keeps the dir alive.
    pub async fn start_in(dir: &Path, file: FileConfig) -> Self {
        Self::start_in_with(dir, file, fast_timing()).await
    }

    pub async fn start_in_with(
        dir: &Path,
        file: FileConfig,
        timing: autocode::controller::Timing,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let config = Config {
            data_dir: dir.to_owned(),
            listen: addr,
            file: file.clone(),
        };
        let base = autocode::open(config).await.expect("open the data dir");
        autocode::ensure_admin(&base, Some(ADMIN_PASSWORD.into()))
            .await
            .expect("admin");
        let hook_listener = autocode::bind_hook_listener(&base, None)
            .await
            .expect("hook listener");
        let hook_addr = hook_listener.local_addr().expect("hook addr");
        let cancel = tokio_util::sync::CancellationToken::new();
        let options = autocode::controller::Options {
            timing,
            decide: fast_decide(),
            autocode_bin: Some(env!("CARGO_BIN_EXE_autocode").into()),
        };
        let state = autocode::start(base, hook_addr, options, cancel.clone())
            .await
            .expect("start the daemon");
        let controllers = state.lifecycle.controllers().clone();
        let hooks = tokio::spawn(autocode::serve_hooks(
            hook_listener,
            state.clone(),
            cancel.clone().cancelled_owned(),
        ));
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(autocode::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        Self {
            base: format!("http://{addr}"),
            addr,
            hook_addr,
            client: reqwest::Client::new(),
            data_dir: dir.canonicalize().expect("canonical"),
            state,
            controllers,
            file,
            cancel,
            _tmp: None,
            shutdown: Some(tx),
            handle: Some(handle),
            hooks: Some(hooks),
        }
    }

    /// Stops this daemon (leaving its CLIs in tmux) and starts a new one on the same data
    /// dir, as a systemd restart would.
    pub async fn restart(self) -> TestApp {
        let dir = self.data_dir.clone();
        let file = self.file.clone();
        let tmp = self.stop_keeping_tmux().await;
        let mut app = Self::start_in(&dir, file).await;
        app._tmp = tmp;
        app
    }

    /// Graceful shutdown, and the test's tmux server goes too.
    pub async fn stop(self) -> Option<tempfile::TempDir> {
        let tmux = self.controllers.deps().monitor.tmux().clone();
        let tmp = self.stop_keeping_tmux().await;
        let _ = tmux.kill_server().await;
        tmp
    }

    /// Daemon shutdown as in production: the CLIs keep running in tmux for the next start.
    pub async fn stop_keeping_tmux(mut self) -> Option<tempfile::TempDir> {
        self.controllers.shutdown().await;
        self.cancel.cancel();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("join").expect("serve");
        }
        if let Some(h) = self.hooks.take() {
            h.await.expect("join").expect("serve hooks");
        }
        self.state.db.close().await;
        self._tmp.take()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A URL on the loopback hook listener.
    pub fn hook_url(&self, path: &str) -> String {
        format!("http://{}{}", self.hook_addr, path)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON body {status}: {text}"))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub async fn try_login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({ "username": username, "password": password })),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Session {
        let (status, body) = self.try_login(username, password).await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        Session {
            access: body["access_token"].as_str().expect("access").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
            user_id: body["user"]["id"].as_i64().expect("id"),
        }
    }

    pub async fn admin(&self) -> Session {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates a user (as admin) and logs them in.
    pub async fn user(&self, admin: &Session, name: &str) -> Session {
        let password = format!("{name}-password");
        let (status, body) = self
            .post(
                "/api/users",
                &admin.access,
                json!({ "username": name, "password": password, "role": "user" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.login(name, &password).await
    }

    pub async fn agent(&self, s: &Session, name: &str) -> Value {
        let (status, body) = self
            .post(
                "/api/agents",
                &s.access,
                json!({ "name": name, "model": "gpt-test" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn project(&self, s: &Session, agent_id: i64, name: &str) -> Value {
        let (status, body) = self
            .post(
                &format!("/api/agents/{agent_id}/projects"),
                &s.access,
                json!({
                    "name": name,
                    "description": "Build a tiny tool",
                    "implementation_plan": [{"title": "Step one", "details": "Do it"}],
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }
}

impl Drop for TestApp {
    /// A test that panics never reaches `stop`: its tmux server must not outlive it.
    fn drop(&mut self) {
        if self.handle.is_some() {
            let sock = self.data_dir.join("tmux.sock");
            let _ = std::process::Command::new("tmux")
                .arg("-S")
                .arg(&sock)
                .arg("kill-server")
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// Controller timings short enough for tests.
pub fn fast_timing() -> autocode::controller::Timing {
    autocode::controller::Timing {
        startup_timeout: std::time::Duration::from_secs(30),
        api_error_backoff: std::time::Duration::from_millis(200),
        ..Default::default()
    }
}

/// Supervising-LLM retries short enough for tests.
pub fn fast_decide() -> autocode::controller::decide::DecideConfig {
    autocode::controller::decide::DecideConfig {
        tries: 2,
        first_backoff: std::time::Duration::from_millis(100),
        max_backoff: std::time::Duration::from_millis(200),
        budget: std::time::Duration::from_secs(10),
        fallback_wait_secs: 1,
    }
}

/// Polls `check` until it is true or the deadline passes.
pub async fn eventually<F, Fut>(what: &str, timeout: std::time::Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
