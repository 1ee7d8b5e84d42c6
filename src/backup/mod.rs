//! Backups of a whole data dir as one tar archive, taken while the daemon runs, and restores.
//!
//! In the archive: a manifest, a consistent copy of the database (`VACUUM INTO`, which reads
//! one snapshot while the daemon goes on writing), the master key (without it the sealed API
//! keys and Claude Code accounts are noise), `autocode.toml`, `agents/` and `users/` (every
//! workspace and every member's CLI config home with its login). Not in it: the live database
//! files (the copy holds everything), `tmux.sock` and `run/` (launch specs and hook secrets of
//! sessions that will not exist after a restore), `backups/` itself.
//!
//! Symlinks are stored as symlinks, never followed: a member's planted link must not make the
//! daemon copy a file outside that member's tree into the archive.

mod archive;
pub mod restore;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

pub use restore::{RestoreError, RestoreSummary, restore};

/// The first entry of every archive; a tar without it is not an AutoCode backup.
pub const MANIFEST: &str = "autocode-backup.json";
/// The data dir's entries copied as they are (the database is copied by SQLite).
/// `vapid.key` keeps members' push subscriptions working after a restore.
const COPIED: &[&str] = &[
    "master.key",
    "vapid.key",
    "autocode.toml",
    "agents",
    "users",
];
/// Where the snapshot of the database sits in the archive.
const DATABASE: &str = "autocode.db";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Bumped when the layout of the archive changes.
    pub format: u32,
    pub autocode_version: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
}

/// What a backup wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    /// Sockets, pipes and devices in workspaces (nothing a restore could use), and files
    /// that vanished while the backup ran.
    pub skipped: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} has no AutoCode database; is the data dir right (--data-dir)?")]
    NoDatabase(PathBuf),
    #[error(
        "the data dir belongs to uid {0}; run this as that user (runuser -u autocode -- autocode backup ...), so the database files keep their owner"
    )]
    WrongUser(u32),
    #[error("cannot copy the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot write the backup {0}: {1}")]
    Write(PathBuf, std::io::Error),
    #[error("the backup task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Opens the database of a data dir (see `db::open_live`).
pub async fn open_live(data_dir: &Path) -> Result<SqlitePool, BackupError> {
    let path = data_dir.join(DATABASE);
    if !path.is_file() {
        return Err(BackupError::NoDatabase(data_dir.to_owned()));
    }
    if let Some(owner) = crate::db::foreign_owner(data_dir) {
        return Err(BackupError::WrongUser(owner));
    }
    Ok(crate::db::open_live(&path).await?)
}

/// Writes a backup of `data_dir` to `out` (via `out.partial`, renamed when complete, so a
/// crash never leaves a truncated file under the real name).
pub async fn create(db: &SqlitePool, data_dir: &Path, out: &Path) -> Result<Summary, BackupError> {
    let write_err = |e| BackupError::Write(out.to_owned(), e);
    let partial = with_suffix(out, ".partial");
    let snapshot = with_suffix(out, ".db-snapshot");
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(write_err)?;
    }
    // VACUUM INTO refuses to overwrite; a leftover from a crashed run is ours to remove.
    remove_if_exists(&snapshot).map_err(write_err)?;
    sqlx::query("vacuum into ?")
        .bind(snapshot.to_string_lossy().into_owned())
        .execute(db)
        .await?;
    let manifest = Manifest {
        format: 1,
        autocode_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    let (data_dir, snap, part) = (data_dir.to_owned(), snapshot.clone(), partial.clone());
    let written = tokio::task::spawn_blocking(move || {
        archive::write(&part, &manifest, &snap, DATABASE, &data_dir, COPIED)
    })
    .await;
    let cleanup = remove_if_exists(&snapshot);
    let summary = match written? {
        Ok(summary) => summary,
        Err(e) => {
            // The partial file is useless; the error above is the one worth reporting.
            if let Err(rm) = remove_if_exists(&partial) {
                tracing::warn!("cannot remove {}: {rm}", partial.display());
            }
            return Err(write_err(e));
        }
    };
    cleanup.map_err(write_err)?;
    std::fs::rename(&partial, out).map_err(write_err)?;
    Ok(summary)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_exists(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
