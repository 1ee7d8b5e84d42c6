//! The figures of one project run and the summary over runs, as printed lines.

use std::time::{Duration, Instant};

use autocode::testkit::mock_llm::RecordedRequest as LlmRequest;
use serde_json::Value;

use crate::timeline::{Gap, span};

/// The parts a step boundary splits into, in order, with how each is bounded.
pub const PARTS: &[&str] = &[
    "draw (reply done → screen idle)",
    "settle+context (screen idle → LLM request)",
    "LLM (request → answer, at the mock)",
    "type (LLM answer → prompt in the input box)",
    "submit (prompt in box → request at the API)",
];

/// The same boundary split by the daemon's own instants: the CLI's time before and after,
/// the controller's (which includes waiting for the CLI's idle prompt when the hook came
/// before it was drawn) in between.
pub const SIGNALS: &[&str] = &[
    "CLI: reply done → Stop hook at the controller",
    "controller: Stop hook → Enter pressed",
    "CLI: Enter pressed → request at the API",
];

pub struct RunFigures {
    pub name: String,
    pub steps: usize,
    /// Turn finished → next step sent, seconds.
    pub gaps: Vec<f64>,
    /// One sample list per entry of [`PARTS`], seconds.
    pub parts: Vec<Vec<f64>>,
    /// One sample list per entry of [`SIGNALS`], seconds.
    pub signals: Vec<Vec<f64>>,
    pub llm_calls: usize,
    pub calls_while_working: usize,
    /// Estimated tokens of what the supervisor was sent (4 characters a token).
    pub sent_tokens: u64,
    /// `cost` of `GET /api/projects/{id}`.
    pub cost_calls: i64,
    pub cost_prompt_tokens: i64,
    pub cost_completion_tokens: i64,
    pub working_secs: f64,
}

fn secs(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64())
}

impl RunFigures {
    pub fn new(
        name: String,
        steps: usize,
        gaps: &[Gap],
        llm: &[LlmRequest],
        working: &[(Instant, Instant)],
        cost: &Value,
    ) -> Self {
        let mut parts = vec![Vec::new(); PARTS.len()];
        let mut signals = vec![Vec::new(); SIGNALS.len()];
        for g in gaps {
            let bounds = [
                span(Some(g.finished), g.stop_hook),
                span(g.stop_hook, g.enter),
                span(g.enter, Some(g.sent)),
            ];
            for (samples, bound) in signals.iter_mut().zip(bounds) {
                samples.extend(secs(bound));
            }
            let bounds = [
                span(Some(g.finished), g.idle_drawn),
                span(g.idle_drawn, g.llm_received),
                span(g.llm_received, g.llm_answered),
                span(g.llm_answered, g.typed),
                span(g.typed, Some(g.sent)),
            ];
            for (samples, bound) in parts.iter_mut().zip(bounds) {
                samples.extend(secs(bound));
            }
        }
        let while_working = llm
            .iter()
            .filter(|r| {
                working
                    .iter()
                    .any(|(from, to)| r.received_at > *from && r.received_at < *to)
            })
            .count();
        let sent_tokens = llm
            .iter()
            .map(|r| {
                let chars =
                    r.body["messages"].to_string().len() + r.body["tools"].to_string().len();
                chars.div_ceil(4) as u64
            })
            .sum();
        RunFigures {
            name,
            steps,
            gaps: gaps
                .iter()
                .map(|g| (g.sent - g.finished).as_secs_f64())
                .collect(),
            parts,
            signals,
            llm_calls: llm.len(),
            calls_while_working: while_working,
            sent_tokens,
            cost_calls: cost["calls"].as_i64().unwrap_or(-1),
            cost_prompt_tokens: cost["prompt_tokens"].as_i64().unwrap_or(-1),
            cost_completion_tokens: cost["completion_tokens"].as_i64().unwrap_or(-1),
            working_secs: working.iter().map(|(a, b)| (*b - *a).as_secs_f64()).sum(),
        }
    }

