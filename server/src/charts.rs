//! Charts, drawn once with plotters for the live screen (SVG) and for exports (SVG and
//! PNG). A chart is first described as data ([`Chart`]: rows of labelled bars, built
//! from results by [`pair_chart`] and [`question_chart`]), then drawn by one function on
//! any plotters backend, so the screen and the report cannot disagree.
//!
//! Readable on a projector (large type, 16:9), colour-blind-safe colours (Okabe–Ito),
//! Danish labels by default, and the source of a national figure under its bar. All text
//! goes through plotters' SVG backend, which escapes `<`, `>`, `&` and quotes.

use std::path::Path;
use std::sync::Once;

use pejling_wire::{Distribution, TallyResult};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::questions::{Language, Question, QuestionKind, Reference};
use crate::results::{Comparison, PairResult, Shown};

pub const WIDTH: u32 = 1200;
/// At most this many rows for a number question; a wider range is drawn in even bins.
const MAX_NUMBER_ROWS: u64 = 20;
pub const HEIGHT: u32 = 675;
const FONT: &str = "sans-serif";

/// Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
const ACTUAL: RGBColor = RGBColor(0x00, 0x72, 0xB2); // blue
const PERCEIVED: RGBColor = RGBColor(0xE6, 0x9F, 0x00); // orange
const NATIONAL: RGBColor = RGBColor(0x00, 0x9E, 0x73); // bluish green
const INK: RGBColor = RGBColor(0x11, 0x11, 0x11);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const TRACK: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);

/// Which series a bar belongs to; decides its colour and legend entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Actual,
    Perceived,
    National,
}

impl Series {
    fn colour(self) -> RGBColor {
        match self {
            Series::Actual => ACTUAL,
            Series::Perceived => PERCEIVED,
            Series::National => NATIONAL,
        }
    }
}

/// One bar: a value on the chart's axis, or the reason there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub series: Series,
    /// `None`: too few answers; `value_text` says so.
    pub value: Option<f64>,
    /// A 95 % interval drawn as a whisker.
    pub interval: Option<(f64, f64)>,
    pub value_text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub bars: Vec<Bar>,
    /// A small line under the row, e.g. a national figure's source.
    pub caption: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub subtitle: Option<String>,
    /// The axis: values from `min` to `max`.
    pub min: f64,
    pub max: f64,
    pub rows: Vec<Row>,
    /// Legend entries, shown when rows hold more than one series.
    pub legend: Vec<(Series, String)>,
    /// Lines at the bottom (e.g. how many answered, what was left out).
    pub notes: Vec<String>,
    /// Instead of rows: how the guesses of a percent pair scatter, with the figures they
    /// are compared with as marked lines (the projector's chart; `guess_strip`).
    pub strip: Option<Strip>,
}

/// The guesses of a pair as columns along the answer's axis (bands of ten percent, each
/// number in range, each scale point), and marked values along the same axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Strip {
    /// Guesses per column, in axis order.
    pub bands: Vec<u32>,
    /// Labels under the axis: where (0 = its start, 1 = its end) and what.
    pub ticks: Vec<(f64, String)>,
    pub markers: Vec<Marker>,
    /// Draw each marker's label above the columns. The projector does not: its big
    /// figures above the chart name the same values in the same colours, and the chart's
    /// height is better spent on the columns.
    pub labelled: bool,
}

/// A value marked on a strip: the mean guess, the group's answer, a national figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub series: Series,
    /// Where along the axis, 0 = its start, 1 = its end.
    pub position: f64,
    pub label: String,
}

/// A strip's columns, axis labels and markers, and the unit national figures must have to
/// be marked on it (percent pairs: "%"; number pairs mark theirs themselves).
type StripParts<'a> = (Vec<u32>, Vec<(f64, String)>, Vec<Marker>, Option<&'a str>);

/// Height of a strip chart drawn on its own (reports, tests); the screen asks for its box's
/// size. With labels, one line per marker above the columns.
fn strip_height(strip: &Strip) -> u32 {
    STRIP_TOP + label_lines(strip) * STRIP_LINE + STRIP_PLOT + STRIP_AXIS
}

/// The least height a strip can be drawn in: its labels, the axis and a short plot.
fn strip_height_min(strip: &Strip) -> u32 {
    STRIP_TOP + label_lines(strip) * STRIP_LINE + 60 + STRIP_AXIS
}

fn label_lines(strip: &Strip) -> u32 {
    if strip.labelled {
        strip.markers.len() as u32
    } else {
        0
    }
}

const STRIP_TOP: u32 = 16;
const STRIP_LINE: u32 = 50;
const STRIP_PLOT: u32 = 190;
const STRIP_AXIS: u32 = 64;

