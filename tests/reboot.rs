//! A host reboot while a project runs: the daemon and the tmux server (with the CLI) are
//! gone. On the next start the project comes back by itself: a new CLI continuing the last
//! conversation, and its log tells the owner what happened.

#[macro_use]
mod support;

use support::{common, controller_support};

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use common::TestApp;
use controller_support::{World, agreeable};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_project_comes_back_after_a_reboot() {
    let Some(w) = World::new("2.1.330", Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w
        .project("Survives", &[("Slow step", ""), ("Next", "")])
        .await;
    let id = p["id"].as_i64().expect("id");
    w.anthropic.push_turn(
        Turn::text("Done with the slow step.")
            .when_user_contains("step 1 only")
            .delay(Duration::from_secs(20)),
    );
    w.start(id).await;
    w.wait_prompt("step 1 only").await;
    let before = w.cli_pid(&p);

    // The reboot: the daemon stops and the tmux server with every CLI goes with the host.
    let World {
        app,
        anthropic,
        llm,
        user,
        agent_id,
        claude,
        version,
    } = w;
    let (dir, file) = (app.data_dir.clone(), app.file.clone());
    let keep = app.stop().await;
    let app = TestApp::start_in(&dir, file).await;
    let w = World {
        app,
        anthropic,
        llm,
        user,
        agent_id,
        claude,
        version,
    };
    w.wait_log(
        id,
        "The CLI is gone; starting it again",
        Duration::from_secs(30),
    )
    .await;
    let project = w.wait_status(id, "running", Duration::from_secs(30)).await;
    let session = project["tmux_session"]
        .as_str()
        .expect("session")
        .to_owned();
    let sock = w.app.data_dir.join("tmux.sock");
    let pane_pid = || {
        let out = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args(["display-message", "-p", "-t", &session, "#{pane_pid}"])
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u32>()
            .ok()
    };
    common::eventually("the CLI runs again", Duration::from_secs(30), || async {
        pane_pid().is_some()
    })
    .await;
    let after = pane_pid().expect("pane pid");
    assert_ne!(before, after, "a new CLI runs in the project's session");
    let (instances,): (i64,) = sqlx::query_as(
        "select count(*) from agent_instances where project_id = ? and status = 'running'",
    )
    .bind(id)
    .fetch_one(&w.app.state.db)
    .await
    .expect("instances");
    assert_eq!(instances, 1, "one running CLI instance");
    w.stop().await;
    drop(keep);
}
