//! Social-norms results: for each pair of an own-behaviour question and its perceived
//! partner, the actual share (with a Wilson interval), the estimates (mean, median,
//! distribution), the gap, the share of respondents who guessed above the actual share,
//! and the pattern named as the Danish SSP guides name it. Plain functions of counts: no
//! I/O, no session state, so every figure is tested with tables (`results/tests.rs`).
//!
//! The anonymity threshold is applied here too: a group with fewer than `min_answers`
//! answers (abstentions not counted) yields [`Shown::TooFew`], never a figure.

use pejling_wire::{Distribution, TallyResult};
use serde::{Deserialize, Serialize};

use crate::questions::{Question, QuestionKind, Reference};

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The answers a result needs before it is shown, unless a set or the server says otherwise
/// (`docs/results.md`, "Anonymity minimum").
pub const DEFAULT_MIN_ANSWERS: u32 = 5;

/// When a gap counts as a finding. See `docs/results.md`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Fewer answers than this (abstentions not counted) and a group is not shown.
    pub min_answers: u32,
    /// A gap of at most this many percentage points is *overensstemmelse*.
    pub agreement_pp: f64,
    /// For attitude scales: a gap of at most this many scale points is *overensstemmelse*.
    pub agreement_points: f64,
    /// A pattern beyond the agreement margin is named only when the guesses' sign test
    /// (how many guessed above vs below the actual value) has a two-sided p below this.
    pub significance: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_answers: DEFAULT_MIN_ANSWERS,
            agreement_pp: 10.0,
            agreement_points: 0.5,
            significance: 0.05,
        }
    }
}

/// A figure, or the reason it is withheld.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "shown", rename_all = "snake_case")]
pub enum Shown<T> {
    Yes(T),
    /// Fewer than `needed` answers: the screen says "for få svar".
    TooFew {
        answers: u32,
        needed: u32,
    },
}

impl<T> Shown<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Shown::Yes(value) => Some(value),
            Shown::TooFew { .. } => None,
        }
    }
}

/// The four patterns of the Gladsaxe SSP guide ("Kender du de andre?").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// People believe more do it than actually do.
    Overdrivelse,
    /// People believe fewer do it.
    Underdrivelse,
    /// Belief matches behaviour (within the thresholds).
    Overensstemmelse,
    /// People believe a majority does it, but it is a minority.
    Flertalsmisforstaaelse,
    /// The mean guess is off by more than the agreement margin, but the guesses do not
    /// show a direction: about as many guessed too high as too low, or too few guessed
    /// to tell. Noise is not named a misperception ("intet tydeligt mønster").
    Uklar,
}

impl Pattern {
    pub fn danish(self) -> &'static str {
        match self {
            Pattern::Overdrivelse => "Social overdrivelse",
            Pattern::Underdrivelse => "Social underdrivelse",
            Pattern::Overensstemmelse => "Social overensstemmelse",
            Pattern::Flertalsmisforstaaelse => "Flertalsmisforståelse",
            Pattern::Uklar => "Intet tydeligt mønster",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            Pattern::Overdrivelse => "Overestimation",
            Pattern::Underdrivelse => "Underestimation",
            Pattern::Overensstemmelse => "Agreement",
            Pattern::Flertalsmisforstaaelse => "False majority",
            Pattern::Uklar => "No clear pattern",
        }
    }
}

/// The share of respondents choosing some options of a choice or scale question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    /// Respondents who chose one of the options (abstentions not counted).
    pub respondents: u32,
    /// Of those, how many chose one of the counted options.
    pub chose: u32,
    /// `chose / respondents` in percent.
    pub percent: f64,
    /// Wilson 95 % interval, in percent.
    pub low: f64,
    pub high: f64,
}

