//! `[schedules]` in `autocode.toml`: the timezone of project schedules, and the maintenance
//! jobs that run on the same scheduler.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// IANA name (`Europe/Paris`) the cron times of project schedules are read in.
    pub timezone: String,
    /// How often runs are checked against their `max_run_minutes`.
    pub check_secs: u64,
    /// When the hourly-ish maintenance runs (log pruning, session expiry, orphan tmux
    /// sessions); cron with seconds, in `timezone`.
    pub maintenance_cron: String,
    /// Project log entries older than this are deleted (0 keeps them forever).
    pub log_retention_days: u64,
    /// The nightly backup (cron with seconds); empty for none.
    pub backup_cron: String,
    /// Where nightly backups go (default `DATA/backups`).
    pub backup_dir: Option<PathBuf>,
    /// Nightly backups kept; older ones are deleted after a new one is written.
    pub backup_keep: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timezone: "UTC".to_owned(),
            check_secs: 15,
            maintenance_cron: "0 17 * * * *".to_owned(),
            log_retention_days: 90,
            backup_cron: "0 30 3 * * *".to_owned(),
            backup_dir: None,
            backup_keep: 7,
        }
    }
}

impl Settings {
    pub fn tz(&self) -> Result<chrono_tz::Tz, String> {
        self.timezone.parse().map_err(|_| {
            format!(
                "[schedules] timezone = {:?} is not an IANA timezone name (e.g. \"Europe/Paris\", \"UTC\")",
                self.timezone
            )
        })
    }

    /// Called from `FileConfig::check`, so a typo stops the daemon at start with its reason.
    pub fn check(&self) -> Result<(), String> {
        self.tz()?;
        if self.check_secs == 0 {
            return Err("[schedules] check_secs must be at least 1".into());
        }
        super::cron::parse(&self.maintenance_cron)
            .map_err(|e| format!("[schedules] maintenance_cron {e}"))?;
        if !self.backup_cron.trim().is_empty() {
            super::cron::parse(&self.backup_cron)
                .map_err(|e| format!("[schedules] backup_cron {e}"))?;
            if self.backup_keep == 0 {
                return Err(
                    "[schedules] backup_keep must be at least 1 (or set backup_cron = \"\")".into(),
                );
            }
        }
        Ok(())
    }
}
