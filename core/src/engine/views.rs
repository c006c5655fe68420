//! What each kind of connection is told, as wire messages: a participant's state (the
//! current question and whether its own device answered, never anyone's answer), the
//! session state and tally for staff, and what is revealed of a question.

use pejling_wire::{
    Hidden, ParticipantState, Phase, QuestionKindView, QuestionSummary, QuestionTally,
    QuestionView, RevealView, SessionInfo, SessionState, Tally,
};

use super::pairs::Figures;
use super::{Engine, STEP_ACTUAL, reveal_steps_of};
use crate::questions::QuestionKind;
use crate::{results, reveal};

impl Engine {
    pub fn participant_state(&self, answered: bool) -> ParticipantState {
        let phase = self.phase();
        let question = match phase {
            Phase::Lobby | Phase::Ended => None,
            _ => self.progress.current.map(|idx| self.question_view(idx)),
        };
        ParticipantState {
            phase,
            answered: answered && question.is_some(),
            question,
        }
    }

    pub fn session_info(&self) -> SessionInfo {
        SessionInfo {
            id: self.meta.id.clone(),
            code: self.meta.code.clone(),
            label: self.meta.label.clone(),
            description: self.meta.description.clone(),
            set_id: self.set.id.clone(),
            set_title: self.set.title.clone(),
            audience: self.set.audience,
            language: self.set.language.code().to_string(),
            created_at: self.meta.created_at,
            join_url: self.join_url.clone(),
            screen_token: Some(self.meta.screen_token.clone()),
            facilitator_note: self.set.facilitator_note.clone(),
            rehearsal: self.meta.rehearsal,
        }
    }

    pub fn session_state(&self) -> SessionState {
        SessionState {
            session: self.session_info(),
            phase: self.phase(),
            current: self.progress.current.map(|idx| self.question_view(idx)),
            questions: self
                .set
                .questions
                .iter()
                .zip(&self.progress.statuses)
                .map(|(question, status)| QuestionSummary {
                    id: question.id.clone(),
                    text: question.text.clone(),
                    status: *status,
                })
                .collect(),
            reveal_step: self.progress.current.map_or(0, |idx| self.step(idx)),
            reveal_steps: self
                .progress
                .current
                .map_or(0, |idx| reveal_steps_of(&self.set.questions[idx])),
            next_action: self.next_action(),
            back_action: self.back_action(),
            has_national: self
                .progress
                .current
                .is_some_and(|idx| !self.set.questions[idx].references.is_empty()),
            compares_linked: self.progress.current.is_some_and(|idx| {
                self.set.questions[idx]
                    .perceives
                    .as_ref()
                    .is_some_and(|p| p.set.is_some())
            }),
        }
    }

    pub fn question_view(&self, idx: usize) -> QuestionView {
        let question = &self.set.questions[idx];
        QuestionView {
            id: question.id.clone(),
            index: idx as u32,
            count: self.set.questions.len() as u32,
            text: question.text.clone(),
            kind: match &question.kind {
                QuestionKind::Choice { options } => QuestionKindView::Choice {
                    options: options.clone(),
                },
                QuestionKind::Percent => QuestionKindView::Percent,
                QuestionKind::Number { min, max, unit } => QuestionKindView::Number {
                    min: *min,
                    max: *max,
                    unit: unit.clone(),
                },
                QuestionKind::Scale { points } => QuestionKindView::Scale {
                    points: points.clone(),
                },
            },
            abstain: question.abstain.clone(),
            sensitive: question.sensitive,
        }
    }

    /// Counts for staff, as the room may see them (`room.rs`). The split of a sensitive
    /// question is left out until revealed.
    pub fn tally(&self) -> Tally {
        Tally {
            session_id: self.meta.id.clone(),
            participants: self.participants.len() as u32,
            connected: self.connected.len() as u32,
            clickers: self.clickers.len() as u32,
            question: self.progress.current.map(|idx| self.question_tally(idx)),
            bridges: self.bridges.values().cloned().collect(),
        }
    }

    /// Answers stored for question `idx` (abstentions included).
    pub fn answered(&self, idx: usize) -> u32 {
        self.answers[idx].len() as u32
    }

    pub fn question_tally(&self, idx: usize) -> QuestionTally {
        let question = &self.set.questions[idx];
        let (result, hidden) = match self.hidden_reason(idx) {
            Some(reason) => (None, Some(reason)),
            None => match self.room_shown(idx) {
                results::Shown::Yes(result) => (Some(result), None),
                results::Shown::TooFew { needed, .. } => (None, Some(Hidden::TooFew { needed })),
            },
        };
        // The figures on show leave out answers newer than the room's snapshot: this
        // question's, and for a comparison past its second step its own question's.
        let waiting = if hidden.is_some() && self.step(idx) == 0 {
            None
        } else {
            let actual = (self.step(idx) >= STEP_ACTUAL)
                .then(|| {
                    let perceives = question.perceives.as_ref()?;
                    perceives
                        .set
                        .is_none()
                        .then(|| self.set.question_index(&perceives.question))?
                })
                .flatten();
            self.waiting(std::iter::once(idx).chain(actual))
        };
        QuestionTally {
            question_id: question.id.clone(),
            answered: self.answers[idx].len() as u32,
            result,
            hidden,
            reveal: self.reveal_view(idx),
            waiting,
        }
    }

    /// What is revealed of question `idx` beyond its split, at its current step: the
    /// comparison of a question that perceives another, or the national figures of any
    /// other revealed question that cites some. `None` while nothing is revealed.
    pub fn reveal_view(&self, idx: usize) -> Option<RevealView> {
        let step = self.step(idx);
        if step == 0 {
            return None;
        }
        let question = &self.set.questions[idx];
        // The pair is pooled once per tally (for a parents' session, across classes) and
        // serves both the figures and the chart's key.
        match (
            question.perceives.is_some(),
            self.pair_with_actual(idx, Figures::Room),
        ) {
            (_, Some((pair, actual))) => {
                let chart = self.pair_chart_at(idx, question, &pair, &actual);
                Some(reveal::pair_view(
                    &actual,
                    question,
                    &pair,
                    step,
                    self.set.language,
                    Some(chart.key()),
                ))
            }
            // A parents' question whose pupils' session is not linked: the same steps,
            // with the pupils' side said to be missing.
            (true, None) => Some(reveal::unlinked_view(
                question,
                &self.room_counts_of(idx),
                step,
                self.thresholds.min_answers,
                self.set.language,
            )),
            (false, None) if question.references.is_empty() => None,
            (false, None) => Some(reveal::references_view(
                &question.references,
                self.set.language,
                self.screen_chart_at(idx).map(|chart| chart.key()),
            )),
        }
    }
}
