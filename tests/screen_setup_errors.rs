//! Setup errors say in the CLI's own words what stops it from starting, for the owner: the
//! settings-error menu of both releases and the connectivity failure.

#[macro_use]
mod support;

use support::screen_support;

use std::path::Path;

use autocode::screen::State;
use screen_support::{LOCAL, classify_fixture, v330};

fn v197(name: &str) -> autocode::screen::Classification {
    classify_fixture(
        &Path::new(LOCAL)
            .join("claude-code-2.1.197-extra")
            .join(name),
        "2.1.197",
    )
}

#[test]
fn a_settings_file_that_is_not_json_is_a_setup_error_naming_the_file() {
    for (c, problem) in [
        (
            v197("90_settings_error_invalid_json.txt"),
            "Invalid or malformed JSON",
        ),
        (
            v330("90_settings_error_invalid_json.txt"),
            "Invalid or malformed JSON (line 1, column 43)",
        ),
    ] {
        assert_eq!(c.state, State::SetupError);
        assert_eq!(
            c.setup_problem.as_deref(),
            Some(format!("Settings Error; /home/alice/.claude/settings.json; {problem}").as_str())
        );
        assert!(c.options.is_empty(), "the menu is not AutoCode's to answer");
    }
}

#[test]
fn settings_of_the_wrong_type_list_every_problem() {
    for c in [
        v197("91_settings_error_wrong_type.txt"),
        v330("91_settings_error_wrong_type.txt"),
    ] {
        assert_eq!(c.state, State::SetupError);
        let problem = c.setup_problem.expect("the problem is read");
        assert!(problem.starts_with("Settings Error; /home/alice/.claude/settings.json; hooks: "));
        assert!(problem.ends_with("; permissions.allow: Expected array, but received string"));
    }
}

#[test]
fn a_failed_connectivity_check_says_so() {
    let c = v330("00_fresh_no_config_connectivity_fail.txt");
    assert_eq!(c.state, State::SetupError);
    assert_eq!(
        c.setup_problem.as_deref(),
        Some(
            "Unable to connect to Anthropic services; Failed to connect to api.anthropic.com: ENOTFOUND"
        )
    );
}
