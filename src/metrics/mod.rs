//! What `GET /api/metrics` reports, in the Prometheus text exposition format (0.0.4).
//!
//! Most figures are read from the database at scrape time (projects by status, CLI instances,
//! supervising-LLM calls, tokens and cost), so they survive restarts and need no bookkeeping
//! in the controller. The few events the database does not record are process-wide counters
//! here, bumped where they happen; like every Prometheus counter they restart from zero with
//! the process.

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sqlx::SqlitePool;

static TMUX_CONTROL_RESTARTS: AtomicU64 = AtomicU64::new(0);
static SANDBOX_START_FAILURES: AtomicU64 = AtomicU64::new(0);
static ORPHAN_TMUX_SESSIONS: AtomicU64 = AtomicU64::new(0);
static PUSH_SENT: AtomicU64 = AtomicU64::new(0);
static PUSH_FAILED: AtomicU64 = AtomicU64::new(0);

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Marks the daemon's start (the first call wins); `uptime` counts from here.
pub fn mark_start() {
    STARTED.get_or_init(Instant::now);
}

/// Seconds since `mark_start`.
pub fn uptime_secs() -> u64 {
    STARTED.get_or_init(Instant::now).elapsed().as_secs()
}

/// The tmux control-mode client died and is being restarted.
pub fn count_tmux_control_restart() {
    TMUX_CONTROL_RESTARTS.fetch_add(1, Ordering::Relaxed);
}

/// What the last maintenance run found: tmux sessions no running project owns.
pub fn set_orphan_tmux_sessions(n: usize) {
    ORPHAN_TMUX_SESSIONS.store(n as u64, Ordering::Relaxed);
}

/// A start was refused because no sandbox could be created.
pub fn count_sandbox_start_failure() {
    SANDBOX_START_FAILURES.fetch_add(1, Ordering::Relaxed);
}

/// A Web Push message was accepted by the member's push service.
pub fn count_push_sent() {
    PUSH_SENT.fetch_add(1, Ordering::Relaxed);
}

/// A Web Push message was given up on (refused, gone, or out of retries).
pub fn count_push_failed() {
    PUSH_FAILED.fetch_add(1, Ordering::Relaxed);
}

/// Figures the caller knows and the database does not.
#[derive(Debug, Default, Clone, Copy)]
pub struct Live {
    pub websocket_clients: usize,
    pub uptime_secs: u64,
}

/// One metric family: its samples are written under one HELP/TYPE header.
struct Family<'a> {
    out: &'a mut String,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &str, kind: &str, help: &str) -> Self {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        Self { out }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// Label values may hold anything a member typed (a model name): escape as the format says.
fn escape(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// The whole exposition.
pub async fn render(db: &SqlitePool, live: Live) -> sqlx::Result<String> {
    let mut out = String::new();
    let mut f = Family::new(
        &mut out,
        "autocode_build_info",
        "gauge",
        "The running AutoCode version.",
    );
    f.sample(
        "autocode_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    let mut f = Family::new(
        &mut out,
        "autocode_uptime_seconds",
        "gauge",
        "Seconds since the daemon started.",
    );
    f.sample("autocode_uptime_seconds", &[], live.uptime_secs as f64);

    let users: (i64,) = sqlx::query_as("select count(*) from users")
        .fetch_one(db)
        .await?;
    let mut f = Family::new(&mut out, "autocode_users", "gauge", "Accounts.");
    f.sample("autocode_users", &[], users.0 as f64);

    let by_status: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from projects group by status order by status")
            .fetch_all(db)
            .await?;
    let mut f = Family::new(
        &mut out,
        "autocode_projects",
        "gauge",
        "Projects by status (running, needs_help, paused, ...).",
    );
    for (status, n) in &by_status {
        f.sample("autocode_projects", &[("status", status)], *n as f64);
    }

    let instances: Vec<(String, i64)> = sqlx::query_as(
        "select status, count(*) from agent_instances group by status order by status",
    )
    .fetch_all(db)
    .await?;
    let mut f = Family::new(
        &mut out,
        "autocode_cli_instances_total",
        "counter",
        "Coding-CLI launches by how they ended (running, stopped, crashed); every restart of a CLI is a new one.",
    );
    for (status, n) in &instances {
        f.sample(
            "autocode_cli_instances_total",
            &[("status", status)],
            *n as f64,
        );
    }

    let usage: Vec<(String, i64, i64, i64, f64)> = sqlx::query_as(
        r"select model, count(*), coalesce(sum(prompt_tokens), 0),
                 coalesce(sum(completion_tokens), 0), coalesce(sum(cost_usd), 0.0)
          from llm_usage group by model order by model",
    )
    .fetch_all(db)
    .await?;
    let mut f = Family::new(
        &mut out,
        "autocode_llm_calls_total",
        "counter",
        "Supervising-LLM calls, by model.",
    );
    for (model, calls, ..) in &usage {
        f.sample(
            "autocode_llm_calls_total",
            &[("model", model)],
            *calls as f64,
        );
    }
    let mut f = Family::new(
        &mut out,
        "autocode_llm_tokens_total",
        "counter",
        "Supervising-LLM tokens, by model and kind (prompt, completion).",
    );
    for (model, _, prompt, completion, _) in &usage {
        let name = "autocode_llm_tokens_total";
        f.sample(
            name,
            &[("model", model), ("kind", "prompt")],
            *prompt as f64,
        );
        f.sample(
            name,
            &[("model", model), ("kind", "completion")],
            *completion as f64,
        );
    }
    let mut f = Family::new(
        &mut out,
        "autocode_llm_cost_usd_total",
        "counter",
        "Estimated supervising-LLM cost in USD (llm_prices), by model.",
    );
    for (model, .., cost) in &usage {
        f.sample("autocode_llm_cost_usd_total", &[("model", model)], *cost);
    }

    let mut f = Family::new(
        &mut out,
        "autocode_websocket_clients",
        "gauge",
        "Open WebSockets (live logs and terminals).",
    );
    f.sample(
        "autocode_websocket_clients",
        &[],
        live.websocket_clients as f64,
    );
    let mut f = Family::new(
        &mut out,
        "autocode_tmux_control_restarts_total",
        "counter",
        "Restarts of the tmux control-mode client that streams every pane.",
    );
    f.sample(
        "autocode_tmux_control_restarts_total",
        &[],
        TMUX_CONTROL_RESTARTS.load(Ordering::Relaxed) as f64,
    );
    let mut f = Family::new(
        &mut out,
        "autocode_sandbox_start_failures_total",
        "counter",
        "Project starts refused because no sandbox could be created.",
    );
    f.sample(
        "autocode_sandbox_start_failures_total",
        &[],
        SANDBOX_START_FAILURES.load(Ordering::Relaxed) as f64,
    );
    let mut f = Family::new(
        &mut out,
        "autocode_push_messages_total",
        "counter",
        "Web Push messages by outcome: sent (accepted by the push service) or failed.",
    );
    f.sample(
        "autocode_push_messages_total",
        &[("outcome", "sent")],
        PUSH_SENT.load(Ordering::Relaxed) as f64,
    );
    f.sample(
        "autocode_push_messages_total",
        &[("outcome", "failed")],
        PUSH_FAILED.load(Ordering::Relaxed) as f64,
    );
    let mut f = Family::new(
        &mut out,
        "autocode_orphan_tmux_sessions",
        "gauge",
        "tmux sessions no running project owns, as of the last maintenance run.",
    );
    f.sample(
        "autocode_orphan_tmux_sessions",
        &[],
        ORPHAN_TMUX_SESSIONS.load(Ordering::Relaxed) as f64,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
