//! The in-memory screens of every monitored pane, and the events announcing their changes.
//!
//! Each pane has a `vt100` terminal emulator fed with the bytes the control-mode client
//! receives, so any consumer can read a pane's current screen without a tmux call. Only
//! [`super::Monitor`] writes here; everyone else reads or subscribes.

use std::collections::HashMap;
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use super::PaneId;

/// What happened to a pane; sent on a `tokio::sync::broadcast` channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScreenEvent {
    /// Raw bytes the pane's program wrote, already applied to the screen (for terminal
    /// streaming). `seq` is the pane's output counter after these bytes: a consumer that
    /// started from a [`Snapshot`] skips events with `seq <= snapshot.seq`, and a gap in
    /// the sequence means bytes were missed (or the screen was resynced).
    Output {
        pane: PaneId,
        seq: u64,
        bytes: Arc<[u8]>,
    },
    /// The pane's screen changed (after output, or after a resync from `capture-pane`).
    ScreenChanged { pane: PaneId },
    /// The pane's program ended (`status` is its exit code when tmux knows it), or the pane
    /// was closed (`status: None`); sent once per pane.
    PaneExited { pane: PaneId, status: Option<i32> },
    /// The control client was restarted; output in between is lost and screens are being
    /// resynced from `capture-pane`.
    ClientReconnected,
}

struct PaneScreen {
    parser: vt100::Parser,
    /// Bumped on every output, so a capture taken before some output is not applied over it.
    seq: u64,
    last_output: Instant,
    /// When the screen was last compared with `capture-pane`; None after new output.
    checked_at: Option<Instant>,
    exited: bool,
}

/// A pane's screen redrawn as escape sequences, with the output counter it reflects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub seq: u64,
    pub rows: u16,
    pub cols: u16,
    /// Resets the terminal and redraws the screen (colours, attributes, cursor, input
    /// modes) on a terminal of this size.
    pub data: String,
    pub exited: bool,
}

/// Registry of pane screens. Cheap to clone; all clones share the same screens.
#[derive(Clone)]
pub struct Screens {
    panes: Arc<Mutex<HashMap<PaneId, PaneScreen>>>,
    events: broadcast::Sender<ScreenEvent>,
    scrollback: usize,
}

fn size(rows: u16, cols: u16) -> (NonZeroU16, NonZeroU16) {
    (
        NonZeroU16::new(rows).unwrap_or(NonZeroU16::MIN),
        NonZeroU16::new(cols).unwrap_or(NonZeroU16::MIN),
    )
}

