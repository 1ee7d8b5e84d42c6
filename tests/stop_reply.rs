//! A finished turn is judged on the reply the CLI's `Stop` hook hands over, exact as Claude
//! wrote it, with no wait for the transcript: here the transcript folder leads out of the
//! member's tree (a link into the sandbox's private `/tmp`), so the daemon refuses to read
//! it, and the screen shows the reply without its markdown. Real CLI, both releases.

#[macro_use]
mod support;

use support::controller_support;

use std::sync::Arc;
use std::time::Duration;

use autocode::testkit::{Script, Turn};
use controller_support::{VERSIONS, World, agreeable, last_user_text};

const RUN: Duration = Duration::from_secs(90);

async fn reply_from_the_stop_hook(version: &'static str) {
    let Some(w) = World::new(version, Script::new(vec![]), Arc::new(agreeable)).await else {
        return;
    };
    let p = w
        .project("Stop Reply", &[("Say it", "say it is done")])
        .await;
    let id = p["id"].as_i64().expect("id");
    let ws = std::path::PathBuf::from(p["workspace_path"].as_str().expect("ws"));
    let projects = w.app.data_dir.join("users/alice/config/claude/projects");
    std::fs::create_dir_all(&projects).expect("projects folder");
    // Inside the sandbox this is its private /tmp: the CLI writes its transcript there.
    let private = format!("/tmp/autocode-stop-reply-{}", std::process::id());
    std::os::unix::fs::symlink(
        &private,
        projects.join(autocode::transcript::files::folder_name(&ws)),
    )
    .expect("link");
    w.anthropic.push_turn(
        Turn::text("The note is **written** and `checked`. Step 1 is done.")
            .when_user_contains("step 1 only"),
    );
    w.start(id).await;
    w.wait_status(id, "completed", RUN).await;
    let judged: Vec<String> = w
        .llm
        .requests()
        .iter()
        .map(|r| last_user_text(&r.body))
        .filter(|t| t.contains("Event: turn_finished"))
        .collect();
    assert!(
        judged.iter().any(|t| t.contains(
            "<<<REPLY\nThe note is **written** and `checked`. Step 1 is done.\nREPLY>>>"
        )),
        "[{version}] {judged:#?}"
    );
    // Nothing was written outside the sandbox through the link.
    assert!(!std::path::Path::new(&private).exists());
    w.stop().await;
}

#[tokio::test]
async fn reply_from_the_stop_hook_2_1_197() {
    reply_from_the_stop_hook(VERSIONS[0]).await;
}

#[tokio::test]
async fn reply_from_the_stop_hook_2_1_330() {
    reply_from_the_stop_hook(VERSIONS[1]).await;
}
