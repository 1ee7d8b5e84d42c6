//! A whole AutoCode world for controller tests: the real app (with its own tmux server),
//! the real Claude Code CLI of a pinned release against the mock Anthropic API, and a
//! scripted mock supervising LLM, all on 127.0.0.1 and driven through the HTTP API only.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use autocode::testkit::claude_env::claude_binary_for_test;
use autocode::testkit::mock_llm::MockLlm;
use autocode::testkit::{MockAnthropic, Script};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::common::{Session, TestApp, eventually};

mod agent;
mod llm;

pub use agent::*;
pub use llm::*;

pub const VERSIONS: &[&str] = &["2.1.197", "2.1.330"];

/// Declares one test per pinned release of `$body(version)`, in a module `$name`; the
/// file declaring them imports `VERSIONS`.
#[allow(unused_macros)]
macro_rules! per_version {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn v2_1_197() {
                super::$body(super::VERSIONS[0]).await;
            }
            #[tokio::test]
            async fn v2_1_330() {
                super::$body(super::VERSIONS[1]).await;
            }
        }
    };
}

pub struct World {
    pub app: TestApp,
    pub anthropic: MockAnthropic,
    pub llm: MockLlm,
    pub user: Session,
    pub agent_id: i64,
    pub claude: PathBuf,
    pub version: String,
}

impl World {
    /// `None` when the CLI release is not installed and the test is to be skipped.
    pub async fn new(version: &str, script: Script, llm: LlmHandler) -> Option<World> {
        Self::new_with(
            version,
            script,
            llm,
            autocode::config::FileConfig::default(),
        )
        .await
    }

    pub async fn new_with(
        version: &str,
        script: Script,
        llm: LlmHandler,
        file: autocode::config::FileConfig,
    ) -> Option<World> {
        let claude = claude_binary_for_test(version).expect("Claude Code install")?;
        let anthropic = MockAnthropic::start(script).await.expect("mock anthropic");
        let llm = MockLlm::start(move |r| llm(r)).await.expect("mock llm");
        let mut file = file;
        file.cli_installations.insert(
            TEST_INSTALLATION.into(),
            autocode::config::CliInstallation {
                path: claude.clone(),
                profile: "claude-code".into(),
            },
        );
        let app = TestApp::start_with(file).await;
        let admin = app.admin().await;
        let user = app.user(&admin, "alice").await;
        let agent_id = create_agent(&app, &user, &anthropic, &llm, json!({})).await;
        Some(World {
            app,
            anthropic,
            llm,
            user,
            agent_id,
            claude,
            version: version.to_owned(),
        })
    }

