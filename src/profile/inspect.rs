//! The debugging entry point behind `autocode screen classify FILE [--meta META.json]`.

use std::path::{Path, PathBuf};

use crate::screen::{PaneMeta, classify};

use super::{Profile, ProfileError};

#[derive(Debug, thiserror::Error)]
pub enum ClassifyFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not pane metadata as `tmux display -p` prints it: {source}")]
    Meta {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("cannot render the classification: {0}")]
    Render(#[from] serde_json::Error),
}

/// Classifies a saved screen with the Claude Code profile, using the version its banner names
/// (base rules when it names none), and returns `{"state": "...", ...details}`.
pub fn classify_file(
    path: &Path,
    meta_path: Option<&Path>,
) -> Result<serde_json::Value, ClassifyFileError> {
    classify_file_as(path, meta_path, None)
}

/// [`classify_file`] with the rules for a given CLI version.
pub fn classify_file_as(
    path: &Path,
    meta_path: Option<&Path>,
    version: Option<&str>,
) -> Result<serde_json::Value, ClassifyFileError> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| ClassifyFileError::Read {
            path: p.to_owned(),
            source,
        })
    };
    let screen = read(path)?;
    let meta = match meta_path {
        Some(p) => Some(
            serde_json::from_str::<PaneMeta>(&read(p)?).map_err(|source| {
                ClassifyFileError::Meta {
                    path: p.to_owned(),
                    source,
                }
            })?,
        ),
        None => None,
    };
    let profile = Profile::claude_code()?;
    classify_text(&profile, &screen, meta.as_ref(), version)
}

/// Classifies screen text with a profile. `version` picks version-specific rules; without it the
/// version shown on the screen is used, if any.
pub fn classify_text(
    profile: &Profile,
    screen: &str,
    meta: Option<&PaneMeta>,
    version: Option<&str>,
) -> Result<serde_json::Value, ClassifyFileError> {
    let version = version
        .map(str::to_owned)
        .or_else(|| profile.version_on_screen(screen));
    let rules = profile.screen_rules(version.as_deref())?;
    Ok(serde_json::to_value(classify(screen, meta, &rules))?)
}
