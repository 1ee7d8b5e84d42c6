//! Screen rules: the data that teaches the classifier one CLI's screen. The serde `RulesSpec` is
//! what a profile's `[screen]` table holds; `ScreenRules` is its compiled, validated form.
//!
//! Nothing here knows Claude Code: every pattern comes from the profile, so a second CLI is a
//! new profile file.

use std::collections::BTreeMap;

use regex::Regex;
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
    /// Names `pane_current_command` shows while the CLI runs. When metadata names another
    /// command on a screen the CLI has drawn, the CLI has exited (e.g. a wrapper shell took over).
    /// Empty disables the check.
    #[serde(default)]
    pub process_names: Vec<String>,
}

/// Patterns that cut a screen into regions (see [`Region`]).
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
    /// A menu option in the live area: groups `number`, `label`, optional `cursor` (selected).
    pub option: Option<String>,
    /// The question a menu asks (live area, last match above the first option): group `text`.
    pub prompt: Option<String>,
    /// A question header (live area): group `text`.
    pub question_header: Option<String>,
    /// A tool-call line: groups `tool`, `target`. Such lines are not assistant messages.
    pub tool_call: Option<MatchSpec>,
    /// Tool named by a permission dialog's title, for when the tool-call line is off screen.
    #[serde(default)]
    pub tool_titles: BTreeMap<String, String>,
    /// An assistant message's first line (group `text`); the last one above the live area counts.
    pub assistant_message: Option<String>,
    /// A wrapped or further line of a message: group `text`.
    pub continuation: Option<String>,
    /// Context used: group `percent`.
    pub context: Option<MatchSpec>,
    /// Retry progress: groups `attempt`, `max`, optional `delay` (seconds).
    pub retry: Option<MatchSpec>,
    /// A queued message: group `text`.
    pub queued: Option<MatchSpec>,
    /// The resume hint printed on exit: group `session_id`.
    pub resume: Option<MatchSpec>,
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

/// A pattern in the rules does not compile or lacks a capture group the classifier reads.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("screen rule pattern {what} is invalid: {source}")]
    Regex {
        what: String,
        #[source]
        source: Box<regex::Error>,
    },
    #[error("screen rule pattern {what} lacks the capture group `{group}`")]
    MissingGroup { what: String, group: &'static str },
}

/// A compiled pattern bound to a region.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pub region: Region,
    pub regex: Regex,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub state: State,
    pub input_box: BoxCondition,
    pub input: InputCondition,
    pub all: Vec<Matcher>,
    pub any: Vec<Matcher>,
    pub none: Vec<Matcher>,
    pub error: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub rule: Regex,
    pub input: Regex,
    pub input_continuation: Regex,
    pub input_placeholders: Vec<Regex>,
    pub user_echo: Regex,
}

#[derive(Debug, Clone)]
pub(crate) struct Details {
    pub option: Option<Regex>,
    pub prompt: Option<Regex>,
    pub question_header: Option<Regex>,
    pub tool_call: Option<Matcher>,
    pub tool_titles: BTreeMap<String, String>,
    pub assistant_message: Option<Regex>,
    pub continuation: Option<Regex>,
    pub context: Option<Matcher>,
    pub retry: Option<Matcher>,
    pub queued: Option<Matcher>,
    pub resume: Option<Matcher>,
    pub error_lines: Vec<Regex>,
    pub error_kinds: Vec<(ErrorKind, Regex)>,
}

/// Compiled screen rules for one CLI (and version). Build with [`ScreenRules::compile`].
#[derive(Debug, Clone)]
pub struct ScreenRules {
    pub(crate) layout: Layout,
    pub(crate) rules: Vec<Rule>,
    pub(crate) details: Details,
    pub(crate) process_names: Vec<String>,
}

