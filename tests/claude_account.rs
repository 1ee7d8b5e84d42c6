//! Each member's own Claude Code account over the API: sealed at rest, write-only, per
//! member; and the ready default agent a new member gets from `[default_agent]`.

#[macro_use]
mod support;

use support::common;

use autocode::config::{DefaultAgent, FileConfig};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;

const KEY: &str = "sk-ant-api03-Zq8mW4rT7yB2nK5vX9cL3pH6-k3Y9";
const TOKEN: &str = "sk-ant-oat01-Hf5Jd2Ls8Qw1Er4Ty7Ui0Op3-tok1";

/// Every byte SQLite holds for the data dir (the database, its WAL and shared memory).
fn database_bytes(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&app.data_dir).expect("data dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("autocode.db") {
            all.extend(std::fs::read(&path).expect("read db file"));
        }
    }
    assert!(!all.is_empty(), "found the database files");
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_members_claude_account_is_sealed_write_only_and_their_own() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let ann = app.user(&admin, "ann").await;
    let bob = app.user(&admin, "bob").await;
    let path = "/api/account/claude";

    assert_eq!(
        app.get(path, &ann.access).await,
        (StatusCode::OK, json!({"kind": null}))
    );
    let (status, body) = app
        .put(path, &ann.access, json!({"kind": "api_key", "value": KEY}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["kind"].clone(), body["hint"].clone()),
        (json!("api_key"), json!("k3Y9"))
    );
    let (status, body) = app.get(path, &ann.access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["kind"], "api_key");
    assert_eq!(body["hint"], "k3Y9");
    assert_eq!(body["readable"], true);
    assert!(body["updated_at"].is_string());
    assert!(
        !body.to_string().contains(&KEY[..20]),
        "GET never returns the key: {body}"
    );
    assert!(
        !contains(&database_bytes(&app), &KEY[..20]),
        "the key is sealed at rest"
    );

    // Bob sees nothing of Ann's and cannot remove it.
    assert_eq!(
        app.get(path, &bob.access).await,
        (StatusCode::OK, json!({"kind": null}))
    );
    assert_eq!(app.delete(path, &bob.access).await.0, StatusCode::NOT_FOUND);
    let (status, body) = app
        .put(
            path,
            &bob.access,
            json!({"kind": "oauth_token", "value": TOKEN}),
        )
        .await;
    assert_eq!(
        (status, body["hint"].clone()),
        (StatusCode::OK, json!("tok1"))
    );
    assert_eq!(app.get(path, &ann.access).await.1["hint"], "k3Y9");
    assert!(!contains(&database_bytes(&app), &TOKEN[..20]));

    // "Log in here" counts only once the CLI saved a sign-in in ann's config home.
    let (status, body) = app.put(path, &ann.access, json!({"kind": "login"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["detail"]["field"], "kind", "{body}");
    let config = app.data_dir.join("users/ann/config/claude");
    std::fs::create_dir_all(&config).expect("config home");
    // A link planted there (to someone else's login) does not count.
    std::os::unix::fs::symlink("/etc/hostname", config.join(".credentials.json")).expect("link");
    let (status, _) = app.put(path, &ann.access, json!({"kind": "login"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    std::fs::remove_file(config.join(".credentials.json")).expect("unlink");
    std::fs::write(config.join(".credentials.json"), "{}").expect("credentials");
    // Replacing switches the kind; "Log in here" stores nothing.
    let (status, body) = app.put(path, &ann.access, json!({"kind": "login"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["kind"], "login");
    assert!(body.get("hint").is_none(), "{body}");

    assert_eq!(
        app.delete(path, &ann.access).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(path, &ann.access).await.1, json!({"kind": null}));
    assert_eq!(app.delete(path, &ann.access).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(path, &bob.access).await.1["kind"], "oauth_token");
    app.stop().await;
}

#[tokio::test]
async fn bad_credentials_are_refused_naming_the_field() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let ann = app.user(&admin, "ann").await;
    let path = "/api/account/claude";
    let cases = [
        (json!({"kind": "api_key", "value": "sk-ant-short"}), "value"),
        (
            json!({"kind": "api_key", "value": "sk-ant-api03-has space-0123456789"}),
            "value",
        ),
        (
            json!({"kind": "api_key", "value": "sk-ant-api03-has\u{0}nul-0123456789"}),
            "value",
        ),
        (
            json!({"kind": "api_key", "value": format!("sk-ant-api03-{}", "x".repeat(600))}),
            "value",
        ),
        (
            json!({"kind": "api_key", "value": "sk-proj-0123456789abcdefghijklmn"}),
            "value",
        ),
        (json!({"kind": "api_key", "value": TOKEN}), "value"),
        (json!({"kind": "api_key"}), "value"),
        (json!({"kind": "oauth_token", "value": KEY}), "value"),
        (json!({"kind": "login", "value": KEY}), "value"),
        (json!({"kind": "password", "value": KEY}), "kind"),
        (json!({"value": KEY}), "body"),
    ];
    for (body, field) in cases {
        let (status, resp) = app.put(path, &ann.access, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {resp}");
        assert_eq!(resp["detail"]["field"], field, "{body}: {resp}");
        assert!(
            resp["error"]
                .as_str()
                .is_some_and(|e| !e.contains("sk-ant-api03")),
            "{resp}"
        );
    }
    assert_eq!(app.get(path, &ann.access).await.1, json!({"kind": null}));
    app.stop().await;
}

#[tokio::test]
async fn a_new_member_gets_a_ready_default_agent_from_the_admins_defaults() {
    let file = FileConfig {
        default_agent: Some(DefaultAgent {
            name: "Default".into(),
            llm_provider: "custom".into(),
            model: "family-supervisor".into(),
            llm_base_url: Some("http://127.0.0.1:9/v1".into()),
            permission_default: autocode::agent_config::PolicyDefault::Ask,
        }),
        ..FileConfig::default()
    };
    let app = TestApp::start_with(file).await;
    let admin = app.admin().await;
    let ann = app.user(&admin, "ann").await;
    let (status, agents) = app.get("/api/agents", &ann.access).await;
    assert_eq!(status, StatusCode::OK);
    let agents = agents.as_array().expect("list").clone();
    assert_eq!(agents.len(), 1, "{agents:?}");
    let agent = &agents[0];
    assert_eq!(agent["name"], "Default");
    assert_eq!(agent["model"], "family-supervisor");
    assert_eq!(agent["llm_provider"], "custom");
    assert_eq!(agent["llm_base_url"], "http://127.0.0.1:9/v1");
    assert_eq!(agent["permission_policy"]["default"], "ask");
    assert_eq!(
        agent["cli"],
        json!({"profile": "claude-code", "command": null, "args": [], "env": {}, "auto_mode": false})
    );
    // Its rules file exists, like any agent's, and a project can be made from it at once.
    let id = agent["id"].as_i64().expect("id");
    assert_eq!(
        app.get(&format!("/api/agents/{id}/rules"), &ann.access)
            .await
            .0,
        StatusCode::OK
    );
    app.project(&ann, id, "first").await;
    // Each member gets their own.
    let bob = app.user(&admin, "bob").await;
    let (_, theirs) = app.get("/api/agents", &bob.access).await;
    assert_eq!(theirs.as_array().map(Vec::len), Some(1));
    assert_ne!(theirs[0]["id"], agent["id"]);
    app.stop().await;
}

#[tokio::test]
async fn without_default_agent_config_a_new_member_starts_with_no_agent() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let ann = app.user(&admin, "ann").await;
    assert_eq!(
        app.get("/api/agents", &ann.access).await,
        (StatusCode::OK, json!([]))
    );
    app.stop().await;
}
