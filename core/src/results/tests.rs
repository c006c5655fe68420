//! Table tests of every figure in `results.rs`, with exact expected values. Interval
//! bounds were computed independently (Python, the Wilson formula with z = 1.959964).

#![allow(clippy::type_complexity)] // tables of tuples read best inline

use pejling_wire::{Distribution, TallyResult, ValueCount};

use super::*;
use crate::questions::{Question, QuestionKind};

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

fn question(id: &str, kind: QuestionKind, abstain: usize) -> Question {
    Question {
        id: id.into(),
        text: id.into(),
        kind,
        abstain: (0..abstain).map(|i| format!("abstain {i}")).collect(),
        sensitive: false,
        perceives: None,
        references: Vec::new(),
        note: None,
    }
}

fn choice() -> Question {
    question(
        "own",
        QuestionKind::Choice {
            options: vec!["Ja".into(), "Nej".into()],
        },
        1,
    )
}

fn percent() -> Question {
    question("perceived", QuestionKind::Percent, 1)
}

fn choice_result(ja: u32, nej: u32, abstained: u32) -> TallyResult {
    TallyResult {
        abstained: vec![abstained],
        distribution: Distribution::Choice {
            counts: vec![ja, nej],
        },
    }
}

/// Percent estimates as a list of values (mean/median fields are not read here).
fn percent_result(values: &[u32], abstained: u32) -> TallyResult {
    let mut counts = vec![0; 101];
    for &v in values {
        counts[v as usize] += 1;
    }
    TallyResult {
        abstained: vec![abstained],
        distribution: Distribution::Percent {
            counts,
            mean: None,
            median: None,
        },
    }
}

fn number_result(values: &[i64], abstained: u32) -> TallyResult {
    let mut sorted: Vec<ValueCount> = Vec::new();
    let mut values = values.to_vec();
    values.sort_unstable();
    for v in values {
        match sorted.last_mut() {
            Some(last) if last.value == v => last.count += 1,
            _ => sorted.push(ValueCount { value: v, count: 1 }),
        }
    }
    TallyResult {
        abstained: vec![abstained],
        distribution: Distribution::Number {
            values: sorted,
            mean: None,
            median: None,
        },
    }
}

fn percent_pair(
    actual: &TallyResult,
    perceived: &TallyResult,
    t: &Thresholds,
) -> PercentComparison {
    let (own, guess) = (choice(), percent());
    let comparison = compare(
        &Counts {
            question: &own,
            result: actual,
        },
        &Counts {
            question: &guess,
            result: perceived,
        },
        &[0],
        t,
    );
    match comparison {
        Comparison::Percent(c) => c,
        other => panic!("expected a percent comparison, got {other:?}"),
    }
}

#[test]
fn wilson_intervals() {
    // (k, n, low %, high %)
    let table = [
        (3, 10, 10.7791267406301, 60.322185253885465),
        (0, 5, 0.0, 43.44824647831748),
        (5, 5, 56.551753521682514, 100.0),
        (1, 1, 20.654931437723747, 100.0),
        (6, 20, 14.54772448676043, 51.89728183535235),
        (10, 20, 29.929800819821228, 70.07019918017878),
    ];
    for (k, n, low, high) in table {
        let (l, h) = wilson(k, n);
        assert!((l - low).abs() < 1e-9, "{k}/{n}: low {l} != {low}");
        assert!((h - high).abs() < 1e-9, "{k}/{n}: high {h} != {high}");
    }
}

#[test]
fn mean_and_median_with_ties_odd_and_even_counts() {
    // (value, count) pairs → (n, mean, median)
    let table: [(&[(i64, u32)], u32, f64, f64); 5] = [
        (&[(50, 5)], 5, 50.0, 50.0),                   // all tied
        (&[(10, 1), (20, 1), (90, 1)], 3, 40.0, 20.0), // odd: the middle one
        (&[(10, 2), (20, 1), (30, 1)], 4, 17.5, 15.0), // even: mean of the two middle
        (&[(0, 0), (7, 1)], 1, 7.0, 7.0),              // one answer, empty slots ignored
        (&[(14, 1), (15, 2), (16, 1), (18, 1)], 5, 15.6, 15.0),
    ];
    for (pairs, n, mean, median) in table {
        let summary = summarize(pairs).expect("answers");
        assert_eq!(summary.respondents, n, "{pairs:?}");
        close(summary.mean, mean);
        close(summary.median, median);
    }
    assert_eq!(summarize(&[]), None);
    assert_eq!(summarize(&[(3, 0)]), None);
}

