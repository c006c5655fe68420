//! `pejling-load`: a load benchmark for a whole school hall on one laptop.
//!
//! Starts the server as a child process (this same binary in server mode) on loopback with
//! a fresh data file, connects N simulated participants over real WebSockets, and runs:
//! all join; the facilitator opens a single-choice question; everyone answers; then a
//! second question where everyone changes the answer twice. It prints the figures and a
//! last line of `key=value` pairs (see `docs/performance.md`). `--soak-seconds S` adds a
//! phase where every participant keeps changing its answer for S seconds while the
//! server's memory is sampled.
//!
//! *lost* counts acknowledged answers missing from the database or from the
//! facilitator's final tally; *duplicated* counts answers counted more than once (rows
//! or tally counts beyond one per participant). The benchmark is a program, not a test:
//! it asserts nothing about time.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use pejling_core::engine::ParticipantKey;
use pejling_wire::{
    Action, Answer, ClientMessage, Distribution, PROTOCOL_VERSION, Phase, ServerMessage, Tally,
};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const HOST_TOKEN: &str = "load-benchmark-host-token";
const SET_ID: &str = "load-benchmark";
const N_OPTIONS: u32 = 3;
const SET: &str = r#"
format = 1
id = "load-benchmark"
title = "Load benchmark"
language = "da"
audience = "pupils"
grades = ["9"]

[[questions]]
id = "first"
kind = "choice"
text = "Første spørgsmål"
options = ["A", "B", "C"]

[[questions]]
id = "second"
kind = "choice"
text = "Andet spørgsmål"
options = ["A", "B", "C"]
"#;

#[derive(Parser, Debug)]
#[command(about = "Load benchmark: N simulated participants against a local pejling server")]
struct Args {
    /// Simulated participants (phones) to connect.
    #[arg(long, default_value_t = 2000)]
    participants: usize,
    /// Simulated clicker devices beside the phones, voting through the server's loopback
    /// bridge port (`pejling simulate-clickers`, with a little loss, duplication and
    /// reordering); each answers both questions once.
    #[arg(long, default_value_t = 0)]
    clickers: usize,
    /// After the two questions, every participant keeps changing its answer for this many
    /// seconds while the server's memory is sampled every 5 s.
    #[arg(long, default_value_t = 0)]
    soak_seconds: u64,
    /// Connections opened at the same time while joining.
    #[arg(long, default_value_t = 500)]
    connect_concurrency: usize,
    /// The first question's answers are spread uniformly over this many milliseconds
    /// after it opens, as people tap (0: everyone at once).
    #[arg(long, default_value_t = 0)]
    answer_spread_ms: u64,
    /// Joins are spread uniformly over this many milliseconds (0: as fast as the
    /// connection limit lets them).
    #[arg(long, default_value_t = 0)]
    join_spread_ms: u64,
    /// Internal: run as the server child process.
    #[arg(long, hide = true)]
    internal_serve: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    // 10,000 sockets on each side need more than the usual 1,024 open files.
    let nofile = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    if let Some(dir) = args.internal_serve {
        return serve_child(&dir, args.clickers > 0);
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(args, nofile));
}

/// The server child: the library's `start` on loopback, printing its address.
fn serve_child(dir: &Path, clickers: bool) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let running = pejling::start(pejling::Config {
            bind: [127, 0, 0, 1].into(),
            port: 0,
            data: dir.join("load.db"),
            questions: Some(dir.join("questions")),
            public_url: None,
            host_token: Some(HOST_TOKEN.to_string()),
            thresholds: pejling_core::results::Thresholds::default(),
            // The server's own defaults: the simulated phones each have their own address.
            limits: pejling::limits::Limits::default(),
            clickers: if clickers {
                vec![pejling::clicker::ClickerSpec::Tcp(0)]
            } else {
                Vec::new()
            },
        })
        .await
        .expect("server starts");
        for bridge in &running.clicker_addrs {
            println!("BRIDGE={bridge}");
        }
        println!("ADDR={}", running.addr);
        running.run_until_ctrl_c().await;
    });
}

struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    bridge: Option<SocketAddr>,
}

impl ServerProcess {
    fn start(dir: &Path, clickers: usize) -> ServerProcess {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .arg("--internal-serve")
            .arg(dir)
            .args(["--clickers", &clickers.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut bridge = None;
        let addr = loop {
            let line = lines
                .next()
                .expect("server prints its address")
                .expect("read");
            if let Some(addr) = line.strip_prefix("BRIDGE=") {
                bridge = Some(addr.parse().expect("an address"));
            }
            if let Some(addr) = line.strip_prefix("ADDR=") {
                break addr.parse().expect("an address");
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess {
            child,
            addr,
            bridge,
        }
    }

    /// Peak resident memory (VmHWM) and current (VmRSS), in MB.
    fn memory_mb(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// User plus system CPU time so far, in seconds.
    fn cpu_s(&self) -> f64 {
        Cpu::of(self.child.id()).total()
    }

    /// Stops the server with Ctrl-C (SIGINT) so it closes the data file cleanly.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// A process's CPU time so far, in seconds, from `/proc/PID/stat`.
#[derive(Clone, Copy, Default)]
struct Cpu {
    user: f64,
    system: f64,
}

impl Cpu {
    fn of(pid: u32) -> Cpu {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the parenthesised command name; utime and stime are the 14th and
        // 15th fields of the line, in clock ticks (100 per second on Linux).
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        Cpu {
            user: ticks(11) / 100.0,
            system: ticks(12) / 100.0,
        }
    }

    fn total(self) -> f64 {
        self.user + self.system
    }

    fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
        }
    }
}

impl std::fmt::Display for Cpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} s ({:.2} user, {:.2} system)",
            self.total(),
            self.user,
            self.system
        )
    }
}

/// CPU of the server and of the load generator at a point of the run.
#[derive(Clone, Copy, Default)]
struct CpuMark {
    server: Cpu,
    generator: Cpu,
}

