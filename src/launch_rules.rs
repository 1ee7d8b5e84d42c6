//! What an agent's launch settings (`cli`) may not ask for: a program the admin did not
//! register, environment variables that would move the CLI out of its member's own
//! sandbox or hijack it, and arguments that switch off AutoCode's permission policy.
//!
//! The same rules run when an agent is saved (422 naming the field) and when a project is
//! started or its CLI launched, so an agent saved before these rules existed cannot launch.
//! The explicit `cli.auto_mode` setting is the one way to let the CLI judge tool calls.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use crate::agent_config::{CliConfig, FieldError};
use crate::config::{CliInstallation, FileConfig};
use crate::profile::Profile;

/// Variables a member may not set, and why:
/// - where the CLI keeps its login, transcripts and settings, and who it runs as (another
///   member's directory would mean their Claude login and history): `HOME`,
///   `CLAUDE_CONFIG_DIR`, `XDG_*`, `USER`, `LOGNAME`, `TMPDIR`;
/// - how programs are found and which shell runs commands: `PATH`, `SHELL`;
/// - code injected into the CLI itself, which could answer our permission hooks or skip
///   them (a policy bypass), or into every shell it starts: `LD_*` (loader preload and
///   audit), `GLIBC_TUNABLES`, `GCONV_PATH`, `NODE_OPTIONS` (`--require`), `NODE_PATH`,
///   `BASH_ENV`, `ENV`, `BASH_FUNC_*` (exported functions can shadow the hook command),
///   `SHELLOPTS`, `BASHOPTS`, `PROMPT_COMMAND`, `PS4`, `IFS`;
/// - the daemon's own variables and its tmux server: `AUTOCODE_*` (hook URL and secret),
///   `TMUX*` (`TMUX_TMPDIR` would point at the daemon's socket), `IS_SANDBOX` (the CLI's
///   "safe to skip permissions" switch);
/// - sockets and repositories outside the member's tree: `SSH_AUTH_SOCK`,
///   `DBUS_SESSION_BUS_ADDRESS`, `DISPLAY`, `GIT_DIR`, `GIT_WORK_TREE`, `GIT_CONFIG*`
///   (config injection can name programs git runs), `GIT_EXEC_PATH`;
/// - `TERM`, which our screen reader relies on.
///
/// Allowed on purpose: credentials and endpoints (`ANTHROPIC_*`, `CLAUDE_CODE_OAUTH_TOKEN`),
/// `NODE_EXTRA_CA_CERTS` (a proxy's CA; it widens trust, not reach), language variables for
/// the member's own tools (`PYTHONPATH`...): they act only inside the member's own sandbox.
/// The profile's own variables and the admin's `cli_env` are reserved as well.
const RESERVED_NAMES: &[&str] = &[
    "HOME",
    "CLAUDE_CONFIG_DIR",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "PATH",
    "SHELL",
    "GLIBC_TUNABLES",
    "GCONV_PATH",
    "NODE_OPTIONS",
    "NODE_PATH",
    "BASH_ENV",
    "ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "PROMPT_COMMAND",
    "PS4",
    "IFS",
    "IS_SANDBOX",
    "SSH_AUTH_SOCK",
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_EXEC_PATH",
    "TERM",
];

/// Families of reserved names (see [`RESERVED_NAMES`] for why).
const RESERVED_PREFIXES: &[&str] = &[
    "LD_",
    "XDG_",
    "BASH_FUNC_",
    "AUTOCODE_",
    "TMUX",
    "GIT_CONFIG",
];

/// Arguments that switch off or route around the permission policy, or take over what
/// AutoCode manages for the session:
/// - skipping or pre-deciding permissions: `--dangerously-skip-permissions`,
///   `--allow-dangerously-skip-permissions` (any `--dangerously*`), `--permission-mode`,
///   `--permission-prompt-tool` (answers prompts from an MCP tool), `--allowedTools` /
///   `--allowed-tools` (approve without asking), `--add-dir` (widens what is approved
///   without asking; the workspace is the project's directory);
/// - replacing the per-session settings that carry our hooks and permission mode:
///   `--settings`, `--setting-sources`, `--plugin-dir` (plugins bring their own hooks),
///   `--mcp-config`, `--strict-mcp-config` (MCP servers are the agent's `mcp_servers`);
/// - the conversation AutoCode resumes after a restart: `--continue`/`-c`, `--resume`/`-r`,
///   `--session-id`, `--fork-session`, and `--print`/`-p`, which leaves the terminal UI.
///
/// `--disallowedTools` and the like only narrow what the CLI may do and stay allowed.
const REFUSED_ARGS: &[&str] = &[
    "--permission-mode",
    "--permission-prompt-tool",
    "--allowedTools",
    "--allowed-tools",
    "--add-dir",
    "--settings",
    "--setting-sources",
    "--plugin-dir",
    "--mcp-config",
    "--strict-mcp-config",
    "--continue",
    "--resume",
    "--session-id",
    "--fork-session",
    "--print",
];

