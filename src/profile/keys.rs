//! What to type to drive a CLI: key sequences for submit/interrupt/quit, and which menu option
//! means "approve", "deny" or "accept this dialog", found from the options the classifier read.

use regex::Regex;
use serde::Deserialize;

use crate::screen::MenuOption;

/// One step of a key sequence, sent on its own (the CLI must see separate reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStep {
    /// A tmux key name: `Enter`, `Escape`, `C-c`, `Up`, `1`...
    Key(String),
    /// Literal text.
    Text(String),
}

/// Key sequences of a CLI.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// Submits the text in the input box.
    pub submit: Vec<KeyStep>,
    /// Stops the running turn.
    pub interrupt: Vec<KeyStep>,
    /// Ends the CLI cleanly.
    pub quit: Vec<KeyStep>,
}

/// A decision to take on a menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuAction {
    /// Allow this one tool call.
    Approve,
    /// Allow this and similar tool calls from now on.
    ApproveAlways,
    /// Refuse the tool call.
    Deny,
    /// Trust the workspace folder.
    AcceptTrust,
    /// Use the API key found in the environment.
    AcceptApiKey,
    /// Accept running with permissions bypassed.
    AcceptBypass,
    /// Decline making auto mode the default (keep being asked for permission).
    KeepManualMode,
}

/// How to find the option for a [`MenuAction`]: by label first, then by number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Pattern on the option label.
    pub label: Option<String>,
    /// Option number to use when no label matches (and the menu has that many options).
    pub number: Option<u32>,
    /// Use the last option when neither label nor number decides (e.g. "No" is always last).
    #[serde(default)]
    pub last: bool,
}

impl Choice {
    /// The option number to press, if this menu offers the choice.
    pub fn pick(&self, options: &[MenuOption]) -> Result<Option<u32>, regex::Error> {
        if let Some(label) = &self.label {
            let regex = Regex::new(label)?;
            if let Some(option) = options.iter().find(|o| regex.is_match(&o.label)) {
                return Ok(Some(option.number));
            }
        }
        if let Some(number) = self.number
            && options.iter().any(|o| o.number == number)
        {
            return Ok(Some(number));
        }
        Ok(self
            .last
            .then(|| options.last().map(|o| o.number))
            .flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(labels: &[&str]) -> Vec<MenuOption> {
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| MenuOption {
                number: i as u32 + 1,
                label: (*l).to_owned(),
                selected: i == 0,
                numbered: true,
            })
            .collect()
    }

    #[test]
    fn label_wins_over_number_and_last_is_the_fallback() {
        let menu = options(&["No, exit", "Yes, I accept"]);
        let accept = Choice {
            label: Some("^Yes".into()),
            number: Some(1),
            last: false,
        };
        assert_eq!(accept.pick(&menu).expect("valid label pattern"), Some(2));
        let deny = Choice {
            label: Some("^Nope$".into()),
            number: None,
            last: true,
        };
        assert_eq!(deny.pick(&menu).expect("valid label pattern"), Some(2));
        let by_number = Choice {
            label: Some("^Nope$".into()),
            number: Some(3),
            last: false,
        };
        assert_eq!(
            by_number.pick(&menu).expect("valid label pattern"),
            None,
            "no option 3 in this menu"
        );
        assert_eq!(
            by_number
                .pick(&options(&["a", "b", "c"]))
                .expect("valid label pattern"),
            Some(3)
        );
    }
}
