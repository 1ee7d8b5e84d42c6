//! Everything AutoCode keeps on disk for users: the data-dir layout, workspaces created
//! from `data-template/` (embedded in the binary, so an installed daemon needs no source
//! tree), and path confinement: every path built from user data must stay under the
//! data dir, checked both lexically and after resolving symlinks, and a member's paths
//! under that member's own directory (`MemberDir`, in `confine`).

mod confine;

pub use confine::{MemberDir, ensure_no_links, read_without_links};

use std::io;
use std::path::{Component, Path, PathBuf};

/// Files of a new user's workspace: (path relative to `users/{name}/`, contents).
const USER_TEMPLATE: &[(&str, &str)] = &[
    ("projects/.keep", ""),
    (
        "config/README.md",
        include_str!("../../data-template/user/config/README.md"),
    ),
];

/// Files of a new project workspace, with `{{placeholders}}` filled per project.
const PROJECT_TEMPLATE: &[(&str, &str)] = &[
    (
        ".gitignore",
        include_str!("../../data-template/project/.gitignore"),
    ),
    (
        ".claude/CLAUDE.md",
        include_str!("../../data-template/project/.claude/CLAUDE.md"),
    ),
    (
        ".nanobot/config.json",
        include_str!("../../data-template/project/.nanobot/config.json"),
    ),
    (
        ".nanobot/IDENTITY.md",
        include_str!("../../data-template/project/.nanobot/IDENTITY.md"),
    ),
    (
        ".nanobot/MEMORY.md",
        include_str!("../../data-template/project/.nanobot/MEMORY.md"),
    ),
    (
        ".nanobot/HISTORY.md",
        include_str!("../../data-template/project/.nanobot/HISTORY.md"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("path component {0:?} is not a plain name")]
    BadComponent(String),
    #[error("{0} escapes its directory")]
    Escapes(PathBuf),
    #[error("{0} is a symbolic link where AutoCode keeps a directory or file of its own")]
    Symlink(PathBuf),
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The data dir and the paths inside it.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// `root` is made absolute so that later checks compare like with like.
    pub fn new(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.canonicalize()?,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("autocode.db")
    }

    pub fn master_key(&self) -> PathBuf {
        self.root.join("master.key")
    }

    pub fn user_dir(&self, username: &str) -> Result<PathBuf, PathError> {
        self.join(&["users", username])
    }

    /// Where a user's project workspaces live; `base` is the agent's `workspace_base`.
    pub fn project_dir(
        &self,
        username: &str,
        base: &str,
        slug: &str,
    ) -> Result<PathBuf, PathError> {
        let mut parts = vec!["users", username];
        parts.extend(base.split('/'));
        parts.push(slug);
        self.join(&parts)
    }

    pub fn agent_dir(&self, agent_id: i64) -> Result<PathBuf, PathError> {
        self.join(&["agents", &agent_id.to_string()])
    }

    /// Joins plain names under the root; refuses `..`, `.`, separators, NUL and empties.
    pub fn join(&self, parts: &[&str]) -> Result<PathBuf, PathError> {
        let mut path = self.root.clone();
        for part in parts {
            let mut comps = Path::new(part).components();
            match (comps.next(), comps.next()) {
                (Some(Component::Normal(c)), None) if !part.contains('\0') && c == *part => {
                    path.push(c)
                }
                _ => return Err(PathError::BadComponent((*part).to_owned())),
            }
        }
        self.ensure_under(&path)?;
        Ok(path)
    }

    /// Resolves symlinks on the longest existing prefix of `path` and checks the result
    /// is still under the root, so a planted symlink cannot redirect a write.
    pub fn ensure_under(&self, path: &Path) -> Result<(), PathError> {
        let mut existing = path;
        let resolved = loop {
            match existing.canonicalize() {
                Ok(p) => break p,
                Err(e) if e.kind() == io::ErrorKind::NotFound => match existing.parent() {
                    Some(parent) => existing = parent,
                    None => return Err(PathError::Escapes(path.to_owned())),
                },
                Err(e) => return Err(e.into()),
            }
        };
        if resolved.starts_with(&self.root) {
            Ok(())
        } else {
            Err(PathError::Escapes(path.to_owned()))
        }
    }

    pub fn create_user_workspace(&self, username: &str) -> Result<PathBuf, PathError> {
        let member = MemberDir::of(self, username)?;
        write_template(&member, member.root(), USER_TEMPLATE, &[])?;
        Ok(member.root().to_owned())
    }

    /// Removes one of the daemon's own directory trees (an agent's, a whole user's); a
    /// missing one is fine. Paths inside a member's tree go through `MemberDir::remove_tree`.
    pub fn remove_tree(&self, dir: &Path) -> Result<(), PathError> {
        if dir == self.root {
            return Err(PathError::Escapes(dir.to_owned()));
        }
        self.ensure_under(dir)?;
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Values substituted into the project template.
pub struct ProjectVars<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub description: &'a str,
    pub architecture: &'a str,
    /// Made from a clone: the repository's `.gitignore` is the member's and is left alone
    /// (AutoCode's ignores go to `.git/info/exclude`), so no AutoCode commit touches it.
    pub cloned: bool,
}

/// Fills a project workspace from the template, confined to the member's directory: a
/// planted link anywhere on the way (`workspace_base`, `projects/<slug>`) is refused.
pub fn create_project_workspace(
    member: &MemberDir,
    dir: &Path,
    vars: &ProjectVars<'_>,
) -> Result<(), PathError> {
    let subs = [
        ("{{project_name}}", vars.name),
        ("{{slug}}", vars.slug),
        ("{{description}}", vars.description),
        ("{{architecture}}", vars.architecture),
    ];
    member.create_dir_all(dir)?;
    let files: Vec<_> = PROJECT_TEMPLATE
        .iter()
        .filter(|(rel, _)| !(vars.cloned && *rel == ".gitignore"))
        .copied()
        .collect();
    write_template(member, dir, &files, &subs)
}

fn write_template(
    member: &MemberDir,
    dir: &Path,
    files: &[(&str, &str)],
    subs: &[(&str, &str)],
) -> Result<(), PathError> {
    for (rel, contents) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            member.create_dir_all(parent)?;
        }
        // Existing files (or links) are the user's: a re-created workspace never
        // overwrites them, nor writes through them.
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        let json = rel.ends_with(".json");
        let mut text = (*contents).to_owned();
        for (key, value) in subs {
            // In JSON templates a value goes inside a string literal: escape it as one.
            let value = if json {
                let quoted = serde_json::Value::from(*value).to_string();
                quoted[1..quoted.len() - 1].to_owned()
            } else {
                (*value).to_owned()
            };
            text = text.replace(key, &value);
        }
        // Created exclusively: something that appeared meanwhile is not written through.
        std::io::Write::write_all(
            &mut std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?,
            text.as_bytes(),
        )?;
    }
    Ok(())
}

