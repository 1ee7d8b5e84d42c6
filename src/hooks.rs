//! Claude Code hooks as a second signal beside the screen. Each CLI session is launched
//! with a settings file whose hooks run `autocode hook`, which posts the event JSON to
//! `POST /api/hooks` with the session's secret. The registry maps secrets (stored hashed)
//! to projects and hands each event to that project's controller.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::tokens::{hash_token, random_token};

/// The events we ask the CLI to report.
pub const EVENTS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "Notification",
    "Stop",
    "PreCompact",
    "SessionEnd",
    // Seen in 2.1.x: a permission prompt is shown, and a turn ended on an API error.
    "PermissionRequest",
    "StopFailure",
];

/// Header carrying the per-session secret.
pub const SECRET_HEADER: &str = "x-autocode-hook-secret";
/// Environment variables through which the CLI's hook processes learn where to post.
pub const ENV_URL: &str = "AUTOCODE_HOOK_URL";
pub const ENV_SECRET: &str = "AUTOCODE_HOOK_SECRET";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HookEvent {
    /// `hook_event_name` from the CLI, e.g. `Stop`.
    pub name: String,
    pub session_id: Option<String>,
    /// The CLI's whole payload (tool name and input for PreToolUse, message for Notification).
    pub payload: Value,
}

impl HookEvent {
    pub fn from_payload(payload: Value) -> Self {
        Self {
            name: payload["hook_event_name"].as_str().unwrap_or("").to_owned(),
            session_id: payload["session_id"].as_str().map(str::to_owned),
            payload,
        }
    }
}

#[derive(Default)]
pub struct Hooks {
    by_secret: Mutex<HashMap<String, (i64, mpsc::Sender<HookEvent>)>>,
}

impl Hooks {
    /// Registers a new session for `project_id`; returns its secret and the event stream.
    pub fn register(&self, project_id: i64) -> (String, mpsc::Receiver<HookEvent>) {
        self.register_secret(project_id, random_token())
    }

    /// Registers a session under a secret it already has: a CLI re-adopted after a daemon
    /// restart keeps posting with the secret in its environment.
    pub fn register_secret(
        &self,
        project_id: i64,
        secret: String,
    ) -> (String, mpsc::Receiver<HookEvent>) {
        let (tx, rx) = mpsc::channel(256);
        let mut map = self.by_secret.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (p, _)| *p != project_id);
        map.insert(hash_token(&secret), (project_id, tx));
        (secret, rx)
    }

    pub fn unregister(&self, project_id: i64) {
        let mut map = self.by_secret.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (p, _)| *p != project_id);
    }

    /// Delivers an event; `false` when the secret is unknown (the request is refused).
    pub fn deliver(&self, secret: &str, event: HookEvent) -> bool {
        let map = self.by_secret.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&hash_token(secret)) {
            Some((project, tx)) => {
                if tx.try_send(event).is_err() {
                    tracing::debug!(project, "hook event dropped: controller busy or gone");
                }
                true
            }
            None => false,
        }
    }
}

/// The `hooks` settings block that makes the CLI run `autocode hook` on every event.
pub fn settings_block(autocode_bin: &Path) -> Value {
    let command = format!("{} hook", shell_quote(&autocode_bin.to_string_lossy()));
    let mut hooks = serde_json::Map::new();
    for event in EVENTS {
        let entry = if matches!(*event, "PreToolUse") {
            json!([{ "matcher": "*", "hooks": [{ "type": "command", "command": command, "timeout": 5 }] }])
        } else {
            json!([{ "hooks": [{ "type": "command", "command": command, "timeout": 5 }] }])
        };
        hooks.insert((*event).to_owned(), entry);
    }
    Value::Object(hooks)
}

/// Single-quotes a word for `sh` (the CLI runs hook commands through a shell).
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Body of `autocode hook`: forwards one event read from stdin, never failing the CLI.
pub async fn forward_from_stdin(stdin: &[u8]) -> Result<(), String> {
    let url = std::env::var(ENV_URL).map_err(|_| format!("{ENV_URL} is not set"))?;
    let secret = std::env::var(ENV_SECRET).map_err(|_| format!("{ENV_SECRET} is not set"))?;
    let payload: Value =
        serde_json::from_slice(stdin).map_err(|e| format!("bad hook input: {e}"))?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client
        .post(url)
        .header(SECRET_HEADER, secret)
        .json(&payload)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("daemon answered {}", resp.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_route_events_and_unknown_ones_are_refused() {
        let hooks = Hooks::default();
        let (secret, mut rx) = hooks.register(7);
        let ev = HookEvent::from_payload(json!({"hook_event_name": "Stop", "session_id": "abc"}));
        assert!(hooks.deliver(&secret, ev.clone()));
        assert_eq!(rx.try_recv().ok(), Some(ev.clone()));
        assert!(!hooks.deliver("wrong", ev.clone()));
        // Re-registering the project invalidates the old secret.
        let (_new, _rx2) = hooks.register(7);
        assert!(!hooks.deliver(&secret, ev.clone()));
        // A re-adopted session keeps its secret.
        let (kept, mut rx3) = hooks.register_secret(7, "kept-secret".into());
        assert!(hooks.deliver(&kept, ev.clone()));
        assert_eq!(rx3.try_recv().ok(), Some(ev));
    }

    #[test]
    fn hook_command_is_shell_safe() {
        let block = settings_block(Path::new("/opt/it's here/autocode"));
        let cmd = block["Stop"][0]["hooks"][0]["command"]
            .as_str()
            .expect("cmd");
        assert_eq!(cmd, r"'/opt/it'\''s here/autocode' hook");
        assert_eq!(block["PreToolUse"][0]["matcher"], "*");
    }
}
