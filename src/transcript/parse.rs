//! One transcript line in, the conversation entries it holds out. Pure: no I/O.
//!
//! Claude Code writes many kinds of lines (`mode`, `permission-mode`, `attachment`,
//! `file-history-snapshot`, `system`, and since 2.1.330 `api-request`, `api-request-blob`,
//! `tools-used`, ...); only `user` and `assistant` lines of the main thread carry the
//! conversation. Everything else, and anything malformed, yields nothing: the file is
//! written by the member's sandboxed CLI, so no shape is trusted and nothing panics.

use serde_json::{Map, Value};

use super::{Entry, Item};

/// Longest tool output kept per entry; the rest is cut with a note (the terminal and the
/// workspace still have everything).
pub const MAX_OUTPUT_CHARS: usize = 32 * 1024;

/// The entries of one line. `fallback_id` names them when the line has no `uuid`.
pub fn parse_line(line: &str, fallback_id: &str) -> Vec<Entry> {
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else {
        return Vec::new();
    };
    // Sub-agents' turns and the CLI's own notes to the model are not the conversation.
    if flag(&obj, "isSidechain") || flag(&obj, "isMeta") || flag(&obj, "isCompactSummary") {
        return Vec::new();
    }
    let items = match obj.get("type").and_then(Value::as_str) {
        Some("user") => user_items(&obj),
        Some("assistant") => assistant_items(&obj),
        _ => Vec::new(),
    };
    let id = obj
        .get("uuid")
        .and_then(Value::as_str)
        .unwrap_or(fallback_id);
    let timestamp = obj
        .get("timestamp")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let many = items.len() > 1;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| Entry {
            id: if many {
                format!("{id}.{i}")
            } else {
                id.to_owned()
            },
            timestamp: timestamp.clone(),
            item,
        })
        .collect()
}

fn flag(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn content(obj: &Map<String, Value>) -> Option<&Value> {
    obj.get("message")?.get("content")
}

fn user_items(obj: &Map<String, Value>) -> Vec<Item> {
    match content(obj) {
        Some(Value::String(text)) => prompt(text).into_iter().collect(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|block| match block.get("type").and_then(Value::as_str) {
                Some("tool_result") => Some(tool_result(block, obj.get("toolUseResult"))),
                Some("text") => block.get("text").and_then(Value::as_str).and_then(prompt),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A prompt as the member would read it: a `!` line's command, a slash command's name,
/// pasted text without the wrapper 2.1.330 puts around it. A shell line's output and a
/// local command's output are echoes, not prompts.
fn prompt(text: &str) -> Option<Item> {
    if let Some(command) = between(text, "<bash-input>", "</bash-input>") {
        return Some(Item::Prompt {
            text: format!("!{command}"),
        });
    }
    if let Some(name) = between(text, "<command-name>", "</command-name>") {
        let args = between(text, "<command-args>", "</command-args>").unwrap_or("");
        let text = format!("{name} {args}").trim().to_owned();
        return Some(Item::Prompt { text });
    }
    const ECHOES: &[&str] = &[
        "<bash-stdout>",
        "<bash-stderr>",
        "<local-command-",
        "<command-message>",
    ];
    if ECHOES.iter().any(|tag| text.trim_start().starts_with(tag)) {
        return None;
    }
    let text: Vec<&str> = text
        .lines()
        .filter(|l| {
            let l = l.trim();
            !(l.starts_with("<pasted_content") || l.starts_with("</pasted_content"))
        })
        .collect();
    let text = text.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(Item::Prompt { text })
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

fn assistant_items(obj: &Map<String, Value>) -> Vec<Item> {
    match content(obj) {
        Some(Value::String(text)) => reply(text).into_iter().collect(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|block| match block.get("type").and_then(Value::as_str) {
                Some("text") => block.get("text").and_then(Value::as_str).and_then(reply),
                Some("tool_use") => Some(Item::ToolUse {
                    tool_use_id: str_of(block, "id"),
                    name: str_of(block, "name"),
                    input: block.get("input").cloned().unwrap_or(Value::Null),
                }),
                // Thinking, redacted thinking, server tools: not shown.
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn reply(text: &str) -> Option<Item> {
    let text = text.trim();
    (!text.is_empty()).then(|| Item::Text {
        text: text.to_owned(),
    })
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn tool_result(block: &Value, extra: Option<&Value>) -> Item {
    let output = match block.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match p.get("type").and_then(Value::as_str) {
                Some("text") => str_of(p, "text"),
                Some("image") => "[image]".to_owned(),
                _ => String::new(),
            })
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let (file_path, patch) = extra.map(file_change).unwrap_or_default();
    Item::ToolResult {
        tool_use_id: str_of(block, "tool_use_id"),
        output: cut(output),
        is_error: block
            .get("is_error")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        file_path,
        patch,
    }
}

fn cut(mut text: String) -> String {
    if text.len() > MAX_OUTPUT_CHARS {
        let mut end = MAX_OUTPUT_CHARS;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let rest = text.len() - end;
        text.truncate(end);
        text.push_str(&format!("\n… ({rest} more bytes not shown)"));
    }
    text
}

/// The file an Edit/Write/MultiEdit changed and its change as unified-diff hunks, from the
/// `toolUseResult` the CLI records beside the result (`structuredPatch`; a created file's
/// whole `content` as added lines).
fn file_change(extra: &Value) -> (Option<String>, Option<String>) {
    let Some(path) = extra.get("filePath").and_then(Value::as_str) else {
        return (None, None);
    };
    let mut patch = String::new();
    for hunk in extra
        .get("structuredPatch")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let n = |k: &str| hunk.get(k).and_then(Value::as_u64).unwrap_or(0);
        patch.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            n("oldStart"),
            n("oldLines"),
            n("newStart"),
            n("newLines")
        ));
        for line in hunk
            .get("lines")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            patch.push_str(line.as_str().unwrap_or_default());
            patch.push('\n');
        }
    }
    if patch.is_empty()
        && extra.get("type").and_then(Value::as_str) == Some("create")
        && let Some(text) = extra.get("content").and_then(Value::as_str)
    {
        let lines: Vec<&str> = text.lines().collect();
        patch.push_str(&format!("@@ -0,0 +1,{} @@\n", lines.len()));
        for line in lines {
            patch.push('+');
            patch.push_str(line);
            patch.push('\n');
        }
    }
    let patch = (!patch.is_empty()).then(|| cut(patch));
    (Some(path.to_owned()), patch)
}

#[cfg(test)]
mod tests;
