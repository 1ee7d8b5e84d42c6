//! A WebSocket test client for the `/logs` and `/terminal` streams (tokio-tungstenite).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;

use crate::support::common::TestApp;
use autocode::tmux::{PaneId, SessionName, SessionSpec};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A user `alice` with one project `demo`, whose tmux session is `session`.
pub struct Fixture {
    /// First, so it is dropped while the app's data dir (holding the socket) still exists.
    _tmux: KillTmuxOnDrop,
    pub app: TestApp,
    pub alice: crate::support::common::Session,
    pub project_id: i64,
    pub session: String,
}

impl Fixture {
    /// The daemon's live screens (its own tmux server, in the test's data dir).
    pub fn monitor(&self) -> autocode::tmux::Monitor {
        self.app.state.monitor.clone()
    }
}

/// Kills the daemon's tmux server (only it, by its socket) even when a test fails before
/// `TestApp::stop`.
struct KillTmuxOnDrop(Option<std::path::PathBuf>);

impl Drop for KillTmuxOnDrop {
    fn drop(&mut self) {
        let Some(socket) = &self.0 else { return };
        let status = std::process::Command::new("tmux")
            .arg("-S")
            .arg(socket)
            .arg("kill-server")
            .stderr(std::process::Stdio::null())
            .status();
        if let Err(e) = status {
            eprintln!("kill-server failed: {e}");
        }
    }
}

pub async fn fixture(app: TestApp) -> Fixture {
    let admin = app.admin().await;
    let alice = app.user(&admin, "alice").await;
    let agent = app.agent(&alice, "helper").await;
    let project = app
        .project(&alice, agent["id"].as_i64().expect("id"), "demo")
        .await;
    let socket = Some(app.state.monitor.tmux().socket().to_owned());
    Fixture {
        _tmux: KillTmuxOnDrop(socket),
        project_id: project["id"].as_i64().expect("id"),
        session: project["tmux_session"]
            .as_str()
            .expect("session")
            .to_owned(),
        app,
        alice,
    }
}

pub fn logs_path(id: i64) -> String {
    format!("/api/ws/projects/{id}/logs")
}

pub fn terminal_path(id: i64) -> String {
    format!("/api/ws/projects/{id}/terminal")
}

/// How a test client proves who it is.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    /// The access token as a subprotocol, the way the web app sends it.
    Protocol(&'a str),
    Ticket(&'a str),
}

pub struct Options<'a> {
    pub auth: Auth<'a>,
    pub origin: Option<&'a str>,
}

impl<'a> Options<'a> {
    pub fn token(token: &'a str) -> Self {
        Self {
            auth: Auth::Protocol(token),
            origin: None,
        }
    }
}

/// What the server sent, pings and pongs left out.
#[derive(Debug)]
pub enum Frame {
    Json(Value),
    Bytes(Vec<u8>),
    Close(Option<(u16, String)>),
}

pub struct Client<S> {
    pub stream: WebSocketStream<S>,
    pub protocol: Option<String>,
}

pub type TcpClient = Client<MaybeTlsStream<tokio::net::TcpStream>>;

fn request(
    addr: SocketAddr,
    path: &str,
    opts: &Options<'_>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let url = match opts.auth {
        Auth::Ticket(t) => format!("ws://{addr}{path}?ticket={t}"),
        _ => format!("ws://{addr}{path}"),
    };
    let mut req = url.into_client_request().expect("request");
    let protocols = match opts.auth {
        Auth::Protocol(token) => format!("autocode.bearer.{token}, autocode.v1"),
        _ => "autocode.v1".to_owned(),
    };
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&protocols).expect("header"),
    );
    if let Some(origin) = opts.origin {
        req.headers_mut()
            .insert("origin", HeaderValue::from_str(origin).expect("header"));
    }
    req
}

