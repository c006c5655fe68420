//! The scenario: set up a session, let everyone join, run the two questions (and the
//! soak), compare the facilitator's final tallies and the data file with the ground truth
//! the run kept, and print the report. Each step is a function below, in the order `run`
//! calls them; what one step measures or learns travels to the next in `Figures`,
//! `Truth` and `Check`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use pejling::clicker::simulate::QuestionTruth;
use pejling_core::engine::ParticipantKey;
use pejling_wire::{
    Action, Answer, ClientMessage, Distribution, Phase, ServerMessage, SessionInfo, Tally,
};
use tempfile::TempDir;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::Args;
use crate::phone::{self, Report, Shared, Ws, recv, send};
use crate::server::{CpuMark, ServerProcess};

/// The id of `SET`.
pub(crate) const SET_ID: &str = "load-benchmark";
/// The options of each question in `SET`.
pub const N_OPTIONS: u32 = 3;
/// The benchmark's question set: two single-choice questions, `N_OPTIONS` options each.
/// Its anonymity minimum is 1, so the facilitator's tally (the room's figures, which move
/// only by the minimum number of answers at a time: docs/results.md) holds every answer
/// and can be checked against the truth answer by answer.
pub const SET: &str = r#"
format = 1
id = "load-benchmark"
title = "Load benchmark"
language = "da"
audience = "pupils"
grades = ["9"]
min_answers = 1

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

/// What the run holds from start to end.
struct Hall {
    /// The temporary folder with the question set and the data file.
    dir: TempDir,
    /// When the run started (just before the server did).
    started: Instant,
    server: ServerProcess,
    /// The facilitator's connection.
    host: Ws,
    session: SessionInfo,
    /// The simulated clickers' final answers, question by question (none without
    /// `--clickers`).
    clicker_truths: mpsc::UnboundedReceiver<QuestionTruth>,
}

/// The simulated phones, once they have joined.
struct Phones {
    shared: Arc<Shared>,
    reports: mpsc::UnboundedReceiver<(usize, Report)>,
    /// Tells every phone to leave.
    close: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// Each phone's participant token, by index.
    tokens: Vec<String>,
}

/// The ground truth the checks compare with.
#[derive(Default)]
struct Truth {
    /// Phone index → its final option for the first and for the second question.
    phones: HashMap<usize, (u32, u32)>,
    /// Per question the simulation finished, each clicker device's final answer.
    clickers: Vec<BTreeMap<String, String>>,
}

/// The figures measured along the run.
#[derive(Default)]
struct Figures {
    /// From starting the phones to all joined, in seconds.
    joined_s: f64,
    /// From the first question opened to everyone in the facilitator's tally, in seconds.
    open_to_all_answered_s: f64,
    /// From the last phone's first answer sent to everyone in the facilitator's tally, in
    /// seconds.
    last_sent_to_all_s: f64,
    /// The server's and the generator's CPU once all had joined, all had answered the
    /// first question, and all had finished the second.
    cpu_joined: CpuMark,
    cpu_first: CpuMark,
    cpu_second: CpuMark,
    /// Every acknowledgement time, and the same by phase: first answers, the second
    /// question's first answers, its changes, soak changes.
    latencies: Vec<Duration>,
    by_phase: [Vec<Duration>; 4],
    /// The soak's samples of the server's resident memory: (seconds into the soak, MB).
    soak_samples: Vec<(u64, f64)>,
    soak_changes: u64,
    /// The server's peak resident memory (MB) and CPU time (s), taken before it stops.
    rss_peak_mb: f64,
    cpu_s: f64,
}

/// What the comparisons with the ground truth found.
#[derive(Default)]
struct Check {
    /// Answers missing from the facilitator's final tallies.
    lost_in_tally: u64,
    /// Answers missing from the data file or different there, and clicker answers of a
    /// question the simulation did not finish.
    lost_in_database: u64,
    /// Participants (phones and clickers) missing from the data file.
    missing_participants: u64,
    /// Tally counts beyond the ground truth, rows beyond one per participant and
    /// question, and participants beyond everyone.
    duplicated: u64,
    /// Participants in the data file.
    stored_participants: usize,
}

/// Runs the scenario, step by step, and prints its figures.
pub async fn run(args: Args, nofile: u64) {
    let mut hall = set_up(&args, nofile).await;
    let mut figures = Figures::default();
    let mut truth = Truth::default();
    let mut phones = join_everyone(&args, &hall, &mut figures).await;
    first_question(&args, &mut hall, &phones, &mut figures, &mut truth).await;
    second_question(&args, &mut hall, &mut phones, &mut figures, &mut truth).await;
    let mut check = compare_tallies(&mut hall, &truth).await;
    leave_and_stop(hall.server, &mut phones, &mut figures).await;
    compare_database(
        &args,
        hall.dir.path(),
        &hall.session.id,
        &phones,
        &truth,
        &mut check,
    );
    print_report(&args, hall.started, &phones, &truth, figures, &check);
}

