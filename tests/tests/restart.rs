//! Restarting the server on the same data file mid-session: every acknowledged answer
//! is there, devices resume with their tokens without being counted twice, and the
//! session goes on.

use futures_util::future::join_all;
use pejling_tests::wire::{Action, Answer, Distribution, Phase, TallyResult};
use pejling_tests::{Facilitator, Participant};

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
