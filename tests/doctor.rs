//! `autocode doctor` on data dirs with the problems it exists for: bubblewrap missing, a master
//! key others can read, Caddy proxying elsewhere. Each is reported with its fix, and a failure
//! makes the command exit non-zero (so scripts can stop on it).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_autocode");

/// A data dir as a first `autocode user add` leaves it (database, master key 0600).
fn data_dir(root: &Path, config: &str) -> std::path::PathBuf {
    let dir = root.join("data");
    let mut child = Command::new(BIN)
        .args(["user", "add", "carol"])
        .env("AUTOCODE_DATA_DIR", &dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), b"a-long-password-1\n")
        .expect("write password");
    assert!(child.wait().expect("wait").success());
    std::fs::write(dir.join("autocode.toml"), config).expect("config");
    dir
}

fn doctor(dir: &Path, caddyfile: &Path) -> (Output, String) {
    let out = Command::new(BIN)
        .args(["doctor", "--listen", "127.0.0.1:8080", "--caddyfile"])
        .arg(caddyfile)
        .env("AUTOCODE_DATA_DIR", dir)
        .output()
        .expect("run doctor");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

/// The line of a check and the fix printed under it.
fn report<'a>(text: &'a str, start: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{text}"));
    let fix = lines.get(i + 1).copied().unwrap_or("");
    assert!(
        fix.trim_start().starts_with("fix: "),
        "no fix after {start}:\n{text}"
    );
    (lines[i], fix)
}

#[test]
fn missing_bubblewrap_is_a_failure_with_its_fix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = data_dir(tmp.path(), "bwrap = \"/nowhere/bin/bwrap\"\n");
    let (out, text) = doctor(&dir, &tmp.path().join("no-caddy"));
    assert!(
        !out.status.success(),
        "a missing sandbox must fail:\n{text}"
    );
    let (line, fix) = report(&text, "FAIL sandbox");
    assert!(
        line.contains("/nowhere/bin/bwrap") && line.contains("not installed"),
        "{line}"
    );
    assert!(fix.contains("apt-get install bubblewrap"), "{fix}");
    // The rest of the report still ran.
    assert!(text.contains("ok   master key"), "{text}");
}

#[test]
fn loose_master_key_is_a_failure_with_its_fix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = data_dir(tmp.path(), "");
    let key = dir.join("master.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (out, text) = doctor(&dir, &tmp.path().join("no-caddy"));
    assert!(!out.status.success(), "{text}");
    let (line, fix) = report(&text, "FAIL master key");
    assert!(line.contains("mode 644"), "{line}");
    assert!(
        fix.contains(&format!("chmod 600 {}", key.display())),
        "{fix}"
    );
    // Following the fix clears it.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (_, text) = doctor(&dir, &tmp.path().join("no-caddy"));
    assert!(text.contains("ok   master key"), "{text}");
}

#[test]
fn caddy_proxying_elsewhere_and_members_without_a_login_are_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = data_dir(tmp.path(), "");
    let caddyfile = tmp.path().join("Caddyfile");
    std::fs::write(
        &caddyfile,
        "code.example.org {\n\t# reverse_proxy 127.0.0.1:8080\n\treverse_proxy 127.0.0.1:9999\n}\n",
    )
    .expect("caddyfile");
    let (_, text) = doctor(&dir, &caddyfile);
    let (line, fix) = report(&text, "FAIL caddy");
    assert!(line.contains("does not proxy to 127.0.0.1:8080"), "{line}");
    assert!(fix.contains("reverse_proxy 127.0.0.1:8080"), "{fix}");
    let (_, fix) = report(&text, "WARN caddy");
    assert!(fix.contains("trusted_proxies"), "{fix}");
    let (line, fix) = report(&text, "WARN member: carol");
    assert!(line.contains("no Claude Code account"), "{line}");
    assert!(fix.contains("Settings → Claude Code account"), "{fix}");
}

#[test]
fn cli_installations_are_listed_with_their_release_or_named_missing() {
    let Some(claude) =
        autocode::testkit::claude_env::claude_binary_for_test("2.1.330").expect("Claude Code")
    else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "[cli_installations.\"claude-2.1.330\"]\npath = \"{}\"\n\n[cli_installations.gone]\npath = \"/nowhere/claude\"\n",
        claude.display()
    );
    let dir = data_dir(tmp.path(), &config);
    let (_, text) = doctor(&dir, &tmp.path().join("no-caddy"));
    assert!(
        text.contains("ok   coding CLI: claude-2.1.330: ")
            && text.contains("(claude-code, Claude Code 2.1.330)"),
        "{text}"
    );
    let (line, fix) = report(&text, "FAIL coding CLI: gone");
    assert!(line.contains("/nowhere/claude is missing"), "{line}");
    assert!(fix.contains("[cli_installations.\"gone\"]"), "{fix}");
}
