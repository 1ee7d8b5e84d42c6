//! Every captured screen listed in a fixture INDEX.md is classified as its State column says.
//! Fixture sets: the shared 2.1.197 captures and any `tests/fixtures/claude-code-<version>*/`
//! (each with an optional `meta/` set); the rules used are the profile's for that version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use autocode::profile::Profile;
use autocode::screen::{Classification, ErrorKind, PaneMeta, ScreenRules, State, classify};

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/claude-code-2.1.197"
);
const LOCAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

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

/// Compiled rules per version: compiling is slow in debug builds, and the fixtures share them.
fn rules_for(version: &str) -> Arc<ScreenRules> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<ScreenRules>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("cache lock");
    cache
        .entry(version.to_owned())
        .or_insert_with(|| {
            Arc::new(
                Profile::claude_code()
                    .expect("built-in profile loads")
                    .screen_rules(Some(version))
                    .expect("rules compile"),
            )
        })
        .clone()
}

fn classify_fixture(file: &Path, version: &str) -> Classification {
    let rules = rules_for(version);
    let screen =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let meta_path = file.with_extension("meta.json");
    let meta: Option<PaneMeta> = meta_path.exists().then(|| {
        serde_json::from_str(
            &std::fs::read_to_string(&meta_path).expect("fixture file is readable"),
        )
        .expect("valid JSON/TOML")
    });
    classify(&screen, meta.as_ref(), &rules)
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

fn shared(name: &str) -> Classification {
    classify_fixture(&Path::new(SHARED).join(name), "2.1.197")
}

fn options(c: &Classification) -> Vec<(u32, &str, bool)> {
    c.options
        .iter()
        .map(|o| (o.number, o.label.as_str(), o.selected))
        .collect()
}

#[test]
fn permission_prompts_carry_tool_target_and_options() {
    let bash = shared("14_permission_bash.txt");
    let p = bash.permission.as_ref().expect("permission details");
    assert_eq!(p.tool.as_deref(), Some("Bash"));
    assert_eq!(p.target.as_deref(), Some("touch marker.txt && ls"));
    assert_eq!(p.title.as_deref(), Some("Bash command"));
    assert_eq!(p.prompt.as_deref(), Some("Do you want to proceed?"));
    assert_eq!(
        options(&bash),
        vec![
            (1, "Yes", true),
            (
                2,
                "Yes, and always allow access to demo/ from this project",
                false
            ),
            (3, "No", false),
        ]
    );

    let write = shared("16_permission_write.txt");
    let p = write.permission.as_ref().expect("permission details");
    assert_eq!(p.tool.as_deref(), Some("Write"));
    assert_eq!(p.target.as_deref(), Some("hello.txt"));
    assert_eq!(
        p.prompt.as_deref(),
        Some("Do you want to create hello.txt?")
    );
    assert_eq!(
        options(&write),
        vec![
            (1, "Yes", true),
            (
                2,
                "Yes, allow all edits during this session (shift+tab)",
                false
            ),
            (3, "No", false),
        ]
    );
}

#[test]
fn api_errors_carry_their_kind_and_message() {
    let cases = [
        (
            "21_api_error_529_final.txt",
            ErrorKind::Overloaded,
            "API Error: 529 Overloaded.",
        ),
        (
            "23_api_error_500_final.txt",
            ErrorKind::Server,
            "API Error: 500 Internal server error",
        ),
        (
            "24_api_error_401.txt",
            ErrorKind::Auth,
            "Invalid API key · Fix external API key",
        ),
        (
            "25_api_error_400_prompt_too_long.txt",
            ErrorKind::PromptTooLong,
            "Prompt is too long",
        ),
    ];
    for (file, kind, start) in cases {
        let c = shared(file);
        let error = c
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{file}: no error"));
        assert_eq!(error.kind, kind, "{file}");
        assert!(
            error.message.starts_with(start),
            "{file}: {:?}",
            error.message
        );
    }
    let long = shared("25_api_error_400_prompt_too_long.txt")
        .error
        .expect("error details")
        .message;
    assert!(
        long.ends_with("/clear to start fresh"),
        "wrapped message is joined: {long:?}"
    );
}

#[test]
fn context_percentage_is_read_from_the_footer() {
    let cases = [
        ("30_ctx1M_footer_97pct_context_used.txt", Some(97)),
        ("30_ctx1M_footer_100pct_context_used.txt", Some(100)),
        ("31_ctx200k_after_150k.txt", None),
        ("32_sonnet200k_after_150k.txt", Some(83)),
        ("32_sonnet200k_after_170k.txt", Some(94)),
        ("32_sonnet200k_after_190k.txt", Some(100)),
    ];
    for (file, percent) in cases {
        assert_eq!(shared(file).context_used_percent, percent, "{file}");
    }
}

#[test]
fn queued_input_and_box_text_are_told_apart() {
    let queued = shared("48_typed_while_busy_queued.txt");
    assert_eq!(queued.queued, vec!["queued while busy".to_owned()]);
    assert_eq!(queued.input_text, None, "the box only shows a placeholder");
    assert_eq!(
        shared("11_typed_not_submitted.txt").input_text.as_deref(),
        Some("say hello")
    );
    assert_eq!(
        shared("40_paste_bracketed_short_in_box.txt")
            .input_text
            .as_deref(),
        Some("line one of paste\nline two of paste\nline three of paste")
    );
    assert!(shared("49_after_queued.txt").queued.is_empty());
}

#[test]
fn retry_progress_is_read() {
    let retry = shared("20_api_error_529_retrying.txt")
        .retry
        .expect("retry details");
    assert_eq!(
        (retry.attempt, retry.max_attempts, retry.delay_secs),
        (1, 2, Some(1))
    );
}

#[test]
fn last_assistant_message_skips_tool_calls_and_errors() {
    assert_eq!(
        shared("13_finished_text_reply.txt")
            .last_assistant_message
            .as_deref(),
        Some("Hello from the mock! This is turn one.")
    );
    assert_eq!(
        shared("14_permission_bash.txt")
            .last_assistant_message
            .as_deref(),
        Some("I'll run a command.")
    );
    assert_eq!(
        shared("18_after_write_finished.txt")
            .last_assistant_message
            .as_deref(),
        Some("Wrote hello.txt. Done with the Write step.")
    );
    assert_eq!(
        shared("21_api_error_529_final.txt").last_assistant_message,
        None
    );
    let answered = classify_fixture(
        &Path::new(SHARED).join("meta/28_question_answered_idle.txt"),
        "2.1.197",
    );
    assert_eq!(
        answered.last_assistant_message.as_deref(),
        Some("Thanks, noted your choice.")
    );
}

#[test]
fn questions_and_dialogs_carry_their_options() {
    let q = classify_fixture(
        &Path::new(SHARED).join("meta/26_question_ask_user.txt"),
        "2.1.197",
    );
    let question = q.question.as_ref().expect("question details");
    assert_eq!(question.header.as_deref(), Some("Database"));
    assert_eq!(
        question.prompt.as_deref(),
        Some("Which database should the app use?")
    );
    assert_eq!(
        options(&q),
        vec![
            (1, "SQLite (Recommended)", true),
            (2, "PostgreSQL", false),
            (3, "Type something.", false),
            (4, "Chat about this", false),
        ]
    );
    let key = shared("02_api_key_approval_dialog.txt");
    assert_eq!(
        options(&key),
        vec![(1, "Yes", false), (2, "No (recommended)", true)]
    );
    let profile = Profile::claude_code().expect("built-in profile loads");
    use autocode::profile::MenuAction;
    assert_eq!(
        profile.choose(MenuAction::AcceptApiKey, &key.options),
        Some(1)
    );
    let bypass = shared("70_dangerously_skip_permissions_dialog.txt");
    assert_eq!(
        profile.choose(MenuAction::AcceptBypass, &bypass.options),
        Some(2)
    );
    let bash = shared("14_permission_bash.txt");
    assert_eq!(profile.choose(MenuAction::Approve, &bash.options), Some(1));
    assert_eq!(
        profile.choose(MenuAction::ApproveAlways, &bash.options),
        Some(2)
    );
    assert_eq!(profile.choose(MenuAction::Deny, &bash.options), Some(3));
}

#[test]
fn exit_details_come_from_metadata_and_the_resume_hint() {
    let exited = shared("51_ctrl_c_twice_exited.txt");
    let exit = exited.exit.expect("exit details");
    assert_eq!(
        exit.session_id.as_deref(),
        Some("0eab21e7-dc9b-4bb3-a28a-6338ca82ac22")
    );
    let killed = shared("59_kill9_remain_on_exit.txt")
        .exit
        .expect("exit details");
    assert_eq!((killed.status, killed.signal), (None, Some(9)));
}

#[test]
fn a_dead_pane_is_exited_whatever_the_frame_but_setup_errors_say_why() {
    let rules = rules_for("2.1.197");
    let dead = PaneMeta {
        dead: true,
        dead_status: Some(1),
        ..PaneMeta::default()
    };
    let working =
        std::fs::read_to_string(Path::new(SHARED).join("12_working_esc_to_interrupt.txt"))
            .expect("fixture file is readable");
    assert_eq!(classify(&working, None, &rules).state, State::Working);
    assert_eq!(classify(&working, Some(&dead), &rules).state, State::Exited);
    let setup =
        std::fs::read_to_string(Path::new(SHARED).join("00_fresh_no_config_connectivity_fail.txt"))
            .expect("fixture file is readable");
    assert_eq!(
        classify(&setup, Some(&dead), &rules).state,
        State::SetupError
    );
    let alive = PaneMeta {
        current_command: "claude".into(),
        ..PaneMeta::default()
    };
    assert_eq!(
        classify(&working, Some(&alive), &rules).state,
        State::Working
    );
    let launching = PaneMeta {
        current_command: "env".into(),
        ..PaneMeta::default()
    };
    assert_eq!(
        classify("", Some(&launching), &rules).state,
        State::Starting
    );
}
