//! Export → file (JSON) → import → overview gives the figures the exporting computer's
//! overview gave, with classes below the minimum withheld in the file and still named as
//! left out; follow-ups carried by key; files with problems refused with what is wrong.

use pejling_wire::{Overview, OverviewQuery};

use super::*;
use crate::overview::overview;
use crate::overview::tests::{description, own, percents, period, pupils_set, session, year};

/// A school year (`overview::tests::year`) and three follow-ups: one that shrank, one
/// within noise, one whose earlier class had too few answers.
fn sessions() -> Vec<OverviewSession> {
    let mut sessions = year();
    let high: Vec<u32> = [50; 5]
        .into_iter()
        .chain([60; 8])
        .chain([70; 4])
        .chain([80; 3])
        .collect();
    let close: Vec<u32> = [20; 6].into_iter().chain([30; 10]).chain([40; 4]).collect();
    let class = |id: &str, class: &str, date: &str, yes: usize, no: usize, guesses: &[u32]| {
        session(
            id,
            &format!("{class}, Østskolen"),
            date,
            description("Østskolen", "8", class),
            pupils_set(),
            vec![
                ("drunk", own(yes, no, 0)),
                ("drunk-guess", percents(guesses)),
            ],
        )
    };
    let mut follow = |id: &str, earlier: &str, mut later: OverviewSession| {
        later.id = id.into();
        later.follow_up_of = Some(earlier.into());
        sessions.push(later);
    };
    follow("x2", "x1", class("", "8.a", "2027-05-01", 4, 16, &close));
    follow("y2", "y1", class("", "8.b", "2027-05-02", 4, 16, &high));
    follow("z2", "z1", class("", "8.c", "2027-05-03", 4, 16, &close));
    // The earlier sessions: autumn, before the period.
    sessions.push(class("x1", "8.a", "2026-10-01", 4, 16, &high));
    sessions.push(class("y1", "8.b", "2026-10-02", 4, 16, &high));
    sessions.push(class("z1", "8.c", "2026-10-03", 1, 2, &high[..3]));
    sessions
}

/// An overview with the marks of where its classes came from taken off.
fn unmarked(mut overview: Overview) -> Overview {
    overview.by_origin.clear();
    for pair in &mut overview.pairs {
        pair.classes.iter_mut().for_each(|c| c.origin = None);
        pair.left_out.iter_mut().for_each(|c| c.origin = None);
    }
    overview
}

fn through_a_file(file: &ExchangeFile) -> Vec<OverviewSession> {
    let json = serde_json::to_string_pretty(file).unwrap();
    import(serde_json::from_str(&json).unwrap()).expect("a good file")
}

fn exported(sessions: &[OverviewSession], query: &OverviewQuery) -> ExchangeFile {
    let chosen = crate::overview::counted(sessions, query);
    export(
        &chosen,
        sessions,
        "Anna, SSP Nord",
        "2027-06-20T14:05:00+02:00",
        &Thresholds::default(),
    )
}

#[test]
fn export_then_import_gives_the_same_overview() {
    let sessions = sessions();
    let thresholds = Thresholds::default();
    // The period's eleven counted sessions and the three earlier ones their follow-ups
    // compare with; no rehearsal, no session nobody joined.
    let file = exported(&sessions, &period());
    assert_eq!(file.sessions.len(), 14);
    let here = overview(&sessions, &period(), &thresholds);
    let there = unmarked(overview(&through_a_file(&file), &period(), &thresholds));
    // The rehearsal is not in the file, so the other computer cannot count it.
    assert_eq!((here.rehearsals, there.rehearsals), (1, 0));
    assert_eq!(
        here,
        Overview {
            rehearsals: 1,
            ..there
        }
    );
    // Every session, seen through filters.
    let imported = through_a_file(&exported(&sessions, &OverviewQuery::default()));
    for query in [
        period(),
        OverviewQuery::default(),
        OverviewQuery {
            school: Some("Nordskolen".into()),
            ..period()
        },
        OverviewQuery {
            grade: Some("8".into()),
            ..OverviewQuery::default()
        },
    ] {
        let here = overview(&sessions, &query, &thresholds);
        let there = overview(&imported, &query, &thresholds);
        // The rehearsal is not in the file, so the other computer cannot count it.
        let there = Overview {
            rehearsals: here.rehearsals,
            ..unmarked(there)
        };
        assert_eq!(here, there, "{query:?}");
    }
    let here = overview(&sessions, &period(), &thresholds);
    assert_eq!(here.follow_ups.classes, 3);
    let counts = &here.follow_ups.pairs[0];
    assert_eq!(
        (counts.shrank, counts.no_clear_change, counts.too_few),
        (1, 1, 1),
        "{counts:?}"
    );
    assert!(here.pairs.iter().any(|p| !p.left_out.is_empty()));
}

