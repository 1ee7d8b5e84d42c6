//! deploy/install.sh in a throwaway root: every file lands under a temp dir, and stand-ins for
//! apt-get/dpkg, npm and systemctl on PATH record what would have been done to the host (the
//! real Caddy validates the Caddyfile, the real binary creates the admin). The first run
//! installs everything and prints the admin password once; a second run changes nothing and
//! says so; `--claude-version` moves to another Claude Code release.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_autocode");

/// Stand-ins that keep their state in `$STUB_STATE` and log every call to `$STUB_STATE/calls`.
const STUBS: &[(&str, &str)] = &[
    (
        "dpkg",
        r#"echo "dpkg $*" >>"$STUB_STATE/calls"; [ "$1" = -s ] && [ -e "$STUB_STATE/pkg-$2" ]"#,
    ),
    (
        "apt-get",
        r#"echo "apt-get $*" >>"$STUB_STATE/calls"
for a in "$@"; do case "$a" in -*|install|update) ;; *) touch "$STUB_STATE/pkg-$a" ;; esac; done"#,
    ),
    (
        "npm",
        r#"echo "npm $*" >>"$STUB_STATE/calls"
while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix="$2"; shift; done
mkdir -p "$prefix/node_modules/.bin"; printf '#!/bin/sh\necho claude\n' >"$prefix/node_modules/.bin/claude"
chmod +x "$prefix/node_modules/.bin/claude""#,
    ),
    (
        "systemctl",
        r#"echo "systemctl $*" >>"$STUB_STATE/calls"
case "$1" in
  is-enabled) [ -e "$STUB_STATE/enabled" ] ;;
  is-active) [ -e "$STUB_STATE/active" ] ;;
  enable) touch "$STUB_STATE/enabled" ;;
  start|restart) touch "$STUB_STATE/active" ;;
esac"#,
    ),
];

struct Host {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    state: PathBuf,
    bin: PathBuf,
}

impl Host {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (root, state, bin) = (
            tmp.path().join("root"),
            tmp.path().join("state"),
            tmp.path().join("bin"),
        );
        for d in [&root, &state, &bin] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        for (name, body) in STUBS {
            let path = bin.join(name);
            std::fs::write(&path, format!("#!/bin/bash\n{body}\n")).expect("stub");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        Self {
            _tmp: tmp,
            root,
            state,
            bin,
        }
    }

    fn install(&self, extra: &[&str]) -> (Output, String) {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/install.sh"))
            .arg("code.family.example")
            .args(["--binary", BIN])
            .args(extra)
            .env("PATH", path)
            .env("AUTOCODE_INSTALL_ROOT", &self.root)
            .env("AUTOCODE_SERVICE_USER", "root")
            .env("STUB_STATE", &self.state)
            .env("HOME", &self.state)
            .env("XDG_DATA_HOME", &self.state)
            .env("XDG_CONFIG_HOME", &self.state)
            .output()
            .expect("run install.sh");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out, text)
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.state.join("calls")).unwrap_or_default()
    }

    fn mode(&self, rel: &str) -> u32 {
        std::fs::metadata(self.root.join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .permissions()
            .mode()
            & 0o777
    }
}

#[test]
fn install_then_reinstall_changes_nothing() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("SKIPPED: install.sh runs as root");
        return;
    }
    if !Path::new("/usr/bin/caddy").exists() {
        assert!(
            std::env::var_os(autocode::testkit::claude_env::REQUIRE_CLI_VAR).is_none(),
            "caddy is missing: run scripts/install-test-tools.sh"
        );
        eprintln!("SKIPPED: caddy is not installed");
        return;
    }
    let host = Host::new();
    let (out, text) = host.install(&[]);
    assert!(out.status.success(), "first run failed:\n{text}");
    let calls = host.calls();
    assert!(
        calls.contains("apt-get install -y -qq tmux bubblewrap caddy nodejs npm git"),
        "{calls}"
    );
    assert!(
        calls.contains("@anthropic-ai/claude-code@2.1.330"),
        "{calls}"
    );
    assert!(calls.contains("systemctl enable autocode"), "{calls}");
    assert!(calls.contains("systemctl start autocode"), "{calls}");
    assert!(
        calls.contains("systemctl reload-or-restart caddy"),
        "{calls}"
    );

    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("Created the user 'admin' with password: "))
        .unwrap_or_else(|| panic!("no password printed:\n{text}"))
        .to_owned();
    assert_eq!(password.len(), 20, "{password}");
    assert_eq!(host.mode("var/lib/autocode"), 0o700);
    assert_eq!(host.mode("var/lib/autocode/master.key"), 0o600);
    assert_eq!(host.mode("etc/autocode/env"), 0o600);
    let env = std::fs::read_to_string(host.root.join("etc/autocode/env")).expect("env");
    assert!(
        !env.contains("AUTOCODE_ADMIN_PASSWORD="),
        "no password in the env file"
    );
    let toml =
        std::fs::read_to_string(host.root.join("var/lib/autocode/autocode.toml")).expect("toml");
    assert!(
        toml.contains("public_url = \"https://code.family.example\""),
        "{toml}"
    );
    assert!(toml.contains("trusted_proxies = [\"127.0.0.1\"]"), "{toml}");
    let caddyfile = std::fs::read_to_string(host.root.join("etc/caddy/Caddyfile")).expect("caddy");
    assert!(caddyfile.contains("code.family.example {"), "{caddyfile}");
    assert!(!caddyfile.contains("code.example.org {"), "{caddyfile}");
    assert_eq!(
        std::fs::read_link(host.root.join("usr/local/bin/claude")).expect("claude link"),
        Path::new("/opt/claude-code/2.1.330/node_modules/.bin/claude")
    );
    // The printed password is the admin's: the installed binary accepts it.
    let users = Command::new(host.root.join("usr/local/bin/autocode"))
        .args(["user", "list"])
        .env("AUTOCODE_DATA_DIR", host.root.join("var/lib/autocode"))
        .output()
        .expect("user list");
    assert!(String::from_utf8_lossy(&users.stdout).contains("admin\tadmin"));

    // Second run: nothing to do, and no password again.
    let before = host.calls().len();
    let (out, text) = host.install(&[]);
    assert!(out.status.success(), "second run failed:\n{text}");
    assert!(text.contains("Nothing to change"), "{text}");
    assert!(
        !text.contains("changed:") && !text.contains("password"),
        "{text}"
    );
    let again = &host.calls()[before..];
    for verb in [
        "apt-get ",
        "npm ",
        "systemctl enable",
        "systemctl start",
        "systemctl restart",
        "systemctl reload",
        "systemctl daemon-reload",
    ] {
        assert!(
            !again.lines().any(|l| l.starts_with(verb)),
            "second run called {verb}: {again}"
        );
    }

    // Another Claude Code release: installed beside, the link moves, nothing else.
    let (out, text) = host.install(&["--claude-version", "2.1.331"]);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("claude now runs Claude Code 2.1.331"),
        "{text}"
    );
    assert_eq!(text.matches("changed:").count(), 2, "{text}");
    assert!(
        host.root.join("opt/claude-code/2.1.330").is_dir(),
        "the old one stays"
    );
}

#[test]
fn install_refuses_a_bad_hostname_before_touching_anything() {
    let host = Host::new();
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/install.sh"))
        .arg("code.example.org; rm -rf /")
        .env("AUTOCODE_INSTALL_ROOT", &host.root)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a hostname"));
    assert_eq!(std::fs::read_dir(&host.root).expect("ls").count(), 0);
}
