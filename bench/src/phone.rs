//! A simulated phone: its own loopback address, a real WebSocket, and the participant
//! that joins, answers both questions (and keeps changing its answer in the soak) and
//! reports its acknowledgement times. The facilitator uses the same connection helpers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use pejling_wire::{Answer, ClientMessage, PROTOCOL_VERSION, Phase, ServerMessage};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::run::N_OPTIONS;

/// A WebSocket client connection, of a phone or of the facilitator.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The loopback source address of simulated phone `index`: every phone its own address
/// in 127.0.0.0/8, as a hall's phones each have their own on the Wi-Fi, so the server's
/// per-address limits apply as they would there (`None`: the facilitator, 127.0.0.1).
pub(crate) fn phone_address(index: usize) -> std::net::IpAddr {
    let n = index as u32 + 1;
    std::net::Ipv4Addr::new(127, 1 + (n >> 16) as u8, (n >> 8) as u8, n as u8).into()
}

/// A WebSocket to the server at `addr` from the source address `from` (`None`:
/// 127.0.0.1), tried up to five times.
pub async fn connect(addr: SocketAddr, from: Option<std::net::IpAddr>) -> Ws {
    let mut attempts = 0;
    loop {
        // Small buffers as on the server: the generator shares the machine with the
        // server, and tungstenite's default 128 KiB read buffer per socket would cost
        // 1.3 GB and much zeroing at 10,000 participants.
        let config = WebSocketConfig::default()
            .read_buffer_size(4 * 1024)
            .write_buffer_size(0);
        let stream = async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            if let Some(from) = from {
                socket.bind(SocketAddr::new(from, 0))?;
            }
            let stream = socket.connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok::<_, std::io::Error>(stream)
        };
        let connected = match stream.await {
            Ok(stream) => tokio_tungstenite::client_async_with_config(
                format!("ws://{addr}/ws"),
                tokio_tungstenite::MaybeTlsStream::Plain(stream),
                Some(config),
            )
            .await
            .map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match connected {
            Ok((ws, _)) => return ws,
            Err(error) => {
                attempts += 1;
                assert!(attempts < 5, "cannot connect: {error}");
                tokio::time::sleep(Duration::from_millis(100 * attempts)).await;
            }
        }
    }
}

/// The facilitator's connection (from `from`, else the default loopback address),
/// logged in with the host token.
pub async fn facilitator(addr: SocketAddr, from: Option<std::net::IpAddr>) -> Ws {
    let mut host = connect(addr, from).await;
    send(
        &mut host,
        &ClientMessage::Host {
            version: PROTOCOL_VERSION,
            host_token: crate::server::HOST_TOKEN.to_string(),
        },
    )
    .await;
    host
}

/// Creates a session of the benchmark's set (`run::SET`) labelled `label`; its state.
pub async fn create_session(host: &mut Ws, label: &str) -> pejling_wire::SessionState {
    send(
        host,
        &ClientMessage::CreateSession {
            set_id: crate::run::SET_ID.to_string(),
            label: Some(label.to_string()),
            description: Default::default(),
            linked_sessions: Vec::new(),
            rehearsal: false,
            follow_up_of: None,
        },
    )
    .await;
    session_state(host).await
}

/// The session state that `host` is sent next.
pub async fn session_state(host: &mut Ws) -> pejling_wire::SessionState {
    loop {
        match recv(host).await {
            ServerMessage::SessionState(state) => return state,
            ServerMessage::Error { code, message } => panic!("{code:?}: {message}"),
            _ => {}
        }
    }
}

/// Sends `message` as a JSON text frame.
pub async fn send(ws: &mut Ws, message: &ClientMessage) {
    let text = serde_json::to_string(message).expect("serializes");
    ws.send(Message::text(text)).await.expect("send");
}

/// The next server message. No timer of its own: a participant's waits are bounded by
/// one deadline each (a timer per frame cost the generator CPU that the server needs).
async fn recv_frame(ws: &mut Ws) -> ServerMessage {
    loop {
        let frame = ws.next().await.expect("connection open").expect("frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).expect("a server message");
        }
    }
}

/// The next server message within 120 s (the facilitator and joining).
pub async fn recv(ws: &mut Ws) -> ServerMessage {
    tokio::time::timeout(Duration::from_secs(120), recv_frame(ws))
        .await
        .expect("a message within 120 s")
}

/// What one participant reports.
pub enum Report {
    Joined {
        token: String,
    },
    /// All of a participant's acknowledgement times, reported once at the end (a report
    /// per answer would wake the main task 40,000 times at N = 10,000).
    Done {
        first: u32,
        second: u32,
        soak_changes: u64,
        latencies: Vec<(Duration, u8)>,
    },
}

/// What the participants share with the run.
pub struct Shared {
    /// Set when the soak phase should stop.
    pub soak_over: AtomicBool,
    /// Answers sent without an acknowledgement within the deadline.
    pub unacknowledged: AtomicU64,
    /// The run's clock, and the latest moment (µs on it) a first answer was sent.
    pub epoch: Instant,
    pub last_first_sent_us: AtomicU64,
    pub answer_spread: Duration,
    pub join_spread: Duration,
    /// Phones in the run.
    pub n: usize,
}