/// Starts the server child on a fresh data folder holding the question set, connects the
/// facilitator, creates the session, and starts the simulated clickers (they vote
/// through the bridge port once questions open).
async fn set_up(args: &Args, nofile: u64) -> Hall {
    let n = args.participants;
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::create_dir_all(dir.path().join("questions")).unwrap();
    std::fs::write(dir.path().join("questions/load.toml"), SET).unwrap();
    let started = Instant::now();
    let server = ServerProcess::start(dir.path(), args.clickers);
    let addr = server.addr;
    println!(
        "pejling-load: {n} participants, server {addr} (pid {}), open-files limit {nofile}",
        server.child.id()
    );

    let mut host = phone::facilitator(addr, None).await;
    let session = phone::create_session(&mut host, "load benchmark")
        .await
        .session;

    // Simulated clickers vote through the bridge port once questions open.
    let (clicker_done, clicker_truths) = mpsc::unbounded_channel();
    if let Some(bridge) = server.bridge {
        let options = pejling::clicker::simulate::Options {
            devices: args.clickers,
            loss: 0.05,
            duplicate: 0.02,
            reorder: 0.02,
            change: 0.0,
            seed: 1,
            questions: 2,
        };
        tokio::spawn(pejling::clicker::simulate::run(
            bridge,
            options,
            Some(clicker_done),
        ));
    } else {
        drop(clicker_done);
    }
    Hall {
        dir,
        started,
        server,
        host,
        session,
        clicker_truths,
    }
}

/// Starts every phone and waits until all have joined.
async fn join_everyone(args: &Args, hall: &Hall, figures: &mut Figures) -> Phones {
    let n = args.participants;
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
            hall.session.code.clone(),
            shared.clone(),
            reports_tx.clone(),
            close_rx.clone(),
            gate.clone(),
        );
        let soak = args.soak_seconds > 0;
        tasks.push(tokio::spawn(phone::participant(
            hall.server.addr,
            code,
            index,
            soak,
            gate,
            shared,
            reports_tx,
            close_rx,
        )));
    }
    drop(reports_tx);
    let mut tokens: Vec<String> = vec![String::new(); n];
    let mut joined = 0;
    while joined < n {
        let (index, report) = reports.recv().await.expect("participants report");
        if let Report::Joined { token } = report {
            tokens[index] = token;
            joined += 1;
        }
    }
    let joined_s = join_started.elapsed().as_secs_f64();
    figures.joined_s = joined_s;
    figures.cpu_joined = CpuMark::now(&hall.server);
    println!("joined: {n} in {joined_s:.3} s");
    Phones {
        shared,
        reports,
        close: close_tx,
        tasks,
        tokens,
    }
}

