//! The anonymity minimum end to end: the facilitator's tally (and so the screen) gets
//! no split of a question until enough devices have answered it, and "Ved ikke" answers
//! do not count towards the minimum.

use pejling_tests::wire::{Action, Answer, Hidden};
use pejling_tests::{Facilitator, Participant, http_request, spawn_app_with_min_answers};

#[tokio::test]
async fn no_split_is_sent_before_five_answers() {
    // A percent question that is not half of a pair shows its split live, once enough
    // have answered (a pair's guesses wait for the reveal whatever their number).
    let questions = tempfile::tempdir().unwrap();
    std::fs::write(
        questions.path().join("all-kinds.toml"),
        crate::all_kinds_unpaired(),
    )
    .unwrap();
    let server = pejling_tests::spawn_app_with_questions_and_min_answers(
        Some(questions.path().to_path_buf()),
        5,
    )
    .await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator
        .create("test-all-kinds", "7.b, Nordskolen")
        .await
        .session;
    facilitator.control(Action::Open).await;
    facilitator.control(Action::Next).await; // the (not sensitive) percent estimate
    let question = "guess";

    let mut phones = Vec::new();
    for _ in 0..6 {
        // A late joiner lands on the current question.
        let (phone, state) = Participant::join(server.addr, &session.code, None).await;
        assert_eq!(state.question.map(|q| q.id).as_deref(), Some(question));
        phones.push(phone);
    }
    let answers = [
        Answer::Percent { value: 40 },
        Answer::Percent { value: 60 },
        Answer::Percent { value: 50 },
        Answer::Percent { value: 70 },
        Answer::Abstain { option: 0 }, // "Ved ikke"
        Answer::Percent { value: 30 },
    ];
    // (answers so far, split shown?)
    let expected = [false, false, false, false, false, true];
    let screen_token = session
        .screen_token
        .clone()
        .expect("sent to the facilitator");
    let chart = format!("/chart/{}/{question}.svg?token={screen_token}", session.id);
    for (n, (phone, answer)) in phones.iter_mut().zip(answers).enumerate() {
        phone.answer(question, answer).await;
        let tally = facilitator.tally_answered(question, n as u32 + 1).await;
        let q = tally.question.expect("current question");
        assert_eq!(q.result.is_some(), expected[n], "after {} answers", n + 1);
        // `/chart` follows the tally: no chart while the split is hidden for too few
        // answers (issue 24: it drew a "for få svar" image with 200).
        let (status, _) = http_request(server.addr, &get(&chart)).await;
        let expected_status = if expected[n] { "200" } else { "404" };
        assert!(
            status.contains(expected_status),
            "after {} answers: {status}",
            n + 1
        );
        if !expected[n] {
            assert_eq!(q.hidden, Some(Hidden::TooFew { needed: 5 }));
        } else {
            assert_eq!(q.hidden, None);
        }
    }
    server.stop().await;
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
}