/// Wilson score interval for `k` of `n`, in percent. `n` must be positive.
pub fn wilson(k: u32, n: u32) -> (f64, f64) {
    let n_f = f64::from(n);
    let p = f64::from(k) / n_f;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denominator;
    (
        ((centre - half) * 100.0).max(0.0),
        ((centre + half) * 100.0).min(100.0),
    )
}

/// Summary of a distribution of whole-number answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub respondents: u32,
    pub mean: f64,
    pub median: f64,
}

/// Mean and median of (value, count) pairs in ascending value order; `None` if empty.
/// The median of an even number of answers is the mean of the two middle ones.
pub fn summarize(pairs: &[(i64, u32)]) -> Option<Summary> {
    let n: u64 = pairs.iter().map(|&(_, c)| u64::from(c)).sum();
    if n == 0 {
        return None;
    }
    let sum: f64 = pairs.iter().map(|&(v, c)| v as f64 * f64::from(c)).sum();
    let nth = |rank: u64| {
        let mut seen = 0u64;
        for &(value, count) in pairs {
            seen += u64::from(count);
            if seen > rank {
                return value as f64;
            }
        }
        unreachable!("rank below the total count")
    };
    Some(Summary {
        respondents: n as u32,
        mean: sum / n as f64,
        median: (nth((n - 1) / 2) + nth(n / 2)) / 2.0,
    })
}

/// The counts of one question as the engine keeps them (a tally without hiding).
#[derive(Debug, Clone, PartialEq)]
pub struct Counts<'a> {
    pub question: &'a Question,
    pub result: &'a TallyResult,
}

impl Counts<'_> {
    pub fn abstained(&self) -> u32 {
        self.result.abstained.iter().sum()
    }

    /// Answers that are not abstentions.
    pub fn respondents(&self) -> u32 {
        match &self.result.distribution {
            Distribution::Choice { counts }
            | Distribution::Scale { counts }
            | Distribution::Percent { counts, .. } => counts.iter().sum(),
            Distribution::Number { values, .. } => values.iter().map(|v| v.count).sum(),
        }
    }

    fn pairs(&self) -> Vec<(i64, u32)> {
        match &self.result.distribution {
            Distribution::Choice { counts }
            | Distribution::Scale { counts }
            | Distribution::Percent { counts, .. } => counts
                .iter()
                .enumerate()
                .map(|(i, &c)| (i as i64, c))
                .collect(),
            Distribution::Number { values, .. } => {
                values.iter().map(|v| (v.value, v.count)).collect()
            }
        }
    }

    fn slot_counts(&self) -> &[u32] {
        match &self.result.distribution {
            Distribution::Choice { counts }
            | Distribution::Scale { counts }
            | Distribution::Percent { counts, .. } => counts,
            Distribution::Number { .. } => &[],
        }
    }
}

/// `value()` if `answers` (abstentions not counted) reach the minimum, else `TooFew`.
pub fn threshold<T>(answers: u32, thresholds: &Thresholds, value: impl FnOnce() -> T) -> Shown<T> {
    if answers < thresholds.min_answers || answers == 0 {
        Shown::TooFew {
            answers,
            needed: thresholds.min_answers.max(1),
        }
    } else {
        Shown::Yes(value())
    }
}

/// The share choosing `options` of a choice or scale question.
pub fn share(counts: &Counts<'_>, options: &[u32], thresholds: &Thresholds) -> Shown<Share> {
    let slots = counts.slot_counts();
    let respondents: u32 = slots.iter().sum();
    threshold(respondents, thresholds, || {
        let chose: u32 = options.iter().filter_map(|&o| slots.get(o as usize)).sum();
        let (low, high) = wilson(chose, respondents);
        Share {
            respondents,
            chose,
            percent: f64::from(chose) * 100.0 / f64::from(respondents),
            low,
            high,
        }
    })
}

