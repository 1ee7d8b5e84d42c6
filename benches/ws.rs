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

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use autocode::config::{Config, FileConfig};
use autocode::db::logs::Level;
use autocode::tmux::{Monitor, MonitorConfig, SessionName, SessionSpec, Tmux};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if args.get(1).map(String::as_str) == Some("daemon") {
        runtime.block_on(daemon(PathBuf::from(&args[2]), PathBuf::from(&args[3])));
        return;
    }
    runtime.block_on(async {
        terminal_bench().await;
        logs_bench().await;
    });
}

/// The daemon under test: state, monitor on the given tmux socket, HTTP on 127.0.0.1:0.
/// Prints `PORT n`, serves until stdin closes.
async fn daemon(data: PathBuf, socket: PathBuf) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = Config {
        data_dir: data,
        listen: addr,
        file: file_config(),
    };
    let mut state = autocode::open_state(config).await.expect("state");
    autocode::ensure_admin(&state, Some(ADMIN_PASSWORD.into()))
        .await
        .expect("admin");
    let cancel = CancellationToken::new();
    let (monitor, task) =
        Monitor::start(Tmux::new(socket), MonitorConfig::default(), cancel.clone())
            .await
            .expect("monitor");
    state.monitor = Some(monitor);
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
    cancel.cancel();
    if let Err(e) = task.await {
        eprintln!("monitor task: {e}");
    }
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

/// (utime + stime) in clock ticks of a process.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    field(11) + field(12)
}

fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{name}: n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
        samples.len(),
        percentile(&samples, 0.5) * 1e3,
        percentile(&samples, 0.9) * 1e3,
        percentile(&samples, 0.99) * 1e3,
        samples.last().copied().unwrap_or(f64::NAN) * 1e3,
    );
}

/// A pane program printing `T <epoch seconds>` ten times a second without spawning
/// a process per line (`read -t` on a pipe nobody writes is the sleep).
const PRINTER: &str =
    r#"exec 3<> <(:); while :; do echo "T $EPOCHREALTIME"; read -t 0.1 -u 3; done"#;

