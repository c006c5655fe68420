//! The overview's model: the period chosen, the request made, and the server's figures as
//! the page writes them (exact texts, in Danish and English).

use pejling_wire::{
    ClassName, NationalFigure, OverviewChoices, PatternCount, Pooled, SetChoice, Spread,
};

use super::*;

const MARCH: Day = Day {
    year: 2027,
    month: 3,
    day: 14,
};

#[test]
fn the_period_is_the_school_year_from_august() {
    // (today, period chosen, from, to)
    let table = [
        (
            MARCH,
            Period::ThisSchoolYear,
            Some("2026-08-01"),
            Some("2027-07-31"),
        ),
        (
            MARCH,
            Period::LastSchoolYear,
            Some("2025-08-01"),
            Some("2026-07-31"),
        ),
        (
            Day {
                year: 2027,
                month: 8,
                day: 1,
            },
            Period::ThisSchoolYear,
            Some("2027-08-01"),
            Some("2028-07-31"),
        ),
        (
            Day {
                year: 2027,
                month: 7,
                day: 31,
            },
            Period::ThisSchoolYear,
            Some("2026-08-01"),
            Some("2027-07-31"),
        ),
        (MARCH, Period::All, None, None),
    ];
    for (today, period, from, to) in table {
        let mut model = OverviewModel::new(today);
        model.choose_period(period, today);
        assert_eq!(model.query.from.as_deref(), from, "{today:?} {period:?}");
        assert_eq!(model.query.to.as_deref(), to, "{today:?} {period:?}");
        assert_eq!(Period::from_code(period.code()), Some(period));
    }
}

#[test]
fn fields_make_the_request() {
    let mut model = OverviewModel::new(MARCH);
    assert_eq!(model.path(), "/api/overview?from=2026-08-01&to=2027-07-31");
    assert!(model.set_field("school", " Ærø Skole "));
    assert!(!model.set_field("school", "Ærø Skole"), "unchanged");
    assert!(model.set_field("grade", "7"));
    assert!(model.set_field("set", "7-klasse-alkohol"));
    assert_eq!(
        model.path(),
        "/api/overview?from=2026-08-01&to=2027-07-31&school=%C3%86r%C3%B8%20Skole&grade=7&set=7-klasse-alkohol"
    );
    // A half-typed date is not a query; an empty one is no limit.
    assert!(!model.set_field("from", "2026-0"));
    assert_eq!(model.query.from.as_deref(), Some("2026-08-01"));
    assert!(model.set_field("from", ""));
    assert!(model.set_field("grade", ""));
    assert!(!model.set_field("pupil", "x"), "no such field");
    assert_eq!(
        model.path(),
        "/api/overview?to=2027-07-31&school=%C3%86r%C3%B8%20Skole&set=7-klasse-alkohol"
    );
    assert_eq!(encode("a&b=c"), "a%26b%3Dc");
}

#[test]
fn the_period_report_is_asked_for_the_same_query() {
    let mut model = OverviewModel::new(MARCH);
    model.set_field("school", "Ærø Skole");
    assert_eq!(
        model.report_request(Language::Da),
        (
            "/api/overview/report.html?from=2026-08-01&to=2027-07-31&school=%C3%86r%C3%B8%20Skole&lang=da"
                .to_string(),
            "periodeopgoerelse-2026-08-01-2027-07-31.html".to_string()
        )
    );
    model.choose_period(Period::All, MARCH);
    model.set_field("school", "");
    assert_eq!(
        model.report_request(Language::En),
        (
            "/api/overview/report.html?lang=en".to_string(),
            "period-report-all-sessions.html".to_string()
        )
    );
    assert_eq!(model.report, ReportStatus::Idle);
}

fn overview(query: OverviewQuery) -> Overview {
    Overview {
        query,
        min_answers: 5,
        choices: OverviewChoices {
            schools: vec!["Nordskolen".into()],
            grades: vec!["7".into()],
            sets: vec![SetChoice {
                id: "s".into(),
                title: "S".into(),
            }],
        },
        total: Reach::default(),
        by_month: vec![Reach {
            key: "2027-03".into(),
            sessions: 2,
            classes: 2,
            pupils: 13,
            parent_sessions: 1,
            parents: 12,
            answers: 52,
        }],
        by_school: vec![Reach {
            key: String::new(),
            sessions: 1,
            ..Reach::default()
        }],
        rehearsals: 0,
        pairs: Vec::new(),
        follow_ups: Default::default(),
        by_origin: Vec::new(),
    }
}

