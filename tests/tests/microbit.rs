//! The micro:bit programs of `clickers/microbit/`, unmodified, against the real server.
//!
//! `tests/microbit/harness.py` (Python 3, stdlib only) runs the receiver and six voters,
//! each in a process of its own on an emulation of MicroPython's `microbit`, `radio`,
//! `machine` and `random` modules: a radio that loses 20 % of the copies (seeded, so a
//! run repeats), displays whose `show`/`scroll` block as long as on the device, buttons,
//! a small flash file system per device that survives a reset, and the receiver's USB
//! serial port on a real pseudo-terminal with the 64-byte receive buffer of a micro:bit
//! V1 (bytes arrive at 115200 baud; what does not fit while the program blocks is lost).
//! The server opens the other side of the pty as its serial clicker. The test presses
//! the voters' buttons through the harness as pupils would, runs the session as the
//! facilitator and checks outcomes and counts, never timings.
//!
//! The checks are collected and reported together, so one run names every broken
//! promise; each names the item of issue 12 it guards (13-16). To run other versions of
//! the programs (e.g. the ones before the fixes), point `PEJLING_MICROBIT_RECEIVER` and
//! `PEJLING_MICROBIT_VOTER` at them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use pejling::clicker::ClickerSpec;
use pejling_tests::wire::{Action, Distribution, TallyResult};
use pejling_tests::{Facilitator, TestServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Twelve questions: every kind, two abstain labels on the first, and question numbers
/// with two digits.
const SET: &str = r#"
format = 1
id = "test-microbit"
title = "Test: micro:bit clickers"
language = "da"
audience = "pupils"
grades = ["7"]

[[questions]]
id = "q1"
kind = "choice"
text = "Hvilken?"
options = ["Ja", "Nej", "Måske"]
abstain = ["Vil ikke svare", "Ved ikke"]

[[questions]]
id = "q2"
kind = "scale"
text = "Hvor meget?"
points = ["Slet ikke", "Lidt", "Noget", "Meget"]

[[questions]]
id = "q3"
kind = "percent"
text = "Hvor mange procent?"
abstain = ["Ved ikke"]

[[questions]]
id = "q4"
kind = "choice"
text = "Fyld 4"
options = ["Ja", "Nej"]

[[questions]]
id = "q5"
kind = "choice"
text = "Fyld 5"
options = ["Ja", "Nej"]

[[questions]]
id = "q6"
kind = "choice"
text = "Fyld 6"
options = ["Ja", "Nej"]

[[questions]]
id = "q7"
kind = "choice"
text = "Fyld 7"
options = ["Ja", "Nej"]

[[questions]]
id = "q8"
kind = "choice"
text = "Fyld 8"
options = ["Ja", "Nej"]

[[questions]]
id = "q9"
kind = "choice"
text = "Fyld 9"
options = ["Ja", "Nej"]

[[questions]]
id = "q10"
kind = "choice"
text = "Ti"
options = ["Ja", "Nej", "Måske"]
abstain = ["Vil ikke svare"]

[[questions]]
id = "q11"
kind = "scale"
text = "Elleve"
points = ["Lidt", "Noget", "Meget"]

[[questions]]
id = "q12"
kind = "number"
text = "Hvor gammel?"
min = 10
max = 15
abstain = ["Ved ikke"]

"#;

const VOTERS: [&str; 6] = ["v1", "v2", "v3", "v4", "v5", "v6"];

/// The seed of the radio's losses and of the voters' `random`. With it, the voter
/// program from before issue 12's fixes (which started its sequence numbers at random)
/// numbers its first vote after a reset below its last one on all three voters reset
/// below; with about half the seeds it would on some.
const SEED: u64 = 1;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Choice,
    Scale,
    Percent,
    Number,
}

/// A question of [`SET`] as the voters show it.
struct Question {
    number: u32,
    id: &'static str,
    kind: Kind,
}