async fn terminal_bench() {
    let panes = arg("--panes", 200) as usize;
    let per_pane = arg("--clients-per-pane", 2) as usize;
    let seconds = arg("--seconds", 20);
    let tmp = tempfile::tempdir().expect("tempdir");
    let socket = tmp.path().join("tmux.sock");
    let data = tmp.path().join("data");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .arg("daemon")
        .arg(&data)
        .arg(&socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("daemon");
    let daemon_pid = child.id();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("port line");
    let port: u16 = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .expect("port");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let api = Api {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
    };
    let (token, projects) = api.populate(panes).await;
    let tmux = Tmux::new(&socket);
    let workdir = tmp.path().join("work");
    std::fs::create_dir_all(&workdir).expect("workdir");
    for (_, session) in &projects {
        let spec = SessionSpec::new(
            SessionName::new(session.as_str()).expect("name"),
            &workdir,
            vec![
                "bash".into(),
                "--norc".into(),
                "--noprofile".into(),
                "-c".into(),
                PRINTER.into(),
            ],
        );
        tmux.create_session(&spec).await.expect("session");
    }
    let tmux_pid = tmux.server_pid().await.expect("tmux pid");

    let rss_idle = status_kb(daemon_pid, "VmRSS:");
    let samples = Arc::new(Mutex::new(Vec::<f64>::with_capacity(1 << 20)));
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = CancellationToken::new();
    let mut clients = Vec::new();
    let connect_started = Instant::now();
    for (id, _) in &projects {
        for _ in 0..per_pane {
            let ws = connect(addr, &format!("/api/ws/projects/{id}/terminal"), &token).await;
            clients.push(tokio::spawn(watch(
                ws,
                samples.clone(),
                measuring.clone(),
                stop.clone(),
            )));
        }
    }
    println!(
        "terminal: {} panes x 10 lines/s, {} clients connected in {:.1} s; daemon RSS {} MB before any client, {} MB once every pane is watched",
        panes,
        clients.len(),
        connect_started.elapsed().as_secs_f64(),
        rss_idle / 1024,
        status_kb(daemon_pid, "VmRSS:") / 1024,
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let ticks = clock_ticks_per_sec();
    let (d0, t0, w0) = (cpu_ticks(daemon_pid), cpu_ticks(tmux_pid), Instant::now());
    measuring.store(true, Ordering::Release);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    measuring.store(false, Ordering::Release);
    let (d1, t1, wall) = (
        cpu_ticks(daemon_pid),
        cpu_ticks(tmux_pid),
        w0.elapsed().as_secs_f64(),
    );
    let rss = status_kb(daemon_pid, "VmRSS:");
    let hwm = status_kb(daemon_pid, "VmHWM:");
    stop.cancel();
    for c in clients {
        if let Err(e) = c.await {
            eprintln!("client task: {e}");
        }
    }
    let samples = std::mem::take(&mut *samples.lock().expect("lock"));
    summary("terminal pane write -> client receive", samples);
    println!(
        "daemon CPU {:.1}% of one core, tmux server CPU {:.1}%, daemon RSS {} MB (peak {} MB), over {:.0} s",
        (d1 - d0) as f64 / ticks / wall * 100.0,
        (t1 - t0) as f64 / ticks / wall * 100.0,
        rss / 1024,
        hwm / 1024,
        wall
    );
    drop(child.stdin.take());
    let waited = child.wait();
    if let Err(e) = tmux.kill_server().await {
        eprintln!("kill-server: {e}");
    }
    waited.expect("daemon exit");
}

/// One terminal client: collects the latency of every `T <epoch>` line it receives.
async fn watch<S>(
    mut ws: tokio_tungstenite::WebSocketStream<S>,
    samples: Arc<Mutex<Vec<f64>>>,
    measuring: Arc<AtomicBool>,
    stop: CancellationToken,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut partial = Vec::<u8>::new();
    let mut mine = Vec::new();
    loop {
        let msg = tokio::select! {
            _ = stop.cancelled() => break,
            msg = ws.next() => msg,
        };
        match msg {
            Some(Ok(Message::Binary(bytes))) => {
                let received = now();
                partial.extend_from_slice(&bytes);
                while let Some(end) = partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = partial.drain(..=end).collect();
                    let text = String::from_utf8_lossy(&line);
                    if let Some(at) = text
                        .trim()
                        .strip_prefix("T ")
                        .and_then(|t| t.parse::<f64>().ok())
                        && measuring.load(Ordering::Acquire)
                    {
                        mine.push(received - at);
                    }
                }
            }
            Some(Ok(Message::Text(_))) => partial.clear(),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break,
        }
    }
    samples.lock().expect("lock").extend(mine);
}

async fn logs_bench() {
    let subscribers = arg("--log-subscribers", 100) as usize;
    let tmp = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = Config {
        data_dir: tmp.path().join("data"),
        listen: addr,
        file: file_config(),
    };
    let state = autocode::open_state(config).await.expect("state");
    autocode::ensure_admin(&state, Some(ADMIN_PASSWORD.into()))
        .await
        .expect("admin");
    let server = tokio::spawn(autocode::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    let api = Api {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
    };
    let (token, projects) = api.populate(1).await;
    let project_id = projects[0].0;
    let entries = 400;
    let delivered = Arc::new(Mutex::new(HashMap::<i64, Vec<f64>>::new()));
    let mut clients = Vec::new();
    for _ in 0..subscribers {
        let mut ws = connect(addr, &format!("/api/ws/projects/{project_id}/logs"), &token).await;
        let last = autocode::db::logs::after(&state.db, project_id, 0, 1000)
            .await
            .expect("logs")
            .last()
            .map_or(0, |e| e.id);
        futures_util::SinkExt::send(
            &mut ws,
            Message::Text(
                json!({"type": "subscribe", "after": last})
                    .to_string()
                    .into(),
            ),
        )
        .await
        .expect("subscribe");
        let delivered = delivered.clone();
        clients.push(tokio::spawn(async move {
            let mut got = 0;
            while got < entries {
                let t = match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) => t,
                    Ok(Some(Ok(_))) => continue,
                    _ => break,
                };
                let received = now();
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if v["type"] == "log" {
                    let id = v["entry"]["id"].as_i64().expect("id");
                    let at: f64 = v["entry"]["message"]
                        .as_str()
                        .and_then(|m| m.parse().ok())
                        .expect("ts");
                    delivered
                        .lock()
                        .expect("lock")
                        .entry(id)
                        .or_default()
                        .push(received - at);
                    got += 1;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    for _ in 0..entries {
        tick.tick().await;
        state
            .journal
            .log(project_id, None, Level::Info, &format!("{:.6}", now()))
            .await
            .expect("log");
    }
    for c in clients {
        if let Err(e) = c.await {
            eprintln!("subscriber: {e}");
        }
    }
    let delivered = std::mem::take(&mut *delivered.lock().expect("lock"));
    let complete = delivered
        .values()
        .filter(|v| v.len() == subscribers)
        .count();
    // The entry counts as delivered when its last subscriber has it.
    let last_delivery: Vec<f64> = delivered
        .values()
        .map(|v| v.iter().copied().fold(0.0, f64::max))
        .collect();
    let every: Vec<f64> = delivered.into_values().flatten().collect();
    println!(
        "logs: {entries} entries at 20/s to {subscribers} subscribers, {complete} reached all"
    );
    summary("log journaled -> each subscriber", every);
    summary("log journaled -> last of the subscribers", last_delivery);
    server.abort();
}
