//! Sessions described (issue 17): school, grade, class and term, checked and cleaned.

use pejling_tests::wire::{ClientMessage, Description, SessionState};
use pejling_tests::{Facilitator, spawn_app_with_min_answers};

const SET: &str = "7-klasse-alkohol";

async fn create(
    facilitator: &mut Facilitator,
    set_id: &str,
    description: Description,
    linked_sessions: Vec<String>,
    rehearsal: bool,
) -> SessionState {
    facilitator
        .client
        .send(&ClientMessage::CreateSession {
            set_id: set_id.into(),
            label: None,
            description,
            linked_sessions,
            rehearsal,
        })
        .await;
    facilitator.session_state().await
}

#[tokio::test]
async fn a_description_is_checked_and_cleaned() {
    let server = spawn_app_with_min_answers(5).await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let long = Description {
        school: Some("x".repeat(61)),
        ..Description::default()
    };
    facilitator
        .client
        .send(&ClientMessage::CreateSession {
            set_id: SET.into(),
            label: None,
            description: long,
            linked_sessions: Vec::new(),
            rehearsal: false,
        })
        .await;
    let message = facilitator
        .client
        .expect_error(pejling_tests::wire::ErrorCode::BadMessage)
        .await;
    assert!(message.contains("school"), "{message}");
    // A description with an unknown field is not a valid message.
    facilitator
        .client
        .send_raw(
            r#"{"type":"create_session","set_id":"7-klasse-alkohol","description":{"pupil":"Ida"}}"#
                .into(),
        )
        .await;
    facilitator
        .client
        .expect_error(pejling_tests::wire::ErrorCode::BadMessage)
        .await;
    // Spaces are cleaned; the session is named by its class and school.
    let state = create(
        &mut facilitator,
        SET,
        Description {
            school: Some("  Øster   Skole ".into()),
            class: Some(" 8.c".into()),
            grade: Some("   ".into()),
            term: None,
        },
        Vec::new(),
        false,
    )
    .await;
    assert_eq!(
        state.session.description,
        Description {
            school: Some("Øster Skole".into()),
            class: Some("8.c".into()),
            ..Description::default()
        }
    );
    assert_eq!(state.session.label, None);
}
