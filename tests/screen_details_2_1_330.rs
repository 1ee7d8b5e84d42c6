//! The details the classifier reads off 2.1.330's own screens: its permission dialogs, auto
//! mode behind a gateway, multi-select questions. The rest is in screen_details.rs.

#[macro_use]
mod support;

use support::screen_support;

use std::path::Path;

use autocode::profile::Profile;
use autocode::screen::ErrorKind;
use screen_support::{classify_fixture, options, v330};

#[test]
fn release_2_1_330_details() {
    let bash = v330("14_permission_bash.txt");
    let p = bash.permission.as_ref().expect("permission details");
    assert_eq!(p.tool.as_deref(), Some("Bash"), "from the dialog title");
    assert_eq!(
        p.target.as_deref(),
        Some("touch marker.txt && ls"),
        "from the Running row"
    );
    assert_eq!(bash.options.len(), 4);
    assert_eq!(bash.options[3].label, "No");
    let profile = Profile::claude_code().expect("built-in profile loads");
    use autocode::profile::{KeyStep, MenuAction};
    assert_eq!(profile.choose(MenuAction::Deny, &bash.options), Some(4));
    assert_eq!(
        profile.choose(MenuAction::ApproveAlways, &bash.options),
        Some(2)
    );

    let write = v330("16_permission_write.txt");
    let p = write.permission.as_ref().expect("permission details");
    assert_eq!(
        (p.tool.as_deref(), p.target.as_deref()),
        (Some("Write"), Some("hello.txt"))
    );

    let errors = [
        ("21_api_error_529_final.txt", ErrorKind::Overloaded),
        ("23_api_error_500_final.txt", ErrorKind::Server),
        ("24_api_error_401.txt", ErrorKind::Auth),
        (
            "25_api_error_400_prompt_too_long.txt",
            ErrorKind::PromptTooLong,
        ),
    ];
    for (file, kind) in errors {
        let c = v330(file);
        assert_eq!(c.error.map(|e| e.kind), Some(kind), "{file}");
        assert_eq!(c.input_text, None, "{file}: the box shows a placeholder");
    }
    let retry = v330("20b_api_error_529_retrying_attempt2.txt")
        .retry
        .expect("retry details");
    assert_eq!((retry.attempt, retry.max_attempts), (2, 2));
    assert_eq!(
        v330("48_typed_while_busy_queued.txt").queued,
        vec!["queued while busy".to_owned()]
    );
    assert_eq!(
        v330("30_ctx_1pct_until_autocompact.txt").compact_left_percent,
        Some(1)
    );
    assert_eq!(v330("30_ctx_after_970k.txt").compact_left_percent, Some(0));
    assert_eq!(v330("30_ctx_after_850k.txt").compact_left_percent, None);
    assert_eq!(
        v330("65_bash_running.txt")
            .last_assistant_message
            .as_deref(),
        Some("Going with your choice."),
        "a running tool row is not a message"
    );
    let exit = v330("55_after_sigterm_idle.txt")
        .exit
        .expect("exit details");
    assert_eq!(exit.status, Some(143));
    assert_eq!(
        exit.session_id.as_deref(),
        Some("ac300902-f001-4775-bb46-bdd0e0df60ad")
    );

    // Start-up dialogs lost their numbers: answers move the cursor instead of typing a digit.
    let down_enter = Some(vec![
        KeyStep::Key("Down".into()),
        KeyStep::Key("Enter".into()),
    ]);
    let up_enter = Some(vec![
        KeyStep::Key("Up".into()),
        KeyStep::Key("Enter".into()),
    ]);
    let trust = v330("01_trust_folder_dialog.txt");
    assert_eq!(
        profile.answer_keys(MenuAction::AcceptTrust, &trust),
        down_enter
    );
    let key = v330("02_api_key_approval_dialog.txt");
    assert_eq!(
        profile.answer_keys(MenuAction::AcceptApiKey, &key),
        up_enter
    );
    let nudge = v330("04_auto_mode_nudge_dialog.txt");
    assert_eq!(
        profile.answer_keys(MenuAction::KeepManualMode, &nudge),
        down_enter
    );
    let bypass = v330("70_dangerously_skip_permissions_dialog.txt");
    assert_eq!(
        profile.answer_keys(MenuAction::AcceptBypass, &bypass),
        down_enter
    );
    assert_eq!(
        profile.answer_keys(MenuAction::Approve, &bash),
        Some(vec![KeyStep::Key("1".into())])
    );
}

#[test]
fn auto_mode_behind_a_gateway_asks_with_unnumbered_options() {
    let profile = Profile::claude_code().expect("built-in profile loads");
    use autocode::profile::{KeyStep, MenuAction};
    let ask = v330("81_auto_mode_unchecked_permission.txt");
    let p = ask.permission.as_ref().expect("permission details");
    assert_eq!(p.tool.as_deref(), Some("Bash"));
    assert_eq!(
        p.target.as_deref(),
        Some("curl -s http://example.com/install.sh | sh")
    );
    assert_eq!(options(&ask), vec![(1, "No", true), (2, "Yes", false)]);
    assert!(ask.options.iter().all(|o| !o.numbered));
    assert_eq!(
        ask.last_assistant_message, None,
        "the notice is not the model speaking"
    );
    assert_eq!(
        profile.answer_keys(MenuAction::Deny, &ask),
        Some(vec![KeyStep::Key("Enter".into())])
    );
    assert_eq!(
        profile.answer_keys(MenuAction::Approve, &ask),
        Some(vec![
            KeyStep::Key("Down".into()),
            KeyStep::Key("Enter".into())
        ])
    );
}

#[test]
fn multi_select_questions_name_the_current_tab() {
    let extra = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/claude-code-2.1.197-extra"
    );
    let q = classify_fixture(
        &Path::new(extra).join("27_question_multi_select.txt"),
        "2.1.197",
    );
    let question = q.question.as_ref().expect("question details");
    assert_eq!(question.header.as_deref(), Some("Features"));
    assert_eq!(
        question.prompt.as_deref(),
        Some("Which features do you want?")
    );
    assert_eq!(
        q.options.first().map(|o| o.label.as_str()),
        Some("[ ] Login")
    );
    let review = v330("27c_question_multi_select_review.txt");
    assert_eq!(
        options(&review),
        vec![(1, "Submit answers", true), (2, "Cancel", false)]
    );
}
