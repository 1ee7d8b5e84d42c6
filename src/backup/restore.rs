//! `autocode restore`: a backup archive back into a data dir.
//!
//! The archive is unpacked into a staging dir beside the target and only moved into place once
//! it proved to be a whole AutoCode backup, so a bad or truncated file never leaves a
//! half-restored data dir. A non-empty target is refused unless forced; even then it is moved
//! aside (`D.replaced-<time>`), never deleted.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{DATABASE, MANIFEST, Manifest};

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "{0} is not empty; restore into an empty or new dir, or add --force to move it aside first"
    )]
    NotEmpty(PathBuf),
    #[error("{0} is not an AutoCode backup ({1})")]
    NotABackup(PathBuf, &'static str),
    #[error("cannot read the backup {0}: {1}")]
    Read(PathBuf, io::Error),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, io::Error),
}

#[derive(Debug)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    /// Where the previous contents went (with `--force`).
    pub moved_aside: Option<PathBuf>,
}

/// Restores `archive` into `dest` (blocking; call it from a plain thread or `spawn_blocking`).
pub fn restore(archive: &Path, dest: &Path, force: bool) -> Result<RestoreSummary, RestoreError> {
    let occupied = match fs::read_dir(dest) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(RestoreError::Write(dest.to_owned(), e)),
    };
    if occupied && !force {
        return Err(RestoreError::NotEmpty(dest.to_owned()));
    }
    let staging = sibling(dest, &format!("restoring-{}", std::process::id()))?;
    let result = unpack_checked(archive, &staging);
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            if let Err(rm) = fs::remove_dir_all(&staging) {
                tracing::warn!("cannot remove {}: {rm}", staging.display());
            }
            return Err(e);
        }
    };
    let write_err = |e| RestoreError::Write(dest.to_owned(), e);
    let moved_aside = if occupied {
        let aside = sibling(dest, &format!("replaced-{}", manifest_time_now()))?;
        fs::rename(dest, &aside).map_err(write_err)?;
        Some(aside)
    } else {
        // An empty dir (or none): take its place.
        match fs::remove_dir(dest) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(write_err(e)),
            _ => {}
        }
        None
    };
    fs::rename(&staging, dest).map_err(write_err)?;
    Ok(RestoreSummary {
        manifest,
        moved_aside,
    })
}

fn unpack_checked(archive: &Path, staging: &Path) -> Result<Manifest, RestoreError> {
    let read_err = |e| RestoreError::Read(archive.to_owned(), e);
    let write_err = |e| RestoreError::Write(staging.to_owned(), e);
    if staging.exists() {
        fs::remove_dir_all(staging).map_err(write_err)?;
    }
    fs::create_dir_all(staging).map_err(write_err)?;
    fs::set_permissions(staging, fs::Permissions::from_mode(0o700)).map_err(write_err)?;
    let file = File::open(archive).map_err(read_err)?;
    let mut tar = tar::Archive::new(io::BufReader::new(file));
    tar.set_preserve_permissions(true);
    tar.set_preserve_mtime(true);
    // tar-rs refuses entries that would land outside `staging` (`..`, absolute paths, paths
    // through an unpacked symlink), so a crafted archive cannot write elsewhere.
    tar.unpack(staging).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => write_err(e),
        _ => RestoreError::NotABackup(archive.to_owned(), "not a readable tar archive"),
    })?;
    let not_backup = |why| RestoreError::NotABackup(archive.to_owned(), why);
    let text = fs::read(staging.join(MANIFEST)).map_err(|_| not_backup("no manifest"))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|_| not_backup("unreadable manifest"))?;
    if manifest.format != 1 {
        return Err(not_backup("made by a newer AutoCode"));
    }
    for needed in [DATABASE, "master.key"] {
        if !staging.join(needed).is_file() {
            return Err(not_backup(if needed == DATABASE {
                "no database"
            } else {
                "no master key"
            }));
        }
    }
    fs::remove_file(staging.join(MANIFEST)).map_err(write_err)?;
    // The daemon refuses keys others can read; keep them as they were made.
    fs::set_permissions(
        staging.join("master.key"),
        fs::Permissions::from_mode(0o600),
    )
    .map_err(write_err)?;
    let vapid = staging.join("vapid.key");
    if vapid.exists() {
        fs::set_permissions(&vapid, fs::Permissions::from_mode(0o600)).map_err(write_err)?;
    }
    Ok(manifest)
}

/// `dir`'s sibling `name.<suffix>` (on the same filesystem, so the final rename is atomic).
fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf, RestoreError> {
    let name = dir
        .file_name()
        .ok_or_else(|| {
            RestoreError::Write(
                dir.to_owned(),
                io::Error::other("name a directory, not a root"),
            )
        })?
        .to_string_lossy();
    let parent = dir.parent().unwrap_or(Path::new("."));
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    Ok(parent.join(format!("{name}.{suffix}")))
}

fn manifest_time_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
