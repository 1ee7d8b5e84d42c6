//! Words the controller shows the owner that other parts read back: the inbox and the
//! notifications tell a permission left to the owner from a question by these lines. Kept
//! together so the writer and the readers agree. (A stall is a structured signal of its
//! own, `Effect::Stalled`; its log line is only for the owner to read.)

/// The question asked when the policy leaves a tool use to the owner; `what` is the tool
/// and its subject as the log shows them (``Bash `touch a.txt` ``).
pub fn permission_question(what: &str) -> String {
    format!("{PERMISSION_START}{what}{PERMISSION_END}")
}

const PERMISSION_START: &str = "Claude wants to run ";
const PERMISSION_END: &str = ". Allow it? Reply \"yes\" to allow, anything else to deny.";

/// What a permission question asks to run; None for any other question.
pub fn permission_subject(question: &str) -> Option<&str> {
    question
        .strip_prefix(PERMISSION_START)?
        .strip_suffix(PERMISSION_END)
}

/// The answers that allow a permission (anything else denies it).
pub fn allows(answer: &str) -> bool {
    matches!(
        answer.trim().to_lowercase().as_str(),
        "yes" | "y" | "allow" | "ok"
    )
}

/// The log line of a stall: the CLI worked this long without any new output.
pub fn stall_line(secs: u64) -> String {
    format!("No output for {secs} s while working: interrupting")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permission_question_gives_back_its_subject() {
        let q = permission_question("Bash `touch a.txt`");
        assert_eq!(permission_subject(&q), Some("Bash `touch a.txt`"));
        assert_eq!(permission_subject("Which colour?"), None);
        assert!(allows(" Yes ") && allows("allow") && !allows("no") && !allows("yes please"));
    }
}
