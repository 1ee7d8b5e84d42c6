//! Reading the details off a screen: menu options, what a permission prompt is about, errors,
//! retry progress, the last assistant message.

use regex::Regex;

use super::compiled::{Matcher, ScreenRules};
use super::layout::Screen;
use super::rules::Region;
use super::state::{ApiErrorInfo, ErrorKind, MenuOption, PermissionRequest, RetryInfo};

/// Every capture of `group` in the matcher's region, trimmed, top to bottom.
pub(crate) fn captures(s: &Screen<'_>, m: &Matcher, group: &str) -> Vec<String> {
    let lines = s.region(m.region);
    let grab = |text: &str| -> Vec<String> {
        m.regex
            .captures_iter(text)
            .filter_map(|c| Some(c.name(group)?.as_str().trim().to_owned()))
            .collect()
    };
    if m.multiline {
        grab(&lines.join("\n"))
    } else {
        lines.iter().flat_map(|l| grab(l)).collect()
    }
}

/// The setup problem's lines (group `text` of any `setup_problem` pattern), top to bottom,
/// joined with `; `.
pub(crate) fn setup_problem(s: &Screen<'_>, rules: &ScreenRules) -> Option<String> {
    let parts: Vec<&str> = s
        .lines
        .iter()
        .filter_map(|l| {
            rules
                .details
                .setup_problem
                .iter()
                .find_map(|p| Some(p.captures(l)?.name("text")?.as_str().trim()))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Room left before auto-compaction: the `percent` group, or 0 for a match without it.
pub(crate) fn compact_left(s: &Screen<'_>, m: &Matcher) -> Option<u8> {
    let caps = s
        .region(m.region)
        .iter()
        .find_map(|l| m.regex.captures(l))?;
    match caps.name("percent") {
        Some(p) => p.as_str().parse().ok(),
        None => Some(0),
    }
}

/// Group `text` of the first live-area line the pattern matches.
pub(crate) fn live_text(s: &Screen<'_>, regex: Option<&Regex>) -> Option<String> {
    let regex = regex?;
    s.region(Region::Live)
        .iter()
        .find_map(|l| Some(regex.captures(l)?.name("text")?.as_str().trim().to_owned()))
}

/// The options of the menu in the live area. Numbered menus: the run 1, 2, 3... (other numbered
/// lines, such as a diff preview, do not continue it). Menus without numbers: the block of
/// adjacent option lines around the cursor line, numbered by position.
pub(crate) fn options(s: &Screen<'_>, rules: &ScreenRules) -> Vec<MenuOption> {
    let numbered = numbered_options(s, rules);
    if !numbered.is_empty() {
        return numbered;
    }
    unnumbered_options(s, rules)
}

fn numbered_options(s: &Screen<'_>, rules: &ScreenRules) -> Vec<MenuOption> {
    let Some(regex) = &rules.details.option else {
        return Vec::new();
    };
    let mut found: Vec<MenuOption> = Vec::new();
    for line in s.region(Region::Live) {
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
            numbered: true,
        });
    }
    found
}

fn unnumbered_options(s: &Screen<'_>, rules: &ScreenRules) -> Vec<MenuOption> {
    let Some(regex) = &rules.details.unnumbered_option else {
        return Vec::new();
    };
    let live = s.region(Region::Live);
    // (label, selected, column where the label starts)
    let parse = |line: &str| {
        if rules.layout.rule.is_match(line) {
            return None;
        }
        let caps = regex.captures(line)?;
        let label = caps.name("label")?;
        let column = line[..label.start()].chars().count();
        Some((
            label.as_str().trim().to_owned(),
            caps.name("cursor").is_some(),
            column,
        ))
    };
    let Some((cursor, column)) = live.iter().enumerate().find_map(|(i, l)| {
        parse(l)
            .filter(|(_, selected, _)| *selected)
            .map(|(_, _, column)| (i, column))
    }) else {
        return Vec::new();
    };
    // Options line up with the cursor line's label; the question above them does not.
    let is_option = |i: usize| {
        !live[i].trim().is_empty() && parse(live[i]).is_some_and(|(_, _, col)| col == column)
    };
    let first = (0..cursor)
        .rev()
        .take_while(|&i| is_option(i))
        .last()
        .unwrap_or(cursor);
    let last = (cursor + 1..live.len())
        .take_while(|&i| is_option(i))
        .last()
        .unwrap_or(cursor);
    (first..=last)
        .filter_map(|i| parse(live[i]))
        .zip(1..)
        .map(|((label, selected, _), number)| MenuOption {
            number,
            label,
            selected,
            numbered: false,
        })
        .collect()
}

/// The question the menu asks: the last prompt-like line above its first option.
pub(crate) fn menu_prompt(s: &Screen<'_>, rules: &ScreenRules) -> Option<String> {
    let regex = rules.details.prompt.as_ref()?;
    let live = s.region(Region::Live);
    let end = rules
        .details
        .option
        .as_ref()
        .and_then(|o| live.iter().position(|l| o.is_match(l)))
        .unwrap_or(live.len());
    live[..end]
        .iter()
        .rev()
        .find_map(|l| Some(regex.captures(l)?.name("text")?.as_str().trim().to_owned()))
}

pub(crate) fn permission(s: &Screen<'_>, rules: &ScreenRules) -> PermissionRequest {
    let d = &rules.details;
    let title = s
        .region(Region::Live)
        .iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty() && !rules.layout.rule.is_match(l))
        .map(str::to_owned);
    // The call waiting for permission is the last one shown.
    let call = d
        .tool_calls
        .iter()
        .filter_map(|m| {
            let lines = s.region(m.region);
            let at = lines.iter().rposition(|l| m.regex.is_match(l))?;
            Some((s.range(m.region).start + at, m.regex.captures(lines[at])?))
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, caps)| caps);
    let group = |name: &str| {
        call.as_ref()
            .and_then(|c| c.name(name))
            .map(|t| t.as_str().trim().to_owned())
    };
    let tool = group("tool").or_else(|| title.as_ref().and_then(|t| d.tool_titles.get(t).cloned()));
    let target = group("target");
    let cut_short = target
        .as_deref()
        .is_some_and(|t| d.cut_short.as_ref().is_some_and(|c| c.is_match(t)));
    PermissionRequest {
        tool,
        target,
        cut_short,
        title,
        prompt: menu_prompt(s, rules),
    }
}

pub(crate) fn retry(s: &Screen<'_>, rules: &ScreenRules) -> Option<RetryInfo> {
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

/// The API error the last turn ended with, its wrapped lines joined.
pub(crate) fn error(s: &Screen<'_>, rules: &ScreenRules) -> Option<ApiErrorInfo> {
    let d = &rules.details;
    let range = s.range(Region::LastTurn);
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

fn continuation<'l>(regex: Option<&Regex>, line: &'l str) -> Option<&'l str> {
    Some(regex?.captures(line)?.name("text")?.as_str().trim())
}

/// The last assistant bullet above the live area with its continuation lines (paragraphs kept).
pub(crate) fn last_assistant_message(s: &Screen<'_>, rules: &ScreenRules) -> Option<String> {
    let d = &rules.details;
    let bullet = d.assistant_message.as_ref()?;
    let excluded = |l: &str| {
        d.tool_calls.iter().any(|m| m.regex.is_match(l))
            || d.error_lines.iter().any(|r| r.is_match(l))
            || d.not_messages.iter().any(|r| r.is_match(l))
    };
    let transcript = s.region(Region::Transcript);
    let (start, first) = transcript.iter().enumerate().rev().find_map(|(i, l)| {
        if excluded(l) {
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
