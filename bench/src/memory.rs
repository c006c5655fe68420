//! `--memory-soak`: does the server give memory back? Runs many short sessions (each
//! created, joined by a few phones, answered and ended) and then connections from very
//! many distinct client addresses (each tries a join code that matches nothing, which
//! the per-address limits remember), and prints the server's resident memory at the
//! baseline, its peak, right after, and after the idle wait in which ended sessions leave
//! memory and remembered addresses are forgotten. The server child runs with short
//! timings (a session leaves memory after 2 s unused, addresses are swept every second,
//! a new participant's budget refills in a second) so the wait is seconds, not the
//! defaults' minutes; what is freed is the same. A program, not a test: it asserts
//! nothing about memory, it prints it (`docs/performance.md`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pejling_wire::{Action, Answer, ClientMessage, PROTOCOL_VERSION, Phase, ServerMessage};

use crate::phone::{self, Ws, connect, recv, send, session_state};
use crate::server::ServerProcess;

/// How long an unused session stays in memory, how often addresses are swept and how
/// fast a new participant's budget refills, in the server child of this mode.
pub const SESSION_IDLE: Duration = Duration::from_secs(2);
pub const SWEEP: Duration = Duration::from_secs(1);
pub const PARTICIPANT_REFILL: Duration = Duration::from_secs(1);

/// The server child's limits in this mode: the defaults with the timings above.
pub fn limits() -> pejling::limits::Limits {
    let defaults = pejling::limits::Limits::default();
    pejling::limits::Limits {
        session_idle: SESSION_IDLE,
        sweep_interval: SWEEP,
        new_participants: pejling::limits::Rate::new(
            defaults.new_participants.burst,
            PARTICIPANT_REFILL,
        ),
        ..defaults
    }
}

/// Facilitators running sessions side by side.
const FACILITATORS: usize = 40;
/// Sessions one facilitator connection runs before it makes way for a new one (from a
/// new address): three messages a session stay within a connection's burst of 40.
const SESSIONS_PER_CONNECTION: usize = 10;
/// Phones per session.
const PHONES: usize = 3;
/// Connections in flight at once in the address phase.
const CONCURRENCY: usize = 500;
/// The idle wait: long enough for every session to leave memory and every address to
/// be forgotten, with room to spare.
const IDLE_WAIT: Duration = Duration::from_secs(20);

/// Distinct loopback addresses: 127.100.0.1 on for the sessions' phones, 127.150.0.1
/// on for facilitators, 127.20.0.1 on for the address phase (Linux routes all of 127/8
/// to the loopback device).
fn address(base: u8, n: usize) -> IpAddr {
    let n = n as u32 + 1;
    Ipv4Addr::new(127, base + (n >> 16) as u8, (n >> 8) as u8, n as u8).into()
}

/// Resident memory now, in MB (VmRSS).
fn rss(server: &ServerProcess) -> f64 {
    server.memory_mb().1
}

pub async fn run(sessions: usize, addresses: usize, rounds: usize) {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::create_dir_all(dir.path().join("questions")).unwrap();
    std::fs::write(dir.path().join("questions/load.toml"), crate::run::SET).unwrap();
    let server = ServerProcess::start_for_memory(dir.path());
    let addr = server.addr;
    println!(
        "pejling-load --memory-soak: {rounds} rounds of {sessions} sessions of {PHONES} phones and {addresses} addresses, server {addr} (pid {})",
        server.child.id()
    );
    // Warm-up: one session through, so what every run holds (the library, thread pools,
    // the data file's cache) is in the baseline.
    let phones = Arc::new(AtomicUsize::new(0));
    let mut host = facilitator(addr, 0).await;
    one_session(addr, &mut host, &phones).await;
    drop(host);
    tokio::time::sleep(SESSION_IDLE + 2 * SWEEP).await;
    let baseline = rss(&server);
    println!("baseline: {baseline:.1} MB");
    let mut line =
        format!("memory_soak sessions={sessions} addresses={addresses} baseline_mb={baseline:.1}");
    for round in 1..=rounds {
        let (after_sessions, after_addresses, after_idle) =
            one_round(&server, sessions, addresses, round, &phones).await;
        let (peak, _) = server.memory_mb();
        line.push_str(&format!(
            " r{round}_after_sessions_mb={after_sessions:.1} r{round}_after_addresses_mb={after_addresses:.1} r{round}_after_idle_mb={after_idle:.1} r{round}_peak_mb={peak:.1}"
        ));
    }
    println!("{line}");
    server.stop();
}

