//! Helpers for black-box tests: start the real server on `127.0.0.1:0` with a fresh data
//! file, and talk to it with a real WebSocket client (tokio-tungstenite) using the shared
//! wire types. Waiting is always for a message, bounded by a timeout that only guards
//! against a hang; nothing sleeps to synchronise.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pejling_wire::{
    Action, Answer, ClientMessage, ErrorCode, PROTOCOL_VERSION, ServerMessage, SessionState, Tally,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use pejling;
pub use pejling_wire as wire;

/// Longest wait for one expected message before a test fails instead of hanging.
pub const TIMEOUT: Duration = Duration::from_secs(20);
pub const HOST_TOKEN: &str = "test-host-token";

static NEXT_NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A server running in this process on a fresh data file.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data: PathBuf,
    min_answers: u32,
    limits: pejling::limits::Limits,
    /// The clicker bridges it was started with; a restart starts them again.
    clickers: Vec<pejling::clicker::ClickerSpec>,
    running: Option<pejling::Running>,
    _dir: tempfile::TempDir,
}

/// The limits of the test servers: the server's own timeouts, but per-address limits
/// far above the defaults, because every test client (and the browser) connects from
/// 127.0.0.1 where a real hall's phones each have their own address. The limits
/// themselves are tested with [`spawn_app_with_limits`].
pub fn test_limits() -> pejling::limits::Limits {
    use pejling::limits::{Limits, Rate};
    Limits {
        connections_per_address: 100_000,
        unknown_codes: Rate::new(100_000, Duration::from_millis(1)),
        new_participants: Rate::new(100_000, Duration::from_millis(1)),
        ..Limits::default()
    }
}

/// A server held to `limits`.
pub async fn spawn_app_with_limits(limits: pejling::limits::Limits) -> TestServer {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("pejling.db");
    let running = start_with(
        &data,
        None,
        0,
        TEST_MIN_ANSWERS,
        vec![pejling::clicker::ClickerSpec::Tcp(0)],
        limits.clone(),
    )
    .await;
    TestServer {
        addr: running.addr,
        data,
        min_answers: TEST_MIN_ANSWERS,
        limits,
        clickers: vec![pejling::clicker::ClickerSpec::Tcp(0)],
        running: Some(running),
        _dir: dir,
    }
}

/// The anonymity minimum of the test servers: most tests follow a handful of devices and
/// look at exact splits, so results show from one answer. The threshold itself is tested
/// with [`spawn_app_with_min_answers`].
pub const TEST_MIN_ANSWERS: u32 = 1;

pub async fn spawn_app() -> TestServer {
    spawn_app_with_questions(None).await
}

pub async fn spawn_app_with_questions(questions: Option<PathBuf>) -> TestServer {
    spawn(questions, TEST_MIN_ANSWERS).await
}

pub async fn spawn_app_with_min_answers(min_answers: u32) -> TestServer {
    spawn(None, min_answers).await
}

pub async fn spawn_app_with_questions_and_min_answers(
    questions: Option<PathBuf>,
    min_answers: u32,
) -> TestServer {
    spawn(questions, min_answers).await
}

/// A server with extra clicker bridges (beside the loopback TCP bridge port every test
/// server has), e.g. a serial port.
pub async fn spawn_app_with_clickers(
    questions: Option<PathBuf>,
    clickers: Vec<pejling::clicker::ClickerSpec>,
) -> TestServer {
    let mut all = vec![pejling::clicker::ClickerSpec::Tcp(0)];
    all.extend(clickers);
    spawn_app_with_only_clickers(questions, all).await
}

/// A server with exactly these clicker bridges: without the loopback TCP bridge port
/// unless it is one of them ([`TestServer::bridge_addr`] then has none to give).
pub async fn spawn_app_with_only_clickers(
    questions: Option<PathBuf>,
    clickers: Vec<pejling::clicker::ClickerSpec>,
) -> TestServer {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("pejling.db");
    let running = start_with(
        &data,
        questions,
        0,
        TEST_MIN_ANSWERS,
        clickers.clone(),
        test_limits(),
    )
    .await;
    TestServer {
        addr: running.addr,
        data,
        min_answers: TEST_MIN_ANSWERS,
        limits: test_limits(),
        clickers,
        running: Some(running),
        _dir: dir,
    }
}

async fn spawn(questions: Option<PathBuf>, min_answers: u32) -> TestServer {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("pejling.db");
    let running = start_on(&data, questions, 0, min_answers, test_limits()).await;
    TestServer {
        addr: running.addr,
        data,
        min_answers,
        limits: test_limits(),
        clickers: vec![pejling::clicker::ClickerSpec::Tcp(0)],
        running: Some(running),
        _dir: dir,
    }
}