const fn q(number: u32, kind: Kind) -> Question {
    const IDS: [&str; 12] = [
        "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12",
    ];
    Question {
        number,
        id: IDS[number as usize - 1],
        kind,
    }
}

impl Question {
    /// The answer token (as in `PJ1 VOTE`) a voter's label stands for.
    fn token(&self, label: &str) -> String {
        if let Some(rest) = label.strip_prefix('-') {
            return match rest.parse::<u32>() {
                Ok(n) => format!("X{}", n - 1),
                Err(_) => "X0".to_string(),
            };
        }
        match self.kind {
            Kind::Choice => (label.as_bytes()[0] - b'A').to_string(),
            Kind::Scale => (label.parse::<u32>().expect("a scale label") - 1).to_string(),
            Kind::Percent | Kind::Number => label.to_string(),
        }
    }
}

/// The tally's split as answer tokens and counts (the zeros left out).
fn counts(result: &TallyResult) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    let mut add = |token: String, n: u32| {
        if n > 0 {
            out.insert(token, n);
        }
    };
    for (i, &n) in result.abstained.iter().enumerate() {
        add(format!("X{i}"), n);
    }
    match &result.distribution {
        Distribution::Choice { counts }
        | Distribution::Scale { counts }
        | Distribution::Percent { counts, .. } => {
            for (i, &n) in counts.iter().enumerate() {
                add(i.to_string(), n);
            }
        }
        Distribution::Number { values, .. } => {
            for value in values {
                add(value.value.to_string(), value.count);
            }
        }
    }
    out
}

/// The checks that failed, reported together at the end.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            let what = what();
            eprintln!("check failed: {what}");
            self.0.push(what);
        }
    }
}

/// The harness: a classroom of emulated micro:bits.
struct Classroom {
    _child: tokio::process::Child,
    stdin: tokio::sync::Mutex<tokio::process::ChildStdin>,
    waiting: Arc<std::sync::Mutex<HashMap<u64, tokio::sync::oneshot::Sender<Value>>>>,
    next_id: AtomicU64,
    /// The receiver's serial port as the server sees it (the slave side of the pty).
    pty: PathBuf,
    dir: tempfile::TempDir,
}

impl Classroom {
    /// Starts the harness (no devices yet). `None` when python3 is missing outside CI.
    async fn start() -> Option<Arc<Classroom>> {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let program = |variable: &str, name: &str| {
            std::env::var_os(variable)
                .map(PathBuf::from)
                .unwrap_or_else(|| here.join("../clickers/microbit").join(name))
        };
        let dir = tempfile::tempdir().unwrap();
        let stderr = std::fs::File::create(dir.path().join("harness.err")).unwrap();
        let spawned = tokio::process::Command::new("python3")
            .arg(here.join("microbit/harness.py"))
            .arg("--receiver")
            .arg(program("PEJLING_MICROBIT_RECEIVER", "receiver.py"))
            .arg("--voter")
            .arg(program("PEJLING_MICROBIT_VOTER", "voter.py"))
            .arg("--seed")
            .arg(SEED.to_string())
            .arg("--log")
            .arg(dir.path().join("harness.log"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(_) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: python3 is not installed");
                return None;
            }
            Err(error) => panic!("python3 is needed in CI: {error}"),
        };
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the harness starts")
            .unwrap()
            .expect("the harness names its pty");
        let first: Value = serde_json::from_str(&first).unwrap();
        let pty = PathBuf::from(first["path"].as_str().expect("a pty path"));
        let waiting: Arc<std::sync::Mutex<HashMap<u64, tokio::sync::oneshot::Sender<Value>>>> =
            Arc::default();
        let replies = waiting.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let reply: Value = serde_json::from_str(&line).expect("the harness speaks JSON");
                let id = reply["re"].as_u64().expect("a reply");
                if let Some(sender) = replies.lock().unwrap().remove(&id) {
                    let _ = sender.send(reply);
                }
            }
        });
        let stdin = tokio::sync::Mutex::new(child.stdin.take().unwrap());
        Some(Arc::new(Classroom {
            _child: child,
            stdin,
            waiting,
            next_id: AtomicU64::new(1),
            pty,
            dir,
        }))
    }

    /// Sends a command and waits for its answer.
    async fn call(&self, mut command: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        command["id"] = json!(id);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.waiting.lock().unwrap().insert(id, sender);
        let mut line = command.to_string();
        line.push('\n');
        self.stdin
            .lock()
            .await
            .write_all(line.as_bytes())
            .await
            .expect("the harness reads commands");
        let reply = tokio::time::timeout(Duration::from_secs(150), receiver)
            .await
            .unwrap_or_else(|_| panic!("the harness answers {command}"))
            .expect("the harness runs");
        if let Some(error) = reply.get("error") {
            panic!(
                "harness command {command} failed: {}",
                error.as_str().unwrap_or("")
            );
        }
        reply
    }

    async fn boot(&self, devices: &[&str]) {
        let devices: Vec<Value> = devices
            .iter()
            .map(|&name| {
                let role = if name == "receiver" {
                    "receiver"
                } else {
                    "voter"
                };
                json!([name, role])
            })
            .collect();
        let reply = self.call(json!({"cmd": "boot", "devices": devices})).await;
        assert_eq!(reply["ok"], true, "the devices start");
    }

    /// Whether the condition of a `wait_…` command came true.
    async fn ok(&self, command: Value) -> bool {
        self.call(command).await["ok"] == true
    }

    /// A pupil picks `label` with A and sends it with B; the harness's answer.
    async fn vote(&self, voter: &str, label: &str) -> Value {
        self.call(json!({"cmd": "vote", "device": voter, "label": label}))
            .await
    }

    /// What the harness wrote down, for a failed run.
    fn log(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}{}", read("harness.err"), read("harness.log"))
    }
}

