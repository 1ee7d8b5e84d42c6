//! The daemon's own jobs on the scheduler: pruning old project logs, expiring auth sessions
//! and WebSocket tickets, spotting tmux sessions no project owns, and the nightly backup with
//! its retention. Each reports to the daemon's log; none touches a member's files.

use std::path::{Path, PathBuf};

use super::now_unix;
use super::run::Ctx;

pub(super) async fn run(ctx: &Ctx) {
    let db = &ctx.base.db;
    let days = ctx.base.config.file.schedules.log_retention_days;
    if days > 0 {
        let before = now_unix() - (days as i64) * 86_400;
        match crate::db::logs::delete_before(db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, days, "pruned old project log entries"),
            Err(e) => tracing::error!("cannot prune project logs: {e}"),
        }
    }
    match crate::db::sessions::delete_expired(db, now_unix()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "expired auth sessions removed"),
        Err(e) => tracing::error!("cannot expire auth sessions: {e}"),
    }
    let tickets = ctx.tickets.purge_expired();
    if tickets > 0 {
        tracing::debug!(tickets, "expired WebSocket tickets dropped");
    }
    orphan_sessions(ctx).await;
}

/// tmux sessions named like ours that no running project, login or the monitor owns: a CLI
/// left behind (by a crash, or a project deleted mid-run). Reported, not killed: it may hold
/// a member's unsaved work, and the admin can look before ending it.
async fn orphan_sessions(ctx: &Ctx) {
    let tmux = ctx.lifecycle.monitor().tmux().clone();
    let sessions = match tmux.list_sessions().await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!("cannot list tmux sessions: {e}");
            return;
        }
    };
    let owned: Vec<(i64, String)> = match sqlx::query_as("select id, tmux_session from projects")
        .fetch_all(&ctx.base.db)
        .await
    {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!("cannot list projects: {e}");
            return;
        }
    };
    let orphans: Vec<String> = sessions
        .iter()
        .map(|s| s.as_str().to_owned())
        .filter(|name| name != crate::tmux::MONITOR_SESSION)
        .filter(|name| !name.starts_with("autocode-login-u"))
        .filter(|name| {
            !owned
                .iter()
                .any(|(id, session)| session == name && ctx.lifecycle.is_running(*id))
        })
        .collect();
    crate::metrics::set_orphan_tmux_sessions(orphans.len());
    if !orphans.is_empty() {
        tracing::warn!(
            sessions = ?orphans,
            socket = %tmux.socket().display(),
            "tmux sessions no running project owns; end them with `tmux -S SOCKET kill-session -t NAME` once nobody needs them"
        );
    }
}

pub(super) async fn nightly_backup(ctx: &Ctx) {
    let settings = &ctx.base.config.file.schedules;
    let data_dir = ctx.base.layout.root().to_owned();
    let dir = settings
        .backup_dir
        .clone()
        .unwrap_or_else(|| data_dir.join("backups"));
    let name = format!(
        "autocode-{}.tar",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    );
    if let Err(e) = crate::sandbox::private_dir(&dir) {
        tracing::error!(dir = %dir.display(), "nightly backup: cannot create the dir: {e}");
        return;
    }
    let out = dir.join(&name);
    match crate::backup::create(&ctx.base.db, &data_dir, &out).await {
        Ok(s) => {
            tracing::info!(file = %out.display(), files = s.files, bytes = s.bytes, "nightly backup written")
        }
        Err(e) => {
            tracing::error!("nightly backup failed: {e}");
            return;
        }
    }
    if let Err(e) = keep_newest(&dir, settings.backup_keep) {
        tracing::error!(dir = %dir.display(), "cannot delete old backups: {e}");
    }
}

/// Deletes all but the newest `keep` nightly backups (their names sort by time).
pub(super) fn keep_newest(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("autocode-") && n.ends_with(".tar"))
        })
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(keep);
    let old: Vec<PathBuf> = backups.drain(..excess).collect();
    for p in &old {
        std::fs::remove_file(p)?;
    }
    Ok(old)
}

#[cfg(test)]
mod tests {
    use super::keep_newest;

    #[test]
    fn only_the_newest_backups_stay() {
        let dir = tempfile::tempdir().expect("tempdir");
        for day in 1..=5 {
            std::fs::write(
                dir.path()
                    .join(format!("autocode-202612{day:02}-033000.tar")),
                "x",
            )
            .expect("write");
        }
        std::fs::write(dir.path().join("mine.tar"), "keep me").expect("write");
        let removed = keep_newest(dir.path(), 2).expect("prune");
        assert_eq!(removed.len(), 3);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "autocode-20261204-033000.tar",
                "autocode-20261205-033000.tar",
                "mine.tar"
            ]
        );
    }
}
