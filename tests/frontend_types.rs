//! The frontend's status words (frontend/src/types.ts, written by hand) are the backend's:
//! a status added or renamed on one side only fails here, not in a member's browser.

use autocode::db::logs::Level;
use autocode::db::projects::{ProjectStatus, StepStatus};
use autocode::http::inbox::{ItemKind, PERMISSION_OPTIONS, STALL_OPTIONS};
use serde::Serialize;

fn types_ts() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/frontend/src/types.ts");
    std::fs::read_to_string(path).expect("frontend/src/types.ts")
}

/// The quoted words of the TypeScript text from `start` to the first `end` after it.
fn quoted_after(ts: &str, start: &str, end: char) -> Vec<String> {
    let from = ts
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in types.ts"));
    let rest = &ts[from + start.len()..];
    let body = &rest[..rest.find(end).expect("end of the declaration")];
    body.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// What the backend sends for each value, in declaration order.
fn words<T: Serialize>(all: &[T]) -> Vec<String> {
    all.iter()
        .map(|v| {
            serde_json::to_value(v)
                .expect("serialize")
                .as_str()
                .expect("a string")
                .to_owned()
        })
        .collect()
}

#[test]
fn project_statuses_match() {
    let ts = quoted_after(&types_ts(), "export const PROJECT_STATUSES = [", ']');
    assert_eq!(ts, words(&ProjectStatus::ALL));
    // The database stores the same words the API sends.
    for s in ProjectStatus::ALL {
        assert_eq!(words(&[s]), [s.as_str()]);
    }
}

#[test]
fn step_statuses_match() {
    let ts = quoted_after(&types_ts(), "export type StepStatus =", ';');
    assert_eq!(ts, words(&StepStatus::ALL));
}

#[test]
fn log_levels_match() {
    let source = types_ts();
    assert_eq!(
        quoted_after(&source, "export type LogLevel =", ';'),
        words(&Level::ALL)
    );
    assert_eq!(
        quoted_after(
            &source,
            "export const LOG_LEVELS: readonly LogLevel[] = [",
            ']'
        ),
        words(&Level::ALL)
    );
    for l in Level::ALL {
        assert_eq!(words(&[l]), [l.as_str()]);
    }
}

#[test]
fn inbox_item_kinds_and_options_match() {
    let source = types_ts();
    assert_eq!(
        quoted_after(&source, "export type InboxItemKind =", ';'),
        words(&ItemKind::ALL)
    );
    let options: Vec<&str> = PERMISSION_OPTIONS
        .into_iter()
        .chain(STALL_OPTIONS)
        .collect();
    assert_eq!(
        quoted_after(&source, "export type InboxOption =", ';'),
        options
    );
}
