//! Typing into panes: literal text, bracketed pastes, named keys, and verified submits.
//!
//! Text and its `Enter` are always sent in separate tmux calls: sent together they reach
//! the program in one `read()`, and Claude Code then takes the Enter as a newline.

use std::time::Duration;

use tmux_interface::{LoadBuffer, PasteBuffer, SendKeys};

use super::{PaneId, Screens, Tmux, TmuxError};

/// Keys with a tmux name (`send-keys` without `-l`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Enter,
    Escape,
    CtrlC,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    /// `0`..=`9` (menus of numbered options); larger values are rejected.
    Digit(u8),
}

impl Key {
    /// The key a tmux key name stands for (`Enter`, `Escape`/`Esc`, `C-c`, `Tab`, `BTab`,
    /// `BSpace`, arrows, a digit); `None` for anything else.
    pub fn from_name(name: &str) -> Option<Key> {
        Some(match name {
            "Enter" => Key::Enter,
            "Escape" | "Esc" => Key::Escape,
            "C-c" => Key::CtrlC,
            "Tab" => Key::Tab,
            "BTab" | "BackTab" => Key::BackTab,
            "BSpace" | "Backspace" => Key::Backspace,
            "Up" => Key::Up,
            "Down" => Key::Down,
            "Left" => Key::Left,
            "Right" => Key::Right,
            d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => {
                Key::Digit(d.as_bytes()[0] - b'0')
            }
            _ => return None,
        })
    }

    fn tmux_name(self) -> Option<&'static str> {
        const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        Some(match self {
            Key::Enter => "Enter",
            Key::Escape => "Escape",
            Key::CtrlC => "C-c",
            Key::Tab => "Tab",
            Key::BackTab => "BTab",
            Key::Backspace => "BSpace",
            Key::Up => "Up",
            Key::Down => "Down",
            Key::Left => "Left",
            Key::Right => "Right",
            Key::Digit(d) => DIGITS.get(usize::from(d))?,
        })
    }
}

/// What the caller's screen check says about a submit in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitCheck {
    /// The text is visible in the input box, not yet submitted.
    InInput,
    /// The text left the input box, or the program started working on it.
    Submitted,
    /// The input box is empty (or the program shows something else, such as a command's
    /// panel): submitted if the text was seen in the box before, unknown otherwise.
    Cleared,
    /// Neither can be told yet (the echo has not been drawn).
    Unknown,
}

/// Deadlines and retries of [`Tmux::submit`].
#[derive(Clone, Debug)]
pub struct SubmitOptions {
    /// How long to wait for typed text to be echoed before pressing Enter anyway.
    pub echo_timeout: Duration,
    /// The same for a multi-line paste, which a CLI may take longer to draw (Claude Code
    /// folds it into `[Pasted text #1 +N lines]`).
    pub paste_echo_timeout: Duration,
    /// How long after each Enter the text must leave the input box.
    pub submit_timeout: Duration,
    /// Extra Enter presses after the first one; the text itself is never sent twice.
    pub enter_retries: u32,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        Self {
            echo_timeout: Duration::from_millis(100),
            paste_echo_timeout: Duration::from_secs(1),
            submit_timeout: Duration::from_secs(2),
            enter_retries: 2,
        }
    }
}

/// Text typed into a pane, waiting for its Enter ([`Tmux::type_text`]).
#[derive(Debug)]
pub struct Typed {
    /// The screen before typing.
    before: Option<String>,
    /// Whether the text was seen in the input box.
    seen_in_input: bool,
}

/// A confirmed submit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmitOutcome {
    /// Number of Enter presses it took (1 unless one was lost).
    pub enter_presses: u32,
}

impl Tmux {
    /// Types `text` literally (no key-name lookup, no format expansion). Newlines are sent as
    /// typed, so use [`Tmux::paste`] for multi-line text.
    pub async fn send_literal(&self, pane: PaneId, text: &str) -> Result<(), TmuxError> {
        if text.is_empty() {
            return Ok(());
        }
        let mut cmd = SendKeys::new()
            .disable_lookup()
            .target_pane(pane.to_string())
            .build();
        // `--` so that text starting with '-' is not read as a flag.
        cmd.push_param("--");
        cmd.push_param(text.to_owned());
        self.run(&[cmd]).await.map(drop)
    }

