//! Follow-ups (issue 17): a class asked the same pair again after the lessons. Per pair,
//! before and after: the class's actual value, its mean guess and the gap between them,
//! and whether the misperception shrank — with the honesty rules of the verdicts
//! (`docs/results.md`, "Follow-ups"): a change is named only when it is larger than the
//! agreement margin *and* the guesses moved more than chance would move them; otherwise
//! "no clear change". Plain functions of counts, no I/O.

use pejling_wire::Distribution;
use serde::Serialize;

use crate::counts::{self, Answered, Tallies};
use crate::engine::SessionRecord;
use crate::questions::{Question, QuestionKind, QuestionSet};
use crate::results::{Counts, Shown, Thresholds, share, threshold};

/// One session's side of a pair: the group's actual value (a share in percent, or a
/// mean) and the guesses of it as (value, how many) pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub actual: f64,
    /// Answers behind `actual` (abstentions not counted).
    pub actual_respondents: u32,
    pub guesses: Vec<(f64, u32)>,
}

impl Side {
    fn guess_count(&self) -> u32 {
        self.guesses.iter().map(|&(_, n)| n).sum()
    }

    fn mean_guess(&self) -> f64 {
        let n = f64::from(self.guess_count());
        self.guesses
            .iter()
            .map(|&(v, c)| v * f64::from(c))
            .sum::<f64>()
            / n
    }
}

/// One side's three figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub actual: f64,
    pub mean_guess: f64,
    /// Mean guess minus actual (percentage points, or the number's unit).
    pub gap: f64,
}

/// What happened to the misperception between the two sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The gap was beyond the agreement margin before and is now at least the margin
    /// closer to zero, and the guesses moved more than chance would move them.
    Shrank,
    /// The gap grew by at least the margin, beyond chance.
    Grew,
    /// The class guessed about right before (within the margin): nothing to shrink.
    NoneBefore,
    /// Anything else: a change smaller than the margin, or guesses that could have moved
    /// this much by chance. No change is claimed.
    NoClearChange,
}

impl Change {
    pub fn danish(self) -> &'static str {
        match self {
            Change::Shrank => "Misforståelsen er blevet mindre",
            Change::Grew => "Misforståelsen er blevet større",
            Change::NoneBefore => "Ingen misforståelse at måle på (klassen gættede tæt på før)",
            Change::NoClearChange => "Ingen tydelig ændring",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            Change::Shrank => "The misperception shrank",
            Change::Grew => "The misperception grew",
            Change::NoneBefore => "No misperception to measure (the class guessed close before)",
            Change::NoClearChange => "No clear change",
        }
    }
}

/// Before and after for one pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    pub before: Figures,
    pub after: Figures,
    /// After's gap size minus before's (negative: closer to the truth).
    pub change_in_gap: f64,
    /// Two-sided p of the Mann–Whitney test on the guesses' distances from their own
    /// session's actual value, oriented by the direction of the first gap.
    pub p: f64,
    pub change: Change,
}

/// Compares a pair's two sessions. Each side must reach the anonymity minimum, in its
/// actual answers and in its guesses, else the comparison is withheld. `margin` is the
/// agreement margin of the pair's kind (`agreement_pp`, or a number pair's own).
pub fn follow_up(
    before: &Side,
    after: &Side,
    margin: f64,
    thresholds: &Thresholds,
) -> Shown<FollowUp> {
    let fewest = [
        before.actual_respondents,
        before.guess_count(),
        after.actual_respondents,
        after.guess_count(),
    ]
    .into_iter()
    .min()
    .unwrap_or(0);
    threshold(fewest, thresholds, || {
        let figures = |side: &Side| {
            let mean_guess = side.mean_guess();
            Figures {
                actual: side.actual,
                mean_guess,
                gap: mean_guess - side.actual,
            }
        };
        let (b, a) = (figures(before), figures(after));
        // Distances from each session's own actual value, signed so that the first
        // misperception's direction is positive: a smaller distance is less wrong.
        let direction = if b.gap < 0.0 { -1.0 } else { 1.0 };
        let oriented = |side: &Side| -> Vec<(f64, u32)> {
            side.guesses
                .iter()
                .map(|&(v, n)| (direction * (v - side.actual), n))
                .collect()
        };
        let p = mann_whitney_p(&oriented(before), &oriented(after));
        let change_in_gap = a.gap.abs() - b.gap.abs();
        let beyond_chance = p < thresholds.significance;
        let change = if b.gap.abs() <= margin {
            Change::NoneBefore
        } else if change_in_gap <= -margin && beyond_chance {
            Change::Shrank
        } else if change_in_gap >= margin && beyond_chance {
            Change::Grew
        } else {
            Change::NoClearChange
        };
        FollowUp {
            before: b,
            after: a,
            change_in_gap,
            p,
            change,
        }
    })
}