impl Screens {
    /// `capacity` bounds the event backlog of a slow subscriber (it then sees `Lagged`).
    pub fn new(capacity: usize, scrollback: usize) -> Self {
        let (events, _) = broadcast::channel(capacity.max(1));
        Self {
            panes: Arc::default(),
            events,
            scrollback,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PaneId, PaneScreen>> {
        // A panic while holding the lock leaves at worst a half-applied output, which the
        // next resync repairs; keep serving instead of poisoning every reader.
        self.panes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn emit(&self, event: ScreenEvent) {
        // No subscriber is a normal state (nobody watching yet), not an error.
        if self.events.send(event).is_err() {
            tracing::trace!("screen event without subscribers");
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ScreenEvent> {
        self.events.subscribe()
    }

    pub fn panes(&self) -> Vec<PaneId> {
        let mut panes: Vec<_> = self.lock().keys().copied().collect();
        panes.sort();
        panes
    }

    pub fn contains(&self, pane: PaneId) -> bool {
        self.lock().contains_key(&pane)
    }

    /// Reads the raw `vt100` screen (colours, attributes, modes) under the registry lock;
    /// keep `f` short.
    pub fn with_screen<R>(&self, pane: PaneId, f: impl FnOnce(&vt100::Screen) -> R) -> Option<R> {
        self.lock().get(&pane).map(|p| f(p.parser.screen()))
    }

    /// The visible rows as text, trailing blanks removed.
    pub fn rows(&self, pane: PaneId) -> Option<Vec<String>> {
        self.with_screen(pane, screen_rows)
    }

    /// The visible screen as text, one line per row.
    pub fn text(&self, pane: PaneId) -> Option<String> {
        self.rows(pane).map(|rows| rows.join("\n"))
    }

    /// Cursor position as (row, col), zero-based.
    pub fn cursor(&self, pane: PaneId) -> Option<(u16, u16)> {
        self.with_screen(pane, |s| s.cursor_position())
    }

    /// Escape sequences that redraw the screen with colours on a blank terminal of the same
    /// size (a snapshot for a newly connected web terminal).
    pub fn formatted(&self, pane: PaneId) -> Option<Vec<u8>> {
        self.with_screen(pane, |s| s.contents_formatted().into_bytes())
    }

    /// The formatted screen and the output counter it reflects, read under one lock so that
    /// a consumer can continue exactly after it with [`ScreenEvent::Output`] bytes.
    pub fn snapshot(&self, pane: PaneId) -> Option<Snapshot> {
        self.lock().get(&pane).map(|p| {
            let screen = p.parser.screen();
            let (rows, cols) = screen.size();
            // RIS first so a terminal that already shows something starts clean; the
            // alternate screen is entered before drawing so that later output leaving it
            // behaves as it does in tmux.
            let mut data = String::from("\x1bc");
            if screen.alternate_screen() {
                data.push_str("\x1b[?1049h");
            }
            data.push_str(&screen.state_formatted());
            Snapshot {
                seq: p.seq,
                rows: rows.get(),
                cols: cols.get(),
                data,
                exited: p.exited,
            }
        })
    }

    /// Whether the pane's program has ended (None for an unknown pane).
    pub fn is_exited(&self, pane: PaneId) -> Option<bool> {
        self.lock().get(&pane).map(|p| p.exited)
    }

    /// Waits until `pred` holds for the pane's screen text, or `timeout` passes. Event
    /// driven: the text is re-read only when the pane changes.
    pub async fn wait_for(
        &self,
        pane: PaneId,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> bool {
        let mut events = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.text(pane).is_some_and(|t| pred(&t)) {
                return true;
            }
            loop {
                match tokio::time::timeout_at(deadline, events.recv()).await {
                    Err(_) => return false,
                    Ok(Err(broadcast::error::RecvError::Closed)) => return false,
                    Ok(Err(broadcast::error::RecvError::Lagged(_))) => break,
                    Ok(Ok(ScreenEvent::ScreenChanged { pane: p })) if p == pane => break,
                    Ok(Ok(_)) => {}
                }
            }
        }
    }

    /// Starts tracking a pane with a blank screen (no-op when already tracked).
    pub(crate) fn track(&self, pane: PaneId, rows: u16, cols: u16) {
        let (rows, cols) = size(rows, cols);
        self.lock().entry(pane).or_insert_with(|| PaneScreen {
            parser: vt100::Parser::new(rows, cols, self.scrollback),
            seq: 0,
            last_output: Instant::now(),
            checked_at: None,
            exited: false,
        });
    }

    /// Follows a pane resize. The emulator does not reflow lines the way tmux does; the
    /// next quiet check replaces the screen with tmux's own.
    ///
    /// A terminal streaming this pane's bytes has the old size, so the output counter skips
    /// a number: such viewers take a new snapshot (at the new size).
    pub(crate) fn resize(&self, pane: PaneId, rows: u16, cols: u16) {
        let (rows, cols) = size(rows, cols);
        let resized = match self.lock().get_mut(&pane) {
            Some(screen) => {
                screen.parser.screen_mut().set_size(rows, cols);
                screen.checked_at = None;
                screen.seq += 1;
                true
            }
            None => false,
        };
        if resized {
            self.emit(ScreenEvent::ScreenChanged { pane });
        }
    }

    pub(crate) fn remove(&self, pane: PaneId) {
        self.lock().remove(&pane);
    }

    /// Applies output from the control client. Output of untracked panes is ignored.
    pub(crate) fn apply_output(&self, pane: PaneId, bytes: Vec<u8>) {
        let seq = {
            let mut panes = self.lock();
            let Some(screen) = panes.get_mut(&pane) else {
                return;
            };
            screen.parser.process(&bytes);
            screen.seq += 1;
            screen.last_output = Instant::now();
            screen.checked_at = None;
            screen.seq
        };
        self.emit(ScreenEvent::Output {
            pane,
            seq,
            bytes: bytes.into(),
        });
        self.emit(ScreenEvent::ScreenChanged { pane });
    }

    /// The output counter, taken before a capture so that [`Screens::resync`] can tell
    /// whether the capture is already stale.
    pub(crate) fn seq(&self, pane: PaneId) -> Option<u64> {
        self.lock().get(&pane).map(|p| p.seq)
    }

    /// Replaces the pane's screen with a captured one if no output arrived since `seq` and the
    /// text differs. Returns whether the screen was replaced.
    pub(crate) fn resync(&self, pane: PaneId, seq: u64, captured: vt100::Parser) -> bool {
        let replaced = {
            let mut panes = self.lock();
            let Some(screen) = panes.get_mut(&pane) else {
                return false;
            };
            if screen.seq != seq {
                // Output raced the capture; the next quiet check tries again.
                return false;
            }
            screen.checked_at = Some(Instant::now());
            let differs = screen_rows(screen.parser.screen()) != screen_rows(captured.screen())
                || screen.parser.screen().cursor_position() != captured.screen().cursor_position()
                || screen.parser.screen().size() != captured.screen().size();
            if differs {
                screen.parser = captured;
                // Byte streams continued from an older snapshot no longer add up to this
                // screen; the skipped number tells them to take a new snapshot.
                screen.seq += 1;
            }
            differs
        };
        if replaced {
            self.emit(ScreenEvent::ScreenChanged { pane });
        }
        replaced
    }

    /// Marks the pane's program as ended; emits `PaneExited` only the first time.
    pub(crate) fn mark_exited(&self, pane: PaneId, status: Option<i32>) -> bool {
        let first = match self.lock().get_mut(&pane) {
            Some(screen) if !screen.exited => {
                screen.exited = true;
                true
            }
            _ => false,
        };
        if first {
            self.emit(ScreenEvent::PaneExited { pane, status });
        }
        first
    }

    pub(crate) fn client_reconnected(&self) {
        for screen in self.lock().values_mut() {
            screen.checked_at = None;
        }
        self.emit(ScreenEvent::ClientReconnected);
    }

    /// Live panes silent for at least `quiet` whose screen was not checked against tmux
    /// since their last output (or not within `recheck`).
    pub(crate) fn unchecked_quiet(
        &self,
        quiet: Duration,
        recheck: Option<Duration>,
    ) -> Vec<PaneId> {
        let now = Instant::now();
        let due = |s: &PaneScreen| match s.checked_at {
            None => now.duration_since(s.last_output) >= quiet,
            Some(at) => recheck.is_some_and(|r| now.duration_since(at) >= r),
        };
        self.lock()
            .iter()
            .filter(|(_, s)| !s.exited && due(s))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// Builds a screen from `capture-pane -p -e` output plus the cursor and modes tmux reported.
pub(crate) fn screen_from_capture(
    capture: &[u8],
    rows: u16,
    cols: u16,
    cursor: (u16, u16),
    alternate: bool,
    cursor_visible: bool,
    scrollback: usize,
) -> vt100::Parser {
    let (r, c) = size(rows, cols);
    let mut parser = vt100::Parser::new(r, c, scrollback);
    if alternate {
        parser.process(b"\x1b[?1049h");
    }
    let lines: Vec<&[u8]> = capture.split(|&b| b == b'\n').collect();
    for (i, line) in lines.iter().take(usize::from(rows)).enumerate() {
        if i > 0 {
            parser.process(b"\r\n");
        }
        parser.process(line);
    }
    let (y, x) = cursor;
    parser.process(format!("\x1b[0m\x1b[{};{}H", y + 1, x + 1).as_bytes());
    if !cursor_visible {
        parser.process(b"\x1b[?25l");
    }
    parser
}

fn screen_rows(screen: &vt100::Screen) -> Vec<String> {
    let (_, cols) = screen.size();
    screen
        .rows(0, cols.get())
        // Like `capture-pane`: only blanks are trimmed. `trim_end` would also eat a
        // trailing U+00A0, which Claude Code's prompt glyph is followed by.
        .map(|r| r.trim_end_matches(' ').to_owned())
        .collect()
}

#[cfg(test)]
#[path = "screens_tests.rs"]
mod tests;
