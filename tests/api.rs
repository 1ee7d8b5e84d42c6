//! Every endpoint's happy path and its bad inputs, over real HTTP against a real SQLite
//! file.

mod common;

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

#[tokio::test]
async fn projects_crud_workspace_and_history() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let s = app.user(&admin, "alice").await;
    let agent = app.agent(&s, "a").await;
    let aid = agent["id"].as_i64().expect("id");
    let (status, p) = app
        .post(
            &format!("/api/agents/{aid}/projects"),
            &s.access,
            json!({"name": "My Cool App", "description": "A todo app", "architecture": "Rust + SQLite",
                   "implementation_plan": [{"title": "Scaffold"}, {"title": "Tests", "details": "cargo test"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_i64().expect("id");
    assert_eq!(p["slug"], "my-cool-app");
    assert_eq!(p["status"], "created");
    assert_eq!(p["tmux_session"], format!("autocode-p{pid}"));
    assert_eq!(p["implementation_plan"][1]["status"], "pending");
    let ws = app.data_dir.join("users/alice/projects/my-cool-app");
    assert_eq!(p["workspace_path"], ws.to_string_lossy().as_ref());
    let claude = std::fs::read_to_string(ws.join(".claude/CLAUDE.md")).expect("CLAUDE.md");
    assert!(claude.contains("A todo app"));
    for f in ["config.json", "IDENTITY.md", "MEMORY.md", "HISTORY.md"] {
        assert!(ws.join(".nanobot").join(f).is_file(), "{f}");
    }

    // A second project whose name slugs the same gets its own directory.
    let (status, p2) = app
        .post(
            &format!("/api/agents/{aid}/projects"),
            &s.access,
            json!({"name": "my cool app!"}),
        )
        .await;
    assert_eq!(
        (status, p2["slug"].clone()),
        (StatusCode::CREATED, json!("my-cool-app-2"))
    );
    let (status, _) = app
        .post(
            &format!("/api/agents/{aid}/projects"),
            &s.access,
            json!({"name": "My Cool App"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, list) = app
        .get(&format!("/api/agents/{aid}/projects"), &s.access)
        .await;
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (StatusCode::OK, Some(2))
    );
    assert_eq!(
        app.get("/api/projects", &s.access)
            .await
            .1
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let (status, edited) = app
        .put(
            &format!("/api/projects/{pid}"),
            &s.access,
            json!({"description": "A better todo app",
                   "implementation_plan": [{"title": "Scaffold", "status": "done"}, {"title": "Ship"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["implementation_plan"][0]["status"], "done");
    let (status, logs) = app
        .get(&format!("/api/projects/{pid}/logs"), &s.access)
        .await;
    assert_eq!(status, StatusCode::OK);
    let messages: Vec<&str> = logs
        .as_array()
        .expect("logs")
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("created"));
    assert!(
        messages[1].contains("description")
            && messages[1].contains("implementation plan (2 steps)")
    );
    assert!(
        logs.as_array()
            .expect("logs")
            .iter()
            .all(|l| l["level"] == "info")
    );

    let first = logs[0]["id"].as_i64().expect("id");
    let (_, after) = app
        .get(
            &format!("/api/projects/{pid}/logs?after={first}&limit=10"),
            &s.access,
        )
        .await;
    assert_eq!(after.as_array().map(Vec::len), Some(1));
    assert_eq!(after[0]["id"], logs[1]["id"]);
    let (status, err) = app
        .get(&format!("/api/projects/{pid}/logs?limit=0"), &s.access)
        .await;
    assert_eq!(
        (status, err["detail"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("limit"))
    );
    let (status, _) = app
        .get(&format!("/api/projects/{pid}/logs?after=abc"), &s.access)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    for (body, field) in [
        (
            json!({"implementation_plan": [{"title": ""}]}),
            "implementation_plan[0].title",
        ),
        (
            json!({"implementation_plan": [{"title": "x", "status": "exploded"}]}),
            "implementation_plan[0].status",
        ),
        (json!({"name": "\u{7}bell"}), "name"),
        (json!({"name": ""}), "name"),
    ] {
        let (status, err) = app
            .put(&format!("/api/projects/{pid}"), &s.access, body.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["detail"]["field"], field, "{body}: {err}");
    }

    assert_eq!(
        app.delete(&format!("/api/projects/{pid}"), &s.access)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert!(!ws.exists());
    assert_eq!(
        app.get(&format!("/api/projects/{pid}"), &s.access).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/projects/{pid}/logs"), &s.access)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test]
async fn hostile_project_names_stay_inside_and_are_tmux_safe() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let agent = app.agent(&admin, "a").await;
    let aid = agent["id"].as_i64().expect("id");
    for name in [
        "../../../etc",
        "..",
        ".",
        "a/b\\c",
        "x; rm -rf / #",
        "$(reboot)",
        "win:0.1",
        "`id`",
        "日本語",
        "-",
    ] {
        let (status, p) = app
            .post(
                &format!("/api/agents/{aid}/projects"),
                &admin.access,
                json!({"name": name}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {p}");
        let slug = p["slug"].as_str().expect("slug");
        assert!(
            !slug.is_empty() && slug != "." && slug != "..",
            "{name} -> {slug}"
        );
        assert!(
            slug.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{slug}"
        );
        let session = p["tmux_session"].as_str().expect("session");
        assert_eq!(session, format!("autocode-p{}", p["id"]), "{name}");
        let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
        assert!(
            ws.starts_with(app.data_dir.join("users/admin/projects")),
            "{ws:?}"
        );
        assert!(
            ws.canonicalize()
                .expect("exists")
                .starts_with(&app.data_dir)
        );
        assert_eq!(p["name"], name.trim(), "the display name is kept as typed");
    }
    app.stop().await;
}

#[tokio::test]
async fn malformed_oversized_and_wrongly_typed_bodies() {
    let app = TestApp::start().await;
    let s = app.admin().await;
    let send = |body: Vec<u8>, ctype: &'static str| {
        let app = &app;
        let token = s.access.clone();
        async move {
            let resp = app
                .client
                .post(app.url("/api/agents"))
                .bearer_auth(token)
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .expect("send");
            let status = resp.status();
            let body: Value = resp.json().await.expect("every error is JSON");
            (status, body)
        }
    };
    let (status, body) = send(b"{\"name\": ".to_vec(), "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .expect("msg")
            .contains("malformed JSON")
    );
    let (status, _) = send(b"{} trailing".to_vec(), "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(b"[1,2]".to_vec(), "application/json").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = send(b"{\"name\":\"x\",\"model\":\"m\"}".to_vec(), "text/plain").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, body) = send(
        b"{\"name\":\"x\",\"model\":\"m\",\"surprise\":1}".to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let big = format!(
        "{{\"name\":\"x\",\"model\":\"m\",\"identity\":\"{}\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let (status, body) = send(big.into_bytes(), "application/json").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Nothing half-written: no agent exists after all these failures.
    assert_eq!(app.get("/api/agents", &s.access).await.1, json!([]));

    assert_eq!(
        app.get("/api/agents/not-a-number", &s.access).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = app.get("/api/no/such/route", &s.access).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::NOT_FOUND, json!("not found"))
    );
    let (status, body) = app
        .call(reqwest::Method::PATCH, "/api/agents", Some(&s.access), None)
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::METHOD_NOT_ALLOWED, json!("method not allowed"))
    );
    app.stop().await;
}

#[tokio::test]
async fn api_keys_round_trip_and_tamper_detection() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let bob = app.user(&admin, "bob").await;
    let (status, k1) = app
        .post(
            "/api/keys",
            &alice.access,
            json!({"provider": "openai", "label": "main", "key": "sk-alice-secret-1234"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{k1}");
    assert_eq!(k1["last4"], "1234");
    assert!(k1.get("key").is_none());
    let (_, k2) = app
        .post(
            "/api/keys",
            &alice.access,
            json!({"provider": "anthropic", "key": "sk-ant-xyz-9876"}),
        )
        .await;
    let (_, kb) = app
        .post(
            "/api/keys",
            &bob.access,
            json!({"provider": "openai", "key": "sk-bob-5555"}),
        )
        .await;
    assert_eq!(
        k2["label"], "anthropic",
        "the label defaults to the provider"
    );

    let (status, list) = app.get("/api/keys", &alice.access).await;
    assert_eq!(status, StatusCode::OK);
    let text = list.to_string();
    assert!(
        !text.contains("sk-alice") && !text.contains("secret"),
        "the key never leaves: {text}"
    );
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert!(
        list.as_array()
            .expect("keys")
            .iter()
            .all(|k| k["readable"] == true)
    );

    // The database holds no plaintext.
    let raw: Vec<u8> = sqlx::query_scalar("select ciphertext from api_keys where id = ?")
        .bind(k1["id"].as_i64())
        .fetch_one(&app.state.db)
        .await
        .expect("row");
    assert!(!String::from_utf8_lossy(&raw).contains("alice-secret"));

    // A ciphertext moved to another row (or to another user) no longer opens.
    let swap = "update api_keys set nonce = (select nonce from api_keys where id = ?2), ciphertext = (select ciphertext from api_keys where id = ?2) where id = ?1";
    sqlx::query(swap)
        .bind(k1["id"].as_i64())
        .bind(k2["id"].as_i64())
        .execute(&app.state.db)
        .await
        .expect("swap");
    sqlx::query(swap)
        .bind(kb["id"].as_i64())
        .bind(k2["id"].as_i64())
        .execute(&app.state.db)
        .await
        .expect("swap");
    let (_, list) = app.get("/api/keys", &alice.access).await;
    let k1_row = list
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["id"] == k1["id"])
        .expect("k1")
        .clone();
    assert_eq!(
        (k1_row["readable"].clone(), k1_row["last4"].clone()),
        (json!(false), Value::Null)
    );
    let (_, bob_list) = app.get("/api/keys", &bob.access).await;
    assert_eq!(bob_list[0]["readable"], false);

    for (body, field) in [
        (json!({"provider": "Open AI", "key": "k"}), "provider"),
        (json!({"provider": "openai", "key": ""}), "key"),
        (json!({"provider": "openai", "key": "has space"}), "key"),
    ] {
        let (status, err) = app.post("/api/keys", &alice.access, body).await;
        assert_eq!(
            (status, err["detail"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field))
        );
    }
    assert_eq!(
        app.delete(&format!("/api/keys/{}", k1["id"]), &alice.access)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&format!("/api/keys/{}", k1["id"]), &alice.access)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/keys", &alice.access)
            .await
            .1
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    app.stop().await;
}