/// One round: the sessions, then the addresses (new ones each round), then the idle
/// wait; returns the resident memory (MB) after each.
async fn one_round(
    server: &ServerProcess,
    sessions: usize,
    addresses: usize,
    round: usize,
    phones: &Arc<AtomicUsize>,
) -> (f64, f64, f64) {
    let addr = server.addr;
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..FACILITATORS {
        let share = sessions / FACILITATORS + usize::from(worker < sessions % FACILITATORS);
        let phones = phones.clone();
        workers.push(tokio::spawn(async move {
            let mut host = facilitator(addr, worker + 1).await;
            for n in 0..share {
                if n > 0 && n % SESSIONS_PER_CONNECTION == 0 {
                    host = facilitator(addr, (worker + 1) * 1000 + n).await;
                }
                one_session(addr, &mut host, &phones).await;
            }
        }));
    }
    for worker in workers {
        worker.await.expect("a facilitator");
    }
    let after_sessions = rss(server);
    println!(
        "round {round}: {sessions} sessions run and ended in {:.1} s: {after_sessions:.1} MB",
        started.elapsed().as_secs_f64()
    );

    let gate = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut guesses = Vec::with_capacity(addresses);
    let phase = Instant::now();
    // 127.20.x.x and 127.21.x.x in the first round, 127.22… in the second.
    let base = 20 + 2 * (round as u8 - 1);
    for n in 0..addresses {
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        guesses.push(tokio::spawn(async move {
            guess(addr, address(base, n)).await;
            drop(permit);
        }));
    }
    for guess in guesses {
        guess.await.expect("a guess");
    }
    let after_addresses = rss(server);
    println!(
        "round {round}: {addresses} addresses connected and tried a code in {:.1} s: {after_addresses:.1} MB (peak so far {:.1} MB)",
        phase.elapsed().as_secs_f64(),
        server.memory_mb().0
    );

    let mut samples = Vec::new();
    let wait = Instant::now();
    while wait.elapsed() < IDLE_WAIT {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.push(format!("{:.1}", rss(server)));
    }
    let after_idle = rss(server);
    println!(
        "round {round}: idle wait ({} s), MB each second: {}",
        IDLE_WAIT.as_secs(),
        samples.join(" ")
    );
    (after_sessions, after_addresses, after_idle)
}

/// A facilitator's connection from an address of its own.
async fn facilitator(addr: SocketAddr, n: usize) -> Ws {
    phone::facilitator(addr, Some(address(150, n))).await
}

/// One short session: created, joined by [`PHONES`] phones (each from an address of its
/// own), its first question answered by all, ended; the phones leave.
async fn one_session(addr: SocketAddr, host: &mut Ws, phones: &AtomicUsize) {
    let code = phone::create_session(host, "memory soak")
        .await
        .session
        .code;
    let mut joined = Vec::new();
    for _ in 0..PHONES {
        let n = phones.fetch_add(1, Ordering::Relaxed);
        let mut ws = connect(addr, Some(address(100, n))).await;
        send(
            &mut ws,
            &ClientMessage::Join {
                version: PROTOCOL_VERSION,
                code: code.clone(),
                token: None,
            },
        )
        .await;
        joined.push(ws);
    }
    send(
        host,
        &ClientMessage::Control {
            action: Action::Open,
        },
    )
    .await;
    while session_state(host).await.phase != Phase::Open {}
    for (i, ws) in joined.iter_mut().enumerate() {
        loop {
            if let ServerMessage::State(state) = recv(ws).await
                && state.phase == Phase::Open
            {
                break;
            }
        }
        send(
            ws,
            &ClientMessage::SubmitAnswer {
                question_id: "first".to_string(),
                answer: Answer::Choice {
                    option: i as u32 % crate::run::N_OPTIONS,
                },
            },
        )
        .await;
        loop {
            match recv(ws).await {
                ServerMessage::AnswerAccepted { .. } => break,
                ServerMessage::Error { code, message } => panic!("{code:?}: {message}"),
                _ => {}
            }
        }
    }
    send(
        host,
        &ClientMessage::Control {
            action: Action::End,
        },
    )
    .await;
    while session_state(host).await.phase != Phase::Ended {}
    for mut ws in joined {
        let _ = ws.close(None).await;
    }
}

/// A device that connects from `from`, tries a join code that matches nothing, reads
/// the refusal and leaves.
async fn guess(addr: SocketAddr, from: IpAddr) {
    let mut ws = connect(addr, Some(from)).await;
    send(
        &mut ws,
        &ClientMessage::Join {
            version: PROTOCOL_VERSION,
            code: "NOSUCH".to_string(),
            token: None,
        },
    )
    .await;
    loop {
        if let ServerMessage::Error { .. } = recv(&mut ws).await {
            break;
        }
    }
    let _ = ws.close(None).await;
}