#[test]
fn fifteen_points_off_but_split_six_to_two_is_no_clear_difference() {
    // 6 of 20 said yes (2 would not say); 10 estimates, 2 "don't know".
    let actual = choice_result(6, 14, 2);
    let perceived = percent_result(&[10, 20, 30, 30, 40, 50, 60, 60, 70, 80], 2);
    let c = percent_pair(&actual, &perceived, &Thresholds::default());
    assert_eq!(c.options, vec!["Ja".to_string()]);
    let share = c.actual.value().expect("shown");
    assert_eq!((share.chose, share.respondents), (6, 20));
    close(share.percent, 30.0);
    close(share.low, 14.54772448676043);
    close(share.high, 51.89728183535235);
    assert_eq!(c.actual_abstained, 2);
    let estimates = c.perceived.value().expect("shown");
    close(estimates.summary.mean, 45.0);
    close(estimates.summary.median, 45.0);
    assert_eq!(estimates.bands, vec![0, 1, 1, 2, 1, 1, 2, 1, 1, 0, 0]);
    assert_eq!(c.perceived_abstained, 2);
    let finding = c.finding.expect("both shown");
    close(finding.gap_pp, 15.0);
    // Estimates above 30 %: 40, 50, 60, 60, 70, 80 (the two 30s are not above).
    assert_eq!(finding.above, 6);
    close(finding.above_percent, 60.0);
    assert_eq!(finding.below, 2);
    // 15 pp is over the 10 pp margin, but 6 guessed above and 2 below: a split that
    // even guesses as likely to fall on either side give often (p = 0.29). No direction.
    close(finding.sign_p, 2.0 * (1.0 + 8.0 + 28.0) / 256.0);
    assert_eq!(finding.pattern, Pattern::Uklar);
}

#[test]
fn sign_test_by_table() {
    // (above, below, p) with p from the binomial distribution, computed by hand:
    // 2 * sum_{i <= min} C(n, i) / 2^n.
    let table: [(u32, u32, f64); 7] = [
        (0, 0, 1.0),
        (1, 0, 1.0),
        (5, 0, 2.0 / 32.0),
        (6, 0, 2.0 / 64.0),
        (3, 3, 1.0),
        (20, 2, 2.0 * (1.0 + 22.0 + 231.0) / 4_194_304.0),
        (2, 20, 2.0 * (1.0 + 22.0 + 231.0) / 4_194_304.0),
    ];
    for (above, below, p) in table {
        let got = sign_test_p(above, below);
        assert!(
            (got - p).abs() < 1e-12,
            "{above} above, {below} below: expected {p}, got {got}"
        );
    }
    // A hall: 10,000 guesses split evenly is no finding; 5,200 to 4,800 is (p ≈ 6e-5).
    close(sign_test_p(5_000, 5_000), 1.0);
    assert!(sign_test_p(5_200, 4_800) < 1e-4);
    assert!(sign_test_p(5_200, 4_800) > 1e-5);
}

/// Issue 11: 3 of 22 pupils (13,6 %) had done it, the class guessed 32,5 % on average and
/// 20 of 22 guessed too high. The old rule called this *overensstemmelse* (32,5 % lay
/// inside the Wilson interval of 13,6 %) while calling a smaller sample's gap
/// *overdrivelse*; the class is the whole population and 20 of 22 is not noise.
#[test]
fn issue_11_twenty_of_twenty_two_too_high_is_overdrivelse() {
    let mut guesses = vec![5, 10];
    guesses.extend([35; 20]);
    let c = percent_pair(
        &choice_result(3, 19, 0),
        &percent_result(&guesses, 0),
        &Thresholds::default(),
    );
    let share = c.actual.value().unwrap();
    close(share.percent, 300.0 / 22.0);
    let finding = c.finding.unwrap();
    close(finding.gap_pp, 32.5 - 300.0 / 22.0);
    assert_eq!((finding.above, finding.below), (20, 2));
    assert!(finding.sign_p < 0.001);
    assert_eq!(finding.pattern, Pattern::Overdrivelse);
}

