//! Claude Code hooks as a second signal beside the screen. Each CLI session is launched
//! with a settings file whose hooks run `autocode hook`, which posts the event JSON to
//! `POST /api/hooks` on the daemon's loopback-only hook listener with the session's
//! secret. The registry maps secrets (stored hashed) to projects and hands each event to
//! that project's controller.
//!
//! What a hook can do, and why that is all: the sender is a process inside one member's
//! sandbox, so everything it sends is untrusted. The project is taken from the secret
//! alone (never from the payload), so a member holding their own secret, or a tool their
//! agent runs, can at most feed made-up events to their own project: a fake `Stop` ends
//! their own turn early, a fake `SessionStart` changes which session of theirs
//! `--resume` continues (always a UUID, resumed inside their own config home, where
//! nobody else's transcripts are). Events naming another session than the one the
//! project recorded are refused, so a stale CLI left over from an earlier launch cannot
//! move the current one. Every field is checked here before it reaches the controller,
//! the database or a command line.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::tokens::{hash_token, random_token};

mod client;

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

/// Largest hook body accepted (413 beyond). A PreToolUse payload carries the whole tool
/// input (a file the CLI writes, for one), so this is generous; `autocode hook` reads no
/// more than this from the CLI.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

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

/// A hook event on its way to the project's controller. A permission request carries the
/// way back: the answer the controller gives in time is what `autocode hook` prints for
/// the CLI, and it goes back only over the request that brought the event, that is to the
/// session holding the secret.
#[derive(Debug)]
pub struct Posted {
    pub event: HookEvent,
    pub answer: Option<oneshot::Sender<Value>>,
}

/// How long the daemon holds a permission request open for the controller's answer;
/// without one in time the CLI shows its permission menu, which the controller answers
/// from the screen. Well inside the hook's own timeout (see [`settings_block`]).
pub const ANSWER_WAIT: std::time::Duration = std::time::Duration::from_millis(2500);

/// What the policy said about a permission request, for the CLI's hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionAnswer {
    Allow,
    /// Refused; the message is what the model is told.
    Deny(String),
}

/// The hook output with which Claude Code takes a permission decision instead of showing
/// its menu (`hookSpecificOutput` of a `PermissionRequest` hook; the same schema in 2.1.197
/// and 2.1.330).
pub fn permission_output(answer: &PermissionAnswer) -> Value {
    let decision = match answer {
        PermissionAnswer::Allow => json!({"behavior": "allow"}),
        PermissionAnswer::Deny(message) => json!({"behavior": "deny", "message": message}),
    };
    json!({"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}})
}

/// Why a hook request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the hook payload must be a JSON object")]
    NotAnObject,
    #[error("hook_event_name must be one of the events AutoCode asks for")]
    UnknownEvent,
    #[error("session_id must be a UUID")]
    BadSessionId,
    #[error("unknown hook secret")]
    UnknownSecret,
    #[error("the event belongs to another session than the project's current one")]
    OtherSession,
}

impl HookEvent {
    /// Checks every field the daemon uses: a known event name and a UUID session id.
    pub fn parse(payload: Value) -> Result<Self, Refusal> {
        let obj = payload.as_object().ok_or(Refusal::NotAnObject)?;
        let name = obj
            .get("hook_event_name")
            .and_then(Value::as_str)
            .filter(|n| EVENTS.contains(n))
            .ok_or(Refusal::UnknownEvent)?
            .to_owned();
        let session_id = obj
            .get("session_id")
            .and_then(Value::as_str)
            .filter(|id| is_uuid(id))
            .ok_or(Refusal::BadSessionId)?
            .to_owned();
        Ok(Self {
            name,
            session_id: Some(session_id),
            payload,
        })
    }

    /// Whether the CLI waits for an answer to this event (a permission it would otherwise
    /// ask on screen).
    pub fn wants_answer(&self) -> bool {
        self.name == "PermissionRequest"
    }
}

/// `8-4-4-4-12` hex digits, as the CLI's session ids are; nothing else can reach
/// `--resume` or the database.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// One registered CLI session.
struct Entry {
    project: i64,
    /// The CLI session the project is on, once known; other sessions' events are refused.
    session: Option<String>,
    tx: mpsc::Sender<Posted>,
}

#[derive(Default)]
pub struct Hooks {
    by_secret: Mutex<HashMap<String, Entry>>,
}

impl Hooks {
    /// Registers a new session for `project_id`; returns its secret and the event stream.
    pub fn register(&self, project_id: i64) -> (String, mpsc::Receiver<Posted>) {
        self.register_secret(project_id, random_token())
    }

    /// Registers a session under a secret it already has: a CLI re-adopted after a daemon
    /// restart keeps posting with the secret in its environment. The kept secret is read
    /// from the member's own tree, so a secret another project holds is never taken over:
    /// that registration gets a fresh secret instead (its CLI's hooks go unheard).
    pub fn register_secret(
        &self,
        project_id: i64,
        secret: String,
    ) -> (String, mpsc::Receiver<Posted>) {
        let (tx, rx) = mpsc::channel(256);
        let mut map = self.by_secret.lock().unwrap_or_else(|e| e.into_inner());
        let taken = map
            .get(&hash_token(&secret))
            .is_some_and(|e| e.project != project_id);
        let secret = if taken {
            tracing::warn!(
                project = project_id,
                "a kept hook secret belongs to another project; issuing a new one"
            );
            random_token()
        } else {
            secret
        };
        map.retain(|_, e| e.project != project_id);
        map.insert(
            hash_token(&secret),
            Entry {
                project: project_id,
                session: None,
                tx,
            },
        );
        (secret, rx)
    }

    pub fn unregister(&self, project_id: i64) {
        let mut map = self.by_secret.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, e| e.project != project_id);
    }

    /// The project a secret belongs to, and whether its CLI session is known yet.
    pub fn project_of(&self, secret: &str) -> Option<(i64, bool)> {
        let map = self.by_secret.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&hash_token(secret))
            .map(|e| (e.project, e.session.is_some()))
    }

    /// Tells the registry which CLI session a project is on (from the database, for a
    /// session registered before its SessionStart was seen here); a known one is kept.
    pub fn bind_session(&self, project_id: i64, session_id: &str) {
        let mut map = self.by_secret.lock().unwrap_or_else(|e| e.into_inner());
        for entry in map.values_mut().filter(|e| e.project == project_id) {
            entry.session.get_or_insert_with(|| session_id.to_owned());
        }
    }

    /// Delivers a parsed event to the secret's project. A `SessionStart` (a new session,
    /// `/clear`, a resume) moves the project to its session; any other event must name
    /// the session the project is on.
    pub fn deliver(&self, secret: &str, event: HookEvent) -> Result<i64, Refusal> {
        self.post(secret, event, None)
    }

    /// Delivers an event the CLI waits on, as [`Hooks::deliver`] does; the receiver gets
    /// the controller's answer (dropped unanswered when it has none).
    pub fn ask(&self, secret: &str, event: HookEvent) -> Result<oneshot::Receiver<Value>, Refusal> {
        let (tx, rx) = oneshot::channel();
        self.post(secret, event, Some(tx))?;
        Ok(rx)
    }

    fn post(
        &self,
        secret: &str,
        event: HookEvent,
        answer: Option<oneshot::Sender<Value>>,
    ) -> Result<i64, Refusal> {
        let mut map = self.by_secret.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map
            .get_mut(&hash_token(secret))
            .ok_or(Refusal::UnknownSecret)?;
        if event.name == "SessionStart" {
            entry.session.clone_from(&event.session_id);
        } else if entry.session.is_some() && entry.session != event.session_id {
            return Err(Refusal::OtherSession);
        }
        let project = entry.project;
        if entry.tx.try_send(Posted { event, answer }).is_err() {
            tracing::debug!(project, "hook event dropped: controller busy or gone");
        }
        Ok(project)
    }
}

