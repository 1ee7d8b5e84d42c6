//! One project's journal delivered to 100 `/logs` subscribers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocode::config::Config;
use autocode::db::logs::Level;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::measure::summary;
use crate::{Api, arg, connect, file_config, now};

pub async fn logs_bench() {
    let subscribers = arg("--log-subscribers", 100) as usize;
    let tmp = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = Config {
        data_dir: tmp.path().join("data"),
        listen: addr,
        file: file_config(),
    };
    let (state, cancel) = super::start_daemon(config).await;
    let server = tokio::spawn(autocode::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    let api = Api {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
    };
    let (token, projects) = api.populate(1).await;
    let project_id = projects[0].0;
    let entries = 400;
    let delivered = Arc::new(Mutex::new(HashMap::<i64, Vec<f64>>::new()));
    let mut clients = Vec::new();
    for _ in 0..subscribers {
        let mut ws = connect(addr, &format!("/api/ws/projects/{project_id}/logs"), &token).await;
        let last = autocode::db::logs::after(&state.db, project_id, 0, 1000)
            .await
            .expect("logs")
            .last()
            .map_or(0, |e| e.id);
        futures_util::SinkExt::send(
            &mut ws,
            Message::Text(
                json!({"type": "subscribe", "after": last})
                    .to_string()
                    .into(),
            ),
        )
        .await
        .expect("subscribe");
        let delivered = delivered.clone();
        clients.push(tokio::spawn(async move {
            let mut got = 0;
            while got < entries {
                let t = match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) => t,
                    Ok(Some(Ok(_))) => continue,
                    _ => break,
                };
                let received = now();
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if v["type"] == "log" {
                    let id = v["entry"]["id"].as_i64().expect("id");
                    let at: f64 = v["entry"]["message"]
                        .as_str()
                        .and_then(|m| m.parse().ok())
                        .expect("ts");
                    delivered
                        .lock()
                        .expect("lock")
                        .entry(id)
                        .or_default()
                        .push(received - at);
                    got += 1;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    for _ in 0..entries {
        tick.tick().await;
        state
            .journal
            .log(project_id, None, Level::Info, &format!("{:.6}", now()))
            .await
            .expect("log");
    }
    for c in clients {
        if let Err(e) = c.await {
            eprintln!("subscriber: {e}");
        }
    }
    let delivered = std::mem::take(&mut *delivered.lock().expect("lock"));
    let complete = delivered
        .values()
        .filter(|v| v.len() == subscribers)
        .count();
    // The entry counts as delivered when its last subscriber has it.
    let last_delivery: Vec<f64> = delivered
        .values()
        .map(|v| v.iter().copied().fold(0.0, f64::max))
        .collect();
    let every: Vec<f64> = delivered.into_values().flatten().collect();
    println!(
        "logs: {entries} entries at 20/s to {subscribers} subscribers, {complete} reached all"
    );
    summary("log journaled -> each subscriber", every);
    summary("log journaled -> last of the subscribers", last_delivery);
    server.abort();
    state.lifecycle.shutdown().await;
    cancel.cancel();
    if let Err(e) = state.monitor.tmux().kill_server().await {
        eprintln!("kill-server: {e}");
    }
}