/// Texts of a chart in the set's language.
struct Words {
    too_few: &'static str,
    actual: &'static str,
    perceived: &'static str,
    perceived_points: &'static str,
    national: &'static str,
    source: &'static str,
    answers: &'static str,
    excluded: &'static str,
    mean: &'static str,
    median: &'static str,
    others: &'static str,
    own: &'static str,
    pupils: &'static str,
    left_out: &'static str,
}

const DA: Words = Words {
    too_few: "for få svar",
    actual: "Jeres egne svar",
    perceived: "Jeres gæt (gennemsnit)",
    perceived_points: "Jeres gæt",
    national: "Landstal",
    source: "Kilde",
    answers: "svar",
    excluded: "Ikke med i tallene",
    mean: "gennemsnit",
    median: "median",
    others: "Hvad I tror, de andre svarer",
    own: "Hvad I selv svarer",
    pupils: "Elevernes egne svar",
    left_out: "Ikke med, for få svar",
};

const EN: Words = Words {
    too_few: "too few answers",
    actual: "Your own answers",
    perceived: "Your guesses (mean)",
    perceived_points: "Your guesses",
    national: "National figure",
    source: "Source",
    answers: "answers",
    excluded: "Not counted",
    mean: "mean",
    median: "median",
    others: "What you think the others answer",
    own: "What you answer yourselves",
    pupils: "The pupils' own answers",
    left_out: "Left out, too few answers",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Da => &DA,
        Language::En => &EN,
    }
}

/// Formats a number the Danish or English way, with at most one decimal.
pub fn number(value: f64, language: Language) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    let text = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    };
    match language {
        Language::Da => text.replace('.', ","),
        Language::En => text,
    }
}

fn percent(value: f64, language: Language) -> String {
    format!("{} %", number(value, language))
}

/// A reference as one caption line: "Kilde: survey, population, year (reported by)".
pub fn citation(reference: &Reference, language: Language) -> String {
    let w = words(language);
    let mut line = format!(
        "{}: {}; {}, {}",
        w.source, reference.survey, reference.population, reference.year
    );
    if let Some(by) = &reference.reported_by {
        line.push_str(&format!(" ({by})"));
    }
    line
}

fn too_few_text(answers: u32, needed: u32, language: Language) -> String {
    let w = words(language);
    format!("{} ({answers} {}, min. {needed})", w.too_few, w.answers)
}

