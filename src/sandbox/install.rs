//! Where a CLI is installed: the program's real path and the directory tree it needs
//! (an npm prefix holds the launcher script, node_modules and the native binary).

use std::path::{Path, PathBuf};

/// A program resolved on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The program's real path (symlinks resolved): what runs inside, where only the
    /// installation's real tree is bound.
    pub program: PathBuf,
    /// Bound read-only inside (empty when the system binds already cover it).
    pub roots: Vec<PathBuf>,
    /// Searched first on the sandbox's PATH: the directory named and the real one.
    pub bin_dirs: Vec<PathBuf>,
}

/// Finds `program` (a path, or a name looked up on `search_path`).
pub fn locate(program: &str, search_path: Option<&str>) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    std::env::split_paths(search_path?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The installation tree of `program`: the directory above the first `node_modules` of its
/// real path (an npm prefix), else the directory it is in. Trees under `covered` (the
/// system binds) need no bind of their own.
pub fn installation(program: &Path, covered: &[PathBuf]) -> std::io::Result<Installation> {
    let real = program.canonicalize()?;
    let mut roots = Vec::new();
    let mut bin_dirs = Vec::new();
    for path in [program.to_owned(), real.clone()] {
        let root = npm_prefix(&path).or_else(|| path.parent().map(Path::to_owned));
        if let Some(root) = root {
            let root = root.canonicalize().unwrap_or(root);
            if !covered.iter().any(|c| root.starts_with(c)) && !roots.contains(&root) {
                roots.push(root);
            }
        }
        // The named directory (e.g. node_modules/.bin) by its real path, as it is bound.
        if let Some(dir) = path.parent() {
            let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
            if !bin_dirs.contains(&dir) {
                bin_dirs.push(dir);
            }
        }
    }
    Ok(Installation {
        program: real,
        roots,
        bin_dirs,
    })
}

fn npm_prefix(path: &Path) -> Option<PathBuf> {
    let mut prefix = PathBuf::new();
    for part in path.components() {
        if part.as_os_str() == "node_modules" {
            return Some(prefix);
        }
        prefix.push(part);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_npm_install_is_bound_from_its_prefix() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let prefix = tmp.path().canonicalize().expect("real").join("claude-code");
        let real = prefix.join("node_modules/@anthropic-ai/claude-code/bin/claude.exe");
        std::fs::create_dir_all(real.parent().expect("dir")).expect("mkdir");
        std::fs::write(&real, "").expect("write");
        let bin = prefix.join("node_modules/.bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        std::os::unix::fs::symlink(
            "../@anthropic-ai/claude-code/bin/claude.exe",
            bin.join("claude"),
        )
        .expect("symlink");
        let found = installation(&bin.join("claude"), &[]).expect("resolved");
        assert_eq!(found.roots, vec![prefix.clone()]);
        assert_eq!(found.program, real);
        assert_eq!(found.bin_dirs[0], bin);
        let covered = installation(
            &bin.join("claude"),
            &[tmp.path().canonicalize().expect("real")],
        )
        .expect("resolved");
        assert!(
            covered.roots.is_empty(),
            "covered trees get no bind of their own"
        );
    }

    #[test]
    fn names_are_looked_up_on_the_search_path() {
        assert_eq!(
            locate("sh", Some("/nonexistent:/bin")),
            Some(PathBuf::from("/bin/sh"))
        );
        assert_eq!(locate("no-such-program-here", Some("/bin")), None);
        assert_eq!(locate("./x", None), Some(PathBuf::from("./x")));
    }
}
