use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;
use crate::screen::{State, classify};

#[test]
fn every_builtin_profile_loads() {
    for name in Profile::builtin_names() {
        let profile = Profile::builtin(name).expect("built-in profile loads");
        assert_eq!(profile.name, name);
    }
    assert!(matches!(
        Profile::builtin("nope"),
        Err(ProfileError::Unknown(_))
    ));
}

fn session(dir: &std::path::Path) -> SessionContext {
    SessionContext {
        member_dir: dir.to_owned(),
        workspace: dir.join("work"),
        config_dir: dir.join("cfg"),
        settings_file: dir.join("session/settings.json"),
        api_key: Some("sk-ant-test-abcdefghij0123456789".into()),
        cli_version: Some("2.1.197".into()),
        auto_mode: false,
    }
}

#[test]
fn claude_code_launch_line_resumes_as_asked() {
    let profile = Profile::claude_code().expect("built-in profile loads");
    let ctx = session(std::path::Path::new("/d"));
    let fresh = profile
        .launch(&ctx, &Resume::Fresh)
        .expect("launch line builds");
    assert_eq!(fresh.program, "claude");
    assert_eq!(fresh.args, vec!["--settings", "/d/session/settings.json"]);
    assert_eq!(fresh.cwd, PathBuf::from("/d/work"));
    assert!(
        fresh
            .env
            .contains(&("CLAUDE_CONFIG_DIR".into(), "/d/cfg".into()))
    );
    let cont = profile
        .launch(&ctx, &Resume::Continue)
        .expect("launch line builds");
    assert_eq!(cont.args.last().map(String::as_str), Some("--continue"));
    let by_id = profile
        .launch(&ctx, &Resume::Session("abc-123".into()))
        .expect("launch line builds");
    assert_eq!(
        by_id.args[2..],
        ["--resume".to_owned(), "abc-123".to_owned()]
    );
}

#[test]
fn claude_code_preseed_writes_onboarding_trust_and_key_approval() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ctx = session(dir.path());
    std::fs::create_dir_all(&ctx.workspace).expect("dir created");
    std::fs::create_dir_all(&ctx.config_dir).expect("dir created");
    let config = ctx.config_dir.join(".claude.json");
    std::fs::write(
        &config,
        r#"{"userID": "u1", "customApiKeyResponses": {"approved": ["old"]}}"#,
    )
    .expect("file written");

    let profile = Profile::claude_code().expect("built-in profile loads");
    let written = profile.preseed(&ctx).expect("pre-seed succeeds");
    assert_eq!(written, vec![config.clone(), ctx.settings_file.clone()]);

    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&config).expect("fixture file is readable"))
            .expect("valid JSON/TOML");
    assert_eq!(doc["userID"], "u1", "existing keys are kept");
    assert_eq!(doc["hasCompletedOnboarding"], true);
    assert_eq!(doc["lastOnboardingVersion"], "2.1.197");
    assert_eq!(doc["hasSeenAutoDefaultNudge"], true);
    assert_eq!(
        doc["customApiKeyResponses"]["approved"],
        json!(["old", "abcdefghij0123456789"])
    );
    let workspace = ctx.workspace.canonicalize().expect("workspace exists");
    let project = &doc["projects"][workspace.to_str().expect("UTF-8 temp path")];
    assert_eq!(project["hasTrustDialogAccepted"], true);

    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(&ctx.settings_file).expect("fixture file is readable"),
    )
    .expect("valid JSON/TOML");
    assert_eq!(settings, json!({"permissions": {"defaultMode": "default"}}));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config)
            .expect("file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Running it again changes nothing (no duplicate approvals).
    profile.preseed(&ctx).expect("pre-seed succeeds");
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(&config).expect("fixture file is readable"))
            .expect("valid JSON/TOML");
    assert_eq!(again, doc);
}

const OVERRIDE: &str = r#"
[[screen_overrides]]
min_version = "3.0.0"
[screen_overrides.screen.layout]
input = '^> (?P<text>.*)$'
"#;

#[test]
fn version_overrides_patch_only_their_range() {
    let base = include_str!("../../profiles/claude-code.toml");
    let profile = Profile::from_toml(&format!("{base}\n{OVERRIDE}")).expect("profile loads");
    let screen = "────────────────────────────────\n> hello\n────────────────────────────────\n";
    let old = profile
        .screen_rules(Some("2.1.197"))
        .expect("rules compile");
    let new = profile.screen_rules(Some("3.0.1")).expect("rules compile");
    assert_eq!(classify(screen, None, &old).state, State::Starting);
    let c = classify(screen, None, &new);
    assert_eq!(
        (c.state, c.input_text.as_deref()),
        (State::IdleWithInput, Some("hello"))
    );
}

#[test]
fn broken_rules_are_rejected_when_the_profile_loads() {
    let base = include_str!("../../profiles/claude-code.toml");
    let bad_regex = OVERRIDE.replace("'^> (?P<text>.*)$'", "'^> (?P<text>.*$'");
    assert!(matches!(
        Profile::from_toml(&format!("{base}\n{bad_regex}")),
        Err(ProfileError::Rules { .. })
    ));
    let missing_group = OVERRIDE.replace("(?P<text>.*)", "(.*)");
    let err = Profile::from_toml(&format!("{base}\n{missing_group}")).expect_err("must fail");
    assert!(err.to_string().contains("`text`"), "{err}");
}

