//! The messages of the WebSocket streams (a project's logs, terminal and conversation, a
//! member's inbox), as tagged JSON (`{"type": ...}`). This file and
//! `docs/websocket-protocol.md` are the whole protocol; the frontend codes against the
//! document. Logs server messages are [`crate::journal::ProjectEvent`]s plus
//! [`LogsNotice`]; terminal output bytes travel as binary frames, not as messages here.

use serde::{Deserialize, Serialize};

/// Client → server on `/logs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LogsRequest {
    /// Send every entry with an id above `after`, then live events. Sent again after a
    /// `resubscribe`.
    Subscribe {
        #[serde(default)]
        after: i64,
    },
}

/// Server → client on `/logs`, besides the journal's `log`, `status` and `plan` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogsNotice {
    /// The client fell behind and live events stopped; it should send `subscribe` with its
    /// last seen id. `after` is the last id this server sent.
    Resubscribe { after: i64 },
    /// A request was not understood; the socket stays open.
    Error { message: String },
}

/// Server → client on `/api/ws/inbox` (the client sends nothing).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxNotice {
    /// Everything waiting for the member now, as `GET /api/inbox` returns it.
    Inbox(crate::http::inbox::Inbox),
    /// The client sent something; the inbox stream takes no requests.
    Error { message: String },
}

/// Client → server on `/conversation`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConversationRequest {
    /// Send every entry after `after` (a cursor from an earlier `entries`; empty for the
    /// start), then new entries as they are written.
    Subscribe {
        #[serde(default)]
        after: String,
    },
}

/// Server → client on `/conversation`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConversationNotice {
    /// Entries after the previous cursor; `cursor` is where to resume from.
    Entries {
        entries: Vec<crate::transcript::Entry>,
        cursor: crate::transcript::Cursor,
    },
    /// The client's cursor names a session the project no longer has: drop what is shown;
    /// the stream goes on from the start.
    Reset,
    /// A request was not understood; the socket stays open.
    Error { message: String },
}

/// Client → server on `/terminal`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TerminalRequest {
    /// Ask for control of the terminal (the project's owner only).
    TakeOver,
    Release,
    /// Text typed into the pane, as xterm.js reports it (`\r` for Enter).
    Input {
        data: String,
    },
    /// A named key: Enter, Escape, C-c, Tab, BTab, BSpace, Up, Down, Left, Right, 0-9.
    Key {
        key: String,
    },
}

/// Server → client on `/terminal` (text frames; pane output comes as binary frames).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TerminalNotice {
    /// Reset the terminal to `cols`×`rows` and write `data`; binary frames continue from it.
    /// `live` is false when the project has no running pane (data then says so).
    Snapshot {
        cols: u16,
        rows: u16,
        data: String,
        live: bool,
    },
    /// Whether a human holds the terminal, and who.
    Control { human: bool, by: Option<String> },
    /// A request was refused or not understood; the socket stays open.
    Error { message: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_parse_from_the_documented_shapes() {
        let sub: LogsRequest =
            serde_json::from_value(json!({"type":"subscribe","after":42})).expect("subscribe");
        assert_eq!(sub, LogsRequest::Subscribe { after: 42 });
        let input: TerminalRequest =
            serde_json::from_value(json!({"type":"input","data":"ls\r"})).expect("input");
        assert_eq!(
            input,
            TerminalRequest::Input {
                data: "ls\r".into()
            }
        );
        let take: TerminalRequest =
            serde_json::from_value(json!({"type":"take_over"})).expect("take_over");
        assert_eq!(take, TerminalRequest::TakeOver);
        assert!(serde_json::from_value::<TerminalRequest>(json!({"type":"rm"})).is_err());
    }

    #[test]
    fn notices_serialize_to_the_documented_shapes() {
        let control = TerminalNotice::Control {
            human: true,
            by: Some("alice".into()),
        };
        assert_eq!(
            serde_json::to_value(control).expect("json"),
            json!({"type":"control","human":true,"by":"alice"})
        );
        assert_eq!(
            serde_json::to_value(LogsNotice::Resubscribe { after: 9 }).expect("json"),
            json!({"type":"resubscribe","after":9})
        );
    }

    #[test]
    fn conversation_messages_have_the_documented_shapes() {
        let sub: ConversationRequest = serde_json::from_value(
            json!({"type": "subscribe", "after": "1c0a4037-f67a-4bfe-88a7-0161850ed2dd:12"}),
        )
        .expect("subscribe");
        assert!(matches!(sub, ConversationRequest::Subscribe { after } if after.ends_with(":12")));
        let start: ConversationRequest =
            serde_json::from_value(json!({"type": "subscribe"})).expect("from the start");
        assert_eq!(
            start,
            ConversationRequest::Subscribe {
                after: String::new()
            }
        );
        let page = ConversationNotice::Entries {
            entries: Vec::new(),
            cursor: crate::transcript::Cursor::Start,
        };
        assert_eq!(
            serde_json::to_value(page).expect("json"),
            json!({"type": "entries", "entries": [], "cursor": ""})
        );
        assert_eq!(
            serde_json::to_value(ConversationNotice::Reset).expect("json"),
            json!({"type": "reset"})
        );
    }
}
