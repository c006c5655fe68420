//! The period report from a fixed overview: a snapshot of the whole file, the exact
//! figures where a reader looks for them, escaping of names typed by people, English, and
//! nothing that identifies a session, a set or a device.

use pejling_wire::{
    ClassName, FollowUpCount, FollowUps, LeftOut, NationalFigure, OverviewChoices, OverviewQuery,
    PatternCount, Pooled, SetChoice, Spread,
};

use super::*;

fn class(name: &str, date: &str) -> ClassName {
    ClassName {
        name: name.into(),
        date: date.into(),
        origin: None,
    }
}

fn reach(key: &str, figures: [u32; 6]) -> Reach {
    let [sessions, classes, pupils, parent_sessions, parents, answers] = figures;
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

/// The school year 2026/27 at three schools (one of them named `<script>…`): a percent
/// pair pooled over two classes with one left out, a number pair of one class, and a pair
/// of another set where every class was below the minimum or had a changed question.
fn overview() -> Overview {
    Overview {
        query: OverviewQuery {
            from: Some("2026-08-01".into()),
            to: Some("2027-07-31".into()),
            school: None,
            grade: Some("7".into()),
            set: None,
        },
        min_answers: 5,
        choices: OverviewChoices {
            schools: vec![
                "Nordskolen".into(),
                "<script>alert(1)</script>".into(),
                "Sydskolen".into(),
            ],
            grades: vec!["7".into()],
            sets: vec![
                SetChoice {
                    id: "7-klasse-alkohol".into(),
                    title: "7. klasse: alkohol".into(),
                },
                SetChoice {
                    id: "trivsel-id".into(),
                    title: "Trivsel & fællesskab".into(),
                },
            ],
        },
        total: reach("", [4, 4, 20, 1, 3, 46]),
        by_month: vec![
            reach("2026-11", [1, 1, 6, 0, 0, 12]),
            reach("2027-03", [3, 3, 14, 1, 3, 34]),
        ],
        by_school: vec![
            reach("Nordskolen", [2, 2, 11, 1, 3, 28]),
            reach("<script>alert(1)</script>", [1, 1, 6, 0, 0, 12]),
            reach("", [1, 1, 3, 0, 0, 6]),
        ],
        rehearsals: 2,
        pairs: vec![
            OverviewPair {
                set_id: "7-klasse-alkohol".into(),
                set_title: "7. klasse: alkohol".into(),
                question: "Har du nogensinde drukket alkohol (mere end en tår)?".into(),
                perceived:
                    "Hvor mange procent af eleverne i din klasse tror du har drukket alkohol?"
                        .into(),
                perceived_id: "drunk-alcohol-perceived".into(),
                kind: PairKind::Percent,
                unit: None,
                options: vec!["Ja".into()],
                scale: Vec::new(),
                classes: vec![
                    class("7.a, Nordskolen", "2026-11-02"),
                    class("7.b, <script>alert(1)</script>", "2027-03-15"),
                ],
                left_out: vec![LeftOut {
                    name: "7.c".into(),
                    date: "2027-03-20".into(),
                    reason: LeftOutReason::TooFew,
                    origin: None,
                }],
                pooled: Some(Pooled {
                    actual: 300.0 / 11.0,
                    actual_answers: 11,
                    guessed: 40.0,
                    guessed_answers: 11,
                    gap: 40.0 - 300.0 / 11.0,
                    pattern: Some(PatternName::Uklar),
                }),
                gaps: Some(Spread {
                    min: 1.0,
                    median: 11.75,
                    max: 22.5,
                }),
                patterns: vec![
                    PatternCount {
                        pattern: PatternName::Flertalsmisforstaaelse,
                        classes: 1,
                    },
                    PatternCount {
                        pattern: PatternName::Overensstemmelse,
                        classes: 1,
                    },
                ],
                national: vec![NationalFigure {
                    value: 33.0,
                    unit: "%".into(),
                    measures: "omkring hver tredje har drukket alkohol".into(),
                    population: "13-årige".into(),
                    year: 2018,
                    source: "Skolebørnsundersøgelsen (HBSC) 2018; bt.dk 2019".into(),
                }],
            },
            OverviewPair {
                set_id: "7-klasse-alkohol".into(),
                set_title: "7. klasse: alkohol".into(),
                question: "Hvor gammel var du, første gang du drak alkohol?".into(),
                perceived: "Hvor gamle tror du, de andre var?".into(),
                perceived_id: "age-perceived".into(),
                kind: PairKind::Number,
                unit: Some("år".into()),
                options: Vec::new(),
                scale: Vec::new(),
                classes: vec![class("7.a, Nordskolen", "2026-11-02")],
                left_out: Vec::new(),
                pooled: Some(Pooled {
                    actual: 14.25,
                    actual_answers: 6,
                    guessed: 12.65,
                    guessed_answers: 6,
                    gap: 12.65 - 14.25,
                    pattern: None,
                }),
                gaps: Some(Spread {
                    min: 12.65 - 14.25,
                    median: 12.65 - 14.25,
                    max: 12.65 - 14.25,
                }),
                patterns: Vec::new(),
                national: Vec::new(),
            },
            OverviewPair {
                set_id: "trivsel-id".into(),
                set_title: "Trivsel & fællesskab".into(),
                question: "Hvordan har du det i din klasse?".into(),
                perceived: "Hvordan tror du, de fleste har det?".into(),
                perceived_id: "wellbeing-perceived".into(),
                kind: PairKind::Scale,
                unit: None,
                options: Vec::new(),
                scale: vec![
                    "Slet ikke godt".into(),
                    "Ikke så godt".into(),
                    "Godt".into(),
                    "Rigtig godt".into(),
                ],
                classes: vec![class("5.b", "2027-03-21")],
                left_out: Vec::new(),
                pooled: Some(Pooled {
                    actual: 3.2,
                    actual_answers: 20,
                    guessed: 2.8,
                    guessed_answers: 19,
                    gap: 2.8 - 3.2,
                    pattern: Some(PatternName::Overensstemmelse),
                }),
                gaps: Some(Spread {
                    min: 2.8 - 3.2,
                    median: 2.8 - 3.2,
                    max: 2.8 - 3.2,
                }),
                patterns: vec![PatternCount {
                    pattern: PatternName::Overensstemmelse,
                    classes: 1,
                }],
                national: Vec::new(),
            },
            OverviewPair {
                set_id: "trivsel-id".into(),
                set_title: "Trivsel & fællesskab".into(),
                question: "Er det okay at ryge til fester?".into(),
                perceived: "Hvad tror du, de fleste i klassen mener?".into(),
                perceived_id: "smoke-ok-perceived".into(),
                kind: PairKind::Scale,
                unit: None,
                options: Vec::new(),
                scale: vec!["Slet ikke".into(), "Lidt".into(), "Helt".into()],
                classes: Vec::new(),
                left_out: vec![
                    LeftOut {
                        name: "8.x, Sydskolen".into(),
                        date: "2027-03-21".into(),
                        reason: LeftOutReason::TooFew,
                        origin: None,
                    },
                    LeftOut {
                        name: "8.y, Sydskolen".into(),
                        date: "2027-03-22".into(),
                        reason: LeftOutReason::Changed,
                        origin: None,
                    },
                ],
                pooled: None,
                gaps: None,
                patterns: Vec::new(),
                national: Vec::new(),
            },
        ],
        // Three follow-ups: two classes asked the drinking pair again (one shrank, one
        // no clear change), one the smoking pair with too few answers.
        follow_ups: FollowUps {
            classes: 3,
            pairs: vec![
                FollowUpCount {
                    set_title: "7. klasse: alkohol".into(),
                    question: "Har du nogensinde drukket alkohol (mere end en tår)?".into(),
                    shrank: 1,
                    grew: 0,
                    no_clear_change: 1,
                    none_before: 0,
                    too_few: 0,
                },
                FollowUpCount {
                    set_title: "Trivsel & fællesskab".into(),
                    question: "Ryger du?".into(),
                    shrank: 0,
                    grew: 0,
                    no_clear_change: 0,
                    none_before: 0,
                    too_few: 1,
                },
            ],
        },
        by_origin: Vec::new(),
    }
}

fn made() -> jiff::Zoned {
    // 14:02 in Copenhagen on 15 March 2027 (winter time, +1).
    jiff::Timestamp::from_second(1_805_115_720)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap())
}

