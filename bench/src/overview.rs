//! `--overview YEARS`: a coordinator's laptop. Imports YEARS consultants' school years
//! (170 sessions each, made with `pejling_core::exchange::export` from the built-in
//! pupil sets, counts tallied from generated answers) through the HTTP import route, then
//! measures over HTTP the year's overview, the period report and a one-month overview
//! (median and p99 of `--requests` requests each), and a class of 25 answering (ack
//! times) without and then with the coordinator requesting the year's overview back to
//! back. Prints the figures; asserts nothing about time (`docs/performance.md`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use pejling_core::counts::{self, Answered, Tallies};
use pejling_core::overview::OverviewSession;
use pejling_core::questions::{QuestionKind, QuestionSet};
use pejling_core::results::Thresholds;
use pejling_wire::{
    Action, Answer, Audience, ClientMessage, Description, Overview, PROTOCOL_VERSION, ServerMessage,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::phone::{Ws, connect, create_session, facilitator, phone_address, recv, send};
use crate::run::{SET, percentile};
use crate::server::{HOST_TOKEN, ServerProcess};

/// Sessions in one consultant's school year (the figure).
const SESSIONS_PER_YEAR: usize = 170;
/// The school year the sessions are held in, and its busiest month's bounds.
const YEAR: (&str, &str) = ("2025-08-01", "2026-07-31");
const MONTH: (&str, &str) = ("2025-11-01", "2025-11-30");
/// Pupils in the class that answers.
const CLASS: usize = 25;

/// xorshift64*: the same data every run, without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A day of the school year 2025/26 (August to June), the `i`-th of `n` spread evenly.
fn school_day(i: usize, n: usize) -> String {
    const MONTHS: [(u32, u32); 11] = [
        (2025, 8),
        (2025, 9),
        (2025, 10),
        (2025, 11),
        (2025, 12),
        (2026, 1),
        (2026, 2),
        (2026, 3),
        (2026, 4),
        (2026, 5),
        (2026, 6),
    ];
    let days = MONTHS.len() * 28;
    let day = i * days / n.max(1);
    let (year, month) = MONTHS[day / 28];
    format!("{year}-{month:02}-{:02}", day % 28 + 1)
}

/// One consultant's year: `SESSIONS_PER_YEAR` pupil sessions at eight schools, every
/// tenth a follow-up of the class's earlier session, counts tallied from generated
/// answers (some abstaining, some questions skipped).
fn consultant_year(consultant: usize, sets: &[Arc<QuestionSet>]) -> Vec<OverviewSession> {
    let mut random = Random(0x9e37_79b9_7f4a_7c15 ^ (consultant as u64 + 1));
    let mut sessions: Vec<OverviewSession> = Vec::with_capacity(SESSIONS_PER_YEAR);
    for i in 0..SESSIONS_PER_YEAR {
        let earlier = (i % 10 == 9).then(|| sessions[i - 5].clone());
        let set = match &earlier {
            Some(earlier) => earlier.set.clone(),
            None => sets[random.below(sets.len() as u64) as usize].clone(),
        };
        let description = match &earlier {
            Some(earlier) => earlier.description.clone(),
            None => {
                let grade = set
                    .grades
                    .get(random.below(set.grades.len() as u64) as usize)
                    .cloned()
                    .unwrap_or_else(|| "8".to_string());
                let letter = ["a", "b", "c", "d"][random.below(4) as usize];
                Description {
                    school: Some(format!(
                        "Skole {consultant}-{}",
                        ["Nord", "Syd", "Øst", "Vest", "Bakke", "Å", "Skov", "By"]
                            [random.below(8) as usize]
                    )),
                    class: Some(format!("{grade}.{letter}")),
                    grade: Some(grade),
                    term: None,
                }
            }
        };
        let participants = 18 + random.below(11) as u32;
        let mut tallies = Tallies::new();
        let mut answers = 0;
        for question in &set.questions {
            let mut given = Vec::new();
            for _ in 0..participants {
                if random.below(20) == 0 {
                    continue; // skipped
                }
                let answer = if !question.abstain.is_empty() && random.below(15) == 0 {
                    Answer::Abstain {
                        option: random.below(question.abstain.len() as u64) as u32,
                    }
                } else {
                    match &question.kind {
                        QuestionKind::Choice { options } => Answer::Choice {
                            option: random.below(options.len() as u64) as u32,
                        },
                        QuestionKind::Scale { points } => Answer::Scale {
                            point: random.below(points.len() as u64) as u32,
                        },
                        QuestionKind::Percent => Answer::Percent {
                            value: (random.below(60) + random.below(41)) as u32,
                        },
                        QuestionKind::Number { min, max, .. } => Answer::Number {
                            value: min + random.below((max - min + 1) as u64) as i64,
                        },
                    }
                };
                given.push(answer);
            }
            answers += given.len() as u32;
            tallies.insert(
                question.id.clone(),
                Answered::Counts(counts::tally(question, &given)),
            );
        }
        let id = format!("consultant-{consultant}-session-{i}");
        let class = description.class.clone().unwrap_or_default();
        let school = description.school.clone().unwrap_or_default();
        sessions.push(OverviewSession {
            name: format!("{class} {school}"),
            named_by_code: false,
            date: school_day(i, SESSIONS_PER_YEAR),
            description,
            set,
            participants,
            answers,
            tallies,
            rehearsal: false,
            thresholds: Some(Thresholds::default()),
            follow_up_of: earlier.map(|earlier| earlier.id),
            id,
            origin: None,
        });
    }
    sessions
}

/// One HTTP/1.1 request with the host token on a connection of its own; the status and
/// the body.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {HOST_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    stream.write_all(body).await.expect("send");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), stream.read_to_end(&mut response))
        .await
        .expect("an answer within 120 s")
        .expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

/// A chunked body's bytes.
fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = chunked.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&chunked[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        body.extend_from_slice(&chunked[end + 2..end + 2 + size]);
        chunked = &chunked[end + 2 + size + 2..];
    }
    body
}

