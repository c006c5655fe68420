//! The projector screen as plain data: messages in, what the screen shows out. No DOM, so
//! it is tested natively with tables of messages (`web.rs` only draws a [`ScreenView`]).
//!
//! The screen shows what the server allows and nothing else: the key figures, the
//! sentence and the chart come ready-made in the tally's `reveal` (docs/protocol.md); the
//! screen never computes a share itself. Its language is the session's (no language
//! button on a projector). A screen opened with the host token may also run the session
//! from the keyboard or a presentation remote: → / PageDown / Space take the natural next
//! step, ← / PageUp go back, B or . blanks the screen.

use pejling_wire::{
    Action, ClientMessage, ErrorCode, Hidden, KeyFigure, Phase, QuestionKindView, ServerMessage,
    SessionState, Tally,
};

use crate::bars::{Bars, bars};
use crate::i18n::{Language, Texted, Texts, question_of, waiting_note};

#[derive(Default, Debug)]
pub struct ScreenModel {
    pub session: Option<SessionState>,
    pub tally: Option<Tally>,
    pub error: Option<String>,
    /// The server said this screen may control the session (it watched with the host
    /// token).
    pub controls: bool,
    /// Blanked by the facilitator (B or .): the screen shows nothing but a black page.
    pub blank: bool,
    /// The next step would end the session: one press asks, the second ends it (the
    /// console asks too), so a remote's extra click does not end a lesson.
    pub confirm_end: bool,
}

/// What a key press on the screen does.
#[derive(Debug, PartialEq)]
pub enum KeyOutcome {
    Send(ClientMessage),
    /// Redraw (the screen was blanked or shown again).
    Redraw,
    Ignore,
}

