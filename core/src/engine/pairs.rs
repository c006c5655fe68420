//! Pairs and the reveal order: the comparison of a question that perceives another (with
//! its own question in this set, or pooled from linked pupil sessions), the chart the
//! screen may draw of it at its reveal step, and the one rule of what is hidden when.

use pejling_wire::{Hidden, QuestionStatus, TallyResult};

use super::{Engine, STEP_ACTUAL, STEP_COMPLETE};
use crate::chart;
use crate::pooling;
use crate::questions::Question;
use crate::results::{self, PairResult};

/// Which counts a comparison is built from: the final ones (reports) or the ones the room
/// may see (`room.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Figures {
    Final,
    Room,
}

impl Engine {
    /// The whole comparison for question `idx` if it perceives another question and has
    /// been revealed to its last step. Groups below the anonymity minimum come back as
    /// `TooFew`.
    pub fn pair_result(&self, idx: usize) -> Option<PairResult> {
        if self.step(idx) < STEP_COMPLETE {
            return None;
        }
        self.pair_with_actual(idx, Figures::Final)
            .map(|(pair, _)| pair)
    }

    /// The pair result and the actual question it compares with (from this set, or as a
    /// linked pupil session used it), whatever has been revealed: for reports (the final
    /// counts) and for the reveal steps (the room's), which show only part of it.
    pub(super) fn pair_with_actual(
        &self,
        idx: usize,
        figures: Figures,
    ) -> Option<(PairResult, Question)> {
        let counts_of = |i| match figures {
            Figures::Final => self.counts_of(i),
            Figures::Room => self.room_counts_of(i),
        };
        let perceived = self.set.questions.get(idx)?;
        let perceives = perceived.perceives.as_ref()?;
        let (actual, actual_counts, groups) = match &perceives.set {
            Some(set_id) => {
                let (question, pooled, uses) = pooling::pool(
                    &self.linked,
                    set_id,
                    &perceives.question,
                    self.thresholds.min_answers,
                )?;
                (question, pooled, uses)
            }
            None => {
                let actual_idx = self.set.question_index(&perceives.question)?;
                (
                    self.set.questions[actual_idx].clone(),
                    counts_of(actual_idx),
                    Vec::new(),
                )
            }
        };
        let perceived_counts = counts_of(idx);
        let comparison = results::compare(
            &results::Counts {
                question: &actual,
                result: &actual_counts,
            },
            &results::Counts {
                question: perceived,
                result: &perceived_counts,
            },
            &perceives.options,
            &self.thresholds,
        );
        Some((
            PairResult {
                actual_question: perceives.question.clone(),
                perceived_question: perceived.id.clone(),
                comparison,
                references: perceived.references.clone(),
                groups,
            },
            actual,
        ))
    }

    /// The actual question a pair compares with, for charts and reports.
    pub fn pair_for_report(&self, idx: usize) -> Option<(PairResult, Question)> {
        self.pair_with_actual(idx, Figures::Final)
    }

    /// What the screen may draw for question `id` now (`GET /chart/…`): the comparison of
    /// a perceiving question up to its reveal step, else its distribution; `None` for an
    /// unknown question and while its split is hidden (see [`Engine::hidden_reason`], and
    /// below the minimum). A comparison draws a side below the minimum as "for få svar".
    pub fn screen_chart(&self, id: &str) -> Option<chart::Chart> {
        self.screen_chart_at(self.set.question_index(id)?)
    }

    /// The projector's chart of a pair at its reveal step: how the guesses scatter, with
    /// what they are compared with marked; an unordered choice pair: the rows of the
    /// report's chart, up to the step.
    pub(super) fn pair_chart_at(
        &self,
        idx: usize,
        question: &Question,
        pair: &PairResult,
        actual: &Question,
    ) -> chart::Chart {
        let step = self.step(idx);
        chart::guess_strip(
            pair,
            question,
            &self.room_counts_of(idx),
            step,
            self.set.language,
        )
        .unwrap_or_else(|| {
            chart::at_step(
                chart::pair_chart(actual, question, pair, self.set.language),
                step,
            )
        })
    }

