//! Bad request bodies get a clear JSON error with the right status, and stored API keys
//! round-trip sealed (a tampered one is refused).

#[macro_use]
mod support;

use support::common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

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
