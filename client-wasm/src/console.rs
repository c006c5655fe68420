//! The facilitator console as plain data: messages in, what to send, what to keep in the
//! tab's storage and how much of the page to redraw out. No DOM, so it is tested natively
//! with tables of messages (`console/tests.rs`); `web/console.rs` draws it.
//!
//! A tally (up to ten a second while a class answers) redraws only the live parts — the
//! counts and the current question's result — so an open note, the keyboard focus and a
//! half-typed label survive it; a new session state redraws the page.

use pejling_wire::{
    ClientMessage, Description, DescriptionField, ErrorCode, ServerMessage, SessionState,
    SessionSummary, SetSummary, Tally, description_key,
};

use crate::i18n::{Language, Texted};

/// The tab's storage key for the host token (sessionStorage: gone when the tab closes).
pub const HOST_KEY: &str = "pejling.host";
/// The tab's storage key for the session it had open, to come back to after a reload.
pub const SESSION_KEY: &str = "pejling.session";

#[derive(Default, Debug)]
pub struct ConsoleModel {
    pub token: Option<String>,
    pub authenticated: bool,
    pub error: Option<String>,
    pub sets: Vec<SetSummary>,
    pub sessions: Vec<SessionSummary>,
    pub session: Option<SessionState>,
    pub tally: Option<Tally>,
    /// The question-set editor, while it is open (instead of the start page).
    pub editor: Option<crate::editor::EditorModel>,
    /// The overview (*Overblik*), while it is open (instead of the start page).
    pub overview: Option<Box<crate::overview::OverviewModel>>,
    /// Where the session's report or CSV download is (fetched, then saved from memory).
    pub download: crate::overview::ReportStatus,
}

/// How much of the page a message changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redraw {
    /// Nothing visible changed.
    Nothing,
    /// Only the counts and the current question's result.
    Live,
    /// The whole page.
    All,
}

/// What the glue does after a message.
#[derive(Debug, Default, PartialEq)]
pub struct Update {
    pub send: Vec<ClientMessage>,
    /// Keys to set in (Some) or remove from (None) the tab's storage.
    pub store: Vec<(&'static str, Option<String>)>,
    /// Stop reconnecting (the token is wrong).
    pub stop: bool,
    pub redraw: Option<Redraw>,
}

impl ConsoleModel {
    /// Applies a message. `stored_session` is the session this tab had open before a
    /// reload, if any.
    pub fn on_message(
        &mut self,
        message: ServerMessage,
        stored_session: Option<String>,
        lang: Language,
    ) -> Update {
        let mut update = Update {
            redraw: Some(Redraw::All),
            ..Update::default()
        };
        match message {
            ServerMessage::Welcome { .. } => {
                self.authenticated = true;
                self.error = None;
                if let Some(token) = &self.token {
                    update.store.push((HOST_KEY, Some(token.clone())));
                }
                update.send.push(ClientMessage::ListSets);
                update.send.push(ClientMessage::ListSessions);
                // After a reconnect or a reload, go back to the session that was open.
                let open = self
                    .session
                    .as_ref()
                    .map(|session| session.session.id.clone())
                    .or(stored_session);
                if let Some(session_id) = open {
                    update
                        .send
                        .push(ClientMessage::AttachSession { session_id });
                }
            }
            ServerMessage::Sets { sets } => self.sets = sets,
            ServerMessage::Sessions { sessions } => self.sessions = sessions,
            ServerMessage::SessionState(state) => {
                update
                    .store
                    .push((SESSION_KEY, Some(state.session.id.clone())));
                self.session = Some(state);
            }
            ServerMessage::Tally(tally) => {
                let unchanged = self.tally.as_ref() == Some(&tally);
                // The live parts exist only on a session's page; a tally before its
                // session state (or for another session) waits for the next full draw.
                let for_shown_session = self
                    .session
                    .as_ref()
                    .is_some_and(|s| s.session.id == tally.session_id);
                self.tally = Some(tally);
                update.redraw = Some(match (unchanged, for_shown_session) {
                    (true, _) => Redraw::Nothing,
                    (false, true) => Redraw::Live,
                    (false, false) => Redraw::Nothing,
                });
            }
            ServerMessage::Error { code, message } => {
                if code == ErrorCode::BadToken {
                    self.token = None;
                    self.authenticated = false;
                    update.stop = true;
                    update.store.push((HOST_KEY, None));
                    self.error = Some(lang.texts().bad_token.to_string());
                } else if code == ErrorCode::UnknownSession && self.session.is_none() {
                    // The session this tab had open is gone (e.g. another data file):
                    // start from the list instead.
                    update.store.push((SESSION_KEY, None));
                } else {
                    // In the console's language; the server's English detail goes to the
                    // browser's log only.
                    let _ = message;
                    self.error = Some(lang.error_text(code).to_string());
                }
            }
            _ => update.redraw = Some(Redraw::Nothing),
        }
        update
    }

    /// The values given earlier for a description field, each once (values that are the
    /// same but for case and spaces are one, in the spelling used most recently), most
    /// recently used first: what the start form offers, so "Nordskolen" is not also typed
    /// as "nordskolen". The server keeps the first spelling either way.
    pub fn earlier_values(&self, field: DescriptionField) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut sessions: Vec<&SessionSummary> = self.sessions.iter().collect();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        sessions
            .into_iter()
            .filter_map(|s| s.description.get(field))
            .filter(|value| seen.insert(description_key(value)))
            .map(str::to_string)
            .collect()
    }

    /// Back to the list of sets and sessions.
    pub fn home(&mut self) -> Update {
        self.session = None;
        self.tally = None;
        Update {
            send: vec![ClientMessage::ListSessions],
            store: vec![(SESSION_KEY, None)],
            stop: false,
            redraw: Some(Redraw::All),
        }
    }
}

/// What the console calls a session: its label, else its class and school, else its join
/// code (as the server names it).
pub fn session_name(summary: &SessionSummary) -> String {
    summary
        .label
        .clone()
        .or_else(|| summary.description.name())
        .unwrap_or_else(|| summary.code.clone())
}

/// A description on one line, for the session list: "7.b · Nordskolen · 7. klasse · forår
/// 2027". Empty for none.
pub fn description_line(description: &Description, lang: Language) -> String {
    let grade = description.grade.as_deref().map(|grade| {
        if grade.parse::<u32>().is_ok() {
            lang.texts().grade_of.replace("{n}", grade)
        } else {
            grade.to_string()
        }
    });
    [
        description.class.clone(),
        description.school.clone(),
        grade,
        description.term.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ")
}

/// What the session list says of a session beside its name: its description, without
/// the class and school when they are its name already.
pub fn session_details(summary: &SessionSummary, lang: Language) -> String {
    let mut description = summary.description.clone();
    if summary.label.is_none() {
        description.class = None;
        description.school = None;
    }
    description_line(&description, lang)
}

/// The term a month (1–12) falls in, as the start form suggests it: "forår 2027" from
/// January to July, "efterår 2026" from August (the school year's start).
pub fn term_of(year: i32, month: u32, lang: Language) -> String {
    let t = lang.texts();
    let season = if month >= 8 {
        t.term_autumn
    } else {
        t.term_spring
    };
    format!("{season} {year}")
}

#[cfg(test)]
mod tests;
