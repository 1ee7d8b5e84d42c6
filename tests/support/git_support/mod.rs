//! Plain git for the tests of project remotes: the test's own commands on its own
//! repositories (hooks and global config off), and a bare repository to serve.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `dir` and returns what it printed; a failure fails the test.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "core.hooksPath=/dev/null"])
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The served repository's own `.gitignore`: a clone must keep it as it is.
pub const SEED_GITIGNORE: &str = "target/\n";

/// `<root>/<owner>/app.git`, a bare repository with one commit on `main`, outside any
/// member's directory: only a git server reaches it.
pub fn bare_repo(root: &Path, owner: &str) -> PathBuf {
    let seed = root.join(format!("seed-{owner}"));
    std::fs::create_dir_all(&seed).expect("mkdir");
    git(&seed, &["init", "--quiet", "--initial-branch", "main"]);
    std::fs::write(seed.join("README.md"), "# app\n").expect("readme");
    std::fs::write(seed.join(".gitignore"), SEED_GITIGNORE).expect("gitignore");
    git(&seed, &["add", "README.md", ".gitignore"]);
    git(&seed, &["commit", "--quiet", "-m", "Initial commit"]);
    let bare = root.join(owner).join("app.git");
    std::fs::create_dir_all(bare.parent().expect("parent")).expect("mkdir");
    let (seed, to) = (seed.to_str().expect("utf8"), bare.to_str().expect("utf8"));
    git(root, &["clone", "--quiet", "--bare", seed, to]);
    bare
}
