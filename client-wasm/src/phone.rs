//! The phone page's logic: a state machine fed by connection events and server messages,
//! and asked what to show. No DOM, no sockets: the browser glue (`web.rs`) feeds it and
//! renders [`Phone::screen`], and the tests drive it natively.
//!
//! It never shows which answer was given: after sending, the phone says only "thank you".
//! An answer not yet acknowledged is kept and sent again after a reconnect; the server
//! keeps one answer per participant, so a repeat never counts twice.

use pejling_wire::{
    Answer, ClientMessage, ErrorCode, PROTOCOL_VERSION, ParticipantState, Phase, QuestionView,
    ServerMessage,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Open,
    /// Lost; `attempt` reconnects have been scheduled since the last open connection.
    Lost {
        attempt: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneError {
    UnknownCode,
    /// The server refused to let this device join now (too many codes tried or too many
    /// new participants from its address).
    TooManyTries,
}

/// What the phone shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    EnterCode {
        error: Option<PhoneError>,
    },
    Connecting,
    Lobby,
    Answering {
        question: QuestionView,
        sending: bool,
    },
    Thanks {
        question_id: String,
    },
    Waiting,
    Ended,
}

/// Something the glue must do besides sending messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Send(ClientMessage),
    /// Keep the participant token for this code (e.g. in localStorage).
    StoreToken {
        code: String,
        token: String,
    },
    /// Stop reconnecting: the code is wrong or the session is over.
    StopReconnecting,
}

#[derive(Debug, Clone)]
pub struct Phone {
    code: Option<String>,
    token: Option<String>,
    connection: Connection,
    state: Option<ParticipantState>,
    /// Sent and not yet acknowledged.
    pending: Option<(String, Answer)>,
    /// The participant chose to change an answer already given.
    editing: bool,
    error: Option<PhoneError>,
    ended: bool,
    /// The first state after a welcome re-sends a pending answer.
    resend_after_welcome: bool,
}

/// Delay before reconnect attempt `attempt` (1-based): doubling from 0.5 s up to 8 s,
/// spread by `jitter` in 0..1 so that a class of phones does not reconnect in step.
pub fn backoff_ms(attempt: u32, jitter: f64) -> u32 {
    let base = 500u32
        .saturating_mul(1 << attempt.saturating_sub(1).min(5))
        .min(8_000);
    (f64::from(base) * (0.75 + 0.5 * jitter.clamp(0.0, 1.0))) as u32
}

impl Phone {
    /// `code` from the join URL (if any); `token` stored from an earlier visit.
    pub fn new(code: Option<String>, token: Option<String>) -> Phone {
        Phone {
            // The code as the server knows it, so the token is kept under one name
            // whether the code was typed ("k7m-xpa") or scanned ("K7MXPA").
            code: code
                .map(|c| pejling_wire::normalize_join_code(&c))
                .filter(|c| !c.is_empty()),
            token,
            connection: Connection::Connecting,
            state: None,
            pending: None,
            editing: false,
            error: None,
            ended: false,
            resend_after_welcome: false,
        }
    }

    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    pub fn connection(&self) -> Connection {
        self.connection
    }

    /// Whether the glue should keep a connection open.
    pub fn wants_connection(&self) -> bool {
        self.code.is_some() && self.error.is_none() && !self.ended
    }

    /// A code typed on the start page; a new code starts afresh.
    pub fn set_code(&mut self, code: &str, token: Option<String>) {
        *self = Phone::new(Some(pejling_wire::normalize_join_code(code)), token);
    }

    /// The socket opened: introduce ourselves.
    pub fn on_open(&mut self) -> Vec<Output> {
        self.connection = Connection::Open;
        match &self.code {
            Some(code) => vec![Output::Send(ClientMessage::Join {
                version: PROTOCOL_VERSION,
                code: code.clone(),
                token: self.token.clone(),
            })],
            None => Vec::new(),
        }
    }

    /// The socket closed; returns the delay before the next attempt, if any.
    pub fn on_close(&mut self, jitter: f64) -> Option<u32> {
        let attempt = match self.connection {
            Connection::Lost { attempt } => attempt + 1,
            _ => 1,
        };
        self.connection = Connection::Lost { attempt };
        self.wants_connection().then(|| backoff_ms(attempt, jitter))
    }

