//! `autocode doctor`: is this host ready to run AutoCode? Each check says what it found in
//! plain words and, when something is wrong, the one thing to do about it.
//!
//! The doctor only reads: it never repairs, never starts the daemon, and never needs it
//! stopped. It must work on a data dir the daemon would refuse (a loose master key is exactly
//! what it is for), so it opens the database itself instead of through `autocode::open`.

mod checks;

use std::path::PathBuf;

use serde::Serialize;

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    /// Works, but something a person should know or improve.
    Warn,
    /// Projects cannot run (or data is at risk) until this is fixed.
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub level: Level,
    /// What was found.
    pub detail: String,
    /// What to do, when `level` is not `Ok`.
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            level: Level::Ok,
            detail: detail.into(),
            fix: None,
        }
    }
    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            level: Level::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            level: Level::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Where to look besides the data dir (tests point these at their own files).
#[derive(Debug, Clone)]
pub struct Host {
    /// Caddy's config, to compare with the listen address.
    pub caddyfile: PathBuf,
}

impl Default for Host {
    fn default() -> Self {
        Self {
            caddyfile: PathBuf::from("/etc/caddy/Caddyfile"),
        }
    }
}

/// Runs every check, in the order a person would fix things.
pub async fn run(config: &Config, host: &Host) -> Vec<Check> {
    let mut out = vec![checks::tmux().await, checks::sandbox(&config.file).await];
    out.extend(checks::cli_installations(&config.file));
    out.extend(checks::data_dir(&config.data_dir));
    out.push(checks::master_key(&config.data_dir));
    out.extend(checks::members(&config.data_dir).await);
    out.extend(checks::listen(config, host));
    out.push(checks::disk(&config.data_dir));
    out.extend(checks::clock(&config.data_dir).await);
    out
}

/// The report as a person reads it: one line per check, the fix indented below.
pub fn render(checks: &[Check]) -> String {
    let mut text = String::new();
    for c in checks {
        let mark = match c.level {
            Level::Ok => "ok  ",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        text.push_str(&format!("{mark} {}: {}\n", c.name, c.detail));
        if let Some(fix) = &c.fix {
            text.push_str(&format!("     fix: {fix}\n"));
        }
    }
    let fails = checks.iter().filter(|c| c.level == Level::Fail).count();
    let warns = checks.iter().filter(|c| c.level == Level::Warn).count();
    text.push_str(&match (fails, warns) {
        (0, 0) => "All good.\n".to_owned(),
        (0, w) => format!("Ready, with {w} warning(s).\n"),
        (f, _) => format!("{f} problem(s) to fix before AutoCode runs properly.\n"),
    });
    text
}
