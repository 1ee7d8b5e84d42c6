//! What the controller writes: the prompt for a step, the state summary after a
//! compaction, the composed `.nanobot/IDENTITY.md`, and the append-only `HISTORY.md` and
//! `MEMORY.md`. Composition is pure; the file helpers are small and atomic where it matters.

use std::io::Write;
use std::path::Path;

use crate::db::projects::{Project, Step, StepStatus};

/// The parts of a project's context a prompt is made of.
pub struct Context<'a> {
    pub project: &'a Project,
    pub rules: &'a str,
    pub claude_md: &'a str,
    pub memory: &'a str,
}

fn status_mark(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Pending => "[ ]",
        StepStatus::Running => "[>]",
        StepStatus::Done => "[x]",
        StepStatus::Failed => "[!]",
    }
}

/// The plan as a checklist, one line per step.
pub fn plan_checklist(plan: &[Step]) -> String {
    plan.iter()
        .enumerate()
        .map(|(i, s)| format!("{} {}. {}", status_mark(s.status), i + 1, s.title))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The message sent to the coding CLI for step `index`.
pub fn step_prompt(ctx: &Context<'_>, index: usize) -> String {
    let plan = &ctx.project.implementation_plan.0;
    let step = &plan[index];
    let mut out = format!(
        "We are working on the project \"{}\", one step at a time.\n\nGoal: {}\n",
        ctx.project.name,
        one_paragraph(&ctx.project.description)
    );
    if !ctx.project.architecture.trim().is_empty() {
        out.push_str(&format!(
            "Architecture: {}\n",
            one_paragraph(&ctx.project.architecture)
        ));
    }
    if !ctx.rules.trim().is_empty() {
        out.push_str(&format!("\nRules to follow:\n{}\n", ctx.rules.trim()));
    }
    let facts = memory_facts(ctx.memory);
    if !facts.is_empty() {
        out.push_str(&format!("\nNotes from earlier steps:\n{facts}\n"));
    }
    out.push_str(&format!("\nPlan:\n{}\n", plan_checklist(plan)));
    out.push_str(&format!(
        "\nNow do step {} only: {}\n",
        index + 1,
        step.title
    ));
    if !step.details.trim().is_empty() {
        out.push_str(&format!("Details: {}\n", step.details.trim()));
    }
    out.push_str("\nWork inside this directory. When the step is complete, say so and summarise what you changed.");
    out
}

/// Sent after the CLI compacted its context, so work continues where it was.
pub fn state_summary(project: &Project, index: Option<usize>) -> String {
    let plan = &project.implementation_plan.0;
    let mut out = format!(
        "Context was compacted. State of the project \"{}\":\n{}\n",
        project.name,
        plan_checklist(plan)
    );
    if let Some(i) = index.filter(|i| *i < plan.len()) {
        out.push_str(&format!(
            "\nWe are on step {}: {}. Continue with it; check the files on disk for what is already done.",
            i + 1,
            plan[i].title
        ));
    }
    out
}

/// The remembered facts of MEMORY.md (its `- ` lines), without the file's header.
pub fn memory_facts(memory: &str) -> String {
    memory
        .lines()
        .filter(|l| l.starts_with("- "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Goals and architectures can be long; in a prompt line they are flattened.
fn one_paragraph(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        "(not given)".to_owned()
    } else {
        flat
    }
}

/// `.nanobot/IDENTITY.md`: everything the supervisor works from, in one file.
pub fn identity(ctx: &Context<'_>, agent_identity: &str) -> String {
    let p = ctx.project;
    format!(
        "# Identity for {name}\n\n## Supervisor identity\n{agent_identity}\n\n## Global rules\n{rules}\n\n## Project instructions (.claude/CLAUDE.md)\n{claude}\n\n## Goal\n{goal}\n\n## Architecture\n{arch}\n\n## Plan\n{plan}\n",
        name = p.name,
        rules = ctx.rules.trim(),
        claude = ctx.claude_md.trim(),
        goal = p.description.trim(),
        arch = p.architecture.trim(),
        plan = plan_checklist(&p.implementation_plan.0),
    )
}

/// Rewrites IDENTITY.md only when its content changed.
pub fn refresh_identity(nanobot_dir: &Path, text: &str) -> std::io::Result<bool> {
    let path = nanobot_dir.join("IDENTITY.md");
    if read_or_empty(&path) == text && path.is_file() {
        return Ok(false);
    }
    crate::workspace::write_atomic(&path, text.as_bytes())?;
    Ok(true)
}

/// Appends one line to an append-only markdown file (never through a planted link).
pub fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    crate::workspace::ensure_no_links(path)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(f, "{}", line.replace('\n', " "))
}

/// Reads a text file, or an empty string when it is missing or reached through a link
/// (a link planted in a member's workspace must not feed someone else's file to the LLM).
pub fn read_or_empty(path: &Path) -> String {
    match crate::workspace::read_without_links(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            tracing::warn!(path = %path.display(), "not reading {e}");
            String::new()
        }
    }
}

/// The first step that is not done, if any.
pub fn next_step(plan: &[Step]) -> Option<usize> {
    plan.iter().position(|s| s.status != StepStatus::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::types::Json;

    fn project(plan: Vec<Step>) -> Project {
        Project {
            id: 1,
            user_id: 1,
            agent_id: 1,
            name: "Todo".into(),
            slug: "todo".into(),
            description: "A todo\napp".into(),
            architecture: String::new(),
            implementation_plan: Json(plan),
            status: crate::db::projects::ProjectStatus::Running,
            current_step: None,
            tmux_session: "autocode-p1".into(),
            workspace_path: "/w".into(),
            created_at: String::new(),
            updated_at: String::new(),
            question: None,
            cli_session_id: None,
            pending_action: None,
            restarts: Json(vec![]),
            stalled_since: None,
        }
    }

    fn step(title: &str, status: StepStatus) -> Step {
        Step {
            title: title.into(),
            details: String::new(),
            status,
        }
    }

    #[test]
    fn prompt_names_the_step_and_the_plan() {
        let p = project(vec![
            step("Scaffold", StepStatus::Done),
            step("Add tests", StepStatus::Pending),
        ]);
        let ctx = Context {
            project: &p,
            rules: "Use Rust.",
            claude_md: "",
            memory: "# Memory\n\nFacts...\n- tests live in tests/\n",
        };
        let prompt = step_prompt(&ctx, 1);
        assert!(prompt.contains("Goal: A todo app"));
        assert!(prompt.contains("[x] 1. Scaffold"));
        assert!(prompt.contains("Now do step 2 only: Add tests"));
        assert!(!prompt.contains("Architecture:"));
        assert!(prompt.contains("Rules to follow:\nUse Rust."));
        assert!(prompt.contains("Notes from earlier steps:\n- tests live in tests/"));
        assert!(!prompt.contains("Facts..."));
        assert_eq!(next_step(&p.implementation_plan.0), Some(1));
        assert!(state_summary(&p, Some(1)).contains("step 2: Add tests"));
    }

    #[test]
    fn identity_is_rewritten_only_on_change() {
        let dir = tempfile::tempdir().expect("tmp");
        assert!(refresh_identity(dir.path(), "a").expect("write"));
        assert!(!refresh_identity(dir.path(), "a").expect("same"));
        assert!(refresh_identity(dir.path(), "b").expect("changed"));
    }
}
