//! Snapshot tests of chart SVG (insta; review changes with `cargo insta review` or by
//! reading the `.snap` diff), escaping of hostile text, and the PNG export.

use pejling_wire::{Distribution, TallyResult};

use pejling_core::chart::*;
use pejling_core::questions::{Language, Perceives, Question, QuestionKind, Reference};
use pejling_core::results::{self, Comparison, Counts, PairResult, Shown, Thresholds};

use super::*;

fn reference() -> Reference {
    Reference {
        id: "hbsc-2018-13-drukket-alkohol".into(),
        value: 33.0,
        unit: "%".into(),
        measures: "omkring hver tredje har drukket alkohol".into(),
        population: "13-årige".into(),
        year: 2018,
        survey: "Skolebørnsundersøgelsen (HBSC) 2018".into(),
        reported_by: Some("bt.dk 2019".into()),
        url: None,
    }
}

fn question(id: &str, text: &str, kind: QuestionKind, abstain: &[&str]) -> Question {
    Question {
        id: id.into(),
        text: text.into(),
        kind,
        abstain: abstain.iter().map(|s| s.to_string()).collect(),
        sensitive: false,
        perceives: None,
        references: Vec::new(),
        note: None,
    }
}

fn percent_pair(
    own_text: &str,
    guess_text: &str,
    yes: u32,
    no: u32,
) -> (Question, Question, PairResult) {
    let own = question(
        "own",
        own_text,
        QuestionKind::Choice {
            options: vec!["Ja".into(), "Nej".into()],
        },
        &["Vil ikke svare"],
    );
    let mut guess = question("guess", guess_text, QuestionKind::Percent, &["Ved ikke"]);
    guess.perceives = Some(Perceives {
        set: None,
        question: "own".into(),
        options: vec![0],
    });
    guess.references = vec![reference()];
    let actual = TallyResult {
        abstained: vec![2],
        distribution: Distribution::Choice {
            counts: vec![yes, no],
        },
    };
    let mut counts = vec![0; 101];
    for v in [10, 20, 30, 30, 40, 50, 60, 60, 70, 80] {
        counts[v] += 1;
    }
    let perceived = TallyResult {
        abstained: vec![1],
        distribution: Distribution::Percent {
            counts,
            mean: None,
            median: None,
        },
    };
    let comparison = results::compare(
        &Counts {
            question: &own,
            result: &actual,
        },
        &Counts {
            question: &guess,
            result: &perceived,
        },
        &[0],
        &Thresholds::default(),
    );
    let pair = PairResult {
        actual_question: own.id.clone(),
        perceived_question: guess.id.clone(),
        comparison,
        references: guess.references.clone(),
        groups: Vec::new(),
    };
    (own, guess, pair)
}

#[test]
fn percent_pair_chart() {
    let (own, guess, pair) = percent_pair(
        "Har du nogensinde drukket alkohol?",
        "Hvor mange procent af eleverne i din klasse tror du har drukket alkohol?",
        6,
        14,
    );
    let chart = pair_chart(&own, &guess, &pair, Language::Da);
    assert_eq!(
        chart.subtitle.as_deref(),
        Some(
            "Intet tydeligt mønster: 6 af 10 gættede for højt, men det er ikke nok til at sige det sikkert."
        )
    );
    assert_eq!(chart.rows.len(), 3);
    assert_eq!(chart.rows[0].bars[0].value_text, "30 % (6 / 20)");
    assert_eq!(chart.rows[1].bars[0].value_text, "45 % (median 45 %)");
    assert_eq!(chart.rows[2].bars[0].value_text, "33 %");
    assert_eq!(
        chart.rows[2].caption.as_deref(),
        Some(
            "omkring hver tredje har drukket alkohol — Kilde: Skolebørnsundersøgelsen (HBSC) 2018; 13-årige, 2018 (bt.dk 2019)"
        )
    );
    insta::assert_snapshot!("percent_pair", svg(&chart));
    look_at(&chart, "percent_pair");
}

