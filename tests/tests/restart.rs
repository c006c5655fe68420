//! Restarting the server on the same data file mid-session: every acknowledged answer
//! is there, devices resume with their tokens without being counted twice, and the
//! session goes on.

use futures_util::future::join_all;
use pejling_tests::wire::{Action, Answer, Distribution, Phase, TallyResult};
use pejling_tests::{Facilitator, Participant, spawn_app};

use crate::spawn_with_unpaired_test_set;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_every_acknowledged_answer_and_continues() {
    let (mut server, _questions) = spawn_with_unpaired_test_set().await;
    let mut host = Facilitator::connect(server.addr).await;
    let state = host.create("test-all-kinds", "restart").await;
    let (session_id, code) = (state.session.id.clone(), state.session.code.clone());

    let mut devices = Vec::new();
    for _ in 0..10 {
        devices.push(Participant::join(server.addr, &code, None).await.0);
    }
    host.control(Action::Open).await;
    host.control(Action::Next).await; // to "guess", a non-sensitive percent question
    for device in devices.iter_mut() {
        device.wait_question("guess").await;
    }
    join_all(devices.iter_mut().enumerate().map(|(i, d)| {
        d.answer(
            "guess",
            Answer::Percent {
                value: i as u32 * 10,
            },
        )
    }))
    .await;
    let tokens: Vec<String> = devices.iter().map(|d| d.token.clone()).collect();

    server.restart().await;
    let addr = server.addr;
    assert_eq!(server.running().resumed_sessions, 1);

    // The facilitator finds the session as it was.
    let mut host = Facilitator::connect(addr).await;
    let (state, tally) = host.snapshot(&session_id).await;
    assert_eq!(state.phase, Phase::Open);
    assert_eq!(state.current.as_ref().unwrap().id, "guess");
    assert_eq!(tally.participants, 10);
    assert_eq!(tally.connected, 0);
    let question = tally.question.unwrap();
    assert_eq!(question.answered, 10);
    let Some(TallyResult {
        distribution: Distribution::Percent { counts, mean, .. },
        ..
    }) = question.result
    else {
        panic!("percent result")
    };
    for i in 0..10 {
        assert_eq!(counts[i * 10], 1, "answer {} survived", i * 10);
    }
    assert_eq!(mean, Some(45.0));

    // Devices come back with their tokens: same participants, answers kept.
    let mut devices = Vec::new();
    for token in &tokens {
        let (device, state) = Participant::join(addr, &code, Some(token.clone())).await;
        assert_eq!(&device.token, token);
        assert!(state.answered);
        assert_eq!(state.question.unwrap().id, "guess");
        devices.push(device);
    }
    devices[0]
        .answer("guess", Answer::Percent { value: 100 })
        .await;
    let (_, tally) = host.snapshot(&session_id).await;
    assert_eq!(tally.participants, 10, "nobody is counted twice");
    assert_eq!(tally.connected, 10);
    let question = tally.question.unwrap();
    assert_eq!(question.answered, 10);
    let Some(TallyResult {
        distribution: Distribution::Percent { counts, .. },
        ..
    }) = question.result
    else {
        panic!("percent result")
    };
    assert_eq!((counts[0], counts[100]), (0, 1));

    // The session goes on.
    host.control(Action::Next).await;
    for device in devices.iter_mut() {
        device.wait_question("age").await;
    }
    devices[1].answer("age", Answer::Number { value: 18 }).await;
    host.tally_answered("age", 1).await;
    server.stop().await;
}

#[tokio::test]
async fn a_server_with_a_bridge_port_and_a_bridge_attached_stops_cleanly() {
    // Every test server listens for bridges on TCP; attach one too.
    let server = spawn_app().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    facilitator.create("5-6-klasse-trivsel", "7.a").await;
    let mut bridge = tokio::net::TcpStream::connect(server.bridge_addr())
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut bridge, b"PJ1 HELLO mb receiver\n")
        .await
        .unwrap();
    assert!(
        server.stop_cleanly().await,
        "the data file is closed when the server stops"
    );
}

#[tokio::test]
async fn a_session_keeps_the_thresholds_it_was_run_with() {
    let (mut server, _questions) = spawn_with_unpaired_test_set().await;
    let mut host = Facilitator::connect(server.addr).await;
    let state = host.create("test-all-kinds", "thresholds").await;
    let (session_id, code) = (state.session.id.clone(), state.session.code.clone());
    host.control(Action::Open).await;
    host.control(Action::Next).await; // "guess", a non-sensitive percent question
    for value in [20, 30] {
        let (mut device, _) = Participant::join(server.addr, &code, None).await;
        device.answer("guess", Answer::Percent { value }).await;
    }
    // Run with a minimum of one answer, the two answers are shown.
    let shown = |tally: &pejling_tests::wire::Tally| {
        tally
            .question
            .as_ref()
            .is_some_and(|q| q.answered == 2 && q.result.is_some())
    };
    host.tally_until(shown).await;
    // A restart with a higher minimum for new sessions: this one still shows what it
    // showed, so its reports name the same figures as before.
    server.restart_with_min_answers(5).await;
    let mut host = Facilitator::connect(server.addr).await;
    let (_, tally) = host.snapshot(&session_id).await;
    assert!(shown(&tally), "{tally:?}");
}
