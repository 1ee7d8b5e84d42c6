//! A project's conversation, read from Claude Code's structured transcript: the CLI
//! writes one JSONL file per session under its config home,
//! `$CLAUDE_CONFIG_DIR/projects/<workspace path, every non-alphanumeric → '-'>/<session>.jsonl`
//! (verified with 2.1.197 and 2.1.330; `--resume` appends to the same file, a fresh
//! start opens a new one). [`parse`] turns lines into typed [`Entry`]s; [`files`] finds
//! and reads the files; [`Cursor`] says where a reader is, so a page or a live stream
//! resumes with no gap and no duplicate.
//!
//! What this module must never do: take a path from anything the member's CLI says (a
//! hook's `transcript_path`, a line's `cwd`), follow a link, or read past its caps. The
//! files are the member's, written by their sandboxed CLI: untrusted. Paths are built
//! from the daemon's own records (the member's directory, the project's workspace) and
//! opened beneath the member's directory only (see [`files`]).

pub mod files;
pub mod parse;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

pub use files::{Page, Source, last_reply, read_page};

/// One thing said or done in the conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The line's `uuid` (with `.N` when the line holds several blocks): stable across reads.
    pub id: String,
    /// When the CLI wrote it (RFC 3339, from the line).
    pub timestamp: Option<String>,
    #[serde(flatten)]
    pub item: Item,
}

/// What an entry is; `kind` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A prompt the CLI received (AutoCode's step, a message, a `!` line, a command).
    Prompt { text: String },
    /// Claude's reply text (Markdown).
    Text { text: String },
    /// A tool call: its name and full input as the model sent it.
    ToolUse {
        tool_use_id: String,
        name: String,
        input: Value,
    },
    /// What a tool call gave back. File tools add the file and their change as
    /// unified-diff hunks.
    ToolResult {
        tool_use_id: String,
        output: String,
        is_error: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        file_path: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        patch: Option<String>,
    },
}

/// Where a reader is: a session's file and the byte offset just past the last complete
/// line read. `Start` is before the first session. On the wire: `<session uuid>:<offset>`,
/// or the empty string for the start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cursor {
    #[default]
    Start,
    At {
        session: String,
        offset: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this server gave out (expected <session id>:<offset>)")]
pub struct BadCursor;

impl FromStr for Cursor {
    type Err = BadCursor;

    fn from_str(s: &str) -> Result<Self, BadCursor> {
        if s.is_empty() {
            return Ok(Self::Start);
        }
        let (session, offset) = s.split_once(':').ok_or(BadCursor)?;
        if !crate::hooks::is_uuid(session) {
            return Err(BadCursor);
        }
        let offset = offset.parse().map_err(|_| BadCursor)?;
        Ok(Self::At {
            session: session.to_owned(),
            offset,
        })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start => Ok(()),
            Self::At { session, offset } => write!(f, "{session}:{offset}"),
        }
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let c: Cursor = "1c0a4037-f67a-4bfe-88a7-0161850ed2dd:1234"
            .parse()
            .expect("valid");
        assert_eq!(c.to_string(), "1c0a4037-f67a-4bfe-88a7-0161850ed2dd:1234");
        assert_eq!("".parse::<Cursor>(), Ok(Cursor::Start));
        for bad in [
            "x:1",
            "1c0a4037-f67a-4bfe-88a7-0161850ed2dd",
            "1c0a4037-f67a-4bfe-88a7-0161850ed2dd:-1",
            "../../etc/passwd:0",
            "1c0a4037-f67a-4bfe-88a7-0161850ed2dd:1:2",
        ] {
            assert_eq!(bad.parse::<Cursor>(), Err(BadCursor), "{bad}");
        }
    }
}
