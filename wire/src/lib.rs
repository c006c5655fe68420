//! The messages that cross pejling's WebSocket, shared by the server and the wasm client so
//! the two can never disagree.
//!
//! Every frame is one JSON object with a `"type"` field. The first message a client sends
//! names its role and the protocol version (`join`, `host` or `watch`); the server answers
//! with `welcome` or an `error`. `docs/protocol.md` describes every message with examples.
//!
//! This crate depends only on `serde` and compiles for both wasm32 and the host. It holds
//! wire types only: the server's domain types (question sets, the session engine) live in
//! the server and are converted to these at the edge.

use serde::{Deserialize, Serialize};

mod description;
mod editor;
mod exchange;
mod overview;
mod overview_labels;
pub use description::*;
pub use editor::*;
pub use exchange::*;
pub use overview::*;
pub use overview_labels::*;

/// The protocol version a client states in its first message. The server answers a
/// different version with [`ErrorCode::UnsupportedVersion`]; the connection stays open
/// and may introduce itself again.
pub const PROTOCOL_VERSION: u32 = 2;

/// Largest text frame the server accepts; larger frames close the connection with
/// WebSocket close code 1009 (message too big).
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;

/// WebSocket close code the server uses for a flood (policy violation).
pub const CLOSE_POLICY_VIOLATION: u16 = 1008;
/// WebSocket close code the server uses for an oversized frame.
pub const CLOSE_MESSAGE_TOO_BIG: u16 = 1009;
/// Close code when the server dropped a connection that fell too far behind (its queue
/// of messages overflowed): reconnect, and the current state is sent again.
pub const CLOSE_TRY_AGAIN: u16 = 1013;

/// The normal form of a join code as a person may type it ("k7m-xpa " → "K7MXPA"):
/// spaces and dashes dropped, letters upper-cased. The server looks codes up in this form,
/// and a client keeps a participant token under it, so one device is one participant
/// however the code was typed (issue 12). Part of the protocol, hence here.
pub fn normalize_join_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Everything a client may send.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// A participant joins a session by its join code. `token` is the participant token
    /// the server gave this device earlier; with it the device resumes as the same
    /// participant (its answers kept, not counted twice).
    Join {
        version: u32,
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// The facilitator authenticates with the host token.
    Host { version: u32, host_token: String },
    /// A projector screen attaches read-only to a session, with the session's screen
    /// token or the host token.
    Watch {
        version: u32,
        code: String,
        token: String,
    },
    /// A participant answers (or changes its answer to) the open question.
    SubmitAnswer { question_id: String, answer: Answer },
    /// Facilitator: list the question sets the server knows.
    #[serde(deserialize_with = "no_fields")]
    ListSets,
    /// Facilitator: list stored sessions, newest first.
    #[serde(deserialize_with = "no_fields")]
    ListSessions,
    /// Facilitator: create a session from a set and attach to it.
    CreateSession {
        set_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        /// School, grade, class and term (each optional, at most
        /// [`MAX_DESCRIPTION_CHARS`] characters); a value equal to an earlier one but for
        /// case and spaces is stored in the earlier spelling.
        #[serde(default, skip_serializing_if = "Description::is_empty")]
        description: Description,
        /// A parents' set only: ids of ended pupil sessions whose actual answers the
        /// parents' estimates are compared with (pooled).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        linked_sessions: Vec<String>,
        /// A rehearsal: simulated pupils answer every question (for trying a lesson
        /// alone); the session is marked as such everywhere and never exported or linked.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rehearsal: bool,
        /// A pupils' session only: the id of an earlier session of the same class that
        /// this one follows up (the same set, or sets sharing a pair's question ids); the
        /// report then shows each pair before and after.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        follow_up_of: Option<String>,
    },
    /// Facilitator: attach to an existing session to control it.
    AttachSession { session_id: String },
    /// Facilitator: move the attached session through its lifecycle.
    Control { action: Action },
    /// Any role: the server answers with `pong` carrying the same nonce.
    Ping {
        #[serde(default)]
        nonce: u64,
    },
}

