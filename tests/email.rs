//! E-mail notifications against a local SMTP server written here (plain SMTP on 127.0.0.1,
//! AUTH PLAIN): the admin sets the server up (bad input refused, the password sealed and never
//! shown), a member opts in with their address, and a project needing help mails them with
//! the right headers and body.

#[macro_use]
mod support;

use support::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocode::db::projects::ProjectStatus;
use autocode::journal::ProjectEvent;
use base64::Engine;
use common::{TestApp, eventually};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the server was told: the AUTH PLAIN credentials, envelope and message.
#[derive(Debug, Default, Clone)]
struct Received {
    auth: Option<String>,
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

async fn say(w: &mut tokio::net::tcp::OwnedWriteHalf, s: &str) -> bool {
    w.write_all(s.as_bytes()).await.is_ok()
}

/// A minimal SMTP server (RFC 5321 subset) that accepts every message and keeps it.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let store = got.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let mut msg = Received::default();
                if !say(&mut write, "220 mock ESMTP ready\r\n").await {
                    return;
                }
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250-mock greets you\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
                    } else if let Some(creds) = line.strip_prefix("AUTH PLAIN ") {
                        msg.auth = Some(creds.to_owned());
                        "235 2.7.0 authenticated\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        msg.mail_from = line[10..].to_owned();
                        "250 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        msg.rcpt_to.push(line[8..].to_owned());
                        "250 ok\r\n"
                    } else if upper == "DATA" {
                        if !say(&mut write, "354 go ahead\r\n").await {
                            return;
                        }
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            msg.data.push_str(&l);
                            msg.data.push('\n');
                        }
                        store.lock().expect("lock").push(std::mem::take(&mut msg));
                        "250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _quit = say(&mut write, "221 bye\r\n").await;
                        return;
                    } else if upper == "RSET" || upper == "NOOP" {
                        "250 ok\r\n"
                    } else {
                        "502 not implemented\r\n"
                    };
                    if !say(&mut write, reply).await {
                        return;
                    }
                }
            });
        }
    });
    (port, got)
}

#[tokio::test]
async fn a_member_who_opted_in_gets_an_email_through_the_admins_server() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let (port, got) = smtp_server().await;

    // Only the admin sets the server; bad settings are refused in words.
    let good = json!({"host": "127.0.0.1", "port": port, "security": "none", "username": "mailer",
                      "password": "s3cret-pass", "sender": "AutoCode <autocode@example.org>"});
    let (s, _) = app
        .put("/api/admin/smtp", &alice.access, good.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "members cannot set the server");
    for (patch, field) in [
        (
            json!({"security": "none", "host": "smtp.example.org"}),
            "security",
        ),
        (json!({"security": "ssl"}), "security"),
        (json!({"host": "smtp://x"}), "host"),
        (json!({"port": 0}), "port"),
        (json!({"sender": "not an address"}), "sender"),
    ] {
        let mut body = good.clone();
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (s, err) = app.put("/api/admin/smtp", &admin.access, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["detail"]["field"], field, "{err}");
    }
    let (s, err) = app.put("/api/admin/smtp", &admin.access, good).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{err}");
    let (_, shown) = app.get("/api/admin/smtp", &admin.access).await;
    assert_eq!(shown["password_set"], true, "{shown}");
    assert!(
        !shown.to_string().contains("s3cret"),
        "never shown: {shown}"
    );
    let stored: Vec<u8> = sqlx::query_scalar("select secret from smtp_settings")
        .fetch_one(&app.state.db)
        .await
        .expect("row");
    assert!(!stored.windows(6).any(|w| w == b"s3cret"), "sealed at rest");

    // Alice opts in with her address.
    let (s, err) = app
        .put(
            "/api/notifications/channels/email",
            &alice.access,
            json!({"address": "alice at home"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (s, err) = app
        .put(
            "/api/notifications/channels/email",
            &alice.access,
            json!({"address": "alice@example.org"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{err}");
    let (_, channels) = app.get("/api/notifications/channels", &alice.access).await;
    assert!(
        channels.to_string().contains("alice@example.org"),
        "{channels}"
    );

    let agent = app.agent(&alice, "helper").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "Blog")
        .await;
    let pid = project["id"].as_i64().expect("id");
    app.state.journal.publish(ProjectEvent::Status {
        project_id: pid,
        status: ProjectStatus::NeedsHelp,
        current_step: None,
        question: Some("Which colour should the button be?".into()),
    });
    eventually("the e-mail to arrive", Duration::from_secs(15), || async {
        !got.lock().expect("lock").is_empty()
    })
    .await;
    let mail = got.lock().expect("lock")[0].clone();
    let plain = base64::engine::general_purpose::STANDARD
        .decode(mail.auth.as_deref().expect("AUTH PLAIN sent"))
        .expect("base64");
    assert_eq!(plain, b"\0mailer\0s3cret-pass", "the opened password");
    assert!(mail.mail_from.contains("autocode@example.org"), "{mail:?}");
    assert_eq!(mail.rcpt_to.len(), 1);
    assert!(mail.rcpt_to[0].contains("alice@example.org"), "{mail:?}");
    let data = &mail.data;
    assert!(
        data.contains("From: AutoCode <autocode@example.org>"),
        "{data}"
    );
    assert!(data.contains("To: alice@example.org"), "{data}");
    assert!(data.contains("Subject: Blog needs you"), "{data}");
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    assert!(
        data.contains("Which colour should the button be?"),
        "{data}"
    );

    // Opting out stops the mails: the project's completion (an event the cooldown does not
    // hold back) mails nobody.
    let (s, _) = app
        .delete("/api/notifications/channels/email", &alice.access)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.state.journal.publish(ProjectEvent::Status {
        project_id: pid,
        status: ProjectStatus::Completed,
        current_step: None,
        question: None,
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        got.lock().expect("lock").len(),
        1,
        "no mail after opting out"
    );
    let (s, _) = app.delete("/api/admin/smtp", &admin.access).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.delete("/api/admin/smtp", &admin.access).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}