/// Records the outcome of votes: a tick is expected, and after it the display must not
/// show the answer. Ticked answers go into `ticked` (voter -> label).
fn record(
    findings: &mut Findings,
    question: &Question,
    votes: &[(&str, &str)],
    replies: &[Value],
    ticked: &mut BTreeMap<String, String>,
) {
    for ((voter, label), reply) in votes.iter().zip(replies) {
        let outcome = reply["outcome"].as_str().unwrap_or("?");
        if outcome == "not_offered" {
            findings.check(false, || {
                format!(
                    "question {}: {voter} never offers the answer {label}; it shows {}",
                    question.number, reply["seen"]
                )
            });
            continue;
        }
        findings.check(outcome == "tick", || {
            format!(
                "question {}: {voter} sent {label} and shows {outcome}, not a tick",
                question.number
            )
        });
        if outcome == "tick" {
            ticked.insert(voter.to_string(), label.to_string());
            findings.check(reply["after"] != json!(["text", label]), || {
                format!(
                    "[15] question {}: after the tick, {voter} shows its answer {label} again",
                    question.number
                )
            });
        }
    }
}

/// Every answer a voter showed a tick for is in the tally, exactly once.
async fn check_tally(
    findings: &mut Findings,
    host: &mut Facilitator,
    session: &str,
    question: &Question,
    ticked: &BTreeMap<String, String>,
    context: &str,
) {
    let (_, tally) = host.snapshot(session).await;
    let Some(current) = tally.question else {
        findings.check(false, || format!("{context}: no current question"));
        return;
    };
    assert_eq!(
        current.question_id, question.id,
        "the question of the check"
    );
    let mut expected = BTreeMap::new();
    for label in ticked.values() {
        *expected.entry(question.token(label)).or_insert(0u32) += 1;
    }
    let found = current.result.as_ref().map(counts).unwrap_or_default();
    findings.check(
        current.answered as usize == ticked.len() && found == expected,
        || {
            format!(
                "{context}: question {} counts {found:?} ({} answered), but the voters showed \
                 ticks for {expected:?} ({ticked:?})",
                question.number, current.answered
            )
        },
    );
}

