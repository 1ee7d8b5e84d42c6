//! Parser for tmux control-mode output (`tmux -C`), working on bytes.
//!
//! `%output` data is octal-escaped by tmux (`\ooo` for control bytes and `\`) but bytes
//! from 0x80 up are passed raw and need not be UTF-8, so nothing here assumes text. Lines
//! inside a `%begin`/`%end` reply are not escaped at all: a captured line may itself begin
//! with `%end`, so a reply only ends at `%end TIME NUM FLAGS` (or `%error`) whose NUM is
//! the one its `%begin` carried. Pure code: no I/O.

use super::{PaneId, WindowId};

/// One message from the control client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlEvent {
    /// Bytes a pane's program wrote (already unescaped).
    Output {
        pane: PaneId,
        data: Vec<u8>,
    },
    /// The reply to a command: the lines between `%begin` and `%end`/`%error`.
    Reply {
        number: u64,
        success: bool,
        lines: Vec<Vec<u8>>,
    },
    PaneModeChanged {
        pane: PaneId,
    },
    WindowAdd {
        window: WindowId,
    },
    WindowClose {
        window: WindowId,
    },
    WindowRenamed {
        window: WindowId,
        name: Vec<u8>,
    },
    UnlinkedWindowAdd {
        window: WindowId,
    },
    UnlinkedWindowClose {
        window: WindowId,
    },
    LayoutChange {
        window: WindowId,
    },
    SessionChanged {
        session: Vec<u8>,
        name: Vec<u8>,
    },
    SessionsChanged,
    /// tmux paused output for a pane (only with the `pause-after` client flag).
    Pause {
        pane: PaneId,
    },
    Continue {
        pane: PaneId,
    },
    /// The client is leaving; nothing follows.
    Exit {
        reason: Option<Vec<u8>>,
    },
    /// Any other notification, kept whole for logging.
    Other(Vec<u8>),
}

#[derive(Debug)]
struct Reply {
    number: u64,
    lines: Vec<Vec<u8>>,
}

/// Incremental parser: feed it whatever each `read()` returned.
#[derive(Debug, Default)]
pub struct ControlParser {
    partial: Vec<u8>,
    reply: Option<Reply>,
}

impl ControlParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses every complete line in `bytes` (plus what was left over from earlier calls)
    /// and appends the resulting events to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<ControlEvent>) {
        while let Some(pos) = bytes.iter().position(|&b| b == b'\n') {
            let (line, rest) = (&bytes[..pos], &bytes[pos + 1..]);
            if self.partial.is_empty() {
                self.line(line, out);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, out);
            }
            bytes = rest;
        }
        self.partial.extend_from_slice(bytes);
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<ControlEvent>) {
        if let Some(reply) = &mut self.reply {
            let end = split_word(line);
            let success = match end.0 {
                b"%end" => Some(true),
                b"%error" => Some(false),
                _ => None,
            };
            if let Some(success) = success
                && parse_guard(end.1).is_some_and(|(_, number, _)| number == reply.number)
            {
                let reply = self.reply.take();
                if let Some(reply) = reply {
                    out.push(ControlEvent::Reply {
                        number: reply.number,
                        success,
                        lines: reply.lines,
                    });
                }
            } else {
                reply.lines.push(line.to_vec());
            }
            return;
        }
        if let Some(event) = self.notification(line) {
            out.push(event);
        }
    }

    fn notification(&mut self, line: &[u8]) -> Option<ControlEvent> {
        let (word, rest) = split_word(line);
        let other = || Some(ControlEvent::Other(line.to_vec()));
        let event = match word {
            b"%begin" => {
                let Some((_, number, _)) = parse_guard(rest) else {
                    return other();
                };
                self.reply = Some(Reply {
                    number,
                    lines: Vec::new(),
                });
                return None;
            }
            b"%output" => {
                let (pane, data) = split_word(rest);
                ControlEvent::Output {
                    pane: PaneId::parse_bytes(pane)?,
                    data: unescape(data),
                }
            }
            b"%extended-output" => {
                let (pane, rest) = split_word(rest);
                let colon = rest.windows(3).position(|w| w == b" : ")?;
                ControlEvent::Output {
                    pane: PaneId::parse_bytes(pane)?,
                    data: unescape(&rest[colon + 3..]),
                }
            }
            b"%pane-mode-changed" => ControlEvent::PaneModeChanged {
                pane: PaneId::parse_bytes(rest)?,
            },
            b"%pause" => ControlEvent::Pause {
                pane: PaneId::parse_bytes(rest)?,
            },
            b"%continue" => ControlEvent::Continue {
                pane: PaneId::parse_bytes(rest)?,
            },
            b"%window-add" => ControlEvent::WindowAdd {
                window: WindowId::parse_bytes(rest)?,
            },
            b"%window-close" => ControlEvent::WindowClose {
                window: WindowId::parse_bytes(rest)?,
            },
            b"%unlinked-window-add" => ControlEvent::UnlinkedWindowAdd {
                window: WindowId::parse_bytes(rest)?,
            },
            b"%unlinked-window-close" => ControlEvent::UnlinkedWindowClose {
                window: WindowId::parse_bytes(rest)?,
            },
            b"%window-renamed" => {
                let (window, name) = split_word(rest);
                ControlEvent::WindowRenamed {
                    window: WindowId::parse_bytes(window)?,
                    name: name.to_vec(),
                }
            }
            b"%layout-change" => ControlEvent::LayoutChange {
                window: WindowId::parse_bytes(split_word(rest).0)?,
            },
            b"%session-changed" => {
                let (session, name) = split_word(rest);
                ControlEvent::SessionChanged {
                    session: session.to_vec(),
                    name: name.to_vec(),
                }
            }
            b"%sessions-changed" => ControlEvent::SessionsChanged,
            b"%exit" => ControlEvent::Exit {
                reason: (!rest.is_empty()).then(|| rest.to_vec()),
            },
            _ => return other(),
        };
        Some(event)
    }
}

/// Splits at the first space: (word, rest without the space).
fn split_word(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &[]),
    }
}

/// `TIME NUM FLAGS`, all decimal and nothing else.
fn parse_guard(rest: &[u8]) -> Option<(u64, u64, u64)> {
    let text = std::str::from_utf8(rest).ok()?;
    let mut fields = text.split(' ');
    let mut next = || -> Option<u64> {
        let f = fields.next()?;
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        f.parse().ok()
    };
    let guard = (next()?, next()?, next()?);
    fields.next().is_none().then_some(guard)
}

/// Undoes tmux's `\ooo` escaping; anything else (including raw non-UTF-8 bytes) is kept.
pub fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\\'
            && let Some(octal) = data.get(i + 1..i + 4)
            && octal.iter().all(|b| (b'0'..=b'7').contains(b))
        {
            let value = octal
                .iter()
                .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
            // Three octal digits can exceed a byte (\777); tmux never sends that, keep it raw.
            if let Ok(byte) = u8::try_from(value) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
