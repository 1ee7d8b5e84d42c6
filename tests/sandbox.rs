//! The sandbox from outside: the launcher, and real programs (the Claude Code CLI, a shell)
//! run in a member's sandbox see their own tree and nothing else of the data dir.

use std::path::{Path, PathBuf};

use autocode::sandbox::{Sandbox, Settings, Spec};
use autocode::testkit::claude_env::claude_binary_for_test;

fn settings() -> Settings {
    Settings {
        enabled: true,
        bwrap: "/usr/bin/bwrap".into(),
        max_processes: 256,
        max_data_mib: 4096,
    }
}

/// A data dir with two members; `alice` keeps a secret in her workspace.
struct Data {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Data {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().canonicalize().expect("real path");
        for dir in [
            "users/alice/projects/a",
            "users/bob/projects/b",
            "users/bob/config/home",
        ] {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        std::fs::write(
            root.join("users/alice/projects/a/secret.txt"),
            "alice-secret-4711",
        )
        .expect("write");
        std::fs::write(root.join("master.key"), "master-key-bytes").expect("write");
        Data { _tmp: tmp, root }
    }

    fn bob(&self) -> Sandbox {
        Sandbox::for_member(
            &settings(),
            &self.root.join("users/bob"),
            Path::new(env!("CARGO_BIN_EXE_autocode")),
        )
    }
}

fn run(spec: &Spec) -> std::process::Output {
    spec.command().expect("a program").output().expect("runs")
}

#[test]
fn a_shell_in_bobs_sandbox_sees_his_tree_and_nothing_else_of_data() {
    let data = Data::new();
    let bob = data.bob();
    let root = data.root.display();
    let script = format!(
        "echo mine > {root}/users/bob/projects/b/mine.txt && cat {root}/users/bob/projects/b/mine.txt; \
         cat {root}/users/alice/projects/a/secret.txt; cat {root}/master.key; ls {root}; \
         cat /proc/*/environ | tr '\\0' '\\n'; id -u; cat /proc/self/status | grep CapEff"
    );
    let spec = bob
        .spec(
            "sh",
            &["-c".into(), script],
            &data.root.join("users/bob/projects/b"),
            vec![("GIVEN".into(), "yes".into())],
        )
        .expect("spec");
    let out = run(&spec);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("mine\n"),
        "writes his own tree: {stdout} {stderr}"
    );
    assert!(!stdout.contains("alice-secret-4711") && !stdout.contains("master-key-bytes"));
    assert!(stdout.contains("GIVEN=yes"));
    assert!(
        stdout.contains("\n1000\n"),
        "runs as an unprivileged uid: {stdout}"
    );
    assert!(stdout.contains("CapEff:\t0000000000000000"));
}

#[test]
fn a_session_runs_under_its_process_and_memory_limits() {
    let data = Data::new();
    let spec = data
        .bob()
        .spec(
            "bash",
            &["-c".into(), "ulimit -u; ulimit -d".into()],
            &data.root.join("users/bob/projects/b"),
            Vec::new(),
        )
        .expect("spec");
    let out = run(&spec);
    // settings(): 256 processes, 4096 MiB of data (bash shows KiB).
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "256\n4194304\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_real_cli_reports_its_version_from_inside() {
    let Some(claude) = claude_binary_for_test("2.1.197").expect("install") else {
        return;
    };
    let data = Data::new();
    let spec = data
        .bob()
        .spec(
            &claude.to_string_lossy(),
            &["--version".into()],
            &data.root.join("users/bob/projects/b"),
            Vec::new(),
        )
        .expect("spec");
    eprintln!("{:?}", spec.argv);
    let out = run(&spec);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("2.1.197"),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
