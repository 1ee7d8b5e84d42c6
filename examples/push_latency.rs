//! Prints how long a project's move to needs_help takes to reach the push service: from the
//! status change published on the journal (what the controller does) to the encrypted,
//! signed request arriving at a local push service, through the daemon's own listener,
//! settings and subscription lookups, RFC 8291 encryption and the delivery queue:
//! `cargo run --release --example push_latency`.

use std::time::Duration;

use autocode::config::{Config, FileConfig};
use autocode::db::projects::ProjectStatus;
use autocode::journal::ProjectEvent;
use autocode::testkit::push_service::{MockPushService, Subscriber};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const ROUNDS: usize = 300;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let file = FileConfig {
        ..FileConfig::default()
    };
    let config = Config {
        data_dir: tmp.path().join("data"),
        listen: "127.0.0.1:0".parse()?,
        file,
    };
    let state = autocode::open(config).await?;
    autocode::ensure_admin(&state, Some("benchmark-password".into())).await?;
    // The daemon's push parts alone: no tmux server or controllers are needed here.
    let journal = autocode::journal::Journal::new(state.db.clone());
    let vapid = autocode::push::Vapid::load_or_create(
        &state.layout.root().join("vapid.key"),
        state.config.file.push_contact.clone(),
    )?;
    let channels = autocode::push::ChannelSetup {
        master: state.master.clone(),
        telegram_api_base: state.config.file.telegram_api_base.clone(),
        public_url: state.config.file.public_url.clone(),
    };
    // Every round is the same project asking again: no cooldown here.
    let push = autocode::push::Push::new(vapid, Duration::ZERO, channels);
    let user = autocode::db::users::by_name(&state.db, "admin")
        .await?
        .ok_or("no admin")?;
    let agent: i64 = sqlx::query_scalar(
        "insert into agents (user_id, name, model) values (?, 'bench', 'm') returning id",
    )
    .bind(user.id)
    .fetch_one(&state.db)
    .await?;
    let project: i64 = sqlx::query_scalar(
        "insert into projects (user_id, agent_id, name, slug, tmux_session, workspace_path)
         values (?, ?, 'Bench', 'bench', 'autocode-bench', '/nowhere') returning id",
    )
    .bind(user.id)
    .bind(agent)
    .fetch_one(&state.db)
    .await?;
    let service = MockPushService::start().await?;
    let phone = Subscriber::default();
    autocode::db::push::upsert(
        &state.db,
        user.id,
        &service.endpoint(1),
        &phone.p256dh(),
        &phone.auth(),
        "bench",
    )
    .await?;
    let cancel = CancellationToken::new();
    autocode::push::notify::spawn(
        push,
        state.db.clone(),
        &journal,
        autocode::ws::watching::Watching::default(),
        cancel.clone(),
    );

    let mut samples = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let start = Instant::now();
        journal.publish(ProjectEvent::Status {
            project_id: project,
            status: ProjectStatus::NeedsHelp,
            current_step: None,
            question: Some("Which colour?".into()),
        });
        if !service.wait_for(round + 1, Duration::from_secs(10)).await {
            return Err(format!("round {round}: no push arrived").into());
        }
        let arrived = service.received()[round].at;
        phone.decrypt(&service.received()[round].body)?;
        samples.push(arrived.duration_since(start));
    }
    cancel.cancel();
    samples.sort();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    println!(
        "needs_help -> push request at the push service, {ROUNDS} rounds: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3,
    );
    Ok(())
}
