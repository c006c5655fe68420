//! Several laptops, one municipality (issue 17, `docs/exchange.md`), end to end over real
//! sockets and real data files: a consultant's laptop runs classes (one below the minimum,
//! one followed up), exports them over HTTP; a coordinator's laptop with a class of its
//! own imports the file and its *Overblik* shows the same figures for those schools,
//! marked by origin; importing twice changes nothing; the file holds no token, key, id or
//! answer of one person; a broken file is refused with what is wrong and loses nothing.

use std::net::SocketAddr;

use pejling_tests::wire::{
    Action, Answer, ClientMessage, ExchangeRefusal, ImportReport, ImportedOrigin, Overview,
};
use pejling_tests::{
    Facilitator, HOST_TOKEN, Participant, http_request, spawn_app_with_min_answers,
};

use crate::overview::described;

/// A 7th-grade class: `yes` of the pupils have been drunk; each guesses one of
/// `guesses`. Returns the session's id, its join code and the pupils' device tokens.
pub(crate) async fn class(
    host: &mut Facilitator,
    addr: SocketAddr,
    school: &str,
    name: &str,
    follow_up_of: Option<String>,
    yes: usize,
    guesses: &[u32],
) -> (String, String, Vec<String>) {
    host.client
        .send(&ClientMessage::CreateSession {
            set_id: "7-klasse-alkohol".into(),
            label: None,
            // No school: no description at all (named by its join code at home).
            description: if school.is_empty() {
                Default::default()
            } else {
                described(school, name)
            },
            linked_sessions: Vec::new(),
            rehearsal: false,
            follow_up_of,
        })
        .await;
    let state = host.session_state().await;
    host.control(Action::Open).await;
    let mut pupils = Vec::new();
    for n in 0..guesses.len() {
        let (mut pupil, _) = Participant::join(addr, &state.session.code, None).await;
        let option = u32::from(n >= yes);
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
    let tokens = pupils.iter().map(|p| p.token.clone()).collect();
    (state.session.id, state.session.code, tokens)
}

/// An HTTP request with the host token: its status code, headers and body.
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let (status, headers, body) = pejling_tests::http_exchange(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {HOST_TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    let code = status
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (code, headers, body)
}

async fn overview(addr: SocketAddr, query: &str) -> Overview {
    let (status, _, body) = request(addr, "GET", &format!("/api/overview{query}"), "").await;
    assert_eq!(status, 200, "{query}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

async fn import(addr: SocketAddr, file: &str) -> ImportReport {
    let (status, _, body) = request(addr, "POST", "/api/exchange/import", file).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// An overview without the marks of where its classes came from.
fn unmarked(mut overview: Overview) -> Overview {
    overview.by_origin.clear();
    for pair in &mut overview.pairs {
        pair.classes.iter_mut().for_each(|c| c.origin = None);
        pair.left_out.iter_mut().for_each(|c| c.origin = None);
    }
    overview
}

/// Every key of every object in `value`.
fn keys(value: &serde_json::Value, into: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                into.insert(key.clone());
                keys(value, into);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, into)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_sees_another_laptop_s_sessions_with_the_same_figures() {
    let laptop = spawn_app_with_min_answers(5).await;
    let coordinator = spawn_app_with_min_answers(5).await;
    let (a, c) = (laptop.addr, coordinator.addr);
    let mut anna = Facilitator::connect(a).await;
    let mut secrets = vec![HOST_TOKEN.to_string()];
    let mut record = |(id, code, tokens): (String, String, Vec<String>)| {
        secrets.push(id.clone());
        secrets.push(code);
        secrets.extend(tokens);
        id
    };
    // Anna's laptop: 7.a (2 of 6, guesses high), 7.b (1 of 5), 7.c with three pupils
    // (below the minimum), and 7.a again as a follow-up.
    let high = [50, 60, 60, 70, 40, 55];
    let first = record(class(&mut anna, a, "Nordskolen", "7.a", None, 2, &high).await);
    record(
        class(
            &mut anna,
            a,
            "Nordskolen",
            "7.b",
            None,
            1,
            &[20, 20, 30, 10, 25],
        )
        .await,
    );
    record(class(&mut anna, a, "Sydskolen", "7.c", None, 1, &[30, 40, 50]).await);
    // A class without any description: named by its join code on Anna's laptop only.
    record(class(&mut anna, a, "", "", None, 3, &[30, 40, 50, 60, 70]).await);
    record(
        class(
            &mut anna,
            a,
            "Nordskolen",
            "7.a",
            Some(first),
            2,
            &[30, 35, 30, 40, 35, 30],
        )
        .await,
    );
    // The coordinator's own class, at another school.
    let mut coordinator_host = Facilitator::connect(c).await;
    class(
        &mut coordinator_host,
        c,
        "Vestskolen",
        "7.v",
        None,
        3,
        &[40, 40, 50, 50, 60],
    )
    .await;
    let before_import = overview(c, "").await;
    assert_eq!(before_import.total.sessions, 1);
    assert!(
        before_import.by_origin.is_empty(),
        "nothing imported: no origin rows"
    );

    // Export every session of Anna's laptop.
    let export = r#"{"origin": "Anna, SSP Nord", "query": {}}"#;
    let (status, headers, file) = request(a, "POST", "/api/exchange/export", export).await;
    assert_eq!(status, 200, "{file}");
    assert!(
        headers
            .to_lowercase()
            .contains("content-disposition: attachment; filename=\"pejling-deling-"),
        "{headers}"
    );
    // Nothing of a person, nothing that opens anything: no token, id, join code or
    // participant key, and only these keys.
    for secret in &secrets {
        assert!(!file.contains(secret.as_str()), "{secret} is in the file");
    }
    let json: serde_json::Value = serde_json::from_str(&file).unwrap();
    let sessions = json["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 5);
    assert!(
        sessions.iter().any(|s| s["name"] == "Session uden navn"),
        "a session named by its join code is named otherwise in the file"
    );
    for session in sessions {
        let names: Vec<&str> = session
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let allowed = [
            "key",
            "name",
            "date",
            "description",
            "set",
            "participants",
            "answers",
            "thresholds",
            "follow_up_of",
            "questions",
        ];
        assert!(names.iter().all(|n| allowed.contains(n)), "{names:?}");
        let mut every = std::collections::BTreeSet::new();
        keys(&session["questions"], &mut every);
        for personal in ["participant", "token", "answer", "value", "option"] {
            assert!(!every.contains(personal), "{personal} in {every:?}");
        }
    }
    let seven_c = sessions
        .iter()
        .find(|s| s["name"] == "7.c, Sydskolen")
        .unwrap();
    assert_eq!(seven_c["questions"]["drunk-alcohol-own"], "too_few");
    assert_eq!(seven_c["questions"]["drunk-alcohol-perceived"], "too_few");

    // Import on the coordinator's laptop, twice.
    let report = import(c, &file).await;
    assert_eq!(
        (
            report.origin.as_str(),
            report.sessions,
            report.added,
            report.unchanged
        ),
        ("Anna, SSP Nord", 5, 5, 0)
    );
    let once = overview(c, "").await;
    let again = import(c, &file).await;
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 5));
    assert_eq!(
        overview(c, "").await,
        once,
        "a second import changes nothing"
    );

    // Beside the coordinator's own class, marked by origin.
    assert_eq!(once.total.sessions, 6);
    let origins: Vec<(&str, u32)> = once
        .by_origin
        .iter()
        .map(|r| (r.key.as_str(), r.sessions))
        .collect();
    assert_eq!(origins, [("", 1), ("Anna, SSP Nord", 5)]);
    let pair = &once.pairs[0];
    assert!(pair.classes.iter().any(|c| c.origin.is_none()));
    assert!(
        pair.classes
            .iter()
            .filter(|c| c.name.starts_with("7.a"))
            .all(|c| c.origin.as_deref() == Some("Anna, SSP Nord"))
    );
    assert_eq!(pair.left_out.len(), 1);
    assert_eq!(pair.left_out[0].origin.as_deref(), Some("Anna, SSP Nord"));

    // The same figures as on Anna's laptop, for each of her schools.
    for school in ["?school=Nordskolen", "?school=Sydskolen"] {
        let there = overview(a, school).await;
        let here = unmarked(overview(c, school).await);
        // The filters' choices list the coordinator's school too.
        assert_eq!(
            Overview {
                choices: there.choices.clone(),
                ..here
            },
            there,
            "{school}"
        );
    }
    assert_eq!(once.follow_ups.classes, 1);

    // Imported back into Anna's laptop: her own sessions, skipped.
    let back = import(a, &file).await;
    assert_eq!((back.own, back.added), (5, 0));

    // Listed per origin, and removed.
    let (status, _, list) = request(c, "GET", "/api/exchange/imports", "").await;
    assert_eq!(status, 200);
    let list: Vec<ImportedOrigin> = serde_json::from_str(&list).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].origin.as_str(), list[0].sessions),
        ("Anna, SSP Nord", 5)
    );
    let (status, _, removed) = request(
        c,
        "DELETE",
        "/api/exchange/imports?origin=Anna%2C%20SSP%20Nord",
        "",
    )
    .await;
    assert_eq!((status, removed.trim()), (200, r#"{"removed":5}"#));
    assert_eq!(overview(c, "").await, before_import);
    laptop.stop().await;
    coordinator.stop().await;
}

/// A laptop that held one class of five (7.a, Nordskolen), and its exchange file.
async fn one_class_exported() -> (pejling_tests::TestServer, String) {
    let laptop = spawn_app_with_min_answers(5).await;
    let a = laptop.addr;
    let mut host = Facilitator::connect(a).await;
    class(
        &mut host,
        a,
        "Nordskolen",
        "7.a",
        None,
        2,
        &[50, 60, 60, 70, 40],
    )
    .await;
    let (_, _, file) = request(
        a,
        "POST",
        "/api/exchange/export",
        r#"{"origin": "Anna", "query": {}}"#,
    )
    .await;
    (laptop, file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_a_problem_is_refused_whole_and_loses_nothing() {
    let (laptop, file) = one_class_exported().await;
    let a = laptop.addr;
    let coordinator = spawn_app_with_min_answers(5).await;
    let c = coordinator.addr;
    assert_eq!(import(c, &file).await.added, 1);
    let stored = overview(c, "").await;

    let mut json: serde_json::Value = serde_json::from_str(&file).unwrap();
    json["exported_at"] = "i går".into();
    let yesterday = json.to_string();
    json["exported_at"] = "2100-01-01T00:00:00+01:00".into();
    let future = json.to_string();
    // A misspelt field deep in the set would silently lose the pair.
    let typo = file.replacen("\"perceives\"", "\"percieves\"", 1);
    assert_ne!(typo, file);
    let broken_count = file.replacen("\"counts\": [", "\"counts\": [99, ", 1);
    let cases: Vec<(String, &str)> = vec![
        (
            "not json at all".into(),
            "Filen er ikke en delingsfil fra pejling",
        ),
        (
            file.replace("pejling-exchange", "pejling-backup"),
            "\"format\" er \"pejling-backup\"",
        ),
        (
            broken_count,
            "passer ikke til dets type eller antal svarmuligheder",
        ),
        (yesterday, "\"exported_at\" skal være et tidspunkt"),
        (future, "Filen siger, at den er lavet ude i fremtiden"),
        (
            typo,
            "den har et felt, formatet ikke kender: sessions[0].set.questions[1].percieves",
        ),
    ];
    for (text, danish) in cases {
        let (status, _, body) = request(c, "POST", "/api/exchange/import", &text).await;
        assert_eq!(status, 422, "{body}");
        let refusal: ExchangeRefusal = serde_json::from_str(&body).unwrap();
        assert!(
            refusal.danish.contains(danish),
            "{} ⊅ {danish}",
            refusal.danish
        );
    }
    assert_eq!(overview(c, "").await, stored, "nothing lost, nothing added");
    // A byte-order mark, as Windows Notepad saves a file, is fine.
    let report = import(c, &format!("\u{feff}{file}")).await;
    assert_eq!((report.added, report.unchanged), (0, 1));

    // Exports that cannot be: no origin, an unknown session, nothing to share.
    for (body, status) in [
        (r#"{"origin": " ", "query": {}}"#, 400),
        (r#"{"origin": "Anna", "sessions": ["nope"]}"#, 400),
        (r#"{"origin": "Anna", "sessions": []}"#, 400),
        (
            r#"{"origin": "Anna", "query": {"from": "2000-01-01", "to": "2000-12-31"}}"#,
            422,
        ),
        (r#"{"origin": "Anna", "query": {"from": "1. januar"}}"#, 400),
    ] {
        let (code, _, text) = request(a, "POST", "/api/exchange/export", body).await;
        assert_eq!(code, status, "{body}: {text}");
    }
    // Without the host token: refused.
    let (status, _) = http_request(
        a,
        "POST /api/exchange/export HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    .await;
    assert!(status.contains("403"), "{status}");
    laptop.stop().await;
    coordinator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_a_municipality_s_sessions_imports_in_one_file() {
    let (laptop, file) = one_class_exported().await;
    // 120 classes, each its own session (its own key): far more than a connection may
    // send at once (256 KiB) or per second (64 KiB) under the server's byte rate.
    let mut json: serde_json::Value = serde_json::from_str(&file).unwrap();
    let one = json["sessions"][0].clone();
    json["sessions"] = (0..120)
        .map(|n| {
            let mut session = one.clone();
            session["key"] = format!("{n:032x}").into();
            session["name"] = format!("Klasse {n}").into();
            session
        })
        .collect();
    let big = serde_json::to_string_pretty(&json).unwrap();
    assert!(big.len() > 1024 * 1024, "{} bytes", big.len());
    let coordinator = spawn_app_with_min_answers(5).await;
    let report = import(coordinator.addr, &big).await;
    assert_eq!((report.sessions, report.added), (120, 120));
    assert_eq!(overview(coordinator.addr, "").await.total.sessions, 120);
    laptop.stop().await;
    coordinator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_s_overview_reads_that_month_s_imported_sessions_and_their_earlier_classes() {
    let laptop = spawn_app_with_min_answers(5).await;
    let coordinator = spawn_app_with_min_answers(5).await;
    let (a, c) = (laptop.addr, coordinator.addr);
    let mut anna = Facilitator::connect(a).await;
    let (first, _, _) = class(
        &mut anna,
        a,
        "Nordskolen",
        "7.a",
        None,
        2,
        &[50, 60, 60, 70, 40, 55],
    )
    .await;
    class(
        &mut anna,
        a,
        "Nordskolen",
        "7.a",
        Some(first),
        2,
        &[30, 35, 30, 40, 35, 30],
    )
    .await;
    class(
        &mut anna,
        a,
        "Sydskolen",
        "7.c",
        None,
        1,
        &[20, 30, 20, 40, 30],
    )
    .await;
    let (status, _, file) = request(
        a,
        "POST",
        "/api/exchange/export",
        r#"{"origin": "Anna", "query": {}}"#,
    )
    .await;
    assert_eq!(status, 200, "{file}");
    // Held on three days of the school year: 7.a in October, its follow-up and 7.c in
    // November, as Anna's laptop would have written them.
    let mut json: serde_json::Value = serde_json::from_str(&file).unwrap();
    for session in json["sessions"].as_array_mut().unwrap() {
        let date = match (session["name"].as_str(), session.get("follow_up_of")) {
            (Some("7.a, Nordskolen"), None) => "2025-10-06",
            (Some("7.a, Nordskolen"), Some(_)) => "2025-11-10",
            _ => "2025-11-20",
        };
        session["date"] = date.into();
    }
    let report = import(c, &json.to_string()).await;
    assert_eq!((report.sessions, report.added), (3, 3));

    let november = overview(c, "?from=2025-11-01&to=2025-11-30").await;
    assert_eq!(november.total.sessions, 2, "the follow-up and 7.c");
    let months: Vec<&str> = november.by_month.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(months, ["2025-11"]);
    // The follow-up is compared with its class's October session, read for it.
    assert_eq!(november.follow_ups.classes, 1);
    let october = overview(c, "?from=2025-10-01&to=2025-10-31").await;
    assert_eq!((october.total.sessions, october.follow_ups.classes), (1, 0));
    let year = overview(c, "?from=2025-08-01&to=2026-07-31").await;
    assert_eq!((year.total.sessions, year.follow_ups.classes), (3, 1));
    assert_eq!(overview(c, "?from=2025-12-01").await.total.sessions, 0);
    laptop.stop().await;
    coordinator.stop().await;
}