/// The comparison chart of one own/perceived pair.
pub fn pair_chart(
    actual: &Question,
    perceived: &Question,
    pair: &PairResult,
    language: Language,
) -> Chart {
    let w = words(language);
    // A parents' question: the actual side is the linked pupil sessions, pooled.
    let included: Vec<&str> = pair
        .groups
        .iter()
        .filter(|g| g.included)
        .map(|g| g.name.as_str())
        .collect();
    let actual_label = if pair.groups.is_empty() {
        w.actual.to_string()
    } else {
        format!("{} ({})", w.pupils, included.join(", "))
    };
    let left_out: Vec<&str> = pair
        .groups
        .iter()
        .filter(|g| !g.included)
        .map(|g| g.name.as_str())
        .collect();
    let left_out_note =
        (!left_out.is_empty()).then(|| format!("{}: {}", w.left_out, left_out.join(", ")));
    match &pair.comparison {
        Comparison::Percent(c) => {
            let mut rows = Vec::new();
            let mut notes: Vec<String> = left_out_note.into_iter().collect();
            let actual_bar = match &c.actual {
                // No interval: the group's share is a count of the whole group, not an
                // estimate (docs/results.md); what scatters is the guesses.
                Shown::Yes(share) => Bar {
                    series: Series::Actual,
                    value: Some(share.percent),
                    interval: None,
                    value_text: format!(
                        "{} ({} / {})",
                        percent(share.percent, language),
                        share.chose,
                        share.respondents
                    ),
                },
                Shown::TooFew { answers, needed } => Bar {
                    series: Series::Actual,
                    value: None,
                    interval: None,
                    value_text: too_few_text(*answers, *needed, language),
                },
            };
            rows.push(Row {
                label: format!("{actual_label}: {}", c.options.join(" / ")),
                bars: vec![actual_bar],
                caption: None,
            });
            let perceived_bar = match &c.perceived {
                Shown::Yes(estimates) => Bar {
                    series: Series::Perceived,
                    value: Some(estimates.summary.mean),
                    interval: None,
                    value_text: format!(
                        "{} ({} {})",
                        percent(estimates.summary.mean, language),
                        w.median,
                        percent(estimates.summary.median, language)
                    ),
                },
                Shown::TooFew { answers, needed } => Bar {
                    series: Series::Perceived,
                    value: None,
                    interval: None,
                    value_text: too_few_text(*answers, *needed, language),
                },
            };
            rows.push(Row {
                label: w.perceived.to_string(),
                bars: vec![perceived_bar],
                caption: None,
            });
            push_references(&mut rows, &pair.references, language, 0.0, 100.0);
            let abstained: Vec<String> = [
                (actual, c.actual_abstained),
                (perceived, c.perceived_abstained),
            ]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(q, n)| format!("{} {n}", q.abstain.join(" / ")))
            .collect();
            if !abstained.is_empty() {
                notes.push(format!("{}: {}", w.excluded, abstained.join(", ")));
            }
            let subtitle = verdict_line(actual, perceived, pair, language);
            Chart {
                title: perceived.text.clone(),
                subtitle,
                min: 0.0,
                max: 100.0,
                rows,
                legend: Vec::new(),
                notes,
                strip: None,
            }
        }
        Comparison::Number(c) => {
            let (min, max) = match &actual.kind {
                QuestionKind::Number { min, max, .. } => (*min as f64, *max as f64),
                _ => (0.0, 100.0),
            };
            let unit = c.unit.clone().unwrap_or_default();
            let bar = |series, shown: &Shown<crate::results::Summary>| match shown {
                Shown::Yes(s) => Bar {
                    series,
                    value: Some(s.mean),
                    interval: None,
                    value_text: format!(
                        "{} {unit} ({} {})",
                        number(s.mean, language),
                        w.median,
                        number(s.median, language)
                    ),
                },
                Shown::TooFew { answers, needed } => Bar {
                    series,
                    value: None,
                    interval: None,
                    value_text: too_few_text(*answers, *needed, language),
                },
            };
            let mut rows = vec![
                Row {
                    label: format!("{actual_label} ({})", w.mean),
                    bars: vec![bar(Series::Actual, &c.actual)],
                    caption: None,
                },
                Row {
                    label: w.perceived.to_string(),
                    bars: vec![bar(Series::Perceived, &c.perceived)],
                    caption: None,
                },
            ];
            push_references(&mut rows, &pair.references, language, min, max);
            let subtitle = verdict_line(actual, perceived, pair, language);
            Chart {
                title: perceived.text.clone(),
                subtitle,
                min,
                max,
                rows,
                legend: Vec::new(),
                notes: left_out_note.into_iter().collect(),
                strip: None,
            }
        }
        Comparison::Attitude(c) => {
            let share_bar = |series, shown: &Shown<Vec<f64>>, i: usize| match shown {
                Shown::Yes(shares) => Bar {
                    series,
                    value: Some(shares[i]),
                    interval: None,
                    value_text: percent(shares[i], language),
                },
                Shown::TooFew { answers, needed } => Bar {
                    series,
                    value: None,
                    interval: None,
                    value_text: too_few_text(*answers, *needed, language),
                },
            };
            let rows = c
                .labels
                .iter()
                .enumerate()
                .map(|(i, label)| Row {
                    label: label.clone(),
                    bars: vec![
                        share_bar(Series::Actual, &c.actual, i),
                        share_bar(Series::Perceived, &c.perceived, i),
                    ],
                    caption: None,
                })
                .collect();
            let subtitle = verdict_line(actual, perceived, pair, language);
            Chart {
                title: actual.text.clone(),
                subtitle,
                min: 0.0,
                max: 100.0,
                rows,
                legend: vec![
                    (
                        Series::Actual,
                        if pair.groups.is_empty() {
                            w.own.to_string()
                        } else {
                            actual_label.clone()
                        },
                    ),
                    (Series::Perceived, w.others.to_string()),
                ],
                notes: left_out_note.into_iter().collect(),
                strip: None,
            }
        }
    }
}

/// The verdict as the screen says it at the last reveal step ("Social overdrivelse: I
/// troede, at flere …"), so a chart, a report and the screen never say two things.
fn verdict_line(
    actual: &Question,
    perceived: &Question,
    pair: &PairResult,
    language: Language,
) -> Option<String> {
    let view = crate::reveal::pair_view(actual, perceived, pair, 3, language, None);
    match (view.pattern, view.sentence) {
        (Some(pattern), Some(sentence)) if sentence.starts_with(&pattern) => Some(sentence),
        (Some(pattern), Some(sentence)) => Some(format!("{pattern}: {sentence}")),
        (None, sentence) => sentence,
        (Some(pattern), None) => Some(pattern),
    }
}