#[test]
fn patterns_by_table() {
    let defaults = Thresholds::default();
    // (yes, no, estimates, gap, pattern)
    let table: [(u32, u32, &[u32], f64, Pattern); 9] = [
        // 20 % do it, every guess says a majority: a false majority.
        (
            4,
            16,
            &[50, 55, 60, 65, 70, 60],
            40.0,
            Pattern::Flertalsmisforstaaelse,
        ),
        // 20 % do it, believed 40 %: over, but most do not believe a majority.
        (
            4,
            16,
            &[30, 35, 40, 45, 50, 40],
            20.0,
            Pattern::Overdrivelse,
        ),
        // 80 % do it, believed 40 %.
        (
            16,
            4,
            &[30, 35, 40, 45, 50, 40],
            -40.0,
            Pattern::Underdrivelse,
        ),
        // Five guesses all too high are still too few to show a direction (p = 1/16).
        (4, 16, &[30, 35, 40, 45, 50], 20.0, Pattern::Uklar),
        // A gap of exactly the margin (10 pp) is agreement.
        (
            10,
            10,
            &[60, 60, 60, 60, 60],
            10.0,
            Pattern::Overensstemmelse,
        ),
        // 60 % do it and 70 % is believed: within the margin.
        (
            12,
            8,
            &[70, 70, 70, 70, 70],
            10.0,
            Pattern::Overensstemmelse,
        ),
        // 60 % do it, all six believe 75 %: over, and the majority belief is right.
        (
            12,
            8,
            &[75, 75, 75, 75, 75, 75],
            15.0,
            Pattern::Overdrivelse,
        ),
        // The mean is 20 pp too high because of two wild guesses, but most guessed
        // too low: the guesses do not agree on a direction.
        (
            8,
            12,
            &[100, 100, 100, 35, 35, 35, 35, 35],
            19.375,
            Pattern::Uklar,
        ),
        // Half too high, half too low: no direction, whatever the mean says.
        (10, 10, &[100, 100, 100, 45, 45, 45], 22.5, Pattern::Uklar),
    ];
    for (yes, no, estimates, gap, pattern) in table {
        let c = percent_pair(
            &choice_result(yes, no, 0),
            &percent_result(estimates, 0),
            &defaults,
        );
        let finding = c.finding.expect("shown");
        assert!(
            (finding.gap_pp - gap).abs() < 1e-9,
            "{yes}/{no} {estimates:?}: gap {}",
            finding.gap_pp
        );
        assert_eq!(finding.pattern, pattern, "{yes}/{no} {estimates:?}");
    }
}

#[test]
fn all_dont_know_is_too_few_never_a_figure() {
    let c = percent_pair(
        &choice_result(3, 7, 0),
        &percent_result(&[], 12),
        &Thresholds::default(),
    );
    assert!(c.actual.value().is_some());
    assert_eq!(
        c.perceived,
        Shown::TooFew {
            answers: 0,
            needed: 5
        }
    );
    assert_eq!(c.perceived_abstained, 12);
    assert_eq!(c.finding, None);

    // Everyone would not say: the actual side is withheld too.
    let c = percent_pair(
        &choice_result(0, 0, 9),
        &percent_result(&[10, 20, 30, 40, 50], 0),
        &Thresholds::default(),
    );
    assert_eq!(
        c.actual,
        Shown::TooFew {
            answers: 0,
            needed: 5
        }
    );
    assert_eq!(c.actual_abstained, 9);
    assert_eq!(c.finding, None);
}

#[test]
fn one_respondent_only_with_a_threshold_of_one() {
    let one = Thresholds {
        min_answers: 1,
        ..Thresholds::default()
    };
    let c = percent_pair(&choice_result(1, 0, 0), &percent_result(&[100], 0), &one);
    let share = c.actual.value().unwrap();
    close(share.percent, 100.0);
    close(share.low, 20.654931437723747);
    close(share.high, 100.0);
    let finding = c.finding.unwrap();
    close(finding.gap_pp, 0.0);
    assert_eq!(finding.above, 0, "100 is not above 100");
    assert_eq!(finding.pattern, Pattern::Overensstemmelse);

    // The default threshold withholds both sides.
    let c = percent_pair(
        &choice_result(1, 0, 0),
        &percent_result(&[100], 0),
        &Thresholds::default(),
    );
    assert_eq!(
        c.actual,
        Shown::TooFew {
            answers: 1,
            needed: 5
        }
    );
    assert_eq!(
        c.perceived,
        Shown::TooFew {
            answers: 1,
            needed: 5
        }
    );
}

