//! Agent templates and their global rules (`DATA/agents/{id}/RULES.md`, kept in sync
//! with the database because the controller reads the file).

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, AuthUser};
use super::{Access, Route};
use crate::agent_config::{self, CliConfig, EnvValue, LLM_PROVIDERS, PermissionPolicy};
use crate::db::{self, agents::Agent, agents::AgentFields};
use crate::launch_rules;
use crate::state::AppState;
use crate::workspace::write_atomic;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/api/agents", Access::User, list_agents),
        Route::new(Method::POST, "/api/agents", Access::User, create_agent),
        Route::new(Method::GET, "/api/agents/{id}", Access::User, get_agent),
        Route::new(Method::PUT, "/api/agents/{id}", Access::User, update_agent),
        Route::new(
            Method::DELETE,
            "/api/agents/{id}",
            Access::User,
            delete_agent,
        ),
        Route::new(
            Method::GET,
            "/api/agents/{id}/rules",
            Access::User,
            get_rules,
        ),
        Route::new(
            Method::PUT,
            "/api/agents/{id}/rules",
            Access::User,
            put_rules,
        ),
    ]
}

/// Create and update body: on create, absent fields take defaults; on update, absent
/// fields keep their value.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AgentInput {
    name: Option<String>,
    model: Option<String>,
    identity: Option<String>,
    tools: Option<Vec<String>>,
    mcp_servers: Option<serde_json::Map<String, serde_json::Value>>,
    workspace_base: Option<String>,
    global_rules: Option<String>,
    llm_provider: Option<String>,
    #[serde(default, deserialize_with = "present")]
    llm_base_url: Option<Option<String>>,
    permission_policy: Option<PermissionPolicy>,
    cli: Option<CliConfig>,
    poll_interval_s: Option<i64>,
    stall_timeout_s: Option<i64>,
    max_retries: Option<i64>,
}

/// Tells "absent" (keep) from `null` (clear) for an optional field.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

const MAX_TEXT: usize = 200_000;

fn from_agent(a: &Agent) -> AgentFields {
    AgentFields {
        name: a.name.clone(),
        model: a.model.clone(),
        identity: a.identity.clone(),
        tools: a.tools.0.clone(),
        mcp_servers: a.mcp_servers.0.clone(),
        workspace_base: a.workspace_base.clone(),
        global_rules: a.global_rules.clone(),
        llm_provider: a.llm_provider.clone(),
        llm_base_url: a.llm_base_url.clone(),
        permission_policy: a.permission_policy.0.clone(),
        cli: a.cli.0.clone(),
        poll_interval_s: a.poll_interval_s,
        stall_timeout_s: a.stall_timeout_s,
        max_retries: a.max_retries,
    }
}

fn check_text(field: &str, value: &str, min: usize, max: usize) -> ApiResult<()> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ApiError::invalid(
            field,
            format!("must be {min} to {max} characters"),
        ));
    }
    Ok(())
}

fn check_range(field: &str, value: i64, min: i64, max: i64) -> ApiResult<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("must be between {min} and {max}"),
        ))
    }
}

/// Applies `input` over `base` and validates the result as a whole.
async fn merge(
    state: &AppState,
    user_id: i64,
    mut f: AgentFields,
    input: AgentInput,
) -> ApiResult<AgentFields> {
    macro_rules! take {
        ($($field:ident),*) => { $( if let Some(v) = input.$field { f.$field = v; } )* };
    }
    take!(
        name,
        model,
        identity,
        tools,
        mcp_servers,
        workspace_base,
        global_rules,
        llm_provider,
        llm_base_url,
        permission_policy,
        cli,
        poll_interval_s,
        stall_timeout_s,
        max_retries
    );
    f.name = f.name.trim().to_owned();
    check_text("name", &f.name, 1, 100)?;
    if f.name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    check_text("model", &f.model, 1, 200)?;
    check_text("identity", &f.identity, 0, MAX_TEXT)?;
    check_text("global_rules", &f.global_rules, 0, MAX_TEXT)?;
    agent_config::validate_tools(&f.tools)?;
    agent_config::validate_workspace_base(&f.workspace_base)?;
    agent_config::validate_cli(&f.cli)?;
    launch_rules::check(&state.config.file, &f.cli)?;
    if !LLM_PROVIDERS.contains(&f.llm_provider.as_str()) {
        return Err(ApiError::invalid(
            "llm_provider",
            format!("must be one of {}", LLM_PROVIDERS.join(", ")),
        ));
    }
    if let Some(url) = &f.llm_base_url {
        let ok = (url.starts_with("http://") || url.starts_with("https://")) && url.len() <= 500;
        if !ok {
            return Err(ApiError::invalid("llm_base_url", "must be an http(s) URL"));
        }
    }
    for (name, server) in &f.mcp_servers {
        if !server.is_object() || name.is_empty() {
            return Err(ApiError::invalid(
                "mcp_servers",
                "must map server names to objects like {\"command\": ..., \"args\": [...]}",
            ));
        }
    }
    check_range("poll_interval_s", f.poll_interval_s, 1, 3600)?;
    check_range("stall_timeout_s", f.stall_timeout_s, 10, 86_400)?;
    check_range("max_retries", f.max_retries, 0, 20)?;
    for value in f.cli.env.values() {
        if let EnvValue::ApiKey { api_key_id } = value
            && db::api_keys::get(&state.db, user_id, *api_key_id)
                .await?
                .is_none()
        {
            return Err(ApiError::invalid(
                "cli.env",
                format!("API key {api_key_id} not found"),
            ));
        }
    }
    Ok(f)
}

