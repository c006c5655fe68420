//! Follow-ups (issue 17): a class asked the same pair again after the lessons. The later
//! session names the earlier one, and its report shows the pair before and after with
//! the change named only beyond the margin and beyond chance; a follow-up that cannot be
//! one is refused with its own error.

use pejling_tests::wire::{Action, Answer, ClientMessage, ErrorCode, ServerMessage};
use pejling_tests::{Facilitator, HOST_TOKEN, Participant, http_request};

/// Runs a 7th-grade session: `yes` of 20 pupils have drunk alcohol, and the 20 guess
/// `guesses` (percent). Returns the session's id.
async fn class(
    addr: std::net::SocketAddr,
    host: &mut Facilitator,
    label: &str,
    follow_up_of: Option<String>,
    yes: usize,
    guesses: &[u32],
) -> String {
    host.client
        .send(&ClientMessage::CreateSession {
            set_id: "7-klasse-alkohol".to_string(),
            label: Some(label.to_string()),
            description: Default::default(),
            linked_sessions: Vec::new(),
            rehearsal: false,
            follow_up_of,
        })
        .await;
    let state = host.session_state().await;
    assert_eq!(state.questions[0].id, "drunk-alcohol-own");
    host.control(Action::Open).await;
    let mut pupils = Vec::new();
    for i in 0..guesses.len() {
        let (mut pupil, _) = Participant::join(addr, &state.session.code, None).await;
        let option = if i < yes { 0 } else { 1 };
        pupil
            .answer("drunk-alcohol-own", Answer::Choice { option })
            .await;
        pupils.push(pupil);
    }
    host.control(Action::Next).await;
    for (pupil, &value) in pupils.iter_mut().zip(guesses) {
        pupil
            .answer("drunk-alcohol-perceived", Answer::Percent { value })
            .await;
    }
    host.control(Action::End).await;
    state.session.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_report_shows_each_pair_before_and_after() {
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let mut host = Facilitator::connect(addr).await;
    // Before: 4 of 20 (20 %) have drunk; they guess 62.5 % on average.
    let before: Vec<u32> = [50; 5]
        .into_iter()
        .chain([60; 8])
        .chain([70; 4])
        .chain([80; 3])
        .collect();
    let first = class(addr, &mut host, "7.a, august", None, 4, &before).await;
    // After the lessons: 4 of 20 again; they guess 29 % on average.
    let after: Vec<u32> = [20; 6].into_iter().chain([30; 10]).chain([40; 4]).collect();
    let second = class(
        addr,
        &mut host,
        "7.a, marts",
        Some(first.clone()),
        4,
        &after,
    )
    .await;

    // The session list says what it follows up.
    host.client.send(&ClientMessage::ListSessions).await;
    let sessions = host
        .client
        .recv_until(|m| match m {
            ServerMessage::Sessions { sessions } => Some(sessions.clone()),
            _ => None,
        })
        .await;
    let listed = sessions.iter().find(|s| s.id == second).unwrap();
    assert_eq!(listed.follow_up_of.as_deref(), Some(first.as_str()));

    let (status, report) = http_request(
        addr,
        &format!(
            "GET /export/{second}/report.html?token={HOST_TOKEN} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(status.contains("200"), "{status}");
    let section = report
        .split("<section class=\"follow-up\">")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_else(|| panic!("a follow-up section: {report}"));
    assert!(section.contains("7.a, august"), "{section}");
    // Before 20 % / 62,5 %, now 20 % / 29 %; the gap 42,5 → 9 points; shrank.
    for figure in [
        "20 % / 62,5 %",
        "20 % / 29 %",
        "42,5 procentpoint → 9 procentpoint",
        "Misforståelsen er blevet mindre",
    ] {
        assert!(section.contains(figure), "{figure} in {section}");
    }
    // The earlier session's own report has no follow-up section.
    let (_, first_report) = http_request(
        addr,
        &format!(
            "GET /export/{first}/report.html?token={HOST_TOKEN} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(!first_report.contains("follow-up"));

    // Overblik counts the follow-up and what changed.
    let (status, body) = http_request(
        addr,
        &format!(
            "GET /api/overview HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {HOST_TOKEN}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(status.contains("200"), "{status} {body}");
    let overview: pejling_tests::wire::Overview = serde_json::from_str(&body).unwrap();
    assert_eq!(overview.follow_ups.classes, 1, "{body}");
    let counts = &overview.follow_ups.pairs;
    let drunk = counts
        .iter()
        .find(|c| c.question.contains("drukket alkohol"))
        .unwrap_or_else(|| panic!("{counts:?}"));
    assert_eq!((drunk.shrank, drunk.too_few), (1, 0), "{drunk:?}");
    // The pairs the class never got to are no comparison at all.
    assert_eq!(counts.len(), 1, "{counts:?}");

    // The period report says the same: one class followed up, its misperception shrank.
    let (status, report) = http_request(
        addr,
        &format!(
            "GET /api/overview/report.html HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {HOST_TOKEN}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(status.contains("200"), "{status} {report}");
    let section = report
        .split("<section class=\"follow-ups\">")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_else(|| panic!("a follow-ups section: {report}"));
    for text in [
        "<p class=\"method\">1 klasse blev fulgt op i perioden: ",
        "<th scope=\"row\">Har du nogensinde drukket alkohol (mere end en tår)?</th><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td>",
    ] {
        assert!(section.contains(text), "{text} in {section}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_that_cannot_be_one_is_refused() {
    let server = pejling_tests::spawn_app().await;
    let mut host = Facilitator::connect(server.addr).await;
    let pupils = host.create("7-klasse-alkohol", "7.a").await.session.id;
    host.control(Action::End).await;
    let cases = [
        // No such session.
        ("7-klasse-alkohol", "nope".to_string(), false),
        // A parents' session is not a class's follow-up.
        ("foraeldre-7-klasse", pupils.clone(), false),
        // A rehearsal is not a follow-up.
        ("7-klasse-alkohol", pupils.clone(), true),
        // No pair in common: the youth-education set asks other questions (the 5th–6th
        // grade set would do: it shares the smoking pair's ids).
        ("ungdomsuddannelse-alkohol", pupils.clone(), false),
    ];
    for (set_id, earlier, rehearsal) in cases {
        host.client
            .send(&ClientMessage::CreateSession {
                set_id: set_id.to_string(),
                label: None,
                description: Default::default(),
                linked_sessions: Vec::new(),
                rehearsal,
                follow_up_of: Some(earlier.clone()),
            })
            .await;
        // The session ended a moment ago: its last tally may still come first.
        let (code, message) = host
            .client
            .recv_until(|m| match m {
                ServerMessage::Error { code, message } => Some((*code, message.clone())),
                ServerMessage::SessionState(state) => {
                    panic!("{set_id} following up {earlier} was created: {state:?}")
                }
                _ => None,
            })
            .await;
        assert_eq!(
            code,
            ErrorCode::InvalidFollowUp,
            "{set_id} {earlier}: {message}"
        );
    }
    server.stop().await;
}
