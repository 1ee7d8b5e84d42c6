//! Validated identifiers: session names chosen by callers and pane/window ids chosen by tmux.
//!
//! Session names are validated because they end up in tmux targets, where characters such as
//! `:`, `.`, `%`, `$`, `@` or `=` change what a target means.

use std::fmt;

use super::TmuxError;

/// A tmux session name made of `[a-z0-9_-]`, e.g. `autocode-p42`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionName(String);

impl SessionName {
    /// Longest accepted name; tmux has no hard limit, but names show in lists and UIs.
    pub const MAX_LEN: usize = 64;

    pub fn new(name: impl Into<String>) -> Result<Self, TmuxError> {
        let name = name.into();
        let valid = !name.is_empty()
            && name.len() <= Self::MAX_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            // A leading '-' would read as a flag to tmux.
            && !name.starts_with('-')
            // Reserved for the daemon's own sessions (the monitor).
            && !name.starts_with("__");
        if valid {
            Ok(Self(name))
        } else {
            Err(TmuxError::InvalidSessionName(name))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Exact-match session target: without `=` tmux matches `autocode-p4` against `autocode-p42`.
    pub(crate) fn target(&self) -> String {
        format!("={}", self.0)
    }
}

impl fmt::Display for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tmux pane id, `%N`; stable for the life of the pane and unique within the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaneId(pub u32);

impl PaneId {
    pub fn parse(s: &str) -> Result<Self, TmuxError> {
        s.strip_prefix('%')
            .and_then(|n| n.parse().ok())
            .map(Self)
            .ok_or_else(|| TmuxError::InvalidPaneId(s.to_owned()))
    }

    pub(crate) fn parse_bytes(s: &[u8]) -> Option<Self> {
        let digits = s.strip_prefix(b"%")?;
        std::str::from_utf8(digits).ok()?.parse().ok().map(Self)
    }
}

impl fmt::Display for PaneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// A tmux window id, `@N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WindowId(pub u32);

impl WindowId {
    pub(crate) fn parse_bytes(s: &[u8]) -> Option<Self> {
        let digits = s.strip_prefix(b"@")?;
        std::str::from_utf8(digits).ok()?.parse().ok().map(Self)
    }
}

impl fmt::Display for WindowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_user_slug_names() {
        for ok in ["autocode-p42", "bob_2", "a", "x-1-y"] {
            assert_eq!(SessionName::new(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_names_that_would_change_a_tmux_target_or_a_command() {
        for bad in [
            "",
            "Alice",
            "a:b",
            "a.b",
            "a b",
            "%1",
            "$0",
            "@1",
            "=x",
            "a;kill-server",
            "a\\;",
            "$(id)",
            "#{pid}",
            "-t",
            "__autocode_monitor",
            "a\nb",
            "ä",
            &"x".repeat(65),
        ] {
            assert!(SessionName::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn pane_ids_round_trip() {
        assert_eq!(PaneId::parse("%12").unwrap(), PaneId(12));
        assert_eq!(PaneId(12).to_string(), "%12");
        assert!(PaneId::parse("12").is_err());
        assert!(PaneId::parse("%x").is_err());
        assert_eq!(PaneId::parse_bytes(b"%7"), Some(PaneId(7)));
        assert_eq!(WindowId::parse_bytes(b"@3"), Some(WindowId(3)));
    }
}
