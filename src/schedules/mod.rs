//! Schedules on tokio-cron-scheduler: members' project schedules (start or resume at a cron
//! time, pause after `max_run_minutes`) and the daemon's maintenance jobs (log pruning,
//! session and ticket expiry, orphan tmux sessions, the nightly backup).
//!
//! The database is the truth; the scheduler holds one job per enabled schedule and is told
//! of every change (`sync`, `forget`). A schedule never starts a second controller: firing
//! for a running project is logged and skipped. Runs missed while the daemon was down are
//! reported in the project's log at boot, never silently dropped, and never run late (a
//! 02:00 start at 09:00 is rarely what its owner wants).

pub mod cron;
mod maintenance;
mod run;
pub mod settings;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use settings::Settings;

use crate::journal::Journal;
use crate::lifecycle::Lifecycle;
use crate::state::Base;
use crate::ws::tickets::Tickets;

/// What the scheduler's jobs use: the data dir, project logs, the lifecycle to start and
/// pause projects, and the WebSocket tickets to expire.
#[derive(Clone)]
pub struct Deps {
    pub base: Base,
    pub journal: Journal,
    pub lifecycle: Arc<Lifecycle>,
    pub tickets: Arc<Tickets>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("the scheduler failed: {0}")]
    Scheduler(#[from] JobSchedulerError),
    #[error("{0}")]
    Config(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The running scheduler. Cheap to share; every method is safe to call concurrently.
pub struct Scheduler {
    jobs: JobScheduler,
    /// Schedule id → its job in `jobs`.
    ids: Mutex<HashMap<i64, Uuid>>,
    tz: chrono_tz::Tz,
    ctx: run::Ctx,
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Scheduler {
    /// Reports runs missed while the daemon was down, then schedules every enabled schedule
    /// and the maintenance jobs.
    pub async fn start(ctx: Deps, cancel: CancellationToken) -> Result<Arc<Self>, ScheduleError> {
        let settings = ctx.base.config.file.schedules.clone();
        let tz = settings.tz().map_err(ScheduleError::Config)?;
        run::report_missed(&ctx, &tz, now_unix()).await?;
        let me = Arc::new(Self {
            jobs: JobScheduler::new().await?,
            ids: Mutex::new(HashMap::new()),
            tz,
            ctx: ctx.clone(),
        });
        for s in crate::db::schedules::enabled(&ctx.base.db).await? {
            me.add_job(s.id, &s.cron).await?;
        }
        let watch = ctx.clone();
        me.jobs
            .add(Job::new_repeated_async(
                Duration::from_secs(settings.check_secs),
                move |_, _| {
                    let ctx = watch.clone();
                    Box::pin(async move { run::pause_overdue(&ctx).await })
                },
            )?)
            .await?;
        let upkeep = ctx.clone();
        me.jobs
            .add(Job::new_async_tz(
                settings.maintenance_cron.as_str(),
                tz,
                move |_, _| {
                    let ctx = upkeep.clone();
                    Box::pin(async move { maintenance::run(&ctx).await })
                },
            )?)
            .await?;
        if !settings.backup_cron.trim().is_empty() {
            let nightly = ctx.clone();
            me.jobs
                .add(Job::new_async_tz(
                    settings.backup_cron.as_str(),
                    tz,
                    move |_, _| {
                        let ctx = nightly.clone();
                        Box::pin(async move { maintenance::nightly_backup(&ctx).await })
                    },
                )?)
                .await?;
        }
        // tokio-cron-scheduler turns the timezone into a fixed UTC offset when a job is
        // made, so after a daylight-saving change every job would fire an hour off. Making
        // the jobs anew every hour keeps them on the wall clock (and heals a failed sync).
        let weak = Arc::downgrade(&me);
        me.jobs
            .add(Job::new_repeated_async(
                Duration::from_secs(3600),
                move |_, _| {
                    let weak = weak.clone();
                    Box::pin(async move {
                        if let Some(me) = weak.upgrade()
                            && let Err(e) = me.resync_all().await
                        {
                            tracing::error!("cannot refresh the schedules: {e}");
                        }
                    })
                },
            )?)
            .await?;
        me.jobs.start().await?;
        let mut jobs = me.jobs.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            if let Err(e) = jobs.shutdown().await {
                tracing::warn!("scheduler shutdown: {e}");
            }
        });
        Ok(me)
    }

    async fn add_job(&self, schedule_id: i64, cron: &str) -> Result<(), ScheduleError> {
        let ctx = self.ctx.clone();
        let job = Job::new_async_tz(cron, self.tz, move |_, _| {
            let ctx = ctx.clone();
            Box::pin(async move { run::fire(&ctx, schedule_id).await })
        })?;
        let id = self.jobs.add(job).await?;
        self.ids.lock().await.insert(schedule_id, id);
        Ok(())
    }

    /// Brings the scheduler in line with the schedule's row (after a create or an edit).
    pub async fn sync(&self, schedule_id: i64) -> Result<(), ScheduleError> {
        self.forget(schedule_id).await?;
        if let Some(s) = crate::db::schedules::get_any(&self.ctx.base.db, schedule_id).await?
            && s.enabled
        {
            self.add_job(s.id, &s.cron).await?;
        }
        Ok(())
    }

    /// Makes every schedule's job anew from the database.
    async fn resync_all(&self) -> Result<(), ScheduleError> {
        let known: Vec<i64> = self.ids.lock().await.keys().copied().collect();
        for id in known {
            self.forget(id).await?;
        }
        for s in crate::db::schedules::enabled(&self.ctx.base.db).await? {
            self.sync(s.id).await?;
        }
        Ok(())
    }

    /// Drops the schedule's job (after a delete).
    pub async fn forget(&self, schedule_id: i64) -> Result<(), ScheduleError> {
        let job = self.ids.lock().await.remove(&schedule_id);
        if let Some(job) = job {
            self.jobs.remove(&job).await?;
        }
        Ok(())
    }
}