    pub(super) fn screen_chart_at(&self, idx: usize) -> Option<chart::Chart> {
        let question = &self.set.questions[idx];
        if self.is_hidden(idx) {
            return None;
        }
        if question.perceives.is_some() {
            let (pair, actual) = self.pair_with_actual(idx, Figures::Room)?;
            return Some(self.pair_chart_at(idx, question, &pair, &actual));
        }
        // Below the minimum the split is hidden like any other (`Hidden::TooFew`): no
        // chart, as for a question not revealed.
        let results::Shown::Yes(result) = self.room_shown(idx) else {
            return None;
        };
        let mut chart =
            chart::question_chart(question, results::Shown::Yes(&result), self.set.language);
        // The screen shows the question above the chart; the chart need not repeat it.
        chart.title.clear();
        Some(chart)
    }

    /// The counts of question `idx` if enough answers that are not abstentions have come
    /// in; the one place the anonymity minimum is applied to a question (reveal rules are
    /// the caller's). The final counts, for reports; the room's are [`Engine::room_shown`].
    pub fn shown_counts(&self, idx: usize) -> results::Shown<TallyResult> {
        self.with_minimum(idx, self.counts_of(idx))
    }

    /// The counts of question `idx` as the room may see them (`room.rs`), with the
    /// anonymity minimum applied.
    pub(super) fn room_shown(&self, idx: usize) -> results::Shown<TallyResult> {
        self.with_minimum(idx, self.room_counts_of(idx))
    }

    fn with_minimum(&self, idx: usize, result: TallyResult) -> results::Shown<TallyResult> {
        let respondents = results::Counts {
            question: &self.set.questions[idx],
            result: &result,
        }
        .respondents();
        results::threshold(respondents, &self.thresholds, || result)
    }

    /// Why the split of question `idx` may not be shown now, if it may not. This is where
    /// the reveal order is enforced for every page and route:
    /// - a question that perceives another (the guesses) shows nothing but its count
    ///   until it is revealed, so nobody's guess is anchored by the others';
    /// - a question that another question of the set perceives (the group's real
    ///   answer) shows nothing until that comparison's second step reveals it, so
    ///   nobody sees the answer before guessing;
    /// - a sensitive question, and any question opened again after it was answered (for
    ///   a latecomer), shows nothing until it is revealed (again).
    pub(super) fn hidden_reason(&self, idx: usize) -> Option<Hidden> {
        let question = &self.set.questions[idx];
        let revealed = self.progress.statuses[idx] == QuestionStatus::Revealed;
        if question.perceives.is_some() && !revealed {
            return Some(Hidden::UntilReveal);
        }
        let mut perceivers = self.perceivers_of(idx).peekable();
        if perceivers.peek().is_some() {
            let mut perceivers = perceivers;
            return if perceivers.any(|p| self.step(p) >= STEP_ACTUAL) {
                None
            } else {
                Some(Hidden::UntilComparison)
            };
        }
        let reopened = self.progress.reopened[idx];
        ((question.sensitive || reopened) && !revealed).then_some(Hidden::UntilReveal)
    }

    pub(super) fn is_hidden(&self, idx: usize) -> bool {
        self.hidden_reason(idx).is_some()
    }

    /// The questions of this set that perceive question `idx`.
    pub(super) fn perceivers_of(&self, idx: usize) -> impl Iterator<Item = usize> + '_ {
        let id = &self.set.questions[idx].id;
        self.set
            .questions
            .iter()
            .enumerate()
            .filter(move |(_, q)| {
                q.perceives
                    .as_ref()
                    .is_some_and(|p| p.set.is_none() && &p.question == id)
            })
            .map(|(i, _)| i)
    }

    /// The reveal step question `idx` has reached (0: nothing revealed).
    pub fn step(&self, idx: usize) -> u32 {
        if self.progress.statuses[idx] == QuestionStatus::Revealed {
            self.progress.steps[idx].max(1)
        } else {
            0
        }
    }
}
