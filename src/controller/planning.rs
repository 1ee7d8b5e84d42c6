//! Planning: when a project starts without a plan, the supervising LLM drafts ordered
//! steps (`decide::draft_plan`). If it cannot (down, garbage), the owner is asked to write
//! the plan, and the loop continues once the plan has steps.

use super::decide;
use super::run::{Halt, Run};
use crate::db::{self, logs::Level};

impl Run {
    pub(super) async fn plan(&mut self) -> Result<(), Halt> {
        self.set_status("planning", None).await?;
        let project = self.project().await?;
        let rules = self.rules_text();
        let drafted = match &self.llm {
            Some(llm) => decide::draft_plan(
                llm,
                &self.deps.decide,
                &project.description,
                &project.architecture,
                &rules,
            )
            .await
            .map_err(|e| e.to_string()),
            None => Err("no supervising LLM is configured".into()),
        };
        match drafted {
            Ok(draft) => {
                self.record_usage(draft.usage).await?;
                db::projects::set_plan(&self.deps.db, self.project_id, &draft.steps).await?;
                self.publish_plan(&draft.steps);
                let titles: Vec<String> = draft
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("{}. {}", i + 1, s.title))
                    .collect();
                self.log(
                    Level::AgentDecision,
                    &format!(
                        "Drafted a plan of {} steps: {}",
                        draft.steps.len(),
                        titles.join("; ")
                    ),
                )
                .await;
            }
            Err(e) => {
                self.log(Level::Error, &format!("Could not draft a plan: {e}"))
                    .await;
                loop {
                    self.ask_human("I could not draft a plan for this project. Please add steps to the implementation plan, then reply.")
                        .await?;
                    if !self.project().await?.implementation_plan.0.is_empty() {
                        break;
                    }
                }
            }
        }
        self.set_status("running", None).await
    }
}
