//! Asking the supervising LLM (or the rules, when it cannot answer) what to do about an
//! event, keeping the decision in HISTORY.md and the project's log, and its cost.

use super::decide::{self, Decision, DecisionContext, Event};
use super::prompt;
use super::run::{Halt, Run};
use crate::db::{self, logs::Level};

/// How often, and how far apart, the transcript is read for a finished turn's reply when
/// the Stop hook did not bring it (a read is a listing and a tail: well under a millisecond).
const REPLY_ATTEMPTS: usize = 15;
const REPLY_RETRY: std::time::Duration = std::time::Duration::from_millis(20);

impl Run {
    pub(super) async fn consult(
        &mut self,
        event: &Event,
        index: usize,
        prior_fallbacks: u32,
        reply: Option<String>,
    ) -> Result<Decision, Halt> {
        let project = self.project().await?;
        let (rules, claude_md, memory) = self.context_files();
        let history = prompt::read_or_empty(&self.workspace.join(".nanobot/HISTORY.md"));
        let mut recent: Vec<String> = history.lines().rev().take(8).map(str::to_owned).collect();
        recent.reverse();
        let screen = self.session()?.screen_text();
        let last_reply = match (event, reply) {
            (Event::TurnFinished, Some(reply)) => Some(reply),
            (Event::TurnFinished, None) => self.last_reply(&project).await,
            _ => None,
        };
        let ctx = DecisionContext {
            event: event.clone(),
            plan: project.implementation_plan.0.clone(),
            current_step: Some(index),
            description: project.description.clone(),
            architecture: project.architecture.clone(),
            rules: format!("{rules}\n\n{claude_md}"),
            memory,
            screen,
            last_reply,
            recent_decisions: recent,
            allowed_tools: self.agent().tools.0.clone(),
            prior_fallbacks,
        };
        let cfg = &self.deps.decide;
        let decision = match &self.llm {
            Some(llm) => decide::decide(llm, cfg, &ctx).await,
            None => decide::decide_without_llm(cfg, &ctx, "no supervising LLM is configured"),
        };
        self.record_usage(decision.usage).await?;
        let state = self.session()?.observed().state();
        // HISTORY.md is read back by the supervising LLM: tool-call syntax suits it.
        let actions: Vec<String> = decision.actions.iter().map(ToString::to_string).collect();
        let source = match decision.source {
            decide::Source::Llm => "llm",
            decide::Source::Fallback => "rules",
        };
        let line = format!(
            "- {} | state {} | {source} | {} | {}",
            crate::tokens::now_secs(),
            state,
            actions.join(", "),
            decision.reason
        );
        if let Err(e) = prompt::append_line(&self.workspace.join(".nanobot/HISTORY.md"), &line) {
            tracing::warn!("writing HISTORY.md: {e}");
        }
        self.log(
            Level::AgentDecision,
            &format!("{}: decided to {}", event_name(event), decision.describe()),
        )
        .await;
        Ok(decision)
    }

    /// Claude's last reply when the Stop hook did not bring it: exact, from the CLI's
    /// transcript (found from the member's directory and the workspace, never from a path
    /// the CLI reported); the screen's reading of it when the transcript has none.
    async fn last_reply(&self, project: &crate::db::projects::Project) -> Option<String> {
        let source = crate::transcript::Source::for_project(self.user_dir.clone(), project);
        // The Stop hook can arrive before the CLI has flushed the reply to its transcript
        // (2.1.330 writes it a moment later): look again briefly before using the screen.
        for attempt in 0..REPLY_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(REPLY_RETRY).await;
            }
            let source = source.clone();
            let read = tokio::task::spawn_blocking(move || crate::transcript::last_reply(&source));
            if let Ok(Some(reply)) = read.await {
                return Some(reply);
            }
        }
        let observed = self.session().ok()?.observed();
        observed.classification.last_assistant_message
    }

    pub(super) async fn record_usage(&self, usage: crate::llm::Usage) -> Result<(), Halt> {
        if usage.prompt_tokens + usage.completion_tokens == 0 {
            return Ok(());
        }
        let model = self.agent().model.clone();
        let cost =
            self.deps
                .config
                .file
                .cost_usd(&model, usage.prompt_tokens, usage.completion_tokens);
        db::usage::record(
            &self.deps.db,
            self.user_id,
            self.project_id,
            &model,
            usage.prompt_tokens,
            usage.completion_tokens,
            cost,
        )
        .await?;
        Ok(())
    }
}

fn event_name(event: &Event) -> &'static str {
    match event {
        Event::TurnFinished => "Turn finished",
        Event::Permission { .. } => "Permission",
        Event::Question { .. } => "Question",
        Event::Stall { .. } => "Stall",
    }
}
