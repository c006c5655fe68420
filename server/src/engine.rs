//! The session engine: one running session as plain data. Events go in, state changes
//! and [`Effect`]s (messages to send, data to store) come out.
//!
//! It knows nothing about axum, SQL or sockets. Connections are opaque [`ConnId`]s, storage
//! is an [`Effect::Store`] whose completion comes back as [`Event::Stored`]; only then is
//! an answer counted and acknowledged, so an acknowledged answer is always durable.
//! Randomness (new participant tokens) is passed in, so the engine is deterministic and
//! can be tested with tables of events.
//!
//! What a participant learns is limited on purpose: the current question and whether its
//! own device has answered, never anyone's answer. Staff (facilitator and screens) get
//! counts; on a sensitive question the split stays hidden until it is revealed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use pejling_wire::{
    Action, Answer, Distribution, ErrorCode, Hidden, PROTOCOL_VERSION, ParticipantState, Phase,
    QuestionKindView, QuestionStatus, QuestionSummary, QuestionTally, QuestionView, RevealView,
    Role, ServerMessage, SessionInfo, SessionState, Tally, TallyResult, ValueCount,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::charts;
use crate::links::{self, LinkedGroup};
use crate::questions::{Question, QuestionKind, QuestionSet};
use crate::results::{self, PairResult, Thresholds};
use crate::reveal;

/// Identifies one connection within the server; assigned by the network edge.
pub type ConnId = u64;

/// Reveal steps of a question that perceives another: first the guesses, then the group's
/// real answer, then the national figures and the verdict.
pub const STEP_GUESSES: u32 = 1;
pub const STEP_ACTUAL: u32 = 2;
pub const STEP_COMPLETE: u32 = 3;

/// How many reveal steps a question has: three for one that perceives another, one for
/// the rest.
pub fn reveal_steps_of(question: &Question) -> u32 {
    if question.perceives.is_some() {
        STEP_COMPLETE
    } else {
        1
    }
}

/// SHA-256 of a participant token: what the server stores and keys answers by. The token
/// itself is only ever known to the device.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantKey(pub [u8; 32]);

impl ParticipantKey {
    pub fn of_token(token: &str) -> Self {
        ParticipantKey(Sha256::digest(token.as_bytes()).into())
    }
}

impl std::fmt::Debug for ParticipantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParticipantKey({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

/// The facts about a session that never change after it is created.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionMeta {
    pub id: String,
    pub code: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub screen_token: String,
}

/// Where the session stands; stored after every change.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Progress {
    pub current: Option<usize>,
    pub statuses: Vec<QuestionStatus>,
    pub ended: bool,
    /// Per question, how many reveal steps the facilitator has shown (0 unless the
    /// question is `Revealed`). Stored sessions from before reveal steps have none; a
    /// revealed question among them counts as fully revealed.
    #[serde(default)]
    pub steps: Vec<u32>,
}

impl Progress {
    pub fn new(n_questions: usize) -> Self {
        Progress {
            current: None,
            statuses: vec![QuestionStatus::Pending; n_questions],
            ended: false,
            steps: vec![0; n_questions],
        }
    }

    pub fn phase(&self) -> Phase {
        if self.ended {
            return Phase::Ended;
        }
        match self.current.and_then(|idx| self.statuses.get(idx)) {
            None => Phase::Lobby,
            Some(QuestionStatus::Open) => Phase::Open,
            Some(QuestionStatus::Revealed) => Phase::Revealed,
            Some(QuestionStatus::Closed | QuestionStatus::Pending) => Phase::Closed,
        }
    }
}

/// A staff role that watches a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staff {
    Facilitator,
    Screen,
    /// A screen opened with the host token (from the console): it watches like a screen
    /// and may also control the session, so a facilitator can run the session from the
    /// projector window with a presentation remote.
    HostScreen,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A device asks to join; `token` is the one it was given before, if any;
    /// `fresh_token` is used if it turns out to be new.
    Join {
        conn: ConnId,
        token: Option<String>,
        fresh_token: String,
        /// A clicker device (through a bridge) rather than a phone.
        clicker: bool,
        /// Whether the device may become a new participant (false when its address has
        /// added too many); rejoining with a known token is always allowed.
        may_create: bool,
    },
    /// A bridge's status for the facilitator's tally (`None` when it detaches).
    Bridge {
        conn: ConnId,
        status: Option<pejling_wire::BridgeStatus>,
    },
    /// A facilitator or screen starts watching (authentication is done by the caller).
    Watch {
        conn: ConnId,
        staff: Staff,
    },
    /// A connection closed.
    Leave {
        conn: ConnId,
    },
    Submit {
        conn: ConnId,
        question_id: String,
        answer: Answer,
    },
    Control {
        conn: ConnId,
        action: Action,
    },
    /// A [`Write`] finished: committed (`Ok`) or failed.
    Stored {
        write: Write,
        result: Result<(), String>,
    },
}

