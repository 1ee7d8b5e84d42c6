//! Pane metadata that decides what a screen alone cannot: whether the CLI process still runs.

use serde::Deserialize;

/// What tmux knows about the pane the CLI runs in.
///
/// Deserialises from tmux's raw strings as `tmux display -p` prints them (the fixtures'
/// `*.meta.json`): `{"pane_dead": "1", "pane_dead_status": "", "pane_pid": "28762", ...}`,
/// where `""` means "none".
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "RawPaneMeta")]
pub struct PaneMeta {
    /// The pane's process has exited (only visible with `remain-on-exit on`).
    pub dead: bool,
    /// Exit status of a normal exit.
    pub dead_status: Option<i32>,
    /// Signal number of a kill.
    pub dead_signal: Option<i32>,
    /// Name of the pane's foreground process (`claude` while the CLI runs).
    pub current_command: String,
    pub pid: Option<u32>,
    pub title: String,
    /// The alternate screen is active.
    pub alternate_on: bool,
}

/// Error for a metadata field that is not what tmux prints.
#[derive(Debug, thiserror::Error)]
#[error("pane metadata field {field} has an unexpected value {value:?}")]
pub struct PaneMetaError {
    field: &'static str,
    value: String,
}

#[derive(Deserialize)]
struct RawPaneMeta {
    #[serde(default)]
    pane_dead: String,
    #[serde(default)]
    pane_dead_status: String,
    #[serde(default)]
    pane_dead_signal: String,
    #[serde(default)]
    pane_current_command: String,
    #[serde(default)]
    pane_pid: String,
    #[serde(default)]
    pane_title: String,
    #[serde(default)]
    alternate_on: String,
}

impl TryFrom<RawPaneMeta> for PaneMeta {
    type Error = PaneMetaError;

    fn try_from(raw: RawPaneMeta) -> Result<Self, Self::Error> {
        Ok(PaneMeta {
            dead: flag("pane_dead", &raw.pane_dead)?,
            dead_status: number("pane_dead_status", &raw.pane_dead_status)?,
            dead_signal: number("pane_dead_signal", &raw.pane_dead_signal)?,
            current_command: raw.pane_current_command,
            pid: number("pane_pid", &raw.pane_pid)?,
            title: raw.pane_title,
            alternate_on: flag("alternate_on", &raw.alternate_on)?,
        })
    }
}

fn flag(field: &'static str, value: &str) -> Result<bool, PaneMetaError> {
    match value.trim() {
        "" | "0" => Ok(false),
        "1" => Ok(true),
        other => Err(PaneMetaError {
            field,
            value: other.to_owned(),
        }),
    }
}

fn number<T: std::str::FromStr>(
    field: &'static str,
    value: &str,
) -> Result<Option<T>, PaneMetaError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| PaneMetaError {
        field,
        value: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tmux_strings_with_empty_as_none() {
        let meta: PaneMeta = serde_json::from_str(
            r#"{"pane_title": "⠐ Claude Code", "pane_dead": "1", "pane_dead_status": "",
                "pane_dead_signal": "9", "pane_current_command": "env", "pane_pid": "21844",
                "alternate_on": "0"}"#,
        )
        .expect("valid metadata");
        assert!(meta.dead);
        assert_eq!(meta.dead_status, None);
        assert_eq!(meta.dead_signal, Some(9));
        assert_eq!(meta.pid, Some(21844));
        assert_eq!(meta.current_command, "env");
        assert!(!meta.alternate_on);
    }

    #[test]
    fn rejects_garbage_numbers() {
        let result: Result<PaneMeta, _> = serde_json::from_str(r#"{"pane_dead": "yes"}"#);
        assert!(result.is_err());
        let result: Result<PaneMeta, _> = serde_json::from_str(r#"{"pane_pid": "12x"}"#);
        assert!(result.is_err());
    }
}
