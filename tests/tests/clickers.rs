//! Clicker devices end to end: the bridge protocol over the loopback TCP port and over a
//! real pseudo-terminal standing in for a micro:bit receiver's serial port; a seeded
//! simulation of 300 devices with loss, duplication and reordering; malformed and hostile
//! lines; phones and clickers in one session.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use pejling_tests::wire::{Action, Answer, Distribution, Tally, TallyResult};
use pejling_tests::{Facilitator, Participant, TIMEOUT};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use crate::spawn_with_unpaired_test_set;

/// The tally result the simulator's truth must produce, for a question of the
/// `ALL_KINDS` set (`own`: choice of 2 with 1 abstain label; `guess`: percent with 1;
/// `age`: number 10-25 with 1; `ok`: scale of 4 with none).
fn expected(question: u32, counts: &BTreeMap<String, u32>) -> TallyResult {
    let (slots, abstain) = match question {
        1 => (2, 1),
        2 => (101, 1),
        3 => (0, 1),
        _ => (4, 0),
    };
    let mut by_index = vec![0u32; slots];
    let mut abstained = vec![0u32; abstain];
    let mut numbers: BTreeMap<i64, u32> = BTreeMap::new();
    for (token, &n) in counts {
        if let Some(i) = token.strip_prefix('X') {
            abstained[i.parse::<usize>().unwrap()] += n;
        } else if question == 3 {
            *numbers.entry(token.parse().unwrap()).or_default() += n;
        } else {
            by_index[token.parse::<usize>().unwrap()] += n;
        }
    }
    let distribution = match question {
        1 => Distribution::Choice { counts: by_index },
        4 => Distribution::Scale { counts: by_index },
        2 => Distribution::Percent {
            counts: by_index,
            mean: None,
            median: None,
        },
        _ => Distribution::Number {
            values: numbers
                .into_iter()
                .map(|(value, count)| pejling_tests::wire::ValueCount { value, count })
                .collect(),
            mean: None,
            median: None,
        },
    };
    TallyResult {
        abstained,
        distribution,
    }
}

/// Leaves out mean and median, which the expected results do not compute.
fn without_means(mut result: TallyResult) -> TallyResult {
    match &mut result.distribution {
        Distribution::Percent { mean, median, .. } | Distribution::Number { mean, median, .. } => {
            *mean = None;
            *median = None;
        }
        _ => {}
    }
    result
}

#[tokio::test]
async fn three_hundred_lossy_clickers_end_with_the_exact_tally() {
    let (server, _questions) = spawn_with_unpaired_test_set().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator.create("test-all-kinds", "hall").await.session;
    let options = pejling::clicker::simulate::Options {
        devices: 300,
        loss: 0.2,
        duplicate: 0.2,
        reorder: 0.2,
        change: 0.3,
        seed: 20261123,
        questions: 4,
    };
    let (done, mut finished) = tokio::sync::mpsc::unbounded_channel();
    let simulation = tokio::spawn(pejling::clicker::simulate::run(
        server.bridge_addr(),
        options,
        Some(done),
    ));
    facilitator.control(Action::Open).await;
    for (number, question_id) in [(1u32, "own"), (2, "guess"), (3, "age"), (4, "ok")] {
        let truth = tokio::time::timeout(Duration::from_secs(60), finished.recv())
            .await
            .expect("the simulation finishes the question")
            .expect("a question");
        assert_eq!(truth.number, number);
        assert!(truth.complete, "every device got its acknowledgement");
        assert_eq!(truth.refused, 0, "no vote was refused");
        assert_eq!(truth.answers.len(), 300);
        // The radio really was bad.
        assert!(truth.votes_lost > 0 && truth.acks_lost > 0, "{truth:?}");
        assert!(
            truth.votes_duplicated > 0 && truth.votes_reordered > 0,
            "{truth:?}"
        );
        assert!(truth.retries > 0, "{truth:?}");
        if number == 1 {
            // Sensitive: the split comes with the reveal.
            facilitator.control(Action::Reveal).await;
        }
        let (_, tally) = facilitator.snapshot(&session.id).await;
        let question = tally.question.clone().expect("a current question");
        assert_eq!(question.question_id, question_id);
        assert_eq!(question.answered, 300, "every device counted once");
        assert_eq!(
            without_means(question.result.expect("shown")),
            expected(number, &truth.counts()),
            "question {number}"
        );
        assert_eq!((tally.participants, tally.clickers), (300, 300));
        if number < 4 {
            facilitator.control(Action::Next).await;
        }
    }
    let truths = simulation.await.unwrap().expect("simulation ran");
    assert_eq!(truths.len(), 4);
    server.stop().await;
}

