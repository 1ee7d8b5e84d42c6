//! The real `autocode` binary: first start, the user CLI while the daemon runs, graceful
//! SIGTERM, restart on the same data dir keeping everything, and the master-key checks.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_autocode");

struct Daemon {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Daemon {
    /// Starts the daemon and waits for /api/health; returns it and its stderr lines so far.
    fn start(data: &Path, admin_password: Option<&str>) -> (Self, Vec<String>) {
        let port = free_port();
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("AUTOCODE_DATA_DIR", data)
            .env_remove("AUTOCODE_ADMIN_PASSWORD")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(p) = admin_password {
            cmd.env("AUTOCODE_ADMIN_PASSWORD", p);
        }
        let mut child = cmd.spawn().expect("spawn autocode");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining after the test stops listening: a closed pipe would make the
            // daemon's log writes fail.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut lines = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            while let Ok(line) = rx.try_recv() {
                lines.push(line);
            }
            if lines.iter().any(|l| l.contains("listening on")) {
                break;
            }
            assert!(Instant::now() < deadline, "daemon did not start: {lines:?}");
            assert!(
                child.try_wait().expect("wait").is_none(),
                "daemon exited: {lines:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        (
            Self {
                child,
                base: format!("http://127.0.0.1:{port}"),
            },
            lines,
        )
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "daemon ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn cli(data: &Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("AUTOCODE_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cli");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("output");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

async fn login(base: &str, user: &str, password: &str) -> Option<String> {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .expect("send");
    if !resp.status().is_success() {
        return None;
    }
    let body: Value = resp.json().await.expect("json");
    body["access_token"].as_str().map(str::to_owned)
}

async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("send");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap_or(Value::Null)
}

/// The daemon leaves its tmux server running across restarts (by design); the test ends it.
struct TmuxServerGuard(std::path::PathBuf);

impl Drop for TmuxServerGuard {
    fn drop(&mut self) {
        let sock = self.0.join("tmux.sock");
        if sock.exists() {
            let _ = Command::new("tmux")
                .arg("-S")
                .arg(&sock)
                .arg("kill-server")
                .status();
        }
    }
}

#[tokio::test]
async fn first_start_cli_restart_keeps_everything() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let _tmux = TmuxServerGuard(data.clone());

    // First start without a configured password: a random one is printed once.
    let (daemon, lines) = Daemon::start(&data, None);
    let line = lines
        .iter()
        .find(|l| l.contains("created user 'admin' with password"))
        .expect("password line");
    let password = line
        .split("with password ")
        .nth(1)
        .expect("pw")
        .split(' ')
        .next()
        .expect("pw")
        .to_owned();
    let admin = login(&daemon.base, "admin", &password)
        .await
        .expect("admin login with the printed password");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(data.join("master.key"))
            .expect("key")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // Build some state through the API.
    let agent = call(
        &daemon.base,
        reqwest::Method::POST,
        "/api/agents",
        &admin,
        Some(json!({"name": "ag", "model": "m", "global_rules": "R"})),
    )
    .await;
    let project = call(
        &daemon.base,
        reqwest::Method::POST,
        &format!("/api/agents/{}/projects", agent["id"]),
        &admin,
        Some(json!({"name": "Keep Me", "implementation_plan": [{"title": "one"}]})),
    )
    .await;
    call(
        &daemon.base,
        reqwest::Method::POST,
        "/api/keys",
        &admin,
        Some(json!({"provider": "openai", "key": "sk-keep-4242"})),
    )
    .await;

    // The CLI works on the same data dir while the daemon runs.
    let (ok, out) = cli(&data, &["user", "add", "carol"], "carol-password\n");
    assert!(ok, "{out}");
    let (ok, out) = cli(&data, &["user", "add", "carol"], "carol-password\n");
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = cli(&data, &["user", "add", "../x"], "carol-password\n");
    assert!(!ok && out.contains("username"), "{out}");
    let (ok, out) = cli(&data, &["user", "add", "eve", "--admin"], "short\n");
    assert!(!ok && out.contains("password"), "{out}");
    let carol = login(&daemon.base, "carol", "carol-password")
        .await
        .expect("carol logs in via the daemon");
    assert!(data.join("users/carol/projects").is_dir());
    let (ok, out) = cli(&data, &["user", "passwd", "carol"], "carol-new-password\n");
    assert!(ok, "{out}");
    assert!(
        login(&daemon.base, "carol", "carol-password")
            .await
            .is_none()
    );
    let me = reqwest::Client::new()
        .get(format!("{}/api/auth/me", daemon.base))
        .bearer_auth(&carol)
        .send()
        .await
        .expect("me");
    assert_eq!(
        me.status(),
        401,
        "passwd from the CLI ends carol's sessions in the running daemon"
    );

