//! Coding-CLI profiles: everything AutoCode knows about one CLI, as data. A profile is a TOML
//! file (built-in ones live in `profiles/` and are embedded) that says how to launch the CLI,
//! what to pre-seed before launch, which keys drive it, which menu option means what, and the
//! screen rules the classifier uses, with overrides for ranges of CLI versions.
//!
//! Supporting another CLI means writing another profile, not another code path. This module
//! does file I/O only in the pre-seed writer and the version probe; classification stays in
//! `screen`.

mod inspect;
mod keys;
mod launch;
mod preseed;
mod version;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::screen::{Classification, MenuOption, RulesError, RulesSpec, ScreenRules};

pub use inspect::{ClassifyFileError, classify_file, classify_file_as, classify_text};
pub use keys::{Choice, KeyStep, Keys, MenuAction};
pub use launch::{LaunchError, LaunchSpec, LaunchTemplate, Resume, SessionContext};
pub use preseed::{PreseedError, PreseedFile};
pub use version::{Version, VersionError, VersionRange, VersionSpec};

/// Built-in profiles: (name, TOML text).
const BUILTIN: &[(&str, &str)] = &[(
    "claude-code",
    include_str!("../../profiles/claude-code.toml"),
)];

/// A parsed, validated profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Identifier used in configuration (`claude-code`).
    pub name: String,
    pub display_name: String,
    pub launch: LaunchTemplate,
    pub version: Option<VersionSpec>,
    pub keys: Keys,
    #[serde(default)]
    pub choices: BTreeMap<MenuAction, Choice>,
    #[serde(default)]
    pub preseed: Vec<PreseedFile>,
    /// The base screen rules (a [`RulesSpec`]), kept as TOML so that overrides can patch them.
    screen: toml::Table,
    #[serde(default)]
    screen_overrides: Vec<ScreenOverride>,
}

/// Screen rules for a range of CLI versions: its tables are merged into the base `[screen]`
/// (tables merge key by key, anything else, including arrays such as `rules`, is replaced).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScreenOverride {
    #[serde(flatten)]
    versions: VersionRange,
    screen: toml::Table,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no built-in profile named {0:?}")]
    Unknown(String),
    #[error("profile is not valid TOML for a profile: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("profile screen rules{}: {source}", versions_note(.versions))]
    Rules {
        versions: Option<String>,
        #[source]
        source: RulesError,
    },
    #[error("profile screen rules{} do not fit the rules format: {source}", versions_note(.versions))]
    RulesShape {
        versions: Option<String>,
        #[source]
        source: toml::de::Error,
    },
    #[error("choice pattern for {action:?} is invalid: {source}")]
    Choice {
        action: MenuAction,
        #[source]
        source: regex::Error,
    },
}

fn versions_note(versions: &Option<String>) -> String {
    versions
        .as_ref()
        .map(|v| format!(" for versions {v}"))
        .unwrap_or_default()
}

impl Profile {
    /// Parses and validates a profile: every screen-rule variant must compile.
    pub fn from_toml(text: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text)?;
        profile.screen_rules(None)?;
        for o in &profile.screen_overrides {
            // Each override on top of the base must make valid rules on its own.
            profile.rules_for(|range| std::ptr::eq(range, &o.versions))?;
        }
        for (action, choice) in &profile.choices {
            if let Some(label) = &choice.label {
                regex::Regex::new(label).map_err(|source| ProfileError::Choice {
                    action: *action,
                    source,
                })?;
            }
        }
        Ok(profile)
    }

    /// A profile shipped with AutoCode, by name.
    pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ProfileError::Unknown(name.to_owned()))?;
        Profile::from_toml(text)
    }

    /// Names of the built-in profiles.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    /// The Claude Code profile.
    pub fn claude_code() -> Result<Profile, ProfileError> {
        Profile::builtin("claude-code")
    }

    /// Compiled screen rules for a CLI version (`None`: the base rules, no overrides).
    pub fn screen_rules(&self, version: Option<&str>) -> Result<ScreenRules, ProfileError> {
        let version = version.and_then(Version::parse);
        self.rules_for(|range| version.as_ref().is_some_and(|v| range.contains(v)))
    }

    fn rules_for(
        &self,
        applies: impl Fn(&VersionRange) -> bool,
    ) -> Result<ScreenRules, ProfileError> {
        let mut table = self.screen.clone();
        let mut applied = Vec::new();
        for o in self
            .screen_overrides
            .iter()
            .filter(|o| applies(&o.versions))
        {
            merge_tables(&mut table, &o.screen);
            applied.push(format!(
                "[{}, {})",
                o.versions.min_version.as_deref().unwrap_or(""),
                o.versions.max_version.as_deref().unwrap_or("")
            ));
        }
        let versions = (!applied.is_empty()).then(|| applied.join(" + "));
        let spec: RulesSpec =
            toml::Table::try_into(table).map_err(|source| ProfileError::RulesShape {
                versions: versions.clone(),
                source,
            })?;
        ScreenRules::compile(&spec).map_err(|source| ProfileError::Rules { versions, source })
    }

    /// The command line for a session.
    pub fn launch(&self, ctx: &SessionContext, resume: &Resume) -> Result<LaunchSpec, LaunchError> {
        self.launch.build(ctx, resume)
    }

    /// Writes the pre-seed files for a session (blocking I/O); returns the paths written.
    pub fn preseed(&self, ctx: &SessionContext) -> Result<Vec<PathBuf>, PreseedError> {
        preseed::apply(&self.preseed, ctx)
    }

    /// The option number to press for `action` on a menu with these options, if it offers one.
    pub fn choose(&self, action: MenuAction, options: &[MenuOption]) -> Option<u32> {
        // Patterns were validated when the profile was loaded.
        self.choices.get(&action)?.pick(options).ok().flatten()
    }

    /// The keys that take `action` on the menu of `screen`: the option's digit when the menu
    /// shows numbers, otherwise cursor moves from the selected option and Enter. `None` when the
    /// menu offers no such choice.
    pub fn answer_keys(&self, action: MenuAction, screen: &Classification) -> Option<Vec<KeyStep>> {
        let number = self.choose(action, &screen.options)?;
        let target = screen.options.iter().find(|o| o.number == number)?;
        if target.numbered {
            return Some(vec![KeyStep::Key(number.to_string())]);
        }
        let from = screen
            .options
            .iter()
            .find(|o| o.selected)
            .map_or(1, |o| o.number);
        let (key, moves) = if number >= from {
            ("Down", number - from)
        } else {
            ("Up", from - number)
        };
        let mut keys: Vec<KeyStep> = (0..moves).map(|_| KeyStep::Key(key.to_owned())).collect();
        keys.push(KeyStep::Key("Enter".to_owned()));
        Some(keys)
    }

    /// The CLI version named on a screen (e.g. in a welcome banner), if the profile knows where.
    pub fn version_on_screen(&self, screen: &str) -> Option<String> {
        let pattern = self.version.as_ref()?.screen_pattern.as_deref()?;
        VersionSpec::find(pattern, screen).ok().flatten()
    }
}

fn merge_tables(base: &mut toml::Table, patch: &toml::Table) {
    for (key, value) in patch {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new)) => merge_tables(old, new),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests;