/// Data the engine needs stored before it goes on.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Participant {
        conn: ConnId,
        key: ParticipantKey,
        token: String,
        clicker: bool,
    },
    Answer {
        conn: ConnId,
        key: ParticipantKey,
        question: usize,
        question_id: String,
        answer: Answer,
    },
    Progress(Progress),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send {
        conn: ConnId,
        message: ServerMessage,
    },
    /// The participant state to every joined participant connection: `answered` to the
    /// connections in `answered_conns`, `unanswered` to the rest.
    ToParticipants {
        unanswered: Box<ServerMessage>,
        answered: Box<ServerMessage>,
        answered_conns: HashSet<ConnId>,
    },
    ToStaff(ServerMessage),
    /// Counts changed; the caller sends [`Engine::tally`] to staff at a bounded rate.
    TallyChanged,
    Store(Write),
    /// A write to try again after a pause: the session's progress, which phones were
    /// already shown, must become durable once the disk takes writes again.
    StoreLater(Write),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnRole {
    /// Joining; waits for its participant record to be stored.
    Joining,
    Participant(ParticipantKey),
    Staff(Staff),
}

/// Running counts for one question, kept up to date as answers arrive and change, so a
/// tally costs O(options), not O(answers).
#[derive(Debug, Clone, Default)]
struct Counts {
    abstained: Vec<u32>,
    /// Per option, per scale point, or per percent value 0..=100.
    by_index: Vec<u32>,
    /// Per value, for number questions.
    by_number: BTreeMap<i64, u32>,
}

impl Counts {
    fn new(question: &Question) -> Self {
        let slots = match &question.kind {
            QuestionKind::Choice { options } => options.len(),
            QuestionKind::Scale { points } => points.len(),
            QuestionKind::Percent => 101,
            QuestionKind::Number { .. } => 0,
        };
        Counts {
            abstained: vec![0; question.abstain.len()],
            by_index: vec![0; slots],
            by_number: BTreeMap::new(),
        }
    }

    fn change(&mut self, answer: &Answer, add: bool) {
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
}

/// One running session.
#[derive(Debug)]
pub struct Engine {
    meta: SessionMeta,
    set: Arc<QuestionSet>,
    progress: Progress,
    participants: HashSet<ParticipantKey>,
    answers: Vec<HashMap<ParticipantKey, Answer>>,
    counts: Vec<Counts>,
    conns: HashMap<ConnId, ConnRole>,
    /// Open connections per participant, for the "connected" count.
    connected: HashMap<ParticipantKey, u32>,
    /// The link phones open to join; depends on the server's address, so it is set by
    /// whoever runs the engine and never stored.
    join_url: String,
    /// When results are shown and how findings are named; the anonymity minimum is the
    /// set's `min_answers` if it has one, else the server's.
    thresholds: Thresholds,
    /// A parents' session: the counts of the linked pupil sessions.
    linked: Vec<LinkedGroup>,
    /// Participants that answer with clicker devices.
    clickers: HashSet<ParticipantKey>,
    /// Attached clicker bridges, by their connection.
    bridges: BTreeMap<ConnId, pejling_wire::BridgeStatus>,
    /// The last progress write failed; it is being tried again.
    progress_failing: bool,
}

fn error(conn: ConnId, code: ErrorCode, message: impl Into<String>) -> Vec<Effect> {
    vec![Effect::Send {
        conn,
        message: ServerMessage::Error {
            code,
            message: message.into(),
        },
    }]
}

impl Engine {
    pub fn new(meta: SessionMeta, set: Arc<QuestionSet>) -> Self {
        let progress = Progress::new(set.questions.len());
        Self::restore(meta, set, progress, Vec::new(), Vec::new())
    }