/// The first question: the facilitator opens it and everyone answers once. Measures
/// open → everyone in the facilitator's tally, and the last phone's answer sent → the
/// same; then waits for the clickers' final answers.
async fn first_question(
    args: &Args,
    hall: &mut Hall,
    phones: &Phones,
    figures: &mut Figures,
    truth: &mut Truth,
) {
    let n = args.participants;
    let clickers = args.clickers;
    send(
        &mut hall.host,
        &ClientMessage::Control {
            action: Action::Open,
        },
    )
    .await;
    let opened = Instant::now();
    loop {
        if let ServerMessage::Tally(tally) = recv(&mut hall.host).await
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
    let shared = &phones.shared;
    let last_sent_to_all_s = (shared.epoch.elapsed().as_micros() as u64)
        .saturating_sub(shared.last_first_sent_us.load(Ordering::Relaxed))
        as f64
        / 1e6;
    figures.cpu_first = CpuMark::now(&hall.server);
    // Like a facilitator, wait until every clicker has its acknowledgement before moving
    // on (stored is not enough: a device whose acknowledgement was lost still retries).
    if clickers > 0 {
        truth
            .clickers
            .extend(clicker_truth(&mut hall.clicker_truths, 1).await);
    }
    println!("open → all {n} answered in the facilitator's tally: {open_to_all_answered_s:.3} s");
    println!(
        "last answer sent → the facilitator sees all: {:.1} ms (answers spread over {} ms)",
        last_sent_to_all_s * 1e3,
        args.answer_spread_ms
    );
    figures.open_to_all_answered_s = open_to_all_answered_s;
    figures.last_sent_to_all_s = last_sent_to_all_s;
}

/// The second question: everyone answers and changes the answer twice (and keeps
/// changing it through the soak, if asked). Collects every phone's final answers and
/// acknowledgement times, prints where the CPU went phase by phase, and waits for the
/// clickers' final answers.
async fn second_question(
    args: &Args,
    hall: &mut Hall,
    phones: &mut Phones,
    figures: &mut Figures,
    truth: &mut Truth,
) {
    let n = args.participants;
    send(
        &mut hall.host,
        &ClientMessage::Control {
            action: Action::Next,
        },
    )
    .await;
    let second_started = Instant::now();
    if args.soak_seconds > 0 {
        figures.soak_samples = soak(args.soak_seconds, hall, &phones.shared).await;
    }
    let mut finals: HashMap<usize, (u32, u32)> = HashMap::with_capacity(n);
    figures.latencies = Vec::with_capacity(n * 4);
    while finals.len() < n {
        let Some((index, report)) = phones.reports.recv().await else {
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
                    figures.latencies.push(latency);
                    figures.by_phase[phase as usize].push(latency);
                }
                finals.insert(index, (first, second));
                figures.soak_changes += changes;
            }
            Report::Joined { .. } => {}
        }
    }
    figures.cpu_second = CpuMark::now(&hall.server);
    println!(
        "second question with two changes each: {:.3} s",
        second_started.elapsed().as_secs_f64()
    );
    // Where the two cores went, phase by phase (the generator's own share is the cost
    // of simulating the phones on the same machine).
    for (phase, from, to) in [
        ("start and joining", CpuMark::default(), figures.cpu_joined),
        ("first question", figures.cpu_joined, figures.cpu_first),
        ("second question", figures.cpu_first, figures.cpu_second),
    ] {
        let server_cpu = to.server.since(from.server);
        let generator_cpu = to.generator.since(from.generator);
        println!("CPU, {phase}: server {server_cpu}, load generator {generator_cpu}");
    }
    truth.phones = finals;

    if args.clickers > 0 {
        truth
            .clickers
            .extend(clicker_truth(&mut hall.clicker_truths, 2).await);
    }
}

/// The soak: for `seconds`, while every phone keeps changing its answer, samples the
/// server's resident memory every 5 s (and once at the end), then tells the phones to
/// stop.
async fn soak(seconds: u64, hall: &mut Hall, shared: &Shared) -> Vec<(u64, f64)> {
    let mut soak_samples = Vec::new();
    let soak_started = Instant::now();
    let mut next_sample = soak_started;
    while soak_started.elapsed() < Duration::from_secs(seconds) {
        if Instant::now() >= next_sample {
            let (_, rss) = hall.server.memory_mb();
            soak_samples.push((soak_started.elapsed().as_secs(), rss));
            next_sample += Duration::from_secs(5);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Keep the facilitator's socket drained.
        while let Ok(Some(Ok(_))) =
            tokio::time::timeout(Duration::from_millis(1), hall.host.next()).await
        {}
    }
    shared.soak_over.store(true, Ordering::Relaxed);
    let (_, rss) = hall.server.memory_mb();
    soak_samples.push((soak_started.elapsed().as_secs(), rss));
    soak_samples
}

/// The facilitator's final tallies against the ground truth: closes the second question
/// and reads its tally, goes back to the first and reads its tally, and prints any
/// mismatch.
async fn compare_tallies(hall: &mut Hall, truth: &Truth) -> Check {
    send(
        &mut hall.host,
        &ClientMessage::Control {
            action: Action::Close,
        },
    )
    .await;
    let mut expected = [
        vec![0u32; N_OPTIONS as usize],
        vec![0u32; N_OPTIONS as usize],
    ];
    for (first, second) in truth.phones.values() {
        expected[0][*first as usize] += 1;
        expected[1][*second as usize] += 1;
    }
    // The clickers' final answers (the simulation reports each question when every
    // device has its acknowledgement).
    for (q, answers) in truth.clickers.iter().enumerate() {
        for answer in answers.values() {
            if let Ok(option) = answer.parse::<usize>() {
                expected[q][option] += 1;
            }
        }
    }
    let second_tally = closed_tally(&mut hall.host, &hall.session.id, "second").await;
    send(
        &mut hall.host,
        &ClientMessage::Control {
            action: Action::Previous,
        },
    )
    .await;
    let first_tally = closed_tally(&mut hall.host, &hall.session.id, "first").await;
    let mut check = Check::default();
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
            check.lost_in_tally += u64::from(want.saturating_sub(got));
            check.duplicated += u64::from(got.saturating_sub(*want));
        }
    }
    check
}

/// Takes the server's peak memory and CPU time, lets the phones leave, and stops the
/// server, so that its data file is closed before it is read.
async fn leave_and_stop(server: ServerProcess, phones: &mut Phones, figures: &mut Figures) {
    (figures.rss_peak_mb, _) = server.memory_mb();
    figures.cpu_s = server.cpu_s();
    let _ = phones.close.send(true);
    for task in phones.tasks.drain(..) {
        let _ = task.await;
    }
    server.stop();
}

