//! Follow-up figures with exact expected values (issue 17).

use super::*;

fn side(actual: f64, respondents: u32, guesses: &[(f64, u32)]) -> Side {
    Side {
        actual,
        actual_respondents: respondents,
        guesses: guesses.to_vec(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn the_normal_tail_matches_the_table() {
    // Standard values: P(Z > 1.96) = 0.0249979, P(Z > 1) = 0.1586553, P(Z > 0) = 0.5.
    assert!((upper_normal_tail(1.96) - 0.024_997_9).abs() < 1e-6);
    assert!((upper_normal_tail(1.0) - 0.158_655_3).abs() < 1e-6);
    assert!((upper_normal_tail(0.0) - 0.5).abs() < 1e-6);
}

#[test]
fn mann_whitney_by_hand() {
    // x = 1, 2, 3; y = 4, 5, 6: U = 0, mean 4.5, variance 9·7/12 = 5.25;
    // z = (4.5 − 0.5)/√5.25 = 1.745743; p = 2·P(Z > 1.745743) = 0.080856.
    let p = mann_whitney_p(
        &[(1.0, 1), (2.0, 1), (3.0, 1)],
        &[(4.0, 1), (5.0, 1), (6.0, 1)],
    );
    assert!((p - 0.080_856).abs() < 1e-5, "{p}");
    // Identical groups: no evidence at all.
    assert_eq!(mann_whitney_p(&[(5.0, 4)], &[(5.0, 4)]), 1.0);
    assert_eq!(mann_whitney_p(&[], &[(5.0, 4)]), 1.0);
}

/// A class of 20 believed 62 % vape when 20 % did (a false majority). After the lessons
/// the 20 guess 28 % on average while 22 % do: the gap fell from 42 to 6 points, beyond
/// the 10-point margin and far beyond chance.
#[test]
fn a_misperception_that_shrank() {
    let before = side(20.0, 20, &[(50.0, 5), (60.0, 8), (70.0, 4), (80.0, 3)]);
    let after = side(22.0, 20, &[(20.0, 6), (30.0, 10), (40.0, 4)]);
    let Shown::Yes(result) = follow_up(&before, &after, 10.0, &Thresholds::default()) else {
        panic!("enough answers")
    };
    assert!(close(result.before.mean_guess, 62.5), "{result:?}");
    assert!(close(result.before.gap, 42.5));
    assert!(close(result.after.mean_guess, 29.0));
    assert!(close(result.after.gap, 7.0));
    assert!(close(result.change_in_gap, -35.5));
    assert!(result.p < 0.001, "{}", result.p);
    assert_eq!(result.change, Change::Shrank);
    assert_eq!(result.change.danish(), "Misforståelsen er blevet mindre");
}

/// Noise: 8 guesses before and 8 after, scattered alike; the mean gap fell from 20 to 10
/// points (as much as the margin), but guesses could well move that much by chance, so
/// no change is claimed.
#[test]
fn a_change_within_noise_is_no_clear_change() {
    let before = side(30.0, 8, &[(10.0, 2), (40.0, 2), (60.0, 2), (90.0, 2)]);
    let after = side(30.0, 8, &[(10.0, 3), (40.0, 2), (60.0, 2), (90.0, 1)]);
    let Shown::Yes(result) = follow_up(&before, &after, 10.0, &Thresholds::default()) else {
        panic!("enough answers")
    };
    assert!(close(result.before.gap, 20.0), "{result:?}");
    assert!(close(result.after.gap, 10.0));
    assert!(close(result.change_in_gap, -10.0));
    assert!(result.p > 0.05, "{}", result.p);
    assert_eq!(result.change, Change::NoClearChange);
}

#[test]
fn a_small_but_certain_change_is_not_named_either() {
    // Every guess moved by 5 points: beyond chance, but within the 10-point margin.
    let before = side(20.0, 20, &[(60.0, 20)]);
    let after = side(20.0, 20, &[(55.0, 20)]);
    let Shown::Yes(result) = follow_up(&before, &after, 10.0, &Thresholds::default()) else {
        panic!("enough answers")
    };
    assert!(result.p < 0.001);
    assert!(close(result.change_in_gap, -5.0));
    assert_eq!(result.change, Change::NoClearChange);
}

#[test]
fn grew_none_before_and_too_few() {
    let thresholds = Thresholds::default();
    let before = side(20.0, 20, &[(30.0, 20)]);
    let after = side(20.0, 20, &[(60.0, 20)]);
    let grew = follow_up(&side(20.0, 20, &[(35.0, 20)]), &after, 10.0, &thresholds);
    assert_eq!(grew.value().unwrap().change, Change::Grew);
    // Ten points off before is agreement: nothing to shrink.
    let none = follow_up(&before, &after, 10.0, &thresholds);
    assert_eq!(none.value().unwrap().change, Change::NoneBefore);
    // Four guesses after: below the minimum of five, withheld.
    let few = follow_up(&before, &side(20.0, 20, &[(25.0, 4)]), 10.0, &thresholds);
    assert_eq!(
        few,
        Shown::TooFew {
            answers: 4,
            needed: 5
        }
    );
}

#[test]
fn an_underestimate_that_shrank_is_oriented_downward() {
    // Before: 70 % do it, guessed 40 %; after: 70 %, guessed 65 %.
    let before = side(70.0, 15, &[(30.0, 5), (40.0, 5), (50.0, 5)]);
    let after = side(70.0, 15, &[(60.0, 5), (65.0, 5), (70.0, 5)]);
    let result = follow_up(&before, &after, 10.0, &Thresholds::default());
    let result = result.value().unwrap();
    assert!(close(result.before.gap, -30.0));
    assert!(close(result.after.gap, -5.0));
    assert_eq!(result.change, Change::Shrank);
}
