//! Planning: when a project starts without a plan, the supervising LLM drafts ordered
//! steps from the description and architecture through one `set_plan` tool call. If it
//! cannot (down, garbage), the owner is asked to write the plan.

use serde::Deserialize;
use serde_json::json;

use super::run::{Halt, Run};
use crate::db::{self, logs::Level, projects::Step, projects::StepStatus};
use crate::llm::{LlmClient, Message, ToolSpec};

#[derive(Deserialize)]
struct PlanArgs {
    steps: Vec<PlanStep>,
}

#[derive(Deserialize)]
struct PlanStep {
    title: String,
    #[serde(default)]
    details: String,
}

fn plan_tool() -> ToolSpec {
    ToolSpec {
        name: "set_plan".into(),
        description: "Save the ordered implementation plan for the project.".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "steps": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 30,
                    "items": {
                        "type": "object",
                        "properties": {
                            "title": {"type": "string", "description": "Short imperative title"},
                            "details": {"type": "string", "description": "What done looks like"}
                        },
                        "required": ["title"]
                    }
                }
            },
            "required": ["steps"]
        }),
    }
}

/// Parses a `set_plan` call into steps; `None` for anything malformed.
fn parse_plan(arguments: &str) -> Option<Vec<Step>> {
    let args: PlanArgs = serde_json::from_str(arguments).ok()?;
    let steps: Vec<Step> = args
        .steps
        .into_iter()
        .filter(|s| !s.title.trim().is_empty())
        .take(30)
        .map(|s| Step {
            title: s.title.trim().chars().take(200).collect(),
            details: s.details,
            status: StepStatus::Pending,
        })
        .collect();
    (!steps.is_empty()).then_some(steps)
}

async fn draft(llm: &LlmClient, description: &str, architecture: &str) -> Result<(Vec<Step>, crate::llm::Usage), String> {
    let system = "You plan software projects for a coding agent (Claude Code) that will carry out one step at a time. \
                  Call set_plan exactly once with 2 to 12 ordered, concrete, verifiable steps.";
    let user = format!("Project goal:\n{description}\n\nArchitecture:\n{}", if architecture.trim().is_empty() { "(not given)" } else { architecture });
    let mut usage = crate::llm::Usage::default();
    let mut last_error = String::new();
    for _ in 0..2 {
        let messages = [Message::System(system.into()), Message::User(user.clone())];
        match llm.chat(&messages, &[plan_tool()]).await {
            Ok(reply) => {
                usage += reply.usage;
                let call = reply.tool_calls.iter().find(|c| c.name == "set_plan");
                match call.and_then(|c| parse_plan(&c.arguments)) {
                    Some(steps) => return Ok((steps, usage)),
                    None => last_error = "the reply had no valid set_plan call".into(),
                }
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(last_error)
}

impl Run {
    /// Drafts the plan with the LLM, or asks the owner to write one.
    pub(super) async fn plan(&mut self) -> Result<(), Halt> {
        self.set_status("planning", None).await?;
        let project = self.project().await?;
        let drafted = match &self.llm {
            Some(llm) => draft(llm, &project.description, &project.architecture).await,
            None => Err("no supervising LLM is configured".into()),
        };
        match drafted {
            Ok((steps, usage)) => {
                let model = self.agent().model.clone();
                let cost = self.deps.config.file.cost_usd(&model, usage.prompt_tokens, usage.completion_tokens);
                db::usage::record(&self.deps.db, self.user_id, self.project_id, &model, usage.prompt_tokens, usage.completion_tokens, cost)
                    .await?;
                db::projects::set_plan(&self.deps.db, self.project_id, &steps).await?;
                self.publish_plan(&steps);
                let titles: Vec<String> = steps.iter().enumerate().map(|(i, s)| format!("{}. {}", i + 1, s.title)).collect();
                self.log(Level::AgentDecision, &format!("Drafted a plan of {} steps: {}", steps.len(), titles.join("; "))).await;
            }
            Err(e) => {
                self.log(Level::Error, &format!("Could not draft a plan: {e}")).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_parsed_strictly() {
        let steps = parse_plan(r#"{"steps":[{"title":"Scaffold","details":"cargo new"},{"title":"  "},{"title":"Test"}]}"#).expect("plan");
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].title, "Scaffold");
        assert_eq!(steps[1].status, StepStatus::Pending);
        assert!(parse_plan(r#"{"steps":[]}"#).is_none());
        assert!(parse_plan("not json").is_none());
        assert!(parse_plan(r#"{"steps":"x"}"#).is_none());
    }
}
