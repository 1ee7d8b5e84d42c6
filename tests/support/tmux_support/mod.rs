//! A private tmux server per test: own socket in a temp dir, killed (only it) on drop.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use autocode::tmux::{Monitor, MonitorConfig, PaneId, SessionName, SessionSpec, Tmux};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct TestTmux {
    pub dir: tempfile::TempDir,
    pub tmux: Tmux,
}

impl TestTmux {
    pub fn new() -> Self {
        // RUST_LOG=autocode=debug shows the monitor's decisions when a test fails.
        let _already_set = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().expect("tempdir");
        let tmux = Tmux::new(dir.path().join("tmux.sock"));
        Self { dir, tmux }
    }

    pub fn workdir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// A spawned `capture-pane -p` of our server: the reference the registry must match.
    #[allow(dead_code)] // used by tmux_monitor only; each test file compiles this module
    pub fn capture(&self, pane: PaneId) -> Vec<String> {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(self.tmux.socket())
            .args(["capture-pane", "-p", "-t", &pane.to_string()])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_end().to_owned())
            .collect()
    }

    /// tmux's own cursor position (row, col) of the pane.
    #[allow(dead_code)] // used by tmux_monitor only
    pub fn cursor(&self, pane: PaneId) -> (u16, u16) {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(self.tmux.socket())
            .args([
                "display-message",
                "-p",
                "-t",
                &pane.to_string(),
                "#{cursor_y} #{cursor_x}",
            ])
            .output()
            .expect("display-message");
        let text = String::from_utf8_lossy(&out.stdout);
        let (y, x) = text.trim().split_once(' ').expect("two numbers");
        (y.parse().expect("row"), x.parse().expect("col"))
    }

    pub fn spec(&self, name: &str, command: &[&str]) -> SessionSpec {
        SessionSpec::new(
            SessionName::new(name).expect("valid name"),
            self.workdir(),
            command.iter().map(|s| s.to_string()).collect(),
        )
    }

    pub async fn monitor(&self, config: MonitorConfig) -> Running {
        let cancel = CancellationToken::new();
        let (monitor, task) = Monitor::start(self.tmux.clone(), config, cancel.clone())
            .await
            .expect("monitor starts");
        Running {
            monitor,
            task: Some(task),
            cancel,
        }
    }
}

impl Drop for TestTmux {
    fn drop(&mut self) {
        // Only our own server, addressed by its socket.
        let status = Command::new("tmux")
            .arg("-S")
            .arg(self.tmux.socket())
            .arg("kill-server")
            .stderr(std::process::Stdio::null())
            .status();
        if let Err(e) = status {
            eprintln!("kill-server failed: {e}");
        }
    }
}

pub struct Running {
    pub monitor: Monitor,
    task: Option<JoinHandle<()>>,
    cancel: CancellationToken,
}

impl Running {
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .expect("monitor stops within 5 s")
                .expect("monitor task did not panic");
        }
    }
}

/// Polls an async condition until it holds or the deadline passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
