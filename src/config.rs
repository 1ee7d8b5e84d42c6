//! Daemon configuration: command-line flags and env vars for where things live, and an
//! optional `autocode.toml` in the data dir for everything else. Holds no secrets, so
//! `Debug` is safe to log.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::agent_config::PolicyDefault;

/// Name of the optional config file inside the data dir.
pub const CONFIG_FILE: &str = "autocode.toml";

/// Everything the daemon needs to know, resolved from flags, env and the config file.
#[derive(Debug, Clone)]
pub struct Config {
    /// Root of all state: database, master key, user workspaces, tmux socket.
    pub data_dir: PathBuf,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// The rest, from `autocode.toml` (defaults when absent).
    pub file: FileConfig,
}

/// The optional `DATA/autocode.toml`. Every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// Public URL users reach the app at (e.g. `https://code.example.org`); WebSocket
    /// `Origin` headers are checked against it. `None` accepts same-host origins only.
    pub public_url: Option<String>,
    /// Peers whose `X-Forwarded-For` is believed (Caddy on the same host: `127.0.0.1`).
    pub trusted_proxies: Vec<IpAddr>,
    /// Lifetime of a JWT access token.
    pub access_token_ttl_secs: u64,
    /// How long a login stays refreshable without use.
    pub refresh_token_ttl_secs: u64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Failed logins per (username, address) before that pair backs off (1 s, 2 s, 4 s…,
    /// capped at the window); one address may fail four times as often across usernames.
    pub login_max_failures: usize,
    /// The brute-force window: failures older than this are forgotten.
    pub login_window_secs: u64,
    /// Open WebSockets allowed per user (a phone, a laptop and a few tabs).
    pub ws_max_sockets_per_user: usize,
    /// Largest WebSocket message a client may send (input, control); larger closes the
    /// socket with "message too big".
    pub ws_max_message_bytes: usize,
    /// A socket with nothing from the client (not even a pong) for this long is closed;
    /// at least two ping intervals.
    pub ws_idle_timeout_secs: u64,
    /// Interval of server pings, which also keep proxies from dropping quiet sockets.
    pub ws_ping_interval_secs: u64,
    /// A human's take-over of a terminal ends after this long without input.
    pub human_idle_timeout_secs: u64,
    /// Bound on one supervising-LLM request.
    pub llm_timeout_secs: u64,
    /// Environment given to every coding CLI (the traffic switches the admin chooses).
    pub cli_env: BTreeMap<String, String>,
    /// Prices per model for cost estimates, in USD per million tokens.
    pub llm_prices: BTreeMap<String, Price>,
    /// The coding-CLI programs members may choose for an agent's `cli.command`, by name
    /// (`[cli_installations.claude-2]` in the file). Members pick a name, never a path, so
    /// nobody can make the daemon run a program the admin did not install. An agent without
    /// `cli.command` runs its profile's default program from the daemon's `PATH`.
    pub cli_installations: BTreeMap<String, CliInstallation>,
    /// Projects one member may have running at the same time (each is a CLI, a sandbox and
    /// a supervising loop); one more start is refused with a 409.
    pub max_running_projects: usize,
    /// Run every member's coding CLI inside a bubblewrap sandbox (see docs/sandbox.md).
    /// Only a one-person install should set this to false.
    pub sandbox: bool,
    /// The bubblewrap binary.
    pub bwrap: PathBuf,
    /// Most processes (threads included) one sandboxed session may have at once; 0: no limit.
    pub sandbox_max_processes: u64,
    /// Largest data segment (heap) of each process of a session, in MiB; 0: no limit.
    pub sandbox_max_data_mib: u64,
    /// The agent every new member gets (`[default_agent]`); absent, none is made, since an
    /// agent without a supervising LLM the admin chose could not work.
    pub default_agent: Option<DefaultAgent>,
    /// `[schedules]`: the timezone of project schedules and the maintenance jobs.
    pub schedules: crate::schedules::settings::Settings,
    /// Seconds during which a project does not push the same event twice.
    pub push_cooldown_secs: u64,
    /// The VAPID `sub` claim: how push services can reach the admin (`mailto:` or https).
    pub push_contact: String,
    /// The Telegram Bot API (tests point it at a local server).
    pub telegram_api_base: String,
    /// GitHub's REST API, where pull requests are opened (tests point it at a mock).
    pub github_api_base: String,
    /// Hosts (`host` or `host:port`) whose repositories are GitHub's: a project cloned from
    /// one of them opens a pull request at completion.
    pub github_hosts: Vec<String>,
}

/// One coding-CLI program the admin installed.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CliInstallation {
    /// Absolute path of the program (e.g. `/opt/claude-code/2.1.330/bin/claude`).
    pub path: PathBuf,
    /// The CLI profile (screen rules, launch template) the program speaks; an agent using
    /// this installation must have the same `cli.profile`.
    #[serde(default = "default_installation_profile")]
    pub profile: String,
}

fn default_installation_profile() -> String {
    "claude-code".to_owned()
}

