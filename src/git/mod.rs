//! A project's git history: the repository in its workspace, a commit per step, the
//! commits and diffs the API shows, and undoing a step.
//!
//! Git is a member-chosen program in disguise: the workspace's `.git/config`, hooks,
//! `.gitattributes` filters and fsmonitor are the member's (and their CLI's) to write. So
//! every git command here runs inside the member's sandbox ([`Sandbox::spec`]), never as
//! the daemon, and also with hooks, fsmonitor, pagers, editors, external diffs and
//! credential helpers switched off on its command line (defence in depth: a sandbox turned
//! off by the admin still runs no hook). No secret is ever put on a git command line.

mod config;
pub mod github;
mod parse;
pub mod remote;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncReadExt;

pub use parse::{Commit, FileDiff, FileStat, parse_diff, parse_log};

use crate::sandbox::{Sandbox, SandboxError};
use config::{config_args, config_env};

/// Who AutoCode's commits are by; Claude is named as co-author in the message.
pub const AUTHOR_NAME: &str = "AutoCode";
pub const AUTHOR_EMAIL: &str = "autocode@localhost";
pub const CO_AUTHOR: &str = "Co-authored-by: Claude <noreply@anthropic.com>";

/// The most a git command may print before it is cut off (a diff of a huge file).
pub const MAX_OUTPUT: usize = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(60);

/// What AutoCode keeps out of a project's history: its own notes and the CLI's state.
pub const GITIGNORE: &str = include_str!("../../data-template/project/.gitignore");

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git cannot run in the sandbox: {0}")]
    Sandbox(#[from] SandboxError),
    #[error("git could not be started: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("git took longer than {0:?}")]
    Timeout(Duration),
    #[error("git {command} failed: {stderr}")]
    Failed { command: String, stderr: String },
}

/// What one git command printed.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    /// The output was longer than [`MAX_OUTPUT`] and was cut there.
    pub truncated: bool,
}

/// The repository in one project's workspace, reached through its owner's sandbox.
pub struct Repo {
    sandbox: Sandbox,
    workdir: PathBuf,
}

impl Repo {
    pub fn new(sandbox: Sandbox, workdir: &Path) -> Self {
        Self {
            sandbox,
            workdir: workdir.to_owned(),
        }
    }

    /// The branch AutoCode works on in a project's repository.
    pub fn branch(slug: &str) -> String {
        format!("autocode/{slug}")
    }

    /// Runs `git <safe config> args` in the member's sandbox, in the workspace.
    pub async fn run(&self, args: &[&str]) -> Result<Output, GitError> {
        self.git(&[], args, Vec::new(), TIMEOUT).await
    }

    /// Runs `git <safe config> <extra config> args` with `env` added: what a remote needs
    /// (the protocol it may use, the credential helper and the token it reads).
    pub(crate) async fn git(
        &self,
        extra_config: &[String],
        args: &[&str],
        env: Vec<(String, String)>,
        timeout: Duration,
    ) -> Result<Output, GitError> {
        let mut argv = config_args(extra_config);
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        self.spawn("git", &argv, env, timeout).await
    }

    /// Runs `program argv` in the member's sandbox with git's environment plus `extra`.
    async fn spawn(
        &self,
        program: &str,
        argv: &[String],
        extra: Vec<(String, String)>,
        timeout: Duration,
    ) -> Result<Output, GitError> {
        let mut env: Vec<(String, String)> = [
            // The member's global and the system's config could name programs too.
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("GIT_CONFIG_GLOBAL", "/dev/null"),
            ("GIT_TERMINAL_PROMPT", "0"),
            // Git's messages reach the member's log and are read here: one language.
            ("LC_ALL", "C.UTF-8"),
            ("GIT_AUTHOR_NAME", AUTHOR_NAME),
            ("GIT_AUTHOR_EMAIL", AUTHOR_EMAIL),
            ("GIT_COMMITTER_NAME", AUTHOR_NAME),
            ("GIT_COMMITTER_EMAIL", AUTHOR_EMAIL),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        env.extend(extra);
        let spec = self.sandbox.spec(program, argv, &self.workdir, env)?;
        let Some(command) = spec.command() else {
            return Err(GitError::Spawn(std::io::Error::other("empty command")));
        };
        let mut command = tokio::process::Command::from(command);
        command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(GitError::Spawn(std::io::Error::other("no pipes")));
        };
        let work = async {
            let (stdout, stderr) = tokio::join!(read_capped(out), read_capped(err));
            let (stdout, truncated) = stdout?;
            let (stderr, _) = stderr?;
            // A cut-off reader stops draining: end git rather than wait for it forever.
            if truncated {
                child.start_kill()?;
            }
            let status = child.wait().await?;
            Ok::<_, std::io::Error>(Output {
                success: status.success(),
                stdout,
                stderr,
                truncated,
            })
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| GitError::Timeout(timeout))?
            .map_err(GitError::Spawn)
    }

    /// Like [`Repo::run`], but a failing command is an error naming it.
    pub async fn ok(&self, args: &[&str]) -> Result<Output, GitError> {
        let out = self.run(args).await?;
        if out.success || out.truncated {
            Ok(out)
        } else {
            Err(GitError::Failed {
                command: args.first().copied().unwrap_or_default().to_owned(),
                stderr: out.stderr.trim().chars().take(500).collect(),
            })
        }
    }

    pub fn is_repository(&self) -> bool {
        std::fs::symlink_metadata(self.workdir.join(".git")).is_ok()
    }

