//! Turns a tally into rows for a bar display (screen and console): labels, counts and
//! shares, with percent estimates grouped in tens. Pure, so it is tested natively.

use pejling_wire::{Distribution, QuestionKindView, QuestionView, TallyResult};

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub count: u32,
    /// Share of the non-abstaining answers, 0..=1.
    pub share: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bars {
    pub bars: Vec<Bar>,
    /// Non-abstaining answers.
    pub total: u32,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// Where the mean falls along the bars, from 0 (the start of the first) to 1 (the end
    /// of the last), for questions whose bars are in value order (percent, number).
    pub mean_position: Option<f64>,
    /// Abstain labels with their counts.
    pub abstained: Vec<(String, u32)>,
}

impl Bars {
    /// "Vil ikke svare: 2" for each abstain label somebody chose, for a caption.
    pub fn abstained_labels(&self) -> Vec<String> {
        self.abstained
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(label, count)| format!("{label}: {count}"))
            .collect()
    }
}

/// At most this many bars for a number question; a wider range is shown in even bins.
pub const MAX_NUMBER_BARS: u64 = 20;

pub fn bars(question: &QuestionView, result: &TallyResult) -> Bars {
    let (rows, mean, median): (Vec<(String, u32)>, _, _) =
        match (&result.distribution, &question.kind) {
            (Distribution::Choice { counts }, QuestionKindView::Choice { options })
            | (Distribution::Scale { counts }, QuestionKindView::Scale { points: options }) => (
                options
                    .iter()
                    .cloned()
                    .zip(counts.iter().copied())
                    .collect(),
                None,
                None,
            ),
            (
                Distribution::Percent {
                    counts,
                    mean,
                    median,
                },
                _,
            ) => {
                // Ten groups: 0-9, 10-19, …, 90-100.
                let rows = (0..10)
                    .map(|group| {
                        let start = group * 10;
                        let end = if group == 9 { 100 } else { start + 9 };
                        let count = counts.iter().skip(start).take(end - start + 1).sum::<u32>();
                        (format!("{start}–{end} %"), count)
                    })
                    .collect();
                (rows, *mean, *median)
            }
            (
                Distribution::Number {
                    values,
                    mean,
                    median,
                },
                kind,
            ) => {
                let (unit, range) = match kind {
                    QuestionKindView::Number { unit, min, max } => (
                        unit.as_ref().map(|u| format!(" {u}")).unwrap_or_default(),
                        Some((*min, *max)),
                    ),
                    _ => (String::new(), None),
                };
                // Every value in the range, chosen or not, so the shape does not mislead;
                // a wide range in even bins.
                let rows = match range {
                    Some((min, max)) if max >= min => {
                        let span = (max - min + 1) as u64;
                        let width = span.div_ceil(MAX_NUMBER_BARS) as i64;
                        let mut rows = Vec::new();
                        let mut start = min;
                        while start <= max {
                            let end = (start + width - 1).min(max);
                            let count = values
                                .iter()
                                .filter(|v| (start..=end).contains(&v.value))
                                .map(|v| v.count)
                                .sum();
                            let label = if start == end {
                                format!("{start}{unit}")
                            } else {
                                format!("{start}–{end}{unit}")
                            };
                            rows.push((label, count));
                            start = end + 1;
                        }
                        rows
                    }
                    _ => values
                        .iter()
                        .map(|v| (format!("{}{unit}", v.value), v.count))
                        .collect(),
                };
                (rows, *mean, *median)
            }
            // A result that does not match the question's kind shows nothing rather than
            // something wrong.
            _ => (Vec::new(), None, None),
        };
    let total: u32 = rows.iter().map(|(_, count)| count).sum();
    let mean_position = match (&question.kind, mean) {
        (QuestionKindView::Percent, Some(mean)) => Some(mean / 100.0),
        (QuestionKindView::Number { min, max, .. }, Some(mean)) if max >= min => {
            Some((mean - *min as f64 + 0.5) / ((max - min + 1) as f64))
        }
        _ => None,
    }
    .map(|position| position.clamp(0.0, 1.0));
    Bars {
        bars: rows
            .into_iter()
            .map(|(label, count)| Bar {
                label,
                count,
                share: if total == 0 {
                    0.0
                } else {
                    f64::from(count) / f64::from(total)
                },
            })
            .collect(),
        total,
        mean,
        median,
        mean_position,
        abstained: question
            .abstain
            .iter()
            .cloned()
            .zip(result.abstained.iter().copied())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pejling_wire::{Language, ValueCount};

    fn view(kind: QuestionKindView, abstain: &[&str]) -> QuestionView {
        QuestionView {
            id: "q".into(),
            index: 0,
            count: 1,
            text: "?".into(),
            kind,
            abstain: abstain.iter().map(|s| s.to_string()).collect(),
            sensitive: false,
        }
    }

    #[test]
    fn choice_shares_leave_out_abstentions() {
        let question = view(
            QuestionKindView::Choice {
                options: vec!["Ja".into(), "Nej".into()],
            },
            &["Vil ikke svare"],
        );
        let result = TallyResult {
            abstained: vec![2],
            distribution: Distribution::Choice { counts: vec![1, 3] },
        };
        let bars = bars(&question, &result);
        assert_eq!(bars.total, 4);
        assert_eq!(
            bars.bars[0],
            Bar {
                label: "Ja".into(),
                count: 1,
                share: 0.25
            }
        );
        assert_eq!(bars.abstained, vec![("Vil ikke svare".to_string(), 2)]);
    }

    #[test]
    fn percent_is_grouped_in_tens_with_100_in_the_last_group() {
        let mut counts = vec![0u32; 101];
        counts[0] = 1;
        counts[9] = 1;
        counts[10] = 2;
        counts[95] = 1;
        counts[100] = 1;
        let question = view(QuestionKindView::Percent, &[]);
        let result = TallyResult {
            abstained: vec![],
            distribution: Distribution::Percent {
                counts,
                mean: Some(38.5),
                median: Some(10.0),
            },
        };
        let bars = bars(&question, &result);
        assert_eq!(bars.bars.len(), 10);
        assert_eq!(
            (bars.bars[0].label.as_str(), bars.bars[0].count),
            ("0–9 %", 2)
        );
        assert_eq!(bars.bars[1].count, 2);
        assert_eq!(
            (bars.bars[9].label.as_str(), bars.bars[9].count),
            ("90–100 %", 2)
        );
        assert_eq!(bars.total, 6);
        assert_eq!(Language::Da.decimal(bars.mean.unwrap()), "38,5");
        assert_eq!(Language::En.decimal(bars.median.unwrap()), "10");
    }

    #[test]
    fn numbers_carry_their_unit() {
        let question = view(
            QuestionKindView::Number {
                min: 10,
                max: 25,
                unit: Some("år".into()),
            },
            &[],
        );
        let result = TallyResult {
            abstained: vec![],
            distribution: Distribution::Number {
                values: vec![ValueCount {
                    value: 16,
                    count: 3,
                }],
                mean: Some(16.0),
                median: Some(16.0),
            },
        };
        let shown = bars(&question, &result);
        // Issue 11: every value in the range is a bar, chosen or not.
        assert_eq!(shown.bars.len(), 16);
        assert_eq!(
            (shown.bars[0].label.as_str(), shown.bars[0].count),
            ("10 år", 0)
        );
        assert_eq!(
            (shown.bars[6].label.as_str(), shown.bars[6].count),
            ("16 år", 3)
        );
        assert_eq!(shown.bars[15].label, "25 år");
        // The mean, 16, is in the middle of the seventh of sixteen bars.
        assert_eq!(shown.mean_position, Some(6.5 / 16.0));
    }

    #[test]
    fn a_wide_number_range_is_shown_in_even_bins() {
        let question = view(
            QuestionKindView::Number {
                min: 0,
                max: 99,
                unit: None,
            },
            &[],
        );
        let result = TallyResult {
            abstained: vec![],
            distribution: Distribution::Number {
                values: vec![
                    ValueCount { value: 3, count: 1 },
                    ValueCount { value: 4, count: 2 },
                    ValueCount {
                        value: 99,
                        count: 1,
                    },
                ],
                mean: None,
                median: None,
            },
        };
        let shown = bars(&question, &result);
        assert_eq!(shown.bars.len(), 20);
        assert_eq!(
            (shown.bars[0].label.as_str(), shown.bars[0].count),
            ("0–4", 3)
        );
        assert_eq!(
            (shown.bars[19].label.as_str(), shown.bars[19].count),
            ("95–99", 1)
        );
        assert_eq!(shown.total, 4);
    }
}
