//! The typed parts of an agent template that the controller acts on: which tools the
//! supervising agent may call, the permission policy, and how to launch the coding CLI.
//! Validation lives here so the API and the controller agree on what is well-formed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Every tool the supervising agent can be given; an agent's `tools` picks from these.
pub const TOOL_NAMES: &[&str] = &[
    "send_message",
    "answer_prompt",
    "press_key",
    "mark_step_done",
    "mark_step_failed",
    "add_step",
    "update_step",
    "ask_human",
    "restart_cli",
    "remember",
    "wait",
];

pub const LLM_PROVIDERS: &[&str] = &["openai", "openrouter", "ollama", "custom"];

/// The CLI profiles this build ships.
pub const CLI_PROFILES: &[&str] = &["claude-code"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PermissionPolicy {
    /// Patterns (`Tool` or `Tool(command or path glob)`) approved without asking.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Patterns always denied; deny wins over allow.
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default = "default_decision")]
    pub default: PolicyDefault,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PolicyDefault {
    /// The supervising LLM decides with the project's context.
    Llm,
    /// The project asks its owner (needs_help).
    Ask,
    /// Approve anything not denied.
    Approve,
}

fn default_decision() -> PolicyDefault {
    PolicyDefault::Llm
}

impl Default for PermissionPolicy {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            default: PolicyDefault::Llm,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CliConfig {
    #[serde(default = "default_profile")]
    pub profile: String,
    /// Name of a CLI installation the admin registered (`[cli_installations]` in
    /// `autocode.toml`); the profile's default program on the daemon's `PATH` otherwise.
    /// See [`crate::launch_rules`].
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Extra environment. A value is a literal or a reference to one of the user's stored
    /// API keys, so keys are never stored in plain text in the template.
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    /// Let the CLI judge tool calls itself (its "auto mode") instead of our policy.
    #[serde(default)]
    pub auto_mode: bool,
}

fn default_profile() -> String {
    "claude-code".to_owned()
}

impl Default for CliConfig {
    fn default() -> Self {
        Self {
            profile: default_profile(),
            command: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            auto_mode: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum EnvValue {
    Literal(String),
    ApiKey { api_key_id: i64 },
}

/// A field that failed validation, and why (becomes a 422).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

pub fn validate_tools(tools: &[String]) -> Result<(), FieldError> {
    match tools.iter().find(|t| !TOOL_NAMES.contains(&t.as_str())) {
        Some(bad) => Err(FieldError::new(
            "tools",
            format!("unknown tool {bad:?}; known: {}", TOOL_NAMES.join(", ")),
        )),
        None => Ok(()),
    }
}

pub fn validate_cli(cli: &CliConfig) -> Result<(), FieldError> {
    if !CLI_PROFILES.contains(&cli.profile.as_str()) {
        return Err(FieldError::new(
            "cli.profile",
            format!("unknown profile; known: {}", CLI_PROFILES.join(", ")),
        ));
    }
    if let Some(cmd) = &cli.command
        && (cmd.is_empty() || cmd.contains('\0'))
    {
        return Err(FieldError::new(
            "cli.command",
            "must be the name of a registered CLI installation",
        ));
    }
    if cli.args.iter().any(|a| a.contains('\0')) {
        return Err(FieldError::new(
            "cli.args",
            "must not contain NUL characters",
        ));
    }
    for (name, value) in &cli.env {
        let valid_name = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid_name {
            return Err(FieldError::new(
                "cli.env",
                format!("{name:?} is not a valid environment variable name"),
            ));
        }
        if let EnvValue::Literal(v) = value
            && v.contains('\0')
        {
            return Err(FieldError::new("cli.env", format!("{name} contains NUL")));
        }
    }
    Ok(())
}

/// `workspace_base` is a relative path of plain names under the user's directory.
pub fn validate_workspace_base(base: &str) -> Result<(), FieldError> {
    let ok = !base.is_empty()
        && base.len() <= 100
        && base.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        });
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "workspace_base",
            "must be a relative path of plain names (a-z, 0-9, '.', '_', '-'), e.g. \"projects\"",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_are_literal_or_key_references() {
        let cli: CliConfig = serde_json::from_str(
            r#"{"profile":"claude-code","env":{"A":"x","ANTHROPIC_API_KEY":{"api_key_id":3}}}"#,
        )
        .expect("parse");
        assert_eq!(
            cli.env["ANTHROPIC_API_KEY"],
            EnvValue::ApiKey { api_key_id: 3 }
        );
        assert!(validate_cli(&cli).is_ok());
        let mut bad = cli.clone();
        bad.env.insert("1BAD".into(), EnvValue::Literal("x".into()));
        assert_eq!(
            validate_cli(&bad).map_err(|e| e.field),
            Err("cli.env".to_owned())
        );
        bad = cli;
        bad.profile = "vim".into();
        assert!(validate_cli(&bad).is_err());
    }

    #[test]
    fn workspace_base_stays_relative() {
        assert!(validate_workspace_base("projects").is_ok());
        assert!(validate_workspace_base("work/rust").is_ok());
        for bad in ["", "/abs", "../up", "a/../b", "a//b", "a b", "./x"] {
            assert!(validate_workspace_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tools_must_be_known() {
        assert!(validate_tools(&["wait".into(), "ask_human".into()]).is_ok());
        assert!(validate_tools(&["rm_rf".into()]).is_err());
    }
}