/// The chart of a pair as the screen shows it at reveal step `step` (1: the guesses, 2: and
/// the group's real answer, 3: and the national figures and the verdict). The question
/// is the screen's heading, so the chart has no title.
pub fn at_step(mut chart: Chart, step: u32) -> Chart {
    let keep = |series: Series| match series {
        Series::Perceived => true,
        Series::Actual => step >= 2,
        Series::National => step >= 3,
    };
    for row in &mut chart.rows {
        row.bars.retain(|bar| keep(bar.series));
    }
    chart.rows.retain(|row| !row.bars.is_empty());
    chart.legend.retain(|(series, _)| keep(*series));
    if step < 3 {
        chart.subtitle = None;
        chart.notes.clear();
    }
    chart.title.clear();
    chart
}

/// The projector's chart of a pair at reveal step `step`: how the guesses scatter (a
/// percent estimate in bands of ten, a number per value in range, a scale per point),
/// with the mean guess marked, then (step 2) the group's real answer, then (step 3) the
/// national figures on the same scale. `None` for an unordered choice pair and while the
/// guesses are too few to show. `perceived` holds the guesses' counts.
pub fn guess_strip(
    pair: &PairResult,
    perceived_question: &Question,
    perceived: &TallyResult,
    step: u32,
    language: Language,
) -> Option<Chart> {
    let w = words(language);
    let actual_label = if pair.groups.is_empty() {
        w.actual
    } else {
        w.pupils
    };
    let marker = |series, position: f64, label: String| Marker {
        series,
        position: position.clamp(0.0, 1.0),
        label,
    };
    let (bands, ticks, mut markers, national_unit): StripParts<'_> =
        match (&pair.comparison, &perceived.distribution) {
            (Comparison::Percent(c), Distribution::Percent { counts, .. }) => {
                let estimates = c.perceived.value()?;
                let mut bands = vec![0u32; 10];
                for (value, &count) in counts.iter().enumerate() {
                    bands[(value / 10).min(9)] += count;
                }
                let ticks = (0..=5)
                    .map(|i| (f64::from(i) / 5.0, format!("{} %", i * 20)))
                    .collect();
                let mean = estimates.summary.mean;
                let mut markers = vec![marker(
                    Series::Perceived,
                    mean / 100.0,
                    format!("{}: {}", w.perceived, percent(mean.round(), language)),
                )];
                if step >= 2
                    && let Shown::Yes(share) = &c.actual
                {
                    markers.push(marker(
                        Series::Actual,
                        share.percent / 100.0,
                        format!(
                            "{actual_label}: {}",
                            percent(share.percent.round(), language)
                        ),
                    ));
                }
                (bands, ticks, markers, Some("%"))
            }
            (Comparison::Number(c), Distribution::Number { values, .. }) => {
                let QuestionKind::Number { min, max, unit } = &perceived_question.kind else {
                    return None;
                };
                let guesses = c.perceived.value()?;
                let (min, max) = (*min, *max);
                let span = (max - min + 1).max(1) as u64;
                let width = span.div_ceil(MAX_NUMBER_ROWS) as i64;
                let n_bins = span.div_ceil(width as u64) as usize;
                let mut bands = vec![0u32; n_bins];
                for v in values {
                    if (min..=max).contains(&v.value) {
                        bands[((v.value - min) / width) as usize] += v.count;
                    }
                }
                let at = |value: f64| (value - min as f64 + 0.5) / span as f64;
                // A label under every column, or every other one when they are many.
                let every = if n_bins > 12 { 2 } else { 1 };
                let ticks = (0..n_bins)
                    .step_by(every)
                    .map(|i| {
                        let start = min + i as i64 * width;
                        ((i as f64 + 0.5) / n_bins as f64, start.to_string())
                    })
                    .collect();
                let unit_text = unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
                let mut markers = vec![marker(
                    Series::Perceived,
                    at(guesses.mean),
                    format!(
                        "{}: {}{unit_text}",
                        w.perceived,
                        number(guesses.mean, language)
                    ),
                )];
                if step >= 2
                    && let Shown::Yes(answers) = &c.actual
                {
                    markers.push(marker(
                        Series::Actual,
                        at(answers.mean),
                        format!(
                            "{actual_label} ({}): {}{unit_text}",
                            w.mean,
                            number(answers.mean, language)
                        ),
                    ));
                }
                // National figures in the question's unit, on the same axis.
                let unit = unit.as_deref();
                if step >= 3 {
                    for reference in pair
                        .references
                        .iter()
                        .filter(|r| Some(r.unit.as_str()) == unit)
                    {
                        markers.push(marker(
                            Series::National,
                            at(reference.value),
                            format!(
                                "{} ({}, {}): {}{unit_text}",
                                w.national,
                                reference.population,
                                reference.year,
                                number(reference.value, language)
                            ),
                        ));
                    }
                }
                (bands, ticks, markers, None)
            }
            (Comparison::Attitude(c), Distribution::Scale { counts })
            | (Comparison::Attitude(c), Distribution::Choice { counts })
                if c.ordered =>
            {
                let guesses = c.perceived_mean?;
                let n = counts.len().max(1) as f64;
                let ticks = c
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, label)| ((i as f64 + 0.5) / n, label.clone()))
                    .collect();
                let at = |mean_point: f64| (mean_point - 0.5) / n;
                let mut markers = vec![marker(
                    Series::Perceived,
                    at(guesses),
                    format!(
                        "{} ({}): {}",
                        w.perceived_points,
                        w.mean,
                        number(guesses, language)
                    ),
                )];
                if step >= 2
                    && let Some(actual) = c.actual_mean
                {
                    markers.push(marker(
                        Series::Actual,
                        at(actual),
                        format!("{actual_label} ({}): {}", w.mean, number(actual, language)),
                    ));
                }
                (counts.clone(), ticks, markers, None)
            }
            _ => return None,
        };
    if step >= 3
        && let Some(unit) = national_unit
    {
        for reference in pair.references.iter().filter(|r| r.unit == unit) {
            markers.push(marker(
                Series::National,
                reference.value / 100.0,
                format!(
                    "{} ({}, {}): {}",
                    w.national,
                    reference.population,
                    reference.year,
                    percent(reference.value, language)
                ),
            ));
        }
    }
    Some(Chart {
        title: String::new(),
        subtitle: None,
        min: 0.0,
        max: 1.0,
        rows: Vec::new(),
        legend: Vec::new(),
        notes: Vec::new(),
        strip: Some(Strip {
            bands,
            ticks,
            markers,
            labelled: true,
        }),
    })
}

