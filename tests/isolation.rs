//! Walks every route of the router (from the same table the router is built from) with a
//! second user's token against the first user's ids. A new route is covered without
//! anyone touching this file; a new kind of `{id}` makes the test fail until it is mapped.

#[macro_use]
mod support;

use support::common;

use autocode::http::{Access, endpoints};
use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A valid body per route, so that a 404 cannot be a validation error in disguise.
fn body_for(method: &Method, path: &str) -> Value {
    match (method.as_str(), path) {
        ("PUT", "/api/agents/{id}") => json!({"model": "stolen"}),
        ("PUT", "/api/agents/{id}/rules") => json!({"rules": "stolen"}),
        ("POST", "/api/agents/{id}/projects") => json!({"name": "stolen"}),
        ("PUT", "/api/projects/{id}") => json!({"description": "stolen"}),
        ("POST", "/api/projects/{id}/messages") => json!({"text": "stolen"}),
        ("POST", "/api/inbox/{id}/answer") => json!({"text": "stolen"}),
        ("PUT", "/api/users/{id}") => json!({"role": "user"}),
        ("POST", "/api/projects/{id}/schedules")
        | ("PUT", "/api/projects/{id}/schedules/{sid}") => {
            json!({"cron": "0 0 2 * * *", "action": "start"})
        }
        _ => json!({}),
    }
}

#[tokio::test]
async fn another_users_ids_are_not_found_on_every_route() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let bob = app.user(&admin, "bob").await;
    let agent = app.agent(&alice, "alice-agent").await;
    let agent_id = agent["id"].as_i64().expect("id");
    let project = app.project(&alice, agent_id, "alice-project").await;
    let project_id = project["id"].as_i64().expect("id");
    let (_, key) = app
        .post(
            "/api/keys",
            &alice.access,
            json!({"provider": "openai", "key": "sk-alice-0000"}),
        )
        .await;
    let key_id = key["id"].as_i64().expect("id");
    let (status, _) = app
        .put(
            "/api/account/claude",
            &alice.access,
            json!({"kind": "api_key", "value": "sk-ant-api03-alice-claude-0000"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, sub) = app
        .post(
            "/api/push/subscriptions",
            &alice.access,
            json!({"endpoint": "https://push.example/alice", "keys": {
                "p256dh": autocode::testkit::push_service::Subscriber::default().p256dh(),
                "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}),
        )
        .await;
    let subscription_id = sub["id"].as_i64().expect("id");
    app.put(
        &format!("/api/agents/{agent_id}/rules"),
        &alice.access,
        json!({"rules": "alice rules"}),
    )
    .await;

    let (status, schedule) = app
        .post(
            &format!("/api/projects/{project_id}/schedules"),
            &alice.access,
            json!({"cron": "0 0 2 * * *", "action": "start"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    let schedule_id = schedule["id"].as_i64().expect("id");
    let mut walked = 0;
    let mut routes = endpoints();
    // Deletions last, so that every other route still has something to aim at; logout
    // after them, since it ends bob's session.
    routes.sort_by_key(|(m, path, _)| (*path == "/api/auth/logout", *m == Method::DELETE));
    for (method, path, access) in routes {
        let id = if path.starts_with("/api/agents/{id}") {
            Some(agent_id)
        } else if path.starts_with("/api/projects/{id}")
            || path.starts_with("/api/ws/projects/{id}")
            || path.starts_with("/api/inbox/{id}")
        {
            Some(project_id)
        } else if path.starts_with("/api/keys/{id}") {
            Some(key_id)
        } else if path.starts_with("/api/push/subscriptions/{id}") {
            Some(subscription_id)
        } else if path.starts_with("/api/users/{id}") {
            Some(alice.user_id)
        } else {
            assert!(
                !path.contains('{'),
                "{method} {path}: map its placeholder to one of alice's ids in this test"
            );
            None
        };
        let url = id
            .map_or(path.to_owned(), |id| path.replace("{id}", &id.to_string()))
            .replace("{sid}", &schedule_id.to_string());
        let body =
            (method != Method::GET && method != Method::DELETE).then(|| body_for(&method, path));
        if access == Access::Public {
            continue;
        }
        walked += 1;
        // Over loopback (as here) a scraper without a token may read metrics;
        // tests/metrics.rs covers both sides of that.
        if access != Access::AdminOrLoopback {
            let (status, _) = app.call(method.clone(), &url, None, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {url} without a token"
            );
        }

        let (status, resp) = app
            .call(method.clone(), &url, Some(&bob.access), body.clone())
            .await;
        match (access, id) {
            (Access::Admin | Access::AdminOrLoopback, _) => {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {url}: {resp}")
            }
            (Access::User, Some(_)) => {
                assert_eq!(status, StatusCode::NOT_FOUND, "{method} {url}: {resp}")
            }
            (Access::User, None) => {
                let text = resp.to_string();
                for secret in ["alice-agent", "alice-project", "alice rules", "0000"] {
                    assert!(
                        !text.contains(secret),
                        "{method} {url} leaked {secret}: {text}"
                    );
                }
            }
            (Access::Public, _) => unreachable!(),
        }
    }
    assert!(walked >= 20, "walked only {walked} routes");

    // Nothing of alice's changed.
    let (status, a) = app
        .get(&format!("/api/agents/{agent_id}"), &alice.access)
        .await;
    assert_eq!(
        (status, a["model"].clone(), a["global_rules"].clone()),
        (StatusCode::OK, json!("gpt-test"), json!("alice rules"))
    );
    let (status, p) = app
        .get(&format!("/api/projects/{project_id}"), &alice.access)
        .await;
    assert_eq!(
        (status, p["description"].clone()),
        (StatusCode::OK, json!("Build a tiny tool"))
    );
    assert_eq!(
        app.get("/api/keys", &alice.access)
            .await
            .1
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        app.get("/api/account/claude", &alice.access).await.1["hint"],
        json!("0000")
    );
    assert_eq!(
        app.get("/api/auth/me", &alice.access).await.0,
        StatusCode::OK
    );
    let bob_again = app.login("bob", "bob-password").await;
    assert_eq!(app.get("/api/agents", &bob_again.access).await.1, json!([]));
    app.stop().await;
}

#[tokio::test]
async fn an_agent_cannot_reference_another_users_key() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let bob = app.user(&admin, "bob").await;
    let (_, key) = app
        .post(
            "/api/keys",
            &alice.access,
            json!({"provider": "anthropic", "key": "sk-ant-alice"}),
        )
        .await;
    let body = json!({"name": "thief", "model": "m", "cli": {"env": {"ANTHROPIC_API_KEY": {"api_key_id": key["id"]}}}});
    let (status, err) = app.post("/api/agents", &bob.access, body.clone()).await;
    assert_eq!(
        (status, err["detail"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("cli.env"))
    );
    let (status, _) = app.post("/api/agents", &alice.access, body).await;
    assert_eq!(status, StatusCode::CREATED, "the owner may reference it");
    app.stop().await;
}
