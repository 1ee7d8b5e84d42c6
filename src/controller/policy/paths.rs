//! Where a path in a permission request points: resolved lexically against the
//! workspace (or a `cd` target), `~`, and `$HOME`; and whether it lies in the project's
//! workspace or elsewhere in AutoCode's data dir. Variables and substitutions make a path
//! unknowable, and callers must treat unknowable as unsafe where it matters.

use std::path::{Component, Path, PathBuf};

pub(super) struct Paths {
    /// Absolute and normalised; relative paths in commands start here.
    pub workspace: PathBuf,
    /// The workspace and the data dir as given and, when they differ, as the file system
    /// resolves them (a data dir reached through a symlink has two spellings).
    workspaces: Vec<PathBuf>,
    data_dirs: Vec<PathBuf>,
    pub home: Option<PathBuf>,
}

/// `path` made absolute and normalised, plus its canonical form when that exists and
/// differs. The only file-system access of the policy: it reads no file, it only asks
/// where directories really are.
fn spellings(path: &Path) -> Vec<PathBuf> {
    let absolute = normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_owned()));
    let mut all = vec![absolute.clone()];
    if let Ok(real) = std::fs::canonicalize(&absolute)
        && real != absolute
    {
        all.push(real);
    }
    all
}

impl Paths {
    pub(super) fn new(workspace: &Path, data_dir: &Path, home: Option<&Path>) -> Self {
        let workspaces = spellings(workspace);
        Self {
            workspace: workspaces[0].clone(),
            workspaces,
            data_dirs: spellings(data_dir),
            home: home.map(normalize),
        }
    }

    /// Where `word` points if it is used as a path from `cwd`; `None` when unknowable.
    pub(super) fn resolve(&self, word: &str, cwd: Option<&Path>) -> Option<PathBuf> {
        let word = word.strip_prefix("file://").unwrap_or(word);
        let home_relative = ["~", "$HOME", "${HOME}"].iter().find_map(|prefix| {
            word.strip_prefix(prefix)
                .filter(|r| r.is_empty() || r.starts_with('/'))
        });
        // A variable or a substitution could point anywhere.
        let unknowable = |s: &str| s.contains(['$', '`']);
        let joined = if let Some(rest) = home_relative {
            if unknowable(rest) {
                return None;
            }
            self.home.as_ref()?.join(rest.trim_start_matches('/'))
        } else if unknowable(word) {
            return None;
        } else if word.starts_with('/') {
            PathBuf::from(word)
        } else {
            cwd?.join(word)
        };
        Some(normalize(&joined))
    }

    pub(super) fn is_other_data(&self, path: &Path) -> bool {
        self.data_dirs.iter().any(|d| path.starts_with(d)) && !self.in_workspace(path)
    }

    pub(super) fn in_workspace(&self, path: &Path) -> bool {
        self.workspaces.iter().any(|w| path.starts_with(w))
    }

    pub(super) fn strictly_inside_workspace(&self, path: &Path) -> bool {
        self.workspaces
            .iter()
            .any(|w| path.starts_with(w) && path != w)
    }
}

/// `a/./b/../c` is `a/c`; `..` above the root stays at the root.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

pub(super) fn looks_like_path(word: &str) -> bool {
    word.contains('/') || word == "." || word == ".." || word.starts_with('~')
}
