//! "Log in here" with the real Claude Code CLI: the member's own sign-in session runs in their
//! sandbox (never bare, no secret on its command line), its terminal is theirs to type into
//! without a take-over, nobody else can reach it, and it ends when they close it.

#[macro_use]
mod support;

use support::{common, ws_support};

use std::time::Duration;

use autocode::config::{CliInstallation, FileConfig};
use autocode::testkit::claude_env::claude_binary_for_test;
use autocode::testkit::{MockAnthropic, Script};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use ws_support::{Options, connect};

const WAIT: Duration = Duration::from_secs(30);
const SOCKET: &str = "/api/ws/account/claude/login";

fn tmux(app: &TestApp, args: &[&str]) -> String {
    let out = std::process::Command::new("tmux")
        .arg("-S")
        .arg(app.data_dir.join("tmux.sock"))
        .args(args)
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn log_in_here_runs_the_cli_in_the_members_sandbox_and_terminal() {
    let Some(claude) = claude_binary_for_test("2.1.330").expect("Claude Code install") else {
        return;
    };
    // The model API is a local mock, so a first run never reaches the internet.
    let anthropic = MockAnthropic::start(Script::new(vec![]))
        .await
        .expect("mock");
    let mut file = FileConfig::default();
    file.cli_env
        .insert("ANTHROPIC_BASE_URL".into(), anthropic.base_url());
    file.cli_installations.insert(
        "claude-under-test".into(),
        CliInstallation {
            path: claude,
            profile: "claude-code".into(),
        },
    );
    let app = TestApp::start_with(file).await;
    let admin = app.admin().await;
    let ann = app.user(&admin, "ann").await;
    let bob = app.user(&admin, "bob").await;

    let (status, body) = app
        .post("/api/account/claude/login", &ann.access, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let session = format!("autocode-login-u{}", ann.user_id);
    assert_eq!(body["session"], session.as_str());
    let (status, body) = app
        .post("/api/account/claude/login", &ann.access, json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "one session at a time: {body}"
    );

    // The pane runs bubblewrap (the launcher replaced itself with it); no secret, no
    // environment on its command line.
    let pid = tmux(
        &app,
        &["display-message", "-p", "-t", &session, "#{pane_pid}"],
    );
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim())).expect("cmdline");
    let argv: Vec<String> = cmdline
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert!(argv[0].ends_with("bwrap"), "{argv:?}");
    for flag in ["--unshare-user", "--unshare-pid", "--die-with-parent"] {
        assert!(argv.iter().any(|a| a == flag), "{flag} missing: {argv:?}");
    }
    assert!(
        !argv
            .iter()
            .any(|a| a.contains("CLAUDE_CONFIG_DIR") || a.contains("sk-")),
        "{argv:?}"
    );

    // Ann's terminal: the CLI's first screen, hers to type into without a take-over.
    let mut ws = connect(app.addr, SOCKET, &Options::token(&ann.access))
        .await
        .expect("ann's login terminal");
    ws.expect_type("snapshot", WAIT).await;
    let control = ws.expect_type("control", WAIT).await;
    assert_eq!(
        control,
        json!({"type": "control", "human": true, "by": "ann"})
    );
    common::eventually("the CLI draws its first screen", WAIT, || async {
        tmux(&app, &["capture-pane", "-p", "-t", &session]).contains("Claude")
    })
    .await;
    let before = tmux(&app, &["capture-pane", "-p", "-t", &session]);
    ws.send_json(json!({"type": "input", "data": "/login"}))
        .await;
    ws.send_json(json!({"type": "key", "key": "Enter"})).await;
    common::eventually("her /login reaches the CLI", WAIT, || async {
        let screen = tmux(&app, &["capture-pane", "-p", "-t", &session]);
        screen != before && screen.contains("login method")
    })
    .await;
    let screen = tmux(&app, &["capture-pane", "-p", "-t", &session]);
    assert!(!screen.contains("ENOTFOUND"), "{screen}");

    // Bob's socket shows his own (absent) session, never hers.
    let mut other = connect(app.addr, SOCKET, &Options::token(&bob.access))
        .await
        .expect("bob's login terminal");
    let snapshot = other.expect_type("snapshot", WAIT).await;
    assert_eq!(snapshot["live"], json!(false), "{snapshot}");
    assert!(
        snapshot["data"]
            .as_str()
            .is_some_and(|d| d.contains("No sign-in session")),
        "{snapshot}"
    );
    assert_eq!(
        app.delete("/api/account/claude/login", &bob.access).await.0,
        StatusCode::NOT_FOUND
    );

    // Closing ends it; closing again finds nothing.
    assert_eq!(
        app.delete("/api/account/claude/login", &ann.access).await.0,
        StatusCode::NO_CONTENT
    );
    assert!(
        tmux(&app, &["list-sessions", "-F", "#{session_name}"])
            .lines()
            .all(|s| s != session)
    );
    assert_eq!(
        app.delete("/api/account/claude/login", &ann.access).await.0,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}
