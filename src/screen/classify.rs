//! The classifier proper: applies a CLI's rules to one screen and reads the details.

use super::layout::Screen;
use super::meta::PaneMeta;
use super::rules::{BoxCondition, InputCondition, Matcher, Rule, ScreenRules};
use super::state::{
    ApiErrorInfo, Classification, ErrorKind, ExitInfo, MenuOption, PermissionRequest,
    QuestionRequest, RetryInfo, State,
};

/// Classifies one screen (the text of `tmux capture-pane -p`, or an emulator's rows joined with
/// `\n`). `meta` decides what the frame cannot: a dead pane is `exited` whatever its frozen last
/// frame shows, unless the frame shows a setup failure, which says why it died.
pub fn classify(screen: &str, meta: Option<&PaneMeta>, rules: &ScreenRules) -> Classification {
    let s = Screen::parse(screen, &rules.layout);
    let error = find_error(&s, rules);
    let matched = rules
        .rules
        .iter()
        .find(|rule| holds(rule, &s, error.is_some()))
        .map(|rule| rule.state);
    let state = match matched {
        Some(State::SetupError) => State::SetupError,
        _ if process_gone(meta, &s, rules) => State::Exited,
        Some(state) => state,
        None => State::Starting,
    };

    let mut c = Classification::new(state);
    // A dead pane's input box is a frozen frame (or whatever the launcher printed over it).
    if state != State::Exited {
        c.input_text = s.input_box.as_ref().and_then(|b| b.text.clone());
        if let Some(m) = &rules.details.queued {
            c.queued = captures(&s, m, "text").map(str::to_owned).collect();
        }
    }
    c.last_assistant_message = last_assistant_message(&s, rules);
    c.context_used_percent =
        first_capture(&s, rules.details.context.as_ref(), "percent").and_then(|p| p.parse().ok());
    match state {
        State::Permission => {
            c.options = options(&s, rules);
            c.permission = Some(permission(&s, rules));
        }
        State::Question => {
            c.options = options(&s, rules);
            c.question = Some(QuestionRequest {
                header: live_capture(&s, rules.details.question_header.as_ref()),
                prompt: menu_prompt(&s, rules),
            });
        }
        State::TrustDialog | State::ApiKeyDialog | State::BypassDialog => {
            c.options = options(&s, rules);
        }
        State::ApiError => c.error = error,
        State::Retrying => c.retry = retry(&s, rules),
        State::Exited => {
            c.exit = Some(ExitInfo {
                status: meta.and_then(|m| m.dead_status),
                signal: meta.and_then(|m| m.dead_signal),
                session_id: rules
                    .details
                    .resume
                    .as_ref()
                    .and_then(|m| captures(&s, m, "session_id").last())
                    .map(str::to_owned),
            })
        }
        _ => {}
    }
    c
}

fn holds(rule: &Rule, s: &Screen<'_>, has_error: bool) -> bool {
    let box_ok = match rule.input_box {
        BoxCondition::Any => true,
        BoxCondition::Present => s.input_box.is_some(),
        BoxCondition::Absent => s.input_box.is_none(),
    };
    let text = s.input_box.as_ref().and_then(|b| b.text.as_ref());
    let input_ok = match rule.input {
        InputCondition::Any => true,
        InputCondition::Empty => s.input_box.is_some() && text.is_none(),
        InputCondition::Text => text.is_some(),
    };
    box_ok
        && input_ok
        && rule.error.is_none_or(|want| want == has_error)
        && rule.all.iter().all(|m| matches(s, m))
        && (rule.any.is_empty() || rule.any.iter().any(|m| matches(s, m)))
        && !rule.none.iter().any(|m| matches(s, m))
}

/// The pane says the CLI is gone: dead, or (under a wrapper) another program in the foreground
/// of a screen the CLI had drawn.
fn process_gone(meta: Option<&PaneMeta>, s: &Screen<'_>, rules: &ScreenRules) -> bool {
    let Some(meta) = meta else { return false };
    if meta.dead {
        return true;
    }
    let command = meta.current_command.as_str();
    !rules.process_names.is_empty()
        && !command.is_empty()
        && !rules.process_names.iter().any(|name| name == command)
        && s.has_content()
}

fn matches(s: &Screen<'_>, m: &Matcher) -> bool {
    s.region(m.region).iter().any(|l| m.regex.is_match(l))
}

fn captures<'s>(
    s: &'s Screen<'_>,
    m: &'s Matcher,
    group: &'s str,
) -> impl Iterator<Item = &'s str> {
    s.region(m.region)
        .iter()
        .filter_map(move |l| m.regex.captures(l)?.name(group).map(|g| g.as_str().trim()))
}

fn first_capture<'s>(s: &'s Screen<'_>, m: Option<&'s Matcher>, group: &'s str) -> Option<&'s str> {
    captures(s, m?, group).next()
}

fn live_capture(s: &Screen<'_>, regex: Option<&regex::Regex>) -> Option<String> {
    let regex = regex?;
    s.region(super::rules::Region::Live)
        .iter()
        .find_map(|l| Some(regex.captures(l)?.name("text")?.as_str().trim().to_owned()))
}

