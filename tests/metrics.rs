//! `GET /api/metrics`: Prometheus text that parses as the exposition format, for an admin's
//! token or a local scraper without one; a member's token, or a request forwarded by a proxy
//! (an internet client through Caddy) without an admin token, is refused.

#[macro_use]
mod support;

use support::common;

use std::collections::{HashMap, HashSet};

use autocode::config::FileConfig;
use common::TestApp;
use reqwest::StatusCode;

type Sample = (HashMap<String, String>, f64);
type Families = HashMap<String, Vec<Sample>>;

/// Parses the text exposition format (0.0.4) strictly enough to catch what a scraper would
/// reject: every sample belongs to a family declared by `# TYPE` before it, names and labels
/// are well formed, values are numbers. Returns family -> samples (labels, value).
fn parse(text: &str) -> Families {
    let name_re = regex::Regex::new(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$").expect("regex");
    let sample_re =
        regex::Regex::new(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$").expect("regex");
    let label_re =
        regex::Regex::new(r#"^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$"#).expect("regex");
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helped = HashSet::new();
    let mut families: HashMap<String, Vec<_>> = HashMap::new();
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _) = rest.split_once(' ').expect("HELP name text");
            assert!(name_re.is_match(name), "{line}");
            assert!(helped.insert(name.to_owned()), "HELP twice: {line}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(name_re.is_match(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice: {line}"
            );
            families.entry(name.to_owned()).or_default();
        } else {
            assert!(
                !line.starts_with('#') && !line.is_empty(),
                "stray line {line:?}"
            );
            let c = sample_re
                .captures(line)
                .unwrap_or_else(|| panic!("bad sample {line:?}"));
            let name = &c[1];
            assert!(types.contains_key(name), "sample before its TYPE: {line}");
            let mut labels = HashMap::new();
            if let Some(body) = c.get(3) {
                // Values are quoted; split on commas outside quotes.
                let (mut part, mut quoted, mut escaped) = (String::new(), false, false);
                let mut parts = Vec::new();
                for ch in body.as_str().chars() {
                    match ch {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => quoted = !quoted,
                        ',' if !quoted => {
                            parts.push(std::mem::take(&mut part));
                            continue;
                        }
                        _ => {}
                    }
                    part.push(ch);
                }
                parts.push(part);
                for p in parts {
                    let l = label_re
                        .captures(&p)
                        .unwrap_or_else(|| panic!("bad label {p:?}"));
                    labels.insert(l[1].to_owned(), l[2].to_owned());
                }
            }
            let value: f64 = c[4]
                .parse()
                .unwrap_or_else(|_| panic!("bad value {line:?}"));
            if types[name] == "counter" {
                assert!(value >= 0.0, "negative counter {line}");
            }
            families
                .get_mut(name)
                .expect("family")
                .push((labels, value));
        }
    }
    families
}

async fn raw(
    app: &TestApp,
    token: Option<&str>,
    forwarded_for: Option<&str>,
) -> (StatusCode, String, String) {
    let mut req = app.client.get(format!("{}/api/metrics", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    (status, kind, resp.text().await.expect("body"))
}

#[tokio::test]
async fn metrics_parse_and_count_what_happened() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let alice_id = alice.user_id;
    sqlx::query(
        "insert into llm_usage (user_id, model, prompt_tokens, completion_tokens, cost_usd) values (?, 'gpt-4o-\"mini\"', 1200, 40, 0.5), (?, 'gpt-4o-\"mini\"', 300, 10, 0.25)",
    )
    .bind(alice_id)
    .bind(alice_id)
    .execute(&app.state.db)
    .await
    .expect("usage");

    let (status, kind, text) = raw(&app, Some(&admin.access), None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let m = parse(&text);
    for family in [
        "autocode_projects",
        "autocode_cli_instances_total",
        "autocode_llm_calls_total",
        "autocode_llm_tokens_total",
        "autocode_llm_cost_usd_total",
        "autocode_websocket_clients",
        "autocode_tmux_control_restarts_total",
        "autocode_sandbox_start_failures_total",
        "autocode_push_messages_total",
    ] {
        assert!(m.contains_key(family), "{family} missing:\n{text}");
    }
    assert_eq!(m["autocode_users"][0].1, 2.0);
    let calls = &m["autocode_llm_calls_total"];
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0["model"], r#"gpt-4o-\"mini\""#, "escaped label");
    assert_eq!(calls[0].1, 2.0);
    let prompt = m["autocode_llm_tokens_total"]
        .iter()
        .find(|(l, _)| l["kind"] == "prompt")
        .expect("prompt tokens");
    assert_eq!(prompt.1, 1500.0);
    assert_eq!(m["autocode_llm_cost_usd_total"][0].1, 0.75);

    // A local scraper needs no token.
    let (status, _, local) = raw(&app, None, None).await;
    assert_eq!(status, StatusCode::OK);
    parse(&local);
    app.stop().await;
}

#[tokio::test]
async fn remote_and_member_requests_are_refused() {
    // Caddy on this host: X-Forwarded-For names the internet client.
    let app = TestApp::start_with(FileConfig {
        trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
        ..FileConfig::default()
    })
    .await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let remote = Some("203.0.113.7");

    let (status, _, body) = raw(&app, Some(&alice.access), remote).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let err: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
    assert!(err["error"].is_string(), "{body}");
    let (status, _, _) = raw(&app, None, remote).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a forwarded request is not local"
    );
    // A token is judged as a token, even from the host itself.
    let (status, _, _) = raw(&app, Some(&alice.access), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = raw(&app, Some("not-a-token"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, text) = raw(&app, Some(&admin.access), remote).await;
    assert_eq!(status, StatusCode::OK);
    parse(&text);
    app.stop().await;
}
