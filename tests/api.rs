//! The user and agent endpoints' happy paths and bad inputs, over real HTTP against a real
//! SQLite file (projects are in `api_projects.rs`, bodies and API keys in `api_bodies.rs`).

#[macro_use]
mod support;

use support::common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn health_needs_no_auth() {
    let app = TestApp::start().await;
    let (status, body) = app
        .call(reqwest::Method::GET, "/api/health", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    app.stop().await;
}

#[tokio::test]
async fn admin_manages_users_and_the_last_admin_stays() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let bob = app.user(&admin, "bob").await;
    app.agent(&bob, "helper").await;

    let (status, users) = app.get("/api/users", &admin.access).await;
    assert_eq!(status, StatusCode::OK);
    let bob_row = users
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["username"] == "bob")
        .expect("bob");
    assert_eq!(bob_row["agent_count"], 1);
    assert!(bob_row.get("password_hash").is_none());

    assert_eq!(
        app.get("/api/users", &bob.access).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = app
        .post(
            "/api/users",
            &bob.access,
            json!({"username": "x", "password": "password-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = app
        .post(
            "/api/users",
            &admin.access,
            json!({"username": "bob", "password": "password-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    for (username, password, field) in [
        ("../evil", "password-1", "username"),
        ("Bob", "password-1", "username"),
        ("a;b", "password-1", "username"),
        ("carol", "short", "password"),
    ] {
        let (status, body) = app
            .post(
                "/api/users",
                &admin.access,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{username}: {body}"
        );
        assert_eq!(body["detail"]["field"], field);
    }
    let (status, body) = app
        .post(
            "/api/users",
            &admin.access,
            json!({"username": "carol", "password": "password-1", "role": "root"}),
        )
        .await;
    assert_eq!(
        (status, body["detail"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("role"))
    );

    // Promote bob, demote admin, then bob cannot demote or delete himself as last admin.
    let (status, body) = app
        .put(
            &format!("/api/users/{}", bob.user_id),
            &admin.access,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(
        (status, body["role"].clone()),
        (StatusCode::OK, json!("admin"))
    );
    assert_eq!(
        app.get("/api/users", &bob.access).await.0,
        StatusCode::OK,
        "role change applies at once"
    );
    let (status, _) = app
        .put(
            &format!("/api/users/{}", admin.user_id),
            &bob.access,
            json!({"role": "user"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .put(
            &format!("/api/users/{}", bob.user_id),
            &bob.access,
            json!({"role": "user"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = app
        .delete(&format!("/api/users/{}", bob.user_id), &bob.access)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        app.delete("/api/users/9999", &bob.access).await.0,
        StatusCode::NOT_FOUND
    );

    // Deleting a user removes their rows and their workspace.
    let admin_row = app
        .post(
            "/api/users",
            &bob.access,
            json!({"username": "dave", "password": "password-1"}),
        )
        .await;
    let dave_id = admin_row.1["id"].as_i64().expect("id");
    let dave = app.login("dave", "password-1").await;
    let agent = app.agent(&dave, "a").await;
    app.project(&dave, agent["id"].as_i64().expect("id"), "P")
        .await;
    assert!(
        app.data_dir
            .join("users/dave/projects/p/.claude/CLAUDE.md")
            .is_file()
    );
    assert_eq!(
        app.delete(&format!("/api/users/{dave_id}"), &bob.access)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert!(!app.data_dir.join("users/dave").exists());
    assert!(
        !app.data_dir
            .join(format!("agents/{}", agent["id"]))
            .exists()
    );
    let projects: i64 = sqlx::query_scalar("select count(*) from projects")
        .fetch_one(&app.state.db)
        .await
        .expect("q");
    assert_eq!(projects, 0);
    app.stop().await;
}

#[tokio::test]
async fn agents_crud_and_rules_file_in_sync() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let s = app.user(&admin, "alice").await;
    let (status, agent) = app
        .post(
            "/api/agents",
            &s.access,
            json!({
                "name": "Builder", "model": "gpt-4o-mini", "identity": "You are careful.",
                "tools": ["send_message", "ask_human"], "global_rules": "# Rules\nBe kind.",
                "mcp_servers": {"fs": {"command": "mcp-fs", "args": ["--root", "."]}},
                "permission_policy": {"allow": ["Read"], "deny": ["Bash(rm -rf*)"], "default": "ask"},
                "llm_provider": "custom", "llm_base_url": "http://127.0.0.1:9999/v1",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let id = agent["id"].as_i64().expect("id");
    assert_eq!(agent["tools"], json!(["send_message", "ask_human"]));
    assert_eq!(agent["permission_policy"]["default"], "ask");
    let rules_path = app.data_dir.join(format!("agents/{id}/RULES.md"));
    assert_eq!(
        std::fs::read_to_string(&rules_path).expect("rules"),
        "# Rules\nBe kind."
    );

    let (status, list) = app.get("/api/agents", &s.access).await;
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );

    let (status, updated) = app
        .put(
            &format!("/api/agents/{id}"),
            &s.access,
            json!({"model": "gpt-5", "llm_base_url": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["model"], "gpt-5");
    assert_eq!(
        updated["identity"], "You are careful.",
        "absent fields are kept"
    );
    assert_eq!(updated["llm_base_url"], Value::Null, "null clears");

    let (status, body) = app
        .put(
            &format!("/api/agents/{id}/rules"),
            &s.access,
            json!({"rules": "New rules"}),
        )
        .await;
    assert_eq!(
        (status, body["rules"].clone()),
        (StatusCode::OK, json!("New rules"))
    );
    assert_eq!(
        std::fs::read_to_string(&rules_path).expect("rules"),
        "New rules"
    );
    let (_, rules) = app.get(&format!("/api/agents/{id}/rules"), &s.access).await;
    assert_eq!(rules["rules"], "New rules");
    assert_eq!(
        app.get(&format!("/api/agents/{id}"), &s.access).await.1["global_rules"],
        "New rules"
    );

    let (status, _) = app
        .post(
            "/api/agents",
            &s.access,
            json!({"name": "Builder", "model": "m"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    for (body, field) in [
        (json!({"model": "m"}), "name"),
        (json!({"name": "x"}), "model"),
        (
            json!({"name": "x", "model": "m", "tools": ["format_disk"]}),
            "tools",
        ),
        (
            json!({"name": "x", "model": "m", "workspace_base": "../../etc"}),
            "workspace_base",
        ),
        (
            json!({"name": "x", "model": "m", "llm_provider": "skynet"}),
            "llm_provider",
        ),
        (
            json!({"name": "x", "model": "m", "llm_base_url": "file:///etc/passwd"}),
            "llm_base_url",
        ),
        (
            json!({"name": "x", "model": "m", "max_retries": 1000}),
            "max_retries",
        ),
        (
            json!({"name": "x", "model": "m", "cli": {"env": {"KEY": {"api_key_id": 424242}}}}),
            "cli.env",
        ),
        (
            json!({"name": "x", "model": "m", "permission_policy": {"default": "yolo"}}),
            "permission_policy.default",
        ),
        (json!({"name": "x", "model": 5}), "model"),
    ] {
        let (status, err) = app.post("/api/agents", &s.access, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["detail"]["field"], field, "{body}: {err}");
    }

    let project = app.project(&s, id, "Site").await;
    let ws = project["workspace_path"].as_str().expect("ws").to_owned();
    assert_eq!(
        app.delete(&format!("/api/agents/{id}"), &s.access).await.0,
        StatusCode::NO_CONTENT
    );
    assert!(!rules_path.exists());
    assert!(
        !std::path::Path::new(&ws).exists(),
        "deleting an agent removes its projects' workspaces"
    );
    assert_eq!(
        app.get(&format!("/api/projects/{}", project["id"]), &s.access)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}