/// Short forms of refused arguments; they may be bundled (`-cp`).
const REFUSED_SHORT: &[char] = &['c', 'r', 'p'];

/// Every rule at once: what agent saves and project starts check.
pub fn check(file: &FileConfig, cli: &CliConfig) -> Result<(), FieldError> {
    installation(file, cli)?;
    check_env(file, cli)?;
    check_args(&cli.args)
}

/// The program to launch for `cli`: the registered installation's path, or `None` for the
/// profile's default program on the daemon's `PATH`. Refuses settings that break a rule,
/// so whatever launches the CLI calls this instead of reading `cli.command`.
pub fn program(file: &FileConfig, cli: &CliConfig) -> Result<Option<String>, FieldError> {
    check(file, cli)?;
    Ok(installation(file, cli)?.map(|i| i.path.to_string_lossy().into_owned()))
}

/// `cli.command` names a registered installation of the agent's profile. Only the name is
/// accepted, not the installation's path: one spelling per program, the admin can move an
/// installation without agents changing, and members never need the server's paths.
fn installation<'a>(
    file: &'a FileConfig,
    cli: &CliConfig,
) -> Result<Option<&'a CliInstallation>, FieldError> {
    let Some(name) = &cli.command else {
        return Ok(None);
    };
    let Some(inst) = file.cli_installations.get(name) else {
        let known: Vec<&str> = file.cli_installations.keys().map(String::as_str).collect();
        let choices = if known.is_empty() {
            "none are registered, so leave it out to use the default program".to_owned()
        } else {
            format!("registered: {}", known.join(", "))
        };
        return Err(FieldError::new(
            "cli.command",
            format!("must name a CLI installation the admin registered ({choices})"),
        ));
    };
    if inst.profile != cli.profile {
        return Err(FieldError::new(
            "cli.command",
            format!(
                "{name} is a {} installation, but the agent's profile is {}",
                inst.profile, cli.profile
            ),
        ));
    }
    Ok(Some(inst))
}

/// The variables each built-in profile sets for its sessions; parsed once, since parsing
/// a profile compiles all its screen rules.
fn profile_env_names(profile: &str) -> Option<&'static BTreeSet<String>> {
    static NAMES: LazyLock<BTreeMap<&'static str, BTreeSet<String>>> = LazyLock::new(|| {
        Profile::builtin_names()
            .filter_map(|n| {
                let p = Profile::builtin(n).ok()?;
                Some((n, p.launch.env.into_keys().collect()))
            })
            .collect()
    });
    NAMES.get(profile)
}

fn is_reserved_name(file: &FileConfig, profile: &str, name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    RESERVED_NAMES.contains(&upper.as_str())
        || RESERVED_PREFIXES.iter().any(|p| upper.starts_with(p))
        || file.cli_env.contains_key(name)
        || profile_env_names(profile).is_some_and(|names| names.contains(name))
}

fn check_env(file: &FileConfig, cli: &CliConfig) -> Result<(), FieldError> {
    match cli
        .env
        .keys()
        .find(|name| is_reserved_name(file, &cli.profile, name))
    {
        Some(name) => Err(FieldError::new(
            format!("cli.env.{name}"),
            format!(
                "{name} is set by AutoCode for every session and cannot be changed by an agent"
            ),
        )),
        None => Ok(()),
    }
}

fn refused_arg(arg: &str) -> bool {
    let flag = arg.split_once('=').map_or(arg, |(f, _)| f);
    if flag.starts_with("--") {
        return flag.starts_with("--dangerously")
            || flag.starts_with("--allow-dangerously")
            || REFUSED_ARGS.contains(&flag);
    }
    // A bundle of short flags: `-c`, `-rc`, `-p=x`.
    flag.strip_prefix('-').is_some_and(|letters| {
        !letters.is_empty()
            && letters.chars().all(|c| c.is_ascii_alphabetic())
            && letters.chars().any(|c| REFUSED_SHORT.contains(&c))
    })
}

fn check_args(args: &[String]) -> Result<(), FieldError> {
    match args.iter().find(|a| refused_arg(a)) {
        Some(arg) => Err(FieldError::new(
            "cli.args",
            format!(
                "{arg} is managed by AutoCode (permissions, settings and sessions); \
                 use the auto-mode setting to let Claude Code judge tool calls itself"
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
