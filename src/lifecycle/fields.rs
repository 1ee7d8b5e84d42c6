//! What a project's name, texts and plan may hold, for a create and an edit alike.

use super::{LifecycleError, Result};
use crate::db::{self, projects::Step};

const MAX_TEXT: usize = 200_000;
const MAX_STEPS: usize = 200;

pub(super) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> LifecycleError {
    LifecycleError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The name, trimmed: 1 to 100 characters, no control characters.
pub fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "must be 1 to 100 characters without control characters",
        ));
    }
    Ok(name.to_owned())
}

pub fn check_text(field: &str, value: &str) -> Result<()> {
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(
            field,
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

pub fn check_plan(plan: &[Step]) -> Result<()> {
    if plan.len() > MAX_STEPS {
        return Err(invalid(
            "implementation_plan",
            format!("at most {MAX_STEPS} steps"),
        ));
    }
    for (i, step) in plan.iter().enumerate() {
        let n = step.title.trim().chars().count();
        if n == 0 || n > 200 {
            return Err(invalid(
                format!("implementation_plan[{i}].title"),
                "must be 1 to 200 characters",
            ));
        }
        check_text(&format!("implementation_plan[{i}].details"), &step.details)?;
    }
    Ok(())
}

/// A unique-name violation of the projects table, as the member should read it.
pub fn name_taken(e: sqlx::Error) -> LifecycleError {
    if db::is_unique_violation(&e) {
        LifecycleError::NameTaken
    } else {
        e.into()
    }
}