/// The body of a message that has only its `type`. serde lets a unit variant of an
/// internally tagged enum ignore any other field, whatever `deny_unknown_fields` says;
/// an empty struct that denies them makes `{"type": "list_sets", "x": 1}` a
/// `bad_message` like an extra field of any other message.
fn no_fields<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoFields {}
    NoFields::deserialize(deserializer).map(|NoFields {}| ())
}

impl ClientMessage {
    /// The `type` values a client may send; anything else is `unknown_type`.
    pub const TYPES: &'static [&'static str] = &[
        "join",
        "host",
        "watch",
        "submit_answer",
        "list_sets",
        "list_sessions",
        "create_session",
        "attach_session",
        "control",
        "ping",
    ];
}

/// An answer to one question. Indices are 0-based.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Answer {
    /// Index into a single-choice question's `options`.
    Choice { option: u32 },
    /// A percent estimate, 0–100.
    Percent { value: u32 },
    /// A whole number within the question's `min`..=`max`.
    Number { value: i64 },
    /// Index into a scale question's `points`.
    Scale { point: u32 },
    /// Index into the question's `abstain` labels ("Vil ikke svare", "Ved ikke").
    Abstain { option: u32 },
}

/// Facilitator actions on a session.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Open the current question for answers (in the lobby: the first question).
    Open,
    /// Stop taking answers for the current question.
    Close,
    /// Show the next step of the current question's results (closes it if it is open).
    /// A question that perceives another reveals in three steps: the guesses, then the
    /// group's real answer, then the national figures and the verdict; any other
    /// question in one.
    Reveal,
    /// Show every remaining step of the current question's results at once.
    RevealAll,
    /// Take back the last reveal step (the first one: the results are hidden again and
    /// the question is closed).
    Conceal,
    /// Go to the next question; a question never opened before is opened.
    Next,
    /// Go back to the previous question, keeping its status.
    Previous,
    /// End the session; no more answers are taken.
    End,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Participant,
    Facilitator,
    Screen,
}

/// Where a session stands, seen from its current question.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Created, no question shown yet.
    Lobby,
    /// The current question takes answers.
    Open,
    /// The current question is shown but takes no answers.
    Closed,
    /// The current question's results are shown.
    Revealed,
    /// The session is over.
    Ended,
}

/// The status of one question within a session.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStatus {
    Pending,
    Open,
    Closed,
    Revealed,
}

/// Everything the server may send.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to `join`, `host` or `watch`. A participant's welcome carries its
    /// token (keep it to reconnect) and is followed by a `state`.
    Welcome {
        version: u32,
        role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SessionInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// A screen that watched with the host token: it may send `control` for this
        /// session (a facilitator running the session from the projector window).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        controls: bool,
    },
    /// To a participant: the current question and whether this device has answered it.
    State(ParticipantState),
    /// To a participant: its answer is stored durably.
    AnswerAccepted {
        question_id: String,
    },
    /// To the facilitator and screens: the session's lifecycle state.
    SessionState(SessionState),
    /// To the facilitator and screens: counts and (where allowed) the split, at most
    /// about ten times a second.
    Tally(Tally),
    Sets {
        sets: Vec<SetSummary>,
    },
    Sessions {
        sessions: Vec<SessionSummary>,
    },
    Pong {
        nonce: u64,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
}