    pub fn on_message(&mut self, message: ServerMessage) -> Vec<Output> {
        let mut out = Vec::new();
        match message {
            ServerMessage::Welcome { token, .. } => {
                if let (Some(token), Some(code)) = (token, &self.code) {
                    self.token = Some(token.clone());
                    out.push(Output::StoreToken {
                        code: code.clone(),
                        token,
                    });
                }
                self.resend_after_welcome = true;
            }
            ServerMessage::State(state) => {
                let same_question =
                    self.current_question_id() == state.question.as_ref().map(|q| q.id.as_str());
                if !same_question {
                    self.editing = false;
                }
                if state.phase == Phase::Ended {
                    self.ended = true;
                    out.push(Output::StopReconnecting);
                }
                let resend = std::mem::take(&mut self.resend_after_welcome);
                match &self.pending {
                    Some((question_id, answer))
                        if resend
                            && state.phase == Phase::Open
                            && state
                                .question
                                .as_ref()
                                .is_some_and(|q| &q.id == question_id) =>
                    {
                        out.push(Output::Send(ClientMessage::SubmitAnswer {
                            question_id: question_id.clone(),
                            answer: *answer,
                        }));
                    }
                    Some((question_id, _))
                        if state.phase != Phase::Open
                            || state.question.as_ref().map(|q| &q.id) != Some(question_id) =>
                    {
                        // The question moved on before the answer was stored.
                        self.pending = None;
                    }
                    _ => {}
                }
                self.state = Some(state);
            }
            ServerMessage::AnswerAccepted { question_id } => {
                if self
                    .pending
                    .as_ref()
                    .is_some_and(|(id, _)| *id == question_id)
                {
                    self.pending = None;
                    self.editing = false;
                }
                if let Some(state) = &mut self.state
                    && state.question.as_ref().is_some_and(|q| q.id == question_id)
                {
                    state.answered = true;
                }
            }
            ServerMessage::Error { code, .. } => match code {
                ErrorCode::UnknownSession => {
                    self.error = Some(PhoneError::UnknownCode);
                    out.push(Output::StopReconnecting);
                }
                ErrorCode::RateLimited if self.state.is_none() => {
                    // Refused at the door: the code form again, with why.
                    self.error = Some(PhoneError::TooManyTries);
                    out.push(Output::StopReconnecting);
                }
                ErrorCode::SessionEnded => {
                    self.ended = true;
                    out.push(Output::StopReconnecting);
                }
                ErrorCode::QuestionNotOpen
                | ErrorCode::InvalidAnswer
                | ErrorCode::UnknownQuestion
                | ErrorCode::Internal => {
                    // Not stored: show the question again (if still open) so the
                    // participant can answer anew.
                    self.pending = None;
                }
                _ => {}
            },
            _ => {}
        }
        out
    }

    fn current_question_id(&self) -> Option<&str> {
        self.state
            .as_ref()
            .and_then(|s| s.question.as_ref())
            .map(|q| q.id.as_str())
    }

    /// The participant chose an answer.
    pub fn submit(&mut self, answer: Answer) -> Option<Output> {
        let question_id = self.current_question_id()?.to_string();
        if self.state.as_ref()?.phase != Phase::Open {
            return None;
        }
        self.pending = Some((question_id.clone(), answer));
        (self.connection == Connection::Open).then_some(Output::Send(ClientMessage::SubmitAnswer {
            question_id,
            answer,
        }))
    }

    pub fn change_answer(&mut self) {
        self.editing = true;
    }

    pub fn screen(&self) -> Screen {
        if self.code.is_none() || self.error.is_some() {
            return Screen::EnterCode { error: self.error };
        }
        if self.ended {
            return Screen::Ended;
        }
        let Some(state) = &self.state else {
            return Screen::Connecting;
        };
        match (state.phase, &state.question) {
            (Phase::Ended, _) => Screen::Ended,
            (Phase::Lobby, _) | (_, None) => Screen::Lobby,
            (Phase::Open, Some(question)) => {
                if self.pending.is_some() {
                    Screen::Answering {
                        question: question.clone(),
                        sending: true,
                    }
                } else if state.answered && !self.editing {
                    Screen::Thanks {
                        question_id: question.id.clone(),
                    }
                } else {
                    Screen::Answering {
                        question: question.clone(),
                        sending: false,
                    }
                }
            }
            (Phase::Closed | Phase::Revealed, Some(_)) => Screen::Waiting,
        }
    }