/// The data file against the ground truth, participant by participant (phones by their
/// tokens, clickers by the tokens the server derives for them), and the rows and
/// participants it holds against one per participant.
fn compare_database(
    args: &Args,
    dir: &Path,
    session_id: &str,
    phones: &Phones,
    truth: &Truth,
    check: &mut Check,
) {
    let clickers = args.clickers;
    let store = pejling::store::Store::open(&dir.join("load.db")).expect("open data");
    let stored = store
        .load(session_id)
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
    for (index, (first, second)) in &truth.phones {
        let key = ParticipantKey::of_token(&phones.tokens[*index]);
        for (question_id, want) in [("first", first), ("second", second)] {
            if by_participant.get(&(question_id.to_string(), key)) != Some(want) {
                check.lost_in_database += 1;
            }
        }
    }
    // A clicker device's token is derived from the server's key file, beside the data.
    let secrets = pejling::secrets::Secrets::load_or_create(&pejling::secrets::Secrets::path_for(
        &dir.join("load.db"),
    ))
    .expect("the server's key file");
    for (q, answers) in truth.clickers.iter().enumerate() {
        let question_id = ["first", "second"][q];
        for (device, answer) in answers {
            let key = ParticipantKey::of_token(
                &secrets.clicker_token(session_id, &format!("sim:{device}")),
            );
            let want = answer.parse::<u32>().ok();
            if by_participant.get(&(question_id.to_string(), key)).copied() != want {
                check.lost_in_database += 1;
            }
        }
    }
    check.lost_in_database +=
        (clickers * 2).saturating_sub(truth.clickers.iter().map(|a| a.len()).sum()) as u64;
    let everyone = args.participants + clickers;
    for question_id in ["first", "second"] {
        check.duplicated += rows_per_question
            .get(question_id)
            .copied()
            .unwrap_or(0)
            .saturating_sub(everyone) as u64;
    }
    check.stored_participants = stored.participants.len();
    if stored.participants.len() != everyone {
        check.duplicated += stored.participants.len().saturating_sub(everyone) as u64;
        check.missing_participants = everyone.saturating_sub(stored.participants.len()) as u64;
    }
}

/// Prints what the checks found, the acknowledgement times (overall and by phase), the
/// soak, the whole run, and last the `key=value` summary line that
/// `bench/tests/load_smoke.rs` and `docs/performance.md` read.
fn print_report(
    args: &Args,
    started: Instant,
    phones: &Phones,
    truth: &Truth,
    figures: Figures,
    check: &Check,
) {
    let n = args.participants;
    let clickers = args.clickers;
    let Figures {
        joined_s,
        open_to_all_answered_s,
        last_sent_to_all_s,
        mut latencies,
        by_phase,
        soak_samples,
        soak_changes,
        rss_peak_mb,
        cpu_s,
        ..
    } = figures;
    let unacknowledged = phones.shared.unacknowledged.load(Ordering::Relaxed);
    let unfinished = n - truth.phones.len();
    // Lost: acknowledged but missing from the tallies or the data file, never
    // acknowledged, or never answered by a phone that did not finish.
    let lost = check.lost_in_tally
        + check.lost_in_database
        + check.missing_participants
        + unacknowledged
        + unfinished as u64;
    let duplicated = check.duplicated;

    println!(
        "check: lost in tally {}, lost in database {}, unacknowledged {unacknowledged}, unfinished {unfinished}, stored participants {}",
        check.lost_in_tally, check.lost_in_database, check.stored_participants
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
        started.elapsed().as_secs_f64()
    );
    if clickers > 0 {
        println!("clickers: {clickers} simulated devices through the bridge port, counted above");
    }
    println!(
        "participants={n} joined_s={joined_s:.3} open_to_all_answered_s={open_to_all_answered_s:.3} last_sent_to_all_ms={:.1} ack_p50_ms={ack_p50_ms:.1} ack_p99_ms={ack_p99_ms:.1} server_rss_mb={rss_peak_mb:.1} server_cpu_s={cpu_s:.2} lost={lost} duplicated={duplicated}",
        last_sent_to_all_s * 1e3
    );
}

/// The simulated clickers' final answers to question `number`, when every device has
/// its acknowledgement.
async fn clicker_truth(
    truths: &mut mpsc::UnboundedReceiver<QuestionTruth>,
    number: u32,
) -> Option<BTreeMap<String, String>> {
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

/// The `p`th percentile of `sorted`, in milliseconds (0 when empty).
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank].as_secs_f64() * 1000.0
}

/// The counts per option of a single-choice tally (empty for anything else).
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
