//! `autocode-mock`: the mock Anthropic Messages API as a process, for browser end-to-end tests.
//! Prints the port it listens on (one line, then stdout is flushed), serves until SIGINT/SIGTERM.
//! The script format is documented in `autocode::testkit::mock_script`.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use autocode::testkit::{MockAnthropic, Script};
use clap::Parser;

/// Serve a scripted mock of the Anthropic Messages API on 127.0.0.1.
#[derive(Parser)]
struct Args {
    /// JSON script file; without one, every request gets the default reply.
    #[arg(long)]
    script: Option<PathBuf>,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let script = match &args.script {
        Some(path) => Script::from_json(&std::fs::read_to_string(path)?)?,
        None => Script::default(),
    };
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, args.port)).await?;
    let mock = MockAnthropic::serve_on(listener, script)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", mock.port())?;
    stdout.flush()?;
    drop(stdout);

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    drop(mock);
    Ok(())
}
