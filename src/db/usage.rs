//! The `llm_usage` table: supervising-LLM tokens and estimated cost per call.

use serde::Serialize;
use sqlx::SqlitePool;

#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow, PartialEq)]
pub struct Cost {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub usd: f64,
    pub calls: i64,
}

pub async fn record(
    pool: &SqlitePool,
    user_id: i64,
    project_id: i64,
    model: &str,
    prompt_tokens: u64,
    completion_tokens: u64,
    cost_usd: f64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into llm_usage (user_id, project_id, model, prompt_tokens, completion_tokens, cost_usd) values (?, ?, ?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(project_id)
    .bind(model)
    .bind(i64::try_from(prompt_tokens).unwrap_or(i64::MAX))
    .bind(i64::try_from(completion_tokens).unwrap_or(i64::MAX))
    .bind(cost_usd)
    .execute(pool)
    .await?;
    Ok(())
}

/// The cost of each of `project_ids` in one query (a listing's projects); a project with no
/// calls is missing from the map.
pub async fn for_projects(
    pool: &SqlitePool,
    project_ids: &[i64],
) -> sqlx::Result<std::collections::HashMap<i64, Cost>> {
    let ids = serde_json::to_string(project_ids).unwrap_or_else(|_| "[]".into());
    let rows: Vec<(i64, i64, i64, f64, i64)> = sqlx::query_as(
        r"select project_id, coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0),
                 coalesce(sum(cost_usd), 0.0), count(*)
          from llm_usage where project_id in (select value from json_each(?))
          group by project_id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, prompt_tokens, completion_tokens, usd, calls)| {
            let cost = Cost {
                prompt_tokens,
                completion_tokens,
                usd,
                calls,
            };
            (id, cost)
        })
        .collect())
}
