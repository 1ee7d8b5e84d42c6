//! What the supervisor machine reacts to: what the CLI's screen shows, what its hooks
//! report, what the owner asks, the clock, and the results of effects that take time
//! (the supervising LLM's decision, a message delivery).

use tokio::time::Instant;

use crate::controller::decide::Decision;
use crate::screen::{ErrorKind, State};

/// One input to [`super::Machine::on`].
#[derive(Debug, Clone)]
pub enum Input {
    /// The CLI's debounced screen state changed (or is looked at again).
    Screen(Screen),
    Hook(Hook),
    Owner(Owner),
    /// A deadline the machine asked for passed; look again.
    Tick,
    /// The supervising LLM (or the rules standing in for it) decided.
    Decided(Decision),
    /// The result of the last [`super::Effect::Deliver`].
    Delivered(Delivery),
    /// Whether the last [`super::Effect::AnswerHook`] reached the CLI in time.
    HookAnswered {
        taken: bool,
    },
    /// The CLI was restarted: its screen is unknown until the next [`Input::Screen`].
    Restarted,
}

/// What the screen shows, as much of it as the machine needs. The driver reads it from
/// the CLI's classification; the machine knows no glyph.
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    /// Bumped by the watcher on every reported change.
    pub seq: u64,
    pub state: State,
    /// When the screen last showed progress (spinner animation excluded).
    pub last_output: Instant,
    /// The screen shows output for the last submitted message (below its echo).
    pub turn_output: bool,
    /// The question's text, when a question is shown.
    pub question: Option<String>,
    /// The labels of the menu on screen, in order.
    pub options: Vec<String>,
    /// The tool and its subject as the permission menu shows them (maybe cut short).
    pub permission: Option<ToolRequest>,
    /// The permission menu's subject is only the start of it (the screen cut its line short).
    pub cut_short: bool,
    /// The API error the last turn ended with.
    pub error: Option<(ErrorKind, String)>,
}

/// A tool call: the tool's name and its subject (the command line for shell tools, the
/// path or URL for the others).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRequest {
    pub tool: String,
    pub subject: String,
}

/// The CLI's hook events, as far as the machine cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hook {
    /// The CLI started (or resumed) this conversation.
    SessionStart { id: String },
    /// The CLI took a message (UserPromptSubmit).
    PromptSubmitted,
    /// The turn ended (Stop; StopFailure, a turn ended by an API error, is left to the screen),
    /// with Claude's last reply where the CLI hands it over.
    Stop { reply: Option<String> },
    /// The CLI is about to use a tool: the exact tool input, which a permission menu may
    /// show cut short.
    ToolRequest(ToolRequest),
    /// The CLI asks permission for a tool and waits for an answer through its hook before
    /// it shows its menu.
    PermissionAsked(ToolRequest),
    /// Anything else (notifications, compaction, session end).
    Other,
}

/// What the project's owner (or a person at the web terminal) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A message: the answer to a question when one is open, an instruction otherwise.
    Message {
        text: String,
        from: String,
    },
    Pause,
    Resume,
    /// A person took the terminal over: the machine sends nothing until they release it.
    TakeOver,
    Release,
}

/// How a delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The CLI took the message.
    Confirmed,
    /// It could not be confirmed; why, in plain words.
    Unconfirmed(String),
}
