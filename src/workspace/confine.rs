//! Confinement to one member's directory (`DATA/users/<name>`): the only way the daemon
//! creates, writes, reads or removes a member's paths. Being under `DATA` is not enough:
//! a member (or their agent) can plant a symlink anywhere in their own tree, and a path
//! through it could lead into another member's tree. So every path is checked against
//! the member's own directory after symlinks are resolved, directories the daemon makes
//! are created one component at a time refusing links, files are written through a fresh
//! temp file renamed into place (which replaces a link instead of writing through it),
//! and removal never follows a link.
//!
//! What remains (std offers no `openat`): a process racing the daemon could swap a
//! checked directory for a link between the check and the use. With the sandbox the
//! member's processes run in their own tree only, and the window is microseconds.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Layout, PathError};

/// One member's directory; see the module docs.
#[derive(Debug, Clone)]
pub struct MemberDir {
    /// The directory, canonical.
    root: PathBuf,
    /// The directory as given, for paths built from it before it was resolved.
    given: PathBuf,
}

impl MemberDir {
    /// The member's directory in the data dir, created if missing. `users/<name>` itself
    /// is the daemon's and must be a real directory.
    pub fn of(layout: &Layout, username: &str) -> Result<Self, PathError> {
        let dir = layout.user_dir(username)?;
        if let Err(e) = fs::symlink_metadata(&dir) {
            if e.kind() != io::ErrorKind::NotFound {
                return Err(e.into());
            }
            fs::create_dir_all(&dir)?;
        }
        Self::at(&dir)
    }

    /// An existing directory (not a link) as the root.
    pub fn at(dir: &Path) -> Result<Self, PathError> {
        if !fs::symlink_metadata(dir)?.is_dir() {
            return Err(PathError::Symlink(dir.to_owned()));
        }
        Ok(Self {
            root: dir.canonicalize()?,
            given: dir.to_owned(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The plain names of `path` below the root; anything else (`..`, another root) escapes.
    fn below<'a>(&self, path: &'a Path) -> Result<Vec<&'a OsStr>, PathError> {
        let escapes = || PathError::Escapes(path.to_owned());
        path.strip_prefix(&self.root)
            .or_else(|_| path.strip_prefix(&self.given))
            .map_err(|_| escapes())?
            .components()
            .map(|c| match c {
                Component::Normal(name) => Ok(name),
                _ => Err(escapes()),
            })
            .collect()
    }

    /// Checks that `path` stays beneath the root with every symlink on its existing part
    /// resolved; a link that resolves nowhere (dangling) is refused too, since a write
    /// through it would create its target wherever it points.
    pub fn check(&self, path: &Path) -> Result<(), PathError> {
        let mut cur = self.root.clone();
        for name in self.below(path)? {
            cur.push(name);
            match fs::symlink_metadata(&cur) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e.into()),
                Ok(meta) if meta.file_type().is_symlink() => match cur.canonicalize() {
                    Ok(real) if real.starts_with(&self.root) => cur = real,
                    _ => return Err(PathError::Escapes(path.to_owned())),
                },
                Ok(_) => {}
            }
        }
        Ok(())
    }