/// Sends raw bytes to the bridge port and reads reply lines.
struct RawBridge {
    reader: tokio::io::Lines<tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl RawBridge {
    async fn connect(addr: std::net::SocketAddr) -> RawBridge {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (reader, writer) = stream.into_split();
        RawBridge {
            reader: tokio::io::BufReader::new(reader).lines(),
            writer,
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    /// The next line that is not a `PING`.
    async fn line(&mut self) -> String {
        loop {
            let line = tokio::time::timeout(TIMEOUT, self.reader.next_line())
                .await
                .expect("a line within the timeout")
                .unwrap()
                .expect("the bridge port stays open");
            if !line.starts_with("PJ1 PING") {
                return line;
            }
        }
    }
}

#[tokio::test]
async fn malformed_and_hostile_lines_get_replies_and_change_nothing() {
    let (server, _questions) = spawn_with_unpaired_test_set().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator.create("test-all-kinds", "7.b").await.session;
    let mut bridge = RawBridge::connect(server.bridge_addr()).await;

    // Before HELLO, a vote is refused.
    bridge.send(b"PJ1 VOTE mb1 1 1 0\n").await;
    assert_eq!(
        bridge.line().await,
        "PJ1 ERR HELLO say PJ1 HELLO <family> first"
    );
    bridge.send(b"PJ1 HELLO mb receiver-1\n").await;
    assert_eq!(bridge.line().await, format!("PJ1 WELCOME {}", session.code));
    assert_eq!(bridge.line().await, "PJ1 CLOSED");

    // A vote while nothing is open.
    bridge.send(b"PJ1 VOTE mb1 1 1 0\n").await;
    assert_eq!(bridge.line().await, "PJ1 ACK mb1 1 CLOSED");

    facilitator.control(Action::Open).await;
    assert_eq!(bridge.line().await, "PJ1 OPEN 1 CHOICE 2 1");

    let overlong = [b"PJ1 VOTE ".as_slice(), &[b'a'; 300], b" 1 1 0\n"].concat();
    // (bytes sent, reply)
    let table: Vec<(Vec<u8>, &str)> = vec![
        (b"garbage\n".to_vec(), "PJ1 ERR SYNTAX lines start with PJ1"),
        (
            b"PJ2 VOTE mb1 2 1 0\n".to_vec(),
            "PJ1 ERR VERSION this server speaks PJ1, not PJ2",
        ),
        (
            b"PJ1 SHUTDOWN now\n".to_vec(),
            "PJ1 ERR UNKNOWN unknown command \"SHUTDOWN\"",
        ),
        (overlong, "PJ1 ERR TOOLONG lines are at most 128 bytes"),
        (
            b"PJ1 VOTE mb1 \xff\xfe 1 0\n".to_vec(),
            "PJ1 ERR BINARY lines are UTF-8 text",
        ),
        (
            b"PJ1 VOTE mb1 2 1 0\x07\n".to_vec(),
            "PJ1 ERR BINARY control characters are not allowed",
        ),
        (b"PJ1 VOTE mb1 2 1 7\n".to_vec(), "PJ1 ACK mb1 2 INVALID"),
        (b"PJ1 VOTE mb1 3 2 0\n".to_vec(), "PJ1 ACK mb1 3 CLOSED"),
    ];
    for (bytes, reply) in table {
        bridge.send(&bytes).await;
        let line = bridge.line().await;
        assert!(
            line.starts_with(reply),
            "{:?}: {line}",
            String::from_utf8_lossy(&bytes)
        );
    }
    // Nothing was counted; the bridge's bad lines are reported to the facilitator.
    let tally: Tally = facilitator
        .tally_until(|t| t.bridges.first().is_some_and(|b| b.bad_lines == 7))
        .await;
    assert_eq!(tally.participants, 0);
    assert_eq!(tally.question.unwrap().answered, 0);
    assert!(
        tally.bridges[0].name.starts_with("mb receiver-1 (tcp"),
        "{:?}",
        tally.bridges
    );

    // The bridge still works: a good vote, its retry, and an older copy.
    bridge.send(b"PJ1 VOTE mb1 5 1 1\n").await;
    assert_eq!(bridge.line().await, "PJ1 ACK mb1 5 OK");
    bridge
        .send(b"PJ1 VOTE mb1 5 1 1\nPJ1 VOTE mb1 4 1 0\n")
        .await;
    assert_eq!(bridge.line().await, "PJ1 ACK mb1 5 DUP");
    assert_eq!(bridge.line().await, "PJ1 ACK mb1 4 DUP");
    let tally = facilitator.tally_answered("own", 1).await;
    assert_eq!((tally.participants, tally.clickers), (1, 1));
    server.stop().await;
}

/// `seq` as docs/protocol.md gives it: decimal digits from 0 to 4294967295, acknowledged
/// as the number it is (`007` as `7`), so a bridge compares it as a number.
#[tokio::test]
async fn sequence_numbers_are_digits_within_u32_and_acks_repeat_the_number() {
    let (server, _questions) = spawn_with_unpaired_test_set().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator.create("test-all-kinds", "7.d").await.session;
    let mut bridge = RawBridge::connect(server.bridge_addr()).await;
    bridge.send(b"PJ1 HELLO mb\n").await;
    assert_eq!(bridge.line().await, format!("PJ1 WELCOME {}", session.code));
    assert_eq!(bridge.line().await, "PJ1 CLOSED");
    facilitator.control(Action::Open).await;
    assert_eq!(bridge.line().await, "PJ1 OPEN 1 CHOICE 2 1");
    let table: [(&[u8], &str); 4] = [
        (
            b"PJ1 VOTE mb7 +7 1 0\n",
            "PJ1 ERR SYNTAX the sequence number must be a whole number",
        ),
        (
            b"PJ1 VOTE mb7 4294967296 1 0\n",
            "PJ1 ERR SYNTAX the sequence number must be a whole number",
        ),
        (b"PJ1 VOTE mb7 007 1 0\n", "PJ1 ACK mb7 7 OK"),
        (
            b"PJ1 VOTE mb7 4294967295 1 1\n",
            "PJ1 ACK mb7 4294967295 OK",
        ),
    ];
    for (bytes, reply) in table {
        bridge.send(bytes).await;
        let line = bridge.line().await;
        assert!(
            line.starts_with(reply),
            "{:?}: {line}",
            String::from_utf8_lossy(bytes)
        );
    }
    // One device, its last vote counted.
    let tally = facilitator.tally_answered("own", 1).await;
    assert_eq!((tally.participants, tally.clickers), (1, 1));
    server.stop().await;
}

#[tokio::test]
async fn phones_and_clickers_answer_the_same_session() {
    let (server, _questions) = spawn_with_unpaired_test_set().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator.create("test-all-kinds", "7.c").await.session;
    facilitator.control(Action::Open).await;
    facilitator.control(Action::Next).await; // "guess", a percent estimate
    let options = pejling::clicker::simulate::Options {
        devices: 20,
        loss: 0.1,
        duplicate: 0.1,
        reorder: 0.1,
        change: 0.0,
        seed: 5,
        questions: 1,
    };
    let simulation = tokio::spawn(pejling::clicker::simulate::run(
        server.bridge_addr(),
        options,
        None,
    ));
    let mut phone_values = Vec::new();
    for value in [10u32, 20, 30, 40, 50] {
        let (mut phone, _) = Participant::join(server.addr, &session.code, None).await;
        phone.answer("guess", Answer::Percent { value }).await;
        phone_values.push(value);
    }
    let truths = tokio::time::timeout(Duration::from_secs(60), simulation)
        .await
        .expect("the simulation ends")
        .unwrap()
        .unwrap();
    let tally = facilitator.tally_answered("guess", 25).await;
    assert_eq!((tally.participants, tally.clickers), (25, 20));
    let Some(TallyResult {
        distribution: Distribution::Percent { counts, .. },
        abstained,
    }) = tally.question.unwrap().result
    else {
        panic!("a percent result")
    };
    let mut want = vec![0u32; 101];
    let mut want_abstained = vec![0u32; 1];
    for value in phone_values {
        want[value as usize] += 1;
    }
    for (token, n) in truths[0].counts() {
        match token.strip_prefix('X') {
            Some(_) => want_abstained[0] += n,
            None => want[token.parse::<usize>().unwrap()] += n,
        }
    }
    assert_eq!(counts, want);
    assert_eq!(abstained, want_abstained);
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_on_a_serial_port_is_answered_over_a_real_pty() {
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal pair");
    let slave = nix::unistd::ttyname(&pty.slave).expect("the pty's name");
    let (questions_dir, _keep) = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("all-kinds.toml"),
            crate::all_kinds_unpaired(),
        )
        .unwrap();
        (dir.path().to_path_buf(), dir)
    };
    let server = pejling_tests::spawn_app_with_clickers(
        Some(questions_dir),
        vec![pejling::clicker::ClickerSpec::Serial(Some(slave.clone()))],
    )
    .await;
    // The test plays the receiver micro:bit on the pty's other end.
    let master = std::fs::File::from(pty.master);
    let mut to_server = master.try_clone().unwrap();
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(master).lines() {
            let Ok(line) = line else { break };
            let line = line.trim_end_matches('\r').to_string();
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut next = async || loop {
        let line = tokio::time::timeout(TIMEOUT, lines.recv())
            .await
            .expect("a line from the server within the timeout")
            .expect("the pty stays open");
        if !line.starts_with("PJ1 PING") && !line.is_empty() {
            return line;
        }
    };

    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator.create("test-all-kinds", "7.d").await.session;
    writeln!(to_server, "PJ1 HELLO mb usb-receiver").unwrap();
    assert_eq!(next().await, format!("PJ1 WELCOME {}", session.code));
    assert_eq!(next().await, "PJ1 CLOSED");
    facilitator.control(Action::Open).await;
    assert_eq!(next().await, "PJ1 OPEN 1 CHOICE 2 1");
    writeln!(to_server, "PJ1 VOTE 9904a1b2 1 1 0").unwrap();
    writeln!(to_server, "PJ1 VOTE 77ee01f3 1 1 1").unwrap();
    writeln!(to_server, "PJ1 VOTE 5a5a5a5a 1 1 X0").unwrap();
    let mut acks = vec![next().await, next().await, next().await];
    acks.sort();
    assert_eq!(
        acks,
        vec![
            "PJ1 ACK 5a5a5a5a 1 OK",
            "PJ1 ACK 77ee01f3 1 OK",
            "PJ1 ACK 9904a1b2 1 OK",
        ]
    );
    facilitator.control(Action::Reveal).await;
    assert_eq!(next().await, "PJ1 CLOSED");
    let tally = facilitator
        .tally_until(|t| t.question.as_ref().is_some_and(|q| q.result.is_some()))
        .await;
    assert_eq!(
        tally.question.unwrap().result.unwrap(),
        TallyResult {
            abstained: vec![1],
            distribution: Distribution::Choice { counts: vec![1, 1] },
        }
    );
    assert_eq!((tally.participants, tally.clickers), (3, 3));
    assert!(
        tally
            .bridges
            .iter()
            .any(|b| b.name.contains("serial") && b.devices == 3),
        "{:?}",
        tally.bridges
    );
    server.stop().await;
}

#[tokio::test]
async fn a_phone_cannot_take_over_a_clicker_device() {
    let (server, _questions) = spawn_with_unpaired_test_set().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator.create("test-all-kinds", "7.d").await.session;
    let mut bridge = RawBridge::connect(server.bridge_addr()).await;
    bridge.send(b"PJ1 HELLO mb receiver-1\n").await;
    assert_eq!(bridge.line().await, format!("PJ1 WELCOME {}", session.code));
    assert_eq!(bridge.line().await, "PJ1 CLOSED");
    facilitator.control(Action::Open).await;
    assert_eq!(bridge.line().await, "PJ1 OPEN 1 CHOICE 2 1");
    bridge.send(b"PJ1 VOTE a1b2 1 1 0\n").await;
    assert_eq!(bridge.line().await, "PJ1 ACK a1b2 1 OK");
    facilitator.tally_until(|t| t.clickers == 1).await;

    // The token the device had before (session id and device id, which every phone's
    // welcome half tells), and the device's real token, read from the server's key file
    // as only the server can: neither lets a phone in as the device.
    let secrets = pejling::secrets::Secrets::load_or_create(&pejling::secrets::Secrets::path_for(
        &server.data,
    ))
    .unwrap();
    let tokens = [
        format!("clicker:{}:mb:a1b2", session.id),
        secrets.clicker_token(&session.id, "mb:a1b2"),
    ];
    for (n, token) in tokens.into_iter().enumerate() {
        let (mut phone, state) =
            Participant::join(server.addr, &session.code, Some(token.clone())).await;
        assert!(!state.answered, "the phone sees no answer of the device");
        assert_ne!(phone.token, token, "the phone is given a token of its own");
        let tally = facilitator
            .tally_until(|t| t.participants == 2 + n as u32)
            .await;
        assert_eq!(tally.clickers, 1);
        // What the phone answers is its own answer, not the device's.
        phone.answer("own", Answer::Choice { option: 1 }).await;
    }
    facilitator.tally_answered("own", 3).await;
    // "own" is sensitive: its split shows once revealed.
    facilitator.control(Action::Reveal).await;
    let tally = facilitator
        .tally_until(|t| t.question.as_ref().is_some_and(|q| q.result.is_some()))
        .await;
    let Some(TallyResult {
        distribution: Distribution::Choice { counts },
        ..
    }) = tally.question.unwrap().result
    else {
        panic!("a choice result")
    };
    assert_eq!(counts, vec![1, 2], "the device's answer is still its own");
    server.stop().await;
}

#[tokio::test]
async fn a_vote_right_behind_hello_counts_for_the_open_question() {
    // A receiver that says HELLO again (after a server restart, say) sends the votes it
    // queued right behind it, in the same write.
    let (server, _questions) = spawn_with_unpaired_test_set().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator.create("test-all-kinds", "7.e").await.session;
    facilitator.control(Action::Open).await;
    let mut bridge = RawBridge::connect(server.bridge_addr()).await;
    bridge
        .send(b"PJ1 HELLO mb receiver-1\nPJ1 VOTE c3d4 1 1 0\n")
        .await;
    assert_eq!(bridge.line().await, format!("PJ1 WELCOME {}", session.code));
    // What is open comes first, then the vote's outcome; no CLOSED in between.
    assert_eq!(bridge.line().await, "PJ1 OPEN 1 CHOICE 2 1");
    assert_eq!(bridge.line().await, "PJ1 ACK c3d4 1 OK");
    facilitator.tally_answered("own", 1).await;
    server.stop().await;
}

#[tokio::test]
async fn a_web_page_posting_to_the_bridge_port_is_not_a_bridge() {
    // A page in the laptop's browser can post text to 127.0.0.1:8081; its body must not
    // be taken for bridge lines.
    let (server, _questions) = spawn_with_unpaired_test_set().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    facilitator.create("test-all-kinds", "7.f").await;
    facilitator.control(Action::Open).await;
    let mut stream = tokio::net::TcpStream::connect(server.bridge_addr())
        .await
        .unwrap();
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n\r\nPJ1 HELLO mb x\nPJ1 VOTE e5f6 1 1 0\n",
        )
        .await
        .unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(
        TIMEOUT,
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut reply),
    )
    .await
    .expect("the port closes the connection")
    .ok();
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        !reply.contains("WELCOME") && !reply.contains("ACK"),
        "{reply}"
    );
    let tally = facilitator.tally_until(|_| true).await;
    assert_eq!((tally.participants, tally.clickers), (0, 0));
    server.stop().await;
}