#[test]
fn an_answer_for_an_older_query_is_dropped() {
    let mut model = OverviewModel::new(MARCH);
    let first = model.query.clone();
    model.requested();
    model.set_field("school", "Nordskolen");
    model.requested();
    assert!(!model.loaded(Some(overview(first)), &OverviewQuery::default()));
    assert!(model.loading && model.data.is_none());
    let asked = model.query.clone();
    assert!(model.loaded(Some(overview(asked.clone())), &asked));
    assert!(!model.loading && !model.failed && model.data.is_some());
    // A failed request keeps what was shown and says so.
    model.requested();
    assert!(model.loaded(None, &asked));
    assert!(model.failed && model.data.is_some());
}

#[test]
fn reach_rows_are_named_by_month_and_school() {
    let data = overview(OverviewQuery::default());
    let (months, schools) = reach_tables(&data, Language::Da);
    assert_eq!(months[0], ["marts 2027", "2", "2", "13", "1", "12", "52"]);
    assert_eq!(schools[0][0], "Uden skole");
    let (months, _) = reach_tables(&data, Language::En);
    assert_eq!(months[0][0], "March 2027");
    assert_eq!(
        period_text(&OverviewModel::new(MARCH).query, Language::Da),
        "01.08.2026 – 31.07.2027"
    );
    assert_eq!(
        period_text(&OverviewQuery::default(), Language::En),
        "all sessions"
    );
    // Nothing imported: no rows per origin.
    assert!(origin_rows(&data, Language::Da).is_empty());
}

#[test]
fn reach_rows_per_origin_start_with_this_computer() {
    let mut data = overview(OverviewQuery::default());
    data.by_origin = vec![
        Reach {
            key: String::new(),
            sessions: 1,
            classes: 1,
            pupils: 5,
            parent_sessions: 0,
            parents: 0,
            answers: 10,
        },
        Reach {
            key: "Anna, SSP Nord".into(),
            sessions: 4,
            classes: 3,
            pupils: 20,
            parent_sessions: 1,
            parents: 12,
            answers: 64,
        },
    ];
    assert_eq!(
        origin_rows(&data, Language::Da),
        [
            ["Denne computer", "1", "1", "5", "0", "0", "10"],
            ["Anna, SSP Nord", "4", "3", "20", "1", "12", "64"],
        ]
    );
    assert_eq!(origin_rows(&data, Language::En)[0][0], "This computer");
    assert_eq!(origin_rows(&data, Language::En)[1][0], "Anna, SSP Nord");
}

fn drunk_pair() -> OverviewPair {
    OverviewPair {
        set_id: "elever-7".into(),
        set_title: "7. klasse: alkohol".into(),
        question: "Har du været fuld?".into(),
        perceived: "Hvor mange procent tror du har været fulde?".into(),
        perceived_id: "drunk-guess".into(),
        kind: PairKind::Percent,
        unit: None,
        options: vec!["Ja".into()],
        scale: Vec::new(),
        classes: vec![
            ClassName {
                name: "7.a, Nordskolen".into(),
                date: "2027-03-02".into(),
                origin: None,
            },
            ClassName {
                name: "7.b, Nordskolen".into(),
                date: "2027-03-15".into(),
                origin: None,
            },
        ],
        left_out: vec![
            LeftOut {
                name: "7.d, Vestskolen".into(),
                date: "2027-01-15".into(),
                reason: LeftOutReason::Changed,
                origin: None,
            },
            LeftOut {
                name: "KMXPAT".into(),
                date: "2027-02-10".into(),
                reason: LeftOutReason::TooFew,
                origin: None,
            },
            LeftOut {
                name: "7.c, Sydskolen".into(),
                date: "2027-04-01".into(),
                reason: LeftOutReason::TooFew,
                origin: None,
            },
        ],
        pooled: Some(Pooled {
            actual: 500.0 / 19.0,
            actual_answers: 19,
            guessed: 865.0 / 19.0,
            guessed_answers: 19,
            gap: 365.0 / 19.0,
            pattern: Some(PatternName::Overdrivelse),
        }),
        gaps: Some(Spread {
            min: 1.0,
            median: 17.5,
            max: 110.0 / 3.0,
        }),
        patterns: vec![
            PatternCount {
                pattern: PatternName::Overdrivelse,
                classes: 1,
            },
            PatternCount {
                pattern: PatternName::Overensstemmelse,
                classes: 2,
            },
        ],
        national: vec![NationalFigure {
            value: 40.0,
            unit: "%".into(),
            measures: "har været fulde inden for de seneste 30 dage".into(),
            population: "elever i 9. klasse".into(),
            year: 2019,
            source: "ESPAD 2019, Danmark; Ritzau".into(),
        }],
    }
}