/// Writes [`SET`] to a questions folder.
fn questions() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("microbit.toml"), SET).unwrap();
    dir
}

/// A server whose only clicker bridge is the receiver's serial port.
async fn serial_server(questions: &tempfile::TempDir, room: &Classroom) -> TestServer {
    pejling_tests::spawn_app_with_only_clickers(
        Some(questions.path().to_path_buf()),
        vec![ClickerSpec::Serial(Some(room.pty.clone()))],
    )
    .await
}

/// Waits until every voter shows `text` (the first answer of a question that opened).
async fn all_show(room: &Classroom, voters: &[&str], text: &str) -> Vec<String> {
    let replies = join_all(voters.iter().map(|voter| {
        room.call(json!({"cmd": "wait_display", "device": voter, "text": text, "timeout": 15}))
    }))
    .await;
    voters
        .iter()
        .zip(replies)
        .filter(|(_, reply)| reply["ok"] != true)
        .map(|(voter, reply)| format!("{voter} shows {}", reply["display"]))
        .collect()
}

/// Fails the test with every failed check. `PEJLING_MICROBIT_LOG=FILE` keeps the
/// harness's log of the run (each device's radio, display and serial traffic).
fn finish(findings: Findings, room: &Classroom) {
    if let Some(path) = std::env::var_os("PEJLING_MICROBIT_LOG") {
        std::fs::write(path, room.log()).expect("the log is written");
    }
    if !findings.0.is_empty() {
        eprintln!("--- harness log ---\n{}", room.log());
        panic!(
            "{} check(s) failed:\n- {}",
            findings.0.len(),
            findings.0.join("\n- ")
        );
    }
}