/// Installation names: short and plain, since they are shown in the agent builder.
fn is_valid_installation_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// `[default_agent]`: the supervising LLM of the ready agent a new member starts with. It
/// holds no key: the agent uses the member's own stored key for `llm_provider` (Settings →
/// API keys), and keyless endpoints (a local model) need none.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DefaultAgent {
    /// The agent's name (default "Default").
    #[serde(default = "default_agent_name")]
    pub name: String,
    /// One of `agent_config::LLM_PROVIDERS`.
    pub llm_provider: String,
    /// The supervising model, e.g. `gpt-4o-mini`.
    pub model: String,
    /// Needed for `custom`; the provider's own URL otherwise.
    #[serde(default)]
    pub llm_base_url: Option<String>,
    /// What happens to a tool call no rule decides: `llm` (the supervisor judges) or `ask`
    /// (the member is asked).
    #[serde(default = "default_permission")]
    pub permission_default: PolicyDefault,
}

fn default_agent_name() -> String {
    "Default".to_owned()
}

fn default_permission() -> PolicyDefault {
    PolicyDefault::Llm
}

/// USD per million tokens.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub prompt: f64,
    pub completion: f64,
}

impl FileConfig {
    /// Estimated cost of one call; models without a price cost nothing (local models).
    pub fn cost_usd(&self, model: &str, prompt_tokens: u64, completion_tokens: u64) -> f64 {
        self.llm_prices.get(model).map_or(0.0, |p| {
            (prompt_tokens as f64 * p.prompt + completion_tokens as f64 * p.completion)
                / 1_000_000.0
        })
    }
}

/// Privacy defaults: the CLI talks to its model API and nothing else.
fn default_cli_env() -> BTreeMap<String, String> {
    [
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
        "DISABLE_TELEMETRY",
        "DISABLE_ERROR_REPORTING",
        "DISABLE_BUG_COMMAND",
    ]
    .into_iter()
    .map(|k| (k.to_owned(), "1".to_owned()))
    .collect()
}

impl Default for FileConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            trusted_proxies: Vec::new(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            max_body_bytes: 1024 * 1024,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            ws_max_sockets_per_user: 16,
            ws_max_message_bytes: 64 * 1024,
            ws_idle_timeout_secs: 60,
            ws_ping_interval_secs: 20,
            human_idle_timeout_secs: 120,
            llm_timeout_secs: 60,
            cli_env: default_cli_env(),
            llm_prices: BTreeMap::new(),
            cli_installations: BTreeMap::new(),
            max_running_projects: 3,
            sandbox: true,
            bwrap: PathBuf::from("/usr/bin/bwrap"),
            sandbox_max_processes: 1024,
            sandbox_max_data_mib: 16 * 1024,
            default_agent: None,
            schedules: crate::schedules::settings::Settings::default(),
            push_cooldown_secs: 300,
            push_contact: "mailto:admin@localhost".to_owned(),
            telegram_api_base: "https://api.telegram.org".to_owned(),
            github_api_base: "https://api.github.com".to_owned(),
            github_hosts: vec!["github.com".to_owned()],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid {path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

impl Config {
    /// Resolves the config, reading `DATA/autocode.toml` if it exists.
    pub fn load(data_dir: PathBuf, listen: SocketAddr) -> Result<Self, ConfigError> {
        let file = FileConfig::load(&data_dir)?;
        Ok(Self {
            data_dir,
            listen,
            file,
        })
    }

    pub fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.file.access_token_ttl_secs)
    }

    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.file.refresh_token_ttl_secs)
    }
}

impl FileConfig {
    fn load(data_dir: &Path) -> Result<Self, ConfigError> {
        let path = data_dir.join(CONFIG_FILE);
        let file: Self = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        file.check()
            .map_err(|reason| ConfigError::Invalid { path, reason })?;
        Ok(file)
    }

    /// What `serde` cannot say: installations are absolute paths of known profiles.
    pub fn check(&self) -> Result<(), String> {
        self.schedules.check()?;
        for (name, inst) in &self.cli_installations {
            if !is_valid_installation_name(name) {
                return Err(format!(
                    "cli_installations: {name:?} must be 1-64 characters of a-z, A-Z, 0-9, '.', '_' or '-'"
                ));
            }
            if !inst.path.is_absolute() {
                return Err(format!(
                    "cli_installations.{name}.path must be an absolute path"
                ));
            }
            if !crate::agent_config::CLI_PROFILES.contains(&inst.profile.as_str()) {
                return Err(format!(
                    "cli_installations.{name}.profile: unknown profile {:?}; known: {}",
                    inst.profile,
                    crate::agent_config::CLI_PROFILES.join(", ")
                ));
            }
        }
        if self.max_running_projects == 0 {
            return Err("max_running_projects must be at least 1".into());
        }
        if let Some(agent) = &self.default_agent {
            crate::default_agent::check(agent)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installations_are_absolute_paths_of_known_profiles() {
        let parse = |text: &str| -> FileConfig { toml::from_str(text).expect("parses") };
        let ok = parse(
            "max_running_projects = 2\n[cli_installations.claude-2]\npath = \"/opt/claude/bin/claude\"\n",
        );
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(ok.cli_installations["claude-2"].profile, "claude-code");
        assert_eq!(ok.max_running_projects, 2);
        assert_eq!(FileConfig::default().max_running_projects, 3);
        for bad in [
            "[cli_installations.c]\npath = \"bin/claude\"\n",
            "[cli_installations.c]\npath = \"/bin/claude\"\nprofile = \"vim\"\n",
            "[cli_installations.\"a b\"]\npath = \"/bin/claude\"\n",
            "max_running_projects = 0\n",
        ] {
            assert!(parse(bad).check().is_err(), "{bad}");
        }
    }
}