fn push_references(
    rows: &mut Vec<Row>,
    references: &[Reference],
    language: Language,
    min: f64,
    max: f64,
) {
    let w = words(language);
    for reference in references {
        let value = reference.value.clamp(min, max);
        let text = if reference.unit == "%" {
            percent(reference.value, language)
        } else {
            format!("{} {}", number(reference.value, language), reference.unit)
        };
        rows.push(Row {
            label: format!("{}: {}", w.national, reference.population),
            bars: vec![Bar {
                series: Series::National,
                value: Some(value),
                interval: None,
                value_text: text,
            }],
            caption: Some(format!(
                "{} — {}",
                reference.measures,
                citation(reference, language)
            )),
        });
    }
}

/// The distribution of one question: share of respondents per option, scale point,
/// band of ten percent or value. `result` is `None` when it is withheld.
pub fn question_chart(
    question: &Question,
    result: Shown<&TallyResult>,
    language: Language,
) -> Chart {
    let w = words(language);
    let mut notes = Vec::new();
    let rows = match result {
        Shown::TooFew { answers, needed } => vec![Row {
            label: String::new(),
            bars: vec![Bar {
                series: Series::Actual,
                value: None,
                interval: None,
                value_text: too_few_text(answers, needed, language),
            }],
            caption: None,
        }],
        Shown::Yes(result) => {
            let slots: Vec<(String, u32)> = match (&question.kind, &result.distribution) {
                (QuestionKind::Choice { options: labels }, Distribution::Choice { counts })
                | (QuestionKind::Scale { points: labels }, Distribution::Scale { counts }) => {
                    labels.iter().cloned().zip(counts.iter().copied()).collect()
                }
                (_, Distribution::Percent { counts, .. }) => {
                    let mut bands = vec![0u32; 11];
                    for (value, &count) in counts.iter().enumerate() {
                        bands[(value / 10).min(10)] += count;
                    }
                    bands
                        .into_iter()
                        .enumerate()
                        .map(|(i, count)| {
                            let label = if i == 10 {
                                "100 %".to_string()
                            } else {
                                format!("{}–{} %", i * 10, i * 10 + 9)
                            };
                            (label, count)
                        })
                        .collect()
                }
                // Every value in the range, chosen or not, so the shape does not mislead
                // (a wide range in even bins, as on the screen).
                (QuestionKind::Number { min, max, .. }, Distribution::Number { values, .. })
                    if max >= min =>
                {
                    let width = ((max - min + 1) as u64).div_ceil(MAX_NUMBER_ROWS) as i64;
                    let mut rows = Vec::new();
                    let mut start = *min;
                    while start <= *max {
                        let end = (start + width - 1).min(*max);
                        let count = values
                            .iter()
                            .filter(|v| (start..=end).contains(&v.value))
                            .map(|v| v.count)
                            .sum();
                        let label = if start == end {
                            start.to_string()
                        } else {
                            format!("{start}–{end}")
                        };
                        rows.push((label, count));
                        start = end + 1;
                    }
                    rows
                }
                (_, Distribution::Number { values, .. }) => values
                    .iter()
                    .map(|v| (v.value.to_string(), v.count))
                    .collect(),
                _ => Vec::new(),
            };
            let total: u32 = slots.iter().map(|(_, c)| c).sum();
            let abstained: u32 = result.abstained.iter().sum();
            notes.push(format!("{total} {}", w.answers));
            if let Distribution::Percent {
                mean: Some(mean), ..
            }
            | Distribution::Number {
                mean: Some(mean), ..
            } = &result.distribution
            {
                notes.push(format!("{}: {}", w.mean, number(*mean, language)));
            }
            if abstained > 0 {
                notes.push(format!(
                    "{}: {} {abstained}",
                    w.excluded,
                    question.abstain.join(" / ")
                ));
            }
            slots
                .into_iter()
                .map(|(label, count)| {
                    let share = if total == 0 {
                        0.0
                    } else {
                        f64::from(count) * 100.0 / f64::from(total)
                    };
                    Row {
                        label,
                        bars: vec![Bar {
                            series: Series::Actual,
                            value: Some(share),
                            interval: None,
                            value_text: format!("{} ({count})", percent(share, language)),
                        }],
                        caption: None,
                    }
                })
                .collect()
        }
    };
    Chart {
        title: question.text.clone(),
        subtitle: None,
        min: 0.0,
        max: 100.0,
        rows,
        legend: Vec::new(),
        notes,
        strip: None,
    }
}

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| ())
            .expect("DejaVu Sans is a valid font");
        plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .map_err(|_| ())
            .expect("DejaVu Sans Bold is a valid font");
    });
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> String {
    register_fonts();
    let mut out = String::new();
    {
        let area =
            SVGBackend::with_string(&mut out, (WIDTH, chart_height(chart))).into_drawing_area();
        draw(&area, chart).expect("drawing into a string cannot fail");
        area.present().expect("SVG into a string");
    }
    out
}

