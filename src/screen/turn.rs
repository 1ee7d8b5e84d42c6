//! What the transcript on screen says about a submitted message, for the controller: whether
//! it was echoed, whether the turn it started has shown output yet, and whether the screen has
//! progressed. Every glyph and word comes from the profile's `[screen.turn]` table.

use super::compiled::ScreenRules;
use super::layout::Screen;
use super::rules::Region;

/// Whether the CLI has shown anything for the last submitted prompt: a line of its own (a
/// reply, a tool row or result, the turn's summary) below the last echoed prompt. A frame
/// between submit and the first token has none, though it can look idle. When no echoed prompt
/// is on screen (scrolled away, compacted) it cannot be told, and this says yes rather than
/// hold the controller up.
pub fn turn_has_output(screen: &str, rules: &ScreenRules) -> bool {
    let output = &rules.turn.output;
    let s = Screen::parse(screen, &rules.layout);
    if output.is_empty() || s.last_echo.is_none() {
        return true;
    }
    s.region(Region::LastTurn).iter().any(|line| {
        output.iter().any(|(pattern, unless)| {
            pattern.is_match(line) && !unless.as_ref().is_some_and(|u| u.is_match(line))
        })
    })
}

/// Whether a transcript line echoes a submitted message whose first line is `first`.
pub fn echoes(line: &str, first: &str, rules: &ScreenRules) -> bool {
    !first.is_empty()
        && rules.turn.echo.iter().any(|echo| {
            echo.captures(line)
                .and_then(|c| c.name("text"))
                .is_some_and(|text| text.as_str().trim_start().starts_with(first))
        })
}

/// A hash of the screen without the lines that animate on their own while the CLI waits.
/// Equal fingerprints over time mean no progress.
pub fn progress_fingerprint(screen: &str, rules: &ScreenRules) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for line in screen.lines() {
        if rules.turn.animated.iter().any(|a| a.is_match(line)) {
            continue;
        }
        line.hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::{echoes, progress_fingerprint, turn_has_output};
    use crate::profile::Profile;
    use crate::screen::ScreenRules;

    fn rules() -> ScreenRules {
        Profile::claude_code()
            .and_then(|p| p.screen_rules(None))
            .expect("the shipped profile compiles")
    }

    #[test]
    fn output_below_the_last_echo_is_evidence_of_a_turn() {
        let rules = rules();
        let turn_has_output = |s: &str| turn_has_output(s, &rules);
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
        // 2.1.330's summary carries the time of day.
        let done =
            format!("\u{276f} do step 2\n\n\u{273b} Baked for 6s \u{b7} done 2:15 PM\n\n{box_}");
        assert!(turn_has_output(&done));
    }

    #[test]
    fn a_message_is_echoed_after_the_prompt_glyph_or_as_a_shell_line() {
        let rules = rules();
        assert!(echoes("\u{276f} do step 2 now", "do step 2", &rules));
        assert!(echoes("  \u{276f} do step 2", "do step 2", &rules));
        assert!(echoes("! ls -la", "! ls", &rules));
        assert!(
            !echoes("do step 2", "do step 2", &rules),
            "no glyph, no echo"
        );
        assert!(!echoes("\u{276f} other", "do step 2", &rules));
        assert!(!echoes("\u{276f} anything", "", &rules));
    }

    #[test]
    fn spinner_animation_is_not_progress() {
        let rules = rules();
        let fp = |s: &str| progress_fingerprint(s, &rules);
        let a = "\u{276f} go\n\u{2722} Clauding\u{2026} (3s \u{b7} \u{2193} 4 tokens)\n  esc to interrupt";
        let b = "\u{276f} go\n\u{2733} Clauding\u{2026} (9s \u{b7} \u{2193} 40 tokens)\n  esc to interrupt";
        assert_eq!(fp(a), fp(b));
        let c = "\u{276f} go\n\u{25cf} I made a file.\n\u{2733} Clauding\u{2026} (9s)\n  esc to interrupt";
        assert_ne!(fp(a), fp(c));
    }
}
