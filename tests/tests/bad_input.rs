//! Bad input of every kind gets its documented error or close, and the session and every
//! stored answer survive it.

use pejling_tests::wire::{
    Action, Answer, CLOSE_MESSAGE_TOO_BIG, CLOSE_POLICY_VIOLATION, ClientMessage, ErrorCode,
    MAX_MESSAGE_BYTES, PROTOCOL_VERSION, ServerMessage,
};
use pejling_tests::{Client, Closed, Facilitator, Participant, http_request};
use tokio_tungstenite::tungstenite::Message;

use crate::spawn_with_unpaired_test_set;

/// A running session with one answered question, and a check that it still works.
struct Fixture {
    server: pejling_tests::TestServer,
    _questions: tempfile::TempDir,
    host: Facilitator,
    session_id: String,
    code: String,
    good: Participant,
}

impl Fixture {
    async fn new() -> Fixture {
        let (server, questions) = spawn_with_unpaired_test_set().await;
        let mut host = Facilitator::connect(server.addr).await;
        let state = host.create("test-all-kinds", "bad input").await;
        host.control(Action::Open).await;
        host.control(Action::Next).await; // "guess", percent, not sensitive
        let (mut good, _) = Participant::join(server.addr, &state.session.code, None).await;
        good.answer("guess", Answer::Percent { value: 42 }).await;
        Fixture {
            server,
            _questions: questions,
            host,
            session_id: state.session.id,
            code: state.session.code,
            good,
        }
    }

    /// The stored answer is intact and the session still takes answers.
    async fn still_works(&mut self) {
        let (_, tally) = self.host.snapshot(&self.session_id).await;
        let question = tally.question.unwrap();
        assert_eq!(question.answered, 1);
        if question.hidden == Some(pejling_tests::wire::Hidden::UntilReveal) {
            // Opened again after it was answered: its split waits for the next reveal
            // (issue 24); the count says the answer is there.
        } else {
            let value = if let Some(pejling_tests::wire::Distribution::Percent { counts, .. }) =
                question.result.map(|r| r.distribution)
            {
                counts.iter().position(|&c| c == 1)
            } else {
                None
            };
            assert_eq!(value, Some(42));
        }
        let (mut fresh, _) = Participant::join(self.server.addr, &self.code, None).await;
        fresh.answer("guess", Answer::Percent { value: 7 }).await;
        fresh.answer("guess", Answer::Percent { value: 42 }).await;
        self.good
            .answer("guess", Answer::Percent { value: 42 })
            .await;
    }