/// A lesson: every kind of question, labels, resets, a voter that hears nothing, a rush
/// of votes while the receiver shows two-digit question numbers, and a server restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_votes_with_emulated_microbits() {
    let Some(room) = Classroom::start().await else {
        return;
    };
    let questions = questions();
    let mut server = serial_server(&questions, &room).await;
    assert!(
        room.ok(json!({"cmd": "wait_port", "open": true})).await,
        "the server opens the serial port"
    );
    let mut devices = vec!["receiver"];
    devices.extend(VOTERS);
    room.boot(&devices).await;
    let mut f = Findings::default();
    let mut host = Facilitator::connect(server.addr).await;
    let session = host.create("test-microbit", "7.m").await.session.id;

    // Question 1: a choice with two abstain labels.
    let q1 = q(1, Kind::Choice);
    host.control(Action::Open).await;
    let late = all_show(&room, &VOTERS, "A").await;
    f.check(late.is_empty(), || {
        format!("question 1 opened, but not every voter shows A: {late:?}")
    });
    let labels = room
        .call(json!({"cmd": "cycle", "device": "v1", "presses": 5}))
        .await["labels"]
        .clone();
    let distinct: BTreeSet<String> = labels
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.to_string())
        .collect();
    f.check(distinct.len() == 5 && labels[4] == "A", || {
        format!(
            "[16] the 3 options and 2 abstain labels of question 1 show as {labels} after A, A, \
             A, A, A: not five labels of their own"
        )
    });
    // v5 hears nothing after it sends: its vote is counted, but no acknowledgement
    // reaches it. It must not show a cross for a counted vote. Its tries run out while
    // the lesson goes on.
    let jammed = tokio::spawn({
        let room = room.clone();
        async move {
            room.call(json!({"cmd": "vote", "device": "v5", "label": "C", "jam": true}))
                .await
        }
    });
    let mut ticked = BTreeMap::new();
    let votes = [
        ("v1", "B"),
        ("v2", "C"),
        ("v3", "A"),
        ("v4", "-2"),
        ("v6", "-1"),
    ];
    let replies = join_all(votes.iter().map(|(v, l)| room.vote(v, l))).await;
    record(&mut f, &q1, &votes, &replies, &mut ticked);
    let mut counted = ticked.clone();
    counted.insert("v5".to_string(), "C".to_string());
    // v5's vote is in once the tally has every vote (or a check below says what is not).
    let _ = tokio::time::timeout(
        Duration::from_secs(10),
        host.tally_answered("q1", counted.len() as u32),
    )
    .await;
    check_tally(
        &mut f,
        &mut host,
        &session,
        &q1,
        &counted,
        "question 1, with v5's vote that it never heard acknowledged",
    )
    .await;

    // Question 2, a scale. v4 presses A while nothing is open: the next question still
    // starts at its first answer. Then three voters are reset and change their answers.
    host.control(Action::Close).await;
    let asleep = room
        .ok(json!({"cmd": "wait_display", "device": "v4", "image": "ASLEEP"}))
        .await;
    f.check(asleep, || {
        "question 1 closed, but v4 does not show it".to_string()
    });
    room.call(json!({"cmd": "press", "device": "v4", "button": "a"}))
        .await;
    let q2 = q(2, Kind::Scale);
    let mark = room.call(json!({"cmd": "mark"})).await["mark"].clone();
    host.control(Action::Next).await;
    room.ok(json!({"cmd": "wait_announce", "prefixes": ["O 2 "], "since": mark}))
        .await;
    room.ok(json!({"cmd": "wait_not", "device": "v4", "image": "ASLEEP"}))
        .await;
    let shown = room
        .call(json!({"cmd": "settle", "device": "v4", "quiet": 0.5}))
        .await["display"]
        .clone();
    f.check(shown == json!(["text", "1"]), || {
        format!(
            "[16] v4 pressed A while no question was open; question 2 opened and v4 shows \
             {shown}, not its first answer 1"
        )
    });
    let mut ticked = BTreeMap::new();
    let votes = [
        ("v1", "2"),
        ("v2", "3"),
        ("v3", "4"),
        ("v4", "1"),
        ("v6", "2"),
    ];
    let replies = join_all(votes.iter().map(|(v, l)| room.vote(v, l))).await;
    record(&mut f, &q2, &votes, &replies, &mut ticked);
    let reset = ["v1", "v2", "v3"];
    for voter in reset {
        assert!(
            room.ok(json!({"cmd": "reset", "device": voter})).await,
            "{voter} starts again"
        );
    }
    let late = all_show(&room, &reset, "1").await;
    f.check(late.is_empty(), || {
        format!("after a reset, not every voter shows question 2 again: {late:?}")
    });
    let votes = [("v1", "4"), ("v2", "1"), ("v3", "2")];
    let replies = join_all(votes.iter().map(|(v, l)| room.vote(v, l))).await;
    record(&mut f, &q2, &votes, &replies, &mut ticked);
    check_tally(
        &mut f,
        &mut host,
        &session,
        &q2,
        &ticked,
        "[16] after v1, v2 and v3 were reset and changed their answers",
    )
    .await;

    // Question 3, a percent, with v5 again, once its tries for question 1 ran out.
    let outcome = jammed.await.unwrap();
    room.call(json!({"cmd": "jam", "device": "v5", "on": false}))
        .await;
    f.check(outcome["outcome"] != "cross", || {
        format!(
            "[16] v5's vote for question 1 was counted, but v5 shows a cross when its tries \
             run out ({outcome})"
        )
    });
    let q3 = q(3, Kind::Percent);
    host.control(Action::Next).await;
    let late = all_show(&room, &VOTERS, "0").await;
    f.check(late.is_empty(), || {
        format!("question 3 opened, but not every voter shows 0: {late:?}")
    });
    let mut ticked = BTreeMap::new();
    let votes = [
        ("v1", "50"),
        ("v2", "-"),
        ("v3", "100"),
        ("v4", "0"),
        ("v5", "30"),
        ("v6", "70"),
    ];
    let replies = join_all(votes.iter().map(|(v, l)| room.vote(v, l))).await;
    record(&mut f, &q3, &votes, &replies, &mut ticked);
    check_tally(&mut f, &mut host, &session, &q3, &ticked, "question 3").await;

    // Questions 4 to 11. From 9 on, every voter presses B again and again while
    // the facilitator moves on to 10 and 11: the receiver shows two-digit numbers while
    // votes and acknowledgements pour in.
    for _ in 4..=9 {
        host.control(Action::Next).await;
    }
    all_show(&room, &VOTERS, "A").await;
    let before = room.call(json!({"cmd": "report"})).await;
    room.call(json!({"cmd": "hammer", "devices": VOTERS, "on": true}))
        .await;
    // Each question of the rush lasts until the server has acknowledged a number of
    // votes on the serial port.
    let rush = async |acks: u32| {
        let since = room.call(json!({"cmd": "mark"})).await["server_lines"].clone();
        let mut wait = json!({"cmd": "wait_server_lines", "prefix": "PJ1 ACK "});
        wait["count"] = json!(acks);
        wait["since"] = since;
        room.ok(wait).await
    };
    let mut rushed = rush(6).await;
    host.control(Action::Next).await; // 10
    rushed &= rush(15).await;
    host.control(Action::Next).await; // 11
    rushed &= rush(15).await;
    room.call(json!({"cmd": "hammer", "devices": VOTERS, "on": false}))
        .await;
    f.check(rushed, || {
        "the voters' rush of votes on questions 9 to 11 was not acknowledged".to_string()
    });
    join_all(
        VOTERS
            .iter()
            .map(|voter| room.call(json!({"cmd": "settle", "device": voter, "quiet": 1.2}))),
    )
    .await;
    let q11 = q(11, Kind::Scale);
    let mut ticked = BTreeMap::new();
    let votes = [
        ("v1", "3"),
        ("v2", "2"),
        ("v3", "1"),
        ("v4", "3"),
        ("v5", "2"),
        ("v6", "1"),
    ];
    let replies = join_all(votes.iter().map(|(v, l)| room.vote(v, l))).await;
    record(&mut f, &q11, &votes, &replies, &mut ticked);
    check_tally(&mut f, &mut host, &session, &q11, &ticked, "question 11").await;
    let after = room.call(json!({"cmd": "report"})).await;
    let lost =
        after["serial_overflow"].as_u64().unwrap() - before["serial_overflow"].as_u64().unwrap();
    f.check(lost == 0, || {
        format!(
            "[14] in the rush of votes on questions 9 to 11 (the receiver showing 10 and 11), \
             its serial receive buffer overflowed: {lost} bytes from the server lost"
        )
    });
    let sent = after["acks_from_server"].as_u64().unwrap();
    f.check(after["acks_not_relayed"] == json!([]), || {
        format!(
            "[14] of {sent} acknowledgements from the server, the receiver never relayed {}",
            after["acks_not_relayed"]
        )
    });
    f.check(after["acks_relayed_not_from_server"] == json!([]), || {
        format!(
            "[14] the receiver relayed acknowledgements the server never sent (garbled lines): {}",
            after["acks_relayed_not_from_server"]
        )
    });

    // Question 12, a number: votes, a restart of the server on the same data file and
    // serial port (the receiver keeps running), and changed votes.
    let q12 = q(12, Kind::Number);
    host.control(Action::Next).await;
    let late = all_show(&room, &VOTERS, "10").await;
    f.check(late.is_empty(), || {
        format!("question 12 opened, but not every voter shows 10: {late:?}")
    });
    let mut ticked = BTreeMap::new();
    let votes = [
        ("v1", "12"),
        ("v2", "15"),
        ("v3", "-"),
        ("v4", "10"),
        ("v5", "11"),
        ("v6", "13"),
    ];
    let replies = join_all(votes.iter().map(|(v, l)| room.vote(v, l))).await;
    record(&mut f, &q12, &votes, &replies, &mut ticked);
    check_tally(&mut f, &mut host, &session, &q12, &ticked, "question 12").await;

    let mark = room.call(json!({"cmd": "mark"})).await;
    server.restart().await;
    let mut host = Facilitator::connect(server.addr).await;
    host.attach(&session).await;
    // The new server says WELCOME only in reply to a HELLO, then what is open.
    let welcomed = room
        .ok(
            json!({"cmd": "wait_server_lines", "prefix": "PJ1 WELCOME", "count": 1,
                   "since": mark["server_lines"]}),
        )
        .await;
    let announced = welcomed
        && room
            .ok(json!({"cmd": "wait_announce", "prefixes": ["O 12 "], "since": mark["mark"]}))
            .await;
    f.check(announced, || {
        "[13] after the server restarted, the receiver never passed on what the new server \
         said (it did not say HELLO again)"
            .to_string()
    });
    let votes = [
        ("v1", "14"),
        ("v2", "-"),
        ("v3", "12"),
        ("v4", "15"),
        ("v5", "10"),
        ("v6", "11"),
    ];
    let replies = join_all(votes.iter().map(|(v, l)| room.vote(v, l))).await;
    let mut after_restart = BTreeMap::new();
    record(&mut f, &q12, &votes, &replies, &mut after_restart);
    f.check(after_restart.len() == VOTERS.len(), || {
        format!(
            "[13] after the server restarted, only {after_restart:?} of the voters' changed \
             answers were acknowledged"
        )
    });
    ticked.extend(after_restart);
    check_tally(
        &mut f,
        &mut host,
        &session,
        &q12,
        &ticked,
        "[13] after a restart of the server",
    )
    .await;

    let report = room.call(json!({"cmd": "report"})).await;
    f.check(report["violations"] == json!([]), || {
        format!(
            "[15] voters showed the answer they had sent after its tick: {}",
            report["violations"]
        )
    });
    f.check(report["crashes"] == json!({}), || {
        format!("programs stopped with an error: {}", report["crashes"])
    });
    f.check(report["radio_too_long"] == json!([]), || {
        format!(
            "radio messages longer than the configured length: {}",
            report["radio_too_long"]
        )
    });
    eprintln!(
        "radio: {}; serial buffer overflow: {} bytes; {} acknowledgements",
        report["air"], report["serial_overflow"], report["acks_from_server"]
    );
    room.call(json!({"cmd": "quit"})).await;
    server.stop().await;
    finish(f, &room);
}

