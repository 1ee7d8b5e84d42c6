//! The classifier proper: picks the state by the first rule that holds, then reads the details.

use super::compiled::{Matcher, Rule, ScreenRules};
use super::details;
use super::layout::Screen;
use super::meta::PaneMeta;
use super::rules::{BoxCondition, InputCondition};
use super::state::{Classification, ExitInfo, QuestionRequest, State};

/// Classifies one screen (the text of `tmux capture-pane -p`, or an emulator's rows joined with
/// `\n`). `meta` decides what the frame cannot: a dead pane is `exited` whatever its frozen last
/// frame shows, unless the frame shows a setup failure, which says why it died.
pub fn classify(screen: &str, meta: Option<&PaneMeta>, rules: &ScreenRules) -> Classification {
    let s = Screen::parse(screen, &rules.layout);
    let error = details::error(&s, rules);
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

    let d = &rules.details;
    let mut c = Classification::new(state);
    // A dead pane's input box is a frozen frame (or whatever the launcher printed over it).
    if state != State::Exited {
        c.input_text = s.input_box.as_ref().and_then(|b| b.text.clone());
        if let Some(m) = &d.queued {
            c.queued = details::captures(&s, m, "text");
        }
    }
    c.last_assistant_message = details::last_assistant_message(&s, rules);
    c.context_used_percent = d
        .context
        .as_ref()
        .and_then(|m| details::captures(&s, m, "percent").into_iter().next())
        .and_then(|p| p.parse().ok());
    c.compact_left_percent = d
        .compact_left
        .as_ref()
        .and_then(|m| details::compact_left(&s, m));
    match state {
        State::Permission => {
            c.options = details::options(&s, rules);
            c.permission = Some(details::permission(&s, rules));
        }
        State::Question => {
            c.options = details::options(&s, rules);
            c.question = Some(QuestionRequest {
                header: details::live_text(&s, d.question_header.as_ref()),
                prompt: details::menu_prompt(&s, rules),
            });
        }
        State::TrustDialog | State::ApiKeyDialog | State::BypassDialog | State::AutoModeDialog => {
            c.options = details::options(&s, rules);
        }
        // With text typed after a failed turn the error still describes that turn.
        State::ApiError | State::IdleWithInput => c.error = error,
        State::Retrying => c.retry = details::retry(&s, rules),
        State::SetupError => c.setup_problem = details::setup_problem(&s, rules),
        State::Exited => {
            c.exit = Some(ExitInfo {
                status: meta.and_then(|m| m.dead_status),
                signal: meta.and_then(|m| m.dead_signal),
                session_id: d
                    .resume
                    .as_ref()
                    .and_then(|m| details::captures(&s, m, "session_id").pop()),
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
