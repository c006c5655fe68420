//! The overview by tables of sessions with exact expected figures (issue 17): reach per
//! month and school, classes below the minimum left out and named, a pool below the
//! minimum, a class whose set was changed, the classes' gaps and patterns, rehearsals
//! and sessions nobody joined left out, filters.

#![allow(clippy::type_complexity)] // tables of tuples read best inline

use pejling_wire::{
    Answer, ClassName, Description, LeftOut, LeftOutReason, OverviewPair, OverviewQuery, PairKind,
    PatternCount, PatternName, Reach,
};

use super::*;
use crate::questions::{self, QuestionSet, Reference};

const PUPILS: &str = r#"
format = 1
id = "elever-7"
title = "7. klasse: alkohol"
language = "da"
audience = "pupils"
grades = ["7"]

[[questions]]
id = "drunk"
kind = "choice"
text = "Har du været fuld?"
options = ["Ja", "Nej"]
abstain = ["Vil ikke svare"]
sensitive = true

[[questions]]
id = "drunk-guess"
kind = "percent"
text = "Hvor mange procent af klassen tror du har været fulde?"
abstain = ["Ved ikke"]
perceives = { question = "drunk", options = [0] }

[[questions]]
id = "age"
kind = "number"
text = "Hvor gammel var du første gang?"
min = 10
max = 20
unit = "år"

[[questions]]
id = "age-guess"
kind = "number"
text = "Hvor gamle tror du, de andre var?"
min = 10
max = 20
unit = "år"
perceives = { question = "age" }
"#;

const YOUNGER: &str = r#"
format = 1
id = "elever-5"
title = "5. klasse: trivsel"
language = "da"
audience = "pupils"
grades = ["5"]

[[questions]]
id = "smoke"
kind = "choice"
text = "Har du prøvet at ryge?"
options = ["Ja", "Nej"]

[[questions]]
id = "smoke-guess"
kind = "percent"
text = "Hvor mange procent tror du har prøvet at ryge?"
perceives = { question = "smoke", options = [0] }
"#;

const PARENTS: &str = r#"
format = 1
id = "foraeldre-7"
title = "Forældre 7. klasse"
language = "da"
audience = "parents"
grades = ["7"]

[[questions]]
id = "allow"
kind = "choice"
text = "Må dit barn drikke til fester?"
options = ["Ja", "Nej"]
"#;

pub(crate) fn parse(text: &str) -> QuestionSet {
    questions::parse(text).expect("valid").set
}

/// The pupils' set with the national figure its guess question cites, as the library
/// copies it into a set.
pub(crate) fn pupils_set() -> QuestionSet {
    let mut set = parse(PUPILS);
    set.questions[1].references.push(reference());
    set
}

fn reference() -> Reference {
    Reference {
        id: "espad-2019-fuld-30-dage".into(),
        value: 40.0,
        unit: "%".into(),
        measures: "har været fulde inden for de seneste 30 dage".into(),
        population: "elever i 9. klasse".into(),
        year: 2019,
        survey: "ESPAD 2019, Danmark".into(),
        reported_by: Some("Ritzau".into()),
        url: None,
    }
}

pub(crate) fn own(yes: usize, no: usize, abstain: usize) -> Vec<Answer> {
    let mut answers = vec![Answer::Choice { option: 0 }; yes];
    answers.extend(vec![Answer::Choice { option: 1 }; no]);
    answers.extend(vec![Answer::Abstain { option: 0 }; abstain]);
    answers
}

pub(crate) fn percents(values: &[u32]) -> Vec<Answer> {
    values
        .iter()
        .map(|&value| Answer::Percent { value })
        .collect()
}

pub(crate) fn numbers(values: &[i64]) -> Vec<Answer> {
    values
        .iter()
        .map(|&value| Answer::Number { value })
        .collect()
}

