//! Report tests: a snapshot of the HTML and CSV of a small class, escaping of hostile
//! text from a question set, and that nothing individual ends up in an export.

use pejling_wire::{Answer, QuestionStatus};

use super::*;
use pejling_core::engine::{ParticipantKey, Progress, SessionMeta};
use pejling_core::questions;

const SET: &str = r#"
format = 1
id = "rapport-test"
title = "7. klasse: alkohol"
language = "da"
audience = "pupils"
grades = ["7"]
facilitator_note = "Spørg: \"Hvorfor tror vi noget om hinanden, som ikke passer?\""

[[questions]]
id = "own"
kind = "choice"
text = "Har du nogensinde drukket alkohol?"
options = ["Ja", "Nej"]
abstain = ["Vil ikke svare"]
sensitive = true

[[questions]]
id = "guess"
kind = "percent"
text = "Hvor mange procent af klassen tror du har drukket alkohol?"
abstain = ["Ved ikke"]
perceives = { question = "own", options = [0] }
references = ["hbsc-2018-13-drukket-alkohol"]

[[questions]]
id = "age"
kind = "number"
text = "Hvor gammel skal man være?"
min = 10
max = 25
unit = "år"
"#;

fn set(text: &str) -> QuestionSet {
    let files = vec![
        crate::library::builtin_files()
            .into_iter()
            .find(|f| f.origin.ends_with("references.toml"))
            .unwrap(),
        crate::library::SourceFile {
            origin: "test.toml".into(),
            text: text.into(),
        },
    ];
    let (library, reports) = crate::library::assemble(files, Vec::new());
    assert!(reports.is_empty(), "{reports:?}");
    let id = questions::parse(text).unwrap().set.id;
    library.get(&id).unwrap().set.as_ref().clone()
}

fn key(n: usize) -> ParticipantKey {
    ParticipantKey::of_token(&format!("token-{n}"))
}

/// 20 pupils: 6 "Ja", 12 "Nej", 2 "Vil ikke svare"; 10 estimates and 1 "Ved ikke"; only
/// 3 ages (below the minimum).
fn stored(text: &str) -> SessionRecord {
    let mut answers = Vec::new();
    for n in 0..20 {
        let own = match n {
            0..6 => Answer::Choice { option: 0 },
            6..18 => Answer::Choice { option: 1 },
            _ => Answer::Abstain { option: 0 },
        };
        answers.push(("own".to_string(), key(n), own));
    }
    for (n, value) in [10, 20, 30, 30, 40, 50, 60, 60, 70, 80]
        .into_iter()
        .enumerate()
    {
        answers.push(("guess".to_string(), key(n), Answer::Percent { value }));
    }
    answers.push(("guess".to_string(), key(10), Answer::Abstain { option: 0 }));
    for (n, value) in [14, 16, 18].into_iter().enumerate() {
        answers.push(("age".to_string(), key(n), Answer::Number { value }));
    }
    SessionRecord {
        meta: SessionMeta {
            id: "s-0001".into(),
            code: "ACDEF3".into(),
            label: None,
            description: pejling_wire::Description {
                school: Some("Nordskolen".into()),
                grade: Some("7".into()),
                class: Some("7.b".into()),
                term: Some("forår 2027".into()),
            },
            created_at: 1_795_000_000,
            screen_token: "secret-screen-token".into(),
            rehearsal: false,
            follow_up_of: None,
        },
        set: set(text),
        progress: Progress {
            current: Some(2),
            statuses: vec![
                QuestionStatus::Revealed,
                QuestionStatus::Closed,
                QuestionStatus::Closed,
            ],
            ended: true,
            steps: vec![1, 0, 0],
            reopened: Vec::new(),
            shown: Vec::new(),
        },
        participants: (0..20).map(key).collect(),
        answers,
        links: Vec::new(),
        clickers: Vec::new(),
        thresholds: None,
    }
}