/// The numbered options of the menu in the live area: the run 1, 2, 3... (other numbered lines,
/// such as a diff preview, do not continue the run).
fn options(s: &Screen<'_>, rules: &ScreenRules) -> Vec<MenuOption> {
    let Some(regex) = &rules.details.option else {
        return Vec::new();
    };
    let mut found: Vec<MenuOption> = Vec::new();
    for line in s.region(super::rules::Region::Live) {
        let Some(caps) = regex.captures(line) else {
            continue;
        };
        let (Some(number), Some(label)) = (caps.name("number"), caps.name("label")) else {
            continue;
        };
        let Ok(number) = number.as_str().parse::<u32>() else {
            continue;
        };
        if number as usize != found.len() + 1 {
            continue;
        }
        found.push(MenuOption {
            number,
            label: label.as_str().trim().to_owned(),
            selected: caps.name("cursor").is_some(),
        });
    }
    found
}

/// Index (in the whole screen) of the first option line of the live menu.
fn first_option_line(s: &Screen<'_>, rules: &ScreenRules) -> Option<usize> {
    let regex = rules.details.option.as_ref()?;
    let range = s.range(super::rules::Region::Live);
    let start = range.start;
    s.lines[range]
        .iter()
        .position(|l| regex.is_match(l))
        .map(|p| start + p)
}

/// The question the menu asks: the last prompt-like line above its first option.
fn menu_prompt(s: &Screen<'_>, rules: &ScreenRules) -> Option<String> {
    let regex = rules.details.prompt.as_ref()?;
    let end = first_option_line(s, rules).unwrap_or(s.lines.len());
    s.lines[s.live_start.min(end)..end]
        .iter()
        .rev()
        .find_map(|l| Some(regex.captures(l)?.name("text")?.as_str().trim().to_owned()))
}

fn permission(s: &Screen<'_>, rules: &ScreenRules) -> PermissionRequest {
    let d = &rules.details;
    let title = s.lines[s.live_start..]
        .iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty() && !rules.layout.rule.is_match(l))
        .map(str::to_owned);
    let call = d.tool_call.as_ref().and_then(|m| {
        s.region(m.region)
            .iter()
            .rev()
            .find_map(|l| m.regex.captures(l))
    });
    let (tool, target) = match call {
        Some(caps) => (
            caps.name("tool").map(|t| t.as_str().trim().to_owned()),
            caps.name("target").map(|t| t.as_str().trim().to_owned()),
        ),
        None => (
            title.as_ref().and_then(|t| d.tool_titles.get(t).cloned()),
            None,
        ),
    };
    PermissionRequest {
        tool,
        target,
        title,
        prompt: menu_prompt(s, rules),
    }
}

fn retry(s: &Screen<'_>, rules: &ScreenRules) -> Option<RetryInfo> {
    let m = rules.details.retry.as_ref()?;
    let caps = s
        .region(m.region)
        .iter()
        .rev()
        .find_map(|l| m.regex.captures(l))?;
    let number = |name: &str| caps.name(name)?.as_str().parse::<u32>().ok();
    Some(RetryInfo {
        attempt: number("attempt")?,
        max_attempts: number("max")?,
        delay_secs: number("delay"),
    })
}

/// The API error the last turn ended with, message lines joined.
fn find_error(s: &Screen<'_>, rules: &ScreenRules) -> Option<ApiErrorInfo> {
    let d = &rules.details;
    let range = s.range(super::rules::Region::LastTurn);
    for i in range.clone() {
        let Some(text) = d
            .error_lines
            .iter()
            .find_map(|r| r.captures(s.lines[i])?.name("text"))
        else {
            continue;
        };
        let mut message = text.as_str().trim().to_owned();
        for line in &s.lines[i + 1..range.end] {
            match continuation(d.continuation.as_ref(), line) {
                Some(more) if !more.is_empty() => {
                    message.push(' ');
                    message.push_str(more);
                }
                _ => break,
            }
        }
        let kind = d
            .error_kinds
            .iter()
            .find(|(_, r)| r.is_match(&message))
            .map_or(ErrorKind::Other, |(kind, _)| *kind);
        return Some(ApiErrorInfo { kind, message });
    }
    None
}

fn continuation<'l>(regex: Option<&regex::Regex>, line: &'l str) -> Option<&'l str> {
    Some(regex?.captures(line)?.name("text")?.as_str().trim())
}

/// The last assistant bullet above the live area with its continuation lines (paragraphs kept).
fn last_assistant_message(s: &Screen<'_>, rules: &ScreenRules) -> Option<String> {
    let d = &rules.details;
    let bullet = d.assistant_message.as_ref()?;
    let is_tool = |l: &str| d.tool_call.as_ref().is_some_and(|m| m.regex.is_match(l));
    let is_error = |l: &str| d.error_lines.iter().any(|r| r.is_match(l));
    let transcript = s.region(super::rules::Region::Transcript);
    let (start, first) = transcript.iter().enumerate().rev().find_map(|(i, l)| {
        if is_tool(l) || is_error(l) {
            return None;
        }
        Some((i, bullet.captures(l)?.name("text")?.as_str().trim()))
    })?;
    let mut message = vec![first.to_owned()];
    let mut blanks = 0;
    for line in &transcript[start + 1..] {
        if line.trim().is_empty() {
            blanks += 1;
            continue;
        }
        let Some(more) = continuation(d.continuation.as_ref(), line) else {
            break;
        };
        message.extend(std::iter::repeat_n(String::new(), blanks));
        blanks = 0;
        message.push(more.to_owned());
    }
    Some(message.join("\n"))
}