pub(crate) fn description(school: &str, grade: &str, class: &str) -> Description {
    let value = |text: &str| (!text.is_empty()).then(|| text.to_string());
    Description {
        school: value(school),
        grade: value(grade),
        class: value(class),
        term: None,
    }
}

/// A session whose participants each answered the questions given (the i-th answer of
/// every question is the i-th participant's).
pub(crate) fn session(
    id: &str,
    name: &str,
    date: &str,
    description: Description,
    set: QuestionSet,
    answers: Vec<(&str, Vec<Answer>)>,
) -> OverviewSession {
    let participants = answers.iter().map(|(_, a)| a.len()).max().unwrap_or(0) as u32;
    let flat: Vec<(&str, Answer)> = answers
        .iter()
        .flat_map(|(question, answers)| answers.iter().map(move |answer| (*question, *answer)))
        .collect();
    OverviewSession {
        id: id.into(),
        origin: None,
        name: name.into(),
        named_by_code: false,
        date: date.into(),
        tallies: counts::tallies(&set, flat.iter().map(|(q, a)| (*q, a))),
        answers: flat.len() as u32,
        description,
        set: std::sync::Arc::new(set),
        participants,
        rehearsal: false,
        thresholds: None,
        follow_up_of: None,
    }
}

/// A school year's sessions: see each comment.
pub(crate) fn year() -> Vec<OverviewSession> {
    // 7.d's set was edited before it: its own question had a third answer.
    let mut changed = pupils_set();
    changed.questions[0].kind = questions::QuestionKind::Choice {
        options: vec!["Ja".into(), "Nej".into(), "Måske".into()],
    };
    let mut rehearsal = session(
        "d",
        "Øvelse",
        "2027-04-02",
        description("Sydskolen", "7", "7.x"),
        pupils_set(),
        vec![
            ("drunk", own(20, 5, 0)),
            ("drunk-guess", percents(&[90; 25])),
        ],
    );
    rehearsal.rehearsal = true;
    vec![
        // Before the period.
        session(
            "g",
            "7.e, Nordskolen",
            "2026-12-01",
            description("Nordskolen", "7", "7.e"),
            pupils_set(),
            vec![
                ("drunk", own(5, 5, 0)),
                ("drunk-guess", percents(&[50; 10])),
            ],
        ),
        session(
            "j",
            "7.d, Vestskolen",
            "2027-01-15",
            description("Vestskolen", "7", "7.d"),
            changed,
            vec![("drunk", own(2, 3, 0)), ("drunk-guess", percents(&[50; 5]))],
        ),
        // No description: named by its join code; two pupils.
        session(
            "k",
            "KMXPAT",
            "2027-02-10",
            Description::default(),
            pupils_set(),
            vec![
                ("drunk", own(1, 1, 0)),
                ("drunk-guess", percents(&[30, 40])),
            ],
        ),
        // Nobody joined: not a session held.
        session(
            "f",
            "7.f, Nordskolen",
            "2027-02-01",
            description("Nordskolen", "7", "7.f"),
            pupils_set(),
            vec![],
        ),
        // 2 of 8 said yes (25 %); every guess above: overdrivelse. Gap 42.5 − 25 = 17.5.
        session(
            "a",
            "7.a, Nordskolen",
            "2027-03-02",
            description("Nordskolen", "7", "7.a"),
            pupils_set(),
            vec![
                ("drunk", own(2, 6, 0)),
                ("drunk-guess", percents(&[40, 50, 30, 60, 30, 45, 35, 50])),
                ("age", numbers(&[13, 14, 14, 15, 16])),
                ("age-guess", numbers(&[12, 12, 13, 13, 14])),
            ],
        ),
        // 1 of 5 (20 %), guesses 21 on average: overensstemmelse (gap 1). Four ages:
        // below the minimum for the age pair.
        session(
            "b",
            "7.b, Nordskolen",
            "2027-03-15",
            description(" nordskolen", "7", "7.b"),
            pupils_set(),
            vec![
                ("drunk", own(1, 4, 0)),
                ("drunk-guess", percents(&[10, 20, 20, 30, 25])),
                ("age", numbers(&[13, 14, 15, 15])),
            ],
        ),
        session(
            "p",
            "Forældremøde 7. årgang",
            "2027-03-20",
            description("Nordskolen", "7", ""),
            parse(PARENTS),
            vec![("allow", own(3, 9, 0))],
        ),
        // Three took a side (one would not say): below the minimum of 5.
        session(
            "c",
            "7.c, Sydskolen",
            "2027-04-01",
            description("Sydskolen", "7", "7.c"),
            pupils_set(),
            vec![
                ("drunk", own(1, 2, 1)),
                ("drunk-guess", percents(&[30, 40, 50, 60, 70, 80])),
            ],
        ),
        rehearsal,
        // 7.a again in spring: 2 of 6 (33 %), every guess 60 or more: a false majority.
        session(
            "h",
            "7.a, Nordskolen",
            "2027-04-10",
            description("Nordskolen", "7", "7.A"),
            pupils_set(),
            vec![
                ("drunk", own(2, 4, 0)),
                ("drunk-guess", percents(&[60, 70, 80, 65, 75, 70])),
            ],
        ),
        // The younger set: four answers, so its only pair has no pool.
        session(
            "i",
            "5.a, Sydskolen",
            "2027-05-05",
            description("Sydskolen", "5", "5.a"),
            parse(YOUNGER),
            vec![("smoke", own(1, 3, 0)), ("smoke-guess", percents(&[20; 4]))],
        ),
    ]
}