fn html(overview: &Overview, lang: Language) -> String {
    PeriodReport {
        overview,
        lang,
        made: made(),
    }
    .html()
}

/// The text of the first element after `marker`, up to `end`.
fn between<'a>(html: &'a str, marker: &str, end: &str) -> &'a str {
    html.split_once(marker)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(inside, _)| inside)
        .unwrap_or_else(|| panic!("no {marker} … {end} in {html}"))
}

#[test]
fn the_period_report_in_danish() {
    let overview = overview();
    let html = html(&overview, Language::Da);

    // The title block: period, filters, when (local time) and which version.
    assert!(
        html.contains("<h1>Social pejling — opgørelse for perioden 01.08.2026–31.07.2027</h1>")
    );
    let header = between(&html, "<header>", "</header>");
    for row in [
        "<dt>Periode</dt><dd>01.08.2026–31.07.2027</dd>",
        "<dt>Skole</dt><dd>alle skoler</dd>",
        "<dt>Klassetrin</dt><dd>7</dd>",
        "<dt>Spørgesæt</dt><dd>alle spørgesæt</dd>",
        "<dt>Lavet</dt><dd>15.03.2027 kl. 14:02 (CET)</dd>",
        concat!(
            "<dt>Lavet med</dt><dd>pejling ",
            env!("CARGO_PKG_VERSION"),
            "</dd>"
        ),
    ] {
        assert!(header.contains(row), "{row} in {header}");
    }

    // Reach: the key figures, per month and per school with their totals.
    let key_figures = between(&html, "<dl class=\"key-figures\">", "</dl>");
    for figure in [
        "<dt>Elevsessioner</dt><dd>4</dd>",
        "<dt>Klasser</dt><dd>4</dd>",
        "<dt>Elever</dt><dd>20</dd>",
        "<dt>Forældremøder</dt><dd>1</dd>",
        "<dt>Forældre</dt><dd>3</dd>",
        "<dt>Svar</dt><dd>46</dd>",
    ] {
        assert!(key_figures.contains(figure), "{figure} in {key_figures}");
    }
    let by_month = between(&html, "<caption>Pr. måned</caption>", "</table>");
    for row in [
        "<th scope=\"row\">november 2026</th><td>1</td><td>1</td><td>6</td><td>0</td><td>0</td><td>12</td>",
        "<th scope=\"row\">marts 2027</th><td>3</td><td>3</td><td>14</td><td>1</td><td>3</td><td>34</td>",
        "<tfoot><tr><th scope=\"row\">I alt</th><td>4</td><td>4</td><td>20</td><td>1</td><td>3</td><td>46</td>",
    ] {
        assert!(by_month.contains(row), "{row} in {by_month}");
    }
    let by_school = between(&html, "<caption>Pr. skole</caption>", "</table>");
    for row in [
        "<th scope=\"row\">Nordskolen</th><td>2</td><td>2</td><td>11</td><td>1</td><td>3</td><td>28</td>",
        "<th scope=\"row\">Uden skole</th><td>1</td><td>1</td><td>3</td>",
    ] {
        assert!(by_school.contains(row), "{row} in {by_school}");
    }
    assert!(html.contains("Øvelser i perioden, som ikke er talt med: 2."));

    // The summary: one row per pair, grouped by set.
    let summary = between(&html, "<table class=\"pair-summary\">", "</table>");
    for cell in [
        "<th colspan=\"6\" scope=\"colgroup\">7. klasse: alkohol</th>",
        "<th scope=\"row\">Har du nogensinde drukket alkohol (mere end en tår)?<br><span class=\"meta\">2 klasser</span></th><td>27,3 %</td><td>40 %</td><td>+12,7 procentpoint</td><td>33 % (13-årige, 2018)</td><td class=\"pattern\">Intet tydeligt mønster</td>",
        "<span class=\"meta\">1 klasse</span></th><td>14,3 år</td><td>12,7 år</td><td>−1,6 år</td><td>–</td><td class=\"pattern\">–</td>",
        "<th colspan=\"6\" scope=\"colgroup\">Trivsel &amp; fællesskab</th>",
        "<td>3,2 af 4</td><td>2,8 af 4</td><td>−0,4 point på skalaen</td><td>–</td><td class=\"pattern\">Social overensstemmelse</td>",
        "<span class=\"meta\">0 klasser</span></th><td colspan=\"3\">for få svar (under 5)</td>",
    ] {
        assert!(summary.contains(cell), "{cell} in {summary}");
    }

    // Each pair's table.
    let drunk = between(
        &html,
        "<h4>Har du nogensinde drukket alkohol (mere end en tår)?</h4>",
        "</section>",
    );
    for row in [
        "<p class=\"meta\">Gæt: «Hvor mange procent af eleverne i din klasse tror du har drukket alkohol?»</p>",
        "<th scope=\"row\">Faktisk (andel, der svarede «Ja»)</th><td>27,3 % (11 svar)</td>",
        "<th scope=\"row\">Gæt (gennemsnit)</th><td>40 % (11 gæt)</td>",
        "<th scope=\"row\">Forskel (gæt − faktisk)</th><td>+12,7 procentpoint</td>",
        "<th scope=\"row\">Alle klasser samlet</th><td><strong>Intet tydeligt mønster</strong></td>",
        "<th scope=\"row\">Landstal: 13-årige, 2018</th><td>33 % — omkring hver tredje har drukket alkohol.<br><span class=\"source\">Kilde: Skolebørnsundersøgelsen (HBSC) 2018; bt.dk 2019</span></td>",
        "<th scope=\"row\">Klassernes forskel</th><td>fra +1 til +22,5 procentpoint (median +11,8)</td>",
        "<th scope=\"row\">Klassernes mønster</th><td>Flertalsmisforståelse: 1 klasse · Social overensstemmelse: 1 klasse</td>",
        "<th scope=\"row\">Klasser med</th><td>2 klasser: 7.a, Nordskolen (02.11.2026); 7.b, &lt;script&gt;alert(1)&lt;/script&gt; (15.03.2027)</td>",
        "<th scope=\"row\">Ikke med, under 5 svar</th><td>7.c (20.03.2027)</td>",
    ] {
        assert!(drunk.contains(row), "{row} in {drunk}");
    }
    let age = between(
        &html,
        "<h4>Hvor gammel var du, første gang du drak alkohol?</h4>",
        "</section>",
    );
    for row in [
        "<th scope=\"row\">Faktisk (gennemsnit)</th><td>14,3 år (6 svar)</td>",
        "<th scope=\"row\">Forskel (gæt − faktisk)</th><td>−1,6 år</td>",
        "<th scope=\"row\">Landstal</th><td>Intet landstal til dette spørgsmål.</td>",
        "<th scope=\"row\">Klassernes forskel</th><td>−1,6 år</td>",
    ] {
        assert!(age.contains(row), "{row} in {age}");
    }
    assert!(
        !age.contains("Alle klasser samlet"),
        "a number pair names no pattern"
    );
    let wellbeing = between(
        &html,
        "<h4>Hvordan har du det i din klasse?</h4>",
        "</section>",
    );
    for row in [
        "<th scope=\"row\">Faktisk (gennemsnit på skalaen 1–4: 1 = «Slet ikke godt», 4 = «Rigtig godt»)</th><td>3,2 af 4 (20 svar)</td>",
        "<th scope=\"row\">Gæt (gennemsnit)</th><td>2,8 af 4 (19 gæt)</td>",
        "<th scope=\"row\">Forskel (gæt − faktisk)</th><td>−0,4 point på skalaen</td>",
        "<td><strong>Social overensstemmelse</strong></td>",
    ] {
        assert!(wellbeing.contains(row), "{row} in {wellbeing}");
    }
    let smoke = between(
        &html,
        "<h4>Er det okay at ryge til fester?</h4>",
        "</section>",
    );
    for row in [
        "<th scope=\"row\">Faktisk (gennemsnit på skalaen 1–3: 1 = «Slet ikke», 3 = «Helt»)</th><td>for få svar (under 5)</td>",
        "<td><strong>Intet samlet tal: ingen klasse havde svar nok.</strong></td>",
        "<th scope=\"row\">Klasser med</th><td>Ingen klasser med svar nok</td>",
        "<th scope=\"row\">Ikke med, under 5 svar</th><td>8.x, Sydskolen (21.03.2027)</td>",
        "<th scope=\"row\">Ikke med, spørgsmålet var ændret</th><td>8.y, Sydskolen (22.03.2027)</td>",
    ] {
        assert!(smoke.contains(row), "{row} in {smoke}");
    }
    assert!(
        !smoke.contains("Klassernes forskel"),
        "no class pooled: no spread"
    );

    // Names typed by people are text, never markup.
    assert!(!html.contains("<script"), "a script tag got through");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // No ids of sessions, sets or questions; the report needs nothing from outside.
    for id in [
        "7-klasse-alkohol",
        "trivsel-id",
        "drunk-alcohol-perceived",
        "age-perceived",
        "wellbeing-perceived",
    ] {
        assert!(!html.contains(id), "{id} in the report");
    }
    for external in ["<link", "<img", "src=", "http://", "https://"] {
        assert!(!html.contains(external), "{external} in the report");
    }
    // The follow-ups: how many classes, and per pair what changed.
    let follow_ups = between(&html, "<section class=\"follow-ups\">", "</section>");
    for text in [
        "<h2>Opfølgninger</h2>",
        "<p class=\"method\">3 klasser blev fulgt op i perioden: ",
        "<caption>Antal klasser, efter hvad der skete med misforståelsen</caption>",
        "<th scope=\"col\">Blev mindre</th><th scope=\"col\">Blev større</th><th scope=\"col\">Ingen tydelig ændring</th><th scope=\"col\">Gættede tæt på før</th><th scope=\"col\">For få svar</th>",
        "<th colspan=\"6\" scope=\"colgroup\">7. klasse: alkohol</th>",
        "<th scope=\"row\">Har du nogensinde drukket alkohol (mere end en tår)?</th><td>1</td><td>0</td><td>1</td><td>0</td><td>0</td>",
        "<th colspan=\"6\" scope=\"colgroup\">Trivsel &amp; fællesskab</th>",
        "<th scope=\"row\">Ryger du?</th><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td>",
    ] {
        assert!(follow_ups.contains(text), "{text} in {follow_ups}");
    }
    assert!(
        html.find("<table class=\"pair-summary\">") < html.find("<section class=\"follow-ups\">")
            && html.find("<section class=\"follow-ups\">")
                < html.find("<section class=\"details\">"),
        "the follow-ups after the summary, before the questions one by one"
    );
    insta::assert_snapshot!("period_html", html);
}