    /// Whether to show the calm "reconnecting" note.
    pub fn reconnecting(&self) -> bool {
        matches!(self.connection, Connection::Lost { .. }) && self.wants_connection()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pejling_wire::{QuestionKindView, Role};

    fn question(id: &str) -> QuestionView {
        QuestionView {
            id: id.into(),
            index: 0,
            count: 2,
            text: "Har du?".into(),
            kind: QuestionKindView::Choice {
                options: vec!["Ja".into(), "Nej".into()],
            },
            abstain: vec![],
            sensitive: true,
        }
    }

    fn state(phase: Phase, id: Option<&str>, answered: bool) -> ServerMessage {
        ServerMessage::State(ParticipantState {
            phase,
            question: id.map(question),
            answered,
        })
    }

    fn welcome(token: &str) -> ServerMessage {
        ServerMessage::Welcome {
            version: pejling_wire::PROTOCOL_VERSION,
            role: Role::Participant,
            session: None,
            token: Some(token.into()),
            controls: false,
        }
    }

    fn submit_message(id: &str, option: u32) -> Output {
        Output::Send(ClientMessage::SubmitAnswer {
            question_id: id.into(),
            answer: Answer::Choice { option },
        })
    }

    /// Issue 12 (8): a phone that joined by a typed "k7m-xpa" and later by the QR code's
    /// "K7MXPA" must find its token under one name, or it is counted twice.
    #[test]
    fn a_typed_code_keeps_the_token_under_the_scanned_code() {
        let mut phone = Phone::new(None, None);
        phone.set_code(" k7m-xpa ", None);
        assert_eq!(
            phone.on_open(),
            vec![Output::Send(ClientMessage::Join {
                version: pejling_wire::PROTOCOL_VERSION,
                code: "K7MXPA".into(),
                token: None
            })]
        );
        assert_eq!(
            phone.on_message(welcome("t1")),
            vec![Output::StoreToken {
                code: "K7MXPA".into(),
                token: "t1".into()
            }]
        );
        let scanned = Phone::new(Some("K7MXPA".into()), Some("t1".into()));
        assert_eq!(scanned.code.as_deref(), Some("K7MXPA"));
    }

    #[test]
    fn join_answer_thank_and_change() {
        let mut phone = Phone::new(Some("ACDEFH".into()), None);
        assert_eq!(phone.screen(), Screen::Connecting);
        assert_eq!(
            phone.on_open(),
            vec![Output::Send(ClientMessage::Join {
                version: pejling_wire::PROTOCOL_VERSION,
                code: "ACDEFH".into(),
                token: None
            })]
        );
        assert_eq!(
            phone.on_message(welcome("t1")),
            vec![Output::StoreToken {
                code: "ACDEFH".into(),
                token: "t1".into()
            }]
        );
        phone.on_message(state(Phase::Lobby, None, false));
        assert_eq!(phone.screen(), Screen::Lobby);
        phone.on_message(state(Phase::Open, Some("q1"), false));
        assert!(matches!(
            phone.screen(),
            Screen::Answering { sending: false, .. }
        ));
        assert_eq!(
            phone.submit(Answer::Choice { option: 1 }),
            Some(submit_message("q1", 1))
        );
        assert!(matches!(
            phone.screen(),
            Screen::Answering { sending: true, .. }
        ));
        phone.on_message(ServerMessage::AnswerAccepted {
            question_id: "q1".into(),
        });
        // Only a neutral thank-you; the screen does not carry the answer.
        assert_eq!(
            phone.screen(),
            Screen::Thanks {
                question_id: "q1".into()
            }
        );
        phone.change_answer();
        assert!(matches!(phone.screen(), Screen::Answering { .. }));
        phone.submit(Answer::Choice { option: 0 });
        phone.on_message(ServerMessage::AnswerAccepted {
            question_id: "q1".into(),
        });
        assert!(matches!(phone.screen(), Screen::Thanks { .. }));
        phone.on_message(state(Phase::Closed, Some("q1"), true));
        assert_eq!(phone.screen(), Screen::Waiting);
        phone.on_message(state(Phase::Open, Some("q2"), false));
        assert!(matches!(phone.screen(), Screen::Answering { .. }));
        let out = phone.on_message(state(Phase::Ended, None, false));
        assert_eq!(out, vec![Output::StopReconnecting]);
        assert_eq!(phone.screen(), Screen::Ended);
        assert!(!phone.wants_connection());
    }

    #[test]
    fn reconnect_resumes_with_token_and_resends_an_unacknowledged_answer() {
        let mut phone = Phone::new(Some("ACDEFH".into()), None);
        phone.on_open();
        phone.on_message(welcome("t1"));
        phone.on_message(state(Phase::Open, Some("q1"), false));
        phone.submit(Answer::Choice { option: 1 });
        // The connection drops before the acknowledgement.
        let delay = phone.on_close(0.5).expect("reconnects");
        assert_eq!(delay, 500);
        assert!(phone.reconnecting());
        assert_eq!(phone.on_close(0.5), Some(1000));
        assert_eq!(
            phone.on_open(),
            vec![Output::Send(ClientMessage::Join {
                version: pejling_wire::PROTOCOL_VERSION,
                code: "ACDEFH".into(),
                token: Some("t1".into())
            })]
        );
        assert!(!phone.reconnecting());
        phone.on_message(welcome("t1"));
        let out = phone.on_message(state(Phase::Open, Some("q1"), false));
        assert_eq!(out, vec![submit_message("q1", 1)]);
        phone.on_message(ServerMessage::AnswerAccepted {
            question_id: "q1".into(),
        });
        assert!(matches!(phone.screen(), Screen::Thanks { .. }));
    }

    #[test]
    fn a_pending_answer_is_dropped_when_the_question_moves_on() {
        let mut phone = Phone::new(Some("ACDEFH".into()), None);
        phone.on_open();
        phone.on_message(welcome("t1"));
        phone.on_message(state(Phase::Open, Some("q1"), false));
        phone.submit(Answer::Choice { option: 1 });
        phone.on_close(0.0);
        phone.on_open();
        phone.on_message(welcome("t1"));
        let out = phone.on_message(state(Phase::Open, Some("q2"), false));
        assert!(out.is_empty(), "no answer is sent to another question");
        assert!(matches!(
            phone.screen(),
            Screen::Answering { sending: false, .. }
        ));
    }

    #[test]
    fn unknown_code_asks_for_the_code_and_stops_reconnecting() {
        let mut phone = Phone::new(Some("ZZZZZZ".into()), None);
        phone.on_open();
        let out = phone.on_message(ServerMessage::Error {
            code: ErrorCode::UnknownSession,
            message: String::new(),
        });
        assert_eq!(out, vec![Output::StopReconnecting]);
        assert_eq!(
            phone.screen(),
            Screen::EnterCode {
                error: Some(PhoneError::UnknownCode)
            }
        );
        assert_eq!(phone.on_close(0.0), None);
        phone.set_code(" acdefh ", None);
        assert_eq!(phone.code(), Some("ACDEFH"));
        assert_eq!(phone.screen(), Screen::Connecting);
    }

    #[test]
    fn a_device_refused_at_the_door_is_told_to_wait() {
        let mut phone = Phone::new(Some("ACDEFH".into()), None);
        phone.on_open();
        let out = phone.on_message(ServerMessage::Error {
            code: ErrorCode::RateLimited,
            message: String::new(),
        });
        assert_eq!(out, vec![Output::StopReconnecting]);
        assert_eq!(
            phone.screen(),
            Screen::EnterCode {
                error: Some(PhoneError::TooManyTries)
            }
        );
    }

    #[test]
    fn a_refused_answer_shows_the_question_again() {
        let mut phone = Phone::new(Some("ACDEFH".into()), None);
        phone.on_open();
        phone.on_message(welcome("t1"));
        phone.on_message(state(Phase::Open, Some("q1"), false));
        phone.submit(Answer::Choice { option: 1 });
        phone.on_message(ServerMessage::Error {
            code: ErrorCode::Internal,
            message: String::new(),
        });
        assert!(matches!(
            phone.screen(),
            Screen::Answering { sending: false, .. }
        ));
    }

    #[test]
    fn backoff_doubles_up_to_eight_seconds_with_jitter() {
        let delays: Vec<u32> = (1..=8).map(|a| backoff_ms(a, 0.5)).collect();
        assert_eq!(delays, vec![500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
        assert_eq!(backoff_ms(1, 0.0), 375);
        assert_eq!(backoff_ms(1, 1.0), 625);
    }
}
