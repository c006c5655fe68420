//! `pejling simulate-clickers`: simulated clicker devices that speak the bridge protocol
//! to a running server over its loopback TCP bridge port (`--clicker tcp`), for demos,
//! tests and load. The radio is simulated too: votes and acknowledgements are lost,
//! duplicated and reordered with the given probabilities, and devices retry with random
//! jitter until acknowledged — as the micro:bit voter does. Seeded, so a run can be
//! repeated exactly.
//!
//! For every question it sees opened, each device picks an answer (and some change their
//! mind once); the final answers are the ground truth the server's tally must equal.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::bridge::{AnswerToken, VERSION_TAG};

#[derive(Debug, Clone)]
pub struct Options {
    pub devices: usize,
    /// Probability that a vote or an acknowledgement is lost.
    pub loss: f64,
    /// Probability that a vote is sent twice.
    pub duplicate: f64,
    /// Probability that a vote is held back and sent after the next one.
    pub reorder: f64,
    /// Probability that a device changes its answer once.
    pub change: f64,
    pub seed: u64,
    /// Stop after this many questions (0: run until the connection ends).
    pub questions: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            devices: 30,
            loss: 0.1,
            duplicate: 0.05,
            reorder: 0.05,
            change: 0.2,
            seed: 1,
            questions: 0,
        }
    }
}

/// One answered question: every device's final answer, and what the simulation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionTruth {
    pub number: u32,
    /// Every device had its acknowledgement. `false` when the next question opened (or
    /// the connection ended) first: the answers of devices still waiting are uncertain.
    pub complete: bool,
    /// Device id → final answer token, as `0`, `70` or `X0`.
    pub answers: BTreeMap<String, String>,
    pub votes_sent: u64,
    pub votes_lost: u64,
    pub votes_duplicated: u64,
    pub votes_reordered: u64,
    pub acks_lost: u64,
    pub retries: u64,
    /// Votes answered CLOSED or INVALID (not counted).
    pub refused: u64,
}

impl QuestionTruth {
    /// How many devices finally chose each token.
    pub fn counts(&self) -> BTreeMap<String, u32> {
        let mut counts = BTreeMap::new();
        for answer in self.answers.values() {
            *counts.entry(answer.clone()).or_default() += 1;
        }
        counts
    }
}

#[derive(Debug, Clone)]
enum Spec {
    Choice(i64),
    Range { min: i64, max: i64, step: i64 },
}

struct Pending {
    device: usize,
    seq: u32,
    token: String,
    next_send: Instant,
    sent: u32,
}

fn token_text(token: AnswerToken) -> String {
    match token {
        AnswerToken::Value(v) => v.to_string(),
        AnswerToken::Abstain(i) => format!("X{i}"),
    }
}

fn device_id(i: usize) -> String {
    format!("sim{i:04}")
}