pub(crate) fn period() -> OverviewQuery {
    OverviewQuery {
        from: Some("2027-01-01".into()),
        to: Some("2027-06-30".into()),
        ..OverviewQuery::default()
    }
}

fn row(
    key: &str,
    (sessions, classes, pupils): (u32, u32, u32),
    (parent_sessions, parents): (u32, u32),
    answers: u32,
) -> Reach {
    Reach {
        key: key.into(),
        sessions,
        classes,
        pupils,
        parent_sessions,
        parents,
        answers,
    }
}

fn class(name: &str, date: &str) -> ClassName {
    ClassName {
        name: name.into(),
        date: date.into(),
        origin: None,
    }
}

fn left(name: &str, date: &str, reason: LeftOutReason) -> LeftOut {
    LeftOut {
        name: name.into(),
        date: date.into(),
        reason,
        origin: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn pair<'a>(overview: &'a Overview, id: &str) -> &'a OverviewPair {
    overview
        .pairs
        .iter()
        .find(|p| p.perceived_id == id)
        .unwrap_or_else(|| panic!("no pair {id}"))
}

#[test]
fn reach_per_month_and_school_without_rehearsals_or_empty_sessions() {
    let overview = overview(&year(), &period(), &Thresholds::default());
    // Sessions j, k, a, b, c, h, i of pupils and p of parents; 7.a twice is one class;
    // the rehearsal, the empty session and December's are not counted.
    assert_eq!(overview.total, row("", (7, 6, 36), (1, 12), 96));
    assert_eq!(overview.rehearsals, 1);
    assert_eq!(
        overview.by_month,
        vec![
            row("2027-01", (1, 1, 5), (0, 0), 10),
            row("2027-02", (1, 1, 2), (0, 0), 4),
            row("2027-03", (2, 2, 13), (1, 12), 26 + 14 + 12),
            row("2027-04", (2, 2, 12), (0, 0), 10 + 12),
            row("2027-05", (1, 1, 4), (0, 0), 8),
        ]
    );
    assert_eq!(
        overview.by_school,
        vec![
            // " nordskolen" is the same school as "Nordskolen" (first spelling kept).
            row("Nordskolen", (3, 2, 19), (1, 12), 26 + 14 + 12 + 12),
            row("Sydskolen", (2, 2, 10), (0, 0), 10 + 8),
            row("Vestskolen", (1, 1, 5), (0, 0), 10),
            row("", (1, 1, 2), (0, 0), 4),
        ]
    );
    assert_eq!(
        overview.choices.schools,
        ["Nordskolen", "Sydskolen", "Vestskolen"]
    );
    assert_eq!(overview.choices.grades, ["5", "7"]);
    let sets: Vec<&str> = overview
        .choices
        .sets
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(sets, ["elever-5", "elever-7", "foraeldre-7"]);
    assert_eq!(overview.min_answers, 5);
}

