//! The supervising agent's tools: their JSON schemas as offered to the model, and the
//! strict reading of the model's calls into [`Action`]s. Nothing the model sends is
//! trusted: unknown tools, tools not offered, bad JSON, missing fields and out-of-range
//! numbers are all rejected with a message the model can act on.

use serde::Serialize;
use serde_json::{Map, Value, json};

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

const KEY_NAMES: &[&str] = &[
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

/// The tools to offer: those the agent template allows and that make sense right now.
pub(super) fn offered_tools(allowed: &[String], limits: &Limits) -> Vec<ToolSpec> {
    crate::agent_config::TOOL_NAMES
        .iter()
        .filter(|name| allowed.iter().any(|a| a == *name))
        .filter(|name| match **name {
            "answer_prompt" => limits.options > 0,
            "mark_step_done" | "mark_step_failed" => limits.has_current_step,
            "update_step" => limits.plan_len > 0,
            _ => true,
        })
        .map(|name| spec(name))
        .collect()
}

fn spec(name: &str) -> ToolSpec {
    let text = |what: &str| json!({"type": "string", "description": what});
    let (description, properties, required): (&str, Value, &[&str]) = match name {
        "send_message" => (
            "Type a message to Claude Code and submit it (instructions, answers, fixes).",
            json!({"text": text("The message")}),
            &["text"],
        ),
        "answer_prompt" => (
            "Choose an option of the menu Claude Code shows (permission or question).",
            json!({"option": {"type": "integer", "minimum": 1, "description": "Option number as shown"}}),
            &["option"],
        ),
        "press_key" => (
            "Press one key in the terminal.",
            json!({"key": {"type": "string", "enum": KEY_NAMES}}),
            &["key"],
        ),
        "mark_step_done" => (
            "Mark the current step done. Only when the screen shows it is really done.",
            json!({"summary": text("What was done, and how you know")}),
            &["summary"],
        ),
        "mark_step_failed" => (
            "Give up on the current step after other approaches failed.",
            json!({"reason": text("Why it cannot be done")}),
            &["reason"],
        ),
        "add_step" => (
            "Add a step to the plan.",
            json!({"title": text("Short title"), "details": text("What to do"),
                   "after": {"type": "integer", "minimum": 0, "description": "Index of the step to insert after; omit to append"}}),
            &["title"],
        ),
        "update_step" => (
            "Change a step's title or details.",
            json!({"index": {"type": "integer", "minimum": 0}, "title": text("New title"), "details": text("New details")}),
            &["index"],
        ),
        "ask_human" => (
            "Ask the project's owner, when truly stuck or when a decision is theirs. Work stops until they answer.",
            json!({"question": text("A clear question with the context needed to answer it")}),
            &["question"],
        ),
        "restart_cli" => (
            "Restart Claude Code (continuing its session), when it is stuck or broken.",
            json!({}),
            &[],
        ),
        "remember" => (
            "Record a durable fact about this project in MEMORY.md.",
            json!({"fact": text("The fact")}),
            &["fact"],
        ),
        _ => (
            "Do nothing for a while, e.g. while waiting out a rate limit.",
            json!({"seconds": {"type": "integer", "minimum": 1, "maximum": MAX_WAIT_SECS}}),
            &["seconds"],
        ),
    };
    ToolSpec {
        name: name.to_owned(),
        description: description.to_owned(),
        parameters: json!({"type": "object", "properties": properties, "required": required,
                           "additionalProperties": false}),
    }
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
            text: a.text("text")?,
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
            Some(Value::String(s)) => Ok(Some(s.clone())),
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
