//! The doctor's checks, one function each. Every failure names its fix.

use std::net::IpAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::{Check, Host};
use crate::config::{Config, FileConfig};

/// tmux 3.3a is the oldest release the control-mode parser was recorded against.
const MIN_TMUX: (u32, u32) = (3, 3);
/// Below this the database, logs and workspaces can run out mid-step.
const MIN_FREE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

pub(super) async fn tmux() -> Check {
    const NAME: &str = "tmux";
    let line = match crate::tmux::version().await {
        Ok(v) => v,
        Err(e) => {
            return Check::fail(
                NAME,
                format!("tmux cannot be run ({e}); projects cannot start"),
                "apt-get install tmux",
            );
        }
    };
    // "tmux 3.3a", "tmux next-3.4", "tmux 3.4": the first "N.M" in the line.
    let version = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find_map(|w| {
            let (major, minor) = w.split_once('.')?;
            Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
        });
    match version {
        Some(v) if v >= MIN_TMUX => Check::ok(NAME, line),
        Some(_) => Check::fail(
            NAME,
            format!("{line} is too old (3.3 or newer is needed)"),
            "install tmux 3.3 or newer (Debian 12 has 3.3a)",
        ),
        None => Check::warn(
            NAME,
            format!("cannot read the version from {line:?}"),
            "check that `tmux -V` prints a version like `tmux 3.3a`",
        ),
    }
}

pub(super) async fn sandbox(file: &FileConfig) -> Check {
    const NAME: &str = "sandbox";
    let settings = crate::sandbox::Settings::from_config(file);
    if !settings.enabled {
        return Check::warn(
            NAME,
            "sandbox = false: members' coding CLIs can read each other's files",
            "install bubblewrap and remove `sandbox = false` from autocode.toml, unless only one person uses this server",
        );
    }
    match crate::sandbox::check(&settings).await {
        Ok(()) => Check::ok(
            NAME,
            format!(
                "bubblewrap ({}) creates sandboxes (user namespaces work)",
                settings.bwrap.display()
            ),
        ),
        // The probe's message names the cause; the fix is its second half.
        Err(problem) => {
            let fix = if problem.contains("not installed") {
                format!(
                    "apt-get install bubblewrap, or point `bwrap = \"...\"` in autocode.toml at it (now {})",
                    settings.bwrap.display()
                )
            } else {
                "enable unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 (Ubuntu: kernel.apparmor_restrict_unprivileged_userns=0)".to_owned()
            };
            Check::fail(NAME, problem, fix)
        }
    }
}

pub(super) fn cli_installations(file: &FileConfig) -> Vec<Check> {
    const NAME: &str = "coding CLI";
    if file.cli_installations.is_empty() {
        return vec![match crate::sandbox::install::locate(
            "claude",
            std::env::var("PATH").ok().as_deref(),
        ) {
            Some(path) => Check::ok(
                NAME,
                format!(
                    "claude is at {} (the default agent uses it)",
                    path.display()
                ),
            ),
            None => Check::warn(
                NAME,
                "no `claude` on the daemon's PATH and no [cli_installations] in autocode.toml",
                "npm install -g @anthropic-ai/claude-code (deploy/install.sh does), or register one under [cli_installations]",
            ),
        }];
    }
    file.cli_installations
        .iter()
        .map(|(name, inst)| {
            // Not run here: the version probe runs inside a member's sandbox only.
            match std::fs::metadata(&inst.path) {
                Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => Check::ok(
                    NAME,
                    format!(
                        "{name}: {} ({}{})",
                        inst.path.display(),
                        inst.profile,
                        npm_version(&inst.path)
                            .map_or(String::new(), |v| format!(", Claude Code {v}"))
                    ),
                ),
                _ => Check::fail(
                    NAME,
                    format!("{name}: {} is missing or not executable", inst.path.display()),
                    format!(
                        "install it there, or fix or remove [cli_installations.\"{name}\"] in autocode.toml"
                    ),
                ),
            }
        })
        .collect()
}

/// The release of an npm-installed Claude Code, read from its package.json (running the
/// program is for the sandbox only): the link in `.bin` leads into the package's own dir.
fn npm_version(program: &Path) -> Option<String> {
    let real = std::fs::canonicalize(program).ok()?;
    real.ancestors().take(6).find_map(|dir| {
        let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
        let package: serde_json::Value = serde_json::from_str(&text).ok()?;
        (package["name"] == "@anthropic-ai/claude-code")
            .then(|| package["version"].as_str().map(str::to_owned))?
    })
}

