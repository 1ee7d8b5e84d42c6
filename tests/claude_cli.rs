//! The real Claude Code CLI, every pinned release, in a private tmux server against the mock
//! Anthropic API: proves that the offline environment, the pre-seed and the mock together let
//! a test script the CLI end to end.
//!
//! Skips loudly when a release is not installed (run `scripts/install-test-tools.sh`), unless
//! `AUTOCODE_REQUIRE_CLI` is set, as in CI, where a missing CLI fails.

#[macro_use]
mod support;

use support::cli_support;

use std::path::PathBuf;
use std::time::Duration;

use autocode::testkit::claude_env::{ClaudeEnv, claude_binary_for_test};
use autocode::testkit::{MockAnthropic, RequestKind, Script, Turn};
use cli_support::{PrivateTmux, TestHome, preseed};

const START: Duration = Duration::from_secs(20);
const TURN: Duration = Duration::from_secs(20);
/// The CLI ignores a key sent in the first moments after a prompt is drawn.
const SETTLE: Duration = Duration::from_millis(400);
const PANE: &str = "cli";

/// A CLI of one release running in its own tmux server against `mock`.
struct Cli {
    tmux: PrivateTmux,
    home: TestHome,
}

impl Cli {
    /// Returns `None` when the release is not installed and the test should be skipped.
    async fn start(version: &str, mock: &MockAnthropic) -> Option<Self> {
        let binary: PathBuf = claude_binary_for_test(version).expect("Claude Code installed")?;
        let home = TestHome::new();
        let env = ClaudeEnv::new(home.path(), mock.base_url()).max_retries(2);
        preseed(&env, version, &home.workspace());
        let tmux = PrivateTmux::start();
        tmux.spawn(PANE, &home.workspace(), &env.vars(), &binary, &[]);
        let cli = Self { tmux, home };
        // Text typed before the footer is drawn loses its Enter: wait for the idle prompt.
        cli.tmux
            .wait_screen(PANE, START, "the idle prompt", |s| {
                s.contains("? for shortcuts")
            })
            .await;
        Some(cli)
    }

    /// Types a one-line prompt and submits it with a separate Enter, once the text is echoed.
    async fn submit(&self, prompt: &str) {
        self.tmux.send_text(PANE, prompt);
        let echoed = format!("\u{276f}\u{a0}{prompt}");
        self.tmux
            .wait_screen(PANE, TURN, "the prompt in the input box", |s| {
                s.contains(&echoed)
            })
            .await;
        self.tmux.send_key(PANE, "Enter");
    }
}

macro_rules! for_each_release {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn v2_1_197() {
                super::$test("2.1.197").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn v2_1_330() {
                super::$test("2.1.330").await;
            }
        }
    )*};
}

for_each_release!(
    prompt_reaches_the_mock_and_the_reply_is_shown,
    approved_bash_call_runs_and_its_result_is_sent_back,
    question_menu_answer_reaches_the_mock,
);

async fn prompt_reaches_the_mock_and_the_reply_is_shown(version: &str) {
    let reply = format!("Hello from the mock to {version}.");
    let script = Script::new(vec![Turn::text(&reply).when_user_contains("say hello")]);
    let mock = MockAnthropic::start(script).await.expect("mock starts");
    let Some(cli) = Cli::start(version, &mock).await else {
        return;
    };

    cli.submit("say hello").await;

    let received = mock
        .wait_for(TURN, |requests| {
            requests
                .iter()
                .any(|r| r.is_prompt() && r.last_user_text == "say hello")
        })
        .await;
    assert!(received, "the mock received the prompt");
    let screen = cli
        .tmux
        .wait_screen(PANE, TURN, "the scripted reply", |s| s.contains(&reply))
        .await;
    assert!(
        screen.contains("❯ say hello"),
        "prompt echoed in the transcript:\n{screen}"
    );
    assert_eq!(
        mock.user_prompts(),
        vec!["say hello"],
        "exactly one prompt sent"
    );
    assert_eq!(mock.remaining_turns(), 0, "the keyed turn was served");
    let agent = mock.agent_requests();
    assert!(
        agent[0].tool_names().contains(&"Bash"),
        "the CLI advertised its tools"
    );
}

async fn approved_bash_call_runs_and_its_result_is_sent_back(version: &str) {
    let script = Script::new(vec![
        Turn::bash("touch marker.txt && ls"),
        Turn::text("Listed the directory. Done with the Bash step."),
    ]);
    let mock = MockAnthropic::start(script).await.expect("mock starts");
    let Some(cli) = Cli::start(version, &mock).await else {
        return;
    };

    cli.submit("make a marker").await;
    cli.tmux
        .wait_screen_settled(PANE, TURN, SETTLE, "the Bash permission prompt", |s| {
            s.contains("Do you want to proceed?") && s.contains("1. Yes")
        })
        .await;
    assert!(
        !cli.home.workspace().join("marker.txt").exists(),
        "nothing runs before approval"
    );
    cli.tmux.send_key(PANE, "1");

    cli.tmux
        .wait_screen(PANE, TURN, "the reply after the tool", |s| {
            s.contains("Done with the Bash step.")
        })
        .await;
    assert!(
        cli.home.workspace().join("marker.txt").exists(),
        "the approved command ran"
    );
    let requests = mock.requests();
    let result = requests
        .iter()
        .filter(|r| r.kind == RequestKind::AgentLoop)
        .flat_map(|r| r.tool_results.iter())
        .next()
        .expect("a tool result was sent back");
    assert!(
        result.content.contains("marker.txt"),
        "ls output in the tool result: {result:?}"
    );
    assert!(!result.is_error);
}

async fn question_menu_answer_reaches_the_mock(version: &str) {
    let script = Script::new(vec![
        Turn::ask_user_question(
            "Which database should the app use?",
            "Database",
            &[
                ("SQLite", "Single file, no server"),
                ("PostgreSQL", "Full server database"),
            ],
        ),
        Turn::text("Going with your choice."),
    ]);
    let mock = MockAnthropic::start(script).await.expect("mock starts");
    let Some(cli) = Cli::start(version, &mock).await else {
        return;
    };

    cli.submit("ask me something").await;
    cli.tmux
        .wait_screen_settled(PANE, TURN, SETTLE, "the question menu", |s| {
            s.contains("Which database should the app use?") && s.contains("2. PostgreSQL")
        })
        .await;
    cli.tmux.send_key(PANE, "2");
    cli.tmux
        .wait_screen(PANE, TURN, "the reply after the answer", |s| {
            s.contains("Going with your choice.")
        })
        .await;

    let answer = mock
        .requests()
        .iter()
        .flat_map(|r| r.tool_results.clone())
        .next()
        .expect("the answer went back as a tool result");
    assert!(answer.content.contains("PostgreSQL"), "answer: {answer:?}");
    assert!(
        !answer.content.contains("SQLite"),
        "only the chosen option: {answer:?}"
    );
}
