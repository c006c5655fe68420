//! Sessions described and the console's *Overblik* (issue 17), end to end: real class
//! sessions at two schools answer over WebSockets (one class below the minimum), a
//! rehearsal's simulated pupils answer, a parent evening is held; the overview over HTTP
//! counts exactly the real sessions and pools the classes that reached the minimum.

use std::net::SocketAddr;

use pejling_tests::wire::{
    Action, Answer, ClientMessage, Description, LeftOutReason, Overview, PairKind, PatternCount,
    PatternName, ServerMessage, SessionState,
};
use pejling_tests::{
    Facilitator, HOST_TOKEN, Participant, http_request, spawn_app_with_min_answers,
};

pub(crate) const SET: &str = "7-klasse-alkohol";
const OWN: &str = "drunk-alcohol-own";
const GUESS: &str = "drunk-alcohol-perceived";

pub(crate) fn described(school: &str, class: &str) -> Description {
    Description {
        school: Some(school.into()),
        grade: Some("7".into()),
        class: Some(class.into()),
        term: Some("forår 2027".into()),
    }
}

pub(crate) async fn create(
    facilitator: &mut Facilitator,
    set_id: &str,
    description: Description,
    linked_sessions: Vec<String>,
    rehearsal: bool,
) -> SessionState {
    facilitator
        .client
        .send(&ClientMessage::CreateSession {
            set_id: set_id.into(),
            label: None,
            description,
            linked_sessions,
            rehearsal,
            follow_up_of: None,
        })
        .await;
    facilitator.session_state().await
}

/// A class: `yes` of the pupils have been drunk, the rest have not; each pupil guesses
/// one of `guesses`. The first pair is answered, then the session ends.
pub(crate) async fn class(
    facilitator: &mut Facilitator,
    addr: SocketAddr,
    description: Description,
    yes: usize,
    guesses: &[u32],
) -> SessionState {
    let state = create(facilitator, SET, description, Vec::new(), false).await;
    let mut pupils = Vec::new();
    for _ in guesses {
        pupils.push(Participant::join(addr, &state.session.code, None).await.0);
    }
    facilitator.control(Action::Open).await;
    for (n, pupil) in pupils.iter_mut().enumerate() {
        let option = u32::from(n >= yes);
        pupil.answer(OWN, Answer::Choice { option }).await;
    }
    facilitator.control(Action::Next).await;
    for (pupil, &value) in pupils.iter_mut().zip(guesses) {
        pupil.wait_question(GUESS).await;
        pupil.answer(GUESS, Answer::Percent { value }).await;
    }
    facilitator.control(Action::End).await;
    state
}

async fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    let authorization = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let (status, body) = http_request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: test\r\n{authorization}Connection: close\r\n\r\n"),
    )
    .await;
    let code = status
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (code, body)
}

