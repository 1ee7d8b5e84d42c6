//! Git as the daemon runs it never runs a program the member planted as the daemon: a
//! `post-commit` hook and a clean filter planted in a workspace leave no trace outside
//! the member's sandbox. Each test first shows that the planted program is live (plain
//! git, run by the test itself, does run it), so it cannot pass for the wrong reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use autocode::git::Repo;
use autocode::sandbox::{Sandbox, Settings};

fn settings(enabled: bool) -> Settings {
    Settings {
        enabled,
        bwrap: "/usr/bin/bwrap".into(),
        max_processes: 256,
        max_data_mib: 4096,
    }
}

/// A member's workspace that is a repository with a planted hook and clean filter, each
/// touching a file in `outside` (a directory the sandbox does not show).
struct Planted {
    _tmp: tempfile::TempDir,
    member: PathBuf,
    workspace: PathBuf,
    outside: PathBuf,
}

impl Planted {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().canonicalize().expect("real path");
        let member = root.join("data/users/mallory");
        let workspace = member.join("projects/p");
        let outside = root.join("outside");
        std::fs::create_dir_all(&workspace).expect("mkdir");
        std::fs::create_dir_all(member.join("config/home")).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(["-c", "core.hooksPath=/dev/null"])
                .args(args)
                .current_dir(&workspace)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .expect("git");
            assert!(out.status.success(), "{out:?}");
        };
        git(&["init", "--quiet", "--initial-branch", "autocode/p"]);
        let hook = workspace.join(".git/hooks/post-commit");
        let ran = outside.join("hook-ran");
        std::fs::write(&hook, format!("#!/bin/sh\ntouch '{}'\n", ran.display())).expect("hook");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let filtered = outside.join("filter-ran");
        git(&[
            "config",
            "filter.evil.clean",
            &format!("sh -c 'touch {}; cat'", filtered.display()),
        ]);
        std::fs::write(workspace.join(".gitattributes"), "*.txt filter=evil\n").expect("attrs");
        std::fs::write(workspace.join("a.txt"), "hello\n").expect("a.txt");
        Planted {
            _tmp: tmp,
            member,
            workspace,
            outside,
        }
    }

    fn repo(&self, sandboxed: bool) -> Repo {
        let sandbox = Sandbox::for_member(
            &settings(sandboxed),
            &self.member,
            Path::new(env!("CARGO_BIN_EXE_autocode")),
        );
        Repo::new(sandbox, &self.workspace)
    }

    fn ran(&self, what: &str) -> bool {
        self.outside.join(what).exists()
    }
}

#[tokio::test]
async fn a_planted_hook_and_clean_filter_do_not_run_outside_the_sandbox() {
    let p = Planted::new();
    let sha = p
        .repo(true)
        .commit_all("Step 1: write a.txt", true)
        .await
        .expect("commit")
        .expect("a commit");
    assert_eq!(sha.len(), 40);
    assert!(!p.ran("hook-ran"), "the post-commit hook ran outside");
    assert!(!p.ran("filter-ran"), "the clean filter ran outside");
    // The commit is there all the same, with the file.
    let log = p.repo(true).log(10).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].subject, "Step 1: write a.txt");
    assert!(log[0].files.iter().any(|f| f.path == "a.txt"), "{log:?}");

    // The control: the same plant, run by plain git outside any sandbox, does run.
    std::fs::write(p.workspace.join("a.txt"), "changed\n").expect("write");
    let out = Command::new("git")
        .args(["commit", "--quiet", "-am", "plain"])
        .current_dir(&p.workspace)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .output()
        .expect("git");
    assert!(out.status.success(), "{out:?}");
    assert!(
        p.ran("hook-ran") && p.ran("filter-ran"),
        "the plant is live"
    );
}

#[tokio::test]
async fn with_the_sandbox_off_the_hook_still_never_runs() {
    // An admin may switch the sandbox off (one-person installs); AutoCode's own
    // `core.hooksPath=/dev/null`, given to every git it runs, still keeps hooks from running.
    let p = Planted::new();
    p.repo(false)
        .commit_all("Step 1", true)
        .await
        .expect("commit")
        .expect("a commit");
    assert!(!p.ran("hook-ran"), "the post-commit hook ran");
}