    /// Creates `dir` and its missing parents below the root one component at a time,
    /// refusing any component that is a link (the daemon's directories never are).
    pub fn create_dir_all(&self, dir: &Path) -> Result<(), PathError> {
        let mut cur = self.root.clone();
        for name in self.below(dir)? {
            cur.push(name);
            match fs::create_dir(&cur) {
                Ok(()) => continue,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e.into()),
            }
            let meta = fs::symlink_metadata(&cur)?;
            if meta.file_type().is_symlink() {
                return Err(PathError::Symlink(cur));
            }
            if !meta.is_dir() {
                return Err(PathError::NotADirectory(cur));
            }
        }
        Ok(())
    }

    /// Removes `path` (a tree, a file or a link) below the root. Its parent must resolve
    /// inside the root; the last component is removed as what it is: a link is unlinked,
    /// never followed (and `remove_dir_all` follows none inside the tree). Missing is fine.
    pub fn remove_tree(&self, path: &Path) -> Result<(), PathError> {
        let names = self.below(path)?;
        let Some((last, parents)) = names.split_last() else {
            return Err(PathError::Escapes(path.to_owned()));
        };
        let parent_rel: PathBuf = parents.iter().collect();
        let parent = match self.root.join(parent_rel).canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if !parent.starts_with(&self.root) {
            return Err(PathError::Escapes(path.to_owned()));
        }
        let target = parent.join(last);
        let removed = match fs::symlink_metadata(&target) {
            Err(e) => Err(e),
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(&target),
            Ok(_) => fs::remove_file(&target),
        };
        match removed {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Reads a regular file below the root: `None` when it is missing or is a link (a
    /// link is never read through; the caller's next write replaces it).
    pub fn read_regular(&self, path: &Path) -> Result<Option<String>, PathError> {
        self.below(path)?;
        // The directory must stay inside; the file itself is looked at without following.
        self.check(path.parent().unwrap_or(path))?;
        match fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
            Ok(meta) if meta.file_type().is_symlink() => {
                tracing::warn!(path = %path.display(), "replacing a symbolic link the daemon writes");
                return Ok(None);
            }
            Ok(_) => {}
        }
        Ok(Some(fs::read_to_string(path)?))
    }

    /// Writes `path` below the root atomically with `mode`, creating its directory
    /// confined; a link at `path` is replaced, never written through.
    pub fn write_atomic(&self, path: &Path, contents: &[u8], mode: u32) -> Result<(), PathError> {
        let dir = path
            .parent()
            .ok_or_else(|| PathError::Escapes(path.to_owned()))?;
        self.below(path)?;
        self.create_dir_all(dir)?;
        Ok(replace_file(path, contents, mode)?)
    }
}

/// Refuses a path that passes through a link anywhere on its existing part. For code
/// that holds a member's path but not the member's directory (the controller's prompt
/// files): every such path is built from the canonical data dir, so a link on the way
/// can only be one a member planted.
pub fn ensure_no_links(path: &Path) -> io::Result<()> {
    let mut existing = path;
    loop {
        match existing.canonicalize() {
            Ok(real) if real == existing => return Ok(()),
            Ok(_) => {
                return Err(io::Error::other(format!(
                    "{} passes through a symbolic link; refusing to follow it",
                    path.display()
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // A dangling link is "not found" by canonicalize but present to lstat.
        if fs::symlink_metadata(existing).is_ok() {
            return Err(io::Error::other(format!(
                "{} is a dangling symbolic link; refusing to follow it",
                existing.display()
            )));
        }
        match existing.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
            _ => return Ok(()),
        }
    }
}

/// Reads a file unless a link lies anywhere on its path (`ensure_no_links`).
pub fn read_without_links(path: &Path) -> io::Result<String> {
    ensure_no_links(path)?;
    fs::read_to_string(path)
}

/// Writes a fresh temp file beside `path` and renames it over `path`. The temp file is
/// created exclusively (an existing name, link or not, makes it fail rather than be
/// followed), and a rename replaces a link at `path` itself.
pub(super) fn replace_file(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: a leftover temp file is harmless; the write error is what matters.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A data dir with members `a` (holding a secret file) and `b`.
    fn two_members() -> (tempfile::TempDir, Layout, MemberDir, PathBuf) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let layout = Layout::new(tmp.path()).expect("layout");
        let a = MemberDir::of(&layout, "a").expect("a");
        let secret = a.root().join("projects/app/secret.txt");
        a.write_atomic(&secret, b"A's secret", 0o600)
            .expect("write");
        let b = MemberDir::of(&layout, "b").expect("b");
        (tmp, layout, b, secret)
    }

    fn untouched(secret: &Path) {
        assert_eq!(
            fs::read_to_string(secret).expect("A's file still exists"),
            "A's secret"
        );
    }

    #[test]
    fn directories_are_never_created_through_a_link() {
        let (_tmp, _l, b, secret) = two_members();
        let a_projects = secret.parent().and_then(Path::parent).expect("dir");
        symlink(a_projects, b.root().join("projects")).expect("symlink");
        let dir = b.root().join("projects/new");
        assert!(matches!(b.check(&dir), Err(PathError::Escapes(_))));
        assert!(matches!(b.create_dir_all(&dir), Err(PathError::Symlink(_))));
        assert!(!a_projects.join("new").exists());
        assert!(b.check(&b.root().join("../a/x")).is_err(), "`..` escapes");
        assert!(b.check(Path::new("/etc/passwd")).is_err());
        untouched(&secret);
    }

    #[test]
    fn removal_never_follows_a_link_out() {
        let (_tmp, _l, b, secret) = two_members();
        let a_app = secret.parent().expect("dir");
        // The workspace's parent is a link into A's tree.
        symlink(a_app.parent().expect("dir"), b.root().join("projects")).expect("symlink");
        assert!(b.remove_tree(&b.root().join("projects/app")).is_err());
        untouched(&secret);
        // The workspace itself is a link: the link goes, A's files stay.
        fs::remove_file(b.root().join("projects")).expect("unlink");
        b.create_dir_all(&b.root().join("projects")).expect("mkdir");
        symlink(a_app, b.root().join("projects/app")).expect("symlink");
        b.remove_tree(&b.root().join("projects/app"))
            .expect("remove");
        assert!(fs::symlink_metadata(b.root().join("projects/app")).is_err());
        untouched(&secret);
        assert!(b.remove_tree(b.root()).is_err(), "never the root itself");
    }

    #[test]
    fn writes_replace_a_planted_link_and_refuse_a_linked_directory() {
        let (_tmp, _l, b, secret) = two_members();
        let config = b.root().join("config/claude/.claude.json");
        b.create_dir_all(config.parent().expect("dir"))
            .expect("mkdir");
        symlink(&secret, &config).expect("symlink");
        assert_eq!(
            b.read_regular(&config).expect("read"),
            None,
            "not read through"
        );
        b.write_atomic(&config, b"{}", 0o600).expect("write");
        assert!(
            !fs::symlink_metadata(&config)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        untouched(&secret);

        fs::remove_dir_all(b.root().join("config")).expect("rm");
        symlink(secret.parent().expect("dir"), b.root().join("config")).expect("symlink");
        assert!(
            b.write_atomic(&b.root().join("config/secret.txt"), b"x", 0o600)
                .is_err()
        );
        untouched(&secret);
    }

    #[test]
    fn links_inside_the_own_tree_are_fine_and_dangling_ones_are_not() {
        let (_tmp, _l, b, _secret) = two_members();
        b.create_dir_all(&b.root().join("real")).expect("mkdir");
        symlink(b.root().join("real"), b.root().join("alias")).expect("symlink");
        assert!(b.check(&b.root().join("alias/file")).is_ok());
        symlink("/nonexistent/elsewhere", b.root().join("dangling")).expect("symlink");
        assert!(b.check(&b.root().join("dangling")).is_err());
    }

    #[test]
    fn no_links_on_the_way_for_paths_without_a_member_dir_at_hand() {
        let (_tmp, _l, b, secret) = two_members();
        let plain = b.root().join("projects/new/HISTORY.md");
        assert!(ensure_no_links(&plain).is_ok(), "missing parts are fine");
        symlink(secret.parent().expect("dir"), b.root().join("nanobot")).expect("symlink");
        let through = b.root().join("nanobot/secret.txt");
        assert!(ensure_no_links(&through).is_err());
        assert!(
            read_without_links(&through).is_err(),
            "A's file is not read"
        );
        symlink("/nonexistent/x", b.root().join("dangling")).expect("symlink");
        assert!(ensure_no_links(&b.root().join("dangling/f")).is_err());
        assert!(super::super::write_atomic(&through, b"x").is_err());
        untouched(&secret);
    }
}