    pub fn print(&self) {
        let steps = self.steps as f64;
        println!(
            "[{}] {} boundaries: turn finished → next step sent p50={:.0} ms p99={:.0} ms max={:.0} ms",
            self.name,
            self.gaps.len(),
            pct(&self.gaps, 0.5) * 1e3,
            pct(&self.gaps, 0.99) * 1e3,
            pct(&self.gaps, 1.0) * 1e3,
        );
        for (name, samples) in PARTS
            .iter()
            .chain(SIGNALS)
            .zip(self.parts.iter().chain(&self.signals))
        {
            println!(
                "[{}]   {name}: n={} p50={:.1} ms p99={:.1} ms",
                self.name,
                samples.len(),
                pct(samples, 0.5) * 1e3,
                pct(samples, 0.99) * 1e3,
            );
        }
        println!(
            "[{}] CLI working {:.2} s in all; supervising LLM: {} calls ({:.2}/step), {} while the CLI worked; \
             ~{} tokens sent ({:.0}/step); project cost: {} calls, {} prompt + {} completion tokens ({:.0}+{:.0}/step)",
            self.name,
            self.working_secs,
            self.llm_calls,
            self.llm_calls as f64 / steps,
            self.calls_while_working,
            self.sent_tokens,
            self.sent_tokens as f64 / steps,
            self.cost_calls,
            self.cost_prompt_tokens,
            self.cost_completion_tokens,
            self.cost_prompt_tokens as f64 / steps,
            self.cost_completion_tokens as f64 / steps,
        );
    }
}

/// Nearest-rank percentile of unsorted samples (NaN when empty); `p = 1.0` is the max.
pub fn pct(samples: &[f64], p: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn median_of(runs: &[RunFigures], f: impl Fn(&RunFigures) -> f64) -> f64 {
    pct(&runs.iter().map(f).collect::<Vec<_>>(), 0.5)
}

/// Medians over the runs of each kind.
pub fn summary(fast: &[RunFigures], slow: &[RunFigures]) {
    for (kind, runs) in [("fast", fast), ("slow", slow)] {
        if runs.is_empty() {
            continue;
        }
        println!("== {kind}: median of {} runs", runs.len());
        println!(
            "   turn finished → next step sent: p50={:.0} ms p99={:.0} ms",
            median_of(runs, |r| pct(&r.gaps, 0.5)) * 1e3,
            median_of(runs, |r| pct(&r.gaps, 0.99)) * 1e3,
        );
        let pooled: Vec<f64> = runs.iter().flat_map(|r| r.gaps.iter().copied()).collect();
        println!(
            "   pooled over the runs: n={} p50={:.0} ms p99={:.0} ms max={:.0} ms",
            pooled.len(),
            pct(&pooled, 0.5) * 1e3,
            pct(&pooled, 0.99) * 1e3,
            pct(&pooled, 1.0) * 1e3,
        );
        for (i, name) in PARTS.iter().enumerate() {
            println!(
                "   {name}: p50={:.1} ms p99={:.1} ms",
                median_of(runs, |r| pct(&r.parts[i], 0.5)) * 1e3,
                median_of(runs, |r| pct(&r.parts[i], 0.99)) * 1e3,
            );
        }
        for (i, name) in SIGNALS.iter().enumerate() {
            println!(
                "   {name}: p50={:.1} ms p99={:.1} ms",
                median_of(runs, |r| pct(&r.signals[i], 0.5)) * 1e3,
                median_of(runs, |r| pct(&r.signals[i], 0.99)) * 1e3,
            );
        }
        println!(
            "   LLM calls/step={:.2}, while working={:.0}, ~tokens sent/step={:.0}, cost tokens/step={:.0}+{:.0}, CLI working {:.2} s",
            median_of(runs, |r| r.llm_calls as f64 / r.steps as f64),
            median_of(runs, |r| r.calls_while_working as f64),
            median_of(runs, |r| r.sent_tokens as f64 / r.steps as f64),
            median_of(runs, |r| r.cost_prompt_tokens as f64 / r.steps as f64),
            median_of(runs, |r| r.cost_completion_tokens as f64 / r.steps as f64),
            median_of(runs, |r| r.working_secs),
        );
    }
}
