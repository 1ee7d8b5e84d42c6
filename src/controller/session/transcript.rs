//! What Claude Code's transcript on screen says about a submitted message: whether it was
//! echoed, and whether the turn it started has shown any output yet. Read from the screen
//! text only; never types.

/// Whether the CLI has shown anything for the last submitted prompt: a line of its own
/// (assistant text `●`, a tool row or result `⎿`, a turn summary `✻`) below the last
/// echoed prompt. A frame between submit and the first token has none, though it can look
/// idle. When no echoed prompt is on screen (scrolled away, compacted) it cannot be told,
/// and this says yes rather than hold the controller up.
pub fn turn_has_output(screen: &str) -> bool {
    let lines: Vec<&str> = screen.lines().collect();
    // The echo uses a plain space after the glyph; the input box uses a no-break space.
    let Some(echo) = lines.iter().rposition(|l| l.starts_with("\u{276f} ")) else {
        return true;
    };
    lines[echo + 1..]
        .iter()
        .take_while(|l| !l.starts_with("\u{2500}\u{2500}\u{2500}"))
        .any(|l| {
            let t = l.trim_start();
            // `✻ Worked for 2s` ends a turn; `✻ Clauding…` and `✻ … Retrying in 1s` do not.
            let summary = t.starts_with('\u{273b}')
                && t.contains(" for ")
                && !t.contains('\u{2026}')
                && !t.contains("Retrying");
            t.starts_with('\u{25cf}') || t.starts_with('\u{23bf}') || summary
        })
}

/// Whether a transcript line echoes a submitted message whose first line is `first`.
pub(super) fn echoes(line: &str, first: &str) -> bool {
    let line = line.trim_start();
    line.strip_prefix('\u{276f}')
        .or_else(|| first.starts_with('!').then_some(line))
        .is_some_and(|rest| !first.is_empty() && rest.trim_start().starts_with(first))
}

#[cfg(test)]
mod tests {
    use super::turn_has_output;

    #[test]
    fn output_below_the_last_echo_is_evidence_of_a_turn() {
        let box_ =
            "\u{2500}\u{2500}\u{2500}\u{2500}\n\u{276f}\u{a0}\n\u{2500}\u{2500}\u{2500}\u{2500}";
        let waiting =
            format!("\u{276f} old\n\u{25cf} old reply\n\n\u{276f} do step 2\n  details\n\n{box_}");
        assert!(
            !turn_has_output(&waiting),
            "only the previous turn has output"
        );
        let replied =
            format!("\u{276f} do step 2\n\n\u{25cf} Done.\n\n\u{273b} Worked for 2s\n\n{box_}");
        assert!(turn_has_output(&replied));
        let retrying = format!(
            "\u{276f} do step 2\n\n\u{273b} 401 invalid x-api-key \u{b7} Retrying in 1s \u{b7} attempt 1/1\n\n{box_}"
        );
        assert!(
            !turn_has_output(&retrying),
            "a retry is not the end of a turn"
        );
        let spinning = format!("\u{276f} do step 2\n\n\u{273b} Clauding\u{2026} (3s)\n\n{box_}");
        assert!(!turn_has_output(&spinning));
        assert!(turn_has_output(&format!("no echo at all\n{box_}")));
    }
}