/// `GET path`, timed; the body is checked to be a `200`.
async fn timed_get(addr: SocketAddr, path: &str) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let (status, body) = http(addr, "GET", path, b"").await;
    let took = started.elapsed();
    assert_eq!(
        status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&body)
    );
    (took, body)
}

/// Median and p99 (ms) of `times`.
fn median_p99(times: &mut [Duration]) -> (f64, f64) {
    times.sort();
    (percentile(times, 50.0), percentile(times, 99.0))
}

/// Runs the coordinator's scenario and prints its figures.
pub async fn run(years: usize, requests: usize, class_seconds: u64) {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::create_dir_all(dir.path().join("questions")).unwrap();
    std::fs::write(dir.path().join("questions/load.toml"), SET).unwrap();
    let server = ServerProcess::start(dir.path(), 0);
    let addr = server.addr;
    println!(
        "pejling-load --overview {years}: server {addr} (pid {})",
        server.child.id()
    );

    // The files: each consultant's year, exported as that consultant's laptop would.
    let (library, _) = pejling::library::Library::load(None);
    let sets: Vec<Arc<QuestionSet>> = library
        .summaries()
        .iter()
        .filter_map(|summary| library.get(&summary.id))
        .map(|entry| entry.set.clone())
        .filter(|set| set.audience == Audience::Pupils)
        .collect();
    let seeding = Instant::now();
    let mut bytes = 0;
    for consultant in 1..=years {
        let year = consultant_year(consultant, &sets);
        let chosen: Vec<&OverviewSession> = year.iter().collect();
        let file = pejling_core::exchange::export(
            &chosen,
            &year,
            &format!("Konsulent {consultant}"),
            "2026-06-26T15:00:00+02:00",
            &Thresholds::default(),
        );
        let json = serde_json::to_vec(&file).expect("a file serializes");
        bytes += json.len();
        let (status, body) = http(addr, "POST", "/api/exchange/import", &json).await;
        assert_eq!(status, 200, "import: {}", String::from_utf8_lossy(&body));
    }
    println!(
        "imported {} sessions ({:.1} MB of exchange files) in {:.1} s",
        years * SESSIONS_PER_YEAR,
        bytes as f64 / 1e6,
        seeding.elapsed().as_secs_f64()
    );

    // (a) The coordinator's requests, one after the other.
    let year = format!("from={}&to={}", YEAR.0, YEAR.1);
    let month = format!("from={}&to={}", MONTH.0, MONTH.1);
    let queries = [
        ("overview_year", format!("/api/overview?{year}")),
        (
            "report_year",
            format!("/api/overview/report.html?{year}&lang=da"),
        ),
        ("overview_month", format!("/api/overview?{month}")),
    ];
    let mut line = format!("imported_sessions={}", years * SESSIONS_PER_YEAR);
    for (name, path) in &queries {
        let (_, body) = timed_get(addr, path).await; // warm-up, and what it counts
        if name.starts_with("overview") {
            let overview: Overview = serde_json::from_slice(&body).expect("an overview");
            println!(
                "{name}: {} sessions, {} pupils, {} pairs",
                overview.total.sessions,
                overview.total.pupils,
                overview.pairs.len()
            );
        }
        let mut times = Vec::with_capacity(requests);
        let cpu = server.cpu_s();
        for _ in 0..requests {
            times.push(timed_get(addr, path).await.0);
        }
        // The server's CPU per request: what a request costs whatever else shares the
        // cores (the times above include waiting for them).
        let cpu_ms = (server.cpu_s() - cpu) * 1e3 / requests.max(1) as f64;
        let (median, p99) = median_p99(&mut times);
        println!(
            "{name}: median {median:.1} ms, p99 {p99:.1} ms over {requests} requests; \
             server CPU {cpu_ms:.1} ms per request"
        );
        line.push_str(&format!(
            " {name}_p50_ms={median:.1} {name}_p99_ms={p99:.1} {name}_cpu_ms={cpu_ms:.1}"
        ));
    }

    // (b) A class answering, alone and then beside the coordinator.
    let (alone, beside, overviews) = class(addr, class_seconds).await;
    for (name, mut acks) in [("alone", alone), ("beside_overview", beside)] {
        let n = acks.len();
        let (median, p99) = median_p99(&mut acks);
        println!(
            "class of {CLASS}, {name}: {n} answers, ack median {median:.2} ms, p99 {p99:.2} ms"
        );
        line.push_str(&format!(
            " ack_{name}_p50_ms={median:.2} ack_{name}_p99_ms={p99:.2}"
        ));
    }
    println!("overviews requested beside the class: {overviews}");
    server.stop();
    println!("{line}");
}