/// Runs the simulation against a bridge port. Each finished question is sent on `done`
/// (if given) and returned at the end.
pub async fn run(
    addr: SocketAddr,
    options: Options,
    done: Option<mpsc::UnboundedSender<QuestionTruth>>,
) -> std::io::Result<Vec<QuestionTruth>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    writer
        .write_all(format!("{VERSION_TAG} HELLO sim simulator\n").as_bytes())
        .await?;
    let mut rng = StdRng::seed_from_u64(options.seed);
    // Sequence numbers per device; a device starts at a random base, as after a reboot.
    let mut seqs: Vec<u32> = (0..options.devices)
        .map(|_| rng.random_range(1..1_000_000))
        .collect();
    let mut finished = Vec::new();
    let mut current: Option<QuestionTruth> = None;
    // Votes not yet acknowledged; the latest seq per device decides when a device is
    // done.
    let mut pending: Vec<Pending> = Vec::new();
    let mut latest: HashMap<usize, u32> = HashMap::new();
    // Per device, the newest sequence number the server acknowledged as taken.
    let mut acked: HashMap<usize, u32> = HashMap::new();
    let mut held_back: Option<String> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    [_, "OPEN", number, kind, rest @ ..] => {
                        let number: u32 = number.parse().unwrap_or(0);
                        if current.as_ref().is_some_and(|c| c.number == number) {
                            continue;
                        }
                        if let Some(unfinished) = current.take() {
                            if let Some(done) = &done {
                                let _ = done.send(unfinished.clone());
                            }
                            finished.push(unfinished);
                        }
                        let parse = |i: usize| rest.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
                        let (spec, abstain) = match *kind {
                            "CHOICE" | "SCALE" => (Spec::Choice(parse(0)), parse(1)),
                            _ => (Spec::Range { min: parse(0), max: parse(1), step: parse(2).max(1) }, parse(3)),
                        };
                        let truth = QuestionTruth { number, ..QuestionTruth::default() };
                        pending.clear();
                        latest.clear();
                        acked.clear();
                        let now = Instant::now();
                        for (device, seq) in seqs.iter_mut().enumerate() {
                            let pick = |rng: &mut StdRng| -> AnswerToken {
                                if abstain > 0 && rng.random_bool(0.1) {
                                    return AnswerToken::Abstain(rng.random_range(0..abstain) as u32);
                                }
                                match spec {
                                    Spec::Choice(n) => AnswerToken::Value(rng.random_range(0..n.max(1))),
                                    Spec::Range { min, max, step } => {
                                        let steps = (max - min) / step;
                                        AnswerToken::Value(min + step * rng.random_range(0..=steps))
                                    }
                                }
                            };
                            let mut answers = vec![pick(&mut rng)];
                            if rng.random_bool(options.change) {
                                answers.push(pick(&mut rng));
                            }
                            for token in answers {
                                *seq += 1;
                                let text = token_text(token);
                                latest.insert(device, *seq);
                                pending.push(Pending {
                                    device,
                                    seq: *seq,
                                    token: text,
                                    // Devices press at different moments within a second.
                                    next_send: now + Duration::from_millis(rng.random_range(0..1000)),
                                    sent: 0,
                                });
                            }
                        }
                        current = Some(truth);
                    }
                    [_, "ACK", device, seq, status] => {
                        if rng.random_bool(options.loss) {
                            if let Some(truth) = current.as_mut() {
                                truth.acks_lost += 1;
                            }
                            continue;
                        }
                        let Some(index) = device.strip_prefix("sim").and_then(|d| d.parse::<usize>().ok()) else {
                            continue;
                        };
                        let seq: u32 = seq.parse().unwrap_or(0);
                        // OK and DUP both mean the server has this vote (or a later one);
                        // CLOSED and INVALID mean it never will. Either way it is settled.
                        // The truth is each device's newest vote the server took.
                        let token = pending
                            .iter()
                            .find(|p| p.device == index && p.seq == seq)
                            .map(|p| p.token.clone());
                        if let (Some(token), Some(truth)) = (token, current.as_mut()) {
                            if matches!(*status, "OK" | "DUP") {
                                if acked.get(&index).is_none_or(|&a| a < seq) {
                                    acked.insert(index, seq);
                                    truth.answers.insert(device_id(index), token);
                                }
                            } else {
                                truth.refused += 1;
                            }
                        }
                        pending.retain(|p| !(p.device == index && p.seq <= seq));
                        if latest.get(&index) == Some(&seq) {
                            latest.remove(&index);
                        }
                        if latest.is_empty() && let Some(mut truth) = current.take() {
                            truth.complete = true;
                            if let Some(done) = &done {
                                let _ = done.send(truth.clone());
                            }
                            finished.push(truth);
                            if options.questions > 0 && finished.len() >= options.questions {
                                break;
                            }
                        }
                    }
                    [_, "PING", n] => {
                        writer.write_all(format!("{VERSION_TAG} PONG {n}\n").as_bytes()).await?;
                    }
                    _ => {}
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                let mut out = String::new();
                let Some(truth) = current.as_mut() else { continue };
                for vote in pending.iter_mut().filter(|p| p.next_send <= now) {
                    let line = format!(
                        "{VERSION_TAG} VOTE {} {} {} {}\n",
                        device_id(vote.device), vote.seq, truth.number, vote.token
                    );
                    if vote.sent > 0 {
                        truth.retries += 1;
                    }
                    vote.sent += 1;
                    truth.votes_sent += 1;
                    // Retry with random jitter until acknowledged.
                    vote.next_send = now + Duration::from_millis(rng.random_range(300..700));
                    if rng.random_bool(options.loss) {
                        truth.votes_lost += 1;
                        continue;
                    }
                    let copies = if rng.random_bool(options.duplicate) {
                        truth.votes_duplicated += 1;
                        2
                    } else {
                        1
                    };
                    for _ in 0..copies {
                        if rng.random_bool(options.reorder) && held_back.is_none() {
                            truth.votes_reordered += 1;
                            held_back = Some(line.clone());
                        } else {
                            out.push_str(&line);
                            if let Some(held) = held_back.take() {
                                out.push_str(&held);
                            }
                        }
                    }
                }
                if out.is_empty() && let Some(held) = held_back.take() {
                    // Nothing came after it this time; it goes out a tick late.
                    out = held;
                }
                if !out.is_empty() {
                    writer.write_all(out.as_bytes()).await?;
                }
            }
        }
    }
    Ok(finished)
}
