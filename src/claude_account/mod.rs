//! Each member's own Claude Code account: which kind of credential they chose, what a
//! well-formed one looks like, and the environment a launch adds so that agents run on
//! their owner's account without anyone editing an agent's environment. The secret itself
//! is stored sealed (`db::claude_accounts`) and never leaves the daemon except into the
//! owner's own CLI.

pub mod login;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::agent_config::FieldError;
use crate::db;
use crate::secrets::MasterKey;

/// Variables through which Claude Code takes a credential. An agent whose environment
/// already names one of them keeps it: the owner chose that deliberately.
pub const CREDENTIAL_VARS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "ANTHROPIC_AUTH_TOKEN",
];

/// How a member's Claude Code signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An Anthropic API key (`sk-ant-…`), given as `ANTHROPIC_API_KEY`.
    ApiKey,
    /// A subscription token from `claude setup-token`, given as `CLAUDE_CODE_OAUTH_TOKEN`.
    OauthToken,
    /// The CLI's own `/login`, kept by the CLI in the member's config home.
    Login,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ApiKey => "api_key",
            Kind::OauthToken => "oauth_token",
            Kind::Login => "login",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Kind::ApiKey, Kind::OauthToken, Kind::Login]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The variable the CLI reads this kind of credential from (none for `login`).
    pub fn env_var(self) -> Option<&'static str> {
        match self {
            Kind::ApiKey => Some("ANTHROPIC_API_KEY"),
            Kind::OauthToken => Some("CLAUDE_CODE_OAUTH_TOKEN"),
            Kind::Login => None,
        }
    }
}

const MIN_LEN: usize = 20;
const MAX_LEN: usize = 512;
/// Every Anthropic credential starts so; setup tokens go on with `oat`.
const PREFIX: &str = "sk-ant-";
const OAUTH_PREFIX: &str = "sk-ant-oat";

/// Checks a credential of `kind` and returns it as it will be stored. Whitespace around a
/// pasted key is dropped; inside it, or any other odd character, is refused.
pub fn validate(kind: Kind, value: Option<&str>) -> Result<String, FieldError> {
    let value = value.map(str::trim).unwrap_or_default();
    if kind == Kind::Login {
        if !value.is_empty() {
            return Err(FieldError::new(
                "value",
                "must be empty for \"Log in here\": the CLI keeps that login itself",
            ));
        }
        return Ok(String::new());
    }
    let what = match kind {
        Kind::ApiKey => "an Anthropic API key",
        _ => "a token from `claude setup-token`",
    };
    let len = value.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        return Err(FieldError::new(
            "value",
            format!("must be {what}, {MIN_LEN} to {MAX_LEN} characters long"),
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(FieldError::new(
            "value",
            "may hold only letters, digits, '-' and '_' (no spaces or other characters)",
        ));
    }
    let oauth = value.starts_with(OAUTH_PREFIX);
    match kind {
        Kind::ApiKey if !value.starts_with(PREFIX) => Err(FieldError::new(
            "value",
            "must be an Anthropic API key, starting with sk-ant-",
        )),
        Kind::ApiKey if oauth => Err(FieldError::new(
            "value",
            "is a subscription token (sk-ant-oat…); choose \"Subscription token\" instead",
        )),
        Kind::OauthToken if !oauth => Err(FieldError::new(
            "value",
            "must be the token `claude setup-token` prints, starting with sk-ant-oat",
        )),
        _ => Ok(value.to_owned()),
    }
}

/// What a launch adds for the owner's account.
#[derive(Default)]
pub struct LaunchCredential {
    /// Environment pairs to append to the CLI's environment.
    pub env: Vec<(String, String)>,
    /// The API key, for the pre-seed to approve (`SessionContext::api_key`).
    pub api_key: Option<String>,
}

impl std::fmt::Debug for LaunchCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("LaunchCredential")
            .field("env", &names)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "your Claude Code account in Settings cannot be read (stored under another master key or damaged); set it again"
    )]
    Unreadable,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The owner's credential for a CLI about to start with environment `env`: nothing when
/// `env` already names a credential, when the owner stored none, or for `login` (the CLI
/// finds that in its config home).
pub async fn launch_credential(
    pool: &SqlitePool,
    master: &MasterKey,
    user_id: i64,
    env: &[(String, String)],
) -> Result<LaunchCredential, CredentialError> {
    if env
        .iter()
        .any(|(k, _)| CREDENTIAL_VARS.contains(&k.as_str()))
    {
        return Ok(LaunchCredential::default());
    }
    let Some(row) = db::claude_accounts::get(pool, user_id).await? else {
        return Ok(LaunchCredential::default());
    };
    let Some(var) = Kind::parse(&row.kind).and_then(Kind::env_var) else {
        return Ok(LaunchCredential::default());
    };
    let secret = row.open(master).ok_or(CredentialError::Unreadable)?;
    Ok(LaunchCredential {
        env: vec![(var.to_owned(), secret.clone())],
        api_key: (var == "ANTHROPIC_API_KEY").then_some(secret),
    })
}

#[cfg(test)]
mod tests;
