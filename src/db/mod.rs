//! The SQLite database: opening it (WAL, foreign keys on), running the embedded
//! migrations, and one file of small query functions per table. Every function that
//! reads or writes a user's data takes that user's id and filters by it.

pub mod agents;
pub mod api_keys;
pub mod channels;
pub mod claude_accounts;
pub mod git_credentials;
pub mod instances;
pub mod logs;
pub mod project_remotes;
pub mod projects;
pub mod push;
pub mod schedules;
pub mod sessions;
pub mod smtp;
pub mod step_commits;
pub mod usage;
pub mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open database {0}: {1}")]
    Open(String, sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens (creating if needed) the database file and brings its schema up to date.
pub async fn open(path: &Path) -> Result<SqlitePool, OpenError> {
    let shown = path.display().to_string();
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{shown}"))
        .map_err(|e| OpenError::Open(shown.clone(), e))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // The CLI may write while the daemon runs: wait for the lock instead of failing.
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|e| OpenError::Open(shown, e))?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// The owner of `dir` when it is not this process's user: opening the database then would
/// leave SQLite's `-wal`/`-shm` files owned by the wrong user (root, typically), which locks
/// the daemon out of its own database.
pub fn foreign_owner(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(dir).ok()?.uid();
    (owner != rustix::process::geteuid().as_raw()).then_some(owner)
}

/// Opens an existing database that a running daemon may be using, without creating it or
/// running migrations: a newer `autocode backup` or `doctor` must not upgrade the running
/// daemon's schema underneath it.
pub async fn open_live(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(false)
        // The daemon may hold the write lock for a moment.
        .busy_timeout(Duration::from_secs(30));
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
}

/// True when the error is a UNIQUE constraint violation (a duplicate name).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod upgrade_tests;
