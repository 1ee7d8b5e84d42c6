//! Screen rules as data: the serde `RulesSpec` is what a profile's `[screen]` table holds (see
//! `compiled` for its validated, compiled form).
//!
//! Nothing here knows Claude Code: every pattern comes from the profile, so a second CLI is a
//! new profile file.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::state::{ErrorKind, State};

/// The `[screen]` table of a profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSpec {
    /// How to find the input box and the turn boundaries.
    pub layout: LayoutSpec,
    /// State rules, tried in order; the first that holds decides. No match means `starting`.
    pub rules: Vec<RuleSpec>,
    #[serde(default)]
    pub details: DetailsSpec,
    /// How a submitted message and the turn it starts show in the transcript.
    #[serde(default)]
    pub turn: TurnSpec,
    /// Names `pane_current_command` shows while the CLI runs. When metadata names another
    /// command on a screen the CLI has drawn, the CLI has exited (e.g. a wrapper shell took over).
    /// Empty disables the check.
    #[serde(default)]
    pub process_names: Vec<String>,
}

/// Patterns that cut a screen into regions (see [`Region`]). Every pattern in the rules sees
/// lines with trailing ASCII blanks trimmed (so an empty prompt `> ` reads as `>`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutSpec {
    /// A horizontal rule: input-box borders and dialog separators.
    pub rule: String,
    /// First line of the input box; group `text` is the typed text. The last match wins.
    pub input: String,
    /// Further lines of a multi-line input; group `text`.
    pub input_continuation: String,
    /// Input-box texts that are dim placeholders, not input.
    #[serde(default)]
    pub input_placeholders: Vec<String>,
    /// A submitted prompt echoed in the transcript: starts a turn.
    pub user_echo: String,
}

/// Which part of the screen a pattern looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// Every line.
    All,
    /// Everything above the live area (conversation history, including the last turn).
    Transcript,
    /// From after the last echoed prompt to the live area.
    LastTurn,
    /// The bottom of the screen the CLI redraws: from the input box's top border (or, without
    /// an input box, the first rule after the last echoed prompt) to the end.
    Live,
    /// The lines of the input box.
    InputBox,
    /// Lines below the input box (footer, menus, anything printed after the CLI ended).
    BelowBox,
    /// The last non-blank line.
    LastLine,
}

/// A pattern that must match at least one line of a region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    pub region: Region,
    pub pattern: String,
    /// Match against the region's lines joined with `\n` instead of line by line, for things
    /// that span lines (use `(?m)` for line anchors). Only details honour it.
    #[serde(default)]
    pub multiline: bool,
}

/// Condition on the presence of the input box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoxCondition {
    #[default]
    Any,
    Present,
    Absent,
}

/// Condition on the input box's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputCondition {
    #[default]
    Any,
    Empty,
    Text,
}

/// One state rule: every condition given must hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub state: State,
    #[serde(default)]
    pub input_box: BoxCondition,
    #[serde(default)]
    pub input: InputCondition,
    /// Every one of these must match.
    #[serde(default)]
    pub all: Vec<MatchSpec>,
    /// At least one of these must match (when any are given).
    #[serde(default)]
    pub any: Vec<MatchSpec>,
    /// None of these may match.
    #[serde(default)]
    pub none: Vec<MatchSpec>,
    /// Whether an API error line (details.errors) must (true) or must not (false) be in the last turn.
    #[serde(default)]
    pub error: Option<bool>,
}

/// Patterns for the details; each one absent means that detail is not read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailsSpec {
    /// A numbered menu option in the live area: groups `number`, `label`, optional `cursor`
    /// (selected).
    pub option: Option<String>,
    /// An option of a menu drawn without numbers: groups `label`, optional `cursor`. Read only
    /// when no numbered option is found, from the run of adjacent lines around the cursor line.
    pub unnumbered_option: Option<String>,
    /// The question a menu asks (live area, last match above the first option): group `text`.
    pub prompt: Option<String>,
    /// A question header (live area): group `text`.
    pub question_header: Option<String>,
    /// Tool-call lines: group `target`, optional `tool`; the last line matching any of them
    /// names the tool a permission prompt is about. Such lines are not assistant messages.
    #[serde(default)]
    pub tool_calls: Vec<MatchSpec>,
    /// A tool-call target the screen shows only the start of (the line was cut short): such a
    /// permission request must not be judged on what is shown.
    pub cut_short: Option<String>,
    /// Tool named by a permission dialog's title, for when the tool-call line is off screen.
    #[serde(default)]
    pub tool_titles: BTreeMap<String, String>,
    /// An assistant message's first line (group `text`); the last one above the live area counts.
    pub assistant_message: Option<String>,
    /// Bullet lines that look like assistant messages but are not (e.g. answers to a question).
    #[serde(default)]
    pub not_messages: Vec<String>,
    /// A wrapped or further line of a message: group `text`.
    pub continuation: Option<String>,
    /// Context used: group `percent`.
    pub context: Option<MatchSpec>,
    /// Room left before auto-compaction: group `percent`; a match without it means 0.
    pub compact_left: Option<MatchSpec>,
    /// Retry progress: groups `attempt`, `max`, optional `delay` (seconds).
    pub retry: Option<MatchSpec>,
    /// A queued message: group `text`.
    pub queued: Option<MatchSpec>,
    /// The resume hint printed on exit: group `session_id`.
    pub resume: Option<MatchSpec>,
    /// Lines (anywhere on screen) that say what stops the CLI from starting, read on a
    /// `setup_error` screen: group `text`; the matches are joined in screen order.
    #[serde(default)]
    pub setup_problem: Vec<String>,
    #[serde(default)]
    pub errors: ErrorsSpec,
}

/// How API errors show in the last turn and how their kind is told.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorsSpec {
    /// Lines that report an API error in the last turn; group `text` is the message.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Tried in order on the message; no match means `other`.
    #[serde(default)]
    pub kinds: Vec<ErrorKindSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorKindSpec {
    pub kind: ErrorKind,
    pub pattern: String,
}

/// How a submitted message and its turn show in the transcript, for the controller: whether
/// a message was echoed (it was submitted), whether its turn has shown output yet, and which
/// lines animate on their own (so that a changed screen is not mistaken for progress).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnSpec {
    /// A transcript line echoing a submitted message: group `text` is where the message
    /// starts. Empty: an echo is never recognised.
    #[serde(default)]
    pub echo: Vec<String>,
    /// Lines of the last turn that are the CLI's answer to it (a reply, a tool row, the
    /// turn's summary). Empty: every turn counts as answered.
    #[serde(default)]
    pub output: Vec<OutputSpec>,
    /// Lines that change while nothing progresses (a spinner and its timer, a footer hint):
    /// any line matching one is left out of the progress fingerprint.
    #[serde(default)]
    pub animated: Vec<String>,
}

/// An output line: `pattern` must match and `unless` (when given) must not.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub pattern: String,
    pub unless: Option<String>,
}