/// The projector's comparison chart and the facilitator's report downloads, over HTTP
/// with their tokens; a sensitive question's chart only after the reveal.
#[tokio::test]
async fn screen_chart_and_report_downloads() {
    let server = spawn_app_with_min_answers(5).await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator
        .create("7-klasse-alkohol", "7.c <b>&</b>")
        .await
        .session;
    let screen_token = session
        .screen_token
        .clone()
        .expect("sent to the facilitator");
    let own = "drunk-alcohol-own";
    let guess = "drunk-alcohol-perceived";
    facilitator.control(Action::Open).await;
    let mut phones = Vec::new();
    for _ in 0..6 {
        phones.push(Participant::join(server.addr, &session.code, None).await.0);
    }
    // 2 of 6 have drunk alcohol.
    for (n, phone) in phones.iter_mut().enumerate() {
        let option = u32::from(n >= 2);
        phone.answer(own, Answer::Choice { option }).await;
    }
    facilitator.control(Action::Next).await;
    for (phone, value) in phones.iter_mut().zip([50, 60, 70, 40, 80, 60]) {
        phone.answer(guess, Answer::Percent { value }).await;
    }
    let chart_path =
        |question: &str, token: &str| format!("/chart/{}/{question}.svg?token={token}", session.id);

    // The estimate perceives a sensitive question that is not revealed yet.
    let (status, _) = http_request(server.addr, &get(&chart_path(guess, &screen_token))).await;
    assert!(status.contains("404"), "{status}");
    let (status, _) = http_request(server.addr, &get(&chart_path(guess, "wrong"))).await;
    assert!(status.contains("403"), "{status}");

    // Nor the real answer on its own: it is shown by the comparison, after the guesses.
    let (status, _) = http_request(server.addr, &get(&chart_path(own, &screen_token))).await;
    assert!(status.contains("404"), "{status}");

    facilitator.control(Action::RevealAll).await;
    let (status, svg) = http_request(server.addr, &get(&chart_path(guess, &screen_token))).await;
    assert!(status.contains("200"), "{status}");
    assert!(svg.starts_with("<svg"), "{svg}");
    // The projector's chart: the guesses' scatter with the mean guess, the class's share
    // and the national figure marked.
    assert!(svg.contains("Jeres gæt (gennemsnit): 60 %"), "{svg}");
    assert!(svg.contains("Jeres egne svar: 33 %"), "{svg}");
    assert!(svg.contains("Landstal (13-årige, 2018): 33 %"), "{svg}");
    // The whole chart is at the size asked for.
    let (_, sized) = http_request(
        server.addr,
        &get(&format!(
            "{}&w=1000&h=300",
            chart_path(guess, &screen_token)
        )),
    )
    .await;
    assert!(sized.contains(r#"width="1000" height="300""#), "{sized}");
    let (status, _) = http_request(server.addr, &get(&chart_path(own, &screen_token))).await;
    assert!(status.contains("200"), "{status}");

    // Reports: host token only; the label is escaped.
    let report = format!(
        "/export/{}/report.html?token={}",
        session.id,
        pejling_tests::HOST_TOKEN
    );
    let (status, html) = http_request(server.addr, &get(&report)).await;
    assert!(status.contains("200"), "{status}");
    assert!(html.contains("7.c &lt;b&gt;&amp;&lt;/b&gt;"), "{html}");
    assert!(html.contains("<svg"), "charts are inline");
    // 2 of 6 = 33.3 %; all six guessed higher (p = 1/32) and four of them over 50 %: the
    // report says it in the screen's words (in its chart, on as many lines as its width
    // needs: read as the text a reader sees).
    assert!(html.contains("33,3 % (2/6)"), "{html}");
    let mut seen = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                seen.push(' ');
            }
            c if !in_tag => seen.push(c),
            _ => {}
        }
    }
    let seen = seen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        seen.contains(
            "Flertalsmisforståelse: 4 af 6 troede, at flertallet svarede «Ja» – men det gjorde kun 33 %."
        ),
        "{seen}"
    );
    assert!(
        html.contains("Skolebørnsundersøgelsen (HBSC) 2018"),
        "{html}"
    );
    let (status, _) = http_request(
        server.addr,
        &get(&format!(
            "/export/{}/report.html?token={screen_token}",
            session.id
        )),
    )
    .await;
    assert!(
        status.contains("403"),
        "the screen token does not export: {status}"
    );
    let csv = format!(
        "/export/{}/results.csv?token={}",
        session.id,
        pejling_tests::HOST_TOKEN
    );
    let (status, csv) = http_request(server.addr, &get(&csv)).await;
    assert!(status.contains("200"), "{status}");
    // For Danish Excel by default: semicolons and a decimal comma.
    assert!(csv.contains("actual_percent;Ja;33,33"), "{csv}");
    let international = format!(
        "/export/{}/results.csv?token={}&csv=international",
        session.id,
        pejling_tests::HOST_TOKEN
    );
    let (status, international) = http_request(server.addr, &get(&international)).await;
    assert!(status.contains("200"), "{status}");
    assert!(
        international.contains("actual_percent,Ja,33.33"),
        "{international}"
    );
    server.stop().await;
}

/// Issue 12 (6): `/chart/…` brought any stored session back to life before it checked
/// the token. After a restart an ended session is not running; its chart is not served
/// (with any token) until the facilitator attaches to it, and asking does not load it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_request_does_not_bring_an_ended_session_back() {
    let (mut server, _questions) = crate::spawn_with_unpaired_test_set().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator.create("test-all-kinds", "ended").await.session;
    facilitator.control(Action::Open).await;
    let (mut phone, _) = Participant::join(server.addr, &session.code, None).await;
    phone.answer("own", Answer::Choice { option: 0 }).await;
    facilitator.control(Action::Reveal).await;
    let screen_token = session.screen_token.clone().unwrap();
    let chart = format!("/chart/{}/own.svg?token={screen_token}", session.id);
    let (status, _) = http_request(server.addr, &get(&chart)).await;
    assert!(status.contains("200"), "running: {status}");
    facilitator.control(Action::End).await;
    server.restart().await;

    let (status, body) = http_request(server.addr, &get(&chart)).await;
    assert!(status.contains("404"), "{status}");
    assert!(body.contains("no running session"), "{body}");
    // Still not running: a second request is refused the same way.
    let (status, _) = http_request(server.addr, &get(&chart)).await;
    assert!(status.contains("404"), "{status}");
    // The facilitator attaches; now the chart is there again.
    let mut facilitator = Facilitator::connect(server.addr).await;
    facilitator.attach(&session.id).await;
    let (status, _) = http_request(server.addr, &get(&chart)).await;
    assert!(status.contains("200"), "after attaching: {status}");
    server.stop().await;
}
