//! The tmux driver against a real tmux server (own socket): sessions, arguments that must
//! not reach a shell, literal text, bracketed pastes, verified submits.

#[macro_use]
mod support;

use support::tmux_support;

use std::time::Duration;

use autocode::tmux::{Key, MonitorConfig, SessionName, SubmitCheck, SubmitOptions, TmuxError};
use tmux_support::{TestTmux, eventually};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn sessions_are_created_listed_and_killed() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let name = SessionName::new("alice-my-app").unwrap();
    assert!(!t.tmux.has_session(&name).await.unwrap());
    let pane = t
        .tmux
        .create_session(&t.spec("alice-my-app", &["cat"]))
        .await
        .unwrap();
    assert_eq!((pane.width, pane.height), (200, 50));
    assert!(!pane.dead);
    assert!(t.tmux.has_session(&name).await.unwrap());
    // `=` targets: a prefix of an existing name is not that session.
    assert!(
        !t.tmux
            .has_session(&SessionName::new("alice").unwrap())
            .await
            .unwrap()
    );
    assert_eq!(t.tmux.list_sessions().await.unwrap(), vec![name.clone()]);
    let again = t
        .tmux
        .create_session(&t.spec("alice-my-app", &["cat"]))
        .await;
    assert!(
        matches!(again, Err(TmuxError::SessionExists(_))),
        "{again:?}"
    );

    let mut events = running.monitor.subscribe();
    running.monitor.adopt(&name).await.unwrap();
    t.tmux.kill_session(&name).await.unwrap();
    assert!(!t.tmux.has_session(&name).await.unwrap());
    // The window linked into the monitor session dies too, so the program really ends.
    let pid = pane.pid.unwrap();
    assert!(
        eventually(WAIT, || async {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        })
        .await,
        "cat still running after kill_session"
    );
    let exited = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(autocode::tmux::ScreenEvent::PaneExited { pane: p, .. }) = events.recv().await
                && p == pane.id
            {
                return;
            }
        }
    })
    .await;
    assert!(exited.is_ok(), "no PaneExited after kill_session");
    assert!(!running.monitor.screens().contains(pane.id));
    running.stop().await;
}

#[tokio::test]
async fn program_arguments_env_and_dir_reach_the_program_uninterpreted() {
    let t = TestTmux::new();
    let dir = t.dir.path().join("w#{pid}$(id)");
    std::fs::create_dir(&dir).unwrap();
    let mut spec = t
        .spec(
            "bob-x",
            &[
                "sh",
                "-c",
                "printf '[%s|%s|%s]\\n' \"$0\" \"$X\" \"$(pwd)\"; exec cat",
                "$(id);",
            ],
        )
        .env("X", "#{pid};$(id) `id`;");
    spec.working_dir = dir.clone();
    let running = t.monitor(MonitorConfig::default()).await;
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let expected = format!("[$(id);|#{{pid}};$(id) `id`;|{}]", dir.display());
    let screens = running.monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains(&expected))
            .await,
        "expected {expected:?} in {:?}",
        screens.text(pane.id)
    );
    running.stop().await;
}

#[tokio::test]
async fn invalid_names_and_specs_are_rejected_before_tmux_runs() {
    let t = TestTmux::new();
    for bad in [
        "a;kill-server",
        "x:0",
        "$(id)",
        "#{pid}",
        "a b",
        "-t",
        "=a",
        "Ab",
    ] {
        assert!(matches!(
            SessionName::new(bad),
            Err(TmuxError::InvalidSessionName(_))
        ));
    }
    let bad_env = t.spec("ok-name", &["cat"]).env("A=B", "x");
    assert!(matches!(
        t.tmux.create_session(&bad_env).await,
        Err(TmuxError::InvalidSpec(_))
    ));
    let empty = t.spec("ok-name", &[]);
    assert!(matches!(
        t.tmux.create_session(&empty).await,
        Err(TmuxError::InvalidSpec(_))
    ));
    assert!(t.tmux.list_sessions().await.unwrap().is_empty());
}

#[tokio::test]
async fn literal_text_and_enter_reach_the_program() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("carol-lit", &["cat"]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let text = "-x ls; $(id) #{pid} \\; Enter C-c ünï;";
    t.tmux.send_literal(pane.id, text).await.unwrap();
    t.tmux.send_key(pane.id, Key::Enter).await.unwrap();
    let screens = running.monitor.screens();
    // Once as the terminal echo, once as cat's output.
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.lines().filter(|l| *l == text).count()
                == 2)
            .await,
        "{:?}",
        screens.text(pane.id)
    );
    running.stop().await;
}

/// A program that turns on bracketed paste, reads raw input until the paste ends and shows
/// exactly what it received in one go.
const PASTE_READER: &str = r#"
import os, sys, termios, tty
tty.setraw(0, termios.TCSANOW)
sys.stdout.write("\x1b[?2004hready\r\n"); sys.stdout.flush()
data = b""
while not data.endswith(b"\x1b[201~"):
    data += os.read(0, 4096)
sys.stdout.write("got %r\r\n" % data); sys.stdout.flush()
os.read(0, 1)
"#;

#[tokio::test]
async fn multi_line_text_arrives_as_one_bracketed_paste_with_newlines_kept() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("dave-paste", &["python3", "-c", PASTE_READER]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let screens = running.monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains("ready"))
            .await
    );
    t.tmux
        .paste(pane.id, "line 1\nline; 2\n$(id)")
        .await
        .unwrap();
    let expected = r"got b'\x1b[200~line 1\nline; 2\n$(id)\x1b[201~'";
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.contains(expected))
            .await,
        "{:?}",
        screens.text(pane.id)
    );
    running.stop().await;
}

