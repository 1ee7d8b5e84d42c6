//! Every captured screen listed in a fixture INDEX.md is classified as its State column says.
//! Fixture sets: the shared 2.1.197 captures and any `tests/fixtures/claude-code-<version>*/`
//! (each with an optional `meta/` set); the rules used are the profile's for that version.

#[macro_use]
mod support;

use support::screen_support;

use std::path::{Path, PathBuf};

use autocode::screen::State;
use screen_support::{LOCAL, SHARED, classify_fixture};

struct Case {
    file: PathBuf,
    state: State,
}

/// Rows of an INDEX.md table: the `File` and `State` columns.
fn index_cases(dir: &Path) -> Vec<Case> {
    let index = dir.join("INDEX.md");
    let text =
        std::fs::read_to_string(&index).unwrap_or_else(|e| panic!("{}: {e}", index.display()));
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect()
    };
    let mut columns = None;
    let mut cases = Vec::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with('|')) {
        let row = cells(line);
        let Some((file_col, state_col)) = columns else {
            let find = |name: &str| row.iter().position(|c| c == name);
            if let (Some(f), Some(s)) = (find("File"), find("State")) {
                columns = Some((f, s));
            }
            continue;
        };
        if row
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
        {
            continue;
        }
        let file = row[file_col].trim_matches('`');
        let state: State =
            serde_json::from_value(serde_json::Value::String(row[state_col].clone()))
                .unwrap_or_else(|e| {
                    panic!("{}: bad state {:?}: {e}", index.display(), row[state_col])
                });
        cases.push(Case {
            file: dir.join(file),
            state,
        });
    }
    assert!(!cases.is_empty(), "{} lists no fixtures", index.display());
    cases
}

/// (fixture dir, CLI version) for every fixture set present.
fn fixture_sets() -> Vec<(PathBuf, String)> {
    let mut sets = vec![(PathBuf::from(SHARED), "2.1.197".to_owned())];
    if let Ok(entries) = std::fs::read_dir(LOCAL) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(version) = name.strip_prefix("claude-code-")
                && entry.path().join("INDEX.md").exists()
            {
                let version = version.split('-').next().unwrap_or(version).to_owned();
                sets.push((entry.path(), version));
            }
        }
    }
    let with_meta: Vec<_> = sets
        .iter()
        .filter(|(dir, _)| dir.join("meta/INDEX.md").exists())
        .map(|(dir, v)| (dir.join("meta"), v.clone()))
        .collect();
    sets.extend(with_meta);
    sets
}

#[test]
fn every_indexed_fixture_is_classified_as_its_index_says() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (dir, version) in fixture_sets() {
        for case in index_cases(&dir) {
            count += 1;
            let got = classify_fixture(&case.file, &version);
            if got.state != case.state {
                failures.push(format!(
                    "{} ({version}): expected {}, got {}",
                    case.file.display(),
                    case.state,
                    serde_json::to_string(&got).expect("serialisable")
                ));
            }
        }
    }
    // The shared 2.1.197 set alone has 63 screens plus 14 with metadata.
    assert!(count >= 77, "only {count} fixtures found");
    assert!(
        failures.is_empty(),
        "{} of {count} misclassified:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
