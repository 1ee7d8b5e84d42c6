//! What a schedule does when it fires, when its run overstays, and when the daemon finds it
//! missed runs while it was down. Everything a member would want to know goes to the
//! project's log (what the project page shows live), not only to the daemon's.

use chrono::TimeZone;

use super::now_unix;
use crate::controller::{ControlError, StartMode};
use crate::db::{self, logs::Level, schedules::Schedule};
use crate::lifecycle::LifecycleError;

/// What the jobs need (see [`super::Deps`]).
pub(super) type Ctx = super::Deps;

impl Ctx {
    async fn log(&self, project_id: i64, level: Level, message: &str) {
        if let Err(e) = self.journal.log(project_id, None, level, message).await {
            tracing::error!(project_id, "cannot write the project log: {e}");
        }
    }
}

fn describe(s: &Schedule) -> String {
    format!("Schedule #{} ({}, \"{}\")", s.id, s.action, s.cron)
}

/// One firing of a schedule. Errors are the project's news, not the scheduler's.
pub(super) async fn fire(ctx: &Ctx, schedule_id: i64) {
    let db = &ctx.base.db;
    let now = now_unix();
    let s = match db::schedules::get_any(db, schedule_id).await {
        Ok(Some(s)) if s.enabled => s,
        Ok(_) => return,
        Err(e) => {
            tracing::error!(schedule_id, "cannot load the schedule: {e}");
            return;
        }
    };
    if let Err(e) = db::schedules::set_checked(db, s.id, now).await {
        tracing::error!(schedule_id, "cannot record the firing: {e}");
    }
    let project = match db::projects::get(db, s.user_id, s.project_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(schedule_id, "cannot load the project: {e}");
            return;
        }
    };
    let what = describe(&s);
    if ctx.lifecycle.is_running(project.id) {
        let msg = format!("{what}: not started, the project is already running.");
        ctx.log(project.id, Level::Info, &msg).await;
        return;
    }
    let mode = match (s.action.as_str(), project.status.as_str()) {
        (_, "completed") => {
            let msg = format!("{what}: not started, the project is completed.");
            ctx.log(project.id, Level::Info, &msg).await;
            return;
        }
        ("start", _) => StartMode::Fresh,
        (_, "paused") => StartMode::Restart,
        (_, status) => {
            let msg = format!("{what}: nothing to resume (the project is {status}, not paused).");
            ctx.log(project.id, Level::Info, &msg).await;
            return;
        }
    };
    match ctx.lifecycle.start(&project, mode).await {
        Ok(()) => {
            let until = s.max_run_minutes.map(|m| now + m * 60);
            let tail = s.max_run_minutes.map_or(String::new(), |m| {
                format!("; it will be paused after {m} minutes")
            });
            ctx.log(
                project.id,
                Level::Action,
                &format!("{what}: started{tail}."),
            )
            .await;
            if let Err(e) = db::schedules::set_deadline(db, s.id, until).await {
                tracing::error!(schedule_id, "cannot record the run's deadline: {e}");
            }
        }
        // Started by hand a moment ago: the same outcome as finding it running.
        Err(LifecycleError::Control(ControlError::AlreadyRunning)) => {
            let msg = format!("{what}: not started, the project is already running.");
            ctx.log(project.id, Level::Info, &msg).await;
        }
        Err(e) => {
            tracing::error!(
                schedule_id,
                project_id = project.id,
                "scheduled start failed: {e}"
            );
            let msg = format!("{what}: could not start: {}.", e.for_member());
            ctx.log(project.id, Level::Error, &msg).await;
        }
    }
}

/// Pauses every run that passed its `max_run_minutes`, and tells the owner in its log.
pub(super) async fn pause_overdue(ctx: &Ctx) {
    let db = &ctx.base.db;
    let due = match db::schedules::overdue(db, now_unix()).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("cannot list overdue runs: {e}");
            return;
        }
    };
    for s in due {
        // Cleared first: a failing pause must not be retried every few seconds forever.
        if let Err(e) = db::schedules::set_deadline(db, s.id, None).await {
            tracing::error!(schedule_id = s.id, "cannot clear the deadline: {e}");
            continue;
        }
        if !ctx.lifecycle.is_running(s.project_id) {
            continue;
        }
        let minutes = s.max_run_minutes.unwrap_or(0);
        let what = describe(&s);
        match pause(ctx, s.user_id, s.project_id).await {
            Ok(()) => {
                let msg = format!(
                    "{what}: paused after running {minutes} minutes (its max_run_minutes). Resume it when you want it to go on."
                );
                ctx.log(s.project_id, Level::Action, &msg).await;
            }
            Err(e) => {
                tracing::error!(schedule_id = s.id, "scheduled pause failed: {e}");
                let msg = format!(
                    "{what}: could not pause after {minutes} minutes: {}.",
                    e.for_member()
                );
                ctx.log(s.project_id, Level::Error, &msg).await;
            }
        }
    }
}

/// At boot: every enabled schedule whose time came while the daemon was down gets one line
/// in its project's log. Those runs are not made up now.
pub(super) async fn report_missed<Tz: TimeZone + Copy>(
    ctx: &Ctx,
    tz: &Tz,
    now: i64,
) -> Result<(), sqlx::Error>
where
    Tz::Offset: std::fmt::Display,
{
    let db = &ctx.base.db;
    for s in db::schedules::enabled(db).await? {
        let Ok(cron) = super::cron::parse(&s.cron) else {
            continue;
        };
        let (count, first) = super::cron::occurrences_between(&cron, tz, s.checked_at, now, 1000);
        if let Some(first) = first {
            let when = first.with_timezone(tz).format("%Y-%m-%d %H:%M:%S %Z");
            let more = match count {
                1 => String::new(),
                1000 => " and 999+ more times".to_owned(),
                n => format!(" and {} more times", n - 1),
            };
            let msg = format!(
                "{}: missed at {when}{more} while AutoCode was down; not run now. It runs again at its next time.",
                describe(&s)
            );
            ctx.log(s.project_id, Level::Error, &msg).await;
        }
        db::schedules::set_checked(db, s.id, now).await?;
    }
    Ok(())
}

async fn pause(ctx: &Ctx, user_id: i64, project_id: i64) -> Result<(), LifecycleError> {
    let project = db::projects::get(&ctx.base.db, user_id, project_id)
        .await?
        .ok_or(LifecycleError::NotFound)?;
    ctx.lifecycle.pause(&project).await
}