/// The result of one own/perceived pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Comparison {
    /// A percent estimate of the share choosing some options.
    Percent(PercentComparison),
    /// A number estimate of the mean of a number question (e.g. debut age).
    Number(NumberComparison),
    /// Two choice or scale questions with the same answers ("is it OK for you" vs "what
    /// do most others think").
    Attitude(AttitudeComparison),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PercentComparison {
    /// Labels of the counted options, e.g. ["Ja"].
    pub options: Vec<String>,
    pub actual: Shown<Share>,
    pub actual_abstained: u32,
    pub perceived: Shown<Estimates>,
    pub perceived_abstained: u32,
    /// Present when both sides are shown.
    pub finding: Option<PercentFinding>,
}

/// The estimates of a percent question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimates {
    pub summary: Summary,
    /// Respondents per band of ten: 0–9, 10–19, …, 90–99, and 100 alone (11 entries).
    pub bands: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PercentFinding {
    /// Perceived mean minus actual share, in percentage points.
    pub gap_pp: f64,
    /// Respondents whose estimate is above the actual share.
    pub above: u32,
    /// The same in percent of the respondents to the estimate.
    pub above_percent: f64,
    /// Respondents whose estimate is below the actual share.
    pub below: u32,
    /// Respondents whose estimate is above 50 % (they believe a majority does it).
    pub majority: u32,
    /// Two-sided p of the sign test of `above` against `below`.
    pub sign_p: f64,
    pub pattern: Pattern,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberComparison {
    pub unit: Option<String>,
    pub actual: Shown<Summary>,
    pub actual_abstained: u32,
    pub perceived: Shown<Summary>,
    pub perceived_abstained: u32,
    /// Perceived mean minus actual mean, in the question's unit.
    pub gap: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttitudeComparison {
    pub labels: Vec<String>,
    /// Whether the answers are ordered (a scale): then means and a pattern are given.
    pub ordered: bool,
    pub actual: Shown<Vec<f64>>,
    pub actual_abstained: u32,
    pub perceived: Shown<Vec<f64>>,
    pub perceived_abstained: u32,
    /// Mean scale position, 1 = the first point; scales only.
    pub actual_mean: Option<f64>,
    pub perceived_mean: Option<f64>,
    pub gap_points: Option<f64>,
    pub pattern: Option<Pattern>,
}

/// How a linked class was used in a parents' pool (`pooling.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupUse {
    pub name: String,
    pub answers: u32,
    pub included: bool,
}

/// One pair with its national references.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairResult {
    pub actual_question: String,
    pub perceived_question: String,
    pub comparison: Comparison,
    pub references: Vec<Reference>,
    /// For a parents' question: the linked pupil sessions and whether each was pooled
    /// (empty when both questions are in the same session).
    pub groups: Vec<GroupUse>,
}

impl PairResult {
    /// For a parents' question: the names of the linked classes left out of the pool for
    /// too few answers, which every view of the pair names.
    pub fn left_out(&self) -> Vec<&str> {
        self.groups
            .iter()
            .filter(|g| !g.included)
            .map(|g| g.name.as_str())
            .collect()
    }
}