#[test]
fn the_threshold_counts_answers_not_abstentions() {
    let t = Thresholds::default();
    // (yes, no, abstained) → shown?
    let table = [
        (2, 2, 0, false),
        (2, 2, 10, false), // 14 answered, but only 4 took a side
        (2, 3, 0, true),
        (0, 5, 0, true),
    ];
    for (yes, no, abstained, shown) in table {
        let own = choice();
        let result = choice_result(yes, no, abstained);
        let counts = Counts {
            question: &own,
            result: &result,
        };
        assert_eq!(
            share(&counts, &[0], &t).value().is_some(),
            shown,
            "{yes}/{no}/{abstained}"
        );
    }
    let t7 = Thresholds {
        min_answers: 7,
        ..t
    };
    let own = choice();
    let result = choice_result(3, 3, 0);
    let counts = Counts {
        question: &own,
        result: &result,
    };
    assert_eq!(
        share(&counts, &[0], &t7),
        Shown::TooFew {
            answers: 6,
            needed: 7
        }
    );
}

#[test]
fn number_pair_compares_means() {
    let age = |id: &str| {
        question(
            id,
            QuestionKind::Number {
                min: 10,
                max: 25,
                unit: Some("år".into()),
            },
            1,
        )
    };
    let (own, guess) = (age("debut"), age("debut-guess"));
    let actual = number_result(&[14, 15, 15, 16, 18], 1);
    let perceived = number_result(&[13, 13, 14, 14, 15], 0);
    let Comparison::Number(c) = compare(
        &Counts {
            question: &own,
            result: &actual,
        },
        &Counts {
            question: &guess,
            result: &perceived,
        },
        &[],
        &Thresholds::default(),
    ) else {
        panic!("expected a number comparison")
    };
    assert_eq!(c.unit.as_deref(), Some("år"));
    let a = c.actual.value().unwrap();
    close(a.mean, 15.6);
    close(a.median, 15.0);
    assert_eq!(c.actual_abstained, 1);
    let p = c.perceived.value().unwrap();
    close(p.mean, 13.8);
    close(p.median, 14.0);
    close(c.gap.unwrap(), 13.8 - 15.6);

    // Four estimates are too few; no gap is given.
    let perceived = number_result(&[13, 13, 14, 14], 3);
    let Comparison::Number(c) = compare(
        &Counts {
            question: &own,
            result: &actual,
        },
        &Counts {
            question: &guess,
            result: &perceived,
        },
        &[],
        &Thresholds::default(),
    ) else {
        panic!()
    };
    assert_eq!(
        c.perceived,
        Shown::TooFew {
            answers: 4,
            needed: 5
        }
    );
    assert_eq!(c.gap, None);
}

fn scale_result(counts: &[u32]) -> TallyResult {
    TallyResult {
        abstained: Vec::new(),
        distribution: Distribution::Scale {
            counts: counts.to_vec(),
        },
    }
}