/// Where in `[0, 1)` participant `index` falls, spread evenly but not in index order.
fn spread_point(index: usize, n: usize) -> f64 {
    // A multiplicative permutation of 0..n (Knuth's constant), so neighbours in index
    // order are not neighbours in time.
    let n = n.max(1) as u64;
    ((index as u64).wrapping_mul(2_654_435_761) % n) as f64 / n as f64
}

/// One simulated phone: joins (holding a connection permit from `gate` until it is in),
/// answers the first question once and the second three times, keeps changing its
/// answer while `soak` lasts, reports what it did, and stays connected until `close`.
#[allow(clippy::too_many_arguments)]
pub async fn participant(
    addr: SocketAddr,
    code: String,
    index: usize,
    soak: bool,
    gate: Arc<tokio::sync::Semaphore>,
    shared: Arc<Shared>,
    reports: mpsc::UnboundedSender<(usize, Report)>,
    mut close: watch::Receiver<bool>,
) {
    // Limit how many handshakes are in flight, as phones arriving over Wi-Fi would; the
    // permit is released once joined.
    if !shared.join_spread.is_zero() {
        let n = shared.n;
        tokio::time::sleep(shared.join_spread.mul_f64(spread_point(index, n))).await;
    }
    let permit = gate.acquire_owned().await.expect("semaphore");
    let mut ws = connect(addr, Some(phone_address(index))).await;
    send(
        &mut ws,
        &ClientMessage::Join {
            version: PROTOCOL_VERSION,
            code,
            token: None,
        },
    )
    .await;
    let token = loop {
        if let ServerMessage::Welcome {
            token: Some(token), ..
        } = recv(&mut ws).await
        {
            break token;
        }
    };
    drop(permit);
    let _ = reports.send((index, Report::Joined { token }));

    let mut latencies: Vec<(Duration, u8)> = Vec::with_capacity(4);
    let answer_and_wait = async |ws: &mut Ws,
                                 latencies: &mut Vec<(Duration, u8)>,
                                 question_id: &str,
                                 option: u32,
                                 phase: u8| {
        let sent = Instant::now();
        send(
            ws,
            &ClientMessage::SubmitAnswer {
                question_id: question_id.to_string(),
                answer: Answer::Choice { option },
            },
        )
        .await;
        let acked = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                match recv_frame(ws).await {
                    ServerMessage::AnswerAccepted { question_id: id } if id == question_id => {
                        break;
                    }
                    ServerMessage::Error { code, message } => {
                        panic!("answer refused: {code:?} {message}")
                    }
                    _ => {}
                }
            }
        })
        .await;
        match acked {
            Ok(()) => latencies.push((sent.elapsed(), phase)),
            Err(_) => {
                shared.unacknowledged.fetch_add(1, Ordering::Relaxed);
            }
        }
    };

    let wait_open = async |ws: &mut Ws, question_id: &str| {
        let open = async {
            loop {
                if let ServerMessage::State(state) = recv_frame(ws).await
                    && state.phase == Phase::Open
                    && state.question.as_ref().is_some_and(|q| q.id == question_id)
                {
                    return;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(120), open)
            .await
            .expect("the question opens within 120 s");
    };

    wait_open(&mut ws, "first").await;
    let first = index as u32 % N_OPTIONS;
    if !shared.answer_spread.is_zero() {
        let n = shared.n;
        tokio::time::sleep(shared.answer_spread.mul_f64(spread_point(index, n))).await;
    }
    let sent_us = shared.epoch.elapsed().as_micros() as u64;
    shared
        .last_first_sent_us
        .fetch_max(sent_us, Ordering::Relaxed);
    answer_and_wait(&mut ws, &mut latencies, "first", first, 0).await;

    wait_open(&mut ws, "second").await;
    let mut second = (index as u32 + 1) % N_OPTIONS;
    answer_and_wait(&mut ws, &mut latencies, "second", second, 1).await;
    for _ in 0..2 {
        second = (second + 1) % N_OPTIONS;
        answer_and_wait(&mut ws, &mut latencies, "second", second, 2).await;
    }

    let mut soak_changes = 0;
    if soak {
        while !shared.soak_over.load(Ordering::Relaxed) {
            second = (second + 1) % N_OPTIONS;
            answer_and_wait(&mut ws, &mut latencies, "second", second, 3).await;
            soak_changes += 1;
            // About one change per participant per second: a hall changing its mind.
            tokio::time::sleep(Duration::from_millis(500 + (index % 1000) as u64)).await;
        }
    }
    let _ = reports.send((
        index,
        Report::Done {
            first,
            second,
            soak_changes,
            latencies,
        },
    ));
    // Stay connected until everything is measured, then leave.
    let _ = close.wait_for(|closed| *closed).await;
    let _ = ws.close(None).await;
}