async fn start_on(
    data: &std::path::Path,
    questions: Option<PathBuf>,
    port: u16,
    min_answers: u32,
    limits: pejling::limits::Limits,
) -> pejling::Running {
    start_with(
        data,
        questions,
        port,
        min_answers,
        vec![pejling::clicker::ClickerSpec::Tcp(0)],
        limits,
    )
    .await
}

async fn start_with(
    data: &std::path::Path,
    questions: Option<PathBuf>,
    port: u16,
    min_answers: u32,
    clickers: Vec<pejling::clicker::ClickerSpec>,
    limits: pejling::limits::Limits,
) -> pejling::Running {
    pejling::start(pejling::Config {
        port_fallback: false,
        bind: Ipv4Addr::LOCALHOST.into(),
        port,
        data: data.to_path_buf(),
        questions,
        public_url: None,
        host_token: Some(HOST_TOKEN.to_string()),
        thresholds: pejling_core::results::Thresholds {
            min_answers,
            ..pejling_core::results::Thresholds::default()
        },
        clickers,
        limits,
    })
    .await
    .expect("server starts")
}

impl TestServer {
    /// Stops the server (waiting for its data file to close) and starts a new one on the
    /// same data file with the same clicker bridges (e.g. the same serial port), as after
    /// a restart of the laptop.
    pub async fn restart(&mut self) {
        self.running.take().expect("running").stop().await;
        let running = start_with(
            &self.data,
            None,
            0,
            self.min_answers,
            self.clickers.clone(),
            self.limits.clone(),
        )
        .await;
        self.addr = running.addr;
        self.running = Some(running);
    }

    /// Like [`TestServer::restart`], with another `--min-answers` for the new server.
    pub async fn restart_with_min_answers(&mut self, min_answers: u32) {
        self.min_answers = min_answers;
        self.restart().await;
    }

    /// Like [`TestServer::restart`], on the same port, so browser pages that reconnect by
    /// themselves find the server again.
    pub async fn restart_on_same_port(&mut self, questions: Option<PathBuf>) {
        self.running.take().expect("running").stop().await;
        let running = start_with(
            &self.data,
            questions,
            self.addr.port(),
            self.min_answers,
            self.clickers.clone(),
            self.limits.clone(),
        )
        .await;
        self.addr = running.addr;
        self.running = Some(running);
    }

    /// The loopback TCP bridge port (bridge protocol v1).
    pub fn bridge_addr(&self) -> SocketAddr {
        self.running().clicker_addrs[0]
    }

    pub fn running(&self) -> &pejling::Running {
        self.running.as_ref().expect("running")
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    /// Stops the server; `true` when its data file was closed (the storage thread ended).
    pub async fn stop_cleanly(mut self) -> bool {
        self.running.take().expect("running").stop().await
    }
}

/// A WebSocket client speaking the wire protocol.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection ended, as seen by the client.
#[derive(Debug, PartialEq)]
pub enum Closed {
    /// A close frame with this code.
    Code(u16),
    /// The connection ended without a close frame.
    Dropped,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("websocket connects");
        Client { ws }
    }

    /// Connects from the loopback address `from` (any of 127.0.0.0/8), as a device with
    /// its own address on the Wi-Fi.
    pub async fn connect_from(addr: SocketAddr, from: std::net::IpAddr) -> Client {
        let stream = tcp_from(addr, from, None).await;
        let (ws, _) = tokio_tungstenite::client_async(
            format!("ws://{addr}/ws"),
            MaybeTlsStream::Plain(stream),
        )
        .await
        .expect("websocket connects");
        Client { ws }
    }

    /// Like [`Client::connect_from`], with a small receive buffer, so the server's writes
    /// back up soon when this client stops reading.
    pub async fn connect_small(addr: SocketAddr, from: std::net::IpAddr) -> Client {
        let stream = tcp_from(addr, from, Some(4096)).await;
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(4096);
        let (ws, _) = tokio_tungstenite::client_async_with_config(
            format!("ws://{addr}/ws"),
            MaybeTlsStream::Plain(stream),
            Some(config),
        )
        .await
        .expect("websocket connects");
        Client { ws }
    }