/// With `PEJLING_CHART_DIR` set, writes the chart as PNG there so a person can look at it.
fn look_at(chart: &Chart, name: &str) {
    if let Some(dir) = std::env::var_os("PEJLING_CHART_DIR") {
        png(
            chart,
            &std::path::Path::new(&dir).join(format!("{name}.png")),
        )
        .unwrap();
    }
}

#[test]
fn too_few_answers_are_said_not_drawn() {
    let (own, guess, pair) = percent_pair("Har du?", "Hvor mange?", 1, 2);
    let chart = pair_chart(&own, &guess, &pair, Language::Da);
    assert_eq!(chart.rows[0].bars[0].value, None);
    assert_eq!(
        chart.rows[0].bars[0].value_text,
        "for få svar (3 svar, min. 5)"
    );
    assert_eq!(chart.subtitle, None, "no finding without both sides");
    let svg = svg(&chart);
    assert!(svg.contains("for få svar (3 svar, min. 5)"));
}

#[test]
fn attitude_and_distribution_charts() {
    let points: Vec<String> = ["Slet ikke", "Ikke rigtig", "Nogenlunde", "Helt"]
        .map(String::from)
        .to_vec();
    let own = question(
        "ok",
        "Er det i orden for dig at drikke dig fuld til en fest?",
        QuestionKind::Scale {
            points: points.clone(),
        },
        &[],
    );
    let others = question(
        "ok-others",
        "Hvad tror du, de fleste andre synes?",
        QuestionKind::Scale { points },
        &[],
    );
    let a = TallyResult {
        abstained: vec![],
        distribution: Distribution::Scale {
            counts: vec![8, 6, 4, 2],
        },
    };
    let p = TallyResult {
        abstained: vec![],
        distribution: Distribution::Scale {
            counts: vec![2, 4, 6, 8],
        },
    };
    let comparison = results::compare(
        &Counts {
            question: &own,
            result: &a,
        },
        &Counts {
            question: &others,
            result: &p,
        },
        &[],
        &Thresholds::default(),
    );
    let pair = PairResult {
        actual_question: "ok".into(),
        perceived_question: "ok-others".into(),
        comparison,
        references: Vec::new(),
        groups: Vec::new(),
    };
    let chart = pair_chart(&own, &others, &pair, Language::Da);
    assert_eq!(
        chart.subtitle.as_deref(),
        Some(
            "Flertalsmisforståelse: De fleste troede, at flertallet svarer «Nogenlunde» eller «Helt» – men det gør kun 30 %."
        )
    );
    insta::assert_snapshot!("attitude_pair", svg(&chart));
    look_at(&chart, "attitude_pair");

    let chart = question_chart(&own, Shown::Yes(&a), Language::En);
    assert_eq!(chart.rows[0].bars[0].value_text, "40 % (8)");
    assert_eq!(chart.notes, vec!["20 answers".to_string()]);
    insta::assert_snapshot!("scale_distribution_en", svg(&chart));
    look_at(&chart, "scale_distribution_en");
}

#[test]
fn hostile_text_is_escaped_in_the_svg() {
    let hostile = r#"<script>alert("x")</script> & 'quotes' "double" </text><text>"#;
    let (mut own, mut guess, mut pair) = percent_pair(hostile, hostile, 6, 14);
    own.abstain = vec![hostile.to_string()];
    guess.abstain = vec![hostile.to_string()];
    pair.references[0].survey = hostile.to_string();
    pair.references[0].population = hostile.to_string();
    if let Comparison::Percent(c) = &mut pair.comparison {
        c.options = vec![hostile.to_string()];
    }
    let svg = svg(&pair_chart(&own, &guess, &pair, Language::Da));
    assert!(!svg.contains("<script"), "{svg}");
    assert!(!svg.contains("</text><text>"), "{svg}");
    assert!(svg.contains("&lt;script&gt;"), "{svg}");
    assert!(svg.contains("&amp;"), "{svg}");
    assert!(svg.contains("&quot;"), "{svg}");
    assert!(svg.contains("&apos;"), "{svg}");
    // Every tag in the document is one the backend writes.
    for tag in svg.split('<').skip(1) {
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '?')
            .collect();
        assert!(
            ["svg", "rect", "text", "polyline", "line", "?xml", "path"].contains(&name.as_str()),
            "unexpected tag {name:?}"
        );
    }
}

