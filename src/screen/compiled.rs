//! Compiled screen rules: `ScreenRules` is a `RulesSpec` whose patterns compiled and carry the
//! capture groups the classifier reads.

use std::collections::BTreeMap;

use regex::Regex;

use super::rules::{
    BoxCondition, InputCondition, MatchSpec, Region, RuleSpec, RulesSpec, TurnSpec,
};
use super::state::{ErrorKind, State};

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
    pub multiline: bool,
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
    pub unnumbered_option: Option<Regex>,
    pub prompt: Option<Regex>,
    pub question_header: Option<Regex>,
    pub tool_calls: Vec<Matcher>,
    pub tool_titles: BTreeMap<String, String>,
    pub cut_short: Option<Regex>,
    pub assistant_message: Option<Regex>,
    pub not_messages: Vec<Regex>,
    pub continuation: Option<Regex>,
    pub context: Option<Matcher>,
    pub compact_left: Option<Matcher>,
    pub retry: Option<Matcher>,
    pub queued: Option<Matcher>,
    pub resume: Option<Matcher>,
    pub setup_problem: Vec<Regex>,
    pub error_lines: Vec<Regex>,
    pub error_kinds: Vec<(ErrorKind, Regex)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Turn {
    pub echo: Vec<Regex>,
    /// (pattern, unless)
    pub output: Vec<(Regex, Option<Regex>)>,
    pub animated: Vec<Regex>,
}

/// Compiled screen rules for one CLI (and version). Build with [`ScreenRules::compile`].
#[derive(Debug, Clone)]
pub struct ScreenRules {
    pub(crate) layout: Layout,
    pub(crate) rules: Vec<Rule>,
    pub(crate) details: Details,
    pub(crate) turn: Turn,
    pub(crate) process_names: Vec<String>,
}

impl ScreenRules {
    /// Adds a name `pane_current_command` may show while the CLI runs, e.g. the basename of a
    /// custom launch command (a wrapper script would otherwise look like the CLI has exited).
    pub fn add_process_name(&mut self, name: impl Into<String>) {
        let name = name.into();
        if !name.is_empty() && !self.process_names.contains(&name) {
            self.process_names.push(name);
        }
    }

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
            unnumbered_option: opt_regex(
                "details.unnumbered_option",
                &d.unnumbered_option,
                &["label"],
            )?,
            prompt: opt_regex("details.prompt", &d.prompt, &["text"])?,
            question_header: opt_regex("details.question_header", &d.question_header, &["text"])?,
            tool_calls: d
                .tool_calls
                .iter()
                .map(|m| matcher("details.tool_calls", m, &["target"]))
                .collect::<Result<_, _>>()?,
            tool_titles: d.tool_titles.clone(),
            cut_short: opt_regex("details.cut_short", &d.cut_short, &[])?,
            assistant_message: opt_regex(
                "details.assistant_message",
                &d.assistant_message,
                &["text"],
            )?,
            not_messages: d
                .not_messages
                .iter()
                .map(|p| regex("details.not_messages", p, &[]))
                .collect::<Result<_, _>>()?,
            continuation: opt_regex("details.continuation", &d.continuation, &["text"])?,
            context: opt_matcher("details.context", &d.context, &["percent"])?,
            compact_left: opt_matcher("details.compact_left", &d.compact_left, &["percent"])?,
            retry: opt_matcher("details.retry", &d.retry, &["attempt", "max"])?,
            queued: opt_matcher("details.queued", &d.queued, &["text"])?,
            resume: opt_matcher("details.resume", &d.resume, &["session_id"])?,
            setup_problem: regexes("details.setup_problem", &d.setup_problem, &["text"])?,
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
            turn: compile_turn(&spec.turn)?,
            process_names: spec.process_names.clone(),
        })
    }
}

fn compile_turn(spec: &TurnSpec) -> Result<Turn, RulesError> {
    Ok(Turn {
        echo: regexes("turn.echo", &spec.echo, &["text"])?,
        output: spec
            .output
            .iter()
            .map(|o| {
                let unless = o.unless.as_deref();
                Ok((
                    regex("turn.output", &o.pattern, &[])?,
                    unless
                        .map(|u| regex("turn.output.unless", u, &[]))
                        .transpose()?,
                ))
            })
            .collect::<Result<_, RulesError>>()?,
        animated: regexes("turn.animated", &spec.animated, &[])?,
    })
}

fn regexes(
    what: &str,
    patterns: &[String],
    groups: &[&'static str],
) -> Result<Vec<Regex>, RulesError> {
    patterns.iter().map(|p| regex(what, p, groups)).collect()
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
        multiline: spec.multiline,
    })
}

fn opt_matcher(
    what: &str,
    spec: &Option<MatchSpec>,
    groups: &[&'static str],
) -> Result<Option<Matcher>, RulesError> {
    spec.as_ref().map(|m| matcher(what, m, groups)).transpose()
}
