//! The details the classifier reads off real screens (2.1.197 and 2.1.330 fixtures).

#[macro_use]
mod support;

use support::screen_support;

use std::path::Path;

use autocode::profile::Profile;
use autocode::screen::{ErrorKind, PaneMeta, State, classify};
use screen_support::{SHARED, classify_fixture, options, rules_for, shared};

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
fn text_typed_after_an_error_is_idle_with_input_and_keeps_the_error() {
    let rules = rules_for("2.1.197");
    let screen = std::fs::read_to_string(Path::new(SHARED).join("21_api_error_529_final.txt"))
        .expect("fixture file is readable")
        .replace("❯\u{a0}\n", "❯\u{a0}try again\n");
    let c = classify(&screen, None, &rules);
    assert_eq!(c.state, State::IdleWithInput);
    assert_eq!(c.input_text.as_deref(), Some("try again"));
    assert_eq!(c.error.map(|e| e.kind), Some(ErrorKind::Overloaded));
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
    let wrapped = PaneMeta {
        current_command: "my-claude.sh".into(),
        ..PaneMeta::default()
    };
    assert_eq!(
        classify(&working, Some(&wrapped), &rules).state,
        State::Exited
    );
    let mut custom = (*rules).clone();
    custom.add_process_name("my-claude.sh");
    assert_eq!(
        classify(&working, Some(&wrapped), &custom).state,
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
