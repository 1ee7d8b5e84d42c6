//! The project API over real HTTP and SQLite: create, edit, delete, their workspace and log,
//! and names that must stay inside the member's directory and be safe as tmux names.

#[macro_use]
mod support;

use support::common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;

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
