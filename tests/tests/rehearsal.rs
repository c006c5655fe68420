//! Rehearsals (*Øv med 25 elever*): simulated pupils answer every opened question, the
//! session says it is a rehearsal, and its simulated answers never leave it — no export,
//! no link from a parents' session.

use pejling_tests::wire::{Action, ClientMessage, ErrorCode, ServerMessage, SessionState};
use pejling_tests::{Facilitator, HOST_TOKEN, http_request, spawn_app};

async fn create_rehearsal(facilitator: &mut Facilitator) -> SessionState {
    facilitator
        .client
        .send(&ClientMessage::CreateSession {
            set_id: "7-klasse-alkohol".into(),
            label: Some("Øvelse".into()),
            description: Default::default(),
            linked_sessions: Vec::new(),
            rehearsal: true,
            follow_up_of: None,
        })
        .await;
    facilitator.session_state().await
}

#[tokio::test]
async fn simulated_pupils_answer_and_a_rehearsal_is_never_exported_or_linked() {
    let server = spawn_app().await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let state = create_rehearsal(&mut facilitator).await;
    assert!(
        state.session.rehearsal,
        "the session says it is a rehearsal"
    );
    let first = state.questions[0].id.clone();
    facilitator.control(Action::Open).await;
    // Every simulated pupil answers the opened question, through the engine like a phone.
    let tally = facilitator
        .tally_answered(&first, pejling_tests::pejling::rehearsal::PUPILS as u32)
        .await;
    assert_eq!(tally.participants, 25);

    // Not exported: neither the report nor the CSV.
    for file in ["report.html", "results.csv"] {
        let (status, body) = http_request(
            server.addr,
            &format!(
                "GET /export/{}/{file}?token={HOST_TOKEN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                state.session.id
            ),
        )
        .await;
        assert!(
            status.starts_with("HTTP/1.1 409"),
            "{file}: {status} {body}"
        );
        assert!(body.contains("rehearsal"), "{body}");
        assert!(
            !body.contains("Ja"),
            "no figure of the simulated answers: {body}"
        );
    }

    // Not linked: a parents' session cannot compare with simulated pupils.
    facilitator.control(Action::End).await;
    facilitator
        .client
        .send(&ClientMessage::CreateSession {
            set_id: "foraeldre-7-klasse".into(),
            label: None,
            description: Default::default(),
            linked_sessions: vec![state.session.id.clone()],
            rehearsal: false,
            follow_up_of: None,
        })
        .await;
    let message = loop {
        match facilitator.client.recv().await {
            ServerMessage::Error { code, message } => {
                assert_eq!(code, ErrorCode::InvalidLink);
                break message;
            }
            ServerMessage::SessionState(state) => {
                panic!("a parents' session was linked to a rehearsal: {state:?}")
            }
            _ => {}
        }
    };
    assert!(message.contains("rehearsal"), "{message}");
    server.stop().await;
}