/// A line-reading "CLI" that loses the first Enter it gets, like a program that was not
/// ready yet; it echoes typed characters itself and prints what it accepted.
const DROPS_FIRST_ENTER: &str = r#"
import os, sys, tty
tty.setraw(0)
line, dropped = b"", False
sys.stdout.write("> "); sys.stdout.flush()
while True:
    c = os.read(0, 1)
    if c == b"\r":
        if not dropped:
            dropped = True
            continue
        sys.stdout.write("\r\naccepted:[%s]\r\n> " % line.decode()); sys.stdout.flush()
        line = b""
    else:
        line += c
        sys.stdout.write(c.decode()); sys.stdout.flush()
"#;

fn check_for(text: &str) -> impl Fn(&str) -> SubmitCheck + '_ {
    move |screen: &str| {
        if screen.contains(&format!("accepted:[{text}]")) {
            SubmitCheck::Submitted
        } else if screen.lines().any(|l| l == format!("> {text}")) {
            SubmitCheck::InInput
        } else {
            SubmitCheck::Unknown
        }
    }
}

#[tokio::test]
async fn submit_presses_enter_again_when_the_first_is_lost_and_never_retypes() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("erin-submit", &["python3", "-c", DROPS_FIRST_ENTER]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let screens = running.monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.starts_with(">"))
            .await
    );
    let options = SubmitOptions {
        submit_timeout: Duration::from_millis(500),
        ..SubmitOptions::default()
    };
    let text = "fix the bug";
    let outcome = t
        .tmux
        .submit(screens, pane.id, text, &options, check_for(text))
        .await
        .unwrap();
    assert_eq!(outcome.enter_presses, 2);
    // The second submit goes through on its first Enter.
    let outcome = t
        .tmux
        .submit(screens, pane.id, "again", &options, check_for("again"))
        .await
        .unwrap();
    assert_eq!(outcome.enter_presses, 1);
    let text_now = screens.text(pane.id).unwrap();
    assert_eq!(text_now.matches("fix the bug").count(), 2, "{text_now}");
    running.stop().await;
}

/// A "CLI" that draws typed text only 300 ms after it arrived and loses an Enter that comes
/// before the text is drawn; its idle screen reads as "submitted" to a classifier.
const SLOW_ECHO: &str = r#"
import os, select, sys, termios, time, tty
tty.setraw(0, termios.TCSANOW)
sys.stdout.write("> "); sys.stdout.flush()
line, drawn, since = b"", 0, None
while True:
    if select.select([0], [], [], 0.02)[0]:
        c = os.read(0, 1)
        if c == b"\r":
            if drawn < len(line):
                continue
            sys.stdout.write("\r\naccepted:[%s]\r\n> " % line.decode()); sys.stdout.flush()
            line, drawn = b"", 0
        else:
            line += c
            since = since or time.time()
    if since and time.time() - since >= 0.3:
        sys.stdout.write(line[drawn:].decode()); sys.stdout.flush()
        drawn, since = len(line), None
"#;

#[tokio::test]
async fn an_idle_screen_before_the_echo_is_not_taken_for_a_submit() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("gus-slow", &["python3", "-c", SLOW_ECHO]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let screens = running.monitor.screens();
    assert!(
        screens
            .wait_for(pane.id, WAIT, |s| s.starts_with('>'))
            .await
    );
    let text = "slow one";
    let check = |screen: &str| {
        let last = screen.lines().rev().find(|l| !l.is_empty()).unwrap_or("");
        if screen.contains(&format!("accepted:[{text}]")) {
            SubmitCheck::Submitted
        } else if last == format!("> {text}") {
            SubmitCheck::InInput
        } else if last == ">" {
            // An empty input box, as a classifier sees an idle CLI.
            SubmitCheck::Submitted
        } else {
            SubmitCheck::Unknown
        }
    };
    let options = SubmitOptions {
        submit_timeout: Duration::from_millis(800),
        ..SubmitOptions::default()
    };
    let outcome = t
        .tmux
        .submit(screens, pane.id, text, &options, check)
        .await
        .unwrap();
    assert_eq!(outcome.enter_presses, 2);
    assert!(
        screens
            .text(pane.id)
            .unwrap()
            .contains("accepted:[slow one]")
    );
    running.stop().await;
}

#[tokio::test]
async fn submit_gives_up_after_bounded_retries() {
    let t = TestTmux::new();
    let running = t.monitor(MonitorConfig::default()).await;
    let spec = t.spec("fred-stuck", &["cat"]);
    let pane = t.tmux.create_session(&spec).await.unwrap();
    running.monitor.adopt(&spec.name).await.unwrap();
    let options = SubmitOptions {
        submit_timeout: Duration::from_millis(200),
        enter_retries: 2,
        ..SubmitOptions::default()
    };
    let result = t
        .tmux
        .submit(
            running.monitor.screens(),
            pane.id,
            "never",
            &options,
            |_| SubmitCheck::InInput,
        )
        .await;
    assert!(
        matches!(
            result,
            Err(TmuxError::SubmitNotConfirmed { enter_presses: 3 })
        ),
        "{result:?}"
    );
    running.stop().await;
}
