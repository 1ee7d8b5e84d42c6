//! The shipped Caddyfile, run by the real Caddy in front of the real daemon (plain HTTP on
//! loopback in place of the public hostname, so no certificate is needed): the security
//! headers reach the browser, hooks and metrics answer 404 at Caddy, a body over the limit
//! stops there, and the API and a live-log WebSocket pass through.

#[macro_use]
mod support;

use support::{common, ws_support};

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use autocode::config::FileConfig;
use common::TestApp;
use reqwest::StatusCode;
use ws_support::{Options, connect, logs_path};

struct Caddy {
    child: Child,
    addr: std::net::SocketAddr,
    _home: tempfile::TempDir,
}

impl Drop for Caddy {
    fn drop(&mut self) {
        // Our own child, by its handle; a failed kill means it already exited.
        if self.child.kill().is_ok() {
            let _ = self.child.wait();
        }
    }
}

/// Starts Caddy on the shipped Caddyfile, its site address replaced by a loopback port and
/// its upstream by the test daemon. None (skipped) when Caddy is not installed.
fn start_caddy(daemon: std::net::SocketAddr) -> Option<Caddy> {
    let caddy = Path::new("/usr/bin/caddy");
    if !caddy.exists() {
        assert!(
            std::env::var_os(autocode::testkit::claude_env::REQUIRE_CLI_VAR).is_none(),
            "caddy is missing: run scripts/install-test-tools.sh"
        );
        eprintln!("SKIPPED: caddy is not installed");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Caddyfile"))
        .expect("Caddyfile");
    assert!(shipped.contains("code.example.org {") && shipped.contains("127.0.0.1:8080"));
    // No admin endpoint: other Caddys on this host (tests running in parallel) use :2019.
    let config = format!(
        "{{\n\tadmin off\n}}\n{}",
        shipped
            .replace("code.example.org {", &format!("http://127.0.0.1:{port} {{"))
            .replace("127.0.0.1:8080", &daemon.to_string())
    );
    let home = tempfile::tempdir().expect("tempdir");
    let file = home.path().join("Caddyfile");
    std::fs::write(&file, config).expect("write");
    let child = Command::new(caddy)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&file)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn caddy");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut caddy = Caddy {
        child,
        addr,
        _home: home,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            caddy.child.try_wait().expect("wait").is_none(),
            "caddy exited"
        );
        assert!(Instant::now() < deadline, "caddy did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(caddy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_caddyfile_in_front_of_the_daemon() {
    let app = TestApp::start_with(FileConfig {
        trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
        ..FileConfig::default()
    })
    .await;
    let Some(caddy) = start_caddy(app.addr) else {
        app.stop().await;
        return;
    };
    let http = reqwest::Client::new();
    let base = format!("http://{}", caddy.addr);

    let page = http.get(format!("{base}/")).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().expect("csp");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(
        h["strict-transport-security"]
            .to_str()
            .expect("hsts")
            .contains("max-age=")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(
        h.get("server").is_none(),
        "Caddy's Server header is dropped"
    );

    let health = http
        .get(format!("{base}/api/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), StatusCode::OK);
    for path in ["/api/hooks", "/api/metrics"] {
        let resp = http
            .post(format!("{base}{path}"))
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path} through Caddy");
        let resp = http.get(format!("{base}{path}")).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path} through Caddy");
    }
    let big = vec![b'x'; 3 * 1024 * 1024];
    let resp = http
        .post(format!("{base}/api/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("big body");
    // Stopped, but Debian 12's Caddy 2.6 reports a body over request_body's max_size from
    // reverse_proxy as 502 (caddyserver/caddy#5652), and the daemon may answer 413 first.
    assert!(
        [StatusCode::PAYLOAD_TOO_LARGE, StatusCode::BAD_GATEWAY].contains(&resp.status()),
        "{}",
        resp.status()
    );

    // A live log through Caddy: the upgrade passes and the first frame arrives.
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "a").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "p")
        .await;
    let id = project["id"].as_i64().expect("id");
    let mut ws = connect(caddy.addr, &logs_path(id), &Options::token(&alice.access))
        .await
        .unwrap_or_else(|status| panic!("the upgrade through Caddy was refused: {status}"));
    assert_eq!(ws.protocol.as_deref(), Some("autocode.v1"));
    ws.send_json(serde_json::json!({"type": "subscribe", "after": 0}))
        .await;
    app.state
        .journal
        .log(id, None, autocode::db::logs::Level::Info, "through Caddy")
        .await
        .expect("log");
    // The backlog (the project's creation) first, then the live entry.
    let mut seen = Vec::new();
    while !seen.iter().any(|m| m == "through Caddy") {
        assert!(seen.len() < 10, "no live entry through Caddy: {seen:?}");
        let entry = ws.expect_type("log", Duration::from_secs(10)).await;
        seen.push(entry["entry"]["message"].as_str().unwrap_or("").to_owned());
    }
    drop(ws);
    drop(caddy);
    app.stop().await;
}