/// The 2.1.330 trust dialog: options drawn without numbers, "No, exit" preselected.
const UNNUMBERED_TRUST: &str = "\n────────────────────────────────────────\n Accessing workspace:\n\n /w\n\n Quick safety check: Is this a project you created or one you trust?\n\n ❯ No, exit\n   Yes, I trust this folder\n\n Enter to confirm · Esc to cancel\n";

#[test]
fn answers_use_digits_on_numbered_menus_and_arrows_otherwise() {
    let profile = Profile::claude_code().expect("built-in profile loads");
    let rules = profile
        .screen_rules(Some("2.1.330"))
        .expect("rules compile");
    let trust = classify(UNNUMBERED_TRUST, None, &rules);
    assert_eq!(trust.state, State::TrustDialog);
    assert!(trust.options.iter().all(|o| !o.numbered));
    assert_eq!(
        profile.answer_keys(MenuAction::AcceptTrust, &trust),
        Some(vec![
            KeyStep::Key("Down".into()),
            KeyStep::Key("Enter".into())
        ])
    );

    let numbered = UNNUMBERED_TRUST
        .replace("❯ No, exit", "❯ 1. No, exit")
        .replace("  Yes, I trust", "  2. Yes, I trust");
    let trust = classify(&numbered, None, &rules);
    assert_eq!(
        profile.answer_keys(MenuAction::AcceptTrust, &trust),
        Some(vec![KeyStep::Key("2".into())])
    );
    assert_eq!(profile.answer_keys(MenuAction::AcceptBypass, &trust), None);
}

/// A made-up CLI with a `> ` prompt: a new profile file is all it takes.
const TOY_PROFILE: &str = r#"
name = "toy"
display_name = "Toy CLI"

[launch]
command = "toy"
args = ["--workdir", "{workspace}"]
continue_args = ["--resume-last"]

[keys]
submit = [{ key = "Enter" }]
interrupt = [{ key = "C-c" }]
quit = [{ text = "/quit" }, { key = "Enter" }]

[choices]
approve = { label = '^(?i)allow$' }

[screen.layout]
rule = '^={10,}$'
# Trailing blanks are trimmed from every line, so an empty box is a bare `>`.
input = '^>(?: (?P<text>.*))?$'
input_continuation = '^\.\. (?P<text>.*)$'
user_echo = '^you: '

[[screen.rules]]
state = "permission"
input_box = "absent"
all = [{ region = "live", pattern = '^Allow ' }]

[[screen.rules]]
state = "working"
all = [{ region = "below_box", pattern = 'thinking' }]

[[screen.rules]]
state = "idle_with_input"
input = "text"

[[screen.rules]]
state = "idle"
input_box = "present"

[screen.details]
option = '^\s*(?:(?P<cursor>\*)\s*)?(?P<number>\d+)\) (?P<label>.+)$'
assistant_message = '^toy: (?P<text>.+)$'
"#;

#[test]
fn a_second_cli_is_just_another_profile() {
    let profile = Profile::from_toml(TOY_PROFILE).expect("profile loads");
    let rules = profile.screen_rules(None).expect("rules compile");
    let idle = classify(
        "you: hi\ntoy: hello there\n==========\n> \n==========\n",
        None,
        &rules,
    );
    assert_eq!(idle.state, State::Idle);
    assert_eq!(idle.last_assistant_message.as_deref(), Some("hello there"));
    let busy = classify(
        "you: hi\n==========\n> \n==========\nthinking...\n",
        None,
        &rules,
    );
    assert_eq!(busy.state, State::Working);
    let typed = classify(
        "==========\n> fix it\n.. please\n==========\n",
        None,
        &rules,
    );
    assert_eq!(typed.input_text.as_deref(), Some("fix it\nplease"));
    let ask = classify(
        "you: go\n==========\nAllow shell?\n* 1) allow\n  2) deny\n",
        None,
        &rules,
    );
    assert_eq!(ask.state, State::Permission);
    assert_eq!(
        profile.answer_keys(MenuAction::Approve, &ask),
        Some(vec![KeyStep::Key("1".into())])
    );
    let launch = profile
        .launch(&session(std::path::Path::new("/d")), &Resume::Continue)
        .expect("launch line builds");
    assert_eq!(launch.args, vec!["--workdir", "/d/work", "--resume-last"]);
}

#[test]
fn a_tool_call_line_cut_short_is_flagged() {
    let rules = Profile::claude_code()
        .and_then(|p| p.screen_rules(Some("2.1.330")))
        .expect("rules");
    let screen = include_str!("../../tests/fixtures/claude-code-2.1.330/14_permission_bash.txt");
    let permission = |s: &str| classify(s, None, &rules).permission.expect("a permission");
    let whole = permission(screen);
    assert_eq!(whole.target.as_deref(), Some("touch marker.txt && ls"));
    assert!(!whole.cut_short);
    let cut = permission(&screen.replace(
        "  Running touch marker.txt && ls",
        "  Running touch marker.txt && echo xxxxxxxx\u{2026}",
    ));
    assert_eq!(
        cut.target.as_deref(),
        Some("touch marker.txt && echo xxxxxxxx\u{2026}")
    );
    assert!(cut.cut_short);
}