#[test]
fn html_and_csv_of_a_class() {
    let report = SessionReport::new_in(
        stored(SET),
        Vec::new(),
        Thresholds::default(),
        &jiff::tz::TimeZone::UTC,
    );
    assert_eq!(report.participants, 20);
    assert_eq!(report.file_stem(), "pejling-2026-11-18-ACDEF3");
    let Shown::TooFew { answers, needed } = report.questions[2].result else {
        panic!("three ages are too few")
    };
    assert_eq!((answers, needed), (3, 5));

    let csv = report.csv(CsvStyle::International);
    insta::assert_snapshot!("class_csv", csv);
    let html = report.html();
    assert!(
        html.contains("33,3 % (6/18)"),
        "the actual share as a count"
    );
    // Issue 11: the pattern follows the guesses' scatter, in the same words as the screen.
    assert!(html.contains("Intet tydeligt mønster"));
    // And how the guesses scattered, as the projector showed it.
    assert!(html.contains("Sådan fordelte gættene sig (som på skærmen)."));
    assert!(html.contains("Skolebørnsundersøgelsen (HBSC) 2018"));
    assert!(html.contains("for få svar (3 svar, min. 5)"));
    insta::assert_snapshot!("class_html", html);
}

/// The report opens with a summary of each pair (actual, guesses, national figure,
/// pattern) and shows no internal ids.
#[test]
fn the_report_opens_with_a_summary_and_shows_no_internal_ids() {
    let report = SessionReport::new_in(
        stored(SET),
        Vec::new(),
        Thresholds::default(),
        &jiff::tz::TimeZone::UTC,
    );
    let html = report.html();
    let summary = html
        .split_once("<section class=\"summary\">")
        .and_then(|(_, rest)| rest.split_once("</section>"))
        .map(|(summary, _)| summary)
        .expect("a summary section");
    for cell in [
        "Har du nogensinde drukket alkohol?",
        "<td>33,3 %</td>",
        "<td>45 %</td>",
        "<td>33 %</td>",
        "Intet tydeligt mønster",
    ] {
        assert!(summary.contains(cell), "{cell} in {summary}");
    }
    assert!(
        html.find("<section class=\"summary\">") < html.find("<section class=\"question\">"),
        "the summary comes first"
    );
    // Which class, where and when, on the first page.
    let header = html.split_once("</header>").expect("a header").0;
    assert!(
        !header.contains("<dt>Hold</dt>"),
        "no label: the class names it"
    );
    for row in [
        "<dt>Skole</dt><dd>Nordskolen</dd>",
        "<dt>Klasse</dt><dd>7.b</dd>",
        "<dt>Periode</dt><dd>forår 2027</dd>",
        "<dt>Klassetrin</dt><dd>7</dd>",
    ] {
        assert!(header.contains(row), "{row} in {header}");
    }
    assert!(!html.contains("s-0001"), "no session id");
    assert!(!html.contains("rapport-test"), "no set id");
}

/// The (width, height) of each SVG in the HTML, in order.
fn svg_sizes(html: &str) -> Vec<(u32, u32)> {
    html.split("<svg width=\"")
        .skip(1)
        .map(|rest| {
            let (width, rest) = rest.split_once("\" height=\"").unwrap();
            let (height, _) = rest.split_once('"').unwrap();
            (width.parse().unwrap(), height.parse().unwrap())
        })
        .collect()
}

