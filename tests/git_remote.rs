//! Project remotes: a clone from a loopback git server that wants the member's token, a
//! push back to it, both through the member's sandbox, with the token never on a command
//! line, in `.git/config` or in a log; and the `repo_url` checks of project creation.

#[macro_use]
mod support;

use support::{common, git_support};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use autocode::git::Repo;
use autocode::git::remote::RemoteUrl;
use autocode::sandbox::{Sandbox, Settings};
use autocode::testkit::git_server::GitServer;
use common::TestApp;
use git_support::{bare_repo, git};
use reqwest::StatusCode;
use serde_json::json;

const TOKEN: &str = "ghp_test0123456789secret";

/// Watches every process's command line while it runs: which held the token, and how
/// many named the remote (so a watch that saw nothing cannot pass for a clean one).
struct ArgvWatch {
    stop: Arc<AtomicBool>,
    found: Arc<Mutex<(Vec<String>, usize)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ArgvWatch {
    fn start(secret: &'static str, marker: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let found = Arc::new(Mutex::new((Vec::new(), 0)));
        let (s, f) = (stop.clone(), found.clone());
        let thread = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while !s.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
                let Ok(dir) = std::fs::read_dir("/proc") else {
                    return;
                };
                for entry in dir.flatten() {
                    let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
                        continue;
                    };
                    let line = String::from_utf8_lossy(&raw).replace('\0', " ");
                    let mut f = f.lock().expect("lock");
                    if line.contains(secret) {
                        f.0.push(line.clone());
                    }
                    if line.contains(&marker) {
                        f.1 += 1;
                    }
                }
            }
        });
        Self {
            stop,
            found,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> (Vec<String>, usize) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().expect("watch thread");
        }
        self.found.lock().expect("lock").clone()
    }
}

/// A bare `alice/app.git` under `root/remotes`, served only with the token.
async fn served(root: &Path) -> (PathBuf, GitServer) {
    let bare = bare_repo(&root.join("remotes"), "alice");
    let server = GitServer::start(&root.join("remotes"), Some(TOKEN))
        .await
        .expect("server");
    (bare, server)
}

/// A member's empty workspace under `root` and its repository, reached through the
/// member's real sandbox.
fn sandboxed(root: &Path) -> (PathBuf, PathBuf, Repo) {
    let member = root.join("data/users/alice");
    let workspace = member.join("projects/app");
    std::fs::create_dir_all(&workspace).expect("mkdir");
    std::fs::create_dir_all(member.join("config/home")).expect("mkdir");
    let settings = Settings {
        enabled: true,
        bwrap: "/usr/bin/bwrap".into(),
        max_processes: 256,
        max_data_mib: 4096,
    };
    let sandbox = Sandbox::for_member(
        &settings,
        &member,
        Path::new(env!("CARGO_BIN_EXE_autocode")),
    );
    let repo = Repo::new(sandbox, &workspace);
    (member, workspace, repo)
}

