//! What the supervising agent can do ([`Action`], [`Key`]) and the strict reading of the
//! model's tool calls into actions (the schemas it is offered are in `tools`). Nothing
//! the model sends is trusted: unknown tools, tools not offered, bad JSON, missing fields
//! and out-of-range numbers are all rejected with a message the model can act on.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::llm::{ToolCall, ToolSpec};

/// Longest wait the agent may ask for.
pub const MAX_WAIT_SECS: u64 = 600;
/// Longest text the agent may type into the CLI or ask the human.
const MAX_TEXT: usize = 20_000;

/// What the controller should do, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "tool", rename_all = "snake_case")]
pub enum Action {
    /// Type this text into the CLI and submit it.
    SendMessage {
        text: String,
    },
    /// Choose this option (1-based) of the menu on screen.
    AnswerPrompt {
        option: usize,
    },
    PressKey {
        key: Key,
    },
    MarkStepDone {
        summary: String,
    },
    MarkStepFailed {
        reason: String,
    },
    /// Insert a step after the step with index `after` (0-based), or at the end.
    AddStep {
        title: String,
        details: String,
        after: Option<usize>,
    },
    /// Change the step with this 0-based index; `None` keeps the current value.
    UpdateStep {
        index: usize,
        title: Option<String>,
        details: Option<String>,
    },
    AskHuman {
        question: String,
    },
    RestartCli,
    /// Append this fact to MEMORY.md.
    Remember {
        fact: String,
    },
    Wait {
        seconds: u64,
    },
}

/// One line for logs and HISTORY.md, e.g. `send_message("Run the tests")`.
impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::SendMessage { text } => write!(f, "send_message({text:?})"),
            Action::AnswerPrompt { option } => write!(f, "answer_prompt({option})"),
            Action::PressKey { key } => write!(f, "press_key({})", key.tmux_name()),
            Action::MarkStepDone { summary } => write!(f, "mark_step_done({summary:?})"),
            Action::MarkStepFailed { reason } => write!(f, "mark_step_failed({reason:?})"),
            Action::AddStep { title, after, .. } => match after {
                Some(i) => write!(f, "add_step({title:?}, after {i})"),
                None => write!(f, "add_step({title:?})"),
            },
            Action::UpdateStep { index, title, .. } => match title {
                Some(t) => write!(f, "update_step({index}, {t:?})"),
                None => write!(f, "update_step({index})"),
            },
            Action::AskHuman { question } => write!(f, "ask_human({question:?})"),
            Action::RestartCli => write!(f, "restart_cli()"),
            Action::Remember { fact } => write!(f, "remember({fact:?})"),
            Action::Wait { seconds } => write!(f, "wait({seconds})"),
        }
    }
}

/// The keys the agent may press: enough to move through menus and interrupt, nothing
/// that could type arbitrary text past the send path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Enter,
    Escape,
    Up,
    Down,
    Tab,
    CtrlC,
    Digit(u8),
}

pub(super) const KEY_NAMES: &[&str] = &[
    "Enter", "Escape", "Up", "Down", "Tab", "C-c", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
];

impl Key {
    pub fn parse(name: &str) -> Option<Key> {
        Some(match name {
            "Enter" => Key::Enter,
            "Escape" => Key::Escape,
            "Up" => Key::Up,
            "Down" => Key::Down,
            "Tab" => Key::Tab,
            "C-c" => Key::CtrlC,
            d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => {
                Key::Digit(d.as_bytes()[0] - b'0')
            }
            _ => return None,
        })
    }

    /// The key's name for `tmux send-keys`.
    pub fn tmux_name(self) -> String {
        match self {
            Key::Enter => "Enter".into(),
            Key::Escape => "Escape".into(),
            Key::Up => "Up".into(),
            Key::Down => "Down".into(),
            Key::Tab => "Tab".into(),
            Key::CtrlC => "C-c".into(),
            Key::Digit(d) => d.to_string(),
        }
    }

    /// The key as a person names it, for the project's log.
    pub fn words(self) -> String {
        match self {
            Key::Up => "the up arrow".into(),
            Key::Down => "the down arrow".into(),
            Key::CtrlC => "Ctrl-C".into(),
            other => other.tmux_name(),
        }
    }
}

impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.tmux_name())
    }
}

/// What a call is checked against besides its own arguments.
pub(super) struct Limits {
    /// Options of the menu on screen (empty: no menu).
    pub options: usize,
    pub plan_len: usize,
    pub has_current_step: bool,
}

