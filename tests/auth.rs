//! Authentication over real HTTP: login, refresh rotation and reuse detection, logout,
//! expiry, revocation by password change and deletion, brute-force limits.

#[macro_use]
mod support;

use support::common;

use std::time::Duration;

use autocode::config::FileConfig;
use common::{ADMIN_PASSWORD, TestApp, eventually};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn login_me_and_uniform_failures() {
    let app = TestApp::start().await;
    let s = app.admin().await;
    let (status, me) = app.get("/api/auth/me", &s.access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");
    assert!(me.get("password_hash").is_none());

    let (s1, wrong_pw) = app.try_login("admin", "not-the-password").await;
    let (s2, no_user) = app.try_login("nobody", "not-the-password").await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        wrong_pw, no_user,
        "login must not reveal whether a user exists"
    );

    for (path, token) in [("/api/auth/me", None), ("/api/auth/me", Some("garbage"))] {
        let (status, body) = app.call(Method::GET, path, token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body["error"].is_string());
    }
    app.stop().await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = TestApp::start().await;
    let s = app.admin().await;
    let refresh = |t: String| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/auth/refresh",
                None,
                Some(json!({ "refresh_token": t })),
            )
            .await
        }
    };
    let (status, r1) = refresh(s.refresh.clone()).await;
    assert_eq!(status, StatusCode::OK, "{r1}");
    let new_refresh = r1["refresh_token"].as_str().expect("rt").to_owned();
    let new_access = r1["access_token"].as_str().expect("at").to_owned();
    assert_ne!(new_refresh, s.refresh);
    assert_eq!(app.get("/api/auth/me", &new_access).await.0, StatusCode::OK);

    // The old token is spent: presenting it again is treated as theft.
    let (status, body) = refresh(s.refresh.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]
            .as_str()
            .expect("msg")
            .contains("already used")
    );
    // ...and the whole session is gone, including the tokens issued by the rotation.
    assert_eq!(
        app.get("/api/auth/me", &new_access).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(refresh(new_refresh).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh("made-up".into()).await.0, StatusCode::UNAUTHORIZED);
    // Other sessions of the same user are untouched.
    let other = app.admin().await;
    assert_eq!(
        app.get("/api/auth/me", &other.access).await.0,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn logout_revokes_at_once() {
    let app = TestApp::start().await;
    let s = app.admin().await;
    let (status, _) = app
        .call(Method::POST, "/api/auth/logout", Some(&s.access), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/auth/me", &s.access).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": s.refresh})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn access_tokens_expire() {
    let app = TestApp::start_with(FileConfig {
        access_token_ttl_secs: 1,
        ..FileConfig::default()
    })
    .await;
    let s = app.admin().await;
    assert_eq!(app.get("/api/auth/me", &s.access).await.0, StatusCode::OK);
    eventually(
        "the access token to expire",
        Duration::from_secs(5),
        || async { app.get("/api/auth/me", &s.access).await.0 == StatusCode::UNAUTHORIZED },
    )
    .await;
    // The refresh token still gives a fresh access token.
    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": s.refresh})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let fresh = body["access_token"].as_str().expect("at");
    assert_eq!(app.get("/api/auth/me", fresh).await.0, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn password_change_and_deletion_revoke_sessions() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let bob_a = app.user(&admin, "bob").await;
    let bob_b = app.login("bob", "bob-password").await;

    let (status, body) = app
        .post(
            "/api/auth/password",
            &bob_a.access,
            json!({"current_password": "wrong-password", "new_password": "new-password-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"]["field"], "current_password");

    let (status, _) = app
        .post(
            "/api/auth/password",
            &bob_a.access,
            json!({"current_password": "bob-password", "new_password": "new-password-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/auth/me", &bob_a.access).await.0,
        StatusCode::OK,
        "the changing session stays"
    );
    assert_eq!(
        app.get("/api/auth/me", &bob_b.access).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.try_login("bob", "bob-password").await.0,
        StatusCode::UNAUTHORIZED
    );
    let bob_c = app.login("bob", "new-password-1").await;

    // An admin reset logs the user out everywhere.
    let (status, _) = app
        .put(
            &format!("/api/users/{}", bob_c.user_id),
            &admin.access,
            json!({"password": "reset-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.get("/api/auth/me", &bob_a.access).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/auth/me", &bob_c.access).await.0,
        StatusCode::UNAUTHORIZED
    );

    let bob_d = app.login("bob", "reset-password").await;
    let (status, _) = app
        .delete(&format!("/api/users/{}", bob_d.user_id), &admin.access)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/auth/me", &bob_d.access).await.0,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

/// A login as `user` with `password` through a trusted proxy, from client `from`.
async fn login_via_proxy(
    app: &TestApp,
    user: &str,
    password: &str,
    from: &str,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .expect("send");
    let status = resp.status();
    (status, resp.json().await.expect("JSON body"))
}

fn behind_proxy() -> FileConfig {
    FileConfig {
        trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
        ..FileConfig::default()
    }
}

#[tokio::test]
async fn wrong_passwords_back_off_their_address_and_never_lock_the_user_out_elsewhere() {
    let app = TestApp::start_with(behind_proxy()).await;
    let (x, y) = ("203.0.113.7", "198.51.100.2");
    for _ in 0..5 {
        let (status, _) = login_via_proxy(&app, "admin", "guess-guess", x).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = login_via_proxy(&app, "admin", ADMIN_PASSWORD, x).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits at X: {body}"
    );
    assert!(body["error"].is_string());
    // The admin, from anywhere else, logs in as usual.
    let (status, body) = login_via_proxy(&app, "admin", ADMIN_PASSWORD, y).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A wrong password from Y counts against Y alone.
    let (status, _) = login_via_proxy(&app, "admin", "guess-guess", y).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn over_long_usernames_are_refused_without_being_recorded() {
    let app = TestApp::start().await;
    let guard = &app.state.login_guard;
    let long = "a".repeat(autocode::names::MAX_USERNAME_LEN + 1);
    for name in [long.clone(), "x".repeat(100_000)] {
        let (status, body) = app.try_login(&name, "guess-guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body["error"].is_string());
    }
    assert_eq!(guard.remembered_pairs(), 0, "nothing recorded");
    // A name of the maximum length is an ordinary failed login, and is counted.
    let longest = "a".repeat(autocode::names::MAX_USERNAME_LEN);
    assert_eq!(
        app.try_login(&longest, "guess-guess").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(guard.remembered_pairs(), 1);
    app.stop().await;
}

async fn login_from(app: &TestApp, user: &str, forwarded_for: &str) -> StatusCode {
    app.client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"username": user, "password": "guess-guess"}))
        .send()
        .await
        .expect("send")
        .status()
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    // One address may fail this often across usernames (password spraying).
    let spray = 5 * autocode::login_guard::SPRAY_FACTOR;
    let trusted = TestApp::start_with(behind_proxy()).await;
    for i in 0..spray {
        assert_eq!(
            login_from(&trusted, &format!("u{i}"), "203.0.113.7").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&trusted, "u9", "203.0.113.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A different client behind the same proxy is not punished; a spoofed hop prepended
    // by the attacker does not help them either (the last untrusted hop counts).
    assert_eq!(
        login_from(&trusted, "u9", "203.0.113.8").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_from(&trusted, "u8", "198.51.100.1, 203.0.113.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    trusted.stop().await;

    // Without a trusted proxy the header is ignored: all requests come from 127.0.0.1.
    let direct = TestApp::start().await;
    for i in 0..spray {
        assert_eq!(
            login_from(&direct, &format!("u{i}"), &format!("203.0.113.{i}")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&direct, "u9", "203.0.113.99").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    direct.stop().await;
}
