//! 200 panes × 10 lines/s watched by 400 terminal clients; the daemon is a child process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use autocode::tmux::{SessionName, SessionSpec, Tmux};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::measure::{clock_ticks_per_sec, cpu_ticks, status_kb, summary};
use crate::{Api, arg, connect, now};

/// A pane program printing `T <epoch seconds>` ten times a second without spawning
/// a process per line (`read -t` on a pipe nobody writes is the sleep).
const PRINTER: &str =
    r#"exec 3<> <(:); while :; do echo "T $EPOCHREALTIME"; read -t 0.1 -u 3; done"#;

pub async fn terminal_bench() {
    let panes = arg("--panes", 200) as usize;
    let per_pane = arg("--clients-per-pane", 2) as usize;
    let seconds = arg("--seconds", 20);
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    // The daemon's own tmux server, where it runs every project's CLI.
    let socket = data.join("tmux.sock");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .arg("daemon")
        .arg(&data)
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
