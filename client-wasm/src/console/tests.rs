//! Table tests of the console model: messages in, what is sent, stored and redrawn.

#![allow(clippy::type_complexity)] // tables of tuples read best inline

use pejling_wire::{Audience, Description, Phase, SessionInfo};

use super::*;
use crate::i18n::Texted;

fn state(id: &str) -> SessionState {
    SessionState {
        session: SessionInfo {
            id: id.into(),
            code: "ABCDEF".into(),
            label: None,
            description: Description::default(),
            set_id: "set".into(),
            set_title: "Sæt".into(),
            audience: Audience::Pupils,
            language: "da".into(),
            created_at: 0,
            join_url: String::new(),
            screen_token: None,
            facilitator_note: None,
            rehearsal: false,
        },
        phase: Phase::Open,
        current: None,
        questions: Vec::new(),
        reveal_step: 0,
        reveal_steps: 0,
        next_action: None,
        back_action: None,
        compares_linked: false,
        has_national: false,
    }
}

fn tally(session_id: &str, participants: u32) -> Tally {
    Tally {
        session_id: session_id.into(),
        participants,
        connected: participants,
        clickers: 0,
        question: None,
        bridges: Vec::new(),
    }
}

fn welcome() -> ServerMessage {
    ServerMessage::Welcome {
        version: pejling_wire::PROTOCOL_VERSION,
        role: pejling_wire::Role::Facilitator,
        session: None,
        token: None,
        controls: false,
    }
}

#[test]
fn messages_to_what_is_sent_stored_and_redrawn() {
    let mut model = ConsoleModel {
        token: Some("host-token".into()),
        ..ConsoleModel::default()
    };
    // (message, session stored in the tab, sent, stored, redraw)
    let table: Vec<(
        ServerMessage,
        Option<&str>,
        Vec<ClientMessage>,
        Vec<(&str, Option<&str>)>,
        Redraw,
    )> = vec![
        // Logged in after a reload: lists, and back to the session the tab had open.
        (
            welcome(),
            Some("s1"),
            vec![
                ClientMessage::ListSets,
                ClientMessage::ListSessions,
                ClientMessage::AttachSession {
                    session_id: "s1".into(),
                },
            ],
            vec![(HOST_KEY, Some("host-token"))],
            Redraw::All,
        ),
        // A tally before the session's page is drawn changes nothing visible.
        (
            ServerMessage::Tally(tally("s1", 3)),
            None,
            vec![],
            vec![],
            Redraw::Nothing,
        ),
        (
            ServerMessage::SessionState(state("s1")),
            None,
            vec![],
            vec![(SESSION_KEY, Some("s1"))],
            Redraw::All,
        ),
        // While a class answers, tallies redraw only the live parts, so an open note and
        // the keyboard focus survive; the same tally again redraws nothing.
        (
            ServerMessage::Tally(tally("s1", 4)),
            None,
            vec![],
            vec![],
            Redraw::Live,
        ),
        (
            ServerMessage::Tally(tally("s1", 4)),
            None,
            vec![],
            vec![],
            Redraw::Nothing,
        ),
        (
            ServerMessage::Tally(tally("another", 9)),
            None,
            vec![],
            vec![],
            Redraw::Nothing,
        ),
        (
            ServerMessage::Pong { nonce: 1 },
            None,
            vec![],
            vec![],
            Redraw::Nothing,
        ),
        // A reconnect goes back to the open session, not the stored one.
        (
            welcome(),
            Some("old"),
            vec![
                ClientMessage::ListSets,
                ClientMessage::ListSessions,
                ClientMessage::AttachSession {
                    session_id: "s1".into(),
                },
            ],
            vec![(HOST_KEY, Some("host-token"))],
            Redraw::All,
        ),
    ];
    for (n, (message, stored, sent, kept, redraw)) in table.into_iter().enumerate() {
        let update = model.on_message(message, stored.map(String::from), Language::Da);
        assert_eq!(update.send, sent, "row {n}");
        let kept: Vec<(&str, Option<String>)> = kept
            .into_iter()
            .map(|(k, v)| (k, v.map(String::from)))
            .collect();
        assert_eq!(update.store, kept, "row {n}");
        assert_eq!(update.redraw, Some(redraw), "row {n}");
        assert!(!update.stop, "row {n}");
    }
}