#[test]
fn the_period_report_in_english() {
    let overview = overview();
    let html = html(&overview, Language::En);
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"));
    assert!(
        html.contains(
            "<h1>Social norms sessions — account for the period 2026-08-01–2027-07-31</h1>"
        )
    );
    for text in [
        "<dt>Made</dt><dd>2027-03-15 14:02 (CET)</dd>",
        "<th scope=\"row\">March 2027</th>",
        "<th scope=\"row\">Actual (share answering «Ja»)</th><td>27.3 % (11 answers)</td>",
        "<td>+12.7 percentage points</td>",
        "<strong>No clear pattern</strong>",
        "from +1 to +22.5 percentage points (median +11.8)",
        "False majority: 1 class · Agreement: 1 class",
        "<th scope=\"row\">Left out, under 5 answers</th><td>7.c (2027-03-20)</td>",
        "Rehearsals in the period, not counted: 2.",
        "<p class=\"method\">Followed up in the period: 3 classes, each a session",
        "<th scope=\"col\">Shrank</th>",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    for danish in ["Faktisk", "procentpoint", "Landstal", "marts"] {
        assert!(!html.contains(danish), "{danish} in the English report");
    }
}

#[test]
fn the_filters_are_named_as_the_sessions_spell_them() {
    let mut overview = overview();
    overview.query = OverviewQuery {
        from: None,
        to: None,
        school: Some("nordSKOLEN".into()),
        grade: None,
        set: Some("trivsel-id".into()),
    };
    let html = html(&overview, Language::Da);
    assert!(html.contains("<h1>Social pejling — opgørelse over alle gemte sessioner</h1>"));
    let header = between(&html, "<header>", "</header>");
    for row in [
        "<dt>Periode</dt><dd>alle gemte sessioner</dd>",
        "<dt>Skole</dt><dd>Nordskolen</dd>",
        "<dt>Klassetrin</dt><dd>alle klassetrin</dd>",
        "<dt>Spørgesæt</dt><dd>Trivsel &amp; fællesskab</dd>",
    ] {
        assert!(header.contains(row), "{row} in {header}");
    }
    overview.query.from = Some("2026-08-01".into());
    let html = super::tests::html(&overview, Language::Da);
    assert!(html.contains("<h1>Social pejling — opgørelse for perioden fra 01.08.2026</h1>"));
}

#[test]
fn an_empty_period_says_so() {
    let empty = Overview {
        query: OverviewQuery {
            from: Some("2000-01-01".into()),
            to: Some("2000-12-31".into()),
            ..OverviewQuery::default()
        },
        min_answers: 5,
        choices: OverviewChoices::default(),
        total: Reach::default(),
        by_month: Vec::new(),
        by_school: Vec::new(),
        rehearsals: 0,
        pairs: Vec::new(),
        follow_ups: FollowUps::default(),
        by_origin: Vec::new(),
    };
    let html = html(&empty, Language::Da);
    assert!(html.contains("<p class=\"nothing\">Ingen sessioner i perioden.</p>"));
    assert!(html.contains(
        "<p class=\"nothing\">Ingen klasser har svaret på sammenlignende spørgsmål i perioden.</p>"
    ));
    assert!(html.contains(
        "<h2>Opfølgninger</h2><p class=\"nothing\">Ingen klasser blev fulgt op i perioden.</p>"
    ));
    assert!(!html.contains("<table"), "no empty tables");
}

#[test]
fn sessions_imported_from_other_computers_are_counted_by_origin_and_marked() {
    let mut overview = overview();
    // Of the year's 24 pupil sessions, 3 came from Anna's laptop, one of them 7.c.
    overview.by_origin = vec![
        reach("", [21, 15, 400, 3, 50, 4000]),
        reach("Anna, SSP Nord", [3, 3, 61, 0, 0, 500]),
    ];
    let anna = Some("Anna, SSP Nord".to_string());
    overview.pairs[0].left_out[0].origin = anna.clone();
    overview.pairs[0].classes[1].origin = anna;
    let html = html(&overview, Language::Da);
    let table = between(&html, "<caption>Pr. afsender</caption>", "</table>");
    for row in [
        "<th scope=\"col\">Afsender</th>",
        "<th scope=\"row\">Denne computer</th><td>21</td><td>15</td><td>400</td>",
        "<th scope=\"row\">Anna, SSP Nord</th><td>3</td><td>3</td><td>61</td>",
    ] {
        assert!(table.contains(row), "{row} in {table}");
    }
    assert!(html.contains("En session indlæst to gange tælles én gang."));
    assert!(html.contains(
        "er ikke talt med. Med er også sessioner fra andre computere, indlæst fra delingsfiler"
    ));
    assert!(
        html.contains("7.c (20.03.2027 · fra Anna, SSP Nord)"),
        "{html}"
    );
    let english = self::html(&overview, Language::En);
    assert!(english.contains("<caption>By origin</caption>"));
    assert!(english.contains("<th scope=\"row\">This computer</th>"));
    assert!(english.contains("7.c (2027-03-20 · from Anna, SSP Nord)"));
    // Without imports, no such table.
    assert!(!self::html(&self::overview(), Language::Da).contains("Pr. afsender"));
}
