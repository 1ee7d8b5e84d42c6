//! The ready agent a new member starts with, so nobody types JSON or key references to get
//! a working agent. Its supervising LLM is the admin's `[default_agent]` in `autocode.toml`;
//! its coding CLI is the profile's default (Claude Code found on PATH), which signs in with
//! the member's own Claude Code account (`claude_account`), and its supervisor uses the
//! member's own stored key for the provider, or none for a keyless endpoint.

use sqlx::SqlitePool;

use crate::agent_config::{LLM_PROVIDERS, PermissionPolicy, PolicyDefault};
use crate::config::DefaultAgent;
use crate::db::{self, agents::AgentFields};
use crate::workspace::{Layout, write_atomic};

/// Why `[default_agent]` is unusable, in the admin's words.
pub fn check(agent: &DefaultAgent) -> Result<(), String> {
    let name_ok = (1..=100).contains(&agent.name.trim().chars().count())
        && !agent.name.chars().any(char::is_control);
    if !name_ok {
        return Err("[default_agent] name must be 1 to 100 printable characters".into());
    }
    if !LLM_PROVIDERS.contains(&agent.llm_provider.as_str()) {
        return Err(format!(
            "[default_agent] llm_provider must be one of {}",
            LLM_PROVIDERS.join(", ")
        ));
    }
    if !(1..=200).contains(&agent.model.trim().chars().count()) {
        return Err("[default_agent] model must be 1 to 200 characters".into());
    }
    match &agent.llm_base_url {
        Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
            Err("[default_agent] llm_base_url must be an http(s) URL".into())
        }
        None if agent.llm_provider == "custom" => {
            Err("[default_agent] llm_provider \"custom\" needs llm_base_url".into())
        }
        _ if agent.permission_default == PolicyDefault::Approve => Err(
            "[default_agent] permission_default must be \"llm\" or \"ask\": approving everything is each member's own choice"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// The agent's fields: the admin's supervising LLM over the defaults every agent has.
pub fn fields(agent: &DefaultAgent) -> AgentFields {
    AgentFields {
        name: agent.name.trim().to_owned(),
        model: agent.model.trim().to_owned(),
        llm_provider: agent.llm_provider.clone(),
        llm_base_url: agent.llm_base_url.clone(),
        permission_policy: PermissionPolicy {
            default: agent.permission_default,
            ..PermissionPolicy::default()
        },
        ..AgentFields::default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DefaultAgentError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Path(#[from] crate::workspace::PathError),
    #[error("writing the agent's rules: {0}")]
    Io(#[from] std::io::Error),
}

/// Creates the default agent for a new member; returns its id, or None when the admin
/// configured none.
pub async fn create_for(
    pool: &SqlitePool,
    layout: &Layout,
    user_id: i64,
    config: Option<&DefaultAgent>,
) -> Result<Option<i64>, DefaultAgentError> {
    let Some(agent) = config else {
        return Ok(None);
    };
    let fields = fields(agent);
    let id = db::agents::insert(pool, user_id, &fields).await?;
    // The controller reads the rules from the agent's directory.
    let written = layout
        .agent_dir(id)
        .map_err(DefaultAgentError::from)
        .and_then(|dir| Ok(write_atomic(&dir.join("RULES.md"), b"")?));
    if let Err(e) = written {
        db::agents::delete(pool, user_id, id).await?;
        return Err(e);
    }
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DefaultAgent {
        toml::from_str(
            "llm_provider = \"custom\"\nmodel = \"m\"\nllm_base_url = \"http://127.0.0.1:9/v1\"\n",
        )
        .expect("parses")
    }

    #[test]
    fn the_default_agent_table_is_checked_and_fills_a_whole_agent() {
        let ok = sample();
        assert_eq!(ok.name, "Default");
        assert_eq!(ok.permission_default, PolicyDefault::Llm);
        assert_eq!(check(&ok), Ok(()));
        let f = fields(&ok);
        assert_eq!((f.name.as_str(), f.model.as_str()), ("Default", "m"));
        assert_eq!(f.cli, crate::agent_config::CliConfig::default());
        assert_eq!(f.tools.len(), crate::agent_config::TOOL_NAMES.len());
        let bad = [
            DefaultAgent {
                llm_base_url: None,
                ..sample()
            },
            DefaultAgent {
                llm_provider: "acme".into(),
                ..sample()
            },
            DefaultAgent {
                model: " ".into(),
                ..sample()
            },
            DefaultAgent {
                llm_base_url: Some("file:///x".into()),
                ..sample()
            },
            DefaultAgent {
                permission_default: PolicyDefault::Approve,
                ..sample()
            },
            DefaultAgent {
                name: String::new(),
                ..sample()
            },
        ];
        for agent in bad {
            assert!(check(&agent).is_err(), "{agent:?}");
        }
    }
}