/// The receiver is plugged in before the server starts: its first HELLO goes nowhere
/// (nobody has the port open), and the server must still hear one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_plugged_in_before_the_server_starts_is_heard() {
    let Some(room) = Classroom::start().await else {
        return;
    };
    room.boot(&["receiver", "v1", "v2"]).await;
    assert!(
        room.ok(json!({"cmd": "wait_serial_out", "prefix": "PJ1 HELLO", "dropped": true}))
            .await,
        "the receiver says HELLO while nobody listens"
    );
    let questions = questions();
    let server = serial_server(&questions, &room).await;
    let mut f = Findings::default();
    let mut host = Facilitator::connect(server.addr).await;
    let session = host.create("test-microbit", "7.n").await.session.id;
    let q1 = q(1, Kind::Choice);
    host.control(Action::Open).await;
    let late = all_show(&room, &["v1", "v2"], "A").await;
    f.check(late.is_empty(), || {
        format!(
            "[13] the receiver was plugged in before the server started; question 1 opened, \
             but the voters never heard of it: {late:?}"
        )
    });
    if late.is_empty() {
        let mut ticked = BTreeMap::new();
        let votes = [("v1", "B"), ("v2", "-1")];
        let replies = join_all(votes.iter().map(|(v, l)| room.vote(v, l))).await;
        record(&mut f, &q1, &votes, &replies, &mut ticked);
        check_tally(
            &mut f,
            &mut host,
            &session,
            &q1,
            &ticked,
            "[13] with the receiver plugged in before the server started",
        )
        .await;
    }
    room.call(json!({"cmd": "quit"})).await;
    server.stop().await;
    finish(f, &room);
}