    async fn joined(&self) -> Participant {
        Participant::join(self.server.addr, &self.code, None)
            .await
            .0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_get_specific_errors() {
    let mut fixture = Fixture::new().await;
    let mut client = Client::connect(fixture.server.addr).await;
    let cases: &[(&str, ErrorCode, &str)] = &[
        ("not json", ErrorCode::BadJson, "not valid JSON"),
        ("[1, 2]", ErrorCode::BadJson, "JSON object"),
        ("{}", ErrorCode::UnknownType, "\"type\""),
        (
            r#"{"type": "hack"}"#,
            ErrorCode::UnknownType,
            "unknown message type \"hack\"",
        ),
        (
            r#"{"type": "join"}"#,
            ErrorCode::BadMessage,
            "missing field",
        ),
        (
            r#"{"type": "join", "version": 1, "code": "X", "extra": 1}"#,
            ErrorCode::BadMessage,
            "unknown field",
        ),
        (
            r#"{"type": "join", "version": 99, "code": "X"}"#,
            ErrorCode::UnsupportedVersion,
            "version 99",
        ),
        (
            r#"{"type": "submit_answer", "question_id": "guess", "answer": {"kind": "percent", "value": 1}}"#,
            ErrorCode::NotIntroduced,
            "join, host or watch",
        ),
        (
            r#"{"type": "join", "version": 2, "code": "ZZZZZZ"}"#,
            ErrorCode::UnknownSession,
            "ZZZZZZ",
        ),
        (
            r#"{"type": "host", "version": 2, "host_token": "wrong-token"}"#,
            ErrorCode::BadToken,
            "host token",
        ),
    ];
    for (text, code, needle) in cases {
        client.send_raw(Message::text(*text)).await;
        let message = client.expect_error(*code).await;
        assert!(message.contains(needle), "{text}: {message}");
    }
    client
        .send_raw(Message::binary(vec![0u8, 159, 146, 150]))
        .await;
    client.expect_error(ErrorCode::BadJson).await;
    // A screen with a wrong token.
    client
        .send(&ClientMessage::Watch {
            version: PROTOCOL_VERSION,
            code: fixture.code.clone(),
            token: "nope".into(),
        })
        .await;
    client.expect_error(ErrorCode::BadToken).await;
    fixture.still_works().await;
}

/// The messages without fields refuse one like every other message does (`bad_message`),
/// and are answered as usual without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_messages_refuse_unknown_fields() {
    let server = pejling_tests::spawn_app().await;
    let mut host = Facilitator::connect(server.addr).await;
    for text in [
        r#"{"type": "list_sets", "audience": "parents"}"#,
        r#"{"type": "list_sessions", "limit": 10}"#,
        r#"{"type": "ping", "nonce": 1, "extra": true}"#,
    ] {
        host.client.send_raw(Message::text(text)).await;
        let message = host.client.expect_error(ErrorCode::BadMessage).await;
        assert!(message.contains("unknown field"), "{text}: {message}");
    }
    host.client
        .send_raw(Message::text(r#"{"type": "list_sessions"}"#))
        .await;
    assert!(matches!(
        host.client.recv().await,
        ServerMessage::Sessions { .. }
    ));
    assert!(!host.list_sets().await.is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_role_closed_question_and_out_of_range_answers_are_refused() {
    let mut fixture = Fixture::new().await;
    let mut device = fixture.joined().await;

    device
        .client
        .send(&ClientMessage::Control {
            action: Action::End,
        })
        .await;
    device.client.expect_error(ErrorCode::WrongRole).await;
    device.client.send(&ClientMessage::ListSessions).await;
    device.client.expect_error(ErrorCode::WrongRole).await;
    device
        .client
        .send(&ClientMessage::Join {
            version: PROTOCOL_VERSION,
            code: fixture.code.clone(),
            token: None,
        })
        .await;
    device
        .client
        .expect_error(ErrorCode::AlreadyIntroduced)
        .await;

    for (question_id, answer, code) in [
        (
            "guess",
            Answer::Percent { value: 101 },
            ErrorCode::InvalidAnswer,
        ),
        (
            "guess",
            Answer::Choice { option: 0 },
            ErrorCode::InvalidAnswer,
        ),
        (
            "guess",
            Answer::Abstain { option: 1 },
            ErrorCode::InvalidAnswer,
        ),
        (
            "own",
            Answer::Choice { option: 0 },
            ErrorCode::QuestionNotOpen,
        ),
        (
            "nope",
            Answer::Choice { option: 0 },
            ErrorCode::UnknownQuestion,
        ),
    ] {
        device.send_answer(question_id, answer).await;
        device.client.expect_error(code).await;
    }

    // The facilitator's own mistakes.
    let mut host = Facilitator::connect(fixture.server.addr).await;
    host.client
        .send(&ClientMessage::Control {
            action: Action::Next,
        })
        .await;
    host.client.expect_error(ErrorCode::NoSession).await;
    host.client
        .send(&ClientMessage::CreateSession {
            set_id: "no-such-set".into(),
            label: None,
            description: Default::default(),
            linked_sessions: Vec::new(),
            rehearsal: false,
            follow_up_of: None,
        })
        .await;
    host.client.expect_error(ErrorCode::UnknownSet).await;
    // Links: only a parents' set links, and only to sessions that exist.
    for (set_id, link, says) in [
        ("7-klasse-alkohol", "whatever", "only a parents' set"),
        (
            "foraeldre-7-klasse",
            "no-such-session",
            "no session \"no-such-session\"",
        ),
    ] {
        host.client
            .send(&ClientMessage::CreateSession {
                set_id: set_id.into(),
                label: None,
                description: Default::default(),
                linked_sessions: vec![link.into()],
                rehearsal: false,
                follow_up_of: None,
            })
            .await;
        let message = host.client.expect_error(ErrorCode::InvalidLink).await;
        assert!(message.contains(says), "{message}");
    }
    host.client
        .send(&ClientMessage::AttachSession {
            session_id: "nope".into(),
        })
        .await;
    host.client.expect_error(ErrorCode::UnknownSession).await;
    host.client
        .send(&ClientMessage::SubmitAnswer {
            question_id: "guess".into(),
            answer: Answer::Percent { value: 1 },
        })
        .await;
    host.client.expect_error(ErrorCode::WrongRole).await;
    host.attach(&fixture.session_id).await;
    host.client
        .send(&ClientMessage::Control {
            action: Action::Previous,
        })
        .await;
    host.client
        .recv_until(|m| match m {
            ServerMessage::SessionState(_) => Some(()),
            _ => None,
        })
        .await;
    host.client
        .send(&ClientMessage::Control {
            action: Action::Previous,
        })
        .await;
    let message = host
        .client
        .recv_until(|m| match m {
            ServerMessage::Error { code, message } => {
                assert_eq!(*code, ErrorCode::InvalidAction);
                Some(message.clone())
            }
            _ => None,
        })
        .await;
    assert!(message.contains("no previous question"), "{message}");
    // Answers to a closed question are refused.
    device
        .send_answer("guess", Answer::Percent { value: 1 })
        .await;
    device
        .client
        .recv_until(|m| match m {
            ServerMessage::Error { code, .. } => {
                assert_eq!(*code, ErrorCode::QuestionNotOpen);
                Some(())
            }
            _ => None,
        })
        .await;
    host.client
        .send(&ClientMessage::Control {
            action: Action::Next,
        })
        .await;
    host.client
        .recv_until(|m| match m {
            ServerMessage::SessionState(s) if s.current.as_ref().unwrap().id == "guess" => Some(()),
            _ => None,
        })
        .await;
    host.client
        .send(&ClientMessage::Control {
            action: Action::Open,
        })
        .await;
    host.client
        .recv_until(|m| match m {
            ServerMessage::SessionState(s) if s.phase == pejling_tests::wire::Phase::Open => {
                Some(())
            }
            _ => None,
        })
        .await;
    fixture.still_works().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_are_closed_with_1009() {
    let mut fixture = Fixture::new().await;
    let mut device = fixture.joined().await;
    let huge = format!(
        r#"{{"type":"ping","nonce":1,"pad":"{}"}}"#,
        "x".repeat(MAX_MESSAGE_BYTES * 4)
    );
    device.client.try_send_raw(Message::text(huge)).await;
    let (closed, _) = device.client.until_closed().await;
    assert_eq!(closed, Closed::Code(CLOSE_MESSAGE_TOO_BIG));
    fixture.still_works().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_rate_limited_then_closed_with_1008() {
    let mut fixture = Fixture::new().await;
    let mut device = fixture.joined().await;
    let ping = serde_json::to_string(&ClientMessage::Ping { nonce: 1 }).unwrap();
    for _ in 0..2000 {
        if !device
            .client
            .try_send_raw(Message::text(ping.clone()))
            .await
        {
            break;
        }
    }
    let (closed, seen) = device.client.until_closed().await;
    assert_eq!(closed, Closed::Code(CLOSE_POLICY_VIOLATION));
    assert!(
        seen.iter().any(|m| matches!(
            m,
            ServerMessage::Error {
                code: ErrorCode::RateLimited,
                ..
            }
        )),
        "a rate_limited error comes before the close"
    );
    let pongs = seen
        .iter()
        .filter(|m| matches!(m, ServerMessage::Pong { .. }))
        .count();
    assert!(
        (30..2000).contains(&pongs),
        "the burst passes, the flood does not: {pongs}"
    );
    fixture.still_works().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_http_requests_get_clear_errors() {
    let mut fixture = Fixture::new().await;
    let addr = fixture.server.addr;
    let (status, body) = http_request(
        addr,
        "GET /no/such/page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(status.contains("404"), "{status}");
    assert!(body.contains("page not found"), "{body}");
    let (status, _) = http_request(
        addr,
        "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 4"), "{status}");
    let (status, _) = http_request(addr, "BLAH\r\n\r\n").await;
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    let (status, body) = http_request(
        addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, "ok");
    fixture.still_works().await;
}
