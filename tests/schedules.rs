//! Project schedules: the API and its errors, a schedule a few seconds ahead starting the
//! project (the real CLI), one firing for a running project starting no second controller,
//! `max_run_minutes` pausing the run, and a run missed while the daemon was down reported in
//! the project's log after the restart.

#[macro_use]
mod support;

use support::{common, controller_support};

use std::sync::Arc;
use std::time::Duration;

use autocode::config::FileConfig;
use autocode::testkit::{Script, Turn};
use chrono::{Timelike, Utc};
use common::{TestApp, eventually};
use controller_support::{World, agreeable};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn fast_checks() -> FileConfig {
    let mut file = FileConfig::default();
    file.schedules.check_secs = 1;
    file
}

/// A cron expression for `secs` from now (UTC, the default timezone), daily.
fn cron_in(secs: i64) -> String {
    let at = Utc::now() + chrono::Duration::seconds(secs);
    format!("{} {} {} * * *", at.second(), at.minute(), at.hour())
}

#[tokio::test]
async fn schedules_api_validates_and_walls_off() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let bob = app.user(&admin, "bob").await;
    let agent = app.agent(&alice, "a").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "p")
        .await;
    let base = format!("/api/projects/{}/schedules", project["id"]);

    let (status, s) = app
        .post(
            &base,
            &alice.access,
            json!({"cron": "0 0 2 * * *", "action": "start", "max_run_minutes": 120}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["enabled"], true);
    assert_eq!(s["timezone"], "UTC");
    assert!(
        s["next_run"]
            .as_str()
            .expect("next run")
            .contains("T02:00:00"),
        "{s}"
    );
    let one = format!("{base}/{}", s["id"]);

    for (body, field) in [
        (json!({"cron": "0 2 * * *", "action": "start"}), "cron"),
        (json!({"cron": "every day", "action": "start"}), "cron"),
        (json!({"cron": "0 0 2 * * *", "action": "stop"}), "action"),
        (
            json!({"cron": "0 0 2 * * *", "action": "start", "max_run_minutes": 0}),
            "max_run_minutes",
        ),
    ] {
        let (status, e) = app.post(&base, &alice.access, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["detail"]["field"], field, "{e}");
        assert!(e["detail"]["reason"].is_string(), "{e}");
    }
    let (status, e) = app
        .post(
            &base,
            &alice.access,
            json!({"cron": "0 0 2 * * *", "action": "start", "when": 1}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown field: {e}"
    );
    let raw = app
        .client
        .post(app.url(&base))
        .bearer_auth(&alice.access)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);

    // Bob sees nothing of alice's project, and cannot touch her schedule.
    let (status, _) = app.get(&base, &bob.access).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .put(
            &one,
            &bob.access,
            json!({"cron": "0 0 3 * * *", "action": "start"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&one, &bob.access).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, s) = app
        .put(
            &one,
            &alice.access,
            json!({"cron": "0 30 6 * * Mon-Fri", "action": "resume", "enabled": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["action"], "resume");
    assert_eq!(
        s["next_run"],
        Value::Null,
        "a disabled schedule has no next run"
    );
    assert_eq!(s["max_run_minutes"], Value::Null);
    let (_, list) = app.get(&base, &alice.access).await;
    assert_eq!(list.as_array().expect("list").len(), 1);
    let (status, _) = app
        .call(Method::DELETE, &one, Some(&alice.access), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&one, &alice.access).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_run_missed_while_down_is_reported_after_the_restart() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "a").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "p")
        .await;
    let id = project["id"].as_i64().expect("id");
    let (status, s) = app
        .post(
            &format!("/api/projects/{id}/schedules"),
            &alice.access,
            json!({"cron": "0 0 * * * *", "action": "start"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let app = app.restart().await;
    // The daemon was "down" for the last two hours: an hourly start fell in that time.
    sqlx::query("update schedules set checked_at = checked_at - 7200 where id = ?")
        .bind(s["id"].as_i64())
        .execute(&app.state.db)
        .await
        .expect("rewind");
    let app = app.restart().await;
    let (_, logs) = app
        .get(&format!("/api/projects/{id}/logs"), &alice.access)
        .await;
    let text = logs.to_string();
    assert!(
        text.contains("missed at") && text.contains("while AutoCode was down"),
        "{text}"
    );
    assert!(text.contains("not run now"), "{text}");
    assert_eq!(
        app.get(&format!("/api/projects/{id}"), &alice.access)
            .await
            .1["status"],
        "created"
    );
    // Reported once: a second restart has nothing new to say.
    let app = app.restart().await;
    let (_, again) = app
        .get(&format!("/api/projects/{id}/logs"), &alice.access)
        .await;
    let count = |v: &Value| v.to_string().matches("missed at").count();
    assert_eq!(count(&again), 1, "{again}");
    app.stop().await;
}

async fn instances(w: &World, id: i64) -> i64 {
    let (n,): (i64,) = sqlx::query_as("select count(*) from agent_instances where project_id = ?")
        .bind(id)
        .fetch_one(&w.app.state.db)
        .await
        .expect("instances");
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_starts_once_and_pauses_past_max_run_minutes() {
    let Some(w) = World::new_with(
        "2.1.330",
        Script::new(vec![]),
        Arc::new(agreeable),
        fast_checks(),
    )
    .await
    else {
        return;
    };
    let p = w
        .project("Nightly", &[("Long step", ""), ("Next", "")])
        .await;
    let id = p["id"].as_i64().expect("id");
    // The step takes long enough for the second schedule and the pause to happen mid-run.
    w.anthropic.push_turn(
        Turn::text("Done with the long step.")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(30)),
    );
    let base = format!("/api/projects/{id}/schedules");
    let (status, first) = w
        .app
        .post(
            &base,
            &w.user.access,
            json!({"cron": cron_in(5), "action": "start", "max_run_minutes": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    w.wait_status(id, "running", Duration::from_secs(30)).await;
    w.wait_log(
        id,
        "started; it will be paused after 1 minutes",
        Duration::from_secs(10),
    )
    .await;

    // A second schedule fires while it runs: logged, and no second controller or CLI.
    let (status, second) = w
        .app
        .post(
            &base,
            &w.user.access,
            json!({"cron": cron_in(4), "action": "start"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    w.wait_log(
        id,
        "not started, the project is already running",
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(instances(&w, id).await, 1, "one CLI instance");

    // A minute is long for a test: move the run's deadline to now, as a minute passing would.
    sqlx::query("update schedules set run_deadline = strftime('%s', 'now') where id = ?")
        .bind(first["id"].as_i64())
        .execute(&w.app.state.db)
        .await
        .expect("deadline");
    w.wait_log(
        id,
        "paused after running 1 minutes",
        Duration::from_secs(15),
    )
    .await;
    let app = &w.app;
    eventually("the project is paused", Duration::from_secs(15), || async {
        app.get(&format!("/api/projects/{id}"), &w.user.access)
            .await
            .1["status"]
            == "paused"
    })
    .await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_prunes_old_logs_expires_sessions_and_keeps_few_backups() {
    let mut file = FileConfig::default();
    // Every second, so the test sees several runs quickly.
    file.schedules.maintenance_cron = "* * * * * *".into();
    file.schedules.backup_cron = "*/2 * * * * *".into();
    file.schedules.backup_keep = 2;
    file.schedules.log_retention_days = 30;
    let app = TestApp::start_with(file).await;
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "a").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "p")
        .await;
    let id = project["id"].as_i64().expect("id");
    let db = &app.state.db;
    sqlx::query(
        "insert into logs (project_id, level, message, timestamp) values (?, 'info', 'ancient', '2020-01-01T00:00:00.000Z'), (?, 'info', 'recent', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    )
    .bind(id)
    .bind(id)
    .execute(db)
    .await
    .expect("logs");
    sqlx::query("update auth_sessions set expires_at = 1 where user_id = ?")
        .bind(alice.user_id)
        .execute(db)
        .await
        .expect("expire alice");
    eventually(
        "old logs and expired sessions are gone",
        Duration::from_secs(10),
        || async {
            let (old,): (i64,) =
                sqlx::query_as("select count(*) from logs where message = 'ancient'")
                    .fetch_one(db)
                    .await
                    .expect("count");
            let (sessions,): (i64,) =
                sqlx::query_as("select count(*) from auth_sessions where user_id = ?")
                    .bind(alice.user_id)
                    .fetch_one(db)
                    .await
                    .expect("count");
            old == 0 && sessions == 0
        },
    )
    .await;
    let (recent,): (i64,) = sqlx::query_as("select count(*) from logs where message = 'recent'")
        .fetch_one(db)
        .await
        .expect("count");
    assert_eq!(recent, 1, "recent entries stay");
    let backups = app.data_dir.join("backups");
    let listed = || -> Vec<String> {
        std::fs::read_dir(&backups)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".tar"))
                    .collect()
            })
            .unwrap_or_default()
    };
    eventually(
        "two nightly backups were written",
        Duration::from_secs(20),
        || async { listed().len() == 2 },
    )
    .await;
    let mut first = listed();
    first.sort();
    // The next run adds a third; retention deletes the oldest.
    eventually(
        "the oldest backup is rotated out",
        Duration::from_secs(20),
        || async {
            let names = listed();
            !names.contains(&first[0]) && names.len() == 2
        },
    )
    .await;
    assert!(listed().iter().all(|n| n.starts_with("autocode-")));
    app.stop().await;
}
