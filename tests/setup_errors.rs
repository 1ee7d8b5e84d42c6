//! A settings file the real Claude Code CLI cannot use (invalid JSON, or settings of the wrong
//! type) in the member's CLI config home: every pinned release stops at its settings-error menu,
//! the profile calls that screen `setup_error` and reads what is wrong, and the controller asks
//! the owner in plain words instead of hanging or restarting in a loop; once the file is fixed
//! and the owner replies, the step runs.

#[macro_use]
mod support;

use support::{cli_support, controller_support};

use std::sync::Arc;
use std::time::Duration;

use autocode::profile::Profile;
use autocode::screen::{State, classify};
use autocode::testkit::claude_env::{ClaudeEnv, claude_binary_for_test};
use autocode::testkit::{MockAnthropic, Script, Turn};
use cli_support::{PrivateTmux, TestHome, preseed};
use controller_support::{VERSIONS, World, agreeable, assert_plain_language};

const START: Duration = Duration::from_secs(30);
const RUN: Duration = Duration::from_secs(120);
const INVALID_JSON: &str = "{\"permissions\": {\"defaultMode\": \"default\",}\n";
const WRONG_TYPES: &str = r#"{"permissions": {"defaultMode": "default", "allow": "Bash"}}"#;

/// The CLI alone in tmux: its screen with `settings` as the config home's settings.json.
async fn cli_screen_with(version: &str, settings: &str) -> Option<(String, String)> {
    let binary = claude_binary_for_test(version).expect("Claude Code installed")?;
    let mock = MockAnthropic::start(Script::new(vec![]))
        .await
        .expect("mock anthropic");
    let home = TestHome::new();
    let env = ClaudeEnv::new(home.path(), mock.base_url());
    preseed(&env, version, &home.workspace());
    let file = env.config_dir().join("settings.json");
    std::fs::write(&file, settings).expect("write settings.json");
    let tmux = PrivateTmux::start();
    tmux.spawn("cli", &home.workspace(), &env.vars(), &binary, &[]);
    let rules = Profile::claude_code()
        .and_then(|p| p.screen_rules(Some(version)))
        .expect("profile rules");
    let screen = tmux
        .wait_screen("cli", START, "a setup error", |s| {
            classify(s, None, &rules).state == State::SetupError
        })
        .await;
    let problem = classify(&screen, None, &rules)
        .setup_problem
        .expect("the problem is read");
    assert!(
        problem.contains(&file.display().to_string()),
        "[{version}] the file is named: {problem}"
    );
    Some((screen, problem))
}

async fn settings_errors_are_setup_errors(version: &'static str) {
    let Some((_, problem)) = cli_screen_with(version, INVALID_JSON).await else {
        return;
    };
    assert!(
        problem.starts_with("Settings Error; ") && problem.contains("Invalid or malformed JSON"),
        "[{version}] {problem}"
    );
    let (_, problem) = cli_screen_with(version, WRONG_TYPES)
        .await
        .expect("installed");
    assert!(
        problem.ends_with("permissions.allow: Expected array, but received string"),
        "[{version}] {problem}"
    );
}

async fn broken_settings_are_reported_to_the_owner(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let config = w.app.data_dir.join("users/alice/config/claude");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(config.join("settings.json"), INVALID_JSON).expect("write settings.json");
    let p = w.project("Broken settings", &[("Say hello", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.start(id).await;
    let stuck = w.wait_status(id, "needs_help", RUN).await;
    let question = stuck["question"].as_str().expect("question");
    assert!(
        question.starts_with("Claude Code cannot start (it says: Settings Error; ")
            && question.contains("settings.json; Invalid or malformed JSON")
            && question.ends_with("Fix this, then reply to start it again."),
        "[{version}] {question}"
    );
    assert_plain_language(&w.logs(id).await);
    assert_eq!(w.prompts_containing("Say hello"), 0, "no step was sent");

    std::fs::write(config.join("settings.json"), "{}").expect("fix settings.json");
    w.anthropic
        .push_turn(Turn::text("Hello! Step 1 is done.").when_user_contains("Say hello"));
    w.message(id, "I fixed the settings file.").await;
    w.wait_status(id, "completed", RUN).await;
    assert_eq!(w.prompts_containing("Say hello"), 1, "the step ran once");
    w.stop().await;
}

macro_rules! per_version {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn v2_1_197() {
                super::$body(super::VERSIONS[0]).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn v2_1_330() {
                super::$body(super::VERSIONS[1]).await;
            }
        }
    };
}

per_version!(cli_screens, settings_errors_are_setup_errors);
per_version!(owner_is_told, broken_settings_are_reported_to_the_owner);
