//! An agent's launch settings cannot leave the member's sandbox: `cli.command` names a
//! registered installation, reserved environment names and policy-disabling arguments are
//! refused with a 422 naming the field, on save and, for agents saved before the rules, on
//! start.

#[macro_use]
mod support;

use support::common;

use autocode::config::{CliInstallation, FileConfig};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn config() -> FileConfig {
    let mut file = FileConfig::default();
    file.cli_installations.insert(
        "claude-stable".into(),
        CliInstallation {
            path: "/opt/claude/bin/claude".into(),
            profile: "claude-code".into(),
        },
    );
    file
}

fn agent_with(cli: Value) -> Value {
    json!({"name": "builder", "model": "m", "cli": cli})
}

async fn refused(app: &TestApp, token: &str, cli: Value, field: &str) {
    let (status, err) = app
        .post("/api/agents", token, agent_with(cli.clone()))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{cli}: {err}");
    assert_eq!(err["detail"]["field"], field, "{cli}: {err}");
    assert!(
        err["error"].as_str().is_some_and(|e| e.contains(field)),
        "{err}"
    );
}

#[tokio::test]
async fn launch_settings_that_leave_the_sandbox_are_refused() {
    let app = TestApp::start_with(config()).await;
    let admin = app.admin().await;
    let s = app.user(&admin, "alice").await;
    let t = s.access.as_str();

    for command in ["/bin/sh", "/opt/claude/bin/claude", "claude", "claude-beta"] {
        refused(&app, t, json!({"command": command}), "cli.command").await;
    }
    for name in [
        "HOME",
        "CLAUDE_CONFIG_DIR",
        "PATH",
        "LD_PRELOAD",
        "NODE_OPTIONS",
        "BASH_ENV",
        "TMUX_TMPDIR",
        "AUTOCODE_HOOK_SECRET",
        "XDG_CONFIG_HOME",
    ] {
        let field = format!("cli.env.{name}");
        refused(&app, t, json!({"env": {name: "/x"}}), &field).await;
    }
    for args in [
        json!(["--dangerously-skip-permissions"]),
        json!(["--allow-dangerously-skip-permissions"]),
        json!(["--permission-mode", "bypassPermissions"]),
        json!(["--permission-mode=acceptEdits"]),
        json!(["--permission-prompt-tool", "mcp__x__y"]),
        json!(["--allowedTools", "Bash"]),
        json!(["--allowed-tools", "Bash"]),
        json!(["--settings", "/tmp/no-hooks.json"]),
        json!(["--mcp-config", "servers.json"]),
        json!(["--add-dir", "/"]),
    ] {
        refused(&app, t, json!({"args": args}), "cli.args").await;
    }

    // What stays allowed: a registered name, credentials, narrowing arguments, auto mode.
    let (status, agent) = app
        .post(
            "/api/agents",
            t,
            agent_with(json!({
                "command": "claude-stable",
                "env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"},
                "args": ["--disallowedTools", "WebFetch", "--model", "opus"],
                "auto_mode": true,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let id = agent["id"].as_i64().expect("id");

    // An update is held to the same rules.
    let (status, err) = app
        .put(
            &format!("/api/agents/{id}"),
            t,
            json!({"cli": {"env": {"HOME": "/data/users/bob"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["detail"]["field"], "cli.env.HOME");
    app.stop().await;
}

#[tokio::test]
async fn members_see_the_registered_installations_by_name() {
    let app = TestApp::start_with(config()).await;
    let admin = app.admin().await;
    let s = app.user(&admin, "alice").await;
    let (status, list) = app.get("/api/cli/installations", &s.access).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list,
        json!([{"name": "claude-stable", "profile": "claude-code"}])
    );
    assert!(
        !list.to_string().contains("/opt/"),
        "paths stay on the server"
    );
    let (status, _) = app
        .call(reqwest::Method::GET, "/api/cli/installations", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn an_agent_saved_before_the_rules_cannot_start_its_projects() {
    let app = TestApp::start_with(config()).await;
    let admin = app.admin().await;
    let s = app.user(&admin, "alice").await;
    let agent = app.agent(&s, "old").await;
    let agent_id = agent["id"].as_i64().expect("id");
    let project = app.project(&s, agent_id, "site").await;
    let pid = project["id"].as_i64().expect("id");
    // As an older release would have stored them: a free path and a borrowed home.
    for (cli, field) in [
        (
            json!({"profile": "claude-code", "command": "/bin/sh"}),
            "cli.command",
        ),
        (
            json!({"profile": "claude-code", "env": {"HOME": "/data/users/bob"}}),
            "cli.env.HOME",
        ),
        (
            json!({"profile": "claude-code", "args": ["--dangerously-skip-permissions"]}),
            "cli.args",
        ),
    ] {
        sqlx::query("update agents set cli = ? where id = ?")
            .bind(cli.to_string())
            .bind(agent_id)
            .execute(&app.state.db)
            .await
            .expect("store an old agent");
        for action in ["start", "restart"] {
            let (status, err) = app
                .post(
                    &format!("/api/projects/{pid}/{action}"),
                    &s.access,
                    json!({}),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{action} {cli}: {err}"
            );
            assert_eq!(err["detail"]["field"], field, "{err}");
            assert!(
                err["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("edit agent \"old\"")),
                "{err}"
            );
        }
        assert!(!app.controllers.is_running(pid), "nothing was started");
    }
    app.stop().await;
}
