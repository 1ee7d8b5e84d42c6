//! The launcher: `autocode sandbox-exec <spec>` is what a tmux pane runs. It reads the
//! spec the daemon wrote (program, arguments, environment), deletes it and replaces itself
//! with the program, so that secrets travel through a 0600 file in a daemon-private
//! directory and never through a command line or tmux's environment.
//! `autocode sandbox-limits` runs first inside the sandbox and sets its rlimits.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One program to start: the whole argument vector (bwrap first when sandboxed), the
/// complete environment it gets and where it starts.
#[derive(Clone, Serialize, Deserialize)]
pub struct Spec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values hold API keys and the hook secret; names are enough to debug.
        let names: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Spec")
            .field("argv", &self.argv)
            .field("env", &names)
            .field("cwd", &self.cwd)
            .finish()
    }
}

impl Spec {
    /// Writes the spec as a new 0600 file in `dir` (created 0700) and returns its path.
    pub fn write_private(&self, dir: &Path) -> io::Result<PathBuf> {
        super::private_dir(dir)?;
        let name = format!("{:032x}.json", rand::random::<u128>());
        let path = dir.join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(&serde_json::to_vec(self).map_err(io::Error::other)?)?;
        Ok(path)
    }

    /// The program with exactly this environment (nothing inherited) and working dir.
    pub fn command(&self) -> Option<std::process::Command> {
        let (program, args) = self.argv.split_first()?;
        let mut command = std::process::Command::new(program);
        command
            .args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd);
        Some(command)
    }
}

/// `autocode sandbox-exec <spec>`: only returns on failure. The terminal type is tmux's
/// (the pane's own `TERM`), unless the spec names one.
pub fn exec_spec_file(path: &Path) -> io::Error {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => return e,
    };
    // Read once: a spec left behind would keep the secrets on disk.
    if let Err(e) = std::fs::remove_file(path) {
        return e;
    }
    let mut spec: Spec = match serde_json::from_slice(&text) {
        Ok(s) => s,
        Err(e) => return io::Error::new(io::ErrorKind::InvalidData, e),
    };
    if !spec.env.iter().any(|(k, _)| k == "TERM")
        && let Ok(term) = std::env::var("TERM")
    {
        spec.env.push(("TERM".into(), term));
    }
    match spec.command() {
        Some(mut command) => command.exec(),
        None => io::Error::new(io::ErrorKind::InvalidInput, "the spec names no program"),
    }
}

/// `autocode sandbox-limits --processes N --data-mib M -- program args…`, run inside the
/// sandbox's user namespace: there RLIMIT_NPROC counts this session's processes only,
/// where set outside it would count every process of the daemon's user.
pub fn exec_with_limits(processes: u64, data_mib: u64, argv: &[String]) -> io::Error {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let limit = |value: u64| Rlimit {
        current: Some(value),
        maximum: Some(value),
    };
    if processes > 0
        && let Err(e) = setrlimit(Resource::Nproc, limit(processes))
    {
        return e.into();
    }
    // RLIMIT_DATA, not RLIMIT_AS: V8 reserves far more address space than it uses.
    if data_mib > 0
        && let Err(e) = setrlimit(Resource::Data, limit(data_mib.saturating_mul(1 << 20)))
    {
        return e.into();
    }
    match argv.split_first() {
        Some((program, args)) => std::process::Command::new(program).args(args).exec(),
        None => io::Error::new(io::ErrorKind::InvalidInput, "no program to run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_spec_file_is_private_and_its_debug_hides_values() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("run");
        let spec = Spec {
            argv: vec!["/bin/true".into()],
            env: vec![("ANTHROPIC_API_KEY".into(), "sk-secret".into())],
            cwd: "/".into(),
        };
        let path = spec.write_private(&dir).expect("written");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert!(!format!("{spec:?}").contains("sk-secret"));
    }
}
