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

//!
//! Split by job: this file is the state machine (events, transitions, effects);
//! `views.rs` projects the state to wire messages; `pairs.rs`
//! holds the comparisons and the one rule of what is hidden when.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use pejling_wire::{
    Action, Answer, Description, ErrorCode, PROTOCOL_VERSION, Phase, QuestionStatus, Role,
    ServerMessage, TallyResult,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::counts::{self, RunningCounts};
use crate::pooling::{LinkedGroup, LinkedSession};
use crate::questions::{Question, QuestionSet};
use crate::results::{self, Thresholds};

mod pairs;
mod room;
mod views;

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
    /// School, grade, class and term (each optional; never anything about a pupil).
    pub description: Description,
    pub created_at: i64,
    pub screen_token: String,
    /// A rehearsal: simulated pupils answer; never exported, linked or counted later.
    pub rehearsal: bool,
    /// The earlier session of the same class this one follows up (`followup.rs`).
    pub follow_up_of: Option<String>,
}

impl SessionMeta {
    /// What people call the session: its label ("7.a"), else its class and school ("7.b,
    /// Nordskolen"), else its join code.
    pub fn name(&self) -> String {
        session_name(self.label.as_deref(), &self.description, &self.code)
    }
}

/// A session's name from its parts: the label, else the description's class and school,
/// else the join code ([`SessionMeta::name`]; the store names linked sessions the same
/// way).
pub fn session_name(label: Option<&str>, description: &Description, code: &str) -> String {
    label
        .map(str::to_string)
        .or_else(|| description.name())
        .unwrap_or_else(|| code.to_string())
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
    /// Per question, whether it was opened again after it had been closed: its split is
    /// then hidden until it is revealed again, like a sensitive question's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reopened: Vec<bool>,
    /// Per question, the counts the room last saw (`room.rs`): the figures the projector
    /// and the console show, which change only by at least k answers at a time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shown: Vec<Option<TallyResult>>,
}

/// Everything needed to bring a session back: what the store keeps of it, as plain data.
/// [`Engine::from_record`] builds the session from it; links and thresholds are the
/// caller's to apply.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub meta: SessionMeta,
    pub set: QuestionSet,
    pub progress: Progress,
    pub participants: Vec<ParticipantKey>,
    pub answers: Vec<(String, ParticipantKey, Answer)>,
    /// Ids of linked pupil sessions (parents' sessions only).
    pub links: Vec<String>,
    /// The participants that answer with clicker devices.
    pub clickers: Vec<ParticipantKey>,
    /// The thresholds the session was run with (`None`: stored before they were kept).
    pub thresholds: Option<Thresholds>,
}

impl From<SessionRecord> for LinkedSession {
    fn from(record: SessionRecord) -> Self {
        LinkedSession {
            name: record.meta.name(),
            id: record.meta.id,
            created_at: record.meta.created_at,
            set: record.set,
            answers: record
                .answers
                .into_iter()
                .map(|(question_id, _, answer)| (question_id, answer))
                .collect(),
        }
    }
}

/// A [`Write`] that did not become durable. Why is the store's to log; the engine only
/// needs to know that it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the write was not stored")]
pub struct NotStored;

impl Progress {
    pub fn new(n_questions: usize) -> Self {
        Progress {
            current: None,
            statuses: vec![QuestionStatus::Pending; n_questions],
            ended: false,
            steps: vec![0; n_questions],
            reopened: vec![false; n_questions],
            shown: vec![None; n_questions],
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
        result: Result<(), NotStored>,
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

/// One running session.
#[derive(Debug)]
pub struct Engine {
    meta: SessionMeta,
    set: Arc<QuestionSet>,
    progress: Progress,
    participants: HashSet<ParticipantKey>,
    answers: Vec<HashMap<ParticipantKey, Answer>>,
    counts: Vec<RunningCounts>,
    /// What the room has seen of each question (`room.rs`).
    room: Vec<room::RoomView>,
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
        progress.reopened.resize(set.questions.len(), false);
        progress.shown.resize(set.questions.len(), None);
        let mut engine = Engine {
            answers: vec![HashMap::new(); set.questions.len()],
            room: vec![room::RoomView::default(); set.questions.len()],
            counts: set.questions.iter().map(RunningCounts::new).collect(),
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
        engine.restore_room();
        // Figures the room never saw may be shown as a first look does.
        engine.release_all();
        engine
    }

    /// The session as it was stored, every stored answer counted and its clicker devices
    /// known; links and thresholds are the caller's to set.
    pub fn from_record(record: SessionRecord) -> Self {
        let mut engine = Self::restore(
            record.meta,
            Arc::new(record.set),
            record.progress,
            record.participants,
            record.answers,
        );
        engine.set_clickers(record.clickers);
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
        self.release_all();
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Which stored participants answer with clicker devices.
    pub fn set_clickers(&mut self, keys: impl IntoIterator<Item = ParticipantKey>) {
        self.clickers = keys.into_iter().collect();
    }

    /// A parents' session: the linked pupil sessions' counts ([`crate::pooling`]).
    pub fn set_linked(&mut self, groups: Vec<LinkedGroup>) {
        self.linked = groups;
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
        if let Err(problem) = self.check_answer(idx, &answer) {
            return error(conn, ErrorCode::InvalidAnswer, problem.to_string());
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
        self.note_answer(idx, key, answer);
    }

    fn stored(&mut self, write: Write, result: Result<(), NotStored>) -> Vec<Effect> {
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
                let mut effects = vec![
                    Effect::Send {
                        conn,
                        message: ServerMessage::AnswerAccepted { question_id },
                    },
                    Effect::TallyChanged,
                ];
                // The room's figures moved by k answers: what it saw is part of where
                // the session stands, so a restart does not show it less.
                if self.release(question) {
                    effects.push(Effect::Store(Write::Progress(self.progress.clone())));
                }
                effects
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
            Ok(()) => {
                // A step may have made figures visible: the room sees them now.
                self.release_all();
                self.announce()
            }
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
                // Opened again (for a latecomer, say): its split is hidden again until
                // it is revealed again, and so is every comparison built on it, so the
                // room cannot read one person's answer off a moving figure.
                if !self.answers[idx].is_empty() {
                    progress.reopened[idx] = true;
                }
                progress.statuses[idx] = QuestionStatus::Open;
                progress.steps[idx] = 0;
                let id = &set.questions[idx].id;
                for (perceiver, question) in set.questions.iter().enumerate() {
                    let builds_on = question
                        .perceives
                        .as_ref()
                        .is_some_and(|p| p.set.is_none() && &p.question == id);
                    if builds_on && progress.statuses[perceiver] == QuestionStatus::Revealed {
                        progress.statuses[perceiver] = QuestionStatus::Closed;
                        progress.steps[perceiver] = 0;
                    }
                }
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
                progress.reopened[idx] = false;
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

    /// The full counts of question `idx`, hidden from nobody: for results, reports and
    /// exports, which apply their own rules.
    pub fn counts_of(&self, idx: usize) -> TallyResult {
        self.counts[idx].result(&self.set.questions[idx])
    }

    /// Why `answer` does not fit question `idx`, if it does not.
    fn check_answer(&self, idx: usize, answer: &Answer) -> Result<(), counts::AnswerError> {
        counts::check_answer(&self.set.questions[idx], answer)
    }
}

#[cfg(test)]
mod tests;
