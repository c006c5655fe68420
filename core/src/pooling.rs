//! Parent evenings: a parents' session linked to finished pupil sessions (e.g. 7.a and
//! 7.b). A parents' question that perceives a pupil question (`perceives = { set = …,
//! question = … }`) is compared with the pupils' actual aggregate, pooled over the
//! linked sessions.
//!
//! Anonymity is applied per linked group first: a class with fewer answers than the
//! minimum is left out of the pool entirely (and named as left out), so a small class
//! cannot be read off the difference between two pools; the pool itself must then
//! reach the minimum too. Plain data in, plain data out: loading the linked sessions is
//! the caller's job.

use std::collections::BTreeMap;

use pejling_wire::{Answer, Distribution, TallyResult, ValueCount};

use crate::counts;
use crate::questions::{Question, QuestionKind, QuestionSet};
use crate::results::{Counts, GroupUse};

/// One linked pupil session's counts for one cited question.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedGroup {
    pub session_id: String,
    /// The session's label, or its join code when it has none.
    pub name: String,
    pub set_id: String,
    /// The cited question as that session used it.
    pub question: Question,
    pub result: TallyResult,
}

/// A finished pupil session as pooling needs it: its name, set and answers.
#[derive(Debug, Clone)]
pub struct LinkedSession {
    pub id: String,
    /// The session's label, or its join code when it has none.
    pub name: String,
    pub created_at: i64,
    pub set: QuestionSet,
    /// Question id and answer, one per participant and question.
    pub answers: Vec<(String, Answer)>,
}

/// The counts of every question that `set` cites, from each linked session whose set is
/// the cited one.
/// Groups come in the order of their names (labels such as "7.a", "7.b").
pub fn groups_for<L: Into<LinkedSession>>(
    set: &QuestionSet,
    linked: impl IntoIterator<Item = L>,
) -> Vec<LinkedGroup> {
    let mut linked: Vec<LinkedSession> = linked.into_iter().map(Into::into).collect();
    linked.sort_by(|a, b| (&a.name, a.created_at).cmp(&(&b.name, b.created_at)));
    let mut groups = Vec::new();
    for session in linked {
        let cited = set
            .questions
            .iter()
            .filter_map(|q| q.perceives.as_ref())
            .filter(|p| p.set.as_deref() == Some(session.set.id.as_str()))
            .map(|p| p.question.as_str());
        for question_id in cited {
            let Some(question) = session.set.question(question_id) else {
                continue;
            };
            let answers = session
                .answers
                .iter()
                .filter(|(id, _)| id == question_id)
                .map(|(_, answer)| answer);
            groups.push(LinkedGroup {
                session_id: session.id.clone(),
                name: session.name.clone(),
                set_id: session.set.id.clone(),
                question: question.clone(),
                result: counts::tally(question, answers),
            });
        }
    }
    groups
}

/// Pools the groups of `question_id` in `set_id` that reach `min_answers` on their own.
/// Returns the question (as the first included group used it), the pooled counts and how
/// each group was used; `None` if no group has that question.
pub fn pool(
    groups: &[LinkedGroup],
    set_id: &str,
    question_id: &str,
    min_answers: u32,
) -> Option<(Question, TallyResult, Vec<GroupUse>)> {
    let candidates: Vec<&LinkedGroup> = groups
        .iter()
        .filter(|g| g.set_id == set_id && g.question.id == question_id)
        .collect();
    let first = *candidates.first()?;
    let question = first.question.clone();
    let mut included_results = Vec::new();
    let mut uses = Vec::new();
    for group in candidates {
        let answers = Counts {
            question: &group.question,
            result: &group.result,
        }
        .respondents();
        let compatible = same_shape(&question, &group.question);
        let included = compatible && answers >= min_answers.max(1);
        uses.push(GroupUse {
            name: group.name.clone(),
            answers,
            included,
        });
        if included {
            included_results.push(&group.result);
        }
    }
    let pooled = sum(included_results).unwrap_or_else(|| empty_like(&first.result));
    Some((question, pooled, uses))
}

/// The counts of several groups of one question added up, as a pool holds them (means
/// and medians are left to the results, which compute them from the counts); `None` for
/// no groups. The groups must count the same way ([`same_shape`]).
pub fn sum<'a>(results: impl IntoIterator<Item = &'a TallyResult>) -> Option<TallyResult> {
    results.into_iter().fold(None, |pooled, result| {
        Some(match pooled {
            None => result.clone(),
            Some(pooled) => add(&pooled, result),
        })
    })
}

/// Whether two versions of a question count the same way (a set may have been edited
/// between two class sessions).
pub fn same_shape(a: &Question, b: &Question) -> bool {
    match (&a.kind, &b.kind) {
        (QuestionKind::Choice { options: x }, QuestionKind::Choice { options: y })
        | (QuestionKind::Scale { points: x }, QuestionKind::Scale { points: y }) => {
            x.len() == y.len()
        }
        (QuestionKind::Percent, QuestionKind::Percent) => true,
        (QuestionKind::Number { .. }, QuestionKind::Number { .. }) => true,
        _ => false,
    }
}

fn add_vec(a: &[u32], b: &[u32]) -> Vec<u32> {
    (0..a.len().max(b.len()))
        .map(|i| a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0))
        .collect()
}

fn add(a: &TallyResult, b: &TallyResult) -> TallyResult {
    let distribution = match (&a.distribution, &b.distribution) {
        (Distribution::Choice { counts: x }, Distribution::Choice { counts: y }) => {
            Distribution::Choice {
                counts: add_vec(x, y),
            }
        }
        (Distribution::Scale { counts: x }, Distribution::Scale { counts: y }) => {
            Distribution::Scale {
                counts: add_vec(x, y),
            }
        }
        (Distribution::Percent { counts: x, .. }, Distribution::Percent { counts: y, .. }) => {
            Distribution::Percent {
                counts: add_vec(x, y),
                mean: None,
                median: None,
            }
        }
        (Distribution::Number { values: x, .. }, Distribution::Number { values: y, .. }) => {
            let mut merged: BTreeMap<i64, u32> = BTreeMap::new();
            for v in x.iter().chain(y) {
                *merged.entry(v.value).or_default() += v.count;
            }
            Distribution::Number {
                values: merged
                    .into_iter()
                    .map(|(value, count)| ValueCount { value, count })
                    .collect(),
                mean: None,
                median: None,
            }
        }
        // Shapes were checked before pooling.
        (other, _) => other.clone(),
    };
    TallyResult {
        abstained: add_vec(&a.abstained, &b.abstained),
        distribution,
    }
}

fn empty_like(result: &TallyResult) -> TallyResult {
    let zero = |v: &[u32]| vec![0; v.len()];
    TallyResult {
        abstained: zero(&result.abstained),
        distribution: match &result.distribution {
            Distribution::Choice { counts } => Distribution::Choice {
                counts: zero(counts),
            },
            Distribution::Scale { counts } => Distribution::Scale {
                counts: zero(counts),
            },
            Distribution::Percent { counts, .. } => Distribution::Percent {
                counts: zero(counts),
                mean: None,
                median: None,
            },
            Distribution::Number { .. } => Distribution::Number {
                values: Vec::new(),
                mean: None,
                median: None,
            },
        },
    }
}

#[cfg(test)]
mod tests;