    /// Changes the agent's settings (`fields` as `PUT /api/agents/{id}` takes them).
    pub async fn set_agent(&self, fields: Value) {
        let (status, body) = self
            .app
            .put(
                &format!("/api/agents/{}", self.agent_id),
                &self.user.access,
                fields,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// A phone subscribed to the member's pushes, delivered to `push`.
    pub async fn subscribe_phone(
        &self,
        push: &autocode::testkit::push_service::MockPushService,
    ) -> autocode::testkit::push_service::Subscriber {
        let phone = autocode::testkit::push_service::Subscriber::default();
        let (status, body) = self
            .app
            .post(
                "/api/push/subscriptions",
                &self.user.access,
                json!({"endpoint": push.endpoint(1), "keys": {"p256dh": phone.p256dh(), "auth": phone.auth()}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        phone
    }

    pub async fn project(&self, name: &str, steps: &[(&str, &str)]) -> Value {
        let plan: Vec<Value> = steps
            .iter()
            .map(|(t, d)| json!({"title": t, "details": d}))
            .collect();
        let (status, body) = self
            .app
            .post(
                &format!("/api/agents/{}/projects", self.agent_id),
                &self.user.access,
                json!({"name": name, "description": "A tiny test project", "implementation_plan": plan}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn start(&self, id: i64) {
        let (status, body) = self
            .app
            .post(
                &format!("/api/projects/{id}/start"),
                &self.user.access,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "start: {body}");
    }

    pub async fn get(&self, id: i64) -> Value {
        self.app
            .get(&format!("/api/projects/{id}"), &self.user.access)
            .await
            .1
    }

    /// Waits for a status, failing fast (with the log) if the project fails instead.
    pub async fn wait_status(&self, id: i64, want: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let p = self.get(id).await;
            if p["status"] == want {
                return p;
            }
            let failed = p["status"] == "failed" && want != "failed";
            if failed || tokio::time::Instant::now() > deadline {
                panic!(
                    "[{}] project {id} is {} (wanted {want})\nlog:\n{}\nscreen:\n{}",
                    self.version,
                    p["status"],
                    self.logs(id).await.join("\n"),
                    self.screen(&p)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn logs(&self, id: i64) -> Vec<String> {
        let (_, logs) = self
            .app
            .get(
                &format!("/api/projects/{id}/logs?limit=1000"),
                &self.user.access,
            )
            .await;
        logs.as_array()
            .map(|l| {
                l.iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["level"].as_str().unwrap_or(""),
                            e["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The live pane text, for failure messages.
    pub fn screen(&self, project: &Value) -> String {
        let sock = self.app.data_dir.join("tmux.sock");
        let session = project["tmux_session"].as_str().unwrap_or("");
        std::process::Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args(["capture-pane", "-p", "-t", session])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Waits until the model API received a message containing `needle`.
    pub async fn wait_prompt(&self, needle: &str) {
        let seen = self
            .anthropic
            .wait_for(Duration::from_secs(30), |reqs| {
                reqs.iter().any(|r| r.last_user_text.contains(needle))
            })
            .await;
        assert!(seen, "[{}] the CLI never sent {needle:?}", self.version);
    }

    pub async fn message(&self, id: i64, text: &str) {
        let (status, body) = self
            .app
            .post(
                &format!("/api/projects/{id}/messages"),
                &self.user.access,
                json!({"text": text}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }

    /// Step prompts the CLI sent to the model (each user prompt once, retries not counted).
    pub fn prompts_containing(&self, needle: &str) -> usize {
        self.anthropic
            .user_prompts()
            .iter()
            .filter(|p| p.contains(needle))
            .count()
    }

    /// Whether the model API heard `needle`: in a prompt (a message typed to Claude) or in a
    /// tool's result (a permission refused through the hook).
    pub fn model_was_told(&self, needle: &str) -> bool {
        self.prompts_containing(needle) >= 1
            || self
                .anthropic
                .requests()
                .iter()
                .any(|r| r.tool_results.iter().any(|t| t.content.contains(needle)))
    }

    /// Stops the daemon, first checking that every project's log reads as plain language.
    pub async fn stop(self) {
        let (_, projects) = self.app.get("/api/projects", &self.user.access).await;
        for p in projects.as_array().into_iter().flatten() {
            let id = p["id"].as_i64().expect("id");
            assert_plain_language(&self.logs(id).await);
        }
        self.app.stop().await;
    }

    /// Restarts the daemon on the same data dir, as systemd would: the CLIs keep running.
    pub async fn restart_daemon(self) -> World {
        let World {
            app,
            anthropic,
            llm,
            user,
            agent_id,
            claude,
            version,
        } = self;
        let app = app.restart().await;
        World {
            app,
            anthropic,
            llm,
            user,
            agent_id,
            claude,
            version,
        }
    }

    /// The pid of the CLI in the project's pane.
    pub fn cli_pid(&self, project: &Value) -> u32 {
        let sock = self.app.data_dir.join("tmux.sock");
        let out = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args([
                "display-message",
                "-p",
                "-t",
                project["tmux_session"].as_str().expect("session"),
                "#{pane_pid}",
            ])
            .output()
            .expect("tmux display");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("pane pid")
    }

    pub async fn wait_log(&self, id: i64, needle: &str, timeout: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let logs = self.logs(id).await;
            if logs.iter().any(|l| l.contains(needle)) {
                return logs;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{}] no log line with {needle:?}:\n{}",
                self.version,
                logs.join("\n")
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Runs `f` for every pinned release that is installed.
pub async fn each_version<F, Fut>(f: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for v in VERSIONS {
        f(v).await;
    }
}

pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    eventually(what, timeout, check).await;
}

/// A member reads the project's log: no line may carry Rust's debug text
/// (`MarkStepDone { summary: "ok" }`, `Some(3)`, `State::Idle`) nor tool-call syntax
/// (`mark_step_done("ok")`).
pub fn assert_plain_language(lines: &[String]) {
    let debug = regex::Regex::new(
        r#"\b[A-Z][A-Za-z]+ \{ [a-z_]+: |\b(Some|Ok|Err)\(|\b[A-Z][A-Za-z]+::[A-Z]|\b[a-z]+(_[a-z]+)+\("#,
    )
    .expect("regex");
    for line in lines {
        assert!(!debug.is_match(line), "debug text in the log: {line}");
    }
}
