//! Support for tests that run the real Claude Code CLI: a private tmux server (own socket in a
//! temp dir, killed on drop) and a minimal config pre-seed.
//!
//! This deliberately uses plain `tmux` commands and `capture-pane`: the real driver lives in
//! `src/tmux/` and must not be what these tests rely on to prove the harness works.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use autocode::testkit::claude_env::ClaudeEnv;
use serde_json::json;

/// Pane size every fixture and test uses.
pub const COLS: &str = "200";
pub const ROWS: &str = "50";

/// A tmux server of our own; nothing here touches any other server.
pub struct PrivateTmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrivateTmux {
    /// Starts the server with a placeholder session, so that the global options are in place
    /// before the CLI's pane exists.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir for the tmux socket");
        let socket = dir.path().join("tmux.sock");
        let tmux = Self { socket, _dir: dir };
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "keep",
            "-x",
            COLS,
            "-y",
            ROWS,
        ]);
        tmux.run(&["set-option", "-g", "remain-on-exit", "on"]);
        tmux.run(&["set-option", "-g", "focus-events", "on"]);
        tmux
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        // The server and the CLI inherit nothing from the developer's environment (no real API
        // keys or Claude settings); what the CLI needs is passed with `-e`.
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg("-S")
            .arg(&self.socket);
        command
    }

    /// Runs a tmux command that must succeed.
    pub fn run(&self, args: &[&str]) -> Output {
        let output = self.command().args(args).output().expect("run tmux");
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Starts `program args` as the command of a new session `name`, in `cwd`, with `env`.
    pub fn spawn(
        &self,
        name: &str,
        cwd: &Path,
        env: &[(&str, String)],
        program: &Path,
        args: &[&str],
    ) {
        let mut command = self.command();
        command.args([
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            COLS,
            "-y",
            ROWS,
            "-c",
        ]);
        command.arg(cwd);
        for (key, value) in env {
            command.arg("-e").arg(format!("{key}={value}"));
        }
        command.arg(program).args(args);
        let output = command.output().expect("run tmux new-session");
        assert!(
            output.status.success(),
            "new-session: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn capture(&self, target: &str) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", target]).stdout)
            .into_owned()
    }

    pub fn pane_dead(&self, target: &str) -> bool {
        let out = self.run(&["display-message", "-p", "-t", target, "#{pane_dead}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Types literal text (never interpreted as key names).
    pub fn send_text(&self, target: &str, text: &str) {
        self.run(&["send-keys", "-t", target, "-l", text]);
    }

    /// Sends one named key (`Enter`, `Escape`, `1`, …).
    pub fn send_key(&self, target: &str, key: &str) {
        self.run(&["send-keys", "-t", target, key]);
    }

    /// Polls the screen until `done` holds, or panics with the last screen after `timeout`.
    pub async fn wait_screen(
        &self,
        target: &str,
        timeout: Duration,
        what: &str,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture(target);
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline && !self.pane_dead(target),
                "gave up waiting for {what}; screen:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Like [`wait_screen`](Self::wait_screen), but `done` must hold on every capture for
    /// `hold`: the CLI drops a key sent right after a prompt is drawn.
    pub async fn wait_screen_settled(
        &self,
        target: &str,
        timeout: Duration,
        hold: Duration,
        what: &str,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        let mut since: Option<Instant> = None;
        loop {
            let screen = self.capture(target);
            if done(&screen) {
                let first = *since.get_or_insert_with(Instant::now);
                if first.elapsed() >= hold {
                    return screen;
                }
            } else {
                since = None;
            }
            assert!(
                Instant::now() < deadline,
                "gave up waiting for {what}; screen:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for PrivateTmux {
    fn drop(&mut self) {
        // Only our own server, by its socket.
        let _ignored_if_already_gone = self.command().arg("kill-server").output();
    }
}

/// A per-test home with a workspace in it.
pub struct TestHome {
    pub dir: tempfile::TempDir,
}

impl TestHome {
    pub fn new() -> Self {
        let home = Self {
            dir: tempfile::tempdir().expect("temp home"),
        };
        std::fs::create_dir_all(home.workspace()).expect("workspace dir");
        home
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn workspace(&self) -> PathBuf {
        self.dir.path().join("projects").join("demo")
    }
}

/// Writes the config that keeps every start-up dialog away and selects manual permission mode.
///
/// Minimal local version for these tests: once the Claude Code profile's pre-seed (helper
/// `screen`, `src/profile/`) is merged, these tests must use that instead.
pub fn preseed(env: &ClaudeEnv, version: &str, workspace: &Path) {
    let config = env.config_dir();
    std::fs::create_dir_all(&config).expect("config dir");
    let state = json!({
        "hasCompletedOnboarding": true,
        "lastOnboardingVersion": version,
        "lastReleaseNotesSeen": version,
        "numStartups": 1,
        "theme": "dark",
        "officialMarketplaceAutoInstallAttempted": true,
        "hasSeenAutoDefaultNudge": true,
        "customApiKeyResponses": { "approved": [env.api_key_fingerprint()], "rejected": [] },
        "projects": {
            workspace.display().to_string(): {
                "hasTrustDialogAccepted": true,
                "projectOnboardingSeenCount": 1,
                "allowedTools": []
            }
        }
    });
    std::fs::write(config.join(".claude.json"), state.to_string()).expect("write .claude.json");
    let settings = json!({ "permissions": { "defaultMode": "default" } });
    std::fs::write(config.join("settings.json"), settings.to_string())
        .expect("write settings.json");
}