#[test]
fn a_pair_is_written_with_its_figures_spread_patterns_and_left_out_classes() {
    let view = pair_view(&drunk_pair(), 5, Language::Da);
    assert_eq!(view.question, "Har du været fuld?");
    assert_eq!(
        view.perceived,
        "Gæt: «Hvor mange procent tror du har været fulde?»"
    );
    assert_eq!(
        view.classes,
        "2 klasser: 7.a, Nordskolen (02.03.2027); 7.b, Nordskolen (15.03.2027)"
    );
    assert_eq!(
        view.figures,
        vec![
            (
                "Faktisk (andel, der svarede «Ja»)".to_string(),
                "26,3 % (19 svar)".to_string()
            ),
            (
                "Gæt (gennemsnit)".to_string(),
                "45,5 % (19 gæt)".to_string()
            ),
            (
                "Landstal: elever i 9. klasse, 2019".to_string(),
                "40 % — har været fulde inden for de seneste 30 dage (ESPAD 2019, Danmark; Ritzau)"
                    .to_string()
            ),
        ]
    );
    assert_eq!(
        view.verdict,
        "Social overdrivelse · forskel: +19,2 procentpoint"
    );
    assert_eq!(
        view.spread.as_deref(),
        Some("fra +1 til +36,7 procentpoint (median +17,5)")
    );
    assert_eq!(
        view.patterns.as_deref(),
        Some("Social overdrivelse: 1 klasse · Social overensstemmelse: 2 klasser")
    );
    assert_eq!(
        view.left_out,
        [
            "Ikke med, under 5 svar: KMXPAT (10.02.2027); 7.c, Sydskolen (01.04.2027)",
            "Ikke med, spørgsmålet var ændret: 7.d, Vestskolen (15.01.2027)",
        ]
    );
    let english = pair_view(&drunk_pair(), 5, Language::En);
    assert_eq!(
        english.verdict,
        "Overestimation · gap: +19.2 percentage points"
    );
    assert_eq!(english.figures[1].1, "45.5 % (19 guesses)");
}

#[test]
fn a_pool_below_the_minimum_shows_no_figure() {
    let mut pair = drunk_pair();
    pair.pooled = None;
    pair.classes.clear();
    pair.gaps = None;
    pair.patterns.clear();
    let view = pair_view(&pair, 5, Language::Da);
    assert_eq!(
        view.figures[0],
        (
            "Faktisk (andel, der svarede «Ja»)".to_string(),
            "for få svar (under 5)".to_string()
        )
    );
    // No guesses figure either; the national figure stays.
    assert_eq!(view.figures.len(), 2);
    assert!(view.figures[1].0.starts_with("Landstal"));
    assert_eq!(
        view.verdict,
        "Intet samlet tal: ingen klasse havde svar nok."
    );
    assert_eq!(view.classes, "Ingen klasser med svar nok");
    assert_eq!(view.spread, None);
    assert_eq!(view.patterns, None);
}

#[test]
fn number_and_scale_gaps_carry_their_units() {
    let mut age = drunk_pair();
    age.kind = PairKind::Number;
    age.unit = Some("år".into());
    age.options.clear();
    age.classes.truncate(1);
    age.pooled = Some(Pooled {
        actual: 14.4,
        actual_answers: 5,
        guessed: 12.8,
        guessed_answers: 5,
        gap: 12.8 - 14.4,
        pattern: None,
    });
    age.gaps = Some(Spread {
        min: -1.6,
        median: -1.6,
        max: -1.6,
    });
    let view = pair_view(&age, 5, Language::Da);
    assert_eq!(view.figures[0].1, "14,4 år (5 svar)");
    assert_eq!(view.verdict, "forskel: −1,6 år");
    // One class: its gap, not a spread.
    assert_eq!(view.spread.as_deref(), Some("−1,6 år"));
    let mut scale = age.clone();
    scale.kind = PairKind::Scale;
    scale.unit = None;
    assert_eq!(
        gap_text(&scale, 0.44, Language::Da),
        "+0,4 point på skalaen"
    );
    assert_eq!(gap_text(&scale, 0.04, Language::En), "0 scale points");
}
