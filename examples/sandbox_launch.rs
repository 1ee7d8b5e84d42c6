//! What the sandbox costs: runs the real Claude Code CLI's `--version` N times bare and N
//! times in a member's sandbox (interleaved, same run), prints the medians and the time the
//! sandbox adds, then the memory (RSS) of the bwrap processes that hold one session open.
//!
//! `cargo run --example sandbox_launch -- [runs] [version]`
//! (needs `scripts/install-test-tools.sh`; the autocode binary of the same profile is used
//! for `sandbox-limits`, so build it first: `cargo build`; what is timed are the external
//! programs, so the profile does not matter).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use autocode::sandbox::{Sandbox, Settings, Spec};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(spec: &Spec) -> Duration {
    let start = Instant::now();
    let out = spec.command().expect("program").output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let version = args.next().unwrap_or_else(|| "2.1.197".to_owned());
    let claude =
        autocode::testkit::claude_env::claude_binary(&version).expect("Claude Code install");
    let exe = std::env::current_exe().expect("exe");
    let autocode_bin: PathBuf = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("autocode");
    let tmp = tempfile::tempdir().expect("tempdir");
    let member = tmp.path().join("users/bench");
    let cwd = member.join("projects/p");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let settings = |enabled| Settings {
        enabled,
        bwrap: "/usr/bin/bwrap".into(),
        max_processes: 1024,
        max_data_mib: 16384,
    };
    let program = claude.to_string_lossy().into_owned();
    let spec = |enabled: bool, program: &str, args: &[&str]| {
        Sandbox::for_member(&settings(enabled), &member, &autocode_bin)
            .spec(
                program,
                &args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                &cwd,
                Vec::new(),
            )
            .expect("spec")
    };
    let (bare, boxed) = (
        spec(false, &program, &["--version"]),
        spec(true, &program, &["--version"]),
    );
    time(&bare);
    time(&boxed);
    let (mut t_bare, mut t_boxed) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        t_bare.push(time(&bare));
        t_boxed.push(time(&boxed));
    }
    let (m_bare, m_boxed) = (median(t_bare), median(t_boxed));
    println!("claude {version} --version, {runs} runs each");
    println!("  bare:      median {:>7.1} ms", m_bare.as_secs_f64() * 1e3);
    println!(
        "  sandboxed: median {:>7.1} ms",
        m_boxed.as_secs_f64() * 1e3
    );
    println!(
        "  added:     {:>7.1} ms",
        (m_boxed.as_secs_f64() - m_bare.as_secs_f64()) * 1e3
    );

    // One session held open: the bwrap processes around the program are the sandbox's cost.
    let mut child = spec(true, "sleep", &["5"])
        .command()
        .expect("program")
        .spawn()
        .expect("spawn");
    let outer = child.id();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut bwraps = vec![outer];
    while Instant::now() < deadline {
        let mut found = vec![outer];
        let mut frontier = children(outer);
        while let Some(pid) = frontier.pop() {
            if comm(pid) == "bwrap" {
                found.push(pid);
                frontier.extend(children(pid));
            }
        }
        if found.len() > 1 {
            bwraps = found;
            break;
        }
    }
    let total: u64 = bwraps.iter().map(|p| rss_kib(*p)).sum();
    println!(
        "  sandbox memory per session: {} bwrap process(es), {:.1} MiB RSS in total",
        bwraps.len(),
        total as f64 / 1024.0
    );
    // Let the session end by itself: SIGKILL to the outer bwrap can leave the namespace's
    // init behind (orphaned, and holding this program's stdout open).
    let _ = child.wait();
}
