//! WebSocket benchmark (prints figures; not a test). Run: `cargo bench --bench ws`.
//! Options (after `--`): `--panes N` (200), `--clients-per-pane N` (2), `--seconds N` (20),
//! `--log-subscribers N` (100).
//!
//! Terminal: a daemon child process (this binary in `daemon` mode, with its own tmux server)
//! serves N panes that each print a timestamped line 10 times a second; 2 N clients in this
//! process watch them over `/terminal`. Reported: pane write → client receive latency,
//! daemon and tmux server CPU (share of one core) and the daemon's RSS.
//! Logs: an in-process server, S subscribers on `/logs` of one project, entries journaled
//! 20 times a second; reported: journal call → delivery to every subscriber.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use autocode::config::{Config, FileConfig};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_util::sync::CancellationToken;

const ADMIN_PASSWORD: &str = "bench-admin-pass";

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
}

fn file_config() -> FileConfig {
    FileConfig {
        ws_max_sockets_per_user: 10_000,
        ..FileConfig::default()
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(default)
}

mod logs;
mod measure;
mod terminal;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: a benchmark is
    // not a test, so it only runs under `cargo bench`.
    if args.get(1).map(String::as_str) != Some("daemon") && !args.iter().any(|a| a == "--bench") {
        println!("the WebSocket benchmark runs with `cargo bench --bench ws`");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if args.get(1).map(String::as_str) == Some("daemon") {
        runtime.block_on(daemon(PathBuf::from(&args[2])));
        return;
    }
    runtime.block_on(async {
        terminal::terminal_bench().await;
        logs::logs_bench().await;
    });
}

/// The whole daemon state on `config` (its tmux server at `<data>/tmux.sock`), with the
/// bench admin; everything it started stops with the token.
async fn start_daemon(config: Config) -> (autocode::state::AppState, CancellationToken) {
    let base = autocode::open(config).await.expect("open the data dir");
    autocode::ensure_admin(&base, Some(ADMIN_PASSWORD.into()))
        .await
        .expect("admin");
    let hooks = autocode::bind_hook_listener(&base, None)
        .await
        .expect("hook listener");
    let cancel = CancellationToken::new();
    let options = autocode::controller::Options {
        autocode_bin: Some(std::env::current_exe().expect("this binary")),
        ..Default::default()
    };
    let state = autocode::start(
        base,
        hooks.local_addr().expect("hook addr"),
        options,
        cancel.clone(),
    )
    .await
    .expect("start the daemon");
    (state, cancel)
}

/// The daemon under test, its tmux server at `<data>/tmux.sock`, HTTP on 127.0.0.1:0.
/// Prints `PORT n`, serves until stdin closes.
async fn daemon(data: PathBuf) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = Config {
        data_dir: data,
        listen: addr,
        file: file_config(),
    };
    let (state, cancel) = start_daemon(config).await;
    let lifecycle = state.lifecycle.clone();
    println!("PORT {}", addr.port());
    std::io::stdout().flush().expect("flush");
    let stdin_closed = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin()
            .read_line(&mut line)
            .map(|n| n > 0)
            .unwrap_or(false)
        {}
    });
    autocode::serve(listener, state, async {
        if let Err(e) = stdin_closed.await {
            eprintln!("stdin watcher: {e}");
        }
    })
    .await
    .expect("serve");
    lifecycle.shutdown().await;
    cancel.cancel();
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.expect("json")
    }

    async fn login(&self, user: &str, password: &str) -> String {
        let body = self
            .post(
                "/api/auth/login",
                None,
                json!({"username": user, "password": password}),
            )
            .await;
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// A user with one agent and `n` projects; returns (token, [(project id, tmux session)]).
    async fn populate(&self, n: usize) -> (String, Vec<(i64, String)>) {
        let admin = self.login("admin", ADMIN_PASSWORD).await;
        self.post(
            "/api/users",
            Some(&admin),
            json!({"username": "bench", "password": "bench-password", "role": "user"}),
        )
        .await;
        let token = self.login("bench", "bench-password").await;
        let agent = self
            .post(
                "/api/agents",
                Some(&token),
                json!({"name": "a", "model": "m"}),
            )
            .await;
        let agent_id = agent["id"].as_i64().expect("agent id");
        let mut projects = Vec::new();
        for i in 0..n {
            let p = self
                .post(
                    &format!("/api/agents/{agent_id}/projects"),
                    Some(&token),
                    json!({"name": format!("p{i}"), "description": "bench"}),
                )
                .await;
            projects.push((
                p["id"].as_i64().expect("id"),
                p["tmux_session"].as_str().expect("session").to_owned(),
            ));
        }
        (token, projects)
    }
}

async fn connect(
    addr: SocketAddr,
    path: &str,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut req = format!("ws://{addr}{path}")
        .into_client_request()
        .expect("request");
    let protocols = format!("autocode.bearer.{token}, autocode.v1");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&protocols).expect("header"),
    );
    tokio_tungstenite::connect_async(req)
        .await
        .expect("connect")
        .0
}