/// The messages a participant (phone) can receive, read without the code for the rest:
/// the same JSON as [`ServerMessage`], with every staff message read as `Other`. It is
/// read through flat structs (no internally tagged or flattened enums, whose generic
/// decoding code was half of the phone's WebAssembly module), so the phone's download
/// stays small (issue 11). `into_server_message` gives the shared type back; a
/// welcome's `session` is not read (the phone does not use it).
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(try_from = "RawParticipantMessage")]
pub enum ParticipantMessage {
    Welcome {
        version: u32,
        role: Role,
        token: Option<String>,
    },
    State(ParticipantState),
    AnswerAccepted {
        question_id: String,
    },
    Pong {
        nonce: u64,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
    /// A message for staff; a participant never gets one.
    Other,
}

/// Every field a participant's message may have, flat; `type` says which are used.
#[derive(Deserialize)]
struct RawParticipantMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    version: u32,
    role: Option<Role>,
    token: Option<String>,
    phase: Option<Phase>,
    question: Option<RawQuestionView>,
    #[serde(default)]
    answered: bool,
    question_id: Option<String>,
    #[serde(default)]
    nonce: u64,
    code: Option<ErrorCode>,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct RawQuestionView {
    id: String,
    index: u32,
    count: u32,
    text: String,
    kind: String,
    #[serde(default)]
    options: Vec<String>,
    #[serde(default)]
    points: Vec<String>,
    #[serde(default)]
    min: i64,
    #[serde(default)]
    max: i64,
    unit: Option<String>,
    #[serde(default)]
    abstain: Vec<String>,
    #[serde(default)]
    sensitive: bool,
}

impl TryFrom<RawQuestionView> for QuestionView {
    type Error = String;

    fn try_from(raw: RawQuestionView) -> Result<Self, String> {
        let kind = match raw.kind.as_str() {
            "choice" => QuestionKindView::Choice {
                options: raw.options,
            },
            "percent" => QuestionKindView::Percent,
            "number" => QuestionKindView::Number {
                min: raw.min,
                max: raw.max,
                unit: raw.unit,
            },
            "scale" => QuestionKindView::Scale { points: raw.points },
            other => return Err(format!("unknown question kind {other}")),
        };
        Ok(QuestionView {
            id: raw.id,
            index: raw.index,
            count: raw.count,
            text: raw.text,
            kind,
            abstain: raw.abstain,
            sensitive: raw.sensitive,
        })
    }
}

impl TryFrom<RawParticipantMessage> for ParticipantMessage {
    type Error = String;

    fn try_from(raw: RawParticipantMessage) -> Result<Self, String> {
        let missing = |field: &str| format!("{} without {field}", raw.kind);
        Ok(match raw.kind.as_str() {
            "welcome" => ParticipantMessage::Welcome {
                version: raw.version,
                role: raw.role.ok_or_else(|| missing("role"))?,
                token: raw.token,
            },
            "state" => ParticipantMessage::State(ParticipantState {
                phase: raw.phase.ok_or_else(|| missing("phase"))?,
                question: raw.question.map(QuestionView::try_from).transpose()?,
                answered: raw.answered,
            }),
            "answer_accepted" => ParticipantMessage::AnswerAccepted {
                question_id: raw.question_id.ok_or_else(|| missing("question_id"))?,
            },
            "pong" => ParticipantMessage::Pong { nonce: raw.nonce },
            "error" => ParticipantMessage::Error {
                code: raw.code.ok_or_else(|| missing("code"))?,
                message: raw.message,
            },
            _ => ParticipantMessage::Other,
        })
    }
}

impl ParticipantMessage {
    pub fn into_server_message(self) -> Option<ServerMessage> {
        Some(match self {
            ParticipantMessage::Welcome {
                version,
                role,
                token,
            } => ServerMessage::Welcome {
                version,
                role,
                session: None,
                token,
                controls: false,
            },
            ParticipantMessage::State(state) => ServerMessage::State(state),
            ParticipantMessage::AnswerAccepted { question_id } => {
                ServerMessage::AnswerAccepted { question_id }
            }
            ParticipantMessage::Pong { nonce } => ServerMessage::Pong { nonce },
            ParticipantMessage::Error { code, message } => ServerMessage::Error { code, message },
            ParticipantMessage::Other => return None,
        })
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ParticipantState {
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<QuestionView>,
    /// Whether this device has an answer stored for `question` (never which one).
    pub answered: bool,
}

/// A question as shown to a participant or a screen.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct QuestionView {
    pub id: String,
    /// 0-based position in the set.
    pub index: u32,
    /// Number of questions in the set.
    pub count: u32,
    pub text: String,
    #[serde(flatten)]
    pub kind: QuestionKindView,
    /// Labels of the "won't say" / "don't know" answers this question offers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abstain: Vec<String>,
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionKindView {
    Choice {
        options: Vec<String>,
    },
    Percent,
    Number {
        min: i64,
        max: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
    Scale {
        points: Vec<String>,
    },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub id: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// School, grade, class and term, as stored.
    #[serde(default, skip_serializing_if = "Description::is_empty")]
    pub description: Description,
    pub set_id: String,
    pub set_title: String,
    pub audience: Audience,
    pub language: String,
    /// Unix seconds.
    pub created_at: i64,
    /// The link phones open to join (also in the QR code).
    pub join_url: String,
    /// Only sent to the facilitator: the token a projector screen uses to watch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_token: Option<String>,
    /// Not sent to participants: the set's note on how to run it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilitator_note: Option<String>,
    /// A rehearsal with simulated pupils (`create_session`'s `rehearsal`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
}

/// The language of a question set, and of every text shown around it. Danish is the
/// default; the server and the client format numbers by the same rule.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Da,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Da => "da",
            Language::En => "en",
        }
    }

