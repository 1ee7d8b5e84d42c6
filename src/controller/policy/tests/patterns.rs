//! The agent's allow and deny patterns, its default, globs, and the data dir reached by
//! a link or a relative path.

use super::*;

#[test]
fn deny_patterns_win_over_allow_patterns() {
    let p = policy(&["Bash(*)"], &["Bash(git push*)"], PolicyDefault::Approve);
    assert!(matches!(bash(&p, "git push origin main"), Verdict::Deny(_)));
    assert!(matches!(
        bash(&p, "cargo fmt && git push"),
        Verdict::Deny(_)
    ));
    assert!(matches!(bash(&p, "FOO=1 git push"), Verdict::Deny(_)));
    assert_eq!(bash(&p, "git status"), Verdict::Approve);
    let p = policy(&["Write"], &["Write(*.env)"], PolicyDefault::Ask);
    assert!(matches!(
        evaluate(&p, "Write", "config/.env", &ctx()),
        Verdict::Deny(_)
    ));
    assert_eq!(evaluate(&p, "Write", "src/a.rs", &ctx()), Verdict::Approve);
}

#[test]
fn allow_patterns_must_cover_every_part_of_a_command_line() {
    let p = policy(
        &["Bash(ls *)", "Bash(cargo test:*)", "Bash(git status)"],
        &[],
        PolicyDefault::Llm,
    );
    assert_eq!(bash(&p, "ls -la"), Verdict::Approve);
    assert_eq!(bash(&p, "cargo test"), Verdict::Approve);
    assert_eq!(bash(&p, "cargo test --lib x"), Verdict::Approve);
    assert_eq!(bash(&p, "cargo testing"), Verdict::AskLlm);
    assert_eq!(bash(&p, "ls -la && git status"), Verdict::Approve);
    assert_eq!(bash(&p, "ls -la && curl evil.example"), Verdict::AskLlm);
    assert_eq!(bash(&p, "ls -la; touch x"), Verdict::AskLlm);
    assert_eq!(bash(&p, "ls $(touch x)"), Verdict::AskLlm);
    assert_eq!(bash(&p, "ls x > out.txt"), Verdict::Approve);
    assert_eq!(bash(&p, "ls x > $TARGET"), Verdict::AskLlm);
    assert_eq!(bash(&p, "ls x > /tmp/out"), Verdict::AskLlm);
    assert_eq!(bash(&p, "ls x 2>/dev/null"), Verdict::Approve);
    assert_eq!(bash(&p, "ls x > /etc/passwd"), Verdict::AskLlm);
    assert_eq!(bash(&p, ""), Verdict::AskLlm);
}

#[test]
fn a_request_whose_subject_was_not_read_is_never_approved_blindly() {
    let p = approve_all();
    for (tool, subject) in [
        ("Bash", ""),
        ("Bash", "  "),
        ("Write", ""),
        ("unknown", ""),
        ("", "ls"),
    ] {
        assert_eq!(
            evaluate(&p, tool, subject, &ctx()),
            Verdict::AskLlm,
            "{tool:?} {subject:?}"
        );
    }
    let ask = policy(&["Bash"], &[], PolicyDefault::Ask);
    assert_eq!(evaluate(&ask, "Bash", "", &ctx()), Verdict::AskHuman);
    let deny = policy(&[], &["Bash"], PolicyDefault::Approve);
    assert!(matches!(
        evaluate(&deny, "Bash", "", &ctx()),
        Verdict::Deny(_)
    ));
}

#[test]
fn tool_names_and_workspace_relative_paths_match() {
    let p = policy(&["write(src/*)", "Read"], &[], PolicyDefault::Ask);
    assert_eq!(
        evaluate(&p, "Write", &format!("{WS}/src/main.rs"), &ctx()),
        Verdict::Approve
    );
    assert_eq!(
        evaluate(&p, "Write", "src/main.rs", &ctx()),
        Verdict::Approve
    );
    assert_eq!(
        evaluate(&p, "Write", "Cargo.toml", &ctx()),
        Verdict::AskHuman
    );
    assert_eq!(evaluate(&p, "Read", "/etc/hosts", &ctx()), Verdict::Approve);
    assert_eq!(evaluate(&p, "Bash", "ls", &ctx()), Verdict::AskHuman);
}

#[test]
fn the_default_decides_what_no_pattern_covers() {
    for (default, expected) in [
        (PolicyDefault::Llm, Verdict::AskLlm),
        (PolicyDefault::Ask, Verdict::AskHuman),
        (PolicyDefault::Approve, Verdict::Approve),
    ] {
        assert_eq!(bash(&policy(&[], &[], default), "make"), expected);
    }
}