async fn overview(addr: SocketAddr, query: &str) -> Overview {
    let (status, body) = get(addr, &format!("/api/overview{query}"), Some(HOST_TOKEN)).await;
    assert_eq!(status, 200, "{query}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn the_overview_counts_real_sessions_and_pools_classes_that_reach_the_minimum() {
    let server = spawn_app_with_min_answers(5).await;
    let addr = server.addr;
    let mut facilitator = Facilitator::connect(addr).await;

    // 7.a: 2 of 6 have been drunk (33 %); 4 of 6 guess above 50 %: a false majority.
    let a = class(
        &mut facilitator,
        addr,
        described("Nordskolen", "7.a"),
        2,
        &[50, 60, 60, 70, 40, 55],
    )
    .await;
    // 7.b, with the school typed in another case and with spaces: 1 of 5 (20 %),
    // guesses 21 on average.
    let b = class(
        &mut facilitator,
        addr,
        described("  nordskolen ", "7.b"),
        1,
        &[20, 20, 30, 10, 25],
    )
    .await;
    assert_eq!(
        b.session.description.school.as_deref(),
        Some("Nordskolen"),
        "the earlier spelling is kept"
    );
    // 7.c: three pupils, below the minimum of five.
    class(
        &mut facilitator,
        addr,
        described("Sydskolen", "7.c"),
        1,
        &[30, 40, 50],
    )
    .await;

    // A rehearsal at Sydskolen: 25 simulated pupils answer; never counted.
    let rehearsal = create(
        &mut facilitator,
        SET,
        described("Sydskolen", "7.x"),
        Vec::new(),
        true,
    )
    .await;
    assert!(rehearsal.session.rehearsal);
    facilitator.control(Action::Open).await;
    facilitator
        .tally_answered(OWN, pejling_tests::pejling::rehearsal::PUPILS as u32)
        .await;
    facilitator.control(Action::End).await;

    // A parent evening at Nordskolen, linked to 7.a and 7.b: three parents join.
    let parents = create(
        &mut facilitator,
        "foraeldre-7-klasse",
        Description {
            school: Some("NORDSKOLEN".into()),
            grade: Some("7".into()),
            ..Description::default()
        },
        vec![a.session.id.clone(), b.session.id.clone()],
        false,
    )
    .await;
    for _ in 0..3 {
        Participant::join(addr, &parents.session.code, None).await;
    }
    facilitator.snapshot(&parents.session.id).await;

    // The session list carries the descriptions as stored.
    facilitator.client.send(&ClientMessage::ListSessions).await;
    let sessions = facilitator
        .client
        .recv_until(|m| match m {
            ServerMessage::Sessions { sessions } => Some(sessions.clone()),
            _ => None,
        })
        .await;
    let listed = sessions.iter().find(|s| s.id == b.session.id).unwrap();
    assert_eq!(listed.description.school.as_deref(), Some("Nordskolen"));
    assert_eq!(listed.description.class.as_deref(), Some("7.b"));
    let listed_parents = sessions
        .iter()
        .find(|s| s.id == parents.session.id)
        .unwrap();
    assert_eq!(
        listed_parents.linked,
        ["7.a, Nordskolen", "7.b, Nordskolen"]
    );

    let all = overview(addr, "").await;
    // Pupils: 6 + 5 + 3 in three classes; parents: 3; answers: 12 + 10 + 6.
    let total = &all.total;
    assert_eq!(
        (total.sessions, total.classes, total.pupils),
        (3, 3, 14),
        "{total:?}"
    );
    assert_eq!((total.parent_sessions, total.parents), (1, 3), "{total:?}");
    assert_eq!(total.answers, 28, "{total:?}");
    assert_eq!(all.rehearsals, 1);
    assert_eq!(all.min_answers, 5);
    assert_eq!(all.by_month.len(), 1, "every session is from today");
    assert_eq!(all.by_month[0].key.len(), 7, "YYYY-MM");
    assert_eq!((all.by_month[0].sessions, all.by_month[0].pupils), (3, 14));
    let schools: Vec<(&str, u32, u32, u32, u32, u32)> = all
        .by_school
        .iter()
        .map(|r| {
            (
                r.key.as_str(),
                r.sessions,
                r.classes,
                r.pupils,
                r.parents,
                r.answers,
            )
        })
        .collect();
    assert_eq!(
        schools,
        [
            ("Nordskolen", 2, 2, 11, 3, 22),
            ("Sydskolen", 1, 1, 3, 0, 6)
        ]
    );
    assert_eq!(all.choices.schools, ["Nordskolen", "Sydskolen"]);
    assert_eq!(all.choices.grades, ["7"]);

    // The pair the classes answered; not the parents' set's, nor the pairs no class got to.
    assert_eq!(all.pairs.len(), 1, "{:?}", all.pairs);
    let drunk = all.pairs.iter().find(|p| p.perceived_id == GUESS).unwrap();
    assert_eq!(drunk.kind, PairKind::Percent);
    let names: Vec<&str> = drunk.classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["7.a, Nordskolen", "7.b, Nordskolen"]);
    assert_eq!(drunk.left_out.len(), 1);
    assert_eq!(drunk.left_out[0].name, "7.c, Sydskolen");
    assert_eq!(drunk.left_out[0].reason, LeftOutReason::TooFew);
    // Pooled: 3 of 11 have been drunk; the 11 guesses sum to 335 + 105.
    let pooled = drunk.pooled.as_ref().expect("a pool of two classes");
    assert_eq!((pooled.actual_answers, pooled.guessed_answers), (11, 11));
    assert!(close(pooled.actual, 300.0 / 11.0), "{pooled:?}");
    assert!(close(pooled.guessed, 40.0), "{pooled:?}");
    // 7 guesses above 27.3 %, 4 below: no clear pattern in the pool.
    assert_eq!(pooled.pattern, Some(PatternName::Uklar));
    let gaps = drunk.gaps.as_ref().unwrap();
    assert!(
        close(gaps.min, 1.0) && close(gaps.median, 11.75) && close(gaps.max, 22.5),
        "{gaps:?}"
    );
    assert_eq!(
        drunk.patterns,
        [
            PatternCount {
                pattern: PatternName::Flertalsmisforstaaelse,
                classes: 1
            },
            PatternCount {
                pattern: PatternName::Overensstemmelse,
                classes: 1
            },
        ]
    );
    assert_eq!(drunk.national.len(), 1);
    assert_eq!(drunk.national[0].value, 33.0);
    assert_eq!(drunk.national[0].year, 2018);
    // Filters: a school typed any way, a period with nothing in it.
    let nord = overview(addr, "?school=%20NORDskolen").await;
    assert_eq!((nord.total.sessions, nord.total.pupils), (2, 11));
    assert_eq!(nord.rehearsals, 0, "the rehearsal was at Sydskolen");
    let syd = overview(addr, "?school=Sydskolen&set=7-klasse-alkohol").await;
    assert_eq!((syd.total.sessions, syd.total.parents), (1, 0));
    assert_eq!(syd.rehearsals, 1);
    let past = overview(addr, "?from=2000-01-01&to=2000-12-31").await;
    assert_eq!(past.total, Default::default());
    assert!(past.pairs.is_empty());
    let wide = overview(addr, "?from=2000-01-01&to=2999-12-31").await;
    assert_eq!(wide.total, all.total);

    // The host token is needed; a date must be a date; no other parameter is taken.
    let (status, _) = get(addr, "/api/overview", None).await;
    assert_eq!(status, 403);
    let (status, _) = get(addr, "/api/overview", Some("wrong-token")).await;
    assert_eq!(status, 403);
    let (status, body) = get(addr, "/api/overview?from=1.4.2027", Some(HOST_TOKEN)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("YYYY-MM-DD"), "{body}");
    let (status, _) = get(addr, "/api/overview?pupil=x", Some(HOST_TOKEN)).await;
    assert_eq!(status, 400);
    // The token in the address works too (a link).
    let (status, _) = get(
        addr,
        &format!("/api/overview?token={HOST_TOKEN}&school=Sydskolen"),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_description_is_checked_and_cleaned() {
    let server = spawn_app_with_min_answers(5).await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let long = Description {
        school: Some("x".repeat(61)),
        ..Description::default()
    };
    facilitator
        .client
        .send(&ClientMessage::CreateSession {
            set_id: SET.into(),
            label: None,
            description: long,
            linked_sessions: Vec::new(),
            rehearsal: false,
            follow_up_of: None,
        })
        .await;
    let message = facilitator
        .client
        .expect_error(pejling_tests::wire::ErrorCode::BadMessage)
        .await;
    assert!(message.contains("school"), "{message}");
    // A description with an unknown field is not a valid message.
    facilitator
        .client
        .send_raw(
            r#"{"type":"create_session","set_id":"7-klasse-alkohol","description":{"pupil":"Ida"}}"#
                .into(),
        )
        .await;
    facilitator
        .client
        .expect_error(pejling_tests::wire::ErrorCode::BadMessage)
        .await;
    // Spaces are cleaned; the session is named by its class and school.
    let state = create(
        &mut facilitator,
        SET,
        Description {
            school: Some("  Øster   Skole ".into()),
            class: Some(" 8.c".into()),
            grade: Some("   ".into()),
            term: None,
        },
        Vec::new(),
        false,
    )
    .await;
    assert_eq!(
        state.session.description,
        Description {
            school: Some("Øster Skole".into()),
            class: Some("8.c".into()),
            ..Description::default()
        }
    );
    assert_eq!(state.session.label, None);
}

/// A response's header, by name in any case.
fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

async fn report(addr: SocketAddr, query: &str, token: Option<&str>) -> (u16, String, String) {
    let authorization = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let (status, headers, body) = pejling_tests::http_exchange(
        addr,
        &format!(
            "GET /api/overview/report.html{query} HTTP/1.1\r\nHost: test\r\n{authorization}Connection: close\r\n\r\n"
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

/// The period report (issue 17, "Reports people file"): the overview of real sessions as
/// a printable HTML download, with the overview's exact figures written the Danish way,
/// names typed by people as text, and no id or token in it.
#[tokio::test]
async fn the_period_report_is_the_overview_as_a_file() {
    let server = spawn_app_with_min_answers(5).await;
    let addr = server.addr;
    let mut facilitator = Facilitator::connect(addr).await;
    // As above: 7.a (2 of 6, guesses 50–70), 7.b (1 of 5), and three pupils at a school
    // whose name is markup.
    let a = class(
        &mut facilitator,
        addr,
        described("Nordskolen", "7.a"),
        2,
        &[50, 60, 60, 70, 40, 55],
    )
    .await;
    class(
        &mut facilitator,
        addr,
        described("Nordskolen", "7.b"),
        1,
        &[20, 20, 30, 10, 25],
    )
    .await;
    class(
        &mut facilitator,
        addr,
        described("<script>alert(1)</script>", "7.c"),
        1,
        &[30, 40, 50],
    )
    .await;
    let rehearsal = create(
        &mut facilitator,
        SET,
        described("Nordskolen", "7.x"),
        Vec::new(),
        true,
    )
    .await;
    assert!(rehearsal.session.rehearsal);

    let (status, headers, html) = report(
        addr,
        "?from=2000-01-01&to=2999-12-31&grade=7",
        Some(HOST_TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        header(&headers, "content-disposition"),
        Some("attachment; filename=\"periodeopgoerelse-2000-01-01-2999-12-31.html\"")
    );
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"da\">"));
    for text in [
        "<h1>Social pejling — opgørelse for perioden 01.01.2000–31.12.2999</h1>",
        "<dt>Skole</dt><dd>alle skoler</dd>",
        "<dt>Klassetrin</dt><dd>7</dd>",
        concat!(
            "<dt>Lavet med</dt><dd>pejling ",
            env!("CARGO_PKG_VERSION"),
            "</dd>"
        ),
        // Reach: 3 pupils' sessions, 3 classes, 14 pupils, no parents, 28 answers.
        "<dt>Elevsessioner</dt><dd>3</dd>",
        "<dt>Elever</dt><dd>14</dd>",
        "<dt>Svar</dt><dd>28</dd>",
        "<th scope=\"row\">Nordskolen</th><td>2</td><td>2</td><td>11</td><td>0</td><td>0</td><td>22</td>",
        "<th scope=\"row\">&lt;script&gt;alert(1)&lt;/script&gt;</th><td>1</td><td>1</td><td>3</td><td>0</td><td>0</td><td>6</td>",
        "Øvelser i perioden, som ikke er talt med: 1.",
        // The pair, pooled over 7.a and 7.b: 3 of 11, guesses 40 on average.
        "<th scope=\"row\">Faktisk (andel, der svarede «Ja»)</th><td>27,3 % (11 svar)</td>",
        "<th scope=\"row\">Gæt (gennemsnit)</th><td>40 % (11 gæt)</td>",
        "<th scope=\"row\">Forskel (gæt − faktisk)</th><td>+12,7 procentpoint</td>",
        "<td><strong>Intet tydeligt mønster</strong></td>",
        "<th scope=\"row\">Landstal: 13-årige, 2018</th><td>33 % — ",
        "Kilde: Skolebørnsundersøgelsen (HBSC) 2018",
        "<td>fra +1 til +22,5 procentpoint (median +11,8)</td>",
        "<td>Flertalsmisforståelse: 1 klasse · Social overensstemmelse: 1 klasse</td>",
        "<th scope=\"row\">Ikke med, under 5 svar</th><td>7.c, &lt;script&gt;alert(1)&lt;/script&gt; (",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    assert!(!html.contains("<script"), "a school's name became markup");
    for secret in [
        HOST_TOKEN,
        a.session.id.as_str(),
        a.session.code.as_str(),
        SET,
        OWN,
        GUESS,
    ] {
        assert!(!html.contains(secret), "{secret} in the period report");
    }
    // The same figures as the overview's JSON, written out.
    let same = overview(addr, "?from=2000-01-01&to=2999-12-31&grade=7").await;
    assert_eq!(same.total.pupils, 14);
    assert!(close(
        same.pairs[0].pooled.as_ref().unwrap().actual,
        300.0 / 11.0
    ));

    // In English, for one school, with the token in the address: still not in the file.
    let (status, headers, html) = report(
        addr,
        &format!("?school=nordskolen&lang=en&token={HOST_TOKEN}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(
        header(&headers, "content-disposition"),
        Some("attachment; filename=\"period-report-all-sessions.html\"")
    );
    for text in [
        "<h1>Social norms sessions — account of all stored sessions</h1>",
        "<dt>School</dt><dd>Nordskolen</dd>",
        "<dt>Pupil sessions</dt><dd>2</dd>",
        "<td>27.3 % (11 answers)</td>",
        "<td>+12.7 percentage points</td>",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    assert!(
        !html.contains("7.c"),
        "the other school's class is not in it"
    );
    assert!(!html.contains(HOST_TOKEN));

    // The host token is needed; bad parameters are refused with a reason.
    assert_eq!(report(addr, "", None).await.0, 403);
    assert_eq!(report(addr, "", Some("wrong-token")).await.0, 403);
    for (query, reason) in [
        ("?from=1.8.2026", "YYYY-MM-DD"),
        ("?to=2027-02-30", "YYYY-MM-DD"),
        ("?lang=de", "lang must be da or en"),
        ("?pupil=Ida", "pupil"),
    ] {
        let (status, _, body) = report(addr, query, Some(HOST_TOKEN)).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(reason), "{query}: {body}");
    }
    server.stop().await;
}