    let status = daemon.terminate();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );

    // Restart on the same data dir: everything is still there, no second admin.
    let (daemon, lines) = Daemon::start(&data, Some("ignored-now"));
    assert!(!lines.iter().any(|l| l.contains("created user 'admin'")));
    let admin = login(&daemon.base, "admin", &password)
        .await
        .expect("same admin password");
    let p = call(
        &daemon.base,
        reqwest::Method::GET,
        &format!("/api/projects/{}", project["id"]),
        &admin,
        None,
    )
    .await;
    assert_eq!(p["name"], "Keep Me");
    let keys = call(
        &daemon.base,
        reqwest::Method::GET,
        "/api/keys",
        &admin,
        None,
    )
    .await;
    assert_eq!(
        (keys[0]["last4"].clone(), keys[0]["readable"].clone()),
        (json!("4242"), json!(true))
    );
    let rules = call(
        &daemon.base,
        reqwest::Method::GET,
        &format!("/api/agents/{}/rules", agent["id"]),
        &admin,
        None,
    )
    .await;
    assert_eq!(rules["rules"], "R");
    assert!(
        login(&daemon.base, "carol", "carol-new-password")
            .await
            .is_some()
    );

    let (ok, out) = cli(&data, &["user", "list"], "");
    assert!(
        ok && out.contains("carol") && out.contains("admin"),
        "{out}"
    );
    let (ok, out) = cli(&data, &["user", "delete", "carol"], "");
    assert!(ok, "{out}");
    assert!(!data.join("users/carol").exists());
    assert!(
        login(&daemon.base, "carol", "carol-new-password")
            .await
            .is_none()
    );
    let (ok, out) = cli(&data, &["user", "delete", "admin"], "");
    assert!(!ok && out.contains("last admin"), "{out}");
    assert!(daemon.terminate().success());
}

#[test]
fn refuses_a_master_key_readable_by_others() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let key = data.join("master.key");
    std::fs::write(&key, [0u8; 32]).expect("write");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .expect("chmod");
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("AUTOCODE_DATA_DIR", &data)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chmod 600"), "{err}");
}

#[tokio::test]
async fn the_admin_password_leaves_the_environment_once_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let _tmux = TmuxServerGuard(data.clone());
    let password = "from-the-env-file-7c1f93";
    let (daemon, _) = Daemon::start(&data, Some(password));
    login(&daemon.base, "admin", password)
        .await
        .expect("the admin logs in with the password from the environment");
    // Same pid: the daemon re-executed itself without the variable.
    let environ = std::fs::read(format!("/proc/{}/environ", daemon.child.id())).expect("environ");
    let environ = String::from_utf8_lossy(&environ);
    assert!(
        environ.contains("AUTOCODE_DATA_DIR="),
        "the daemon's own environment"
    );
    assert!(
        !environ.contains(password),
        "the password is still in the daemon's environment"
    );
    assert!(!environ.contains("AUTOCODE_ADMIN_PASSWORD="));
    // Nor in the tmux server it started (every member's pane descends from it).
    let out = Command::new("tmux")
        .arg("-S")
        .arg(data.join("tmux.sock"))
        .args(["display-message", "-p", "#{pid}"])
        .output()
        .expect("tmux");
    let tmux_pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        !tmux_pid.is_empty(),
        "the daemon starts its tmux server at boot"
    );
    let environ = std::fs::read(format!("/proc/{tmux_pid}/environ")).expect("tmux environ");
    assert!(!String::from_utf8_lossy(&environ).contains(password));
    assert!(daemon.terminate().success());
}

#[test]
fn user_add_gives_the_new_member_the_default_agent_and_a_bad_table_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let config = data.join("autocode.toml");
    std::fs::write(
        &config,
        "[default_agent]\nllm_provider = \"ollama\"\nmodel = \"qwen3\"\n",
    )
    .expect("write config");
    let (ok, out) = cli(&data, &["user", "add", "dana"], "dana-password\n");
    assert!(ok && out.contains("with a ready agent"), "{out}");
    let (ok, out) = cli(&data, &["user", "list"], "");
    assert!(ok && out.contains("dana\tuser\t1 agents"), "{out}");

    std::fs::write(
        &config,
        "[default_agent]\nllm_provider = \"custom\"\nmodel = \"m\"\n",
    )
    .expect("write config");
    let (ok, out) = cli(&data, &["user", "add", "erin"], "erin-password\n");
    assert!(!ok && out.contains("needs llm_base_url"), "{out}");
}
