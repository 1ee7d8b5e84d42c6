//! The bubblewrap argument vector of one sandbox: pure, so every mount is unit-tested.

use std::path::{Path, PathBuf};

/// The uid and gid a member's processes have inside: unprivileged, and the same for every
/// member (they never share a namespace, so the number does not identify anyone).
pub const INNER_ID: u32 = 1000;

/// Where the host's top-level system directories are and how they look (directories or
/// the `usr`-merge symlinks); read from the host by [`SystemLayout::of_host`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLayout {
    /// Directories bound read-only as they are (`/usr`, `/etc`, `/opt`, ...).
    pub dirs: Vec<PathBuf>,
    /// `(link, target)` of top-level symlinks recreated inside (`/bin -> usr/bin`).
    pub links: Vec<(PathBuf, PathBuf)>,
    /// Files under the bound system directories that must not be readable inside; a
    /// daemon run as root would otherwise show them (the inner uid maps to the daemon's).
    pub masked_files: Vec<PathBuf>,
    /// Directories under them replaced by an empty tmpfs (the daemon's own `/etc/autocode`).
    pub masked_dirs: Vec<PathBuf>,
    /// Files bound at their real path because a bound path links outside the binds
    /// (`/etc/resolv.conf -> /run/systemd/resolve/stub-resolv.conf`).
    pub extra_files: Vec<PathBuf>,
}

const SYSTEM_DIRS: &[&str] = &["/usr", "/etc", "/opt"];
const MERGED_DIRS: &[&str] = &["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
const SECRET_FILES: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
];
const SECRET_DIRS: &[&str] = &["/etc/autocode", "/etc/ssh", "/etc/sudoers.d"];

impl SystemLayout {
    pub fn of_host() -> Self {
        let existing = |list: &[&str]| -> Vec<PathBuf> {
            list.iter()
                .map(PathBuf::from)
                .filter(|p| p.exists())
                .collect()
        };
        let mut layout = SystemLayout {
            dirs: existing(SYSTEM_DIRS),
            links: Vec::new(),
            masked_files: existing(SECRET_FILES),
            masked_dirs: existing(SECRET_DIRS),
            extra_files: Vec::new(),
        };
        for dir in MERGED_DIRS {
            let path = Path::new(dir);
            match std::fs::read_link(path) {
                Ok(target) => layout.links.push((path.to_owned(), target)),
                Err(_) if path.is_dir() => layout.dirs.push(path.to_owned()),
                Err(_) => {}
            }
        }
        // Name resolution must work inside: follow a resolver link that leaves the binds.
        if let Ok(real) = Path::new("/etc/resolv.conf").canonicalize()
            && !layout.dirs.iter().any(|d| real.starts_with(d))
        {
            layout.extra_files.push(real);
        }
        layout
    }
}

/// What one sandbox sees besides the system.
#[derive(Debug, Clone)]
pub struct Mounts {
    /// Read-only: the CLI's installation roots, and the `autocode` binary its hooks run.
    pub read_only: Vec<PathBuf>,
    /// Replaced by an empty tmpfs after the read-only binds: the data dir, should a system
    /// directory or an installation hold it (`/opt/autocode/data`), so that only the
    /// member's own tree shows of it.
    pub hidden: Vec<PathBuf>,
    /// Read-write: the member's own tree.
    pub read_write: Vec<PathBuf>,
    /// The directory the program starts in.
    pub chdir: PathBuf,
}

fn push(argv: &mut Vec<String>, parts: &[&str]) {
    argv.extend(parts.iter().map(|s| (*s).to_owned()));
}

fn path(p: &Path) -> &str {
    // Paths come from the host's filesystem; a non-UTF-8 one is shown lossily and will not
    // exist inside, which fails closed (the mount fails, nothing extra is visible).
    p.to_str().unwrap_or("/nonexistent")
}

