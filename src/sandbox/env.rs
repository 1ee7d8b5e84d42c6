//! The environment of a sandboxed program, rebuilt from nothing: the daemon's own
//! environment (its admin password, its paths) never reaches a member's process.

use std::path::{Path, PathBuf};

/// System directories searched inside every sandbox, after the CLI's own.
pub const SYSTEM_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// Names the daemon's own locale may pass on: harmless, and programs print garbage without.
const LOCALE: &[&str] = &["LANG", "LC_ALL"];

/// The allow-listed base (PATH, locale, HOME) followed by `given` (the profile's variables,
/// the admin's `cli_env`, the agent's variables and credentials, the hook address and
/// secret). A later entry replaces an earlier one of the same name, except that `PATH`
/// always starts with the CLI's directories and the system ones.
pub fn build(
    cli_bin_dirs: &[PathBuf],
    home: &Path,
    locale: impl Fn(&str) -> Option<String>,
    given: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut path: Vec<String> = cli_bin_dirs
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    path.extend(SYSTEM_PATH.iter().map(|s| (*s).to_owned()));
    path.dedup();
    let mut env = vec![
        ("PATH".to_owned(), path.join(":")),
        ("HOME".to_owned(), home.to_string_lossy().into_owned()),
    ];
    for name in LOCALE {
        if let Some(v) = locale(name) {
            env.push(((*name).to_owned(), v));
        }
    }
    if !env.iter().any(|(k, _)| k == "LANG") {
        env.push(("LANG".to_owned(), "C.UTF-8".to_owned()));
    }
    for (k, v) in given {
        if k == "PATH" {
            continue;
        }
        env.retain(|(name, _)| *name != k);
        env.push((k, v));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_names_and_the_given_ones_are_set() {
        let env = build(
            &["/opt/claude/bin".into()],
            Path::new("/data/users/bob/config/home"),
            |name| (name == "LANG").then(|| "de_DE.UTF-8".to_owned()),
            vec![
                ("ANTHROPIC_API_KEY".into(), "sk-bob".into()),
                ("PATH".into(), "/evil".into()),
            ],
        );
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["PATH", "HOME", "LANG", "ANTHROPIC_API_KEY"]);
        assert!(env[0].1.starts_with("/opt/claude/bin:/usr/local/sbin:"));
        assert!(!env[0].1.contains("/evil"));
        assert_eq!(env[2].1, "de_DE.UTF-8");
    }

    #[test]
    fn a_given_home_replaces_the_default_and_a_missing_locale_gets_c_utf8() {
        let env = build(
            &[],
            Path::new("/h"),
            |_| None,
            vec![("HOME".into(), "/h2".into())],
        );
        assert_eq!(env.iter().filter(|(k, _)| k == "HOME").count(), 1);
        assert!(env.contains(&("HOME".into(), "/h2".into())));
        assert!(env.contains(&("LANG".into(), "C.UTF-8".into())));
    }
}
