//! The `agents` table (agent templates). Every query is scoped to its owner.

use serde::Serialize;
use sqlx::SqlitePool;
use sqlx::types::Json;

use crate::agent_config::{CliConfig, PermissionPolicy, TOOL_NAMES};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Agent {
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    pub name: String,
    pub model: String,
    pub identity: String,
    pub tools: Json<Vec<String>>,
    pub mcp_servers: Json<serde_json::Map<String, serde_json::Value>>,
    pub workspace_base: String,
    pub global_rules: String,
    pub llm_provider: String,
    pub llm_base_url: Option<String>,
    pub permission_policy: Json<PermissionPolicy>,
    pub cli: Json<CliConfig>,
    pub poll_interval_s: i64,
    pub stall_timeout_s: i64,
    pub max_retries: i64,
    pub project_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Writable fields, already validated.
#[derive(Debug, Clone)]
pub struct AgentFields {
    pub name: String,
    pub model: String,
    pub identity: String,
    pub tools: Vec<String>,
    pub mcp_servers: serde_json::Map<String, serde_json::Value>,
    pub workspace_base: String,
    pub global_rules: String,
    pub llm_provider: String,
    pub llm_base_url: Option<String>,
    pub permission_policy: PermissionPolicy,
    pub cli: CliConfig,
    pub poll_interval_s: i64,
    pub stall_timeout_s: i64,
    pub max_retries: i64,
}

/// What an agent is made with when a field is not given.
impl Default for AgentFields {
    fn default() -> Self {
        Self {
            name: String::new(),
            model: String::new(),
            identity: String::new(),
            tools: TOOL_NAMES.iter().map(|t| (*t).to_owned()).collect(),
            mcp_servers: serde_json::Map::new(),
            workspace_base: "projects".into(),
            global_rules: String::new(),
            llm_provider: "openai".into(),
            llm_base_url: None,
            permission_policy: PermissionPolicy::default(),
            cli: CliConfig::default(),
            poll_interval_s: 2,
            stall_timeout_s: 300,
            max_retries: 3,
        }
    }
}

macro_rules! select_agents {
    ($tail:literal) => {
        concat!(
            "select a.*, (select count(*) from projects p where p.agent_id = a.id) as project_count from agents a ",
            $tail
        )
    };
}

pub async fn list(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<Agent>> {
    sqlx::query_as(select_agents!("where a.user_id = ? order by a.name"))
        .bind(user_id)
        .fetch_all(pool)
        .await
}

pub async fn get(pool: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<Option<Agent>> {
    sqlx::query_as(select_agents!("where a.user_id = ? and a.id = ?"))
        .bind(user_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Binds the writable fields in the column order both statements below use.
macro_rules! bind_fields {
    ($query:expr, $f:expr) => {
        $query
            .bind(&$f.name)
            .bind(&$f.model)
            .bind(&$f.identity)
            .bind(Json(&$f.tools))
            .bind(Json(&$f.mcp_servers))
            .bind(&$f.workspace_base)
            .bind(&$f.global_rules)
            .bind(&$f.llm_provider)
            .bind(&$f.llm_base_url)
            .bind(Json(&$f.permission_policy))
            .bind(Json(&$f.cli))
            .bind($f.poll_interval_s)
            .bind($f.stall_timeout_s)
            .bind($f.max_retries)
    };
}

pub async fn insert(pool: &SqlitePool, user_id: i64, f: &AgentFields) -> sqlx::Result<i64> {
    let query = sqlx::query_scalar(
        r"insert into agents (name, model, identity, tools, mcp_servers, workspace_base,
              global_rules, llm_provider, llm_base_url, permission_policy, cli, poll_interval_s,
              stall_timeout_s, max_retries, user_id)
          values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id",
    );
    bind_fields!(query, f).bind(user_id).fetch_one(pool).await
}

pub async fn update(
    pool: &SqlitePool,
    user_id: i64,
    id: i64,
    f: &AgentFields,
) -> sqlx::Result<bool> {
    let query = sqlx::query(
        r"update agents set name = ?, model = ?, identity = ?, tools = ?, mcp_servers = ?,
              workspace_base = ?, global_rules = ?, llm_provider = ?, llm_base_url = ?,
              permission_policy = ?, cli = ?, poll_interval_s = ?, stall_timeout_s = ?,
              max_retries = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          where user_id = ? and id = ?",
    );
    let r = bind_fields!(query, f)
        .bind(user_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_rules(
    pool: &SqlitePool,
    user_id: i64,
    id: i64,
    rules: &str,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "update agents set global_rules = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where user_id = ? and id = ?",
    )
    .bind(rules)
    .bind(user_id)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete(pool: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("delete from agents where user_id = ? and id = ?")
        .bind(user_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Ids of all agents of a user (to remove their rule files when the user goes).
pub async fn ids_of_user(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("select id from agents where user_id = ?")
        .bind(user_id)
        .fetch_all(pool)
        .await
}
