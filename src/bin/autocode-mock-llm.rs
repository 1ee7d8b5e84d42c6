//! Serves a scripted OpenAI-compatible chat-completions endpoint for end-to-end tests.
//! Usage: `autocode-mock-llm SCRIPT.json [PORT]`. The script is a `MockScript` in JSON
//! (`{"rules": [{"contains": "...", "reply": {...}}], "queue": [...], "default": {...}}`).
//! Prints `PORT=<n>` on stdout once it listens on 127.0.0.1, then serves until killed.

use std::io::Write;
use std::process::ExitCode;

use autocode::testkit::mock_llm::{MockLlm, MockScript};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: autocode-mock-llm SCRIPT.json [PORT]");
        return ExitCode::from(2);
    };
    let port: u16 = match args.next().map(|p| p.parse()) {
        None => 0,
        Some(Ok(port)) => port,
        Some(Err(e)) => {
            eprintln!("bad port: {e}");
            return ExitCode::from(2);
        }
    };
    let script: MockScript = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(script) => script,
        Err(e) => {
            eprintln!("cannot read script {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mock = match tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .and_then(|listener| MockLlm::serve_script(listener, script))
    {
        Ok(mock) => mock,
        Err(e) => {
            eprintln!("cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "PORT={}", mock.addr().port())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for a signal: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
