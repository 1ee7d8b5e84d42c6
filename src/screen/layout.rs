//! Cuts a captured screen into the regions the rules look at: the transcript, the last turn,
//! the live area (input box or dialog) and what lies below the input box.

use std::ops::Range;

use super::compiled::Layout;
use super::rules::Region;

/// The input box: where it is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputBox {
    /// First line of the box, its top border when there is one.
    pub top: usize,
    /// The line with the prompt glyph.
    pub first: usize,
    /// The last line of input (multi-line input spans several).
    pub last: usize,
    /// Typed text, `None` when the box is empty or shows a placeholder.
    pub text: Option<String>,
}

/// A screen split into lines, with the landmarks that define the regions.
#[derive(Debug)]
pub(crate) struct Screen<'a> {
    pub lines: Vec<&'a str>,
    pub input_box: Option<InputBox>,
    pub last_echo: Option<usize>,
    pub live_start: usize,
}

impl<'a> Screen<'a> {
    pub fn parse(text: &'a str, layout: &Layout) -> Screen<'a> {
        // Only ASCII blanks are trimmed: the empty input box is the prompt glyph followed by a
        // no-break space, which `trim_end` would remove.
        let lines: Vec<&str> = text
            .split('\n')
            .map(|l| l.trim_end_matches([' ', '\r', '\t']))
            .collect();
        let input_box = find_input_box(&lines, layout);
        let last_echo = lines.iter().rposition(|l| layout.user_echo.is_match(l));
        let live_start = match &input_box {
            Some(b) => b.top,
            None => {
                let from = last_echo.map_or(0, |e| e + 1);
                lines[from..]
                    .iter()
                    .position(|l| layout.rule.is_match(l))
                    .map_or(from, |p| from + p)
            }
        };
        Screen {
            lines,
            input_box,
            last_echo,
            live_start,
        }
    }

    /// Whether anything at all is drawn.
    pub fn has_content(&self) -> bool {
        self.lines.iter().any(|l| !l.trim().is_empty())
    }

    pub fn range(&self, region: Region) -> Range<usize> {
        let n = self.lines.len();
        match region {
            Region::All => 0..n,
            Region::Transcript => 0..self.live_start,
            Region::LastTurn => {
                let start = self.last_echo.map_or(0, |e| e + 1).min(self.live_start);
                start..self.live_start
            }
            Region::Live => self.live_start..n,
            Region::InputBox => match &self.input_box {
                Some(b) => b.first..b.last + 1,
                None => n..n,
            },
            Region::BelowBox => match &self.input_box {
                Some(b) => b.last + 1..n,
                None => n..n,
            },
            Region::LastLine => match self.lines.iter().rposition(|l| !l.trim().is_empty()) {
                Some(i) => i..i + 1,
                None => n..n,
            },
        }
    }

    pub fn region(&self, region: Region) -> &[&'a str] {
        &self.lines[self.range(region)]
    }
}

fn find_input_box(lines: &[&str], layout: &Layout) -> Option<InputBox> {
    let first = lines.iter().rposition(|l| layout.input.is_match(l))?;
    let top = if first > 0 && layout.rule.is_match(lines[first - 1]) {
        first - 1
    } else {
        first
    };
    let mut parts: Vec<&str> = Vec::new();
    if let Some(text) = layout
        .input
        .captures(lines[first])
        .and_then(|c| c.name("text"))
    {
        parts.push(text.as_str());
    }
    let mut last = first;
    for (i, line) in lines.iter().enumerate().skip(first + 1) {
        if layout.rule.is_match(line) {
            break;
        }
        match layout
            .input_continuation
            .captures(line)
            .and_then(|c| c.name("text"))
        {
            Some(text) => {
                parts.push(text.as_str());
                last = i;
            }
            None => break,
        }
    }
    let joined = parts.join("\n");
    let trimmed = joined.trim_end();
    let is_placeholder = layout
        .input_placeholders
        .iter()
        .any(|p| p.is_match(trimmed));
    let text = (!trimmed.trim().is_empty() && !is_placeholder).then(|| trimmed.to_owned());
    Some(InputBox {
        top,
        first,
        last,
        text,
    })
}
