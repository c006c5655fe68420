//! Counting answers: whether an answer fits its question, and the running counts of one
//! question, kept up to date as answers arrive and change so that a tally costs
//! O(options), not O(answers).

use std::collections::BTreeMap;

use pejling_wire::{Answer, Distribution, TallyResult, ValueCount};

use crate::questions::{Question, QuestionKind};
use crate::results;

/// Why an answer does not fit its question; the text goes to the device (`invalid_answer`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("this question offers no abstain answer")]
    NoAbstain,
    /// An option or scale point past the last one.
    #[error("{what} {value} is out of range; this question has {what}s 0 to {last}")]
    OutOfRange {
        what: &'static str,
        value: u32,
        last: usize,
    },
    #[error("percent {0} is out of range 0 to 100")]
    Percent(u32),
    #[error("number {value} is out of range {min} to {max}")]
    Number { value: i64, min: i64, max: i64 },
    /// An answer of another kind than the question's.
    #[error("this question takes a \"{0}\" answer")]
    Kind(&'static str),
}

/// Why `answer` does not fit `question`, if it does not.
pub fn check_answer(question: &Question, answer: &Answer) -> Result<(), AnswerError> {
    let within = |what: &'static str, value: u32, n: usize| {
        if (value as usize) < n {
            Ok(())
        } else {
            Err(AnswerError::OutOfRange {
                what,
                value,
                last: n.saturating_sub(1),
            })
        }
    };
    match (*answer, &question.kind) {
        (Answer::Abstain { .. }, _) if question.abstain.is_empty() => Err(AnswerError::NoAbstain),
        (Answer::Abstain { option }, _) => within("option", option, question.abstain.len()),
        (Answer::Choice { option }, QuestionKind::Choice { options }) => {
            within("option", option, options.len())
        }
        (Answer::Scale { point }, QuestionKind::Scale { points }) => {
            within("point", point, points.len())
        }
        (Answer::Percent { value }, QuestionKind::Percent) if value > 100 => {
            Err(AnswerError::Percent(value))
        }
        (Answer::Percent { .. }, QuestionKind::Percent) => Ok(()),
        (Answer::Number { value }, QuestionKind::Number { min, max, .. }) => {
            if (*min..=*max).contains(&value) {
                Ok(())
            } else {
                Err(AnswerError::Number {
                    value,
                    min: *min,
                    max: *max,
                })
            }
        }
        (_, kind) => Err(AnswerError::Kind(kind.name())),
    }
}

/// Running counts for one question, kept up to date as answers arrive and change, so a
/// tally costs O(options), not O(answers).
#[derive(Debug, Clone, Default)]
pub struct RunningCounts {
    abstained: Vec<u32>,
    /// Per option, per scale point, or per percent value 0..=100.
    by_index: Vec<u32>,
    /// Per value, for number questions.
    by_number: BTreeMap<i64, u32>,
}

impl RunningCounts {
    pub fn new(question: &Question) -> Self {
        let slots = match &question.kind {
            QuestionKind::Choice { options } => options.len(),
            QuestionKind::Scale { points } => points.len(),
            QuestionKind::Percent => 101,
            QuestionKind::Number { .. } => 0,
        };
        RunningCounts {
            abstained: vec![0; question.abstain.len()],
            by_index: vec![0; slots],
            by_number: BTreeMap::new(),
        }
    }

    /// Counts `answer` in (`add`) or out (an answer replaced).
    pub fn change(&mut self, answer: &Answer, add: bool) {
        let slot = match *answer {
            Answer::Abstain { option } => &mut self.abstained[option as usize],
            Answer::Choice { option } => &mut self.by_index[option as usize],
            Answer::Scale { point } => &mut self.by_index[point as usize],
            Answer::Percent { value } => &mut self.by_index[value as usize],
            Answer::Number { value } => self.by_number.entry(value).or_insert(0),
        };
        if add {
            *slot += 1;
        } else {
            *slot -= 1;
        }
        if let Answer::Number { value } = answer
            && self.by_number.get(value) == Some(&0)
        {
            self.by_number.remove(value);
        }
    }

    /// The counts as the wire carries them, with the mean and median of a percent or
    /// number question.
    pub fn result(&self, question: &Question) -> TallyResult {
        let counts = self;
        TallyResult {
            abstained: counts.abstained.clone(),
            distribution: match &question.kind {
                QuestionKind::Choice { .. } => Distribution::Choice {
                    counts: counts.by_index.clone(),
                },
                QuestionKind::Scale { .. } => Distribution::Scale {
                    counts: counts.by_index.clone(),
                },
                QuestionKind::Percent => {
                    let pairs: Vec<(i64, u32)> = counts
                        .by_index
                        .iter()
                        .enumerate()
                        .map(|(value, &count)| (value as i64, count))
                        .collect();
                    let summary = results::summarize(&pairs);
                    Distribution::Percent {
                        counts: counts.by_index.clone(),
                        mean: summary.as_ref().map(|s| s.mean),
                        median: summary.as_ref().map(|s| s.median),
                    }
                }
                QuestionKind::Number { .. } => {
                    let pairs: Vec<(i64, u32)> =
                        counts.by_number.iter().map(|(&v, &c)| (v, c)).collect();
                    let summary = results::summarize(&pairs);
                    Distribution::Number {
                        values: counts
                            .by_number
                            .iter()
                            .map(|(&value, &count)| ValueCount { value, count })
                            .collect(),
                        mean: summary.as_ref().map(|s| s.mean),
                        median: summary.as_ref().map(|s| s.median),
                    }
                }
            },
        }
    }
}

/// The counts of `answers` to `question`, skipping any that do not fit it: a finished
/// session's question, for pooling and reports.
pub fn tally<'a>(
    question: &Question,
    answers: impl IntoIterator<Item = &'a Answer>,
) -> TallyResult {
    let mut counts = RunningCounts::new(question);
    for answer in answers {
        if check_answer(question, answer).is_ok() {
            counts.change(answer, true);
        }
    }
    counts.result(question)
}

/// What a finished session holds of one question, for figures across sessions (the
/// overview, follow-ups, exchange files).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answered {
    /// The counts of its answers.
    Counts(TallyResult),
    /// Answered, but by fewer than its class's minimum: the computer the session was
    /// imported from withheld the counts (`docs/exchange.md`). Never made from a session
    /// stored here.
    TooFew,
}

/// Per question id, what was answered; a question nobody answered is absent.
pub type Tallies = BTreeMap<String, Answered>;

/// The counts of every question of `set` that has an answer among `answers` (question
/// id, answer).
pub fn tallies<'a>(
    set: &crate::questions::QuestionSet,
    answers: impl IntoIterator<Item = (&'a str, &'a Answer)>,
) -> Tallies {
    let mut by_question: BTreeMap<&str, Vec<&Answer>> = BTreeMap::new();
    for (question, answer) in answers {
        by_question.entry(question).or_default().push(answer);
    }
    set.questions
        .iter()
        .filter_map(|question| {
            let answers = by_question.get(question.id.as_str())?;
            Some((
                question.id.clone(),
                Answered::Counts(tally(question, answers.iter().copied())),
            ))
        })
        .collect()
}
