//! The `autocode` binary: parses the command line and hands over to the library.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use autocode::config::Config;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "autocode",
    version,
    about = "Self-hosted home for autonomous coding agents"
)]
struct Cli {
    /// Where AutoCode keeps its database, keys and workspaces.
    #[arg(
        long,
        env = "AUTOCODE_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon until SIGTERM or Ctrl-C.
    Serve {
        #[arg(long, env = "AUTOCODE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Loopback address for the coding CLIs' hooks (default: the port the last run
        /// used, else any free one). Never exposed through the public listener.
        #[arg(long, env = "AUTOCODE_HOOK_LISTEN")]
        hook_listen: Option<SocketAddr>,
    },
    /// Manage accounts (works while the daemon runs).
    #[command(subcommand)]
    User(UserCommand),
    /// Debug the screen classifier.
    #[command(subcommand)]
    Screen(ScreenCommand),
    /// Check this host and data dir; print what is wrong and how to fix it (exit 1 if any fails).
    Doctor {
        #[arg(long, env = "AUTOCODE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Caddy's config, compared with the listen address.
        #[arg(long, default_value = "/etc/caddy/Caddyfile")]
        caddyfile: PathBuf,
    },
    /// Write a backup of the data dir to FILE (a tar archive), safe while the daemon runs.
    Backup { file: PathBuf },
    /// Restore a backup into --data-dir (which must be empty or absent, unless --force).
    Restore {
        file: PathBuf,
        /// Move a non-empty data dir aside (to DIR.replaced-<time>) instead of refusing.
        #[arg(long)]
        force: bool,
    },
    /// Run by the coding CLI's hooks: forwards one event (JSON on stdin) to the daemon.
    #[command(hide = true)]
    Hook,
    /// Run by a tmux pane: starts the program a launch spec names (then deletes the spec).
    #[command(hide = true)]
    SandboxExec { spec: PathBuf },
    /// Run first inside a sandbox: sets its limits, then becomes the program.
    #[command(hide = true)]
    SandboxLimits {
        #[arg(long)]
        processes: u64,
        #[arg(long)]
        data_mib: u64,
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ScreenCommand {
    /// Print the classification of a saved screen (`tmux capture-pane -p`) as one JSON object.
    Classify {
        file: PathBuf,
        /// Pane metadata as `tmux display -p` prints it (JSON of raw strings).
        #[arg(long)]
        meta: Option<PathBuf>,
        /// CLI version whose rules to use (default: the version the screen shows, if any).
        #[arg(long)]
        cli_version: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        name: String,
        #[arg(long)]
        admin: bool,
    },
    /// List users.
    List,
    /// Set a user's password (read from standard input); logs them out everywhere.
    Passwd { name: String },
    /// Delete a user, their projects and their workspace.
    Delete { name: String },
}

/// `autocode hook`: forwards the CLI's hook event on stdin to the daemon. A hook must never
/// fail or block the CLI: problems are reported on stderr and it exits 0.
fn hook() {
    let mut input = Vec::new();
    // One byte over the limit is enough to know the event is too large to send.
    let limit = autocode::hooks::MAX_BODY_BYTES as u64 + 1;
    let read = std::io::Read::read_to_end(
        &mut std::io::Read::take(std::io::stdin().lock(), limit),
        &mut input,
    );
    let forwarded = read
        .map_err(|e| format!("reading the event: {e}"))
        .and_then(|_| autocode::hooks::forward_from_stdin(&input));
    match forwarded {
        // The CLI reads a decision (a permission answer) from stdout.
        Ok(Some(answer)) => println!("{answer}"),
        Ok(None) => {}
        Err(e) => eprintln!("autocode hook: {e}"),
    }
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "autocode=info,tower_http=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // One JSON object per line for a log shipper (journald keeps either as it comes).
    if std::env::var("AUTOCODE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let cli = Cli::parse();
    // The launchers replace this process; they need no runtime (and only return on failure).
    // Nor does a hook, whose every millisecond the CLI waits for.
    match &cli.command {
        Command::Hook => {
            hook();
            return ExitCode::SUCCESS;
        }
        Command::SandboxExec { spec } => {
            let e = autocode::sandbox::exec::exec_spec_file(spec);
            eprintln!("error: cannot start the session: {e}");
            return ExitCode::FAILURE;
        }
        Command::SandboxLimits {
            processes,
            data_mib,
            argv,
        } => {
            let e = autocode::sandbox::exec::exec_with_limits(*processes, *data_mib, argv);
            eprintln!("error: cannot start {}: {e}", argv.join(" "));
            return ExitCode::FAILURE;
        }
        Command::Serve { .. } => {
            if let Err(e) = autocode::admin_password::reexec_without_it() {
                eprintln!(
                    "error: cannot restart without the admin password in the environment: {e}"
                );
                return ExitCode::FAILURE;
            }
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

async fn run(cli: Cli) -> Result<(), AnyError> {
    match cli.command {
        Command::Serve {
            listen,
            hook_listen,
        } => serve(cli.data_dir, listen, hook_listen).await,
        Command::User(cmd) => user(cli.data_dir, cmd).await,
        Command::Doctor { listen, caddyfile } => {
            let config = Config::load(cli.data_dir, listen)?;
            let checks =
                autocode::doctor::run(&config, &autocode::doctor::Host { caddyfile }).await;
            print!("{}", autocode::doctor::render(&checks));
            if checks
                .iter()
                .any(|c| c.level == autocode::doctor::Level::Fail)
            {
                return Err("the doctor found problems (see above)".into());
            }
            Ok(())
        }
        Command::Backup { file } => {
            let db = autocode::backup::open_live(&cli.data_dir).await?;
            let s = autocode::backup::create(&db, &cli.data_dir, &file).await?;
            println!(
                "wrote {}: the database and {} files ({} bytes){}",
                file.display(),
                s.files,
                s.bytes,
                if s.skipped > 0 {
                    format!("; skipped {} sockets, pipes or vanished files", s.skipped)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Command::Restore { file, force } => {
            let dir = cli.data_dir.clone();
            let s =
                tokio::task::spawn_blocking(move || autocode::backup::restore(&file, &dir, force))
                    .await??;
            if let Some(old) = &s.moved_aside {
                println!("moved the previous data dir to {}", old.display());
            }
            println!(
                "restored a backup made by AutoCode {} into {}; start the daemon on it",
                s.manifest.autocode_version,
                cli.data_dir.display()
            );
            Ok(())
        }
        Command::Screen(ScreenCommand::Classify {
            file,
            meta,
            cli_version,
        }) => {
            let value = autocode::profile::classify_file_as(
                &file,
                meta.as_deref(),
                cli_version.as_deref(),
            )?;
            println!("{value}");
            Ok(())
        }
        Command::SandboxExec { .. } | Command::SandboxLimits { .. } | Command::Hook => {
            unreachable!("handled before the runtime starts")
        }
    }
}

async fn serve(
    data_dir: PathBuf,
    listen: SocketAddr,
    hook_listen: Option<SocketAddr>,
) -> Result<(), AnyError> {
    let config = Config::load(data_dir, listen)?;
    let base = autocode::open(config).await?;
    // Handed over on stdin by the start that took it out of the environment (admin_password).
    let password = autocode::admin_password::take_handed_over()?;
    autocode::ensure_admin(&base, password).await?;
    let sandbox = autocode::sandbox::Settings::from_config(&base.config.file);
    if !sandbox.enabled {
        tracing::warn!(
            "sandbox = false: members' coding CLIs run without a sandbox and can read each other's files"
        );
    } else if let Err(problem) = autocode::sandbox::check(&sandbox).await {
        tracing::warn!("{problem} Projects cannot start until this is fixed.");
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let hook_listener = autocode::bind_hook_listener(&base, hook_listen).await?;
    let cancel = tokio_util::sync::CancellationToken::new();
    let state = autocode::start(
        base,
        hook_listener.local_addr()?,
        Default::default(),
        cancel.clone(),
    )
    .await?;
    let lifecycle = state.lifecycle.clone();
    let hooks = tokio::spawn(autocode::serve_hooks(
        hook_listener,
        state.clone(),
        cancel.clone().cancelled_owned(),
    ));
    tracing::info!(
        "AutoCode {} listening on http://{}",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr()?
    );
    autocode::serve(listener, state, shutdown_signal()).await?;
    // Loops stop; the coding CLIs keep running in tmux for the next start to re-adopt.
    lifecycle.shutdown().await;
    cancel.cancel();
    hooks.await??;
    tracing::info!("shut down cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM: {e}");
            let _ = ctrl_c.await;
            return;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutdown requested");
}

fn read_password() -> Result<String, AnyError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

async fn user(data_dir: PathBuf, cmd: UserCommand) -> Result<(), AnyError> {
    // The listen address is irrelevant to account commands.
    let config = Config::load(data_dir, SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let base = autocode::open(config).await?;
    let (db, layout) = (&base.db, &base.layout);
    match cmd {
        UserCommand::Add { name, admin } => {
            let role = if admin { "admin" } else { "user" };
            let user =
                autocode::accounts::create(db, layout, &name, &read_password()?, role).await?;
            println!("created {} ({})", user.username, user.role);
            let config = base.config.file.default_agent.as_ref();
            if autocode::default_agent::create_for(db, layout, user.id, config)
                .await?
                .is_some()
            {
                println!("with a ready agent from [default_agent]");
            }
        }
        UserCommand::List => {
            for u in autocode::db::users::list(db).await? {
                println!(
                    "{}\t{}\t{} agents\t{}",
                    u.username, u.role, u.agent_count, u.created_at
                );
            }
        }
        UserCommand::Passwd { name } => {
            let user = autocode::db::users::by_name(db, &name)
                .await?
                .ok_or("no such user")?;
            autocode::accounts::set_password(db, user.id, &read_password()?, None).await?;
            println!("password changed for {name}; their sessions were ended");
        }
        UserCommand::Delete { name } => {
            let user = autocode::db::users::by_name(db, &name)
                .await?
                .ok_or("no such user")?;
            autocode::accounts::delete(db, layout, user.id).await?;
            println!("deleted {name}");
        }
    }
    Ok(())
}
