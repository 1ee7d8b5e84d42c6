use std::collections::BTreeMap;

use super::*;
use crate::agent_config::EnvValue;

fn config() -> FileConfig {
    let mut file = FileConfig::default();
    file.cli_installations.insert(
        "claude-2.1".into(),
        CliInstallation {
            path: "/opt/claude/bin/claude".into(),
            profile: "claude-code".into(),
        },
    );
    file
}

fn with_env(name: &str) -> CliConfig {
    CliConfig {
        env: BTreeMap::from([(name.to_owned(), EnvValue::Literal("x".into()))]),
        ..CliConfig::default()
    }
}

fn with_args(args: &[&str]) -> CliConfig {
    CliConfig {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        ..CliConfig::default()
    }
}

fn field(file: &FileConfig, cli: &CliConfig) -> Option<String> {
    check(file, cli).err().map(|e| e.field)
}

#[test]
fn command_names_a_registered_installation() {
    let file = config();
    let named = CliConfig {
        command: Some("claude-2.1".into()),
        ..CliConfig::default()
    };
    assert_eq!(
        program(&file, &named).expect("registered"),
        Some("/opt/claude/bin/claude".to_owned())
    );
    assert_eq!(
        program(&file, &CliConfig::default()).expect("default"),
        None
    );
    for bad in ["/opt/claude/bin/claude", "/bin/sh", "claude", ""] {
        let cli = CliConfig {
            command: Some(bad.into()),
            ..CliConfig::default()
        };
        assert_eq!(field(&file, &cli).as_deref(), Some("cli.command"), "{bad}");
        assert!(program(&file, &cli).is_err());
    }
}

#[test]
fn an_installation_of_another_profile_is_refused() {
    let mut file = config();
    if let Some(inst) = file.cli_installations.get_mut("claude-2.1") {
        inst.profile = "other".into();
    }
    let cli = CliConfig {
        command: Some("claude-2.1".into()),
        ..CliConfig::default()
    };
    assert_eq!(field(&file, &cli).as_deref(), Some("cli.command"));
}

#[test]
fn reserved_environment_names_are_refused_by_name() {
    let file = config();
    for name in [
        "HOME",
        "CLAUDE_CONFIG_DIR",
        "PATH",
        "SHELL",
        "USER",
        "TMPDIR",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "NODE_OPTIONS",
        "BASH_ENV",
        "BASH_FUNC_autocode%%",
        "TMUX",
        "TMUX_TMPDIR",
        "AUTOCODE_HOOK_SECRET",
        "IS_SANDBOX",
        "XDG_CONFIG_HOME",
        "GIT_CONFIG_COUNT",
        "home",
        // The profile's own variables and the admin's traffic switches.
        "DISABLE_AUTOUPDATER",
        "DISABLE_TELEMETRY",
    ] {
        assert_eq!(
            field(&file, &with_env(name)),
            Some(format!("cli.env.{name}")),
            "{name}"
        );
    }
    for name in [
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "NODE_EXTRA_CA_CERTS",
        "PYTHONPATH",
        "MY_TOKEN",
    ] {
        assert_eq!(field(&file, &with_env(name)), None, "{name}");
    }
}

#[test]
fn arguments_that_switch_off_the_policy_are_refused() {
    let file = config();
    for args in [
        &["--dangerously-skip-permissions"][..],
        &["--allow-dangerously-skip-permissions"],
        &["--permission-mode", "bypassPermissions"],
        &["--permission-mode=acceptEdits"],
        &["--permission-prompt-tool", "mcp__x"],
        &["--allowedTools", "Bash"],
        &["--allowed-tools=Bash(*)"],
        &["--settings", "/tmp/s.json"],
        &["--setting-sources=project"],
        &["--mcp-config", "x.json"],
        &["--plugin-dir", "p"],
        &["--add-dir", "/"],
        &["--model", "x", "--resume", "abc"],
        &["-c"],
        &["-rc"],
        &["--print"],
    ] {
        assert_eq!(
            field(&file, &with_args(args)).as_deref(),
            Some("cli.args"),
            "{args:?}"
        );
    }
    for args in [
        &["--model", "claude-opus-4"][..],
        &["--disallowedTools", "Bash(rm *)"],
        &["--append-system-prompt", "Be brief."],
        &["--verbose"],
    ] {
        assert_eq!(field(&file, &with_args(args)), None, "{args:?}");
    }
}