pub(super) fn data_dir(dir: &Path) -> Vec<Check> {
    const NAME: &str = "data dir";
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            return vec![Check::fail(
                NAME,
                format!("{} cannot be read ({e})", dir.display()),
                "pass the right --data-dir (or AUTOCODE_DATA_DIR); the service uses /var/lib/autocode",
            )];
        }
    };
    let mut out = Vec::new();
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        out.push(Check::warn(
            NAME,
            format!(
                "{} is mode {mode:o}: other users of this host can look inside",
                dir.display()
            ),
            format!("chmod 700 {}", dir.display()),
        ));
    } else {
        out.push(Check::ok(
            NAME,
            format!("{} (mode {mode:o})", dir.display()),
        ));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        out.push(Check::warn(
            NAME,
            format!(
                "owned by uid {}, but this command runs as uid {me}",
                meta.uid()
            ),
            "run the doctor as the daemon's user: runuser -u autocode -- autocode doctor",
        ));
    }
    out
}

pub(super) fn master_key(dir: &Path) -> Check {
    const NAME: &str = "master key";
    let path = dir.join("master.key");
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Check::warn(
            NAME,
            format!("{} does not exist yet", path.display()),
            "nothing to do on a new install: the first start creates it (mode 600). Restoring? Put back the backup's master.key, or stored keys cannot be read",
        ),
        Err(e) => Check::fail(
            NAME,
            format!("{} cannot be read ({e})", path.display()),
            "run the doctor as the daemon's user",
        ),
        Ok(m) if m.permissions().mode() & 0o077 != 0 => Check::fail(
            NAME,
            format!(
                "{} is mode {:o}: other users can read the key that decrypts every stored API key; the daemon refuses to start",
                path.display(),
                m.permissions().mode() & 0o777
            ),
            format!("chmod 600 {}", path.display()),
        ),
        Ok(m) if m.len() != 32 => Check::fail(
            NAME,
            format!(
                "{} is {} bytes, not 32: it is damaged",
                path.display(),
                m.len()
            ),
            "restore master.key from a backup (without it stored keys cannot be read)",
        ),
        Ok(_) => Check::ok(NAME, format!("{} (mode 600)", path.display())),
    }
}

/// Each member's Claude Code sign-in: without one, their projects cannot run.
pub(super) async fn members(dir: &Path) -> Vec<Check> {
    const NAME: &str = "member";
    if crate::db::foreign_owner(dir).is_some() {
        return vec![Check::warn(
            NAME,
            "not checked: the database is read only as the data dir's owner",
            "run the doctor as the daemon's user: runuser -u autocode -- autocode doctor",
        )];
    }
    let db = match crate::db::open_live(&dir.join("autocode.db")).await {
        Ok(db) => db,
        Err(e) => {
            return vec![Check::warn(
                NAME,
                format!("cannot read the database ({e})"),
                "start the daemon once to create it, or check --data-dir",
            )];
        }
    };
    let rows: Vec<(String, Option<String>)> = match sqlx::query_as(
        r"select u.username, c.kind from users u
          left join claude_accounts c on c.user_id = u.id order by u.username",
    )
    .fetch_all(&db)
    .await
    {
        Ok(rows) => rows,
        Err(e) => {
            return vec![Check::warn(
                NAME,
                format!("cannot list members ({e})"),
                "upgrade AutoCode to the version that made this database",
            )];
        }
    };
    db.close().await;
    rows.into_iter()
        .map(|(name, kind)| {
            let saved = dir.join(format!("users/{name}/config/claude/.credentials.json"));
            match kind.as_deref() {
                // Never through a link: a member's tree is theirs to plant links in.
                Some("login") if !std::fs::symlink_metadata(&saved).is_ok_and(|m| m.is_file()) => Check::warn(
                    NAME,
                    format!("{name}: chose \"Log in here\" but the CLI saved no sign-in"),
                    format!("{name} opens Settings → Claude Code account and logs in again"),
                ),
                Some(kind) => Check::ok(NAME, format!("{name}: Claude Code account ({kind})")),
                None => Check::warn(
                    NAME,
                    format!("{name}: no Claude Code account, so their projects cannot run"),
                    format!(
                        "{name} adds one in Settings → Claude Code account (an API key, a setup token or \"Log in here\")"
                    ),
                ),
            }
        })
        .collect()
}

