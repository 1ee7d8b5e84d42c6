//! The classifier's vocabulary: the states a coding CLI can be in and the details read off its screen.

use serde::{Deserialize, Serialize};

/// What a coding CLI is doing, as far as its screen (and pane metadata) tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Nothing recognisable drawn yet (also the verdict for an unrecognised screen).
    Starting,
    /// "Do you trust this folder?" start-up dialog.
    TrustDialog,
    /// "Use the API key found in the environment?" start-up dialog.
    ApiKeyDialog,
    /// The warning shown when permissions are bypassed.
    BypassDialog,
    /// "Make auto mode your default permission mode?" (Claude Code 2.1.330 and later).
    AutoModeDialog,
    /// The CLI could not finish its start-up (e.g. no connectivity on first run).
    SetupError,
    /// At the prompt with an empty input box: the turn is over.
    Idle,
    /// At the prompt, with text sitting in the input box (typed or pasted, not submitted).
    IdleWithInput,
    /// A turn is running.
    Working,
    /// A turn is running but the last API call failed and is being retried.
    Retrying,
    /// A tool call waits for the user's permission.
    Permission,
    /// The model asked the user a multiple-choice question.
    Question,
    /// The conversation is being compacted.
    Compacting,
    /// The last turn ended with an API error; the CLI is back at the prompt.
    ApiError,
    /// The CLI process is gone.
    Exited,
}

impl State {
    /// The snake_case name used in JSON and in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::TrustDialog => "trust_dialog",
            State::ApiKeyDialog => "api_key_dialog",
            State::BypassDialog => "bypass_dialog",
            State::AutoModeDialog => "auto_mode_dialog",
            State::SetupError => "setup_error",
            State::Idle => "idle",
            State::IdleWithInput => "idle_with_input",
            State::Working => "working",
            State::Retrying => "retrying",
            State::Permission => "permission",
            State::Question => "question",
            State::Compacting => "compacting",
            State::ApiError => "api_error",
            State::Exited => "exited",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One numbered choice of a menu (permission prompt, question, start-up dialog).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuOption {
    pub number: u32,
    pub label: String,
    /// The menu cursor is on this option (what Enter alone would choose).
    pub selected: bool,
    /// The option is drawn with its number, so typing the digit picks it; otherwise the
    /// number is its position and the cursor must be moved to it.
    pub numbered: bool,
}

/// What a permission prompt asks to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRequest {
    /// Tool name (`Bash`, `Write`, ...), from the tool-call line or, failing that, the dialog title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The command or path the tool call shows, e.g. `touch marker.txt && ls` or `hello.txt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The target is only the start of what the tool will do: the screen cut its line short.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut_short: bool,
    /// The dialog's title line, e.g. `Bash command` or `Create file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The question put to the user, e.g. `Do you want to proceed?`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

/// A multiple-choice question from the model (not a permission prompt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionRequest {
    /// Short header above the question (AskUserQuestion's `header`), when shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

/// Broad cause of an API error, enough to decide between waiting, retrying and asking a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Overloaded,
    Server,
    Auth,
    PromptTooLong,
    Other,
}

/// The error the last turn ended with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorInfo {
    pub kind: ErrorKind,
    pub message: String,
}

/// Progress of an automatic retry after a failed API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryInfo {
    pub attempt: u32,
    pub max_attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_secs: Option<u32>,
}

/// How the process ended, from pane metadata (and the resume hint the CLI prints on exit).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExitInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// Session id from the CLI's "resume this session" hint, for `--resume`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// The classifier's verdict on one screen. Serialises flat: `{"state": "...", ...details}`;
/// details that do not apply are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub state: State,
    /// Choices of the menu on screen (permission, question, start-up dialogs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<MenuOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<PermissionRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<QuestionRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiErrorInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_used_percent: Option<u8>,
    /// Room left before automatic compaction, as newer releases show it (0: compaction is next).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compact_left_percent: Option<u8>,
    /// Messages typed while the CLI was busy, waiting to be sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queued: Vec<String>,
    /// Text in the input box (lines joined with `\n`); placeholders do not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_text: Option<String>,
    /// The last thing the model said (a transcript bullet that is not a tool call or an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_assistant_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<ExitInfo>,
    /// What stops the CLI from starting, in its own words (a `setup_error` screen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_problem: Option<String>,
}

impl Classification {
    /// A classification with a state and no details.
    pub fn new(state: State) -> Self {
        Classification {
            state,
            options: Vec::new(),
            permission: None,
            question: None,
            error: None,
            retry: None,
            context_used_percent: None,
            compact_left_percent: None,
            queued: Vec::new(),
            input_text: None,
            last_assistant_message: None,
            exit: None,
            setup_problem: None,
        }
    }

    /// Whether two classifications describe the same situation for someone who must react to it:
    /// the same state and, for states that ask something or report a failure, the same question.
    /// Progress details (spinner text, context %, retry attempt) do not make a new situation.
    pub fn same_situation(&self, other: &Classification) -> bool {
        if self.state != other.state {
            return false;
        }
        match self.state {
            State::Permission
            | State::Question
            | State::TrustDialog
            | State::ApiKeyDialog
            | State::BypassDialog
            | State::AutoModeDialog => {
                self.options == other.options
                    && self.permission == other.permission
                    && self.question == other.question
            }
            State::ApiError => self.error == other.error,
            State::SetupError => self.setup_problem == other.setup_problem,
            _ => true,
        }
    }
}