#[test]
fn pooled_pairs_leave_out_and_name_classes_below_the_minimum() {
    let overview = overview(&year(), &period(), &Thresholds::default());
    let ids: Vec<&str> = overview
        .pairs
        .iter()
        .map(|p| p.perceived_id.as_str())
        .collect();
    // Sets by title ("5. klasse" before "7. klasse"), pairs in the set's order.
    assert_eq!(ids, ["smoke-guess", "drunk-guess", "age-guess"]);

    let drunk = pair(&overview, "drunk-guess");
    assert_eq!(drunk.kind, PairKind::Percent);
    assert_eq!(drunk.question, "Har du været fuld?");
    assert_eq!(drunk.options, ["Ja"]);
    assert_eq!(
        drunk.classes,
        [
            class("7.a, Nordskolen", "2027-03-02"),
            class("7.b, Nordskolen", "2027-03-15"),
            class("7.a, Nordskolen", "2027-04-10"),
        ]
    );
    assert_eq!(
        drunk.left_out,
        [
            left("7.d, Vestskolen", "2027-01-15", LeftOutReason::Changed),
            left("KMXPAT", "2027-02-10", LeftOutReason::TooFew),
            left("7.c, Sydskolen", "2027-04-01", LeftOutReason::TooFew),
        ]
    );
    // Pooled: 5 of 19 said yes; the 19 guesses sum to 340 + 105 + 420.
    let pooled = drunk.pooled.as_ref().expect("a pool of three classes");
    assert_eq!((pooled.actual_answers, pooled.guessed_answers), (19, 19));
    assert!(close(pooled.actual, 500.0 / 19.0), "{}", pooled.actual);
    assert!(close(pooled.guessed, 865.0 / 19.0), "{}", pooled.guessed);
    assert!(close(pooled.gap, 365.0 / 19.0), "{}", pooled.gap);
    // 15 guesses above 26.3 %, 4 below (sign test p ≈ 0.019); 7 of 19 above 50 %.
    assert_eq!(pooled.pattern, Some(PatternName::Overdrivelse));
    // The classes' gaps: 1 (7.b), 17.5 (7.a), 36.7 (7.a in spring).
    let gaps = drunk.gaps.as_ref().unwrap();
    assert!(close(gaps.min, 1.0), "{gaps:?}");
    assert!(close(gaps.median, 17.5), "{gaps:?}");
    assert!(close(gaps.max, 70.0 - 100.0 / 3.0), "{gaps:?}");
    assert_eq!(
        drunk.patterns,
        [
            PatternCount {
                pattern: PatternName::Overdrivelse,
                classes: 1
            },
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
    assert_eq!(drunk.national[0].value, 40.0);
    assert_eq!(drunk.national[0].source, "ESPAD 2019, Danmark; Ritzau");

    // The age pair: only 7.a reached five answers on both sides; 7.b gave four ages and
    // no guesses; the classes that never got to it are not named.
    let age = pair(&overview, "age-guess");
    assert_eq!(age.kind, PairKind::Number);
    assert_eq!(age.unit.as_deref(), Some("år"));
    assert_eq!(age.classes, [class("7.a, Nordskolen", "2027-03-02")]);
    assert_eq!(
        age.left_out,
        [left("7.b, Nordskolen", "2027-03-15", LeftOutReason::TooFew)]
    );
    let pooled = age.pooled.as_ref().unwrap();
    assert!(close(pooled.actual, 14.4) && close(pooled.guessed, 12.8));
    assert!(close(pooled.gap, -1.6), "{}", pooled.gap);
    assert_eq!(pooled.pattern, None);
    assert!(age.patterns.is_empty());
    assert!(age.national.is_empty());

    // A pool below the minimum: its only class had four answers. No figure, no spread,
    // the class named.
    let smoke = pair(&overview, "smoke-guess");
    assert!(smoke.classes.is_empty());
    assert_eq!(
        smoke.left_out,
        [left("5.a, Sydskolen", "2027-05-05", LeftOutReason::TooFew)]
    );
    assert_eq!(smoke.pooled, None);
    assert_eq!(smoke.gaps, None);
    assert!(smoke.patterns.is_empty());
}

#[test]
fn filters_by_school_grade_and_set() {
    let sessions = year();
    // (query, total, pairs with their pooled classes)
    let table: Vec<(OverviewQuery, Reach, Vec<(&str, usize)>)> = vec![
        (
            OverviewQuery {
                school: Some("  NORDSKOLEN ".into()),
                ..period()
            },
            row("", (3, 2, 19), (1, 12), 64),
            vec![("drunk-guess", 3), ("age-guess", 1)],
        ),
        (
            OverviewQuery {
                grade: Some("5".into()),
                ..period()
            },
            row("", (1, 1, 4), (0, 0), 8),
            vec![("smoke-guess", 0)],
        ),
        (
            OverviewQuery {
                set: Some("elever-7".into()),
                ..period()
            },
            row("", (6, 5, 32), (0, 0), 10 + 4 + 26 + 14 + 10 + 12),
            vec![("drunk-guess", 3), ("age-guess", 1)],
        ),
        (
            OverviewQuery {
                from: Some("2027-04-01".into()),
                to: Some("2027-04-30".into()),
                ..OverviewQuery::default()
            },
            row("", (2, 2, 12), (0, 0), 22),
            // Nobody in April answered the age pair: it is not listed.
            vec![("drunk-guess", 1)],
        ),
        // No period: December's session too.
        (
            OverviewQuery::default(),
            row("", (8, 7, 46), (1, 12), 96 + 20),
            vec![("smoke-guess", 0), ("drunk-guess", 4), ("age-guess", 1)],
        ),
        // A school nobody visited.
        (
            OverviewQuery {
                school: Some("Østskolen".into()),
                ..period()
            },
            row("", (0, 0, 0), (0, 0), 0),
            vec![],
        ),
    ];
    for (query, total, pairs) in table {
        let overview = overview(&sessions, &query, &Thresholds::default());
        assert_eq!(overview.total, total, "{query:?}");
        let found: Vec<(&str, usize)> = overview
            .pairs
            .iter()
            .map(|p| (p.perceived_id.as_str(), p.classes.len()))
            .collect();
        assert_eq!(found, pairs, "{query:?}");
    }
    // The query comes back cleaned, the choices are the period's whatever the filter.
    let filtered = overview(
        &sessions,
        &OverviewQuery {
            school: Some("  NORDSKOLEN ".into()),
            grade: Some(" ".into()),
            ..period()
        },
        &Thresholds::default(),
    );
    assert_eq!(filtered.query.school.as_deref(), Some("NORDSKOLEN"));
    assert_eq!(filtered.query.grade, None);
    assert_eq!(filtered.choices.schools.len(), 3);
    assert_eq!(filtered.rehearsals, 0, "the rehearsal was at Sydskolen");
}

#[test]
fn a_class_needs_the_minimum_its_own_session_ran_with_and_is_named_by_its_thresholds() {
    let sessions = |stored: Option<Thresholds>, set_min: Option<u32>| {
        let mut set = pupils_set();
        set.min_answers = set_min;
        let mut b = session(
            "b",
            "7.b",
            "2027-03-15",
            description("Nordskolen", "7", "7.b"),
            set,
            vec![
                ("drunk", own(1, 5, 0)),
                ("drunk-guess", percents(&[10, 20, 20, 30, 25, 26])),
            ],
        );
        b.thresholds = stored;
        vec![b]
    };
    let strict = Thresholds {
        min_answers: 7,
        ..Thresholds::default()
    };
    let narrow = Thresholds {
        agreement_pp: 1.0,
        ..Thresholds::default()
    };
    // 1 of 6 (16.7 %), guesses 21.8 on average: a gap of 5.2.
    // (the session's thresholds, the set's minimum, the overview's thresholds,
    //  pooled?, the class's pattern)
    let table: Vec<(
        Option<Thresholds>,
        Option<u32>,
        Thresholds,
        bool,
        Option<PatternName>,
    )> = vec![
        (
            None,
            None,
            Thresholds::default(),
            true,
            Some(PatternName::Overensstemmelse),
        ),
        // The session ran with a minimum of 7: its six answers were never shown.
        (Some(strict), None, Thresholds::default(), false, None),
        // The set asks for 7.
        (None, Some(7), Thresholds::default(), false, None),
        // The set allowed 3, but the overview's 7 applies.
        (None, Some(3), strict, false, None),
        // The session named agreement only within 1 point: 5 of 6 guessed above 16.7 %,
        // too few to name a direction.
        (
            Some(narrow),
            None,
            Thresholds::default(),
            true,
            Some(PatternName::Uklar),
        ),
    ];
    for (stored, set_min, thresholds, pooled, pattern) in table {
        let overview = overview(
            &sessions(stored, set_min),
            &OverviewQuery::default(),
            &thresholds,
        );
        let drunk = pair(&overview, "drunk-guess");
        assert_eq!(drunk.pooled.is_some(), pooled, "{stored:?} {set_min:?}");
        assert_eq!(drunk.classes.len(), usize::from(pooled));
        assert_eq!(drunk.left_out.len(), usize::from(!pooled));
        assert_eq!(
            drunk.patterns.first().map(|p| p.pattern),
            pattern,
            "{stored:?} {set_min:?}"
        );
        if let Some(pooled) = &drunk.pooled {
            assert!(
                close(pooled.gap, 131.0 / 6.0 - 100.0 / 6.0),
                "{}",
                pooled.gap
            );
            // The pool is named with the overview's thresholds.
            assert_eq!(pooled.pattern, Some(PatternName::Overensstemmelse));
        }
    }
}

#[test]
fn abstentions_do_not_count_towards_the_minimum() {
    // Five answers, one "won't say": four took a side, below the minimum of 5.
    let sessions = vec![session(
        "a",
        "7.a",
        "2027-03-02",
        Description::default(),
        pupils_set(),
        vec![
            ("drunk", own(1, 3, 1)),
            ("drunk-guess", percents(&[10, 20, 30, 40, 50])),
        ],
    )];
    let overview = overview(&sessions, &OverviewQuery::default(), &Thresholds::default());
    let drunk = pair(&overview, "drunk-guess");
    assert_eq!(drunk.left_out.len(), 1);
    assert_eq!(drunk.pooled, None);
    // Reach counts every answer given.
    assert_eq!(overview.total.answers, 10);
}

/// Issue 17: the overview counts how many classes were followed up and what changed;
/// the earlier session may be from before the period and is not counted itself.
#[test]
fn follow_ups_are_counted_by_what_changed() {
    let before = |id: &str, class: &str, guesses: &[u32]| {
        session(
            id,
            class,
            "2026-09-01",
            description("Nordskolen", "7", class),
            pupils_set(),
            vec![("drunk", own(4, 16, 0)), ("drunk-guess", percents(guesses))],
        )
    };
    let after = |id: &str, class: &str, earlier: &str, guesses: &[u32]| {
        let mut later = session(
            id,
            class,
            "2027-03-01",
            description("Nordskolen", "7", class),
            pupils_set(),
            vec![("drunk", own(4, 16, 0)), ("drunk-guess", percents(guesses))],
        );
        later.follow_up_of = Some(earlier.into());
        later
    };
    let high: Vec<u32> = [50; 5]
        .into_iter()
        .chain([60; 8])
        .chain([70; 4])
        .chain([80; 3])
        .collect();
    let close: Vec<u32> = [20; 6].into_iter().chain([30; 10]).chain([40; 4]).collect();
    let sessions = vec![
        // 7.a: believed 62.5 % when 20 % had; after, 29 %: shrank.
        before("a1", "7.a", &high),
        after("a2", "7.a", "a1", &close),
        // 7.b: believed 62.5 % and still does: no clear change.
        before("b1", "7.b", &high),
        after("b2", "7.b", "b1", &high),
        // 7.c: guessed close before: nothing to shrink.
        before("c1", "7.c", &close),
        after("c2", "7.c", "c1", &close),
    ];
    let result = overview(&sessions, &period(), &Thresholds::default());
    // Only the three later sessions are in the period.
    assert_eq!(result.total.sessions, 3);
    assert_eq!(result.follow_ups.classes, 3);
    assert_eq!(
        result.follow_ups.pairs,
        [pejling_wire::FollowUpCount {
            set_title: "7. klasse: alkohol".into(),
            question: "Har du været fuld?".into(),
            shrank: 1,
            grew: 0,
            no_clear_change: 1,
            none_before: 1,
            too_few: 0,
        }]
    );
}

const ATTITUDE: &str = r#"
format = 1
id = "holdning"
title = "Holdninger"
language = "da"
audience = "pupils"
grades = ["8"]

[[questions]]
id = "ok"
kind = "scale"
text = "Er det i orden at drikke sig fuld?"
points = ["Slet ikke", "Lidt", "Helt"]

[[questions]]
id = "ok-guess"
kind = "scale"
text = "Hvad tror du, de fleste mener?"
points = ["Slet ikke", "Lidt", "Helt"]
perceives = { question = "ok" }
"#;

#[test]
fn a_scale_pair_carries_its_points() {
    let scale = |points: &[u32]| -> Vec<Answer> {
        points
            .iter()
            .map(|&point| Answer::Scale { point })
            .collect()
    };
    let sessions = vec![session(
        "a",
        "8.a",
        "2027-03-02",
        Description::default(),
        parse(ATTITUDE),
        vec![
            ("ok", scale(&[0, 0, 0, 1, 2])),
            ("ok-guess", scale(&[1, 1, 2, 2, 2])),
        ],
    )];
    let attitudes = overview(&sessions, &OverviewQuery::default(), &Thresholds::default());
    let ok = pair(&attitudes, "ok-guess");
    assert_eq!(ok.kind, PairKind::Scale);
    assert_eq!(ok.scale, ["Slet ikke", "Lidt", "Helt"]);
    assert!(ok.options.is_empty());
    // Positions 1, 1, 1, 2, 3 and 2, 2, 3, 3, 3.
    let pooled = ok.pooled.as_ref().unwrap();
    assert!(
        close(pooled.actual, 1.6) && close(pooled.guessed, 2.6),
        "{pooled:?}"
    );
    // A percent pair names no points.
    let sessions = vec![session(
        "b",
        "7.a",
        "2027-03-02",
        Description::default(),
        pupils_set(),
        vec![
            ("drunk", own(2, 3, 0)),
            ("drunk-guess", percents(&[10, 20, 30, 40, 50])),
        ],
    )];
    let shares = overview(&sessions, &OverviewQuery::default(), &Thresholds::default());
    assert!(pair(&shares, "drunk-guess").scale.is_empty());
}