/// The chart as an SVG document of about `width` × `height` pixels (clamped to sensible
/// bounds): a strip is drawn at that size, so the projector shows its text at the size it
/// was drawn; other charts keep their own size.
pub fn svg_sized(chart: &Chart, width: u32, height: u32) -> String {
    let Some(strip) = &chart.strip else {
        return svg(chart);
    };
    let strip = &Strip {
        labelled: false,
        ..strip.clone()
    };
    register_fonts();
    let width = width.clamp(400, 3000);
    let height = height.clamp(strip_height_min(strip), 1500);
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        area.fill(&WHITE)
            .expect("drawing into a string cannot fail");
        draw_strip(&area, strip).expect("drawing into a string cannot fail");
        area.present().expect("SVG into a string");
    }
    out
}

/// The chart as a PNG file.
pub fn png(chart: &Chart, path: &Path) -> Result<(), String> {
    register_fonts();
    let area = BitMapBackend::new(path, (WIDTH, chart_height(chart))).into_drawing_area();
    draw(&area, chart).map_err(|e| e.to_string())?;
    area.present().map_err(|e| e.to_string())
}

/// A strip is as high as its markers need; every other chart is 16:9.
fn chart_height(chart: &Chart) -> u32 {
    chart.strip.as_ref().map_or(HEIGHT, strip_height)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Splits `text` into at most `max_lines` lines no wider than `width` pixels, ending
/// the last with "…" if it does not fit.
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    width: u32,
    max_lines: usize,
) -> Vec<String> {
    let fits = |candidate: &str| {
        area.estimate_text_size(candidate, style)
            .map(|(w, _)| w <= width)
            .unwrap_or(true)
    };
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        while !last.is_empty() && !fits(&format!("{last}…")) {
            last.pop();
        }
        last.push('…');
    }
    lines
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart) -> DrawResult<DB> {
    area.fill(&WHITE)?;
    if let Some(strip) = &chart.strip {
        return draw_strip(area, strip);
    }
    let margin = 40i32;
    let width = WIDTH as i32 - 2 * margin;
    let mut y = margin;

    let title_style = TextStyle::from((FONT, 34).into_font().style(FontStyle::Bold)).color(&INK);
    for line in wrap(area, &chart.title, &title_style, width as u32, 2) {
        area.draw_text(&line, &title_style, (margin, y))?;
        y += 42;
    }
    if let Some(subtitle) = &chart.subtitle {
        let style = TextStyle::from((FONT, 28).into_font()).color(&INK);
        for line in wrap(area, subtitle, &style, width as u32, 2) {
            area.draw_text(&line, &style, (margin, y))?;
            y += 36;
        }
    }
    if !chart.legend.is_empty() {
        let style = TextStyle::from((FONT, 22).into_font()).color(&INK);
        let mut x = margin;
        for (series, label) in &chart.legend {
            area.draw(&Rectangle::new(
                [(x, y + 4), (x + 22, y + 24)],
                series.colour().filled(),
            ))?;
            area.draw_text(label, &style, (x + 30, y + 2))?;
            let (w, _) = area.estimate_text_size(label, &style).unwrap_or((200, 0));
            x += 30 + w as i32 + 40;
        }
        y += 36;
    }
    y += 12;

    let notes_height = chart.notes.len() as i32 * 26;
    let bottom = HEIGHT as i32 - margin - notes_height;
    let label_width = 380i32;
    let track_left = margin + label_width + 20;
    let track_right = WIDTH as i32 - margin - 250;
    let track_width = (track_right - track_left) as f64;
    let span = (chart.max - chart.min).max(f64::EPSILON);
    let x_of = |value: f64| track_left + ((value - chart.min) / span * track_width).round() as i32;

    let row_units: i32 = chart
        .rows
        .iter()
        .map(|row| row.bars.len() as i32 + i32::from(row.caption.is_some()))
        .sum::<i32>()
        .max(1);
    let unit = ((bottom - y) / row_units).clamp(24, 80);
    let bar_height = (unit * 6 / 10).max(16);
    let label_size = (unit * 4 / 10).clamp(16, 26);
    let label_style = TextStyle::from((FONT, label_size).into_font()).color(&INK);
    let value_style =
        TextStyle::from((FONT, label_size).into_font().style(FontStyle::Bold)).color(&INK);
    let caption_style = TextStyle::from((FONT, 17).into_font()).color(&MUTED);

    for row in &chart.rows {
        let row_top = y;
        let label_lines = wrap(area, &row.label, &label_style, label_width as u32, 2);
        for (i, line) in label_lines.iter().enumerate() {
            area.draw_text(
                line,
                &label_style,
                (margin, row_top + i as i32 * (label_size + 4)),
            )?;
        }
        for bar in &row.bars {
            let top = y + (unit - bar_height) / 2 - unit / 5;
            area.draw(&Rectangle::new(
                [(track_left, top), (track_right, top + bar_height)],
                TRACK.filled(),
            ))?;
            let text_x = match bar.value {
                Some(value) => {
                    let end = x_of(value.clamp(chart.min, chart.max));
                    area.draw(&Rectangle::new(
                        [
                            (track_left, top),
                            (end.max(track_left + 2), top + bar_height),
                        ],
                        bar.series.colour().filled(),
                    ))?;
                    if let Some((low, high)) = bar.interval {
                        let (lx, hx) = (x_of(low), x_of(high));
                        let mid = top + bar_height / 2;
                        let ink = INK.stroke_width(3);
                        area.draw(&PathElement::new(vec![(lx, mid), (hx, mid)], ink))?;
                        for x in [lx, hx] {
                            area.draw(&PathElement::new(
                                vec![(x, mid - bar_height / 3), (x, mid + bar_height / 3)],
                                ink,
                            ))?;
                        }
                    }
                    track_right + 16
                }
                None => track_left + 12,
            };
            let style = if bar.value.is_some() {
                value_style.clone()
            } else {
                label_style.clone().color(&MUTED)
            };
            area.draw_text(&bar.value_text, &style, (text_x, top + bar_height / 6))?;
            y += unit;
        }
        if let Some(caption) = &row.caption {
            let caption_width = (WIDTH as i32 - margin - track_left) as u32;
            for (i, line) in wrap(area, caption, &caption_style, caption_width, 2)
                .iter()
                .enumerate()
            {
                area.draw_text(
                    line,
                    &caption_style,
                    (track_left, y - unit / 5 + i as i32 * 20),
                )?;
            }
            y += unit;
        }
        y = y.max(row_top + label_lines.len() as i32 * (label_size + 4));
    }

    let note_style = TextStyle::from((FONT, 20).into_font()).color(&MUTED);
    let mut note_y = HEIGHT as i32 - margin - notes_height + 6;
    for note in &chart.notes {
        area.draw_text(note, &note_style, (margin, note_y))?;
        note_y += 26;
    }
    Ok(())
}

