//! Benchmark of the live screens (not a test): N panes, each printing 10 lines/s (busy) or
//! nothing (quiet), watched by one `Monitor`. Prints the daemon's CPU (% of one core, from
//! /proc/self/stat, plus the tmux clients it spawned), its RSS, the tmux server's CPU, and
//! the latency from a line written in a pane to the screen registry holding it.
//!
//! Run: `cargo run --release --example tmux_live_screens -- N busy|quiet [SECONDS]`.
//! The binary re-runs itself inside the panes (`emit` / `idle`) so that the pane programs
//! cost next to nothing and carry a write timestamp.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use autocode::tmux::{Monitor, MonitorConfig, ScreenEvent, SessionName, SessionSpec, Tmux};
use tokio_util::sync::CancellationToken;

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Pane program: a timestamped line every 100 ms.
fn emit() -> ! {
    let mut out = std::io::stdout();
    for seq in 0u64.. {
        let line = format!(
            "tick t={} seq={seq} the quick brown fox jumps over the lazy dog\n",
            unix_nanos()
        );
        if out
            .write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::process::exit(0)
}

/// Pane program: one prompt, then silence.
fn idle() -> ! {
    print!("> ");
    let _flushed = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// utime + stime, and the same for reaped children, in clock ticks.
fn cpu_ticks(pid: &str) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // rest[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
    let get = |field: usize| f.get(field - 3).copied().unwrap_or(0);
    (get(14) + get(15), get(16) + get(17))
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx]
}

/// Timestamps `t=<19 digits>` found in pane output.
fn timestamps(bytes: &[u8]) -> Vec<u128> {
    let mut found = Vec::new();
    let mut rest = bytes;
    while let Some(i) = rest.windows(2).position(|w| w == b"t=") {
        let digits: Vec<u8> = rest[i + 2..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        if digits.len() == 19
            && let Ok(t) = String::from_utf8_lossy(&digits).parse()
        {
            found.push(t);
        }
        rest = &rest[i + 2..];
    }
    found
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("emit") => emit(),
        Some("idle") => idle(),
        _ => {}
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let busy = args.get(2).map(String::as_str) != Some("quiet");
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    let exe = std::env::current_exe()?.to_string_lossy().into_owned();

    let dir = tempfile::tempdir()?;
    let tmux = Tmux::new(dir.path().join("tmux.sock"));
    let cancel = CancellationToken::new();
    let (monitor, task) =
        Monitor::start(tmux.clone(), MonitorConfig::default(), cancel.clone()).await?;
    for i in 0..n {
        let name = SessionName::new(format!("bench-{i}"))?;
        let program = if busy { "emit" } else { "idle" };
        let spec = SessionSpec::new(name.clone(), dir.path(), vec![exe.clone(), program.into()]);
        tmux.create_session(&spec).await?;
        monitor.adopt(&name).await?;
    }
    // Let adoption captures and the first quiet checks settle.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let server_pid = tmux.server_pid().await?.to_string();
    let mut events = monitor.subscribe();
    let (self_start, children_start) = cpu_ticks("self");
    let (server_start, _) = cpu_ticks(&server_pid);
    let started = tokio::time::Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut latencies_ms = Vec::new();
    let mut lagged = 0u64;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => break,
            Ok(Ok(ScreenEvent::Output { bytes, .. })) => {
                let now = unix_nanos();
                for t in timestamps(&bytes) {
                    latencies_ms.push(now.saturating_sub(t) as f64 / 1e6);
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(k))) => lagged += k,
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (self_end, children_end) = cpu_ticks("self");
    let (server_end, _) = cpu_ticks(&server_pid);
    let pct = |ticks: u64| ticks as f64 / 100.0 / elapsed * 100.0;
    latencies_ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "| {n} | {} | {:.2} | {:.2} | {:.1} | {:.2} | {} | {:.2} | {:.2} | {lagged} |",
        if busy { "busy" } else { "quiet" },
        pct(self_end - self_start),
        pct(children_end - children_start),
        rss_mb(),
        pct(server_end - server_start),
        latencies_ms.len(),
        percentile(&latencies_ms, 0.5),
        percentile(&latencies_ms, 0.99),
    );
    cancel.cancel();
    task.await?;
    tmux.kill_server().await?;
    Ok(())
}