impl CpuMark {
    fn now(server: &ServerProcess) -> CpuMark {
        CpuMark {
            server: Cpu::of(server.child.id()),
            generator: Cpu::of(std::process::id()),
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The loopback source address of simulated phone `index`: every phone its own address
/// in 127.0.0.0/8, as a hall's phones each have their own on the Wi-Fi, so the server's
/// per-address limits apply as they would there (`None`: the facilitator, 127.0.0.1).
fn phone_address(index: usize) -> std::net::IpAddr {
    let n = index as u32 + 1;
    std::net::Ipv4Addr::new(127, 1 + (n >> 16) as u8, (n >> 8) as u8, n as u8).into()
}

async fn connect(addr: SocketAddr, from: Option<std::net::IpAddr>) -> Ws {
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

async fn send(ws: &mut Ws, message: &ClientMessage) {
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
async fn recv(ws: &mut Ws) -> ServerMessage {
    tokio::time::timeout(Duration::from_secs(120), recv_frame(ws))
        .await
        .expect("a message within 120 s")
}

/// What one participant reports.
enum Report {
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

struct Shared {
    /// Set when the soak phase should stop.
    soak_over: AtomicBool,
    /// Answers sent without an acknowledgement within the deadline.
    unacknowledged: AtomicU64,
    /// The run's clock, and the latest moment (µs on it) a first answer was sent.
    epoch: Instant,
    last_first_sent_us: AtomicU64,
    answer_spread: Duration,
    join_spread: Duration,
    /// Phones in the run.
    n: usize,
}

/// Where in `[0, 1)` participant `index` falls, spread evenly but not in index order.
fn spread_point(index: usize, n: usize) -> f64 {
    // A multiplicative permutation of 0..n (Knuth's constant), so neighbours in index
    // order are not neighbours in time.
    let n = n.max(1) as u64;
    ((index as u64).wrapping_mul(2_654_435_761) % n) as f64 / n as f64
}

#[allow(clippy::too_many_arguments)]
async fn participant(
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

/// The simulated clickers' final answers to question `number`, when every device has
/// its acknowledgement.
async fn clicker_truth(
    truths: &mut mpsc::UnboundedReceiver<pejling::simulate::QuestionTruth>,
    number: u32,
) -> Option<std::collections::BTreeMap<String, String>> {
    let truth = tokio::time::timeout(Duration::from_secs(120), truths.recv())
        .await
        .ok()
        .flatten();
    match truth {
        Some(truth) if truth.number == number && truth.complete => Some(truth.answers),
        _ => {
            println!("the clickers did not finish question {number}");
            None
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank].as_secs_f64() * 1000.0
}

fn choice_counts(tally: &Tally) -> Vec<u32> {
    match tally.question.as_ref().and_then(|q| q.result.as_ref()) {
        Some(result) => match &result.distribution {
            Distribution::Choice { counts } => counts.clone(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// The facilitator's tally of `question_id` once it is closed. The facilitator's socket
/// still holds the tallies sent while everyone was answering, so the fresh tally is the
/// first one after the state that shows `question_id` closed: everything acknowledged
/// had been counted before that state was sent.
async fn closed_tally(ws: &mut Ws, session_id: &str, question_id: &str) -> Tally {
    send(
        ws,
        &ClientMessage::AttachSession {
            session_id: session_id.to_string(),
        },
    )
    .await;
    let mut seen_state = false;
    loop {
        match recv(ws).await {
            ServerMessage::SessionState(state) => {
                seen_state = state.phase == Phase::Closed
                    && state.current.as_ref().is_some_and(|q| q.id == question_id);
            }
            ServerMessage::Tally(tally) if seen_state => return tally,
            _ => {}
        }
    }
}

async fn run(args: Args, nofile: u64) {
    let n = args.participants;
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::create_dir_all(dir.path().join("questions")).unwrap();
    std::fs::write(dir.path().join("questions/load.toml"), SET).unwrap();
    let run_started = Instant::now();
    let server = ServerProcess::start(dir.path(), args.clickers);
    let addr = server.addr;
    println!(
        "pejling-load: {n} participants, server {addr} (pid {}), open-files limit {nofile}",
        server.child.id()
    );

    let mut host = connect(addr, None).await;
    send(
        &mut host,
        &ClientMessage::Host {
            version: PROTOCOL_VERSION,
            host_token: HOST_TOKEN.to_string(),
        },
    )
    .await;
    send(
        &mut host,
        &ClientMessage::CreateSession {
            set_id: SET_ID.to_string(),
            label: Some("load benchmark".to_string()),
            linked_sessions: Vec::new(),
        },
    )
    .await;
    let session = loop {
        if let ServerMessage::SessionState(state) = recv(&mut host).await {
            break state.session;
        }
    };

    // Simulated clickers vote through the bridge port once questions open.
    let (clicker_done, mut clicker_truths) = mpsc::unbounded_channel();
    if let Some(bridge) = server.bridge {
        let options = pejling::simulate::Options {
            devices: args.clickers,
            loss: 0.05,
            duplicate: 0.02,
            reorder: 0.02,
            change: 0.0,
            seed: 1,
            questions: 2,
        };
        tokio::spawn(pejling::simulate::run(bridge, options, Some(clicker_done)));
    } else {
        drop(clicker_done);
    }
    let clickers = args.clickers;

    // Everyone joins.
    let shared = Arc::new(Shared {
        soak_over: AtomicBool::new(false),
        unacknowledged: AtomicU64::new(0),
        epoch: Instant::now(),
        last_first_sent_us: AtomicU64::new(0),
        answer_spread: Duration::from_millis(args.answer_spread_ms),
        join_spread: Duration::from_millis(args.join_spread_ms),
        n,
    });
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let (close_tx, close_rx) = watch::channel(false);
    let join_started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency));
    let mut tasks = Vec::with_capacity(n);
    for index in 0..n {
        let (code, shared, reports_tx, close_rx, gate) = (
            session.code.clone(),
            shared.clone(),
            reports_tx.clone(),
            close_rx.clone(),
            gate.clone(),
        );
        let soak = args.soak_seconds > 0;
        tasks.push(tokio::spawn(participant(
            addr, code, index, soak, gate, shared, reports_tx, close_rx,
        )));
    }
    drop(reports_tx);
    let mut tokens: Vec<String> = vec![String::new(); n];
    let mut latencies: Vec<Duration> = Vec::with_capacity(n * 4);
    let mut by_phase: [Vec<Duration>; 4] = Default::default();
    let mut joined = 0;
    while joined < n {
        let (index, report) = reports.recv().await.expect("participants report");
        if let Report::Joined { token } = report {
            tokens[index] = token;
            joined += 1;
        }
    }
    let joined_s = join_started.elapsed().as_secs_f64();
    let cpu_joined = CpuMark::now(&server);
    println!("joined: {n} in {joined_s:.3} s");

    // First question: everyone answers once.
    send(
        &mut host,
        &ClientMessage::Control {
            action: Action::Open,
        },
    )
    .await;
    let opened = Instant::now();
    loop {
        if let ServerMessage::Tally(tally) = recv(&mut host).await
            && tally
                .question
                .as_ref()
                .is_some_and(|q| q.question_id == "first" && q.answered as usize == n + clickers)
        {
            break;
        }
    }
    let open_to_all_answered_s = opened.elapsed().as_secs_f64();
    // The last phone's tap → the facilitator sees everyone (with clickers, the last
    // phone's tap only).
    let last_sent_to_all_s = (shared.epoch.elapsed().as_micros() as u64)
        .saturating_sub(shared.last_first_sent_us.load(Ordering::Relaxed))
        as f64
        / 1e6;
    let cpu_first = CpuMark::now(&server);
    // Like a facilitator, wait until every clicker has its acknowledgement before moving
    // on (stored is not enough: a device whose acknowledgement was lost still retries).
    let mut clicker_answers: Vec<std::collections::BTreeMap<String, String>> = Vec::new();
    if clickers > 0 {
        clicker_answers.extend(clicker_truth(&mut clicker_truths, 1).await);
    }
    println!("open → all {n} answered in the facilitator's tally: {open_to_all_answered_s:.3} s");
    println!(
        "last answer sent → the facilitator sees all: {:.1} ms (answers spread over {} ms)",
        last_sent_to_all_s * 1e3,
        args.answer_spread_ms
    );

    // Second question: everyone answers and changes twice (and soaks, if asked).
    send(
        &mut host,
        &ClientMessage::Control {
            action: Action::Next,
        },
    )
    .await;
    let second_started = Instant::now();
    let mut soak_samples = Vec::new();
    if args.soak_seconds > 0 {
        let soak_started = Instant::now();
        let mut next_sample = soak_started;
        while soak_started.elapsed() < Duration::from_secs(args.soak_seconds) {
            if Instant::now() >= next_sample {
                let (_, rss) = server.memory_mb();
                soak_samples.push((soak_started.elapsed().as_secs(), rss));
                next_sample += Duration::from_secs(5);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            // Keep the facilitator's socket drained.
            while let Ok(Some(Ok(_))) =
                tokio::time::timeout(Duration::from_millis(1), host.next()).await
            {}
        }
        shared.soak_over.store(true, Ordering::Relaxed);
        let (_, rss) = server.memory_mb();
        soak_samples.push((soak_started.elapsed().as_secs(), rss));
    }
    let mut finals: HashMap<usize, (u32, u32)> = HashMap::with_capacity(n);
    let mut soak_changes = 0;
    while finals.len() < n {
        let Some((index, report)) = reports.recv().await else {
            break;
        };
        match report {
            Report::Done {
                first,
                second,
                soak_changes: changes,
                latencies: acks,
            } => {
                for (latency, phase) in acks {
                    latencies.push(latency);
                    by_phase[phase as usize].push(latency);
                }
                finals.insert(index, (first, second));
                soak_changes += changes;
            }
            Report::Joined { .. } => {}
        }
    }
    let cpu_second = CpuMark::now(&server);
    println!(
        "second question with two changes each: {:.3} s",
        second_started.elapsed().as_secs_f64()
    );
    // Where the two cores went, phase by phase (the generator's own share is the cost
    // of simulating the phones on the same machine).
    for (phase, from, to) in [
        ("start and joining", CpuMark::default(), cpu_joined),
        ("first question", cpu_joined, cpu_first),
        ("second question", cpu_first, cpu_second),
    ] {
        let server_cpu = to.server.since(from.server);
        let generator_cpu = to.generator.since(from.generator);
        println!("CPU, {phase}: server {server_cpu}, load generator {generator_cpu}");
    }

    if clickers > 0 {
        clicker_answers.extend(clicker_truth(&mut clicker_truths, 2).await);
    }
    // The facilitator's final tallies against the ground truth.
    send(
        &mut host,
        &ClientMessage::Control {
            action: Action::Close,
        },
    )
    .await;
    let mut expected = [
        vec![0u32; N_OPTIONS as usize],
        vec![0u32; N_OPTIONS as usize],
    ];
    for (first, second) in finals.values() {
        expected[0][*first as usize] += 1;
        expected[1][*second as usize] += 1;
    }
    // The clickers' final answers (the simulation reports each question when every
    // device has its acknowledgement).
    for (q, answers) in clicker_answers.iter().enumerate() {
        for answer in answers.values() {
            if let Ok(option) = answer.parse::<usize>() {
                expected[q][option] += 1;
            }
        }
    }
    let second_tally = closed_tally(&mut host, &session.id, "second").await;
    send(
        &mut host,
        &ClientMessage::Control {
            action: Action::Previous,
        },
    )
    .await;
    let first_tally = closed_tally(&mut host, &session.id, "first").await;
    let mut lost = 0u64;
    let mut duplicated = 0u64;
    for (tally, expected) in [(&first_tally, &expected[0]), (&second_tally, &expected[1])] {
        let counts = choice_counts(tally);
        if counts != *expected {
            println!(
                "tally mismatch: expected {expected:?}, facilitator's tally {counts:?} {:?}",
                tally
                    .question
                    .as_ref()
                    .map(|q| (&q.question_id, q.answered))
            );
        }
        for (i, want) in expected.iter().enumerate() {
            let got = counts.get(i).copied().unwrap_or(0);
            lost += u64::from(want.saturating_sub(got));
            duplicated += u64::from(got.saturating_sub(*want));
        }
    }
    let lost_tally = lost;
    let (rss_peak_mb, _) = server.memory_mb();
    let cpu_s = server.cpu_s();
    let _ = close_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    server.stop();

    // The database against the ground truth, participant by participant.
    let store = pejling::store::Store::open(&dir.path().join("load.db")).expect("open data");
    let stored = store
        .load(&session.id)
        .expect("read session")
        .expect("session stored");
    let mut by_participant: HashMap<(String, ParticipantKey), u32> = HashMap::new();
    let mut rows_per_question: HashMap<String, usize> = HashMap::new();
    for (question_id, key, answer) in stored.answers {
        *rows_per_question.entry(question_id.clone()).or_default() += 1;
        if let Answer::Choice { option } = answer {
            by_participant.insert((question_id, key), option);
        }
    }
    for (index, (first, second)) in &finals {
        let key = ParticipantKey::of_token(&tokens[*index]);
        for (question_id, want) in [("first", first), ("second", second)] {
            if by_participant.get(&(question_id.to_string(), key)) != Some(want) {
                lost += 1;
            }
        }
    }
    // A clicker device's token is derived from the server's key file, beside the data.
    let secrets = pejling::secrets::Secrets::load_or_create(&pejling::secrets::Secrets::path_for(
        &dir.path().join("load.db"),
    ))
    .expect("the server's key file");
    for (q, answers) in clicker_answers.iter().enumerate() {
        let question_id = ["first", "second"][q];
        for (device, answer) in answers {
            let key = ParticipantKey::of_token(
                &secrets.clicker_token(&session.id, &format!("sim:{device}")),
            );
            let want = answer.parse::<u32>().ok();
            if by_participant.get(&(question_id.to_string(), key)).copied() != want {
                lost += 1;
            }
        }
    }
    lost += (clickers * 2).saturating_sub(clicker_answers.iter().map(|a| a.len()).sum()) as u64;
    let lost_db = lost - lost_tally;
    let everyone = n + clickers;
    for question_id in ["first", "second"] {
        duplicated += rows_per_question
            .get(question_id)
            .copied()
            .unwrap_or(0)
            .saturating_sub(everyone) as u64;
    }
    lost += shared.unacknowledged.load(Ordering::Relaxed);
    lost += (n - finals.len()) as u64;
    if stored.participants.len() != everyone {
        duplicated += stored.participants.len().saturating_sub(everyone) as u64;
        lost += everyone.saturating_sub(stored.participants.len()) as u64;
    }

    println!(
        "check: lost in tally {lost_tally}, lost in database {lost_db}, unacknowledged {}, unfinished {}, stored participants {}",
        shared.unacknowledged.load(Ordering::Relaxed),
        n - finals.len(),
        stored.participants.len()
    );
    latencies.sort_unstable();
    let ack_p50_ms = percentile(&latencies, 50.0);
    let ack_p99_ms = percentile(&latencies, 99.0);
    println!(
        "acknowledgements: {} (p50 {ack_p50_ms:.1} ms, p99 {ack_p99_ms:.1} ms, max {:.1} ms)",
        latencies.len(),
        percentile(&latencies, 100.0)
    );
    for (name, mut phase) in [
        "first answers",
        "second question, first answers",
        "second question, changes",
        "soak changes",
    ]
    .into_iter()
    .zip(by_phase)
    {
        if phase.is_empty() {
            continue;
        }
        phase.sort_unstable();
        println!(
            "  {name}: {} (p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms)",
            phase.len(),
            percentile(&phase, 50.0),
            percentile(&phase, 99.0),
            percentile(&phase, 100.0)
        );
    }
    if !soak_samples.is_empty() {
        let samples: Vec<String> = soak_samples
            .iter()
            .map(|(s, mb)| format!("{s}s:{mb:.1}MB"))
            .collect();
        println!(
            "soak: {soak_changes} answer changes in {} s; server RSS {}",
            args.soak_seconds,
            samples.join(" ")
        );
    }
    println!(
        "whole run: {:.1} s; server peak RSS {rss_peak_mb:.1} MB, CPU {cpu_s:.2} s",
        run_started.elapsed().as_secs_f64()
    );
    if clickers > 0 {
        println!("clickers: {clickers} simulated devices through the bridge port, counted above");
    }
    println!(
        "participants={n} joined_s={joined_s:.3} open_to_all_answered_s={open_to_all_answered_s:.3} last_sent_to_all_ms={:.1} ack_p50_ms={ack_p50_ms:.1} ack_p99_ms={ack_p99_ms:.1} server_rss_mb={rss_peak_mb:.1} server_cpu_s={cpu_s:.2} lost={lost} duplicated={duplicated}",
        last_sent_to_all_s * 1e3
    );
}