/// Reads one call; the error is meant for the model.
pub(super) fn parse_call(
    call: &ToolCall,
    offered: &[ToolSpec],
    limits: &Limits,
) -> Result<Action, String> {
    if !offered.iter().any(|t| t.name == call.name) {
        let names: Vec<&str> = offered.iter().map(|t| t.name.as_str()).collect();
        return Err(format!(
            "tool {:?} is not available; available: {}",
            call.name,
            names.join(", ")
        ));
    }
    let args: Value = serde_json::from_str(if call.arguments.trim().is_empty() {
        "{}"
    } else {
        &call.arguments
    })
    .map_err(|e| format!("arguments are not valid JSON: {e}"))?;
    let Value::Object(args) = args else {
        return Err("arguments must be a JSON object".into());
    };
    let a = Args(&args);
    Ok(match call.name.as_str() {
        "send_message" => Action::SendMessage {
            text: slash_command_checked(a.text("text")?)?,
        },
        "answer_prompt" => {
            let option = a.int("option")?;
            if limits.options == 0 {
                return Err("there is no menu on screen to answer".into());
            }
            if option < 1 || option > limits.options as u64 {
                return Err(format!("option must be between 1 and {}", limits.options));
            }
            Action::AnswerPrompt {
                option: option as usize,
            }
        }
        "press_key" => {
            let name = a.text("key")?;
            let key = Key::parse(&name).ok_or_else(|| {
                format!(
                    "key {name:?} is not allowed; allowed: {}",
                    KEY_NAMES.join(", ")
                )
            })?;
            Action::PressKey { key }
        }
        "mark_step_done" | "mark_step_failed" if !limits.has_current_step => {
            return Err("there is no current step".into());
        }
        "mark_step_done" => Action::MarkStepDone {
            summary: a.text("summary")?,
        },
        "mark_step_failed" => Action::MarkStepFailed {
            reason: a.text("reason")?,
        },
        "add_step" => {
            let after = a
                .opt_int("after")?
                .map(|i| a.index(i, limits.plan_len, "after"))
                .transpose()?;
            Action::AddStep {
                title: a.text("title")?,
                details: a.opt_text("details")?.unwrap_or_default(),
                after,
            }
        }
        "update_step" => {
            let index = a.index(a.int("index")?, limits.plan_len, "index")?;
            let (title, details) = (a.opt_text("title")?, a.opt_text("details")?);
            if title.is_none() && details.is_none() {
                return Err("give a new title, new details, or both".into());
            }
            Action::UpdateStep {
                index,
                title,
                details,
            }
        }
        "ask_human" => Action::AskHuman {
            question: a.text("question")?,
        },
        "restart_cli" => Action::RestartCli,
        "remember" => Action::Remember {
            fact: a.text("fact")?,
        },
        "wait" => {
            let seconds = a.int("seconds")?;
            if seconds == 0 {
                return Err("seconds must be at least 1".into());
            }
            Action::Wait {
                seconds: seconds.min(MAX_WAIT_SECS),
            }
        }
        other => return Err(format!("tool {other:?} is not known")),
    })
}

/// Slash commands the agent may type. Others change what Claude Code may touch or how
/// it runs (`/add-dir`, `/permissions`, `/model`, `/login`, `/exit`...), which is the
/// owner's business, not something screen text should be able to talk the agent into.
const SLASH_COMMANDS: &[&str] = &[
    "/compact", "/clear", "/context", "/cost", "/status", "/help",
];

fn slash_command_checked(text: String) -> Result<String, String> {
    let Some(command) = text
        .split_whitespace()
        .next()
        .filter(|w| w.starts_with('/'))
    else {
        return Ok(text);
    };
    if SLASH_COMMANDS.contains(&command) {
        Ok(text)
    } else {
        Err(format!(
            "slash command {command} is not allowed; allowed: {} (use restart_cli to restart)",
            SLASH_COMMANDS.join(", ")
        ))
    }
}

struct Args<'a>(&'a Map<String, Value>);

impl Args<'_> {
    fn opt_text(&self, field: &str) -> Result<Option<String>, String> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(format!("`{field}` must not be empty"))
            }
            Some(Value::String(s)) if s.chars().count() > MAX_TEXT => {
                Err(format!("`{field}` is longer than {MAX_TEXT} characters"))
            }
            // Escape sequences and other control characters would be typed into the
            // terminal as keys; only line breaks and tabs are text.
            Some(Value::String(s)) => Ok(Some(
                s.chars()
                    .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
                    .collect(),
            )),
            Some(_) => Err(format!("`{field}` must be a string")),
        }
    }

    fn text(&self, field: &str) -> Result<String, String> {
        self.opt_text(field)?
            .ok_or_else(|| format!("missing string field `{field}`"))
    }

    fn opt_int(&self, field: &str) -> Result<Option<u64>, String> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            // Models often quote numbers; "3" means 3.
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("`{field}` must be a non-negative integer")),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("`{field}` must be a non-negative integer")),
        }
    }

    fn int(&self, field: &str) -> Result<u64, String> {
        self.opt_int(field)?
            .ok_or_else(|| format!("missing integer field `{field}`"))
    }

    fn index(&self, value: u64, len: usize, field: &str) -> Result<usize, String> {
        if value < len as u64 {
            Ok(value as usize)
        } else if len == 0 {
            Err(format!("`{field}`: the plan is empty"))
        } else {
            Err(format!(
                "`{field}` must be a step index from 0 to {}",
                len - 1
            ))
        }
    }
}