/// Connects, or returns the HTTP status the upgrade was refused with.
pub async fn connect(
    addr: SocketAddr,
    path: &str,
    opts: &Options<'_>,
) -> Result<TcpClient, StatusCode> {
    match tokio_tungstenite::connect_async(request(addr, path, opts)).await {
        Ok((stream, resp)) => Ok(Client {
            stream,
            protocol: protocol_of(&resp),
        }),
        Err(WsError::Http(resp)) => Err(resp.status()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

/// Connects over a socket whose receive buffer is tiny, so that a client that stops
/// reading stalls the server's sends quickly.
pub async fn connect_small_buffer(
    addr: SocketAddr,
    path: &str,
    opts: &Options<'_>,
) -> Client<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(2048).expect("rcvbuf");
    let tcp = socket.connect(addr).await.expect("tcp connect");
    let (stream, resp) = tokio_tungstenite::client_async(request(addr, path, opts), tcp)
        .await
        .expect("handshake");
    Client {
        stream,
        protocol: protocol_of(&resp),
    }
}

fn protocol_of(
    resp: &tokio_tungstenite::tungstenite::handshake::client::Response,
) -> Option<String> {
    resp.headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    pub async fn send_json(&mut self, value: Value) {
        self.stream
            .send(Message::Text(value.to_string().into()))
            .await
            .expect("send");
    }

    /// The next frame within `timeout`; None on timeout or when the stream ended.
    pub async fn next(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match msg.ok()? {
                Message::Text(t) => {
                    return Some(Frame::Json(serde_json::from_str(t.as_str()).expect("json")));
                }
                Message::Binary(b) => return Some(Frame::Bytes(b.to_vec())),
                Message::Close(c) => {
                    return Some(Frame::Close(
                        c.map(|c| (u16::from(c.code), c.reason.as_str().to_owned())),
                    ));
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// The next JSON message (binary frames in between are skipped).
    pub async fn next_json(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await? {
                Frame::Json(v) => return Some(v),
                Frame::Bytes(_) => {}
                Frame::Close(c) => panic!("closed while waiting for a message: {c:?}"),
            }
        }
    }

    /// Reads until a JSON message of `kind`, returning it.
    pub async fn expect_type(&mut self, kind: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let msg = self
                .next_json(left)
                .await
                .unwrap_or_else(|| panic!("no {kind} message within {timeout:?}"));
            if msg["type"] == kind {
                return msg;
            }
        }
    }
}

/// Starts the project's tmux session, running `command`, on the daemon's tmux server.
pub async fn project_pane(f: &Fixture, command: &[&str]) -> PaneId {
    let spec = SessionSpec::new(
        SessionName::new(f.session.as_str()).expect("session name"),
        &f.app.data_dir,
        command.iter().map(|s| s.to_string()).collect(),
    )
    .env("PS1", "$ ")
    .env("TERM", "xterm-256color");
    f.monitor()
        .tmux()
        .create_session(&spec)
        .await
        .expect("session")
        .id
}

pub fn bash() -> Vec<&'static str> {
    vec!["bash", "--norc", "--noprofile"]
}

/// Renders terminal bytes on an emulator of the given size.
pub fn render(rows: u16, cols: u16, bytes: &[u8]) -> vt100::Parser {
    let size = |n| std::num::NonZeroU16::new(n).expect("non-zero size");
    let mut parser = vt100::Parser::new(size(rows), size(cols), 0);
    parser.process(bytes);
    parser
}

/// Reads output frames until `needle` appears; returns the bytes read.
pub async fn bytes_until<S>(ws: &mut Client<S>, needle: &str, timeout: Duration) -> Vec<u8>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut all = Vec::new();
    while !String::from_utf8_lossy(&all).contains(needle) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next(left).await {
            Some(Frame::Bytes(b)) => all.extend_from_slice(&b),
            Some(Frame::Json(_)) => {}
            other => panic!(
                "no {needle:?} in the output ({other:?}): {}",
                String::from_utf8_lossy(&all)
            ),
        }
    }
    all
}