/// One percent pair of a follow-up, named by its questions' texts in the later session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairFollowUp {
    pub actual_question: String,
    pub perceived_question: String,
    /// The counted options of the own question, e.g. ["Ja"].
    pub options: Vec<String>,
    pub result: Shown<FollowUp>,
}

/// One session as a follow-up compares it: its set and what was answered.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub set: &'a QuestionSet,
    pub tallies: &'a Tallies,
}

/// A stored session's counts per question, as [`Asked`] holds them.
pub fn tallies_of(record: &SessionRecord) -> Tallies {
    counts::tallies(
        &record.set,
        record
            .answers
            .iter()
            .map(|(question, _, answer)| (question.as_str(), answer)),
    )
}

/// One session's side of a pair, as far as it can be read.
enum Got {
    Side(Side),
    /// Answered, but the counts were withheld as below the minimum.
    TooFew,
    /// Neither question has an answer: the session never got to the pair.
    NotAsked,
}

/// Every percent pair the two sessions both asked (and got answers to) — the same
/// question ids, the same kinds and the same counted options — before and after. Number and attitude pairs have
/// no agreement margin of their own to judge a change by and are left out
/// (`docs/results.md`).
pub fn follow_ups(
    before: Asked<'_>,
    after: Asked<'_>,
    thresholds: &Thresholds,
) -> Vec<PairFollowUp> {
    let mut pairs = Vec::new();
    for perceived in &after.set.questions {
        let Some(perceives) = perceived.perceives.as_ref().filter(|p| p.set.is_none()) else {
            continue;
        };
        let (Some(actual), QuestionKind::Percent) =
            (after.set.question(&perceives.question), &perceived.kind)
        else {
            continue;
        };
        let labels = match &actual.kind {
            QuestionKind::Choice { options } => options,
            QuestionKind::Scale { points } => points,
            _ => continue,
        };
        // The earlier session asked the same pair the same way.
        let earlier = |id: &str| before.set.question(id);
        let same = earlier(&perceived.id).is_some_and(|q| {
            q.kind == perceived.kind
                && q.perceives.as_ref().is_some_and(|p| {
                    p.set.is_none() && p.question == actual.id && p.options == perceives.options
                })
        }) && earlier(&actual.id).is_some_and(|q| q.kind == actual.kind);
        if !same {
            continue;
        }
        let side = |asked: Asked<'_>| -> Got {
            let (Some(own), Some(guess)) = (
                asked.set.question(&actual.id),
                asked.set.question(&perceived.id),
            ) else {
                return Got::NotAsked;
            };
            let (own_counts, guess_counts) =
                match (asked.tallies.get(&own.id), asked.tallies.get(&guess.id)) {
                    (None, None) => return Got::NotAsked,
                    (Some(Answered::TooFew), _) | (_, Some(Answered::TooFew)) => {
                        return Got::TooFew;
                    }
                    (own_counts, guess_counts) => {
                        let counts =
                            |answered: Option<&Answered>, question: &Question| match answered {
                                Some(Answered::Counts(result)) => result.clone(),
                                _ => counts::tally(question, []),
                            };
                        (counts(own_counts, own), counts(guess_counts, guess))
                    }
                };
            let shown = share(
                &Counts {
                    question: own,
                    result: &own_counts,
                },
                &perceives.options,
                // The share itself; the minimum is applied to the comparison.
                &Thresholds {
                    min_answers: 1,
                    ..*thresholds
                },
            );
            let guesses = match guess_counts.distribution {
                Distribution::Percent { counts, .. } => counts
                    .iter()
                    .enumerate()
                    .filter(|&(_, &n)| n > 0)
                    .map(|(value, &n)| (value as f64, n))
                    .collect(),
                _ => Vec::new(),
            };
            let (actual, actual_respondents) = shown
                .value()
                .map_or((0.0, 0), |share| (share.percent, share.respondents));
            Got::Side(Side {
                actual,
                actual_respondents,
                guesses,
            })
        };
        // A pair one of the sessions never got to (no answer on either question, not even
        // "won't say") is not a comparison at all, not even one with too few answers.
        let result = match (side(before), side(after)) {
            (Got::NotAsked, _) | (_, Got::NotAsked) => continue,
            (Got::Side(was), Got::Side(now)) => {
                follow_up(&was, &now, thresholds.agreement_pp, thresholds)
            }
            // Withheld where it came from: below the minimum, as here.
            _ => Shown::TooFew {
                answers: 0,
                needed: thresholds.min_answers,
            },
        };
        pairs.push(PairFollowUp {
            actual_question: actual.text.clone(),
            perceived_question: perceived.text.clone(),
            options: perceives
                .options
                .iter()
                .filter_map(|&i| labels.get(i as usize).cloned())
                .collect(),
            result,
        });
    }
    pairs
}