/// Draws a strip: marker labels on top (one line each, in the marker's colour), the
/// guesses as columns per band of ten, the markers as lines through them, and the axis.
/// The text is drawn at the size the projector shows it (36 px labels, 32 px axis): the
/// screen asks for the chart at the size of its box (`svg_sized`).
fn draw_strip<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, strip: &Strip) -> DrawResult<DB> {
    let (width, height) = area.dim_in_pixel();
    let margin = 40i32;
    let left = margin;
    let right = width as i32 - margin;
    let x_of =
        |position: f64| left + (position.clamp(0.0, 1.0) * f64::from(right - left)).round() as i32;
    let label_style = TextStyle::from((FONT, 36).into_font().style(FontStyle::Bold));
    let plot_top = (STRIP_TOP + label_lines(strip) * STRIP_LINE) as i32;
    let plot_bottom = (height - STRIP_AXIS) as i32;
    let plot_height = (plot_bottom - plot_top).max(40);
    // The guesses: a column per band.
    let most = strip.bands.iter().copied().max().unwrap_or(0).max(1);
    let band_width = f64::from(right - left) / strip.bands.len().max(1) as f64;
    let band_x = |i: usize| {
        (
            left + (i as f64 * band_width).round() as i32 + 4,
            left + ((i + 1) as f64 * band_width).round() as i32 - 4,
        )
    };
    let column_top = |count: u32| {
        plot_bottom
            - ((f64::from(count) / f64::from(most)) * f64::from(plot_height - 44)).round() as i32
    };
    for (i, &count) in strip.bands.iter().enumerate() {
        let (x0, x1) = band_x(i);
        area.draw(&Rectangle::new(
            [(x0, plot_top + 4), (x1, plot_bottom)],
            TRACK.filled(),
        ))?;
        if count > 0 {
            area.draw(&Rectangle::new(
                [(x0, column_top(count)), (x1, plot_bottom)],
                PERCEIVED.mix(0.55).filled(),
            ))?;
        }
    }
    // The markers, as thick lines from their label's line down through the columns.
    for (i, marker) in strip.markers.iter().enumerate() {
        let x = x_of(marker.position);
        let top = if strip.labelled {
            STRIP_TOP as i32 + i as i32 * STRIP_LINE as i32 + 40
        } else {
            plot_top
        };
        area.draw(&Rectangle::new(
            [(x - 4, top), (x + 4, plot_bottom)],
            marker.series.colour().filled(),
        ))?;
    }
    // Counts above the columns and the labels on top, each on white so a line that
    // passes behind does not cross the text.
    let count_style = TextStyle::from((FONT, 30).into_font()).color(&INK);
    for (i, &count) in strip.bands.iter().enumerate().filter(|(_, c)| **c > 0) {
        let (x0, x1) = band_x(i);
        let text = count.to_string();
        let (text_width, _) = area
            .estimate_text_size(&text, &count_style)
            .unwrap_or((20, 30));
        let x = (x0 + x1) / 2 - text_width as i32 / 2;
        let y = column_top(count) - 36;
        area.draw(&Rectangle::new(
            [(x - 4, y - 2), (x + text_width as i32 + 4, y + 32)],
            WHITE.filled(),
        ))?;
        area.draw_text(&text, &count_style, (x, y))?;
    }
    for (i, marker) in strip.markers.iter().enumerate().filter(|_| strip.labelled) {
        let colour = marker.series.colour();
        let style = label_style.clone().color(&colour);
        let (text_width, _) = area
            .estimate_text_size(&marker.label, &style)
            .unwrap_or((300, 36));
        let x =
            (x_of(marker.position) - text_width as i32 / 2).clamp(left, right - text_width as i32);
        let y = STRIP_TOP as i32 + i as i32 * STRIP_LINE as i32;
        area.draw(&Rectangle::new(
            [(x - 8, y - 2), (x + text_width as i32 + 8, y + 40)],
            WHITE.filled(),
        ))?;
        area.draw_text(&marker.label, &style, (x, y))?;
    }
    // The axis and its labels.
    area.draw(&Rectangle::new(
        [(left, plot_bottom), (right, plot_bottom + 3)],
        INK.filled(),
    ))?;
    let axis_style = TextStyle::from((FONT, 32).into_font()).color(&INK);
    for (position, text) in &strip.ticks {
        let (text_width, _) = area
            .estimate_text_size(text, &axis_style)
            .unwrap_or((60, 32));
        let x = (x_of(*position) - text_width as i32 / 2)
            .clamp(left - 20, right + 20 - text_width as i32);
        area.draw_text(text, &axis_style, (x, plot_bottom + 14))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