#[tokio::test]
async fn clone_with_the_token_and_push_back_through_the_sandbox() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("real path");
    let (bare, server) = served(&root).await;
    let url = RemoteUrl::parse(&server.url("alice/app.git")).expect("url");
    let (member, workspace, repo) = sandboxed(&root);

    // Without the token the server says 401 and git says so, in its own words.
    let err = repo
        .clone_from(&url, None, "app")
        .await
        .expect_err("needs the token");
    assert!(
        err.to_string().contains("add a git token in Settings"),
        "{err}"
    );
    std::fs::remove_dir_all(&workspace).expect("clean");
    std::fs::create_dir_all(&workspace).expect("mkdir");

    let watch = ArgvWatch::start(TOKEN, server.addr.to_string());
    let base = repo
        .clone_from(&url, Some(TOKEN), "app")
        .await
        .expect("clone");
    assert_eq!(base.as_deref(), Some("main"));
    assert_eq!(
        git(&workspace, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "autocode/app"
    );
    assert!(workspace.join("README.md").is_file());

    // Config the agent could write in the workspace (a URL rewrite to elsewhere, a proxy)
    // plays no part in a push: were it read, the push would go to a closed port and fail.
    let elsewhere = "http://127.0.0.1:9/";
    let prefix = format!("http://{}/", server.addr);
    git(
        &workspace,
        &["config", &format!("url.{elsewhere}.insteadOf"), &prefix],
    );
    git(&workspace, &["config", "http.proxy", elsewhere]);
    let control = Command::new("git")
        .args([
            "push",
            "--quiet",
            &server.url("alice/app.git"),
            "HEAD:refs/heads/x",
        ])
        .current_dir(&workspace)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git");
    let said = String::from_utf8_lossy(&control.stderr);
    assert!(
        said.contains("port 9"),
        "the plant is live for plain git: {said}"
    );
    std::fs::write(workspace.join("hello.txt"), "hello\n").expect("write");
    let sha = repo
        .commit_all("Step 1: hello", false)
        .await
        .expect("commit")
        .expect("a commit");
    let pushed = repo
        .push_to(&url, Some(TOKEN), "autocode/app")
        .await
        .expect("push");
    let (argv_with_token, seen) = watch.finish();
    assert_eq!(pushed, sha);
    assert_eq!(
        git(&bare, &["rev-parse", "refs/heads/autocode/app"]).trim(),
        sha
    );
    assert_eq!(
        git(&bare, &["rev-parse", "main"]).trim(),
        git(&workspace, &["rev-parse", "main"]).trim()
    );

    // The server got the token, as HTTP Basic auth.
    assert!(
        server.seen().iter().any(|s| s
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))),
        "the token never reached the server"
    );
    // It never showed on a command line, nor in the repository's config or files.
    assert!(seen > 0, "the watch saw no process of the clone or push");
    assert!(argv_with_token.is_empty(), "{argv_with_token:?}");
    let config = std::fs::read_to_string(workspace.join(".git/config")).expect("config");
    assert!(!config.contains(TOKEN), "{config}");
    let grep = Command::new("grep")
        .args(["-r", "-l", TOKEN])
        .arg(&member)
        .output()
        .expect("grep");
    assert!(
        grep.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&grep.stdout)
    );
    drop(tmp);
}

#[tokio::test]
async fn a_push_refused_by_the_remote_is_an_error_in_gits_words() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("real path");
    let (_, server) = served(&root).await;
    let url = RemoteUrl::parse(&server.url("alice/app.git")).expect("url");
    let (_, workspace, repo) = sandboxed(&root);
    repo.clone_from(&url, Some(TOKEN), "app")
        .await
        .expect("clone");
    // A history unrelated to main cannot replace it without force, which is never used.
    git(&workspace, &["checkout", "--quiet", "--orphan", "other"]);
    std::fs::write(workspace.join("x.txt"), "x\n").expect("write");
    repo.commit_all("unrelated", false).await.expect("commit");
    let err = repo
        .push_to(&url, Some(TOKEN), "main")
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("push failed") && text.contains("rejected"),
        "{text}"
    );
    assert!(!text.contains(TOKEN));
}

async fn member(app: &TestApp) -> (common::Session, i64) {
    let admin = app.admin().await;
    let user = app.user(&admin, "alice").await;
    let agent = app.agent(&user, "builder").await;
    (user, agent["id"].as_i64().expect("id"))
}