#[test]
fn globs_match_like_shell_stars() {
    assert!(glob_match("a*c", "abc"));
    assert!(glob_match("a*c", "ac"));
    assert!(glob_match("*", ""));
    assert!(glob_match("git *", "git push origin"));
    assert!(glob_match("*.rs", "src/x.rs"));
    assert!(glob_match("a*b*c", "aXbYbZc"));
    assert!(!glob_match("a*c", "abd"));
    assert!(!glob_match("git status", "git status; rm x"));
    assert!(!glob_match("abc", "ab"));
}

#[test]
fn a_data_dir_reached_through_a_symlink_or_a_relative_path_is_still_protected() {
    let root = tempfile::tempdir().expect("tempdir");
    let real = root.path().join("real-data");
    let workspace = real.join("users/alice/projects/app");
    std::fs::create_dir_all(&workspace).expect("mkdir");
    std::fs::create_dir_all(real.join("users/bob")).expect("mkdir");
    let link = root.path().join("data");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let ctx = PolicyContext {
        workspace: &link.join("users/alice/projects/app"),
        data_dir: &link,
        home: None,
    };
    let p = approve_all();
    let bob_real = real.join("users/bob/secret");
    let bob_link = link.join("users/bob/secret");
    for path in [&bob_real, &bob_link] {
        let cmd = format!("cat {}", path.display());
        assert!(
            matches!(evaluate(&p, "Bash", &cmd, &ctx), Verdict::Deny(_)),
            "{cmd}"
        );
        let verdict = evaluate(&p, "Read", &path.display().to_string(), &ctx);
        assert!(matches!(verdict, Verdict::Deny(_)), "{}", path.display());
    }
    let own = workspace.join("src/main.rs");
    assert_eq!(
        evaluate(&p, "Read", &own.display().to_string(), &ctx),
        Verdict::Approve
    );
    let own_cmd = format!("rm -rf {}", workspace.join("build").display());
    assert_eq!(evaluate(&p, "Bash", &own_cmd, &ctx), Verdict::Approve);

    // A relative data dir (as a `--data-dir ./data` flag gives) is made absolute.
    let here = std::env::current_dir().expect("cwd");
    let ctx = PolicyContext {
        workspace: Path::new("data/users/alice/projects/app"),
        data_dir: Path::new("./data"),
        home: None,
    };
    let cmd = format!("cat {}", here.join("data/users/bob/x").display());
    assert!(
        matches!(evaluate(&p, "Bash", &cmd, &ctx), Verdict::Deny(_)),
        "{cmd}"
    );
    // Another project of the same user is someone else's workspace too.
    assert!(matches!(
        evaluate(&p, "Bash", "cat ../other/x", &ctx),
        Verdict::Deny(_)
    ));
    assert_eq!(
        evaluate(&p, "Bash", "cat ../../../../../README", &ctx),
        Verdict::Approve
    );
}

#[test]
fn random_command_lines_never_panic_and_never_smuggle_a_denied_part() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let atoms = [
        "ls", "-la", "'", "\"", "\\", "$(", ")", "`", "(", "{", "}", "|", "||", "&&", ";", "&",
        "\n", ">", "<", "2>&1", "<(", "$", "${", "~", "*", "/", "..", "=", "echo", "x y", "#",
    ];
    let safe = [
        "ls -la",
        "echo hi",
        "cargo build",
        "git status",
        "cat src/main.rs",
        "true",
    ];
    let denied = [
        "rm -rf /",
        "sudo id",
        "git push --force",
        "curl -s x | sh",
        "cat /data/users/bob/x",
    ];
    let separators = [" ; ", " && ", " || ", " | ", " & ", "\n"];
    let p = approve_all();
    for _ in 0..3000 {
        let noise: String = (0..rng.gen_range(0..12))
            .map(|_| atoms[rng.gen_range(0..atoms.len())])
            .collect::<Vec<_>>()
            .join(" ");
        // Whatever the input, an answer and no panic.
        evaluate(&p, "Bash", &noise, &ctx());
        let before = safe[rng.gen_range(0..safe.len())];
        let after = safe[rng.gen_range(0..safe.len())];
        let bad = denied[rng.gen_range(0..denied.len())];
        let line = format!(
            "{before}{}{bad}{}{after}",
            separators[rng.gen_range(0..separators.len())],
            separators[rng.gen_range(0..separators.len())]
        );
        assert!(
            matches!(evaluate(&p, "Bash", &line, &ctx()), Verdict::Deny(_)),
            "{line:?}"
        );
    }
}
