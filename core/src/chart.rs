//! The chart *model*: what a chart shows, as data ([`Chart`]: rows of labelled bars, or a
//! [`Strip`] of guesses with marked values), built from results by [`pair_chart`],
//! [`question_chart`] and [`guess_strip`]. Drawing it is the server's job (`charts.rs`
//! there, with plotters), once, for the live screen and for exports alike, so the screen
//! and the report cannot disagree.
//!
//! Danish labels by default, and the source of a national figure under its bar.

use pejling_wire::{Distribution, TallyResult};
use sha2::{Digest, Sha256};

use crate::questions::{Language, Question, QuestionKind, Reference};
use crate::results::{Comparison, PairResult, Shown};

/// At most this many rows for a number question; a wider range is drawn in even bins.
const MAX_NUMBER_ROWS: u64 = 20;

/// Which series a bar belongs to; decides its colour and legend entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Actual,
    Perceived,
    National,
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

impl Chart {
    /// A short key that changes whenever the chart's content changes, so a page fetches
    /// the chart again after a changed answer or a reveal step and not otherwise.
    pub fn key(&self) -> String {
        let digest = Sha256::digest(format!("{self:?}").as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
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
    /// "uden 7.c": the classes a pool leaves out, in a marker's one line.
    without: &'static str,
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
    without: "uden",
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
    without: "without",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Da => &DA,
        Language::En => &EN,
    }
}

fn percent(value: f64, language: Language) -> String {
    format!("{} %", language.decimal(value))
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
    let left_out = pair.left_out();
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
                        language.decimal(s.mean),
                        w.median,
                        language.decimal(s.median)
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
    // A parents' question: the pupils' side, naming the classes left out of the pool
    // (for too few answers, which the key figure above the chart says in full) in few
    // words, as a marker's label is one line.
    let left_out = pair.left_out();
    let actual_label = match (pair.groups.is_empty(), left_out.is_empty()) {
        (true, _) => w.actual.to_string(),
        (false, true) => w.pupils.to_string(),
        (false, false) => format!("{} ({} {})", w.pupils, w.without, left_out.join(", ")),
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
                        language.decimal(guesses.mean)
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
                            language.decimal(answers.mean)
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
                                language.decimal(reference.value)
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
                        language.decimal(guesses)
                    ),
                )];
                if step >= 2
                    && let Some(actual) = c.actual_mean
                {
                    markers.push(marker(
                        Series::Actual,
                        at(actual),
                        format!("{actual_label} ({}): {}", w.mean, language.decimal(actual)),
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
            format!("{} {}", language.decimal(reference.value), reference.unit)
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
                notes.push(format!("{}: {}", w.mean, language.decimal(*mean)));
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
