//! Can a sandbox be created here? Found out by creating one (bwrap may be missing, or the
//! kernel may refuse unprivileged user namespaces), at boot and before every start.

use std::time::Duration;

use serde::Serialize;

use super::Settings;
use super::args::{Mounts, SystemLayout, bwrap_options};

/// What the admin page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub enabled: bool,
    pub available: bool,
    /// Why a sandbox cannot be created, and the fix.
    pub problem: Option<String>,
}

const FIX_OR_DISABLE: &str = "or set sandbox = false in autocode.toml for a one-person install.";

/// Ok when a trivial sandbox starts and exits cleanly; else the cause and the fix, in words.
pub async fn check(settings: &Settings) -> Result<(), String> {
    let mut argv = bwrap_options(
        &SystemLayout::of_host(),
        &Mounts {
            read_only: Vec::new(),
            hidden: Vec::new(),
            read_write: Vec::new(),
            chdir: "/".into(),
        },
    );
    argv.extend(["--".to_owned(), "true".to_owned()]);
    let run = tokio::process::Command::new(&settings.bwrap)
        .args(&argv)
        .env_clear()
        .env("PATH", super::env::SYSTEM_PATH.join(":"))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let bwrap = settings.bwrap.display();
    match tokio::time::timeout(Duration::from_secs(10), run).await {
        Err(_) => Err(format!(
            "The sandbox cannot start: bubblewrap ({bwrap}) did not finish a test run within 10 seconds."
        )),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "The sandbox cannot start: bubblewrap ({bwrap}) is not installed. Install the Debian package bubblewrap (or set bwrap = \"/path/to/bwrap\"), {FIX_OR_DISABLE}"
        )),
        Ok(Err(e)) => Err(format!(
            "The sandbox cannot start: bubblewrap ({bwrap}) cannot be run ({e}). {FIX_OR_DISABLE}"
        )),
        Ok(Ok(out)) if out.status.success() => Ok(()),
        Ok(Ok(out)) => Err(format!(
            "The sandbox cannot start: bubblewrap could not create one ({}). Unprivileged user namespaces are probably switched off: enable them (sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu), {FIX_OR_DISABLE}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// The sandbox's state for the admin page.
pub async fn status(settings: &Settings) -> Status {
    if !settings.enabled {
        return Status {
            enabled: false,
            available: false,
            problem: None,
        };
    }
    let problem = check(settings).await.err();
    Status {
        enabled: true,
        available: problem.is_none(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(bwrap: &str) -> Settings {
        Settings {
            enabled: true,
            bwrap: bwrap.into(),
            max_processes: 0,
            max_data_mib: 0,
        }
    }

    #[tokio::test]
    async fn a_missing_bwrap_names_the_package_and_the_way_out() {
        let problem = check(&settings("/nonexistent/bwrap"))
            .await
            .expect_err("cannot start");
        assert!(problem.contains("not installed"), "{problem}");
        assert!(problem.contains("bubblewrap") && problem.contains("sandbox = false"));
        let status = status(&settings("/nonexistent/bwrap")).await;
        assert!(status.enabled && !status.available);
    }

    #[tokio::test]
    async fn the_installed_bwrap_creates_a_sandbox() {
        check(&settings("/usr/bin/bwrap"))
            .await
            .expect("bwrap works here");
    }
}