/// A class of `CLASS` phones changing their answers for `seconds` alone, then `seconds`
/// more while the coordinator requests the year's overview back to back; each phase's
/// acknowledgement times, and how many overviews were answered meanwhile.
async fn class(addr: SocketAddr, seconds: u64) -> (Vec<Duration>, Vec<Duration>, usize) {
    let mut host = facilitator(addr, None).await;
    let code = create_session(&mut host, "overview benchmark")
        .await
        .session
        .code;
    let mut phones = Vec::with_capacity(CLASS);
    for index in 0..CLASS {
        let mut ws = connect(addr, Some(phone_address(index))).await;
        send(
            &mut ws,
            &ClientMessage::Join {
                version: PROTOCOL_VERSION,
                code: code.clone(),
                token: None,
            },
        )
        .await;
        while !matches!(recv(&mut ws).await, ServerMessage::Welcome { .. }) {}
        phones.push(ws);
    }
    send(
        &mut host,
        &ClientMessage::Control {
            action: Action::Open,
        },
    )
    .await;
    // The facilitator's connection keeps being read, as the console does.
    let host_task = tokio::spawn(async move {
        while let Some(Ok(_)) = futures_util::StreamExt::next(&mut host).await {}
    });
    // 0: alone, 1: beside the coordinator, 2: over.
    let phase = Arc::new(AtomicU8::new(0));
    let mut tasks = Vec::with_capacity(CLASS);
    for (index, ws) in phones.into_iter().enumerate() {
        tasks.push(tokio::spawn(pupil(ws, index, phase.clone())));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    phase.store(1, Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let coordinator = {
        let stop = stop.clone();
        let path = format!("/api/overview?from={}&to={}", YEAR.0, YEAR.1);
        tokio::spawn(async move {
            let mut answered = 0;
            while !stop.load(Ordering::Relaxed) {
                timed_get(addr, &path).await;
                answered += 1;
            }
            answered
        })
    };
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    phase.store(2, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let overviews = coordinator.await.expect("coordinator");
    let (mut alone, mut beside) = (Vec::new(), Vec::new());
    for task in tasks {
        let (a, b) = task.await.expect("pupil");
        alone.extend(a);
        beside.extend(b);
    }
    host_task.abort();
    (alone, beside, overviews)
}

/// One pupil changing its answer about three times a second until the phase is over; its
/// acknowledgement times per phase.
async fn pupil(mut ws: Ws, index: usize, phase: Arc<AtomicU8>) -> (Vec<Duration>, Vec<Duration>) {
    let (mut alone, mut beside) = (Vec::new(), Vec::new());
    // The question opens after the phones joined; wait for it.
    loop {
        if let ServerMessage::State(state) = recv(&mut ws).await
            && state.phase == pejling_wire::Phase::Open
        {
            break;
        }
    }
    let mut option = index as u32;
    loop {
        let now = phase.load(Ordering::Relaxed);
        if now == 2 {
            break;
        }
        option = (option + 1) % crate::run::N_OPTIONS;
        let sent = Instant::now();
        send(
            &mut ws,
            &ClientMessage::SubmitAnswer {
                question_id: "first".to_string(),
                answer: Answer::Choice { option },
            },
        )
        .await;
        loop {
            match recv(&mut ws).await {
                ServerMessage::AnswerAccepted { .. } => break,
                ServerMessage::Error { code, message } => {
                    panic!("answer refused: {code:?} {message}")
                }
                _ => {}
            }
        }
        let took = sent.elapsed();
        match now {
            0 => alone.push(took),
            _ => beside.push(took),
        }
        // Pupils tap at their own pace: 250–450 ms apart.
        tokio::time::sleep(Duration::from_millis(250 + (index as u64 * 37) % 200)).await;
    }
    (alone, beside)
}