    pub async fn send(&mut self, message: &ClientMessage) {
        let text = serde_json::to_string(message).expect("serializes");
        self.send_raw(Message::text(text)).await;
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// Sends and ignores a failure (the server may already have closed).
    pub async fn try_send_raw(&mut self, message: Message) -> bool {
        self.ws.send(message).await.is_ok()
    }

    /// The next server message.
    pub async fn recv(&mut self) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(TIMEOUT, self.ws.next())
                .await
                .expect("a message within the timeout")
                .expect("connection open")
                .expect("frame");
            match frame {
                Message::Text(text) => {
                    return serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("server sent invalid message {text}: {e}"));
                }
                Message::Close(frame) => panic!("connection closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// Skips messages until `pick` returns something.
    pub async fn recv_until<T>(&mut self, mut pick: impl FnMut(&ServerMessage) -> Option<T>) -> T {
        loop {
            let message = self.recv().await;
            if let Some(found) = pick(&message) {
                return found;
            }
        }
    }

    /// The next message, which must be an error with `code`.
    pub async fn expect_error(&mut self, code: ErrorCode) -> String {
        match self.recv().await {
            ServerMessage::Error {
                code: found,
                message,
            } if found == code => message,
            other => panic!("expected error {code:?}, got {other:?}"),
        }
    }

    /// Reads until the server closes, returning how (other messages are collected).
    pub async fn until_closed(&mut self) -> (Closed, Vec<ServerMessage>) {
        let mut seen = Vec::new();
        loop {
            let frame = tokio::time::timeout(TIMEOUT, self.ws.next())
                .await
                .expect("server closes within the timeout");
            match frame {
                None | Some(Err(_)) => return (Closed::Dropped, seen),
                Some(Ok(Message::Close(Some(CloseFrame { code, .. })))) => {
                    return (Closed::Code(code.into()), seen);
                }
                Some(Ok(Message::Close(None))) => return (Closed::Dropped, seen),
                Some(Ok(Message::Text(text))) => {
                    if let Ok(message) = serde_json::from_str(text.as_str()) {
                        seen.push(message);
                    }
                }
                Some(Ok(_)) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        // Drain until the server acknowledges, so the server has seen the close.
        while let Ok(Some(Ok(_))) = tokio::time::timeout(TIMEOUT, self.ws.next()).await {}
    }
}

/// A joined participant and the token it was given.
pub struct Participant {
    pub client: Client,
    pub token: String,
}

impl Participant {
    /// Joins `code` (with a previous token to resume) and returns after the welcome and
    /// the first state.
    pub async fn join(
        addr: SocketAddr,
        code: &str,
        token: Option<String>,
    ) -> (Participant, pejling_wire::ParticipantState) {
        let mut client = Client::connect(addr).await;
        client
            .send(&ClientMessage::Join {
                version: PROTOCOL_VERSION,
                code: code.to_string(),
                token,
            })
            .await;
        let token = match client.recv().await {
            ServerMessage::Welcome {
                token: Some(token), ..
            } => token,
            other => panic!("expected welcome, got {other:?}"),
        };
        let state = match client.recv().await {
            ServerMessage::State(state) => state,
            other => panic!("expected state, got {other:?}"),
        };
        (Participant { client, token }, state)
    }

    /// Answers and waits for the acknowledgement.
    pub async fn answer(&mut self, question_id: &str, answer: Answer) {
        self.send_answer(question_id, answer).await;
        self.wait_accepted(question_id).await;
    }

    pub async fn send_answer(&mut self, question_id: &str, answer: Answer) {
        self.client
            .send(&ClientMessage::SubmitAnswer {
                question_id: question_id.to_string(),
                answer,
            })
            .await;
    }

    pub async fn wait_accepted(&mut self, question_id: &str) {
        let id = question_id.to_string();
        self.client
            .recv_until(|message| match message {
                ServerMessage::AnswerAccepted { question_id } if *question_id == id => Some(()),
                ServerMessage::Error { code, message } => {
                    panic!("answer refused: {code:?} {message}")
                }
                _ => None,
            })
            .await
    }

    /// Waits for a participant state whose question is `question_id`.
    pub async fn wait_question(&mut self, question_id: &str) -> pejling_wire::ParticipantState {
        self.client
            .recv_until(|message| match message {
                ServerMessage::State(state)
                    if state.question.as_ref().is_some_and(|q| q.id == question_id) =>
                {
                    Some(state.clone())
                }
                _ => None,
            })
            .await
    }
}

/// The facilitator's connection.
pub struct Facilitator {
    pub client: Client,
    /// The newest tally seen, whatever was being waited for: a tally is the whole current
    /// state, so a wait for a condition starts by checking it.
    last_tally: Option<Tally>,
}

impl Facilitator {
    pub async fn connect(addr: SocketAddr) -> Facilitator {
        Facilitator::connect_with(addr, HOST_TOKEN).await
    }

    /// Connects with a host token other than the test servers' own.
    pub async fn connect_with(addr: SocketAddr, host_token: &str) -> Facilitator {
        let mut client = Client::connect(addr).await;
        client
            .send(&ClientMessage::Host {
                version: PROTOCOL_VERSION,
                host_token: host_token.to_string(),
            })
            .await;
        match client.recv().await {
            ServerMessage::Welcome { .. } => {}
            other => panic!("expected welcome, got {other:?}"),
        }
        Facilitator {
            client,
            last_tally: None,
        }
    }

    /// Creates a session and returns its state.
    pub async fn create(&mut self, set_id: &str, label: &str) -> SessionState {
        self.create_linked(set_id, label, Vec::new()).await
    }

    /// Creates a (parents') session linked to pupil sessions.
    pub async fn create_linked(
        &mut self,
        set_id: &str,
        label: &str,
        linked_sessions: Vec<String>,
    ) -> SessionState {
        self.client
            .send(&ClientMessage::CreateSession {
                set_id: set_id.to_string(),
                label: Some(label.to_string()),
                description: Default::default(),
                linked_sessions,
                rehearsal: false,
                follow_up_of: None,
            })
            .await;
        self.session_state().await
    }

    /// The question sets the server knows.
    pub async fn list_sets(&mut self) -> Vec<pejling_wire::SetSummary> {
        self.client.send(&ClientMessage::ListSets).await;
        self.client
            .recv_until(|m| match m {
                ServerMessage::Sets { sets } => Some(sets.clone()),
                _ => None,
            })
            .await
    }

    pub async fn attach(&mut self, session_id: &str) -> SessionState {
        self.client
            .send(&ClientMessage::AttachSession {
                session_id: session_id.to_string(),
            })
            .await;
        self.session_state().await
    }

    pub async fn session_state(&mut self) -> SessionState {
        loop {
            match self.client.recv().await {
                ServerMessage::SessionState(state) => return state,
                ServerMessage::Tally(tally) => self.last_tally = Some(tally),
                ServerMessage::Error { code, message } => panic!("error {code:?}: {message}"),
                _ => {}
            }
        }
    }

    /// Sends an action and returns the session state that follows it.
    pub async fn control(&mut self, action: Action) -> SessionState {
        self.client.send(&ClientMessage::Control { action }).await;
        self.session_state().await
    }

    /// Re-attaches to `session_id`, which makes the server send the session state and a
    /// tally at once. Everything acknowledged before this call is in that tally.
    pub async fn snapshot(&mut self, session_id: &str) -> (SessionState, Tally) {
        // A ping first: the pong comes after everything the server had already queued
        // for this connection, so the state and tally read after it are fresh, not ones
        // left over from earlier changes.
        let nonce = NEXT_NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.client.send(&ClientMessage::Ping { nonce }).await;
        self.client
            .recv_until(|m| match m {
                ServerMessage::Pong { nonce: n } if *n == nonce => Some(()),
                _ => None,
            })
            .await;
        self.last_tally = None;
        let state = self.attach(session_id).await;
        // The attach sends the state and then a fresh tally.
        self.last_tally = None;
        let tally = self.tally_until(|_| true).await;
        (state, tally)
    }

    /// Waits for a tally that satisfies `done`, starting with the newest one seen.
    pub async fn tally_until(&mut self, mut done: impl FnMut(&Tally) -> bool) -> Tally {
        if let Some(tally) = self.last_tally.take_if(|tally| done(tally)) {
            return tally;
        }
        loop {
            if let ServerMessage::Tally(tally) = self.client.recv().await {
                let found = done(&tally);
                self.last_tally = Some(tally.clone());
                if found {
                    return tally;
                }
            }
        }
    }

    /// Waits for a tally of `question_id` with `answered` answers.
    pub async fn tally_answered(&mut self, question_id: &str, answered: u32) -> Tally {
        self.tally_until(|tally| {
            tally
                .question
                .as_ref()
                .is_some_and(|q| q.question_id == question_id && q.answered == answered)
        })
        .await
    }
}

/// A TCP connection to `addr` from the loopback address `from`.
pub async fn tcp_from(
    addr: SocketAddr,
    from: std::net::IpAddr,
    receive_buffer: Option<u32>,
) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size).expect("receive buffer");
    }
    socket
        .bind(SocketAddr::new(from, 0))
        .expect("bind a loopback source address");
    socket.connect(addr).await.expect("connect")
}

/// Sends a raw HTTP/1.1 request and returns the status line and body.
pub async fn http_request(addr: SocketAddr, request: &str) -> (String, String) {
    let (status, _, body) = http_exchange(addr, request).await;
    (status, body)
}

/// As [`http_request`], with the response's header lines too (`name: value`, one a line,
/// names in the case the server wrote them).
pub async fn http_exchange(addr: SocketAddr, request: &str) -> (String, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut response))
        .await
        .expect("response within the timeout")
        .expect("read");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or((response.as_str(), ""));
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (status.to_string(), headers.to_string(), body.to_string())
}
