//! The deployment files are checked by the tools that will read them: `systemd-analyze
//! verify` for the unit, `caddy validate` (and `caddy adapt`) for the Caddyfile.
//! `scripts/install-test-tools.sh` installs both (Debian packages `systemd` and `caddy`); when
//! `AUTOCODE_REQUIRE_CLI` is set, as in CI, a missing tool fails instead of skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The tool's path, or `None` (and a note) when it is missing and the run does not require it.
fn tool(name: &str) -> Option<PathBuf> {
    for dir in ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin"] {
        let path = Path::new(dir).join(name);
        if path.is_file() {
            return Some(path);
        }
    }
    if std::env::var_os(autocode::testkit::claude_env::REQUIRE_CLI_VAR).is_some() {
        panic!("{name} is missing: run scripts/install-test-tools.sh");
    }
    eprintln!("SKIPPED: {name} is not installed (scripts/install-test-tools.sh installs it)");
    None
}

fn unit_text() -> String {
    std::fs::read_to_string(repo().join("deploy/autocode.service")).expect("read unit")
}

#[test]
fn systemd_unit_verifies_without_a_warning() {
    let Some(analyze) = tool("systemd-analyze") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // verify insists that ExecStart exists; point it at the binary this build made.
    let text = unit_text().replace("/usr/local/bin/autocode", env!("CARGO_BIN_EXE_autocode"));
    let unit = dir.path().join("autocode.service");
    std::fs::write(&unit, text).expect("write unit");
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&unit)
        .output()
        .expect("run systemd-analyze");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "systemd-analyze verify failed: {stderr}"
    );
    // Unknown or misspelt keys are only warnings (exit 0), and silently ignored by systemd.
    assert!(stderr.trim().is_empty(), "systemd-analyze warned: {stderr}");
}

/// The lines that keep members' work alive and their sandboxes working. Each is a
/// regression someone could make while "tidying" the unit.
#[test]
fn systemd_unit_keeps_tmux_alive_and_lets_bubblewrap_work() {
    let text = unit_text();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    for needed in [
        "KillMode=process",
        "Restart=on-failure",
        "User=autocode",
        "Environment=AUTOCODE_DATA_DIR=/var/lib/autocode",
        "EnvironmentFile=-/etc/autocode/env",
        "StateDirectory=autocode",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "ProtectHome=true",
        "PrivateTmp=true",
        "SystemCallArchitectures=native",
        "Delegate=yes",
    ] {
        assert!(lines.contains(&needed), "the unit lost `{needed}`");
    }
    let namespaces = lines
        .iter()
        .find_map(|l| l.strip_prefix("RestrictNamespaces="))
        .expect("RestrictNamespaces");
    for ns in ["user", "mnt", "pid"] {
        assert!(
            namespaces.split_whitespace().any(|n| n == ns),
            "bubblewrap needs {ns} namespaces"
        );
    }
    for breaks_bwrap in [
        "PrivateUsers=",
        "ProtectKernelTunables=",
        "ProtectProc=",
        "ProtectKernelLogs=",
        "MemoryDenyWriteExecute=",
    ] {
        assert!(
            !lines.iter().any(|l| l.starts_with(breaks_bwrap)),
            "`{breaks_bwrap}` breaks the members' sandboxes or their CLIs"
        );
    }
}

/// The unit runs the daemon with no capabilities at all and no_new_privs; bubblewrap must
/// still build a sandbox under exactly that (as root here, dropping to `nobody` like the
/// service user).
#[test]
fn bubblewrap_works_without_capabilities_and_with_no_new_privs() {
    let (Some(setpriv), Some(bwrap)) = (tool("setpriv"), tool("bwrap")) else {
        return;
    };
    if !rustix::process::geteuid().is_root() {
        eprintln!("SKIPPED: needs root to drop to another user");
        return;
    }
    let out = Command::new(setpriv)
        .args(["--bounding-set", "-all", "--no-new-privs"])
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(bwrap)
        .args(["--unshare-user", "--uid", "1000", "--gid", "1000"])
        .args(["--unshare-pid", "--unshare-ipc", "--unshare-uts"])
        .args(["--unshare-cgroup-try", "--cap-drop", "ALL"])
        .args(["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin"])
        .args([
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
        ])
        .args(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"])
        .args(["--", "/usr/bin/id", "-u"])
        .output()
        .expect("run setpriv");
    assert!(
        out.status.success(),
        "bwrap failed under the unit's restrictions: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1000");
}

fn caddy(args: &[&str]) -> Option<std::process::Output> {
    let caddy = tool("caddy")?;
    // Caddy keeps state under $HOME/XDG dirs; give it a throwaway one.
    let home = tempfile::tempdir().expect("tempdir");
    let out = Command::new(caddy)
        .args(args)
        .arg("--config")
        .arg(repo().join("Caddyfile"))
        .args(["--adapter", "caddyfile"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .expect("run caddy");
    Some(out)
}

#[test]
fn caddyfile_validates_and_is_formatted() {
    let Some(out) = caddy(&["validate"]) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "caddy validate failed: {stderr}");
    // Caddy warns about an unformatted file; `caddy fmt --overwrite Caddyfile` fixes it.
    assert!(!stderr.contains("not formatted"), "{stderr}");
}

#[test]
fn caddyfile_sends_security_headers_and_never_proxies_hooks() {
    let Some(out) = caddy(&["adapt"]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8_lossy(&out.stdout);
    for header in [
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
    ] {
        assert!(json.contains(header), "the Caddyfile lost {header}");
    }
    assert!(json.contains("frame-ancestors 'none'"), "{json}");
    assert!(
        json.contains("/api/hooks*"),
        "hooks must answer 404 at Caddy"
    );
    assert!(
        json.contains("\"max_size\":2000000"),
        "no body limit: {json}"
    );
    assert!(json.contains("127.0.0.1:8080"), "{json}");
}

/// `AUTOCODE_LOG_FORMAT=json`: every line the daemon logs is one JSON object.
#[test]
fn json_logs_when_configured() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_autocode"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("AUTOCODE_DATA_DIR", dir.path().join("data"))
        .env("AUTOCODE_LOG_FORMAT", "json")
        .env("AUTOCODE_ADMIN_PASSWORD", "a-long-password-1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("listening on")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    child.wait().expect("wait");
    // The daemon leaves its tmux server running for the next start (by design); end ours.
    let sock = dir.path().join("data/tmux.sock");
    if sock.exists() {
        let ended = Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .arg("kill-server")
            .status()
            .expect("tmux");
        assert!(ended.success(), "cannot end the test's tmux server");
    }
    assert!(
        lines.iter().any(|l| l.contains("listening on")),
        "the daemon did not start: {lines:?}"
    );
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v["level"].is_string() && v["fields"]["message"].is_string(),
            "{line}"
        );
    }
}