#[test]
fn counts_below_a_class_s_minimum_stay_on_the_laptop() {
    let sessions = sessions();
    let file = exported(&sessions, &OverviewQuery::default());
    let by_name = |name: &str| {
        file.sessions
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} in the file"))
    };
    // 7.c: three took a side on its own question (six guessed): withheld; the guesses
    // reach five and are in the file.
    let c = by_name("7.c, Sydskolen");
    assert_eq!(c.questions["drunk"], Answered::TooFew);
    assert!(matches!(c.questions["drunk-guess"], Answered::Counts(_)));
    assert_eq!((c.participants, c.answers), (6, 10));
    // KMXPAT: two pupils, nothing shown.
    assert!(
        by_name("KMXPAT")
            .questions
            .values()
            .all(|a| *a == Answered::TooFew)
    );
    // 7.a: the age pair reached five on both sides; 7.b gave four ages and no guesses.
    let b = by_name("7.b, Nordskolen");
    assert_eq!(b.questions["age"], Answered::TooFew);
    assert!(!b.questions.contains_key("age-guess"));
    // A parents' session carries its reach, no counts.
    assert!(by_name("Forældremøde 7. årgang").questions.is_empty());
    // Keys, not ids; follow-ups by key.
    for session in &file.sessions {
        assert_eq!(session.key.len(), 32);
        assert!(sessions.iter().all(|s| s.id != session.key));
    }
    let on = |date: &str| file.sessions.iter().find(|s| s.date == date).unwrap();
    let (earlier, later) = (on("2026-10-01"), on("2027-05-01"));
    assert_eq!(later.name, "8.a, Østskolen");
    assert_eq!(later.follow_up_of.as_deref(), Some(earlier.key.as_str()));
    assert_eq!(earlier.key, key("x1"));
}

#[test]
fn a_session_is_known_by_the_same_key_in_every_file() {
    let sessions = sessions();
    let spring = exported(
        &sessions,
        &OverviewQuery {
            from: Some("2027-03-01".into()),
            ..OverviewQuery::default()
        },
    );
    let all = exported(&sessions, &OverviewQuery::default());
    for session in &spring.sessions {
        let same = all.sessions.iter().find(|s| s.key == session.key).unwrap();
        assert_eq!(same, session);
    }
    assert_ne!(key("a"), key("b"));
}

#[test]
fn imported_sessions_are_not_exported_again() {
    let sessions = sessions();
    let imported = through_a_file(&exported(&sessions, &period()));
    let chosen: Vec<&OverviewSession> = imported.iter().collect();
    let again = export(
        &chosen,
        &imported,
        "Koordinator",
        "2027-06-21T09:00:00+02:00",
        &Thresholds::default(),
    );
    assert!(again.sessions.is_empty());
    assert!(
        imported
            .iter()
            .all(|s| s.origin.as_deref() == Some("Anna, SSP Nord"))
    );
}

/// The index in `file` (JSON) of the session named `name`.
fn at(file: &serde_json::Value, name: &str) -> usize {
    file["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["name"] == name)
        .unwrap()
}

/// The session named `name` in `file` (JSON).
fn named<'a>(file: &'a mut serde_json::Value, name: &str) -> &'a mut serde_json::Value {
    let i = at(file, name);
    &mut file["sessions"][i]
}

/// The file of the period, changed by `change`, as JSON read back.
fn refused(change: impl FnOnce(&mut serde_json::Value)) -> ExchangeError {
    let mut json = serde_json::to_value(exported(&sessions(), &period())).unwrap();
    change(&mut json);
    match serde_json::from_value::<ExchangeFile>(json) {
        Ok(file) => import(file).expect_err("refused"),
        Err(error) => ExchangeError::not_a_file(&error.to_string()),
    }
}

/// A change made to a good file.
type Change = Box<dyn FnOnce(&mut serde_json::Value)>;

