//! The sandbox every member's coding CLI runs in (bubblewrap): the system read-only, the
//! CLI's installation read-only, the member's own tree read-write, nothing else of the data
//! dir; new user/PID/IPC/UTS namespaces, no capabilities, an environment rebuilt from an
//! allow-list. See docs/sandbox.md for the threat model and every argument.
//!
//! This module builds what to run ([`Sandbox::spec`]); the launcher in [`exec`] runs it.
//! It must never hand a member's program the daemon's environment, and never bind a path
//! outside the member's own directory read-write.

pub mod args;
pub mod env;
pub mod exec;
pub mod install;
mod probe;

use std::path::{Path, PathBuf};

pub use exec::Spec;
pub use probe::{Status, check, status};

use crate::config::FileConfig;

/// The sandbox settings from `autocode.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// False only when the admin wrote `sandbox = false` (one-person installs).
    pub enabled: bool,
    pub bwrap: PathBuf,
    /// RLIMIT_NPROC inside the session; 0: none.
    pub max_processes: u64,
    /// RLIMIT_DATA of each process, MiB; 0: none.
    pub max_data_mib: u64,
}

impl Settings {
    pub fn from_config(file: &FileConfig) -> Self {
        Self {
            enabled: file.sandbox,
            bwrap: file.bwrap.clone(),
            max_processes: file.sandbox_max_processes,
            max_data_mib: file.sandbox_max_data_mib,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the program {0} was not found")]
    NoProgram(String),
    #[error("cannot resolve the program {program}: {source}")]
    Resolve {
        program: String,
        source: std::io::Error,
    },
    #[error("the working directory {0} is outside the member's own directory")]
    OutsideMember(PathBuf),
}

/// One member's sandbox: what their programs see and get.
#[derive(Debug, Clone)]
pub struct Sandbox {
    settings: Settings,
    member_dir: PathBuf,
    autocode_bin: PathBuf,
    system: args::SystemLayout,
}

impl Sandbox {
    /// The sandbox of the member whose directory is `member_dir` (`DATA/users/<name>`);
    /// `autocode_bin` is the daemon's own binary, which hooks and the limit setter run.
    /// The account page's "Log in here" session uses this too: `spec("claude", ["/login"]…)`.
    pub fn for_member(settings: &Settings, member_dir: &Path, autocode_bin: &Path) -> Self {
        Self {
            settings: settings.clone(),
            member_dir: member_dir
                .canonicalize()
                .unwrap_or_else(|_| member_dir.to_owned()),
            autocode_bin: autocode_bin
                .canonicalize()
                .unwrap_or_else(|_| autocode_bin.to_owned()),
            system: args::SystemLayout::of_host(),
        }
    }

    /// The daemon's own binary as it is seen inside (hooks run `<it> hook`).
    pub fn autocode_bin(&self) -> &Path {
        &self.autocode_bin
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    /// The member's CLI home (`HOME` inside), inside their own tree.
    pub fn home(&self) -> PathBuf {
        self.member_dir.join("config").join("home")
    }

    /// What runs `program args` for the member in `cwd` (inside their tree) with `given`
    /// added to the allow-listed environment. Nothing is started.
    pub fn spec(
        &self,
        program: &str,
        args: &[String],
        cwd: &Path,
        given: Vec<(String, String)>,
    ) -> Result<Spec, SandboxError> {
        let cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_owned());
        if !cwd.starts_with(&self.member_dir) {
            return Err(SandboxError::OutsideMember(cwd));
        }
        let located = install::locate(program, std::env::var("PATH").ok().as_deref())
            .ok_or_else(|| SandboxError::NoProgram(program.to_owned()))?;
        let installation =
            install::installation(&located, &self.system.dirs).map_err(|source| {
                SandboxError::Resolve {
                    program: program.to_owned(),
                    source,
                }
            })?;
        let env = env::build(
            &installation.bin_dirs,
            &self.home(),
            |name| std::env::var(name).ok(),
            given,
        );
        let program = installation.program.to_string_lossy().into_owned();
        if !self.settings.enabled {
            let mut argv = vec![program];
            argv.extend(args.iter().cloned());
            return Ok(Spec { argv, env, cwd });
        }
        let mut read_only = installation.roots;
        read_only.push(self.autocode_bin.clone());
        // DATA/users/<name> → DATA.
        let data_root = self.member_dir.parent().and_then(Path::parent);
        let mounts = args::Mounts {
            read_only,
            hidden: data_root.map(Path::to_owned).into_iter().collect(),
            read_write: vec![self.member_dir.clone()],
            chdir: cwd.clone(),
        };
        let mut argv = vec![self.settings.bwrap.to_string_lossy().into_owned()];
        argv.extend(args::bwrap_options(&self.system, &mounts));
        argv.extend([
            "--".to_owned(),
            self.autocode_bin.to_string_lossy().into_owned(),
            "sandbox-limits".to_owned(),
            "--processes".to_owned(),
            self.settings.max_processes.to_string(),
            "--data-mib".to_owned(),
            self.settings.max_data_mib.to_string(),
            "--".to_owned(),
            program,
        ]);
        argv.extend(args.iter().cloned());
        Ok(Spec { argv, env, cwd })
    }
}

/// Creates `dir` readable by the daemon's user only (specs, hook secrets).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// The daemon-private directory under the data dir (never inside a member's tree).
pub fn run_dir(data_root: &Path) -> PathBuf {
    data_root.join("run")
}
