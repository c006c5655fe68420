//! Limits against one device on the Wi-Fi locking others out or guessing its way in:
//! header and ping timeouts, per-address connections, join codes and new participants,
//! and rate limits on every kind of frame. Devices are given their own loopback
//! addresses (127.x.y.z), as phones each have their own on a classroom Wi-Fi. Every test
//! waits for an outcome (a close, a tally), never for a time.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use pejling_tests::pejling::limits::{Limits, Rate};
use pejling_tests::wire::{ClientMessage, ErrorCode, PROTOCOL_VERSION, ServerMessage};
use pejling_tests::{Client, Closed, Facilitator, TIMEOUT, http_request, spawn_app_with_limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

fn device(n: u8) -> IpAddr {
    Ipv4Addr::new(127, 0, 3, n).into()
}

fn join(code: &str, token: Option<String>) -> ClientMessage {
    ClientMessage::Join {
        version: PROTOCOL_VERSION,
        code: code.to_string(),
        token,
    }
}

/// A facilitator and the join code of a new session on `server`.
async fn session(server: &pejling_tests::TestServer) -> (Facilitator, String) {
    let mut facilitator = Facilitator::connect(server.addr).await;
    let code = facilitator
        .create("5-6-klasse-trivsel", "7.a")
        .await
        .session
        .code;
    (facilitator, code)
}

/// Reads until the server closes the connection; `true` if it did within the timeout.
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> bool {
    let mut buffer = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(TIMEOUT, read).await.is_ok()
}

#[tokio::test]
async fn connections_that_send_nothing_are_closed_and_lock_nobody_out() {
    let server = spawn_app_with_limits(Limits {
        header_timeout: Duration::from_millis(300),
        connections_per_address: 20,
        ..Limits::default()
    })
    .await;
    // One device opens three times its share of connections and sends nothing; another
    // sends a request one byte at a time (slowloris).
    let attacker = device(9);
    let mut idle = Vec::new();
    for _ in 0..60 {
        idle.push(pejling_tests::tcp_from(server.addr, attacker, None).await);
    }
    let mut slow = pejling_tests::tcp_from(server.addr, device(10), None).await;
    let dripping = tokio::spawn(async move {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if slow.write_all(&[*byte]).await.is_err() {
                return slow;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        unreachable!("the cycle never ends")
    });

    // Meanwhile the health check, the facilitator and a new phone get through.
    let (status, body) = http_request(
        server.addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, "ok");
    let (_facilitator, code) = session(&server).await;
    let mut phone = Client::connect_from(server.addr, device(11)).await;
    phone.send(&join(&code, None)).await;
    assert!(matches!(phone.recv().await, ServerMessage::Welcome { .. }));

    // Every silent connection is closed: the ones over the address's share at once, the
    // rest when the header timeout passes; the slow request too.
    let mut closed = 0;
    for stream in &mut idle {
        if closed_by_server(stream).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 60, "every connection that sent nothing was closed");
    let slow = tokio::time::timeout(TIMEOUT, dripping)
        .await
        .expect("the slow request is cut off")
        .expect("task");
    drop(slow);
    // The phone that did say something is still served.
    phone.send(&ClientMessage::Ping { nonce: 7 }).await;
    phone
        .recv_until(|m| matches!(m, ServerMessage::Pong { nonce: 7 }).then_some(()))
        .await;
}

#[tokio::test]
async fn binary_frames_count_against_the_rate_limit() {
    let server = spawn_app_with_limits(Limits::default()).await;
    let mut client = Client::connect_from(server.addr, device(20)).await;
    for _ in 0..1000 {
        if !client.try_send_raw(Message::binary(vec![0u8; 16])).await {
            break;
        }
    }
    let (closed, seen) = client.until_closed().await;
    assert_eq!(
        closed,
        Closed::Code(1008),
        "a binary flood is closed as a text one is"
    );
    let errors = seen
        .iter()
        .filter(|m| matches!(m, ServerMessage::Error { .. }))
        .count();
    assert!(errors < 100, "the flood was answered {errors} times");
}

#[tokio::test]
async fn a_phone_that_left_is_no_longer_counted_as_connected() {
    let server = spawn_app_with_limits(Limits {
        ping_interval: Duration::from_millis(100),
        ping_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let (mut facilitator, code) = session(&server).await;
    let mut phone = Client::connect_from(server.addr, device(30)).await;
    phone.send(&join(&code, None)).await;
    assert!(matches!(phone.recv().await, ServerMessage::Welcome { .. }));
    facilitator
        .tally_until(|t| t.participants == 1 && t.connected == 1)
        .await;
    // The phone leaves the Wi-Fi: it reads nothing more, so it answers no ping.
    let gone = phone;
    let tally = facilitator.tally_until(|t| t.connected == 0).await;
    assert_eq!(tally.participants, 1, "it still counts as a participant");
    drop(gone);
    // The facilitator, who does answer pings (by reading), stays connected meanwhile.
    facilitator
        .client
        .send(&ClientMessage::Ping { nonce: 1 })
        .await;
    facilitator
        .client
        .recv_until(|m| matches!(m, ServerMessage::Pong { nonce: 1 }).then_some(()))
        .await;
}

#[tokio::test]
async fn a_connection_that_falls_behind_is_closed_so_it_reconnects() {
    let server = spawn_app_with_limits(Limits::default()).await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let state = facilitator.create("5-6-klasse-trivsel", "7.a").await;
    // A screen with a tiny receive buffer that stops reading.
    let mut screen = Client::connect_small(server.addr, device(40)).await;
    screen
        .send(&ClientMessage::Watch {
            version: PROTOCOL_VERSION,
            code: state.session.code.clone(),
            token: state.session.screen_token.clone().expect("screen token"),
        })
        .await;
    // Controls from several facilitator connections (each within its own rate) send the
    // screen a state per step until its queue overflows.
    let mut hosts = vec![facilitator];
    for _ in 0..7 {
        let mut host = Facilitator::connect(server.addr).await;
        host.attach(&state.session.id).await;
        hosts.push(host);
    }
    let mut drivers = Vec::new();
    for (i, mut host) in hosts.into_iter().enumerate() {
        drivers.push(tokio::spawn(async move {
            for step in 0..400 {
                let action = if (step + i) % 2 == 0 {
                    pejling_tests::wire::Action::Open
                } else {
                    pejling_tests::wire::Action::Close
                };
                host.client.send(&ClientMessage::Control { action }).await;
                tokio::time::sleep(Duration::from_millis(55)).await;
            }
            host
        }));
    }
    for driver in drivers {
        driver.await.expect("driver");
    }
    // Reading again, the screen gets what was queued and then a close asking it to
    // reconnect.
    let (closed, _) = screen.until_closed().await;
    assert_eq!(closed, Closed::Code(1013));
}

#[tokio::test]
async fn guessing_join_codes_is_limited_per_address_and_the_qr_route_tells_nothing() {
    let server = spawn_app_with_limits(Limits {
        unknown_codes: Rate::new(5, Duration::from_secs(3600)),
        ..Limits::default()
    })
    .await;
    let (_facilitator, code) = session(&server).await;

    let guesser = device(50);
    for guess in ["AAAAAA", "CCCCCC", "DDDDDD", "EEEEEE", "FFFFFF"] {
        let mut client = Client::connect_from(server.addr, guesser).await;
        client.send(&join(guess, None)).await;
        client.expect_error(ErrorCode::UnknownSession).await;
    }
    // Now even the right code is refused from that address, and says why.
    let mut client = Client::connect_from(server.addr, guesser).await;
    client.send(&join(&code, None)).await;
    let message = client.expect_error(ErrorCode::RateLimited).await;
    assert!(message.contains("wait"), "{message}");
    // Another device is not affected.
    let mut other = Client::connect_from(server.addr, device(51)).await;
    other.send(&join(&code, None)).await;
    assert!(matches!(other.recv().await, ServerMessage::Welcome { .. }));

    // The QR code of a running code and of a made-up one look the same from outside.
    let get = |code: String| {
        let addr = server.addr;
        async move {
            http_request(
                addr,
                &format!("GET /qr/{code}.svg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            )
            .await
            .0
        }
    };
    assert!(get(code.clone()).await.contains("200"));
    assert!(get("KKKKKK".into()).await.contains("200"));
    assert!(get("not-a-code".into()).await.contains("404"));
}

#[tokio::test]
async fn one_device_cannot_add_many_participants_but_may_rejoin() {
    let server = spawn_app_with_limits(Limits {
        new_participants: Rate::new(3, Duration::from_secs(3600)),
        ..Limits::default()
    })
    .await;
    let (mut facilitator, code) = session(&server).await;
    let prankster = device(60);
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let mut client = Client::connect_from(server.addr, prankster).await;
        client.send(&join(&code, None)).await;
        match client.recv().await {
            ServerMessage::Welcome {
                token: Some(token), ..
            } => tokens.push(token),
            other => panic!("expected a welcome, got {other:?}"),
        }
    }
    for _ in 0..5 {
        let mut client = Client::connect_from(server.addr, prankster).await;
        client
            .send(&join(&code, Some("made-up-token".into())))
            .await;
        client.expect_error(ErrorCode::RateLimited).await;
    }
    // A participant it already added may come back, from the same address.
    let mut client = Client::connect_from(server.addr, prankster).await;
    client.send(&join(&code, Some(tokens[0].clone()))).await;
    assert!(matches!(client.recv().await, ServerMessage::Welcome { .. }));
    let tally = facilitator.tally_until(|t| t.participants == 3).await;
    assert_eq!(tally.participants, 3);
}

#[tokio::test]
async fn a_flood_of_continuation_frames_is_cut_off() {
    // Empty continuation frames of one never-finished message: no message is ever
    // complete, so only the connection's byte rate sees them.
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let server = spawn_app_with_limits(Limits {
        read_bytes_per_second: 1024,
        read_burst_bytes: 16 * 1024,
        ..Limits::default()
    })
    .await;
    let mut client = Client::connect_from(server.addr, device(70)).await;
    let start = Frame::message(b"{\"type\":".to_vec(), OpCode::Data(Data::Text), false);
    assert!(client.try_send_raw(Message::Frame(start)).await);
    let mut sent = 0;
    for _ in 0..20_000 {
        let empty = Frame::message(Vec::new(), OpCode::Data(Data::Continue), false);
        if !client.try_send_raw(Message::Frame(empty)).await {
            break;
        }
        sent += 1;
    }
    let (closed, _) = client.until_closed().await;
    assert_eq!(closed, Closed::Dropped, "after {sent} frames");
    // Another device is served as before.
    let (status, _) = http_request(
        server.addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(status.contains("200"), "{status}");
}

#[tokio::test]
async fn wrong_host_tokens_count_as_guesses() {
    let server = spawn_app_with_limits(Limits {
        unknown_codes: Rate::new(5, Duration::from_secs(3600)),
        ..Limits::default()
    })
    .await;
    let guesser = device(80);
    let mut client = Client::connect_from(server.addr, guesser).await;
    for n in 0..5 {
        client
            .send(&ClientMessage::Host {
                version: PROTOCOL_VERSION,
                host_token: format!("guess-{n:04}"),
            })
            .await;
        client.expect_error(ErrorCode::BadToken).await;
    }
    // The right token, from that address, must now wait too.
    client
        .send(&ClientMessage::Host {
            version: PROTOCOL_VERSION,
            host_token: pejling_tests::HOST_TOKEN.into(),
        })
        .await;
    client.expect_error(ErrorCode::RateLimited).await;
    // The facilitator's own laptop is another address.
    Facilitator::connect(server.addr).await;
}

/// A raw HTTP/1.1 request from the loopback address `from`: the status line, the header
/// lines and the body.
async fn http_from(
    addr: std::net::SocketAddr,
    from: IpAddr,
    request: &str,
) -> (String, String, String) {
    let mut stream = pejling_tests::tcp_from(addr, from, None).await;
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut response))
        .await
        .expect("an answer within the timeout")
        .unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (status.to_string(), headers.to_string(), body.to_string())
}

/// `GET path` with the token as the console sends it, in an `Authorization` header.
fn with_bearer(path: &str, token: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
}

/// `GET path?token=…`, as a script may send it.
fn with_query(path: &str, token: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("GET {path}{separator}token={token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
}

/// Issue 24 (2): wrong host and screen tokens over HTTP are guesses like those on the
/// WebSocket, on every staff route: `/export` took 33,000 a second from one address.
#[tokio::test]
async fn wrong_tokens_over_http_count_as_guesses_on_every_staff_route() {
    let server = spawn_app_with_limits(Limits {
        unknown_codes: Rate::new(4, Duration::from_secs(3600)),
        ..Limits::default()
    })
    .await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator
        .create("5-6-klasse-trivsel", "7.a")
        .await
        .session;
    let screen_token = session.screen_token.clone().expect("staff get it");
    let host = pejling_tests::HOST_TOKEN.to_string();
    // Each route, its right token, and how it answers that token (a chart of a question
    // the set does not have is 404 only once the token was accepted).
    let routes = [
        (format!("/export/{}/report.html", session.id), &host, "200"),
        (format!("/export/{}/results.csv", session.id), &host, "200"),
        ("/api/sets".to_string(), &host, "200"),
        ("/api/overview".to_string(), &host, "200"),
        (
            format!("/chart/{}/no-such-question.svg", session.id),
            &screen_token,
            "404",
        ),
        (
            format!("/chart/{}/no-such-question.svg", session.id),
            &host,
            "404",
        ),
    ];
    for (n, (path, right, answered)) in routes.iter().enumerate() {
        let guesser = device(90 + n as u8);
        for attempt in 0..4 {
            let wrong = format!("guess-{attempt:04}");
            let request = if attempt % 2 == 0 {
                with_bearer(path, &wrong)
            } else {
                with_query(path, &wrong)
            };
            let (status, _, body) = http_from(server.addr, guesser, &request).await;
            assert!(status.contains("403"), "{path}, guess {attempt}: {status}");
            assert!(body.contains("not"), "{path}: {body}");
        }
        // The right token, from that address, must now wait too, and is told for how long.
        let (status, headers, body) =
            http_from(server.addr, guesser, &with_bearer(path, right)).await;
        assert!(status.contains("429"), "{path}: {status}");
        assert!(
            headers.to_ascii_lowercase().contains("retry-after: 3"),
            "{path}: {headers}"
        );
        assert!(body.contains("wait a minute"), "{path}: {body}");
        // The facilitator's own laptop is another address; the header works everywhere.
        let (status, _, body) = http_from(
            server.addr,
            device(120 + n as u8),
            &with_bearer(path, right),
        )
        .await;
        assert!(status.contains(answered), "{path}: {status} {body}");
    }
    server.stop().await;
}

/// A right token is never charged, and a request without any token is no guess (it
/// cannot be right): only the wrong ones spend the address's budget.
#[tokio::test]
async fn right_and_missing_tokens_over_http_are_not_charged() {
    let server = spawn_app_with_limits(Limits {
        unknown_codes: Rate::new(3, Duration::from_secs(3600)),
        ..Limits::default()
    })
    .await;
    let facilitator = device(140);
    let host = pejling_tests::HOST_TOKEN;
    for _ in 0..10 {
        let (status, _, _) =
            http_from(server.addr, facilitator, &with_bearer("/api/sets", host)).await;
        assert!(status.contains("200"), "{status}");
        let (status, _, body) = http_from(
            server.addr,
            facilitator,
            "GET /api/overview HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(status.contains("403"), "{status}");
        assert!(body.contains("Authorization: Bearer"), "{body}");
    }
    // All three wrong guesses are still there to make; the fourth request must wait.
    for attempt in 0..3 {
        let (status, _, _) = http_from(
            server.addr,
            facilitator,
            &with_bearer("/api/sets", &format!("wrong-{attempt}")),
        )
        .await;
        assert!(status.contains("403"), "guess {attempt}: {status}");
    }
    let (status, _, _) = http_from(server.addr, facilitator, &with_bearer("/api/sets", host)).await;
    assert!(status.contains("429"), "{status}");
    server.stop().await;
}

/// One budget per address, wherever the guess comes from: wrong tokens over HTTP and on
/// the WebSocket add up.
#[tokio::test]
async fn http_and_websocket_guesses_share_one_budget() {
    let server = spawn_app_with_limits(Limits {
        unknown_codes: Rate::new(4, Duration::from_secs(3600)),
        ..Limits::default()
    })
    .await;
    let guesser = device(150);
    for attempt in 0..2 {
        let (status, _, _) = http_from(
            server.addr,
            guesser,
            &with_bearer(
                "/export/0000000000000000/report.html",
                &format!("wrong-{attempt}"),
            ),
        )
        .await;
        assert!(status.contains("403"), "{status}");
    }
    let mut client = Client::connect_from(server.addr, guesser).await;
    for attempt in 0..2 {
        client
            .send(&ClientMessage::Host {
                version: PROTOCOL_VERSION,
                host_token: format!("wrong-{attempt}"),
            })
            .await;
        client.expect_error(ErrorCode::BadToken).await;
    }
    client
        .send(&ClientMessage::Host {
            version: PROTOCOL_VERSION,
            host_token: pejling_tests::HOST_TOKEN.into(),
        })
        .await;
    client.expect_error(ErrorCode::RateLimited).await;
    let (status, _, _) = http_from(
        server.addr,
        guesser,
        &with_bearer("/api/overview", pejling_tests::HOST_TOKEN),
    )
    .await;
    assert!(status.contains("429"), "{status}");
    server.stop().await;
}