#[test]
fn png_export_is_a_png_of_the_chart_size() {
    let (own, guess, pair) = percent_pair("Har du?", "Hvor mange procent?", 6, 14);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.png");
    png(&pair_chart(&own, &guess, &pair, Language::Da), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height, big-endian, at bytes 16..24.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!(
        (width, height),
        natural_size(&pair_chart(&own, &guess, &pair, Language::Da))
    );
    assert!(height < HEIGHT, "three rows need less than 16:9 ({height})");
    assert!(bytes.len() > 5_000, "a chart with text, not a blank image");
}

/// The distribution chart of a choice question with `n` options, each chosen by some.
fn choice_chart(n: usize) -> Chart {
    let options: Vec<String> = (1..=n).map(|i| format!("Svar nummer {i}")).collect();
    let question = question(
        "q",
        "Hvad laver du oftest efter skole?",
        QuestionKind::Choice { options },
        &["Vil ikke svare"],
    );
    let result = TallyResult {
        abstained: vec![1],
        distribution: Distribution::Choice {
            counts: (0..n as u32).map(|i| 1 + i % 3).collect(),
        },
    };
    question_chart(&question, Shown::Yes(&result), Language::Da)
}

/// The `height` attribute of an SVG document.
fn svg_height(svg: &str) -> u32 {
    let tag = &svg[svg.find("<svg").unwrap()..];
    let start = tag.find(" height=\"").unwrap() + 9;
    tag[start..start + tag[start..].find('"').unwrap()]
        .parse()
        .unwrap()
}

/// How far down an SVG document anything is drawn: the lowest rectangle's bottom or text
/// line's baseline area (`y` plus its font size), the white background left out.
fn content_bottom(svg: &str) -> f64 {
    let attribute = |element: &str, name: &str| -> Option<f64> {
        let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
        element[start..start + element[start..].find('"')?]
            .parse()
            .ok()
    };
    svg.split('<')
        .filter_map(|element| {
            if element.starts_with("rect ") && !element.contains("fill=\"#FFFFFF\"") {
                Some(attribute(element, "y")? + attribute(element, "height")?)
            } else if element.starts_with("text ") {
                Some(attribute(element, "y")? + attribute(element, "font-size")?)
            } else {
                None
            }
        })
        .fold(0.0, f64::max)
}

/// Issue 17: a report's chart is as high as its content. Two options make a low chart,
/// twelve a higher one, within bounds; the drawing fills it (no half-empty box); the
/// projector's chart stays 16:9.
#[test]
fn fitted_charts_are_as_high_as_their_rows() {
    let heights: Vec<u32> = [1, 2, 4, 12, 20, 30]
        .iter()
        .map(|&n| natural_size(&choice_chart(n)).1)
        .collect();
    assert!(
        heights.windows(2).all(|pair| pair[0] <= pair[1]),
        "{heights:?}"
    );
    let [one, two, four, twelve, twenty, thirty] = heights[..] else {
        unreachable!()
    };
    assert!(
        two < four && four < twelve && twelve < twenty,
        "{heights:?}"
    );
    assert!(two < HEIGHT / 2, "two bars need well under 16:9 ({two})");
    assert!(
        twelve > HEIGHT,
        "twelve bars need more than 16:9 ({twelve})"
    );
    assert!(one < two, "{heights:?}");
    // A withheld result without a title (as under a report's heading) is one line: the
    // least height.
    let mut withheld = question_chart(
        &question("q", "Hvad?", QuestionKind::Percent, &[]),
        Shown::TooFew {
            answers: 3,
            needed: 5,
        },
        Language::Da,
    );
    withheld.title.clear();
    assert_eq!(natural_size(&withheld), (FITTED_WIDTH, FITTED_MIN_HEIGHT));
    assert_eq!(
        thirty, FITTED_MAX_HEIGHT,
        "thirty rows are drawn closer together"
    );
    for n in [1, 2, 4, 12, 20, 30] {
        let chart = choice_chart(n);
        let (width, height) = natural_size(&chart);
        assert_eq!(width, FITTED_WIDTH);
        assert!((FITTED_MIN_HEIGHT..=FITTED_MAX_HEIGHT).contains(&height));
        let fitted = svg_fitted(&chart);
        assert_eq!(svg_height(&fitted), height, "drawn at its natural size");
        // The notes ("N svar") end just above the bottom margin: nothing but the margin
        // is left white under them.
        let white_below = f64::from(height) - content_bottom(&fitted);
        assert!(
            (20.0..=f64::from(MARGIN) + 20.0).contains(&white_below),
            "{n} options: {white_below} px white below the content of {height}"
        );
        // The projector's chart keeps its size; there, two rows leave white below them.
        assert_eq!(svg_height(&svg(&chart)), HEIGHT);
    }
    let fixed = svg(&choice_chart(2));
    assert!(
        f64::from(HEIGHT) - content_bottom(&fixed) < 80.0,
        "the notes are at the bottom at 16:9 too"
    );
}

fn percent_guesses() -> TallyResult {
    let mut counts = vec![0; 101];
    for v in [10, 20, 30, 30, 40, 50, 60, 60, 70, 80] {
        counts[v] += 1;
    }
    TallyResult {
        abstained: vec![1],
        distribution: Distribution::Percent {
            counts,
            mean: None,
            median: None,
        },
    }
}

/// Issue 11: the projector's chart of a percent pair shows how the guesses scatter, and
/// marks only what the reveal step allows: the mean guess, then the class's share, then
/// the national figure.
#[test]
fn guess_strip_marks_only_what_each_step_reveals() {
    let (_, guess, pair) = percent_pair("Har du?", "Hvor mange?", 6, 14);
    let guesses = percent_guesses();
    let labels = |step: u32| {
        let chart =
            guess_strip(&pair, &guess, &guesses, step, Language::Da).expect("a percent pair");
        let strip = chart.strip.expect("a strip");
        // 10, 20, 30, 30, 40, 50, 60, 60, 70, 80 in bands of ten.
        assert_eq!(strip.bands, vec![0, 1, 1, 2, 1, 1, 2, 1, 1, 0]);
        assert_eq!(strip.ticks.len(), 6);
        strip
            .markers
            .into_iter()
            .map(|m| (m.label, (m.position * 1000.0).round() / 1000.0))
            .collect::<Vec<_>>()
    };
    let guess_marker = ("Jeres gæt (gennemsnit): 45 %".to_string(), 0.45);
    let actual_marker = ("Jeres egne svar: 30 %".to_string(), 0.3);
    let national_marker = ("Landstal (13-årige, 2018): 33 %".to_string(), 0.33);
    assert_eq!(labels(1), vec![guess_marker.clone()]);
    assert_eq!(labels(2), vec![guess_marker.clone(), actual_marker.clone()]);
    assert_eq!(
        labels(3),
        vec![guess_marker, actual_marker, national_marker]
    );
    let chart = guess_strip(&pair, &guess, &guesses, 3, Language::Da).unwrap();
    let svg = svg(&chart);
    assert!(svg.contains("Landstal (13-årige, 2018): 33 %"));
    assert!(svg.contains(r#"height="420""#), "one label line per marker");
    // Drawn at the size the screen shows it.
    assert!(svg_sized(&chart, 1204, 320).contains(r#"width="1204" height="320""#));
    // On the projector without labels (the big figures above name the values in the same
    // colours), never lower than the axis and a short plot need.
    let sized = svg_sized(&chart, 1204, 100);
    assert!(sized.contains(r#"width="1204" height="140""#), "{sized}");
    assert!(!sized.contains("Landstal"), "{sized}");
    look_at(&chart, "guess_strip");
}

/// Number and scale pairs get the same kind of chart: every value in range (or point)
/// as a column of guesses, the means marked.
#[test]
fn guess_strips_of_number_and_scale_pairs() {
    let age = |id: &str| {
        question(
            id,
            id,
            QuestionKind::Number {
                min: 10,
                max: 25,
                unit: Some("år".into()),
            },
            &[],
        )
    };
    let (own, guess) = (age("age"), age("age-guess"));
    let number_result = |values: &[(i64, u32)]| TallyResult {
        abstained: vec![],
        distribution: Distribution::Number {
            values: values
                .iter()
                .map(|&(value, count)| pejling_wire::ValueCount { value, count })
                .collect(),
            mean: None,
            median: None,
        },
    };
    let answers = number_result(&[(16, 3), (18, 3)]);
    let guesses = number_result(&[(14, 2), (15, 3), (16, 1)]);
    let comparison = results::compare(
        &Counts {
            question: &own,
            result: &answers,
        },
        &Counts {
            question: &guess,
            result: &guesses,
        },
        &[],
        &Thresholds::default(),
    );
    let pair = PairResult {
        actual_question: "age".into(),
        perceived_question: "age-guess".into(),
        comparison,
        references: Vec::new(),
        groups: Vec::new(),
    };
    let chart = guess_strip(&pair, &guess, &guesses, 2, Language::Da).expect("a number pair");
    let strip = chart.strip.clone().unwrap();
    assert_eq!(strip.bands.len(), 16, "10 to 25");
    assert_eq!((strip.bands[4], strip.bands[5], strip.bands[6]), (2, 3, 1));
    let labels: Vec<&str> = strip.markers.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "Jeres gæt (gennemsnit): 14,8 år",
            "Jeres egne svar (gennemsnit): 17 år"
        ]
    );
    look_at(&chart, "guess_strip_number");

    let points: Vec<String> = ["Slet ikke", "Ikke rigtig", "Nogenlunde", "Helt"]
        .map(String::from)
        .to_vec();
    let scale = |id: &str| {
        question(
            id,
            id,
            QuestionKind::Scale {
                points: points.clone(),
            },
            &[],
        )
    };
    let (own, others) = (scale("ok"), scale("ok-others"));
    let scale_result = |counts: Vec<u32>| TallyResult {
        abstained: vec![],
        distribution: Distribution::Scale { counts },
    };
    let (a, p) = (
        scale_result(vec![8, 6, 4, 2]),
        scale_result(vec![2, 4, 6, 8]),
    );
    let comparison = results::compare(
        &Counts {
            question: &own,
            result: &a,
        },
        &Counts {
            question: &others,
            result: &p,
        },
        &[],
        &Thresholds::default(),
    );
    let pair = PairResult {
        actual_question: "ok".into(),
        perceived_question: "ok-others".into(),
        comparison,
        references: Vec::new(),
        groups: Vec::new(),
    };
    let chart = guess_strip(&pair, &others, &p, 2, Language::Da).expect("a scale pair");
    let strip = chart.strip.clone().unwrap();
    assert_eq!(strip.bands, vec![2, 4, 6, 8]);
    assert_eq!(strip.ticks[3].1, "Helt");
    // Means 3 (guesses) and 2 (answers) of points 1–4, at the centres of their columns.
    let positions: Vec<f64> = strip.markers.iter().map(|m| m.position).collect();
    assert_eq!(positions, vec![2.5 / 4.0, 1.5 / 4.0]);
    look_at(&chart, "guess_strip_scale");
}