#[test]
fn attitude_pairs_compare_two_distributions() {
    let scale = |id: &str| {
        question(
            id,
            QuestionKind::Scale {
                points: vec![
                    "Slet ikke".into(),
                    "Ikke rigtig".into(),
                    "Nogenlunde".into(),
                    "Helt".into(),
                ],
            },
            0,
        )
    };
    let (own, others) = (scale("ok"), scale("ok-others"));
    // (actual counts, perceived counts, actual mean, perceived mean, pattern)
    let table: [(&[u32], &[u32], f64, f64, Pattern); 5] = [
        // 30 % find it OK at least "nogenlunde"; 70 % are believed to: a false majority.
        (
            &[8, 6, 4, 2],
            &[2, 4, 6, 8],
            2.0,
            3.0,
            Pattern::Flertalsmisforstaaelse,
        ),
        // Identical distributions.
        (
            &[5, 5, 5, 5],
            &[5, 5, 5, 5],
            2.5,
            2.5,
            Pattern::Overensstemmelse,
        ),
        // Believed less accepting than they are.
        (
            &[0, 5, 5, 10],
            &[10, 5, 5, 0],
            3.25,
            1.75,
            Pattern::Underdrivelse,
        ),
        // Over, but both sides have a majority in the upper half.
        (
            &[0, 10, 5, 5],
            &[0, 0, 10, 10],
            2.75,
            3.5,
            Pattern::Overdrivelse,
        ),
        // Off by 0.8 points on average, but 3 guessed higher and 2 lower: no direction.
        (&[5, 10, 5, 0], &[2, 0, 0, 3], 2.0, 2.8, Pattern::Uklar),
    ];
    for (a, p, a_mean, p_mean, pattern) in table {
        let (ra, rp) = (scale_result(a), scale_result(p));
        let Comparison::Attitude(c) = compare(
            &Counts {
                question: &own,
                result: &ra,
            },
            &Counts {
                question: &others,
                result: &rp,
            },
            &[],
            &Thresholds::default(),
        ) else {
            panic!("expected an attitude comparison")
        };
        assert!(c.ordered);
        close(c.actual_mean.unwrap(), a_mean);
        close(c.perceived_mean.unwrap(), p_mean);
        close(c.gap_points.unwrap(), p_mean - a_mean);
        assert_eq!(c.pattern, Some(pattern), "{a:?} vs {p:?}");
    }

    // Shares in percent of those who answered.
    let (ra, rp) = (scale_result(&[8, 6, 4, 2]), scale_result(&[2, 4, 6, 8]));
    let Comparison::Attitude(c) = compare(
        &Counts {
            question: &own,
            result: &ra,
        },
        &Counts {
            question: &others,
            result: &rp,
        },
        &[],
        &Thresholds::default(),
    ) else {
        panic!()
    };
    assert_eq!(c.actual, Shown::Yes(vec![40.0, 30.0, 20.0, 10.0]));
    assert_eq!(c.perceived, Shown::Yes(vec![10.0, 20.0, 30.0, 40.0]));
}

#[test]
fn unordered_attitude_pairs_have_shares_but_no_pattern() {
    let (own, others) = (choice(), {
        let mut q = choice();
        q.id = "others".into();
        q
    });
    let (ra, rp) = (choice_result(3, 7, 1), choice_result(8, 2, 0));
    let Comparison::Attitude(c) = compare(
        &Counts {
            question: &own,
            result: &ra,
        },
        &Counts {
            question: &others,
            result: &rp,
        },
        &[],
        &Thresholds::default(),
    ) else {
        panic!()
    };
    assert!(!c.ordered);
    assert_eq!(c.actual, Shown::Yes(vec![30.0, 70.0]));
    assert_eq!(c.perceived, Shown::Yes(vec![80.0, 20.0]));
    assert_eq!(c.actual_abstained, 1);
    assert_eq!((c.actual_mean, c.pattern), (None, None));
}

/// The verdict sentence of a close guess: a gap under half a point is "spot on", not
/// "0 percentage points off" beside figures that may differ by one after rounding.
#[test]
fn a_gap_under_half_a_point_is_spot_on_not_zero_points_off() {
    let thresholds = Thresholds::default();
    let sentence = |ja: u32, nej: u32, guesses: &[u32]| {
        let (own, perceived) = (choice(), percent());
        let comparison = compare(
            &Counts {
                question: &own,
                result: &choice_result(ja, nej, 0),
            },
            &Counts {
                question: &perceived,
                result: &percent_result(guesses, 0),
            },
            &[0],
            &thresholds,
        );
        let pair = PairResult {
            actual_question: own.id.clone(),
            perceived_question: perceived.id.clone(),
            comparison,
            references: Vec::new(),
            groups: Vec::new(),
        };
        crate::reveal::pair_view(
            &own,
            &perceived,
            &pair,
            3,
            crate::questions::Language::Da,
            None,
        )
        .sentence
        .expect("a verdict at the last step")
    };
    // 10 of 24 is 41.7 %; the guesses' mean is 41.5 %.
    let guesses = [41, 41, 41, 41, 41, 42, 42, 42, 42, 42];
    assert_eq!(
        sentence(10, 14, &guesses),
        "Jeres gæt ramte plet: gennemsnittet af gættene lå under ét procentpoint fra."
    );
    // 10 of 20 is 50 %; a mean of 45 % is five points off.
    assert_eq!(
        sentence(10, 10, &[45; 10]),
        "Jeres gæt ramte tæt på: gennemsnittet af gættene lå 5 procentpoint fra."
    );
}