impl ScreenRules {
    /// Compiles and validates every pattern of a spec.
    pub fn compile(spec: &RulesSpec) -> Result<ScreenRules, RulesError> {
        let l = &spec.layout;
        let layout = Layout {
            rule: regex("layout.rule", &l.rule, &[])?,
            input: regex("layout.input", &l.input, &["text"])?,
            input_continuation: regex(
                "layout.input_continuation",
                &l.input_continuation,
                &["text"],
            )?,
            input_placeholders: l
                .input_placeholders
                .iter()
                .map(|p| regex("layout.input_placeholders", p, &[]))
                .collect::<Result<_, _>>()?,
            user_echo: regex("layout.user_echo", &l.user_echo, &[])?,
        };
        let rules = spec
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| compile_rule(i, r))
            .collect::<Result<_, _>>()?;
        let d = &spec.details;
        let details = Details {
            option: opt_regex("details.option", &d.option, &["number", "label"])?,
            prompt: opt_regex("details.prompt", &d.prompt, &["text"])?,
            question_header: opt_regex("details.question_header", &d.question_header, &["text"])?,
            tool_call: opt_matcher("details.tool_call", &d.tool_call, &["tool", "target"])?,
            tool_titles: d.tool_titles.clone(),
            assistant_message: opt_regex(
                "details.assistant_message",
                &d.assistant_message,
                &["text"],
            )?,
            continuation: opt_regex("details.continuation", &d.continuation, &["text"])?,
            context: opt_matcher("details.context", &d.context, &["percent"])?,
            retry: opt_matcher("details.retry", &d.retry, &["attempt", "max"])?,
            queued: opt_matcher("details.queued", &d.queued, &["text"])?,
            resume: opt_matcher("details.resume", &d.resume, &["session_id"])?,
            error_lines: d
                .errors
                .lines
                .iter()
                .map(|p| regex("details.errors.lines", p, &["text"]))
                .collect::<Result<_, _>>()?,
            error_kinds: d
                .errors
                .kinds
                .iter()
                .map(|k| Ok((k.kind, regex("details.errors.kinds", &k.pattern, &[])?)))
                .collect::<Result<_, RulesError>>()?,
        };
        Ok(ScreenRules {
            layout,
            rules,
            details,
            process_names: spec.process_names.clone(),
        })
    }
}

fn compile_rule(index: usize, spec: &RuleSpec) -> Result<Rule, RulesError> {
    let what = |part: &str| format!("rules[{index}] ({}).{part}", spec.state);
    let matchers = |part: &str, list: &[MatchSpec]| -> Result<Vec<Matcher>, RulesError> {
        list.iter().map(|m| matcher(&what(part), m, &[])).collect()
    };
    Ok(Rule {
        state: spec.state,
        input_box: spec.input_box,
        input: spec.input,
        all: matchers("all", &spec.all)?,
        any: matchers("any", &spec.any)?,
        none: matchers("none", &spec.none)?,
        error: spec.error,
    })
}

fn regex(what: &str, pattern: &str, groups: &[&'static str]) -> Result<Regex, RulesError> {
    let regex = Regex::new(pattern).map_err(|source| RulesError::Regex {
        what: what.to_owned(),
        source: Box::new(source),
    })?;
    for group in groups {
        if !regex.capture_names().flatten().any(|name| name == *group) {
            return Err(RulesError::MissingGroup {
                what: what.to_owned(),
                group,
            });
        }
    }
    Ok(regex)
}

fn opt_regex(
    what: &str,
    pattern: &Option<String>,
    groups: &[&'static str],
) -> Result<Option<Regex>, RulesError> {
    pattern
        .as_deref()
        .map(|p| regex(what, p, groups))
        .transpose()
}

fn matcher(what: &str, spec: &MatchSpec, groups: &[&'static str]) -> Result<Matcher, RulesError> {
    Ok(Matcher {
        region: spec.region,
        regex: regex(what, &spec.pattern, groups)?,
    })
}

fn opt_matcher(
    what: &str,
    spec: &Option<MatchSpec>,
    groups: &[&'static str],
) -> Result<Option<Matcher>, RulesError> {
    spec.as_ref().map(|m| matcher(what, m, groups)).transpose()
}
