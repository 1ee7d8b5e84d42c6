//! Planning: when a project starts without a plan, the supervising LLM drafts ordered
//! steps (`decide::draft_plan`). If it cannot (down, garbage), the owner is asked to write
//! the plan, and the loop continues once the plan has steps. The plan's later edits (a
//! step added, changed, done or failed) are recorded and published here too.

use super::decide::{self, Action};
use super::run::{Halt, Run};
use crate::db::projects::{ProjectStatus, StepStatus};
use crate::db::{self, logs::Level};

impl Run {
    pub(super) async fn plan(&mut self) -> Result<(), Halt> {
        self.set_status(ProjectStatus::Planning, None).await?;
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
        self.set_status(ProjectStatus::Running, None).await
    }

    pub(super) fn publish_plan(&self, plan: &[db::projects::Step]) {
        self.deps
            .journal
            .publish(crate::journal::ProjectEvent::Plan {
                project_id: self.project_id,
                implementation_plan: plan.to_vec(),
            });
    }

    /// Carries out an `add_step` or `update_step` decision.
    pub(super) async fn edit_plan(&mut self, action: Action) -> Result<(), Halt> {
        let mut project = self.project().await?;
        let plan = &mut project.implementation_plan.0;
        let line = match action {
            Action::AddStep {
                title,
                details,
                after,
            } => {
                let at = after.map_or(plan.len(), |a| (a + 1).min(plan.len()));
                let line = format!("Added step {}: {title}", at + 1);
                plan.insert(
                    at,
                    db::projects::Step {
                        title,
                        details,
                        status: StepStatus::Pending,
                    },
                );
                line
            }
            Action::UpdateStep {
                index,
                title,
                details,
            } => {
                let Some(step) = plan.get_mut(index) else {
                    return Ok(());
                };
                if let Some(t) = title {
                    step.title = t;
                }
                if let Some(d) = details {
                    step.details = d;
                }
                format!("Updated step {}: {}", index + 1, step.title)
            }
            _ => return Ok(()),
        };
        db::projects::set_plan(&self.deps.db, self.project_id, plan).await?;
        self.publish_plan(plan);
        self.log(Level::Action, &line).await;
        Ok(())
    }

    /// Records the step's outcome in the plan; the action in flight is over.
    pub(super) async fn mark_step(&mut self, index: usize, status: StepStatus) -> Result<(), Halt> {
        let mut project = self.project().await?;
        if let Some(step) = project.implementation_plan.0.get_mut(index) {
            step.status = status;
        }
        db::projects::set_plan(
            &self.deps.db,
            self.project_id,
            &project.implementation_plan.0,
        )
        .await?;
        db::projects::set_pending_action(&self.deps.db, self.project_id, None).await?;
        self.publish_plan(&project.implementation_plan.0);
        Ok(())
    }
}