    /// Pastes `text` as one bracketed paste, newlines kept as LF: the program sees a single
    /// paste instead of one submit per line.
    pub async fn paste(&self, pane: PaneId, text: &str) -> Result<(), TmuxError> {
        // A buffer name per pane so concurrent pastes into different panes do not mix.
        let buffer = format!("autocode-paste-{}", pane.0);
        let load = LoadBuffer::new()
            .buffer_name(buffer.clone())
            .path("-")
            .build();
        let paste = PasteBuffer::new()
            .delete()
            .bracket_codes()
            .no_replacement()
            .buffer_name(buffer)
            .target_pane(pane.to_string())
            .build();
        self.run_with_stdin(&[load, paste], Some(text.as_bytes()))
            .await
            .map(drop)
    }

    /// Presses a named key.
    pub async fn send_key(&self, pane: PaneId, key: Key) -> Result<(), TmuxError> {
        let name = key
            .tmux_name()
            .ok_or(TmuxError::InvalidSpec("digit key above 9"))?;
        let cmd = SendKeys::new()
            .target_pane(pane.to_string())
            .key(name)
            .build();
        self.run(&[cmd]).await.map(drop)
    }

    /// Types `text` (pasted when it has several lines), waits for its echo, presses Enter,
    /// and confirms with `check` (the caller's screen classifier) that it was submitted;
    /// Enter is pressed again up to `options.enter_retries` times, the text never twice.
    pub async fn submit(
        &self,
        screens: &Screens,
        pane: PaneId,
        text: &str,
        options: &SubmitOptions,
        check: impl Fn(&str) -> SubmitCheck,
    ) -> Result<SubmitOutcome, TmuxError> {
        let typed = self.type_text(screens, pane, text, options, &check).await?;
        self.press_submit(screens, pane, typed, options, &check)
            .await
    }

    /// The first half of [`Tmux::submit`]: types `text` and waits (at most the echo
    /// timeout) for it to show in the input box. Whatever must happen before the text is
    /// sent, and can happen while the program draws it, goes between this and
    /// [`Tmux::press_submit`].
    pub async fn type_text(
        &self,
        screens: &Screens,
        pane: PaneId,
        text: &str,
        options: &SubmitOptions,
        check: impl Fn(&str) -> SubmitCheck,
    ) -> Result<Typed, TmuxError> {
        // What the screen looked like before typing: a "submitted"-looking screen that is
        // still this one only shows that the text has not been drawn yet.
        let before = screens.text(pane);
        let echo_timeout = if text.contains('\n') {
            self.paste(pane, text).await?;
            options.paste_echo_timeout
        } else {
            self.send_literal(pane, text).await?;
            options.echo_timeout
        };
        // Pressing Enter before the echo would let both arrive in one read().
        let seen_in_input = screens
            .wait_for(pane, echo_timeout, |s| check(s) == SubmitCheck::InInput)
            .await;
        Ok(Typed {
            before,
            seen_in_input,
        })
    }

    /// The second half of [`Tmux::submit`]: presses Enter until `check` confirms the typed
    /// text was submitted.
    ///
    /// A `Submitted` verdict counts only once the text was seen in the input box or the
    /// screen differs from the one before typing: an idle screen on which the text has not
    /// been drawn yet looks exactly like one after a submit.
    pub async fn press_submit(
        &self,
        screens: &Screens,
        pane: PaneId,
        typed: Typed,
        options: &SubmitOptions,
        check: impl Fn(&str) -> SubmitCheck,
    ) -> Result<SubmitOutcome, TmuxError> {
        let Typed {
            before,
            mut seen_in_input,
        } = typed;
        let mut enter_presses = 0;
        loop {
            self.send_key(pane, Key::Enter).await?;
            enter_presses += 1;
            tracing::debug!(%pane, enter_presses, "enter pressed");
            let submitted = screens
                .wait_for(pane, options.submit_timeout, |s| match check(s) {
                    SubmitCheck::InInput => {
                        seen_in_input = true;
                        false
                    }
                    SubmitCheck::Submitted => {
                        seen_in_input || before.as_deref().is_none_or(|b| b != s)
                    }
                    SubmitCheck::Cleared => seen_in_input,
                    SubmitCheck::Unknown => false,
                })
                .await;
            if submitted {
                return Ok(SubmitOutcome { enter_presses });
            }
            if screens.is_exited(pane) == Some(true) {
                return Err(TmuxError::NotFound(format!("{pane} exited")));
            }
            if enter_presses > options.enter_retries {
                return Err(TmuxError::SubmitNotConfirmed { enter_presses });
            }
            tracing::warn!(%pane, enter_presses, "submit not confirmed, pressing Enter again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_tmux_names_and_only_single_digits_exist() {
        assert_eq!(Key::CtrlC.tmux_name(), Some("C-c"));
        assert_eq!(Key::Digit(3).tmux_name(), Some("3"));
        assert_eq!(Key::Digit(10).tmux_name(), None);
    }
}