/// Two-sided p-value of the exact sign test: the chance, if every guess were as likely
/// to fall above the actual value as below it, of a split at least as lopsided as
/// `above` against `below` (guesses equal to the actual value are left out).
pub fn sign_test_p(above: u32, below: u32) -> f64 {
    let n = above + below;
    if n == 0 {
        return 1.0;
    }
    let k = above.min(below);
    // P(X <= k) for X ~ Binomial(n, 1/2), term by term in log space so that large halls
    // neither overflow nor underflow to nonsense.
    let ln_half_n = f64::from(n) * 0.5f64.ln();
    let mut ln_choose = 0.0;
    let mut tail = 0.0;
    for i in 0..=k {
        if i > 0 {
            ln_choose += f64::from(n - i + 1).ln() - f64::from(i).ln();
        }
        tail += (ln_choose + ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

/// How a group's guesses scatter around the actual value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scatter {
    /// Mean guess minus the actual value (percentage points, or scale points).
    pub gap: f64,
    /// Guesses strictly above and strictly below the actual value.
    pub above: u32,
    pub below: u32,
    /// More than half of the guesses say a majority does it (above 50 %, or in the upper
    /// half of a scale).
    pub believe_majority: bool,
    /// The actual value is a minority (below 50 %, or less than half in the upper half).
    pub actual_minority: bool,
}

/// Names the pattern of a pair from how the guesses scatter around the actual value
/// (`docs/results.md`). The group's actual share is a count of the whole group, not an
/// estimate; what is uncertain is the guesses. So:
///
/// 1. *overensstemmelse* if the mean guess is within `margin` of the actual value;
/// 2. else a direction is named only if the sign test of guesses above against guesses
///    below has p < `significance` and the majority of guesses lies on the same side as
///    the mean: upward it is *flertalsmisforståelse* when most guesses say a majority
///    does it and it is a minority, else *overdrivelse*; downward *underdrivelse*;
/// 3. else *uklar* ("intet tydeligt mønster").
pub fn verdict(scatter: &Scatter, margin: f64, significance: f64) -> Pattern {
    if scatter.gap.abs() <= margin {
        return Pattern::Overensstemmelse;
    }
    let up = scatter.gap > 0.0 && scatter.above > scatter.below;
    let down = scatter.gap < 0.0 && scatter.below > scatter.above;
    if !(up || down) || sign_test_p(scatter.above, scatter.below) >= significance {
        Pattern::Uklar
    } else if up && scatter.believe_majority && scatter.actual_minority {
        Pattern::Flertalsmisforstaaelse
    } else if up {
        Pattern::Overdrivelse
    } else {
        Pattern::Underdrivelse
    }
}

/// Compares an actual question with the question that perceives it. `options` are the
/// partner options a percent estimate is about (empty for other pairs).
pub fn compare(
    actual: &Counts<'_>,
    perceived: &Counts<'_>,
    options: &[u32],
    thresholds: &Thresholds,
) -> Comparison {
    match (&actual.question.kind, &perceived.question.kind) {
        (QuestionKind::Choice { options: labels }, QuestionKind::Percent)
        | (QuestionKind::Scale { points: labels }, QuestionKind::Percent) => {
            let actual_share = share(actual, options, thresholds);
            let pairs = perceived.pairs();
            let estimates = threshold(perceived.respondents(), thresholds, || Estimates {
                summary: summarize(&pairs).expect("respondents > 0"),
                bands: bands(perceived.slot_counts()),
            });
            let finding = match (&actual_share, &estimates) {
                (Shown::Yes(share), Shown::Yes(estimates)) => {
                    let count = |keep: &dyn Fn(f64) -> bool| -> u32 {
                        pairs
                            .iter()
                            .filter(|&&(value, _)| keep(value as f64))
                            .map(|&(_, c)| c)
                            .sum()
                    };
                    let above = count(&|value| value > share.percent);
                    let below = count(&|value| value < share.percent);
                    let majority = count(&|value| value > 50.0);
                    let respondents = estimates.summary.respondents;
                    let scatter = Scatter {
                        gap: estimates.summary.mean - share.percent,
                        above,
                        below,
                        believe_majority: majority * 2 > respondents,
                        actual_minority: share.percent < 50.0,
                    };
                    Some(PercentFinding {
                        gap_pp: scatter.gap,
                        above,
                        above_percent: f64::from(above) * 100.0 / f64::from(respondents),
                        below,
                        majority,
                        sign_p: sign_test_p(above, below),
                        pattern: verdict(
                            &scatter,
                            thresholds.agreement_pp,
                            thresholds.significance,
                        ),
                    })
                }
                _ => None,
            };
            Comparison::Percent(PercentComparison {
                options: options
                    .iter()
                    .filter_map(|&o| labels.get(o as usize).cloned())
                    .collect(),
                actual: actual_share,
                actual_abstained: actual.abstained(),
                perceived: estimates,
                perceived_abstained: perceived.abstained(),
                finding,
            })
        }
        (QuestionKind::Number { unit, .. }, QuestionKind::Number { .. }) => {
            let summary = |counts: &Counts<'_>| {
                let pairs = counts.pairs();
                threshold(counts.respondents(), thresholds, || {
                    summarize(&pairs).expect("respondents > 0")
                })
            };
            let (a, p) = (summary(actual), summary(perceived));
            let gap = match (&a, &p) {
                (Shown::Yes(a), Shown::Yes(p)) => Some(p.mean - a.mean),
                _ => None,
            };
            Comparison::Number(NumberComparison {
                unit: unit.clone(),
                actual: a,
                actual_abstained: actual.abstained(),
                perceived: p,
                perceived_abstained: perceived.abstained(),
                gap,
            })
        }
        (kind, _) => {
            let (labels, ordered) = match kind {
                QuestionKind::Scale { points } => (points.clone(), true),
                QuestionKind::Choice { options } => (options.clone(), false),
                _ => (Vec::new(), false),
            };
            let shares = |counts: &Counts<'_>| {
                let slots = counts.slot_counts();
                let n: u32 = slots.iter().sum();
                threshold(n, thresholds, || {
                    slots
                        .iter()
                        .map(|&c| f64::from(c) * 100.0 / f64::from(n))
                        .collect::<Vec<f64>>()
                })
            };
            let mean_point = |counts: &Counts<'_>| {
                let pairs: Vec<(i64, u32)> = counts
                    .pairs()
                    .into_iter()
                    .map(|(v, c)| (v + 1, c))
                    .collect();
                summarize(&pairs).map(|s| s.mean)
            };
            let (a, p) = (shares(actual), shares(perceived));
            let both = a.value().is_some() && p.value().is_some();
            let (actual_mean, perceived_mean) = if ordered && both {
                (mean_point(actual), mean_point(perceived))
            } else {
                (None, None)
            };
            let gap_points = actual_mean.zip(perceived_mean).map(|(a, p)| p - a);
            let pattern = match (gap_points, actual_mean, a.value(), p.value()) {
                (Some(gap), Some(actual_mean), Some(a), Some(p)) => {
                    // "Upper half": the points above the middle of the scale.
                    let upper = |shares: &[f64]| -> f64 {
                        let n = shares.len();
                        shares[n / 2 + n % 2..].iter().sum()
                    };
                    let points = perceived.slot_counts();
                    let count = |keep: &dyn Fn(f64) -> bool| -> u32 {
                        points
                            .iter()
                            .enumerate()
                            .filter(|&(i, _)| keep(i as f64 + 1.0))
                            .map(|(_, &c)| c)
                            .sum()
                    };
                    let scatter = Scatter {
                        gap,
                        above: count(&|point| point > actual_mean),
                        below: count(&|point| point < actual_mean),
                        believe_majority: upper(p) > 50.0,
                        actual_minority: upper(a) < 50.0,
                    };
                    Some(verdict(
                        &scatter,
                        thresholds.agreement_points,
                        thresholds.significance,
                    ))
                }
                _ => None,
            };
            Comparison::Attitude(AttitudeComparison {
                labels,
                ordered,
                actual: a,
                actual_abstained: actual.abstained(),
                perceived: p,
                perceived_abstained: perceived.abstained(),
                actual_mean,
                perceived_mean,
                gap_points,
                pattern,
            })
        }
    }
}

/// Percent estimates per band of ten (0–9, …, 90–99, 100).
fn bands(by_value: &[u32]) -> Vec<u32> {
    let mut bands = vec![0; 11];
    for (value, &count) in by_value.iter().enumerate() {
        bands[(value / 10).min(10)] += count;
    }
    bands
}

#[cfg(test)]
mod tests;