    /// Makes the workspace a repository on `autocode/<slug>` if it is not one yet.
    /// Returns whether it was created.
    pub async fn ensure(&self, slug: &str) -> Result<bool, GitError> {
        if self.is_repository() {
            return Ok(false);
        }
        let branch = Self::branch(slug);
        self.ok(&["init", "--quiet", "--initial-branch", &branch])
            .await?;
        Ok(true)
    }

    /// Stages everything (the `.gitignore` keeps AutoCode's files out) and commits it;
    /// `None` when there was nothing to commit and `allow_empty` is false.
    pub async fn commit_all(
        &self,
        message: &str,
        allow_empty: bool,
    ) -> Result<Option<String>, GitError> {
        // One sandbox for the whole commit: starting one costs about 30 ms, and four of them
        // were most of the controller's own time between two steps. The script is fixed;
        // the message is its argument `$1`, never part of it. The safe config goes through
        // git's environment here, as the `-c` options would for a single command.
        const SCRIPT: &str = r#"git add --all || exit
if [ "$2" = if-changed ] && git diff --cached --quiet; then exit 0; fi
git commit --quiet --no-verify --allow-empty --message "$1" || exit
git rev-parse --verify HEAD"#;
        let mode = if allow_empty { "always" } else { "if-changed" };
        let argv: Vec<String> = ["-c", SCRIPT, "autocode-commit", message, mode]
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        let out = self.spawn("sh", &argv, config_env(), TIMEOUT).await?;
        if !out.success {
            return Err(GitError::Failed {
                command: "commit".into(),
                stderr: out.stderr.trim().chars().take(500).collect(),
            });
        }
        let sha = out.stdout.trim();
        Ok((!sha.is_empty()).then(|| sha.to_owned()))
    }

    pub async fn head(&self) -> Result<String, GitError> {
        let out = self.ok(&["rev-parse", "--verify", "HEAD"]).await?;
        Ok(out.stdout.trim().to_owned())
    }

    /// The newest `limit` commits of the current branch with their file counts.
    pub async fn log(&self, limit: usize) -> Result<Vec<Commit>, GitError> {
        if !self.is_repository() {
            return Ok(Vec::new());
        }
        let out = self
            .run(&["rev-parse", "--verify", "--quiet", "HEAD"])
            .await?;
        if !out.success {
            return Ok(Vec::new()); // no commit yet
        }
        let max = format!("--max-count={limit}");
        let out = self
            .ok(&[
                "log",
                &max,
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--numstat",
                "--format=%x1e%H%x1f%an%x1f%aI%x1f%s%x1f%b%x1f",
            ])
            .await?;
        Ok(parse_log(&out.stdout))
    }

    /// The files one commit changed, with unified hunks (cut at [`MAX_OUTPUT`]).
    /// `sha` must already be checked to be hexadecimal.
    pub async fn diff(&self, sha: &str) -> Result<Option<(Vec<FileDiff>, bool)>, GitError> {
        let object = format!("{sha}^{{commit}}");
        let exists = self
            .run(&["rev-parse", "--verify", "--quiet", &object])
            .await?;
        if !exists.success {
            return Ok(None);
        }
        let out = self
            .ok(&[
                "show",
                "--format=",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--patch",
                &object,
            ])
            .await?;
        Ok(Some((parse_diff(&out.stdout), out.truncated)))
    }

    /// Reverts one commit with a commit of its own; on a conflict nothing changes.
    pub async fn revert(&self, sha: &str, message: &str) -> Result<Revert, GitError> {
        let out = self
            .run(&["revert", "--no-edit", "--no-commit", sha])
            .await?;
        if !out.success {
            // Back to the commit as it was; leftovers were committed before, so the
            // reset loses nothing of the member's.
            if !self.run(&["revert", "--abort"]).await?.success {
                self.ok(&["reset", "--merge"]).await?;
            }
            return Ok(Revert::Conflict(
                out.stderr.trim().chars().take(500).collect(),
            ));
        }
        match self.commit_all(message, false).await? {
            Some(sha) => Ok(Revert::Done(sha)),
            None => Ok(Revert::NothingToUndo),
        }
    }
}

pub enum Revert {
    Done(String),
    /// The commit changed no file (a step that only reviewed).
    NothingToUndo,
    /// Later changes touch the same lines; git's words.
    Conflict(String),
}

/// Whether `s` can only be a commit id (so it never reads as an option or a ref name).
pub fn is_sha(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn read_capped(
    mut from: impl tokio::io::AsyncRead + Unpin,
) -> std::io::Result<(String, bool)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = from.read(&mut chunk).await?;
        if n == 0 {
            return Ok((String::from_utf8_lossy(&buf).into_owned(), false));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_OUTPUT {
            buf.truncate(MAX_OUTPUT);
            return Ok((String::from_utf8_lossy(&buf).into_owned(), true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::config::SAFE_CONFIG;
    use super::*;

    #[test]
    fn only_hexadecimal_ids_pass_as_commits() {
        assert!(is_sha("deadbeef"));
        assert!(is_sha(&"a".repeat(40)));
        // Options, ranges and ref names never reach git as a commit id.
        for bad in [
            "--output=/tmp/x",
            "HEAD",
            "abc",
            "a..b",
            "main",
            "",
            &"a".repeat(65),
        ] {
            assert!(!is_sha(bad), "{bad}");
        }
    }

    #[test]
    fn every_setting_that_could_run_a_program_is_switched_off() {
        for key in [
            "core.hooksPath=/dev/null",
            "core.fsmonitor=false",
            "core.sshCommand=false",
            "credential.helper=",
            "diff.external=",
            "protocol.allow=never",
        ] {
            assert!(SAFE_CONFIG.contains(&key), "{key}");
        }
    }
}