#[tokio::test]
async fn bad_repo_urls_and_failed_clones_leave_no_project() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("real path");
    let (_, server) = served(&root).await;
    let app = TestApp::start().await;
    let (user, agent) = member(&app).await;
    let create = |body: serde_json::Value| {
        let (app, user) = (&app, &user);
        async move {
            app.post(&format!("/api/agents/{agent}/projects"), &user.access, body)
                .await
        }
    };
    let other = app.data_dir.join("users/admin/projects/x");
    for (body, field) in [
        (json!({"name": "a", "repo_url": other.to_str()}), "repo_url"),
        (
            json!({"name": "a", "repo_url": format!("file://{}", other.display())}),
            "repo_url",
        ),
        (
            json!({"name": "a", "repo_url": "ssh://git@github.com/a/b"}),
            "repo_url",
        ),
        (
            json!({"name": "a", "repo_url": "http://example.com/a/b"}),
            "repo_url",
        ),
        (
            json!({"name": "a", "repo_url": format!("https://x:{TOKEN}@github.com/a/b")}),
            "repo_url",
        ),
        (
            json!({"name": "a", "repo_url": "ext::sh -c id"}),
            "repo_url",
        ),
        (json!({"name": "a", "push": "each_step"}), "push"),
        (
            json!({"name": "a", "repo_url": server.url("alice/app.git"), "push": "always"}),
            "push",
        ),
    ] {
        let (status, answer) = create(body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["detail"]["field"], field, "{body}: {answer}");
    }
    // Not cloned without the token (401), with a wrong one, nor from nowhere.
    let refused = |url: String, why: &'static str| {
        let create = &create;
        async move {
            let (status, answer) = create(json!({"name": "Cloned", "repo_url": url})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            let reason = answer["detail"]["reason"].as_str().expect("reason");
            assert!(reason.starts_with("git could not clone it: "), "{reason}");
            assert!(
                reason.contains(why) && !reason.contains("fatal:"),
                "{reason}"
            );
        }
    };
    let login = "the remote asks for a login: add a git token in Settings";
    refused(server.url("alice/app.git"), login).await;
    let (_, projects) = app.get("/api/projects", &user.access).await;
    assert_eq!(projects, json!([]), "a failed clone left a project");
    let folder = app.data_dir.join("users/alice/projects/cloned");
    assert!(!folder.exists(), "a failed clone left its folder");

    // The token: write-only, and checked.
    let (status, _) = app
        .put("/api/account/git", &user.access, json!({"token": "a b"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A token the remote refuses is said to be refused.
    let (status, _) = app
        .put(
            "/api/account/git",
            &user.access,
            json!({"token": "ghp_not_the_token"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let url = server.url("alice/app.git");
    refused(
        url.clone(),
        "the remote refused the git token from Settings",
    )
    .await;
    let (status, view) = app
        .put("/api/account/git", &user.access, json!({"token": TOKEN}))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["last4"], "cret");
    assert!(!view.to_string().contains(TOKEN));
    refused(server.url("alice/missing.git"), "not found").await;
    let (_, projects) = app.get("/api/projects", &user.access).await;
    assert_eq!(projects, json!([]), "a failed clone left a project");

    let (status, project) =
        create(json!({"name": "Cloned", "repo_url": url, "push": "at_completion"})).await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    assert_eq!(project["remote"]["url"], url.as_str());
    assert_eq!(project["remote"]["push"], "at_completion");
    assert_eq!(project["remote"]["base_branch"], "main");
    let ws = PathBuf::from(project["workspace_path"].as_str().expect("ws"));
    assert_eq!(
        git(&ws, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "autocode/cloned"
    );
    // The history is the remote's: AutoCode's ignores live in .git/info/exclude, so no
    // commit of its own touches the member's .gitignore.
    let subjects = git(&ws, &["log", "--format=%s"]);
    assert_eq!(subjects.lines().collect::<Vec<_>>(), ["Initial commit"]);
    assert_eq!(
        std::fs::read_to_string(ws.join(".gitignore")).expect(".gitignore"),
        git_support::SEED_GITIGNORE
    );
    assert_eq!(
        git(&ws, &["status", "--porcelain"]),
        "",
        "nothing left over"
    );
    let tracked = git(&ws, &["ls-files"]);
    assert!(
        !tracked.contains(".nanobot/") && !tracked.contains(".claude/"),
        "{tracked}"
    );
    let id = project["id"].as_i64().expect("id");
    // The listing shows the remote too (read for all its projects at once).
    let (_, projects) = app.get("/api/projects", &user.access).await;
    assert_eq!(projects[0]["remote"], project["remote"], "{projects}");
    let (_, logs) = app
        .get(&format!("/api/projects/{id}/logs"), &user.access)
        .await;
    assert!(!logs.to_string().contains(TOKEN));
    let (status, _) = app.delete("/api/account/git", &user.access).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, view) = app.get("/api/account/git", &user.access).await;
    assert_eq!(view["set"], false);
    app.stop().await;
}