/// The whole screen, as data.
// One view exists at a time (built per message, compared with the last one drawn), so the
// size of the large variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ScreenView {
    Blank(String),
    Connecting(String),
    Error(String),
    Lobby {
        title: String,
        lead: String,
        participants: String,
    },
    Ended(String),
    Question {
        head: Head,
        result: ResultView,
        /// The figures leave newer answers out (`QuestionTally::waiting`): the note says
        /// how many and why.
        waiting: Option<String>,
        /// The keyboard hint, for a screen that controls.
        hint: Option<String>,
        /// "question-id/phase/reveal step", set on the page as `data-state` so tests (and
        /// anyone debugging a projector) can tell which state is drawn.
        state: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub progress: String,
    /// A rehearsal: the progress line is drawn as a marker.
    pub rehearsal: bool,
    pub text: String,
    pub answered: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResultView {
    /// Nothing to show yet, with the reason in words.
    Note(String),
    /// A question's distribution as bars (choice and scale: rows; number and percent:
    /// columns in value order, with the mean marked).
    Bars {
        bars: Bars,
        columns: bool,
        mean: Option<String>,
        /// National figures the question cites, once revealed.
        national: Vec<KeyFigure>,
    },
    /// A revealed comparison or national figures.
    Reveal {
        figures: Vec<KeyFigure>,
        sentence: Option<String>,
        /// The chart's address (without the token), when there is one.
        chart: Option<String>,
    },
}

impl ScreenModel {
    /// Applies a server message; returns whether the screen should stop reconnecting.
    pub fn on_message(&mut self, message: ServerMessage) -> bool {
        match message {
            ServerMessage::Welcome { controls, .. } => {
                self.controls = controls;
                self.error = None;
            }
            ServerMessage::SessionState(state) => self.session = Some(state),
            ServerMessage::Tally(tally) => self.tally = Some(tally),
            ServerMessage::Error { code, .. } => {
                let fatal = matches!(code, ErrorCode::BadToken | ErrorCode::UnknownSession);
                if fatal || self.session.is_none() {
                    // In the session's language (Danish before the session is known).
                    self.error = Some(self.lang().error_text(code).to_string());
                }
                return fatal;
            }
            _ => {}
        }
        false
    }

    /// The session's language, which the screen always uses.
    pub fn lang(&self) -> Language {
        self.session
            .as_ref()
            .map_or(Language::Da, |s| Language::from_code(&s.session.language))
    }

    /// What a key does: only a screen that controls reacts to the step keys.
    pub fn key(&mut self, key: &str) -> KeyOutcome {
        if !self.controls {
            return KeyOutcome::Ignore;
        }
        let state = self.session.as_ref();
        let forward = matches!(key, "ArrowRight" | "PageDown" | " " | "Enter");
        if forward && state.and_then(|s| s.next_action) == Some(Action::End) && !self.confirm_end {
            self.confirm_end = true;
            return KeyOutcome::Redraw;
        }
        if self.confirm_end {
            self.confirm_end = false;
            if !forward {
                return KeyOutcome::Redraw;
            }
        }
        let action = match key {
            "ArrowRight" | "PageDown" | " " | "Enter" => state.and_then(|s| s.next_action),
            "ArrowLeft" | "PageUp" => state.and_then(|s| s.back_action),
            "b" | "B" | "." => {
                self.blank = !self.blank;
                return KeyOutcome::Redraw;
            }
            _ => None,
        };
        match action {
            Some(action) => KeyOutcome::Send(ClientMessage::Control { action }),
            None => KeyOutcome::Ignore,
        }
    }

    pub fn view(&self) -> ScreenView {
        let t = self.lang().texts();
        if self.blank {
            return ScreenView::Blank(t.blank_word.to_string());
        }
        if let Some(error) = &self.error {
            return ScreenView::Error(error.clone());
        }
        let Some(state) = &self.session else {
            return ScreenView::Connecting(t.connecting.to_string());
        };
        let tally = self
            .tally
            .as_ref()
            .filter(|tally| tally.session_id == state.session.id);
        let participants = tally.map_or(0, |t| t.participants);
        match (state.phase, &state.current) {
            (Phase::Ended, _) => ScreenView::Ended(t.session_over.to_string()),
            (Phase::Lobby, _) | (_, None) => ScreenView::Lobby {
                title: state.session.set_title.clone(),
                lead: if state.session.rehearsal {
                    format!("{} — {}", t.rehearsal_badge, t.waiting_for_start)
                } else {
                    t.waiting_for_start.to_string()
                },
                participants: format!("{participants} {}", t.participants),
            },
            (_, Some(question)) => {
                let q = tally
                    .and_then(|t| t.question.as_ref())
                    .filter(|q| q.question_id == question.id);
                let answered = q.map_or(0, |q| q.answered);
                let progress = question_of(t, question.index, question.count);
                let head = Head {
                    rehearsal: state.session.rehearsal,
                    // A rehearsal says so on every screen.
                    progress: if state.session.rehearsal {
                        format!("{} · {progress}", t.rehearsal_label)
                    } else {
                        progress
                    },
                    text: question.text.clone(),
                    answered: format!("{answered} / {participants} {}", t.answered),
                };
                let result = match q {
                    None => ResultView::Note(t.no_answers.to_string()),
                    Some(q) => match (&q.reveal, &q.result, q.hidden) {
                        (Some(reveal), _, _) if reveal.steps == 3 => ResultView::Reveal {
                            figures: reveal.figures.clone(),
                            sentence: reveal.sentence.clone(),
                            chart: reveal.chart.as_ref().map(|key| {
                                format!("/chart/{}/{}.svg?v={key}", state.session.id, question.id)
                            }),
                        },
                        (_, Some(result), _) => {
                            let bars = bars(question, result);
                            let columns = matches!(
                                question.kind,
                                QuestionKindView::Number { .. } | QuestionKindView::Percent
                            );
                            let mean = bars
                                .mean
                                .map(|mean| format!("{}: {}", t.mean, self.lang().decimal(mean)));
                            ResultView::Bars {
                                bars,
                                columns,
                                mean,
                                national: q
                                    .reveal
                                    .as_ref()
                                    .map(|r| r.figures.clone())
                                    .unwrap_or_default(),
                            }
                        }
                        (_, None, Some(Hidden::TooFew { needed })) => {
                            ResultView::Note(t.too_few.replace("{n}", &needed.to_string()))
                        }
                        (_, None, Some(Hidden::UntilComparison)) => {
                            ResultView::Note(t.hidden_until_comparison.to_string())
                        }
                        (_, None, _) if question_perceives(state, &question.id) => {
                            ResultView::Note(t.hidden_guesses.to_string())
                        }
                        (_, None, _) => ResultView::Note(t.hidden_until_reveal.to_string()),
                    },
                };
                let hint = self.controls.then(|| {
                    if self.confirm_end {
                        t.confirm_end_key.to_string()
                    } else {
                        t.key_hint
                            .replace("{next}", &action_label(t, state).to_lowercase())
                            .replace("{back}", t.back_word)
                    }
                });
                let waiting = q
                    .and_then(|q| q.waiting.as_ref())
                    .filter(|_| !matches!(result, ResultView::Note(_)))
                    .map(|waiting| waiting_note(t, waiting));
                ScreenView::Question {
                    head,
                    result,
                    waiting,
                    hint,
                    state: format!(
                        "{}/{}/{}",
                        question.id,
                        match state.phase {
                            Phase::Lobby => "lobby",
                            Phase::Open => "open",
                            Phase::Closed => "closed",
                            Phase::Revealed => "revealed",
                            Phase::Ended => "ended",
                        },
                        state.reveal_step
                    ),
                }
            }
        }
    }
}

/// Whether the question is the guessing half of a pair (it has three reveal steps).
fn question_perceives(state: &SessionState, question_id: &str) -> bool {
    state.current.as_ref().is_some_and(|c| c.id == question_id) && state.reveal_steps == 3
}

/// The name of the natural next step, for the console's main button and the screen's
/// hint: "Vis gættene", "Vis jeres svar", "Næste spørgsmål", …
pub fn action_label(t: &Texts, state: &SessionState) -> String {
    match state.next_action {
        Some(Action::Open) if state.current.is_none() => t.main_open_first,
        Some(Action::Open) => t.action_open,
        Some(Action::Close) => t.main_close,
        Some(Action::Reveal) if state.reveal_steps == 3 => match state.reveal_step {
            0 => t.reveal_guesses,
            1 if state.compares_linked => t.reveal_pupils,
            1 => t.reveal_actual,
            _ if state.has_national => t.reveal_complete,
            _ => t.reveal_conclusion,
        },
        Some(Action::Reveal) => t.action_reveal,
        Some(Action::Next) => t.main_next,
        Some(Action::End) => t.action_end,
        Some(Action::Previous) => t.action_previous,
        Some(Action::RevealAll) => t.action_reveal_all,
        Some(Action::Conceal) => t.action_conceal,
        None => "",
    }
    .to_string()
}

#[cfg(test)]
mod tests;