#[test]
fn a_wrong_token_stops_and_says_so() {
    let mut model = ConsoleModel {
        token: Some("wrong".into()),
        ..ConsoleModel::default()
    };
    let update = model.on_message(
        ServerMessage::Error {
            code: ErrorCode::BadToken,
            message: "the host token is not right".into(),
        },
        None,
        Language::Da,
    );
    assert!(update.stop);
    assert_eq!(update.store, vec![(HOST_KEY, None)]);
    assert_eq!(model.token, None);
    assert_eq!(model.error.as_deref(), Some(Language::Da.texts().bad_token));
    // A session that is gone sends the tab back to the list.
    let update = model.on_message(
        ServerMessage::Error {
            code: ErrorCode::UnknownSession,
            message: "no session".into(),
        },
        None,
        Language::Da,
    );
    assert_eq!(update.store, vec![(SESSION_KEY, None)]);
    assert!(!update.stop);
}

fn summary(created_at: i64, label: Option<&str>, description: Description) -> SessionSummary {
    SessionSummary {
        id: format!("s{created_at}"),
        code: "KMXPAT".into(),
        label: label.map(str::to_string),
        description,
        set_id: "set".into(),
        set_title: "Sæt".into(),
        created_at,
        phase: Phase::Ended,
        participants: 20,
        rehearsal: false,
        linked: Vec::new(),
        follow_up_of: None,
    }
}

fn school_and_class(school: &str, class: &str) -> Description {
    Description {
        school: Some(school.into()),
        class: Some(class.into()),
        ..Description::default()
    }
}

#[test]
fn the_start_form_offers_earlier_values_once_each_newest_first() {
    let console = ConsoleModel {
        sessions: vec![
            summary(1, None, school_and_class("Nordskolen", "7.a")),
            summary(3, None, school_and_class("nordskolen ", "7.b")),
            summary(2, None, school_and_class("Sydskolen", "7.a")),
            summary(4, Some("Øvelse"), Description::default()),
        ],
        ..ConsoleModel::default()
    };
    assert_eq!(
        console.earlier_values(DescriptionField::School),
        ["nordskolen ", "Sydskolen"]
    );
    assert_eq!(
        console.earlier_values(DescriptionField::Class),
        ["7.b", "7.a"]
    );
    assert!(console.earlier_values(DescriptionField::Term).is_empty());
}

#[test]
fn sessions_are_named_and_described() {
    let described = Description {
        school: Some("Nordskolen".into()),
        grade: Some("7".into()),
        class: Some("7.b".into()),
        term: Some("forår 2027".into()),
    };
    assert_eq!(
        description_line(&described, Language::Da),
        "7.b · Nordskolen · 7. klasse · forår 2027"
    );
    assert_eq!(
        description_line(&described, Language::En),
        "7.b · Nordskolen · grade 7 · forår 2027"
    );
    // (label, description, name, details in the list)
    let table = [
        (
            None,
            described.clone(),
            "7.b, Nordskolen",
            "7. klasse · forår 2027",
        ),
        (
            Some("Temadag"),
            described.clone(),
            "Temadag",
            "7.b · Nordskolen · 7. klasse · forår 2027",
        ),
        (None, Description::default(), "KMXPAT", ""),
        (
            None,
            Description {
                grade: Some("1.g".into()),
                ..Description::default()
            },
            "KMXPAT",
            "1.g",
        ),
    ];
    for (label, description, name, details) in table {
        let session = summary(1, label, description);
        assert_eq!(session_name(&session), name);
        assert_eq!(session_details(&session, Language::Da), details);
    }
    assert_eq!(term_of(2027, 3, Language::Da), "forår 2027");
    assert_eq!(term_of(2026, 8, Language::Da), "efterår 2026");
    assert_eq!(term_of(2026, 12, Language::En), "autumn 2026");
}
