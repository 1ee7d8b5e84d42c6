//! `/api/projects/{id}/schedules`: a member's schedules for their own project. Every query
//! filters by the caller; another member's project or schedule is a 404 like a missing one.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, AuthUser};
use super::{Access, Route};
use crate::db::{self, schedules::Fields, schedules::Schedule};
use crate::schedules::{cron, now_unix};
use crate::state::AppState;

/// Enough for "weekdays at 9, weekends at 11, and a nightly run", far from a flood of jobs.
const MAX_PER_PROJECT: i64 = 20;
/// A week: longer is "no limit", which is what leaving it out says.
const MAX_RUN_MINUTES: i64 = 7 * 24 * 60;

pub fn routes() -> Vec<Route> {
    let one = "/api/projects/{id}/schedules/{sid}";
    vec![
        Route::new(
            Method::GET,
            "/api/projects/{id}/schedules",
            Access::User,
            list_schedules,
        ),
        Route::new(
            Method::POST,
            "/api/projects/{id}/schedules",
            Access::User,
            create_schedule,
        ),
        Route::new(Method::PUT, one, Access::User, update_schedule),
        Route::new(Method::DELETE, one, Access::User, delete_schedule),
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleRequest {
    cron: String,
    action: String,
    #[serde(default)]
    max_run_minutes: Option<i64>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

#[derive(Serialize)]
struct ScheduleView {
    #[serde(flatten)]
    schedule: Schedule,
    /// The next time it fires (RFC 3339, in the server's timezone); null when disabled.
    next_run: Option<String>,
    /// The server's timezone, which `cron` is read in.
    timezone: String,
}

fn view(state: &AppState, schedule: Schedule) -> ScheduleView {
    let settings = &state.config.file.schedules;
    let next_run = match (schedule.enabled, settings.tz(), cron::parse(&schedule.cron)) {
        (true, Ok(tz), Ok(c)) => c
            .find_next_occurrence(&Utc::now().with_timezone(&tz), false)
            .ok()
            .map(|t| t.to_rfc3339()),
        _ => None,
    };
    ScheduleView {
        schedule,
        next_run,
        timezone: settings.timezone.clone(),
    }
}

fn checked(req: &ScheduleRequest) -> ApiResult<Fields<'_>> {
    let expr = req.cron.trim();
    cron::parse(expr).map_err(|reason| ApiError::invalid("cron", reason))?;
    if !["start", "resume"].contains(&req.action.as_str()) {
        return Err(ApiError::invalid(
            "action",
            "must be \"start\" or \"resume\"",
        ));
    }
    if let Some(m) = req.max_run_minutes
        && !(1..=MAX_RUN_MINUTES).contains(&m)
    {
        return Err(ApiError::invalid(
            "max_run_minutes",
            format!("must be 1 to {MAX_RUN_MINUTES} minutes, or left out for no limit"),
        ));
    }
    Ok(Fields {
        cron: expr,
        action: &req.action,
        max_run_minutes: req.max_run_minutes,
        enabled: req.enabled,
    })
}

async fn own_project(state: &AppState, user: &AuthUser, id: i64) -> ApiResult<()> {
    db::projects::get(&state.db, user.id, id)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound)
}

/// Tells the scheduler; a failure there is logged, the row stays the truth for next boot.
async fn sync(state: &AppState, schedule_id: i64, removed: bool) {
    let s = &state.schedules;
    let result = if removed {
        s.forget(schedule_id).await
    } else {
        s.sync(schedule_id).await
    };
    if let Err(e) = result {
        tracing::error!(schedule_id, "cannot update the scheduler: {e}");
    }
}

async fn list_schedules(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ScheduleView>>> {
    own_project(&state, &user, id).await?;
    let rows = db::schedules::list(&state.db, user.id, id).await?;
    Ok(Json(rows.into_iter().map(|s| view(&state, s)).collect()))
}

async fn create_schedule(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ScheduleRequest>,
) -> ApiResult<(StatusCode, Json<ScheduleView>)> {
    own_project(&state, &user, id).await?;
    let fields = checked(&req)?;
    if db::schedules::count_for_project(&state.db, id).await? >= MAX_PER_PROJECT {
        return Err(ApiError::Conflict(format!(
            "a project has at most {MAX_PER_PROJECT} schedules; delete one first"
        )));
    }
    let row = db::schedules::insert(&state.db, user.id, id, &fields, now_unix()).await?;
    sync(&state, row.id, false).await;
    Ok((StatusCode::CREATED, Json(view(&state, row))))
}

async fn update_schedule(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
    ApiJson(req): ApiJson<ScheduleRequest>,
) -> ApiResult<Json<ScheduleView>> {
    own_project(&state, &user, id).await?;
    let fields = checked(&req)?;
    let row = db::schedules::update(&state.db, user.id, id, sid, &fields, now_unix())
        .await?
        .ok_or(ApiError::NotFound)?;
    sync(&state, row.id, false).await;
    Ok(Json(view(&state, row)))
}

async fn delete_schedule(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    if !db::schedules::delete(&state.db, user.id, id, sid).await? {
        return Err(ApiError::NotFound);
    }
    sync(&state, sid, true).await;
    Ok(StatusCode::NO_CONTENT)
}