#[test]
fn files_with_problems_are_refused_with_what_is_wrong() {
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|j| j["format"] = "pejling-backup".into()),
            "\"format\" is \"pejling-backup\", not \"pejling-exchange\"",
            "\"format\" er \"pejling-backup\"",
        ),
        (
            Box::new(|j| j["version"] = 2.into()),
            "the file is of version 2 of the format; this pejling reads version 1",
            "Filen er i version 2 af formatet",
        ),
        (
            Box::new(|j| j["origin"] = " ".into()),
            "the origin (who exported the file) must be 1 to 80 characters",
            "Afsenderen (hvem filen er fra) skal være 1 til 80 tegn",
        ),
        (
            Box::new(|j| j["origin"] = "Anna\u{202E}droN PSS".into()),
            "the origin has control or direction characters",
            "Afsenderen har kontrol- eller retningstegn",
        ),
        (
            Box::new(|j| j["sessions"][0]["key"] = "KMXPAT".into()),
            "session 1 (\"8.a, Østskolen\"): \"key\" must be 32 lowercase hex digits",
            "Session 1 (\"8.a, Østskolen\"): \"key\" skal være 32 hexcifre",
        ),
        (
            Box::new(|j| {
                let first = j["sessions"][0]["key"].clone();
                j["sessions"][1]["key"] = first;
            }),
            "session 2 (\"8.b, Østskolen\"): the file holds this session twice (the same key)",
            "Session 2 (\"8.b, Østskolen\"): Filen har denne session to gange",
        ),
        (
            Box::new(|j| j["sessions"][0]["date"] = "15.01.2027".into()),
            "\"date\" must be a day written YYYY-MM-DD, not \"15.01.2027\"",
            "\"date\" skal være en dato skrevet ÅÅÅÅ-MM-DD",
        ),
        (
            Box::new(|j| {
                named(j, "7.a, Nordskolen")["questions"]["drunk"]["counts"]["counts"] =
                    serde_json::json!([1, 2, 3])
            }),
            "the counts of question \"drunk\" are not of its kind or number of answers",
            "Tallene for spørgsmål \"drunk\" passer ikke til dets type",
        ),
        (
            Box::new(|j| {
                named(j, "7.a, Nordskolen")["questions"]["drunk"]["counts"]["counts"] =
                    serde_json::json!([100, 1])
            }),
            "the counts of question \"drunk\" add up to more answers than the session had participants",
            "giver flere svar, end sessionen havde deltagere",
        ),
        (
            Box::new(|j| named(j, "7.a, Nordskolen")["questions"]["nope"] = "too_few".into()),
            "counts of a question \"nope\" its set does not have",
            "Tal for et spørgsmål \"nope\", som sættet ikke har",
        ),
        (
            Box::new(|j| {
                named(j, "7.a, Nordskolen")["set"]["questions"][1]["perceives"]["options"] =
                    serde_json::json!([7])
            }),
            "question \"drunk-guess\" of the set guesses a question it cannot be compared with",
            "gætter på et spørgsmål, det ikke kan sammenlignes med",
        ),
        (
            Box::new(|j| j["sessions"][0]["date"] = "2027-02-30".into()),
            "\"date\" must be a day written YYYY-MM-DD, not \"2027-02-30\"",
            "ikke \"2027-02-30\"",
        ),
        (
            Box::new(|j| named(j, "7.a, Nordskolen")["answers"] = 1_000_000_000.into()),
            "\"answers\" is 1000000000, more than its 8 participants can give to 4 questions",
            "\"answers\" er 1000000000, flere end dens 8 deltagere kan give på 4 spørgsmål",
        ),
        (
            Box::new(|j| {
                named(j, "7.a, Nordskolen")["thresholds"]["significance"] = 1.5.into();
            }),
            "\"thresholds\" are out of range",
            "\"thresholds\" er uden for det tilladte",
        ),
        (
            Box::new(|j| {
                let session = named(j, "7.a, Nordskolen");
                session["follow_up_of"] = session["key"].clone();
            }),
            "the session follows up itself",
            "Sessionen er markeret som opfølgning på sig selv",
        ),
        (
            Box::new(|j| {
                let counts = named(j, "7.a, Nordskolen")["questions"]["drunk"].clone();
                named(j, "Forældremøde 7. årgang")["questions"]["allow"] = counts;
            }),
            "a parents' session carries no counts in an exchange file",
            "En forældresession har ingen tal i en delingsfil",
        ),
        (
            // Two answers shown where the session's minimum is five.
            Box::new(|j| {
                named(j, "KMXPAT")["questions"]["drunk"] = serde_json::json!({"counts": {"abstained": [0], "kind": "choice", "counts": [1, 1]}});
            }),
            "the counts of question \"drunk\" are below the session's minimum of 5 and must be \"too_few\"",
            "er under sessionens minimum på 5 og skal være \"too_few\"",
        ),
        (
            Box::new(|j| {
                named(j, "7.a, Nordskolen")["questions"]["age"]["counts"]["values"] =
                    serde_json::json!([{"value": 99, "count": 5}]);
            }),
            "the counts of question \"age\" count an answer it cannot have (the number 99)",
            "tæller et svar, det ikke kan have (tallet 99)",
        ),
        (
            Box::new(|j| j["sessions"][0]["answers_of_each_pupil"] = serde_json::json!([])),
            "this is not a pejling exchange file (docs/exchange.md): unknown field `answers_of_each_pupil`",
            "Filen er ikke en delingsfil fra pejling: unknown field",
        ),
    ];
    for (change, english, danish) in cases {
        let error = refused(change);
        assert!(
            error.message.contains(english),
            "{} ⊅ {english}",
            error.message
        );
        assert!(error.danish.contains(danish), "{} ⊅ {danish}", error.danish);
    }
}

#[test]
fn counts_are_tallied_afresh_on_import() {
    let mut json = serde_json::to_value(exported(&sessions(), &period())).unwrap();
    // A hand-edited mean: the overview uses the mean of the counts, not the file's.
    let i = at(&json, "7.a, Nordskolen");
    let guess = &mut json["sessions"][i]["questions"]["drunk-guess"]["counts"];
    let mean = guess["mean"].as_f64().unwrap();
    guess["mean"] = 99.0.into();
    let file: ExchangeFile = serde_json::from_value(json).unwrap();
    let imported = import(file).unwrap();
    let Answered::Counts(result) = &imported[i].tallies["drunk-guess"] else {
        panic!("counts")
    };
    let Distribution::Percent {
        mean: Some(recounted),
        ..
    } = result.distribution
    else {
        panic!("percent")
    };
    assert_eq!(recounted, mean);
}
