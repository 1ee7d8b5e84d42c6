//! The screen fixtures captured by this repository are what their INDEX.md files say: every
//! screen is listed, every quoted piece of evidence is really on that screen, every state is
//! one of the known states, and the pane metadata quoted in `meta/INDEX.md` matches the
//! `.meta.json` beside the screen. Classifier tests rely on these files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The vocabulary of the 2.1.197 fixtures, plus the dialog 2.1.330 added.
const STATES: &[&str] = &[
    "starting",
    "trust_dialog",
    "api_key_dialog",
    "bypass_dialog",
    "auto_mode_dialog",
    "setup_error",
    "idle",
    "idle_with_input",
    "working",
    "retrying",
    "permission",
    "question",
    "compacting",
    "api_error",
    "exited",
];

struct Row {
    file: String,
    state: String,
    cells: Vec<String>,
    evidence: Vec<String>,
}

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

/// Splits a markdown table row on `|`, keeping escaped `\|` inside cells.
fn cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.trim().trim_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cell.push('|');
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

fn rows(index: &Path) -> Vec<Row> {
    let text =
        std::fs::read_to_string(index).unwrap_or_else(|e| panic!("{}: {e}", index.display()));
    text.lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells = cells(line);
            let evidence = cells
                .last()
                .expect("evidence cell")
                .split("<br>")
                .filter_map(|quote| quote.strip_prefix('`').and_then(|q| q.strip_suffix('`')))
                .map(|quote| quote.replace('⏎', "\n"))
                .collect();
            Row {
                file: cells[0].trim_matches('`').to_owned(),
                state: cells[1].clone(),
                cells,
                evidence,
            }
        })
        .collect()
}

fn screens(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".txt"))
        .collect()
}

fn check_index(dir: &Path) -> Vec<Row> {
    let rows = rows(&dir.join("INDEX.md"));
    assert!(!rows.is_empty(), "{} lists no screens", dir.display());
    let listed: BTreeSet<String> = rows.iter().map(|r| r.file.clone()).collect();
    assert_eq!(
        listed,
        screens(dir),
        "INDEX.md and the screens in {} differ",
        dir.display()
    );
    for row in &rows {
        assert!(
            STATES.contains(&row.state.as_str()),
            "{}: unknown state {}",
            row.file,
            row.state
        );
        let screen = std::fs::read_to_string(dir.join(&row.file)).expect("screen");
        for quote in &row.evidence {
            assert!(
                screen.contains(quote.as_str()),
                "{}: evidence {quote:?} not on screen",
                row.file
            );
        }
    }
    rows
}

fn check_meta_index(dir: &Path) {
    for row in check_index(&dir.join("meta")) {
        let meta_path = dir
            .join("meta")
            .join(row.file.replace(".txt", ".meta.json"));
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&meta_path).expect("meta json"))
                .expect("json");
        let parts: Vec<&str> = row.cells[2].split(" · ").collect();
        let field = |name: &str| meta[name].as_str().unwrap_or_default().to_owned();
        assert_eq!(
            parts[parts.len() - 4],
            field("pane_dead"),
            "{}: pane_dead",
            row.file
        );
        assert_eq!(
            parts[parts.len() - 2],
            field("pane_current_command"),
            "{}: command",
            row.file
        );
        assert_eq!(
            parts[parts.len() - 1],
            field("alternate_on"),
            "{}: alternate_on",
            row.file
        );
        let dead = field("pane_dead") == "1";
        assert_eq!(
            row.state == "exited",
            dead,
            "{}: exited exactly when the pane is dead",
            row.file
        );
        assert!(
            dir.join("meta")
                .join(row.file.replace(".txt", ".ansi"))
                .exists()
        );
    }
}

#[test]
fn claude_code_2_1_330_fixtures_match_their_index() {
    let dir = fixtures("claude-code-2.1.330");
    let rows = check_index(&dir);
    let states: BTreeSet<&str> = rows.iter().map(|r| r.state.as_str()).collect();
    for needed in [
        "trust_dialog",
        "idle",
        "working",
        "permission",
        "question",
        "retrying",
        "api_error",
        "exited",
    ] {
        assert!(states.contains(needed), "no {needed} screen");
    }
    check_meta_index(&dir);
}

#[test]
fn claude_code_2_1_197_extra_fixtures_match_their_index() {
    let dir = fixtures("claude-code-2.1.197-extra");
    check_index(&dir);
    check_meta_index(&dir);
}

#[test]
fn table_cells_keep_escaped_pipes() {
    assert_eq!(
        cells(r"| `a` | b \| c | `d` |"),
        vec!["`a`", "b | c", "`d`"]
    );
}