    /// Rebuilds a session from stored data. Answers to question ids the set does not have
    /// are skipped (they cannot occur with the set stored alongside).
    pub fn restore(
        meta: SessionMeta,
        set: Arc<QuestionSet>,
        mut progress: Progress,
        participants: Vec<ParticipantKey>,
        answers: Vec<(String, ParticipantKey, Answer)>,
    ) -> Self {
        progress
            .statuses
            .resize(set.questions.len(), QuestionStatus::Pending);
        if progress.steps.len() != progress.statuses.len() {
            // Stored before reveal steps existed: a revealed question was shown whole.
            progress.steps = progress
                .statuses
                .iter()
                .zip(&set.questions)
                .map(|(status, question)| match status {
                    QuestionStatus::Revealed => reveal_steps_of(question),
                    _ => 0,
                })
                .collect();
        }
        let mut engine = Engine {
            answers: vec![HashMap::new(); set.questions.len()],
            counts: set.questions.iter().map(Counts::new).collect(),
            meta,
            progress,
            participants: participants.into_iter().collect(),
            conns: HashMap::new(),
            connected: HashMap::new(),
            join_url: String::new(),
            thresholds: Thresholds {
                min_answers: set.min_answers.unwrap_or(results::DEFAULT_MIN_ANSWERS),
                ..Thresholds::default()
            },
            linked: Vec::new(),
            clickers: HashSet::new(),
            bridges: BTreeMap::new(),
            progress_failing: false,
            set,
        };
        for (question_id, key, answer) in answers {
            if let Some(idx) = engine.set.question_index(&question_id)
                && engine.check_answer(idx, &answer).is_ok()
            {
                engine.apply_answer(idx, key, answer);
            }
        }
        engine
    }

    pub fn set_join_url(&mut self, join_url: String) {
        self.join_url = join_url;
    }