pub(super) fn listen(config: &Config, host: &Host) -> Vec<Check> {
    const NAME: &str = "listen address";
    let addr = config.listen;
    let mut out = Vec::new();
    if !addr.ip().is_loopback() {
        out.push(Check::warn(
            NAME,
            format!("{addr} is reachable from other hosts, around Caddy's TLS and headers"),
            "set AUTOCODE_LISTEN=127.0.0.1:8080 in /etc/autocode/env and let Caddy face the internet",
        ));
    } else {
        out.push(Check::ok(NAME, format!("{addr} (loopback, behind Caddy)")));
    }
    if let Ok(text) = std::fs::read_to_string(&host.caddyfile) {
        // Debian's stock Caddyfile mentions `reverse_proxy localhost:8080` in a comment.
        let caddyfile: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let target = format!("reverse_proxy {}:{}", addr.ip(), addr.port());
        let localhost = format!("reverse_proxy localhost:{}", addr.port());
        if !caddyfile.contains(&target) && !caddyfile.contains(&localhost) {
            out.push(Check::fail(
                "caddy",
                format!("{} does not proxy to {addr}", host.caddyfile.display()),
                format!("use `{target}` in it, then systemctl reload caddy"),
            ));
        }
        let loopback: IpAddr = [127, 0, 0, 1].into();
        if !config.file.trusted_proxies.contains(&loopback) {
            out.push(Check::warn(
                "caddy",
                "Caddy is in front but trusted_proxies does not name it: every login looks like it comes from 127.0.0.1, so one attacker's failures slow everyone down",
                "add trusted_proxies = [\"127.0.0.1\"] to autocode.toml",
            ));
        }
    }
    out
}

pub(super) fn disk(dir: &Path) -> Check {
    const NAME: &str = "free disk";
    match rustix::fs::statvfs(dir) {
        Ok(s) => {
            let free = s.f_bavail.saturating_mul(s.f_frsize);
            let gib = free as f64 / (1024.0 * 1024.0 * 1024.0);
            if free < MIN_FREE_BYTES {
                Check::warn(
                    NAME,
                    format!("{gib:.1} GiB free under {}", dir.display()),
                    "free some space (old backups, finished projects' workspaces) or grow the disk: below 2 GiB, steps can fail mid-write",
                )
            } else {
                Check::ok(NAME, format!("{gib:.1} GiB free"))
            }
        }
        Err(e) => Check::warn(NAME, format!("cannot tell ({e})"), "check with df -h"),
    }
}

/// A clock that jumped back makes tokens look unissued and logs out of order.
pub(super) async fn clock(dir: &Path) -> Vec<Check> {
    const NAME: &str = "clock";
    let mut out = Vec::new();
    let db = match crate::db::foreign_owner(dir) {
        None => crate::db::open_live(&dir.join("autocode.db")).await.ok(),
        Some(_) => None,
    };
    if let Some(db) = db {
        let newest: Result<Option<(i64,)>, _> = sqlx::query_as(
            "select cast(strftime('%s', max(timestamp)) as integer) - cast(strftime('%s', 'now') as integer) from logs",
        )
        .fetch_optional(&db)
        .await;
        db.close().await;
        if let Ok(Some((ahead,))) = newest
            && ahead > 60
        {
            out.push(Check::fail(
                NAME,
                format!("the newest log entry is {ahead} s in the future: the clock went back"),
                "set the time right (timedatectl set-ntp true)",
            ));
        }
    }
    let synced = std::process::Command::new("timedatectl")
        .args(["show", "-p", "NTPSynchronized", "--value"])
        .output();
    out.push(match synced {
        Ok(o) if o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "yes" => {
            Check::ok(NAME, "synchronized (NTP)")
        }
        Ok(o) if o.status.success() => Check::warn(
            NAME,
            "not synchronized with NTP",
            "timedatectl set-ntp true (apt-get install systemd-timesyncd if it has no NTP service)",
        ),
        _ => Check::ok(
            NAME,
            "cannot ask timedatectl here (no systemd); not checked",
        ),
    });
    out
}