fn write_rules(state: &AppState, agent_id: i64, rules: &str) -> ApiResult<()> {
    let path = state.layout.agent_dir(agent_id)?.join("RULES.md");
    write_atomic(&path, rules.as_bytes()).map_err(ApiError::internal)
}

fn conflict_or(e: sqlx::Error) -> ApiError {
    if db::is_unique_violation(&e) {
        ApiError::Conflict("you already have an agent with that name".into())
    } else {
        e.into()
    }
}

async fn load(state: &AppState, user_id: i64, id: i64) -> ApiResult<Agent> {
    db::agents::get(&state.db, user_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

async fn list_agents(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Vec<Agent>>> {
    Ok(Json(db::agents::list(&state.db, user.id).await?))
}

async fn create_agent(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<AgentInput>,
) -> ApiResult<(StatusCode, Json<Agent>)> {
    if input.name.is_none() {
        return Err(ApiError::invalid("name", "is required"));
    }
    if input.model.is_none() {
        return Err(ApiError::invalid("model", "is required"));
    }
    let fields = merge(&state, user.id, AgentFields::default(), input).await?;
    let id = db::agents::insert(&state.db, user.id, &fields)
        .await
        .map_err(conflict_or)?;
    if let Err(e) = write_rules(&state, id, &fields.global_rules) {
        db::agents::delete(&state.db, user.id, id).await?;
        return Err(e);
    }
    Ok((StatusCode::CREATED, Json(load(&state, user.id, id).await?)))
}

async fn get_agent(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Agent>> {
    Ok(Json(load(&state, user.id, id).await?))
}

async fn update_agent(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AgentInput>,
) -> ApiResult<Json<Agent>> {
    let current = load(&state, user.id, id).await?;
    let fields = merge(&state, user.id, from_agent(&current), input).await?;
    if fields.workspace_base != current.workspace_base && current.project_count > 0 {
        return Err(ApiError::Conflict(
            "workspace_base cannot change while the agent has projects".into(),
        ));
    }
    db::agents::update(&state.db, user.id, id, &fields)
        .await
        .map_err(conflict_or)?;
    write_rules(&state, id, &fields.global_rules)?;
    Ok(Json(load(&state, user.id, id).await?))
}

async fn delete_agent(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    load(&state, user.id, id).await?;
    let projects = db::projects::list_for_agent(&state.db, user.id, id).await?;
    for p in &projects {
        state.lifecycle.stop_for_removal(p).await?;
    }
    db::agents::delete(&state.db, user.id, id).await?;
    state.layout.remove_tree(&state.layout.agent_dir(id)?)?;
    for p in &projects {
        state
            .lifecycle
            .remove_workspace(user.id, &p.workspace_path)
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    rules: String,
}

async fn get_rules(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Rules>> {
    let agent = load(&state, user.id, id).await?;
    Ok(Json(Rules {
        rules: agent.global_rules,
    }))
}

async fn put_rules(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Rules>,
) -> ApiResult<Json<Rules>> {
    check_text("rules", &body.rules, 0, MAX_TEXT)?;
    if !db::agents::set_rules(&state.db, user.id, id, &body.rules).await? {
        return Err(ApiError::NotFound);
    }
    write_rules(&state, id, &body.rules)?;
    Ok(Json(body))
}
