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
    /// `0`..=`9` (menus of numbered options); larger values are sent as `9`.
    Digit(u8),
}

impl Key {
    fn tmux_name(self) -> &'static str {
        match self {
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
            Key::Digit(d) => {
                ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"][usize::from(d.min(9))]
            }
        }
    }
}

/// What the caller's screen check says about a submit in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitCheck {
    /// The text is visible in the input box, not yet submitted.
    InInput,
    /// The text left the input box, or the program started working on it.
    Submitted,
    /// Neither can be told yet (the echo has not been drawn).
    Unknown,
}

/// Deadlines and retries of [`Tmux::submit`].
#[derive(Clone, Debug)]
pub struct SubmitOptions {
    /// How long to wait for the text to be echoed before pressing Enter anyway.
    pub echo_timeout: Duration,
    /// How long after each Enter the text must leave the input box.
    pub submit_timeout: Duration,
    /// Extra Enter presses after the first one; the text itself is never sent twice.
    pub enter_retries: u32,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        Self {
            echo_timeout: Duration::from_millis(100),
            submit_timeout: Duration::from_secs(2),
            enter_retries: 2,
        }
    }
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
        let cmd = SendKeys::new()
            .target_pane(pane.to_string())
            .key(key.tmux_name())
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
        if text.contains('\n') {
            self.paste(pane, text).await?;
        } else {
            self.send_literal(pane, text).await?;
        }
        // Pressing Enter before the echo would let both arrive in one read().
        screens
            .wait_for(pane, options.echo_timeout, |s| {
                check(s) != SubmitCheck::Unknown
            })
            .await;
        let mut enter_presses = 0;
        loop {
            self.send_key(pane, Key::Enter).await?;
            enter_presses += 1;
            let submitted = screens
                .wait_for(pane, options.submit_timeout, |s| {
                    check(s) == SubmitCheck::Submitted
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