/// The bwrap options (everything before `--`) for `mounts` on `system`.
pub fn bwrap_options(system: &SystemLayout, mounts: &Mounts) -> Vec<String> {
    let mut argv = Vec::new();
    let id = INNER_ID.to_string();
    push(
        &mut argv,
        &[
            "--die-with-parent",
            "--unshare-user",
            "--uid",
            &id,
            "--gid",
            &id,
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-drop",
            "ALL",
        ],
    );
    for dir in &system.dirs {
        push(&mut argv, &["--ro-bind", path(dir), path(dir)]);
    }
    for (link, target) in &system.links {
        push(&mut argv, &["--symlink", path(target), path(link)]);
    }
    for file in &system.extra_files {
        push(&mut argv, &["--ro-bind", path(file), path(file)]);
    }
    for file in &system.masked_files {
        push(&mut argv, &["--ro-bind", "/dev/null", path(file)]);
    }
    for dir in &system.masked_dirs {
        push(&mut argv, &["--tmpfs", path(dir)]);
    }
    push(
        &mut argv,
        &["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"],
    );
    // After the /tmp tmpfs, so that a data dir or an installation under /tmp still shows.
    for p in &mounts.read_only {
        push(&mut argv, &["--ro-bind", path(p), path(p)]);
    }
    for p in &mounts.hidden {
        push(&mut argv, &["--tmpfs", path(p)]);
    }
    for p in &mounts.read_write {
        push(&mut argv, &["--bind", path(p), path(p)]);
    }
    push(&mut argv, &["--chdir", path(&mounts.chdir)]);
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system() -> SystemLayout {
        SystemLayout {
            dirs: vec!["/usr".into(), "/etc".into()],
            links: vec![("/bin".into(), "usr/bin".into())],
            masked_files: vec!["/etc/shadow".into()],
            masked_dirs: vec!["/etc/autocode".into()],
            extra_files: vec![],
        }
    }

    fn position(argv: &[String], window: &[&str]) -> usize {
        argv.windows(window.len())
            .position(|w| w.iter().zip(window).all(|(a, b)| a == b))
            .unwrap_or_else(|| panic!("{window:?} not in {argv:?}"))
    }

    #[test]
    fn binds_the_member_tree_after_the_private_tmp_and_nothing_else_writable() {
        let mounts = Mounts {
            read_only: vec!["/tmp/tools/claude".into()],
            hidden: vec!["/tmp/data".into()],
            read_write: vec!["/tmp/data/users/bob".into()],
            chdir: "/tmp/data/users/bob/projects/x".into(),
        };
        let argv = bwrap_options(&system(), &mounts);
        let tmp = position(&argv, &["--tmpfs", "/tmp"]);
        assert!(
            position(
                &argv,
                &["--bind", "/tmp/data/users/bob", "/tmp/data/users/bob"]
            ) > tmp
        );
        assert!(
            position(
                &argv,
                &["--ro-bind", "/tmp/tools/claude", "/tmp/tools/claude"]
            ) > tmp
        );
        assert_eq!(argv.iter().filter(|a| *a == "--bind").count(), 1);
        // The data dir is hidden after every read-only bind and before the member's tree.
        let hidden = position(&argv, &["--tmpfs", "/tmp/data"]);
        assert!(
            hidden
                > position(
                    &argv,
                    &["--ro-bind", "/tmp/tools/claude", "/tmp/tools/claude"]
                )
        );
        assert!(
            hidden
                < position(
                    &argv,
                    &["--bind", "/tmp/data/users/bob", "/tmp/data/users/bob"]
                )
        );
        position(&argv, &["--chdir", "/tmp/data/users/bob/projects/x"]);
    }

    #[test]
    fn isolates_every_namespace_but_the_network_and_drops_capabilities() {
        let argv = bwrap_options(
            &system(),
            &Mounts {
                read_only: vec![],
                hidden: vec![],
                read_write: vec![],
                chdir: "/".into(),
            },
        );
        for flag in [
            "--unshare-user",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--die-with-parent",
        ] {
            assert!(argv.iter().any(|a| a == flag), "{flag} missing");
        }
        assert!(
            !argv
                .iter()
                .any(|a| a == "--unshare-net" || a == "--unshare-all" || a == "--share-net")
        );
        position(&argv, &["--uid", "1000", "--gid", "1000"]);
        position(&argv, &["--cap-drop", "ALL"]);
        position(&argv, &["--symlink", "usr/bin", "/bin"]);
        let shadow = position(&argv, &["--ro-bind", "/dev/null", "/etc/shadow"]);
        assert!(
            shadow > position(&argv, &["--ro-bind", "/etc", "/etc"]),
            "masks come after /etc"
        );
        position(&argv, &["--tmpfs", "/etc/autocode"]);
    }
}