    /// The server's thresholds; a set's own `min_answers` takes precedence.
    pub fn set_thresholds(&mut self, thresholds: Thresholds) {
        self.thresholds = Thresholds {
            min_answers: self.set.min_answers.unwrap_or(thresholds.min_answers),
            ..thresholds
        };
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Which stored participants answer with clicker devices.
    pub fn set_clickers(&mut self, keys: impl IntoIterator<Item = ParticipantKey>) {
        self.clickers = keys.into_iter().collect();
    }

    /// A parents' session: the linked pupil sessions' counts (see `links.rs`).
    pub fn set_linked(&mut self, groups: Vec<LinkedGroup>) {
        self.linked = groups;
    }

    pub fn linked_sessions(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.linked.iter().map(|g| g.session_id.clone()).collect();
        ids.dedup();
        ids
    }

    /// The whole comparison for question `idx` if it perceives another question and has
    /// been revealed to its last step. Groups below the anonymity minimum come back as
    /// `TooFew`.
    pub fn pair_result(&self, idx: usize) -> Option<PairResult> {
        if self.step(idx) < STEP_COMPLETE {
            return None;
        }
        self.pair_with_actual(idx).map(|(pair, _)| pair)
    }

    /// The pair result and the actual question it compares with (from this set, or as a
    /// linked pupil session used it), whatever has been revealed: for reports and for the
    /// reveal steps, which show only part of it.
    fn pair_with_actual(&self, idx: usize) -> Option<(PairResult, Question)> {
        let perceived = self.set.questions.get(idx)?;
        let perceives = perceived.perceives.as_ref()?;
        let (actual, actual_counts, groups) = match &perceives.set {
            Some(set_id) => {
                let (question, pooled, uses) = links::pool(
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
                    self.counts_of(actual_idx),
                    Vec::new(),
                )
            }
        };
        let perceived_counts = self.counts_of(idx);
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
        self.pair_with_actual(idx)
    }

    /// What the screen may draw for question `id` now (`GET /chart/…`): the comparison of
    /// a perceiving question up to its reveal step, else its distribution; `None` for an
    /// unknown question and while its split is hidden (see [`Engine::hidden_reason`]).
    /// Groups below the minimum are drawn as "for få svar".
    pub fn screen_chart(&self, id: &str) -> Option<charts::Chart> {
        self.screen_chart_at(self.set.question_index(id)?)
    }

    /// The projector's chart of a pair at its reveal step: how the guesses scatter, with
    /// what they are compared with marked; an unordered choice pair: the rows of the
    /// report's chart, up to the step.
    fn pair_chart_at(
        &self,
        idx: usize,
        question: &Question,
        pair: &PairResult,
        actual: &Question,
    ) -> charts::Chart {
        let step = self.step(idx);
        charts::guess_strip(
            pair,
            question,
            &self.counts_of(idx),
            step,
            self.set.language,
        )
        .unwrap_or_else(|| {
            charts::at_step(
                charts::pair_chart(actual, question, pair, self.set.language),
                step,
            )
        })
    }

    fn screen_chart_at(&self, idx: usize) -> Option<charts::Chart> {
        let question = &self.set.questions[idx];
        if self.is_hidden(idx) {
            return None;
        }
        if question.perceives.is_some() {
            let (pair, actual) = self.pair_with_actual(idx)?;
            return Some(self.pair_chart_at(idx, question, &pair, &actual));
        }
        let shown = self.shown_counts(idx);
        let result = match &shown {
            results::Shown::Yes(result) => results::Shown::Yes(result),
            results::Shown::TooFew { answers, needed } => results::Shown::TooFew {
                answers: *answers,
                needed: *needed,
            },
        };
        let mut chart = charts::question_chart(question, result, self.set.language);
        // The screen shows the question above the chart; the chart need not repeat it.
        chart.title.clear();
        Some(chart)
    }

    /// The counts of question `idx` if enough answers that are not abstentions have come
    /// in; the one place the anonymity minimum is applied to a question (reveal rules are
    /// the caller's).
    pub fn shown_counts(&self, idx: usize) -> results::Shown<TallyResult> {
        let result = self.counts_of(idx);
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
    /// - a sensitive question shows nothing until it is revealed.
    fn hidden_reason(&self, idx: usize) -> Option<Hidden> {
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
        (question.sensitive && !revealed).then_some(Hidden::UntilReveal)
    }

    fn is_hidden(&self, idx: usize) -> bool {
        self.hidden_reason(idx).is_some()
    }

    /// The questions of this set that perceive question `idx`.
    fn perceivers_of(&self, idx: usize) -> impl Iterator<Item = usize> + '_ {
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

    /// The natural next step for the facilitator: open, close, the next reveal step, the
    /// next question, or the end.
    pub fn next_action(&self) -> Option<Action> {
        if self.progress.ended {
            return None;
        }
        let Some(idx) = self.progress.current else {
            return Some(Action::Open);
        };
        match self.progress.statuses[idx] {
            QuestionStatus::Pending => Some(Action::Open),
            QuestionStatus::Open => Some(Action::Close),
            // Closed before anyone answered (e.g. an accidental step back): open it again.
            QuestionStatus::Closed if self.answers[idx].is_empty() => Some(Action::Open),
            QuestionStatus::Closed | QuestionStatus::Revealed => {
                // The group's real answer to an own question is revealed by the
                // comparison, after the guesses, not on its own.
                let own_of_a_pair = self.perceivers_of(idx).next().is_some();
                if !own_of_a_pair && self.step(idx) < reveal_steps_of(&self.set.questions[idx]) {
                    Some(Action::Reveal)
                } else if idx + 1 < self.progress.statuses.len() {
                    Some(Action::Next)
                } else {
                    Some(Action::End)
                }
            }
        }
    }

    /// The step back: take back the last reveal step, else go to the previous question;
    /// nothing while the question takes answers, so a stray press on a presentation remote
    /// does not close it under the class.
    pub fn back_action(&self) -> Option<Action> {
        let idx = self.progress.current.filter(|_| !self.progress.ended)?;
        if self.progress.statuses[idx] == QuestionStatus::Open {
            None
        } else if self.step(idx) > 0 {
            Some(Action::Conceal)
        } else if idx > 0 {
            Some(Action::Previous)
        } else {
            None
        }
    }

    pub fn meta(&self) -> &SessionMeta {
        &self.meta
    }

    pub fn set(&self) -> &Arc<QuestionSet> {
        &self.set
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub fn is_ended(&self) -> bool {
        self.progress.ended
    }

    pub fn participant_count(&self) -> usize {
        self.participants.len()
    }

    /// Connections that receive participant state.
    pub fn participant_conns(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.conns
            .iter()
            .filter(|(_, role)| matches!(role, ConnRole::Participant(_)))
            .map(|(&conn, _)| conn)
    }

    pub fn staff_conns(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.conns
            .iter()
            .filter(|(_, role)| matches!(role, ConnRole::Staff(_)))
            .map(|(&conn, _)| conn)
    }

    pub fn phase(&self) -> Phase {
        self.progress.phase()
    }

    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Join {
                conn,
                token,
                fresh_token,
                clicker,
                may_create,
            } => self.join(conn, token, fresh_token, clicker, may_create),
            Event::Bridge { conn, status } => {
                match status {
                    Some(status) => self.bridges.insert(conn, status),
                    None => self.bridges.remove(&conn),
                };
                vec![Effect::TallyChanged]
            }
            Event::Watch { conn, staff } => self.watch(conn, staff),
            Event::Leave { conn } => self.leave(conn),
            Event::Submit {
                conn,
                question_id,
                answer,
            } => self.submit(conn, &question_id, answer),
            Event::Control { conn, action } => self.control(conn, action),
            Event::Stored { write, result } => self.stored(write, result),
        }
    }

    fn join(
        &mut self,
        conn: ConnId,
        token: Option<String>,
        fresh_token: String,
        clicker: bool,
        may_create: bool,
    ) -> Vec<Effect> {
        if self.progress.ended {
            return error(conn, ErrorCode::SessionEnded, "this session has ended");
        }
        if self.conns.contains_key(&conn) {
            return error(
                conn,
                ErrorCode::AlreadyIntroduced,
                "this connection has already joined",
            );
        }
        if let Some(token) = token {
            let key = ParticipantKey::of_token(&token);
            // A phone never takes over a clicker device's participant (nor the reverse),
            // whatever token it presents.
            if self.participants.contains(&key) && self.clickers.contains(&key) == clicker {
                self.bind_participant(conn, key);
                return vec![
                    self.welcome_participant(conn, token),
                    self.participant_state_to(conn, key),
                    Effect::TallyChanged,
                ];
            }
            // A token this session does not know (from another session, or made up) is
            // not an error: the device simply joins as a new participant.
        }
        if !may_create {
            return error(
                conn,
                ErrorCode::RateLimited,
                "too many new participants from this device; wait a few minutes, or rejoin with the token you were given",
            );
        }
        self.conns.insert(conn, ConnRole::Joining);
        vec![Effect::Store(Write::Participant {
            conn,
            key: ParticipantKey::of_token(&fresh_token),
            token: fresh_token,
            clicker,
        })]
    }

    fn bind_participant(&mut self, conn: ConnId, key: ParticipantKey) {
        self.conns.insert(conn, ConnRole::Participant(key));
        *self.connected.entry(key).or_insert(0) += 1;
    }

    fn welcome_participant(&self, conn: ConnId, token: String) -> Effect {
        let mut session = self.session_info();
        session.screen_token = None;
        session.facilitator_note = None;
        Effect::Send {
            conn,
            message: ServerMessage::Welcome {
                version: PROTOCOL_VERSION,
                role: Role::Participant,
                session: Some(session),
                token: Some(token),
                controls: false,
            },
        }
    }

    fn participant_state_to(&self, conn: ConnId, key: ParticipantKey) -> Effect {
        Effect::Send {
            conn,
            message: ServerMessage::State(self.participant_state(self.has_answered_current(&key))),
        }
    }

    fn has_answered_current(&self, key: &ParticipantKey) -> bool {
        self.progress
            .current
            .is_some_and(|idx| self.answers[idx].contains_key(key))
    }

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

    fn watch(&mut self, conn: ConnId, staff: Staff) -> Vec<Effect> {
        self.conns.insert(conn, ConnRole::Staff(staff));
        let mut effects = Vec::new();
        if staff != Staff::Facilitator {
            effects.push(Effect::Send {
                conn,
                message: ServerMessage::Welcome {
                    version: PROTOCOL_VERSION,
                    role: Role::Screen,
                    session: Some(self.session_info()),
                    token: None,
                    controls: staff == Staff::HostScreen,
                },
            });
        }
        effects.push(Effect::Send {
            conn,
            message: ServerMessage::SessionState(self.session_state()),
        });
        effects.push(Effect::Send {
            conn,
            message: ServerMessage::Tally(self.tally()),
        });
        effects
    }

    fn leave(&mut self, conn: ConnId) -> Vec<Effect> {
        match self.conns.remove(&conn) {
            Some(ConnRole::Participant(key)) => {
                if let Some(n) = self.connected.get_mut(&key) {
                    *n -= 1;
                    if *n == 0 {
                        self.connected.remove(&key);
                    }
                }
                vec![Effect::TallyChanged]
            }
            _ => Vec::new(),
        }
    }

    /// Why `answer` does not fit question `idx`, if it does not.
    fn check_answer(&self, idx: usize, answer: &Answer) -> Result<(), String> {
        let question = &self.set.questions[idx];
        let out_of_range = |what: &str, value: String, max: usize| {
            Err(format!(
                "{what} {value} is out of range; this question has {what}s 0 to {}",
                max.saturating_sub(1)
            ))
        };
        match (answer, &question.kind) {
            (Answer::Abstain { option }, _) => {
                if question.abstain.is_empty() {
                    Err("this question offers no abstain answer".to_string())
                } else if *option as usize >= question.abstain.len() {
                    out_of_range("option", option.to_string(), question.abstain.len())
                } else {
                    Ok(())
                }
            }
            (Answer::Choice { option }, QuestionKind::Choice { options }) => {
                if (*option as usize) < options.len() {
                    Ok(())
                } else {
                    out_of_range("option", option.to_string(), options.len())
                }
            }
            (Answer::Scale { point }, QuestionKind::Scale { points }) => {
                if (*point as usize) < points.len() {
                    Ok(())
                } else {
                    out_of_range("point", point.to_string(), points.len())
                }
            }
            (Answer::Percent { value }, QuestionKind::Percent) => {
                if *value <= 100 {
                    Ok(())
                } else {
                    Err(format!("percent {value} is out of range 0 to 100"))
                }
            }
            (Answer::Number { value }, QuestionKind::Number { min, max, .. }) => {
                if (*min..=*max).contains(value) {
                    Ok(())
                } else {
                    Err(format!("number {value} is out of range {min} to {max}"))
                }
            }
            (_, kind) => Err(format!(
                "this question takes a \"{}\" answer",
                match kind {
                    QuestionKind::Choice { .. } => "choice",
                    QuestionKind::Percent => "percent",
                    QuestionKind::Number { .. } => "number",
                    QuestionKind::Scale { .. } => "scale",
                }
            )),
        }
    }

    fn submit(&mut self, conn: ConnId, question_id: &str, answer: Answer) -> Vec<Effect> {
        let key = match self.conns.get(&conn) {
            Some(ConnRole::Participant(key)) => *key,
            Some(ConnRole::Staff(_)) => {
                return error(conn, ErrorCode::WrongRole, "only participants answer");
            }
            Some(ConnRole::Joining) | None => {
                return error(
                    conn,
                    ErrorCode::NotIntroduced,
                    "join the session before answering",
                );
            }
        };
        if self.progress.ended {
            return error(conn, ErrorCode::SessionEnded, "this session has ended");
        }
        let Some(idx) = self.set.question_index(question_id) else {
            return error(
                conn,
                ErrorCode::UnknownQuestion,
                format!("unknown question id \"{question_id}\""),
            );
        };
        if self.progress.current != Some(idx) || self.progress.statuses[idx] != QuestionStatus::Open
        {
            return error(
                conn,
                ErrorCode::QuestionNotOpen,
                format!("question \"{question_id}\" is not open for answers"),
            );
        }
        if let Err(message) = self.check_answer(idx, &answer) {
            return error(conn, ErrorCode::InvalidAnswer, message);
        }
        vec![Effect::Store(Write::Answer {
            conn,
            key,
            question: idx,
            question_id: question_id.to_string(),
            answer,
        })]
    }

    fn apply_answer(&mut self, idx: usize, key: ParticipantKey, answer: Answer) {
        if let Some(previous) = self.answers[idx].insert(key, answer) {
            self.counts[idx].change(&previous, false);
        }
        self.counts[idx].change(&answer, true);
    }

    fn stored(&mut self, write: Write, result: Result<(), String>) -> Vec<Effect> {
        match (write, result) {
            (
                Write::Participant {
                    conn,
                    key,
                    token,
                    clicker,
                },
                Ok(()),
            ) => {
                self.participants.insert(key);
                if clicker {
                    self.clickers.insert(key);
                }
                if self.conns.get(&conn) != Some(&ConnRole::Joining) {
                    // The device left before its record was stored. The record is durable,
                    // so it counts like every stored participant; the device never learned
                    // its token and will join afresh if it comes back.
                    return vec![Effect::TallyChanged];
                }
                self.bind_participant(conn, key);
                vec![
                    self.welcome_participant(conn, token),
                    self.participant_state_to(conn, key),
                    Effect::TallyChanged,
                ]
            }
            (Write::Participant { conn, .. }, Err(_)) => {
                self.conns.remove(&conn);
                error(
                    conn,
                    ErrorCode::Internal,
                    "the server could not store your place in the session; try again",
                )
            }
            (
                Write::Answer {
                    conn,
                    key,
                    question,
                    question_id,
                    answer,
                },
                Ok(()),
            ) => {
                // The answer was valid when it was sent and is now durable; it counts
                // even if the question was closed in between.
                self.apply_answer(question, key, answer);
                vec![
                    Effect::Send {
                        conn,
                        message: ServerMessage::AnswerAccepted { question_id },
                    },
                    Effect::TallyChanged,
                ]
            }
            (Write::Answer { conn, .. }, Err(_)) => error(
                conn,
                ErrorCode::Internal,
                "the server could not store your answer; please answer again",
            ),
            (Write::Progress(_), Ok(())) => {
                self.progress_failing = false;
                Vec::new()
            }
            (Write::Progress(_), Err(_)) => {
                // Try again with the newest progress until it is stored; tell staff
                // once per outage, not per try.
                let mut effects = vec![Effect::StoreLater(Write::Progress(self.progress.clone()))];
                if !std::mem::replace(&mut self.progress_failing, true) {
                    effects.insert(
                        0,
                        Effect::ToStaff(ServerMessage::Error {
                            code: ErrorCode::Internal,
                            message:
                                "the server could not store the session's progress; it keeps trying"
                                    .to_string(),
                        }),
                    );
                }
                effects
            }
        }
    }

    fn control(&mut self, conn: ConnId, action: Action) -> Vec<Effect> {
        if !matches!(
            self.conns.get(&conn),
            Some(ConnRole::Staff(Staff::Facilitator | Staff::HostScreen))
        ) {
            return error(
                conn,
                ErrorCode::WrongRole,
                "only the facilitator controls the session",
            );
        }
        match self.transition(action) {
            Ok(()) => self.announce(),
            Err(message) => error(conn, ErrorCode::InvalidAction, message),
        }
    }

    /// Applies `action` to the progress, or says why it is not possible now.
    fn transition(&mut self, action: Action) -> Result<(), String> {
        let set = &self.set;
        let progress = &mut self.progress;
        if progress.ended {
            return Err("the session has ended".to_string());
        }
        let n_questions = progress.statuses.len();
        let close_current = |progress: &mut Progress| {
            if let Some(idx) = progress.current
                && progress.statuses[idx] == QuestionStatus::Open
            {
                progress.statuses[idx] = QuestionStatus::Closed;
            }
        };
        match (action, progress.current) {
            (Action::Open | Action::Next, None) => {
                progress.current = Some(0);
                progress.statuses[0] = QuestionStatus::Open;
            }
            (Action::Open, Some(idx)) => {
                if progress.statuses[idx] == QuestionStatus::Open {
                    return Err("the question is already open".to_string());
                }
                // Reopened, its results are hidden again until the next reveal.
                progress.statuses[idx] = QuestionStatus::Open;
                progress.steps[idx] = 0;
            }
            (Action::Close, Some(idx)) if progress.statuses[idx] == QuestionStatus::Open => {
                progress.statuses[idx] = QuestionStatus::Closed;
            }
            (Action::Close, _) => return Err("no question is open".to_string()),
            (Action::Reveal | Action::RevealAll, Some(idx)) => {
                let steps = reveal_steps_of(&set.questions[idx]);
                let step = match progress.statuses[idx] {
                    QuestionStatus::Revealed => progress.steps[idx].max(1),
                    _ => 0,
                };
                if step >= steps {
                    return Err("everything of this question is already shown".to_string());
                }
                progress.statuses[idx] = QuestionStatus::Revealed;
                progress.steps[idx] = if action == Action::RevealAll {
                    steps
                } else {
                    step + 1
                };
            }
            (Action::Reveal | Action::RevealAll, None) => {
                return Err("no question is shown yet".to_string());
            }
            (Action::Conceal, Some(idx)) if progress.statuses[idx] == QuestionStatus::Revealed => {
                let step = progress.steps[idx].max(1) - 1;
                progress.steps[idx] = step;
                if step == 0 {
                    progress.statuses[idx] = QuestionStatus::Closed;
                }
            }
            (Action::Conceal, _) => {
                return Err("nothing of this question is revealed".to_string());
            }
            (Action::Next, Some(idx)) => {
                if idx + 1 >= n_questions {
                    return Err("this is the last question; end the session instead".to_string());
                }
                close_current(progress);
                progress.current = Some(idx + 1);
                if progress.statuses[idx + 1] == QuestionStatus::Pending {
                    progress.statuses[idx + 1] = QuestionStatus::Open;
                }
            }
            (Action::Previous, Some(idx)) if idx > 0 => {
                close_current(progress);
                progress.current = Some(idx - 1);
            }
            (Action::Previous, _) => return Err("there is no previous question".to_string()),
            (Action::End, _) => {
                close_current(progress);
                progress.ended = true;
            }
        }
        Ok(())
    }

    /// Effects after a lifecycle change: store it, tell participants and staff.
    fn announce(&self) -> Vec<Effect> {
        let answered_conns = match self.progress.current {
            Some(idx) if !self.progress.ended => self
                .conns
                .iter()
                .filter_map(|(&conn, role)| match role {
                    ConnRole::Participant(key) if self.answers[idx].contains_key(key) => Some(conn),
                    _ => None,
                })
                .collect(),
            _ => HashSet::new(),
        };
        vec![
            Effect::Store(Write::Progress(self.progress.clone())),
            Effect::ToParticipants {
                unanswered: Box::new(ServerMessage::State(self.participant_state(false))),
                answered: Box::new(ServerMessage::State(self.participant_state(true))),
                answered_conns,
            },
            Effect::ToStaff(ServerMessage::SessionState(self.session_state())),
            Effect::TallyChanged,
        ]
    }

    pub fn session_info(&self) -> SessionInfo {
        SessionInfo {
            id: self.meta.id.clone(),
            code: self.meta.code.clone(),
            label: self.meta.label.clone(),
            set_id: self.set.id.clone(),
            set_title: self.set.title.clone(),
            audience: self.set.audience,
            language: self.set.language.code().to_string(),
            created_at: self.meta.created_at,
            join_url: self.join_url.clone(),
            screen_token: Some(self.meta.screen_token.clone()),
            facilitator_note: self.set.facilitator_note.clone(),
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

    /// Counts for staff. The split of a sensitive question is left out until revealed.
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
            None => match self.shown_counts(idx) {
                results::Shown::Yes(result) => (Some(result), None),
                results::Shown::TooFew { needed, .. } => (None, Some(Hidden::TooFew { needed })),
            },
        };
        QuestionTally {
            question_id: question.id.clone(),
            answered: self.answers[idx].len() as u32,
            result,
            hidden,
            reveal: self.reveal_view(idx),
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
        match (question.perceives.is_some(), self.pair_with_actual(idx)) {
            (_, Some((pair, actual))) => {
                let chart = self.pair_chart_at(idx, question, &pair, &actual);
                Some(reveal::pair_view(
                    &actual,
                    question,
                    &pair,
                    step,
                    self.set.language,
                    Some(reveal::chart_key(&chart)),
                ))
            }
            // A parents' question whose pupils' session is not linked: the same steps,
            // with the pupils' side said to be missing.
            (true, None) => Some(reveal::unlinked_view(
                question,
                &self.counts_of(idx),
                step,
                self.thresholds.min_answers,
                self.set.language,
            )),
            (false, None) if question.references.is_empty() => None,
            (false, None) => Some(reveal::references_view(
                &question.references,
                self.set.language,
                self.screen_chart_at(idx)
                    .map(|chart| reveal::chart_key(&chart)),
            )),
        }
    }

    /// The full counts of question `idx`, hidden from nobody: for results, reports and
    /// exports, which apply their own rules.
    pub fn counts_of(&self, idx: usize) -> TallyResult {
        let question = &self.set.questions[idx];
        let counts = &self.counts[idx];
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

#[cfg(test)]
mod tests;