/// Whether two sets share a percent pair a follow-up can compare (the same question ids).
pub fn share_a_pair(before: &QuestionSet, after: &QuestionSet) -> bool {
    after.questions.iter().any(|perceived| {
        perceived.perceives.as_ref().is_some_and(|p| {
            p.set.is_none()
                && before.question(&perceived.id).is_some()
                && before.question(&p.question).is_some()
        })
    })
}

/// Two-sided p-value of the Mann–Whitney U test of `x` against `y` ((value, count)
/// pairs), by the normal approximation with the correction for ties and for
/// continuity. 1 when either side is empty or every value is the same.
pub fn mann_whitney_p(x: &[(f64, u32)], y: &[(f64, u32)]) -> f64 {
    let n1: f64 = x.iter().map(|&(_, c)| f64::from(c)).sum();
    let n2: f64 = y.iter().map(|&(_, c)| f64::from(c)).sum();
    if n1 == 0.0 || n2 == 0.0 {
        return 1.0;
    }
    // Every distinct value with how many of x and of y have it, in order.
    let mut values: Vec<(f64, f64, f64)> = Vec::new();
    for (&(v, c), from_x) in x
        .iter()
        .map(|p| (p, true))
        .chain(y.iter().map(|p| (p, false)))
    {
        match values.iter_mut().find(|(w, _, _)| *w == v) {
            Some(entry) => {
                if from_x {
                    entry.1 += f64::from(c)
                } else {
                    entry.2 += f64::from(c)
                }
            }
            None => values.push(if from_x {
                (v, f64::from(c), 0.0)
            } else {
                (v, 0.0, f64::from(c))
            }),
        }
    }
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Rank sum of x with mid-ranks for ties, and the ties' correction term.
    let (mut below, mut rank_sum_x, mut ties) = (0.0, 0.0, 0.0);
    for &(_, in_x, in_y) in &values {
        let t = in_x + in_y;
        let mid_rank = below + (t + 1.0) / 2.0;
        rank_sum_x += in_x * mid_rank;
        ties += t * t * t - t;
        below += t;
    }
    let n = n1 + n2;
    let u = rank_sum_x - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
    (2.0 * upper_normal_tail(z)).min(1.0)
}

/// P(Z > z) for a standard normal Z, z ≥ 0: Abramowitz and Stegun 26.2.17 (absolute
/// error below 7.5e-8, far below what a verdict at p < 0.05 needs).
fn upper_normal_tail(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.231_641_9 * z);
    let poly = t
        * (0.319_381_530
            + t * (-0.356_563_782
                + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    let density = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    density * poly
}

#[cfg(test)]
mod tests;