/// Issue 17: the report's charts are sized to their content, under a heading that is not
/// said again in the chart, and print on A4 without a figure split across pages.
#[test]
fn the_report_sizes_each_chart_to_its_content_for_a4() {
    let report = |text: &str| {
        SessionReport::new_in(
            stored(text),
            Vec::new(),
            Thresholds::default(),
            &jiff::tz::TimeZone::UTC,
        )
        .html()
    };
    let html = report(SET);
    // The first question's chart, the pair's chart and its strip, the withheld ages.
    let sizes = svg_sizes(&html);
    assert_eq!(sizes.len(), 4, "{sizes:?}");
    let [two_options, pair, strip, withheld] = sizes[..] else {
        unreachable!()
    };
    for (width, height) in [two_options, pair, withheld] {
        assert_eq!(width, charts::FITTED_WIDTH);
        assert!(
            (charts::FITTED_MIN_HEIGHT..=charts::FITTED_MAX_HEIGHT).contains(&height),
            "{height}"
        );
    }
    // Two bars need a third of the projector's 16:9, not all of it.
    assert!(
        two_options.1 * 3 < charts::HEIGHT * 2,
        "two bars in a box of {two_options:?}"
    );
    assert!(
        two_options.1 < pair.1,
        "{sizes:?}: 2 rows and 3 rows with a source"
    );
    assert_eq!(
        withheld.1,
        charts::FITTED_MIN_HEIGHT,
        "one line: too few answers"
    );
    assert_eq!(strip, (charts::WIDTH, 420), "the strip, as on the screen");

    // The same class asked with twelve options: a higher chart than with two.
    let twelve = (1..=12)
        .map(|i| format!("\"Svar {i}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let twelve = svg_sizes(&report(&SET.replace(
        r#"options = ["Ja", "Nej"]"#,
        &format!("options = [{twelve}]"),
    )))[0];
    assert!(
        twelve.1 > two_options.1 * 2,
        "12 options {twelve:?}, 2 options {two_options:?}"
    );

    // The heading says the question; its chart does not say it again.
    let first = html
        .split_once("<section class=\"question\">")
        .and_then(|(_, rest)| rest.split_once("</figure>"))
        .map(|(first, _)| first)
        .unwrap();
    assert_eq!(
        first.matches("Har du nogensinde drukket alkohol?").count(),
        1,
        "{first}"
    );
    for rule in [
        "@page { size: A4 portrait;",
        "figure, .opening, section.question table, li { break-inside: avoid;",
    ] {
        assert!(html.contains(rule), "{rule}");
    }
}

/// The report gives the date and time in the time zone it is made for (the computer's),
/// as people write it; the CSV keeps UTC.
#[test]
fn the_report_says_when_in_local_time() {
    let copenhagen_winter = jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(1));
    let report = SessionReport::new_in(
        stored(SET),
        Vec::new(),
        Thresholds::default(),
        &copenhagen_winter,
    );
    assert!(
        report.html().contains("<dd>18.11.2026 kl. 12:06"),
        "11:06 UTC is 12:06 at +01:00"
    );
    assert!(
        report
            .csv(CsvStyle::Danish)
            .contains("2026-11-18 11:06 UTC")
    );
}

/// The CSV opens in Danish Excel by default (semicolons, decimal commas, a UTF-8
/// byte-order mark); the international style has the same columns and rows with commas
/// and points.
#[test]
fn the_csv_is_written_for_danish_excel_by_default() {
    let report = SessionReport::new_in(
        stored(SET),
        Vec::new(),
        Thresholds::default(),
        &jiff::tz::TimeZone::UTC,
    );
    assert_eq!(CsvStyle::default(), CsvStyle::Danish);
    let danish = report.csv(CsvStyle::Danish);
    let international = report.csv(CsvStyle::International);
    let danish = danish
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark first, so Excel reads æøå");
    assert!(!international.starts_with('\u{feff}'));
    let read = |text: &str, delimiter: u8| -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|record| record.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let danish = read(danish, b';');
    let international = read(&international, b',');
    assert_eq!(danish.len(), international.len(), "the same rows");
    assert_eq!(danish[0], international[0], "the same columns");
    assert_eq!(danish[0].len(), 14);
    assert_eq!(
        danish[0][2..7],
        ["label", "school", "grade", "class", "term"],
        "the session's label and description"
    );
    assert_eq!(
        danish[1][2..7],
        ["", "Nordskolen", "7", "7.b", "forår 2027"]
    );
    let mut decimals = 0;
    for (d, i) in danish.iter().zip(&international) {
        assert_eq!(d.len(), i.len());
        for (d, i) in d.iter().zip(i) {
            if i.parse::<f64>().is_ok() && i.contains('.') {
                assert_eq!(*d, i.replace('.', ","), "a decimal comma");
                decimals += 1;
            } else {
                assert_eq!(d, i);
            }
        }
    }
    assert!(
        decimals > 5,
        "the report has decimals to write ({decimals})"
    );
    assert!(
        danish.iter().any(|row| row[13] == "45,00"),
        "the mean guess, 45,00"
    );
}

