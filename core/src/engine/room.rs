//! What the room has seen: the figures of each question as the projector and the console
//! last showed them, and the rule that they change only by at least k answers at a time
//! (`docs/results.md`, "What the room sees").
//!
//! The anonymity minimum k protects a small group; this protects a small *change*. A
//! latecomer's answer, or one pupil's *Skift svar*, moves a bar the class is looking at
//! and tells everyone what that one person answered. So the room's figures are a
//! snapshot, taken when the room may see the question, and taken again only once at
//! least k participants' answers differ from the ones behind it. Until then the room
//! keeps the figures it saw, with the number of newer answers waiting. Reports, read by
//! the facilitator alone afterwards, use the final counts (`Engine::counts_of`).

use std::collections::{HashMap, HashSet};

use pejling_wire::{Answer, TallyResult, Waiting};

use super::{Engine, ParticipantKey};
use crate::results;

/// The room's side of one question.
#[derive(Debug, Clone, Default)]
pub(super) struct RoomView {
    /// Each participant's answer behind the figures the room last saw.
    seen: HashMap<ParticipantKey, Answer>,
    /// Participants whose answer is not the one behind those figures: answered since, or
    /// changed since (and not changed back).
    newer: HashSet<ParticipantKey>,
    /// Newer answers from before a restart, which the store does not know one by one:
    /// counted in the note, never towards a release (so a release always rests on at
    /// least k changes the engine saw itself).
    carried: u32,
}

impl Engine {
    /// Keeps the room's view of question `idx` in step with an answer just applied.
    pub(super) fn note_answer(&mut self, idx: usize, key: ParticipantKey, answer: Answer) {
        let room = &mut self.room[idx];
        if room.seen.get(&key) == Some(&answer) {
            room.newer.remove(&key);
        } else {
            room.newer.insert(key);
        }
    }

    /// Takes a new snapshot of question `idx` for the room if the room may see it now and
    /// the rule allows: at least k answers differ from the last snapshot (the first
    /// snapshot: at least k answers) and at least k answers are not abstentions. Returns
    /// whether it did.
    pub(super) fn release(&mut self, idx: usize) -> bool {
        let k = self.thresholds.min_answers.max(1) as usize;
        if self.room[idx].newer.len() < k || self.is_hidden(idx) {
            return false;
        }
        let current = self.counts_of(idx);
        let respondents = results::Counts {
            question: &self.set.questions[idx],
            result: &current,
        }
        .respondents();
        if matches!(
            results::threshold(respondents, &self.thresholds, || ()),
            results::Shown::TooFew { .. }
        ) {
            return false;
        }
        self.progress.shown[idx] = Some(current);
        // Only the newer answers differ from the ones behind the last snapshot, so a
        // release costs O(newer), not O(participants).
        let room = &mut self.room[idx];
        let answers = &self.answers[idx];
        for key in room.newer.drain() {
            if let Some(answer) = answers.get(&key) {
                room.seen.insert(key, *answer);
            }
        }
        room.carried = 0;
        true
    }

    /// Releases every question the rule allows (after a step that may have made one
    /// visible); whether any changed.
    pub(super) fn release_all(&mut self) -> bool {
        let mut any = false;
        for idx in 0..self.set.questions.len() {
            any |= self.release(idx);
        }
        any
    }

    /// After a restart: the room's stored snapshots, the current answers taken as the
    /// ones behind them (the store keeps answers, not their history), and newer answers
    /// estimated from the counts for the note.
    pub(super) fn restore_room(&mut self) {
        for idx in 0..self.set.questions.len() {
            let Some(shown) = &self.progress.shown[idx] else {
                continue;
            };
            let answered = self.answers[idx].len() as u32;
            let current = self.counts_of(idx);
            let carried = answered
                .saturating_sub(answers_in(shown))
                .max(u32::from(*shown != current));
            let room = &mut self.room[idx];
            room.seen = self.answers[idx].clone();
            room.newer.clear();
            room.carried = carried;
        }
    }

    /// The counts of question `idx` as the room may see them: the last snapshot, or, if
    /// the room has seen none, the current counts (then below the minimum, or hidden, so
    /// that nothing of the split reaches the room: every caller applies the minimum and
    /// the reveal rules to them).
    pub(super) fn room_counts_of(&self, idx: usize) -> TallyResult {
        match &self.progress.shown[idx] {
            Some(shown) => shown.clone(),
            None => self.counts_of(idx),
        }
    }

    /// Answers to question `idx` that the room's figures do not include yet.
    pub(super) fn newer_answers(&self, idx: usize) -> u32 {
        if self.progress.shown[idx].is_none() {
            return 0;
        }
        let room = &self.room[idx];
        room.newer.len() as u32 + room.carried
    }

    /// The note beside figures that leave newer answers out: how many, and how many it
    /// takes to update them. `questions` are the ones whose figures are shown.
    pub(super) fn waiting(&self, questions: impl IntoIterator<Item = usize>) -> Option<Waiting> {
        let answers: u32 = questions.into_iter().map(|i| self.newer_answers(i)).sum();
        (answers > 0).then(|| Waiting {
            answers,
            needed: self.thresholds.min_answers.max(1),
        })
    }
}

/// How many answers (abstentions included) a tally counts.
fn answers_in(result: &TallyResult) -> u32 {
    let given: u32 = match &result.distribution {
        pejling_wire::Distribution::Choice { counts }
        | pejling_wire::Distribution::Scale { counts }
        | pejling_wire::Distribution::Percent { counts, .. } => counts.iter().sum(),
        pejling_wire::Distribution::Number { values, .. } => values.iter().map(|v| v.count).sum(),
    };
    given + result.abstained.iter().sum::<u32>()
}

#[cfg(test)]
mod tests;