    /// `"en"` is English; anything else is Danish, the default.
    pub fn from_code(code: &str) -> Language {
        if code == "en" {
            Language::En
        } else {
            Language::Da
        }
    }

    /// The other language, for a language switch.
    pub fn other(self) -> Language {
        match self {
            Language::Da => Language::En,
            Language::En => Language::Da,
        }
    }

    /// A number with one decimal at most, in the language's notation ("38,5" in
    /// Danish, "38.5" in English; "45", not "45,0").
    pub fn decimal(self, value: f64) -> String {
        let rounded = (value * 10.0).round() / 10.0;
        let text = if rounded.fract() == 0.0 {
            format!("{rounded:.0}")
        } else {
            format!("{rounded:.1}")
        };
        match self {
            Language::Da => text.replace('.', ","),
            Language::En => text,
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Pupils,
    Parents,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SessionState {
    pub session: SessionInfo,
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<QuestionView>,
    pub questions: Vec<QuestionSummary>,
    /// The current question's reveal step: 0 while nothing of its results has been
    /// revealed, up to `reveal_steps`.
    #[serde(default)]
    pub reveal_step: u32,
    /// How many reveal steps the current question has (3 for a question that perceives
    /// another, 1 for the rest, 0 without a current question).
    #[serde(default)]
    pub reveal_steps: u32,
    /// The natural next step for the facilitator (the console's main button, → and
    /// PageDown on a screen that may control); absent when the session has ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action: Option<Action>,
    /// The step that undoes or goes back (← and PageUp); absent while the question takes
    /// answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_action: Option<Action>,
    /// The current question compares with the pupils of linked sessions (a parents'
    /// question): its second reveal step shows the pupils' answers, not the group's own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub compares_linked: bool,
    /// The current question cites national figures (its last reveal step shows them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_national: bool,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct QuestionSummary {
    pub id: String,
    pub text: String,
    pub status: QuestionStatus,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Tally {
    pub session_id: String,
    /// Participants who ever joined this session.
    pub participants: u32,
    /// Participants with at least one open connection now.
    pub connected: u32,
    /// Of `participants`, how many answer with clicker devices (the rest use phones).
    #[serde(default)]
    pub clickers: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<QuestionTally>,
    /// Clicker receivers (bridges) attached to this session, for the facilitator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bridges: Vec<BridgeStatus>,
}

/// A clicker receiver (bridge) as the facilitator sees it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BridgeStatus {
    /// What the bridge called itself and where it is attached, e.g.
    /// `mb receiver-1 (serial /dev/ttyACM0)`.
    pub name: String,
    /// Devices that have voted through it.
    pub devices: u32,
    /// Lines it sent that were malformed or not understood.
    pub bad_lines: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct QuestionTally {
    pub question_id: String,
    /// Participants with an answer stored for this question (abstentions included).
    pub answered: u32,
    /// The split; absent while a sensitive question is not revealed, so that a
    /// classmate's tap cannot be read off a moving bar, and while fewer than the
    /// session's minimum number of answers (abstentions not counted) have come in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<TallyResult>,
    /// Why `result` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Hidden>,
    /// What the facilitator has revealed of this question beyond its split: for a
    /// question that perceives another, the comparison up to the current reveal step;
    /// for any revealed question that cites national figures, those figures. Absent
    /// while nothing of it is revealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal: Option<RevealView>,
    /// Answers that came in or changed after the figures on show were taken: the room's
    /// figures change only by at least `needed` answers at a time, so one latecomer's or
    /// one changed answer cannot be read off a moving bar. Absent when there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
}

/// Newer answers that the figures on show leave out ([`QuestionTally::waiting`]).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// How many answers came in or changed since the figures were taken.
    pub answers: u32,
    /// How many it takes before the figures are taken again (the anonymity minimum).
    pub needed: u32,
}

/// The revealed comparison (or national figures) of one question, as the projector shows
/// it: the key figures in reading order, the verdict in words, and the chart to draw
/// below them. Texts are in the session's language, made by the server, so a page shows
/// exactly what the engine allows and never computes a figure itself.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RevealView {
    /// The reveal step shown, 1..=`steps`.
    pub step: u32,
    pub steps: u32,
    /// The key figures shown so far: the guesses, the group's real answer, the national
    /// figures (in that order, each only from its step on).
    pub figures: Vec<KeyFigure>,
    /// One plain sentence naming the pattern (last step only; absent when no verdict
    /// can be given, e.g. too few answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentence: Option<String>,
    /// The pattern's name, e.g. "Social overdrivelse" (last step only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Changes whenever the chart's content changes; the chart is at
    /// `GET /chart/{session_id}/{question_id}.svg?v={chart}` (the token in an
    /// `Authorization` header). Absent when there is no chart to draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
}

/// One of the big figures of a comparison.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct KeyFigure {
    pub role: FigureRole,
    /// The figure as shown, e.g. "33 %" or "13,5 år"; "for få svar" when withheld.
    pub value: String,
    /// A short label, e.g. "Jer", "Jeres gæt", "Landstal (13-årige, 2018)".
    pub label: String,
    /// A line under the label, e.g. "7 af 21 svarede ja" or what a national figure
    /// measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where a national figure comes from (survey, reported by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FigureRole {
    /// The guesses (the perceiving question's answers).
    Guesses,
    /// The group's real answer (the perceived question's answers, pooled for parents).
    Actual,
    /// A national reference figure.
    National,
}

/// Why a question's split is not sent.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Hidden {
    /// A sensitive question, or a question that perceives another (the guesses), that
    /// the facilitator has not revealed yet.
    UntilReveal,
    /// A question that another question of the set perceives: its split is the group's
    /// real answer, shown only when that comparison reveals it (so nobody sees it
    /// before guessing).
    UntilComparison,
    /// Fewer than `needed` answers that are not abstentions ("for få svar").
    TooFew { needed: u32 },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TallyResult {
    /// Count per `abstain` label.
    pub abstained: Vec<u32>,
    #[serde(flatten)]
    pub distribution: Distribution,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// Count per option.
    Choice { counts: Vec<u32> },
    /// Count per scale point.
    Scale { counts: Vec<u32> },
    /// Count per percent value 0..=100 (101 entries), with mean and median of the
    /// non-abstaining answers (absent when there are none).
    Percent {
        counts: Vec<u32>,
        mean: Option<f64>,
        median: Option<f64>,
    },
    /// Count per distinct value, ascending.
    Number {
        values: Vec<ValueCount>,
        mean: Option<f64>,
        median: Option<f64>,
    },
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueCount {
    pub value: i64,
    pub count: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SetSummary {
    pub id: String,
    pub title: String,
    pub language: String,
    pub audience: Audience,
    pub grades: Vec<String>,
    pub questions: u32,
    /// `builtin:` and the file's name for a built-in set (`builtin:7-klasse-alkohol.toml`),
    /// else the path of the file it was loaded from.
    pub origin: String,
    /// A parents' set: the pupils' sets it asks about, whose sessions it can be linked to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cites: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub id: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// School, grade, class and term, as stored.
    #[serde(default, skip_serializing_if = "Description::is_empty")]
    pub description: Description,
    pub set_id: String,
    pub set_title: String,
    pub created_at: i64,
    pub phase: Phase,
    pub participants: u32,
    /// A rehearsal with simulated pupils.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
    /// A parents' session: the names (label, or join code) of the pupil sessions it is
    /// linked to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<String>,
    /// The earlier session this one follows up (its id), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_of: Option<String>,
}

/// Machine-readable error codes; `message` says the same for people.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not a JSON object, or is binary.
    BadJson,
    /// The `type` field is missing or names no known message.
    UnknownType,
    /// A known message with missing, extra or mistyped fields.
    BadMessage,
    /// The first message stated a protocol version this server does not speak.
    UnsupportedVersion,
    /// The first message must be `join`, `host` or `watch`.
    NotIntroduced,
    /// A second `join`/`host`/`watch` on the same connection.
    AlreadyIntroduced,
    /// The message is not allowed for this connection's role.
    WrongRole,
    /// The host token or screen token is wrong.
    BadToken,
    /// No running session has this join code.
    UnknownSession,
    /// The session has ended.
    SessionEnded,
    /// No question set has this id.
    UnknownSet,
    /// The facilitator has not attached to a session.
    NoSession,
    /// The session's set has no question with this id.
    UnknownQuestion,
    /// The question does not take answers now.
    QuestionNotOpen,
    /// The answer does not fit the question (wrong kind or out of range).
    InvalidAnswer,
    /// The action is not possible in the session's current state.
    InvalidAction,
    /// A `linked_sessions` entry cannot be linked (unknown, not ended, not a pupils'
    /// session of a set the parents' set asks about, or the set is not a parents' set).
    InvalidLink,
    /// `follow_up_of` names no earlier pupils' session that shares a pair with the set
    /// (unknown, a rehearsal, a parents' session, or no question pair in common).
    InvalidFollowUp,
    /// Too many messages; slow down.
    RateLimited,
    /// The server could not store the data; nothing was acknowledged.
    Internal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_danish_way() {
        assert_eq!(Language::Da.decimal(15.6), "15,6");
        assert_eq!(Language::En.decimal(15.6), "15.6");
        assert_eq!(Language::Da.decimal(45.0), "45");
        assert_eq!(Language::Da.decimal(-1.84), "-1,8");
    }

    #[test]
    fn client_messages_have_the_documented_shape() {
        let submit = ClientMessage::SubmitAnswer {
            question_id: "drunk-own".into(),
            answer: Answer::Choice { option: 1 },
        };
        assert_eq!(
            serde_json::to_string(&submit).unwrap(),
            r#"{"type":"submit_answer","question_id":"drunk-own","answer":{"kind":"choice","option":1}}"#
        );
        let join: ClientMessage =
            serde_json::from_str(r#"{"type":"join","version":1,"code":"K7MXPA"}"#).unwrap();
        assert_eq!(
            join,
            ClientMessage::Join {
                version: 1,
                code: "K7MXPA".into(),
                token: None
            }
        );
    }

    #[test]
    fn join_codes_are_normalized_as_typed_or_scanned() {
        for typed in ["K7MXPA", "k7mxpa", " k7m-xpa ", "K7M XPA", "k-7-m-x-p-a"] {
            assert_eq!(normalize_join_code(typed), "K7MXPA", "{typed:?}");
        }
    }

    #[test]
    fn every_listed_type_is_a_real_message() {
        // Each name in TYPES must be accepted as a `type` (the payload may be incomplete,
        // but the error must then be about fields, not an unknown variant).
        for name in ClientMessage::TYPES {
            let error = serde_json::from_str::<ClientMessage>(&format!(r#"{{"type":"{name}"}}"#))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!error.contains("unknown variant"), "{name}: {error}");
        }
    }

    #[test]
    fn participant_messages_read_what_the_server_sends() {
        let sent = [
            ServerMessage::Welcome {
                version: PROTOCOL_VERSION,
                role: Role::Participant,
                session: None,
                token: Some("t".into()),
                controls: false,
            },
            ServerMessage::State(ParticipantState {
                phase: Phase::Open,
                question: Some(QuestionView {
                    id: "q".into(),
                    index: 0,
                    count: 1,
                    text: "?".into(),
                    kind: QuestionKindView::Number {
                        min: 10,
                        max: 25,
                        unit: Some("år".into()),
                    },
                    abstain: vec!["Ved ikke".into()],
                    sensitive: true,
                }),
                answered: false,
            }),
            ServerMessage::State(ParticipantState {
                phase: Phase::Open,
                question: Some(QuestionView {
                    id: "c".into(),
                    index: 1,
                    count: 3,
                    text: "Har du?".into(),
                    kind: QuestionKindView::Choice {
                        options: vec!["Ja".into(), "Nej".into()],
                    },
                    abstain: Vec::new(),
                    sensitive: false,
                }),
                answered: true,
            }),
            ServerMessage::State(ParticipantState {
                phase: Phase::Closed,
                question: Some(QuestionView {
                    id: "s".into(),
                    index: 2,
                    count: 3,
                    text: "OK?".into(),
                    kind: QuestionKindView::Scale {
                        points: vec!["Nej".into(), "Ja".into()],
                    },
                    abstain: Vec::new(),
                    sensitive: false,
                }),
                answered: false,
            }),
            ServerMessage::State(ParticipantState {
                phase: Phase::Lobby,
                question: None,
                answered: false,
            }),
            ServerMessage::AnswerAccepted {
                question_id: "q".into(),
            },
            ServerMessage::Pong { nonce: 7 },
            ServerMessage::Error {
                code: ErrorCode::QuestionNotOpen,
                message: "no".into(),
            },
        ];
        for message in sent {
            let json = serde_json::to_string(&message).unwrap();
            let read: ParticipantMessage = serde_json::from_str(&json).unwrap();
            assert_eq!(read.into_server_message(), Some(message), "{json}");
        }
        let staff = serde_json::to_string(&ServerMessage::Sets { sets: Vec::new() }).unwrap();
        let read: ParticipantMessage = serde_json::from_str(&staff).unwrap();
        assert_eq!(read, ParticipantMessage::Other);
    }

    #[test]
    fn tally_result_flattens_distribution() {
        let result = TallyResult {
            abstained: vec![2],
            distribution: Distribution::Choice { counts: vec![3, 4] },
        };
        assert_eq!(
            serde_json::to_string(&result).unwrap(),
            r#"{"abstained":[2],"kind":"choice","counts":[3,4]}"#
        );
        let back: TallyResult =
            serde_json::from_str(r#"{"abstained":[2],"kind":"choice","counts":[3,4]}"#).unwrap();
        assert_eq!(back, result);
    }
}