/// Writes a file via a temp file and rename, so readers never see half a file. The temp
/// file is created exclusively and a link at `path` is replaced, not written through; a
/// directory on the way that is a link is refused (`ensure_no_links`). With a member's
/// directory at hand, prefer `MemberDir::write_atomic`.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_no_links(dir)?;
    std::fs::create_dir_all(dir)?;
    confine::replace_file(path, contents, 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> (tempfile::TempDir, Layout) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let layout = Layout::new(tmp.path()).expect("layout");
        (tmp, layout)
    }

    #[test]
    fn join_refuses_escapes() {
        let (_tmp, l) = layout();
        assert!(l.join(&["users", "bob"]).is_ok());
        for bad in ["..", ".", "", "a/b", "/etc", "a\0b", "../x"] {
            assert!(
                matches!(l.join(&["users", bad]), Err(PathError::BadComponent(_))),
                "{bad:?}"
            );
        }
        assert!(l.project_dir("bob", "../../etc", "x").is_err());
        assert!(l.project_dir("bob", "projects", "x").is_ok());
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let (_tmp, l) = layout();
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(l.root().join("users")).expect("mkdir");
        std::os::unix::fs::symlink(outside.path(), l.root().join("users/evil")).expect("symlink");
        assert!(matches!(
            l.join(&["users", "evil", "projects"]),
            Err(PathError::Escapes(_))
        ));
        assert!(l.remove_tree(&l.root().join("users/evil")).is_err());
        assert!(outside.path().exists());
        assert!(l.remove_tree(l.root()).is_err());
    }

    #[test]
    fn project_template_is_filled_and_never_overwrites() {
        let (_tmp, l) = layout();
        let dir = l.project_dir("bob", "projects", "app").expect("dir");
        let member = MemberDir::of(&l, "bob").expect("member");
        let vars = ProjectVars {
            name: "App \"quoted\"",
            slug: "app",
            description: "Build it",
            architecture: "Rust",
            cloned: false,
        };
        create_project_workspace(&member, &dir, &vars).expect("create");
        let claude = std::fs::read_to_string(dir.join(".claude/CLAUDE.md")).expect("read");
        assert!(claude.contains("# App") && claude.contains("Build it") && !claude.contains("{{"));
        let config: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(".nanobot/config.json")).expect("read"),
        )
        .expect("config.json stays valid JSON whatever the name");
        assert_eq!(config["project"], "App \"quoted\"");
        for f in ["config.json", "IDENTITY.md", "MEMORY.md", "HISTORY.md"] {
            assert!(dir.join(".nanobot").join(f).is_file(), "{f}");
        }
        std::fs::write(dir.join(".nanobot/MEMORY.md"), "mine").expect("write");
        create_project_workspace(&member, &dir, &vars).expect("again");
        assert_eq!(
            std::fs::read_to_string(dir.join(".nanobot/MEMORY.md")).expect("read"),
            "mine"
        );
    }
}
