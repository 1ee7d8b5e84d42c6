//! `autocode backup` while a project runs, the data dir wiped, `autocode restore` into a new
//! one: the same users, projects, logs and workspace, and API keys that still decrypt. And
//! restore refuses what it must: a non-empty dir (without --force), a file that is no backup.

#[macro_use]
mod support;

use support::controller_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{World, agreeable};
use reqwest::StatusCode;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_autocode");
const SECRET: &str = "sk-backup-test-0123456789";

async fn autocode(args: Vec<String>, data_dir: &Path) -> Output {
    let data_dir = data_dir.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .env("AUTOCODE_DATA_DIR", data_dir)
            .output()
            .expect("run autocode")
    })
    .await
    .expect("join")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_running_then_restore_after_a_wipe() {
    let Some(w) = World::new("2.1.330", Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let (status, key) = w
        .app
        .post(
            "/api/keys",
            &w.user.access,
            json!({"provider": "openai", "label": "mine", "key": SECRET}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let p = w.project("Kept", &[("Slow step", ""), ("Next", "")]).await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::text("Done with the slow step.")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(8)),
    );
    w.start(id).await;
    w.wait_prompt("step 1 only").await;
    assert_eq!(w.get(id).await["status"], "running");

    let keep = tempfile::tempdir().expect("tempdir");
    let archive = keep.path().join("nightly").join("autocode.tar");
    let logs_before = w.logs(id).await;
    let out = autocode(
        vec!["backup".into(), archive.display().to_string()],
        &w.app.data_dir,
    )
    .await;
    assert!(out.status.success(), "backup failed: {}", text(&out));
    assert!(text(&out).contains("wrote"), "{}", text(&out));
    let logs_after = w.logs(id).await;
    let users_before = autocode::db::users::list(&w.app.state.db)
        .await
        .expect("users");
    let slug = p["slug"].as_str().expect("slug").to_owned();
    let old_dir = w.app.data_dir.clone();
    let vapid_before = std::fs::read(old_dir.join("vapid.key")).expect("the push key");
    assert!(
        !archive.with_extension("tar.partial").exists(),
        "no partial file left"
    );

    // The wipe: the test app's data dir is deleted when it stops; CLI processes that are
    // still exiting may write a last file into it meanwhile, so finish the job.
    w.stop().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while old_dir.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "cannot wipe {}",
            old_dir.display()
        );
        if let Err(e) = std::fs::remove_dir_all(&old_dir) {
            eprintln!("wipe: {e}; trying again");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // A non-empty target is refused and left as it was.
    let occupied = keep.path().join("occupied");
    std::fs::create_dir_all(&occupied).expect("mkdir");
    std::fs::write(occupied.join("precious.txt"), "mine").expect("write");
    let args = |dir: &Path| {
        vec![
            "restore".to_owned(),
            archive.display().to_string(),
            "--data-dir".into(),
            dir.display().to_string(),
        ]
    };
    let out = autocode(args(&occupied), &occupied).await;
    assert!(!out.status.success(), "restored over a non-empty dir");
    assert!(
        text(&out).contains("is not empty") && text(&out).contains("--force"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(occupied.join("precious.txt")).expect("kept"),
        "mine"
    );

    let restored = keep.path().join("restored");
    let out = autocode(args(&restored), &restored).await;
    assert!(out.status.success(), "restore failed: {}", text(&out));

    let key_mode = std::fs::metadata(restored.join("master.key"))
        .expect("master key")
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o077, 0, "master key readable by others");
    // Members' phones stay subscribed: the push key is the same one, still private.
    assert_eq!(
        std::fs::read(restored.join("vapid.key")).expect("push key restored"),
        vapid_before
    );
    let vapid_mode = std::fs::metadata(restored.join("vapid.key"))
        .expect("push key")
        .permissions()
        .mode();
    assert_eq!(vapid_mode & 0o077, 0, "push key readable by others");
    let config = autocode::config::Config::load(restored.clone(), "127.0.0.1:0".parse().unwrap())
        .expect("config");
    let state = autocode::open(config).await.expect("open restored");
    let users = autocode::db::users::list(&state.db).await.expect("users");
    let names = |u: &[autocode::db::users::UserWithCounts]| {
        u.iter().map(|u| u.username.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(&users), names(&users_before));
    let project = autocode::db::projects::get(&state.db, w_user_id(&users), id)
        .await
        .expect("query")
        .expect("the project is back");
    assert_eq!(project.name, "Kept");
    let logs = autocode::db::logs::after(&state.db, id, 0, 10_000)
        .await
        .expect("logs");
    let restored_logs: Vec<String> = logs
        .iter()
        .map(|l| format!("{} {}", l.level.as_str(), l.message))
        .collect();
    assert!(
        restored_logs.len() >= logs_before.len() && restored_logs.len() <= logs_after.len(),
        "logs: {} restored, {} before and {} after the backup",
        restored_logs.len(),
        logs_before.len(),
        logs_after.len()
    );
    assert_eq!(restored_logs[..], logs_after[..restored_logs.len()]);
    let keys = autocode::db::api_keys::list(&state.db, w_user_id(&users))
        .await
        .expect("keys");
    let mine = keys
        .iter()
        .find(|k| k.label == "mine")
        .expect("the key is back");
    assert!(
        keys.len() >= 2,
        "the agent's key is back too: {}",
        keys.len()
    );
    for k in &keys {
        assert!(
            k.open(&state.master).is_some(),
            "key {} does not decrypt",
            k.id
        );
    }
    assert_eq!(
        mine.open(&state.master).as_deref(),
        Some(SECRET),
        "the restored key does not decrypt with the restored master key"
    );
    let workspace = restored.join("users/alice/projects").join(&slug);
    assert!(
        workspace.join(".nanobot").is_dir(),
        "workspace missing: {}",
        workspace.display()
    );
    assert!(
        restored.join("users/alice/config").is_dir(),
        "the member's CLI config home is back"
    );
    assert!(
        !restored.join("tmux.sock").exists(),
        "sockets are not restored"
    );
}

fn w_user_id(users: &[autocode::db::users::UserWithCounts]) -> i64 {
    users
        .iter()
        .find(|u| u.username == "alice")
        .expect("alice")
        .id
}

#[tokio::test]
async fn restore_refuses_a_file_that_is_no_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, "this is not a tar archive at all").expect("write");
    let target = dir.path().join("data");
    let out = autocode(
        vec![
            "restore".into(),
            junk.display().to_string(),
            "--data-dir".into(),
            target.display().to_string(),
        ],
        &target,
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("is not an AutoCode backup"),
        "{}",
        text(&out)
    );
    assert!(!target.exists(), "nothing half-restored");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "staging dir left behind: {leftovers:?}");
}

#[tokio::test]
async fn backup_names_a_data_dir_without_a_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = autocode(
        vec![
            "backup".into(),
            dir.path().join("b.tar").display().to_string(),
        ],
        &dir.path().join("nowhere"),
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("has no AutoCode database"),
        "{}",
        text(&out)
    );
}

/// Run as root on the daemon's data dir, SQLite would leave root-owned `-wal`/`-shm` files
/// that lock the daemon out: the backup refuses and says which user to run it as.
#[tokio::test]
async fn backup_refuses_to_run_as_another_user_than_the_data_dirs() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("SKIPPED: needs root to hand the data dir to another user");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = autocode::config::Config::load(data.clone(), "127.0.0.1:0".parse().expect("addr"))
        .expect("config");
    let state = autocode::open(config).await.expect("state");
    state.db.close().await;
    std::os::unix::fs::chown(&data, Some(65534), Some(65534)).expect("chown");
    let out = autocode(
        vec![
            "backup".into(),
            dir.path().join("b.tar").display().to_string(),
        ],
        &data,
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("belongs to uid 65534; run this as that user"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("b.tar").exists());
}
