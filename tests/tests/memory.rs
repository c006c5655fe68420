//! Bounded memory (issue 24): a session nobody uses leaves memory and comes back from the
//! data file as it was when it is asked for, by join code or by id. Every wait is for an
//! outcome (the session's charts answer "no running session"), never for a time.

use std::time::Duration;

use pejling_tests::wire::{Action, Answer, ErrorCode, Phase};
use pejling_tests::{
    Facilitator, HOST_TOKEN, Participant, TIMEOUT, TestServer, http_request, spawn_app_with_limits,
    test_limits,
};

/// A server whose unused sessions leave memory after 200 ms.
async fn forgetful_server() -> TestServer {
    spawn_app_with_limits(pejling_tests::pejling::limits::Limits {
        session_idle: Duration::from_millis(200),
        ..test_limits()
    })
    .await
}

/// Waits until the server no longer runs `session_id`: its chart route (running
/// sessions only) answers 404 "no running session".
async fn left_memory(server: &TestServer, session_id: &str, question: &str) {
    let request = format!(
        "GET /chart/{session_id}/{question}.svg?token={HOST_TOKEN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let waited = tokio::time::timeout(TIMEOUT, async {
        loop {
            let (status, body) = http_request(server.addr, &request).await;
            if status.contains("404") && body.contains("no running session") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the idle session never left memory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_leaves_memory_and_comes_back_as_it_was() {
    let server = forgetful_server().await;
    let mut host = Facilitator::connect(server.addr).await;
    let state = host.create("7-klasse-alkohol", "7.a idle").await;
    let (session_id, code) = (state.session.id.clone(), state.session.code.clone());
    let (mut phone, _) = Participant::join(server.addr, &code, None).await;
    host.control(Action::Open).await;
    let question = "drunk-alcohol-own".to_string();
    phone.wait_question(&question).await;
    phone.answer(&question, Answer::Choice { option: 0 }).await;
    let (before, tally) = host.snapshot(&session_id).await;
    assert_eq!(tally.question.as_ref().unwrap().answered, 1);
    // The facilitator moves on to another class (the session it follows now is another)
    // and everyone leaves the first one.
    host.create("7-klasse-alkohol", "7.b").await;
    let token = phone.token.clone();
    phone.client.close().await;
    left_memory(&server, &session_id, &question).await;

    // The phone comes back by join code: the same participant, its answer kept.
    let (phone, state) = Participant::join(server.addr, &code, Some(token.clone())).await;
    assert_eq!(phone.token, token);
    assert_eq!(state.question.unwrap().id, question);
    assert!(state.answered, "the answer is still there");
    // The facilitator finds the session as it was.
    let (after, tally) = host.snapshot(&session_id).await;
    assert_eq!(after.phase, Phase::Open);
    assert_eq!(after.current, before.current);
    assert_eq!(after.questions, before.questions);
    assert_eq!(after.reveal_step, before.reveal_step);
    assert_eq!(tally.participants, 1, "nobody is counted twice");
    assert_eq!(tally.question.unwrap().answered, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_leaves_memory_and_its_code_as_after_a_restart() {
    let server = forgetful_server().await;
    let mut host = Facilitator::connect(server.addr).await;
    let state = host.create("7-klasse-alkohol", "7.a ended").await;
    let (session_id, code) = (state.session.id.clone(), state.session.code.clone());
    let (mut phone, _) = Participant::join(server.addr, &code, None).await;
    host.control(Action::Open).await;
    let question = "drunk-alcohol-own".to_string();
    phone.wait_question(&question).await;
    phone.answer(&question, Answer::Choice { option: 1 }).await;
    host.control(Action::End).await;
    host.create("7-klasse-alkohol", "7.b").await;
    phone.client.close().await;
    left_memory(&server, &session_id, &question).await;

    // Its code is free, as after a restart; by id it comes back, ended, answers kept.
    let mut late = pejling_tests::Client::connect(server.addr).await;
    late.send(&pejling_tests::wire::ClientMessage::Join {
        version: pejling_tests::wire::PROTOCOL_VERSION,
        code: code.clone(),
        token: None,
    })
    .await;
    late.expect_error(ErrorCode::UnknownSession).await;
    let (state, tally) = host.snapshot(&session_id).await;
    assert_eq!(state.phase, Phase::Ended);
    assert_eq!(tally.participants, 1);
}
