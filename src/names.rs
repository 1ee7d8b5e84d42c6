//! Names that end up in paths and tmux targets: usernames are validated, project slugs
//! are derived, restricted so that no name can leave its directory. A project's tmux
//! session is named after its id alone, so no choice of usernames and project names can
//! make two projects share a session.

/// Why a username was refused (shown to the user as a 422 reason).
pub const USERNAME_RULE: &str = "must be 1-32 characters of a-z, 0-9, '_' or '-'";

/// Longest username; login refuses longer names before recording anything about them.
pub const MAX_USERNAME_LEN: usize = 32;

/// Longest slug we derive; keeps paths short.
const MAX_SLUG_LEN: usize = 48;

/// The tmux session of a project: unique because the id is (and a unique index says so).
pub fn tmux_session(project_id: i64) -> String {
    format!("autocode-p{project_id}")
}

pub fn is_valid_username(name: &str) -> bool {
    (1..=MAX_USERNAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Derives a filesystem- and tmux-safe slug (`[a-z0-9-]`, never empty, no leading or
/// trailing `-`) from a display name. Names without any usable character get `project`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len().min(MAX_SLUG_LEN));
    let mut pending_dash = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            let dash = pending_dash && !slug.is_empty();
            if slug.len() + usize::from(dash) + 1 > MAX_SLUG_LEN {
                break;
            }
            if dash {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c);
        } else {
            pending_dash = true;
        }
    }
    let trimmed = slug.trim_end_matches('-');
    if trimmed.is_empty() {
        "project".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// `slug`, or `slug-2`, `slug-3`... : the first candidate `taken` rejects is skipped.
pub fn unique_slug(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["admin", "a", "bob_2", "x-y", &"a".repeat(32)] {
            assert!(is_valid_username(ok), "{ok}");
        }
        for bad in [
            "",
            "Admin",
            "../etc",
            "a b",
            "a.b",
            "a:b",
            "é",
            "a;rm",
            &"a".repeat(33),
        ] {
            assert!(!is_valid_username(bad), "{bad}");
        }
    }

    #[test]
    fn slugs_are_safe_and_readable() {
        assert_eq!(slugify("My Cool App"), "my-cool-app");
        assert_eq!(slugify("  --Hello__World!! "), "hello-world");
        assert_eq!(slugify("Ünïcode Çafé"), "n-code-af");
        assert_eq!(slugify(".."), "project");
        assert_eq!(slugify("."), "project");
        assert_eq!(slugify(""), "project");
        assert_eq!(slugify("../../etc/passwd"), "etc-passwd");
        assert_eq!(slugify("a:b.c;$(rm -rf)"), "a-b-c-rm-rf");
        assert_eq!(slugify("日本語"), "project");
        let long = slugify(&"ab ".repeat(100));
        assert!(long.len() <= MAX_SLUG_LEN && !long.ends_with('-'));
        for s in ["x", "a--b", "ÄÖ", "-", "--a--"] {
            let slug = slugify(s);
            assert!(!slug.is_empty());
            assert!(
                slug.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert!(!slug.starts_with('-') && !slug.ends_with('-'));
        }
    }

    #[test]
    fn unique_slugs_count_up() {
        let taken = ["app", "app-2"];
        assert_eq!(unique_slug("app", |s| taken.contains(&s)), "app-3");
        assert_eq!(unique_slug("new", |s| taken.contains(&s)), "new");
    }
}