#[test]
fn exports_hold_no_tokens_keys_or_individual_answers() {
    let report = SessionReport::new_in(
        stored(SET),
        Vec::new(),
        Thresholds::default(),
        &jiff::tz::TimeZone::UTC,
    );
    for text in [report.html(), report.csv(CsvStyle::International)] {
        assert!(!text.contains("secret-screen-token"));
        assert!(!text.contains("token-"));
        let key_hex: String = key(0).0.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!text.contains(&key_hex[..16]));
    }
    // The withheld ages are not in the CSV as values.
    let csv = report.csv(CsvStyle::International);
    let age_rows: Vec<&str> = csv.lines().filter(|l| l.contains(",age,")).collect();
    assert_eq!(age_rows.len(), 2, "{age_rows:?}");
    assert!(age_rows[0].ends_with("answered,,3"));
    assert!(age_rows[1].ends_with("withheld_too_few,,3<5"));
}

#[test]
fn hostile_text_is_escaped_everywhere_it_is_rendered() {
    let hostile = r#"<script>alert(\"x\")</script> & 'q' \"d\""#;
    let text = SET
        .replace("7. klasse: alkohol", hostile)
        .replace("Har du nogensinde drukket alkohol?", hostile)
        .replace(
            r#"options = ["Ja", "Nej"]"#,
            &format!(r#"options = ["{hostile}", "Nej"]"#),
        )
        .replace(
            r#"abstain = ["Ved ikke"]"#,
            &format!(r#"abstain = ["{hostile}"]"#),
        );
    let mut stored = stored(&text);
    stored.meta.label = Some(r#"<img src=x onerror=alert(1)> & "7.b""#.into());
    stored.meta.description.school = Some(r#"<b>Nord</b>skolen, "x""#.into());
    let report = SessionReport::new_in(
        stored,
        Vec::new(),
        Thresholds::default(),
        &jiff::tz::TimeZone::UTC,
    );
    let html = report.html();
    assert!(!html.contains("<script"), "a script tag got through");
    assert!(!html.contains("<img"), "an img tag got through");
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;7.b&quot;"));
    assert!(!html.contains("<b>"), "a b tag got through");
    assert!(html.contains("&lt;b&gt;Nord&lt;/b&gt;skolen, &quot;x&quot;"));
    // CSV quotes fields with commas and quotes as RFC 4180 says; reading it back gives
    // the text unchanged.
    let csv = report.csv(CsvStyle::International);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let labels: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[2].to_string())
        .collect();
    assert!(
        labels
            .iter()
            .all(|l| l == r#"<img src=x onerror=alert(1)> & "7.b""#)
    );
    let schools: Vec<String> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap()[3].to_string())
        .collect();
    assert!(schools.iter().all(|s| s == r#"<b>Nord</b>skolen, "x""#));
}

#[test]
fn png_export_writes_one_chart_per_question() {
    let report = SessionReport::new_in(
        stored(SET),
        Vec::new(),
        Thresholds::default(),
        &jiff::tz::TimeZone::UTC,
    );
    let dir = tempfile::tempdir().unwrap();
    let files = crate::export::write(&report, crate::export::Format::Png, dir.path()).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec![
            "pejling-2026-11-18-ACDEF3-01-own.png",
            "pejling-2026-11-18-ACDEF3-02-guess.png",
            "pejling-2026-11-18-ACDEF3-03-age.png",
        ]
    );
    for file in files {
        assert_eq!(&std::fs::read(file).unwrap()[..4], b"\x89PNG");
    }
}