/// The `hooks` settings block that makes the CLI run `autocode hook` on every event.
///
/// The CLI waits for a hook before it goes on (draws the end of a turn, sends a prompt),
/// so only the events whose hook must finish first are waited for: `SessionStart` (text
/// typed while it runs loses its Enter), `PreToolUse` (see below) and `PermissionRequest`, which waits for the
/// daemon's answer (at most [`ANSWER_WAIT`], hence its longer timeout). The others only
/// report, and run in the background (`async`, in 2.1.197 and 2.1.330 alike).
pub fn settings_block(autocode_bin: &Path) -> Value {
    let command = format!("{} hook", shell_quote(&autocode_bin.to_string_lossy()));
    let mut hooks = serde_json::Map::new();
    for event in EVENTS {
        let hook = match *event {
            // PreToolUse is waited for too: the tool's exact input must reach the daemon
            // before a permission menu can be drawn, or the menu would be judged by the
            // screen's cut-short line (2.1.197 draws it while PermissionRequest still runs).
            "SessionStart" | "PreToolUse" => {
                json!({ "type": "command", "command": command, "timeout": 5 })
            }
            "PermissionRequest" => json!({ "type": "command", "command": command, "timeout": 10 }),
            _ => json!({ "type": "command", "command": command, "timeout": 5, "async": true }),
        };
        let entry = if matches!(*event, "PreToolUse" | "PermissionRequest") {
            json!([{ "matcher": "*", "hooks": [hook] }])
        } else {
            json!([{ "hooks": [hook] }])
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
/// Returns what the daemon answered for the CLI (a permission decision), to be printed on
/// stdout, or `None`.
pub fn forward_from_stdin(stdin: &[u8]) -> Result<Option<String>, String> {
    let url = std::env::var(ENV_URL).map_err(|_| format!("{ENV_URL} is not set"))?;
    let secret = std::env::var(ENV_SECRET).map_err(|_| format!("{ENV_SECRET} is not set"))?;
    if stdin.len() > MAX_BODY_BYTES {
        return Err(format!(
            "hook input is larger than {MAX_BODY_BYTES} bytes; not forwarded"
        ));
    }
    serde_json::from_slice::<Value>(stdin).map_err(|e| format!("bad hook input: {e}"))?;
    // The daemon holds a permission request open for at most ANSWER_WAIT.
    let timeout = ANSWER_WAIT + std::time::Duration::from_secs(2);
    let (status, body) = client::post(&url, &secret, stdin, timeout)?;
    if !(200..300).contains(&status) {
        return Err(format!("daemon answered {status}"));
    }
    // Only a JSON object is ever printed: the CLI reads stdout as the hook's decision.
    Ok(serde_json::from_slice::<Value>(&body)
        .ok()
        .filter(Value::is_object)
        .map(|v| v.to_string()))
}

#[cfg(test)]
mod tests;
