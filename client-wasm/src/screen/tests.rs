//! Table tests of the screen model: messages in, what the projector shows out.

use pejling_wire::{
    Audience, FigureRole, KeyFigure, QuestionStatus, QuestionSummary, QuestionTally, QuestionView,
    RevealView, SessionInfo, Waiting,
};

use super::*;

fn state(phase: Phase, step: u32, next: Option<Action>) -> SessionState {
    SessionState {
        session: SessionInfo {
            id: "s1".into(),
            code: "ABCDEF".into(),
            label: None,
            description: Default::default(),
            set_id: "set".into(),
            set_title: "7. klasse".into(),
            audience: Audience::Pupils,
            language: "da".into(),
            created_at: 0,
            join_url: String::new(),
            screen_token: None,
            facilitator_note: None,
            rehearsal: false,
        },
        phase,
        current: (phase != Phase::Lobby).then(|| QuestionView {
            id: "guess".into(),
            index: 1,
            count: 2,
            text: "Hvor mange procent tror du?".into(),
            kind: QuestionKindView::Percent,
            abstain: Vec::new(),
            sensitive: false,
        }),
        questions: vec![QuestionSummary {
            id: "guess".into(),
            text: String::new(),
            status: QuestionStatus::Open,
        }],
        reveal_step: step,
        reveal_steps: 3,
        next_action: next,
        back_action: None,
        compares_linked: false,
        has_national: false,
    }
}

fn tally(reveal: Option<RevealView>, hidden: Option<Hidden>) -> Tally {
    Tally {
        session_id: "s1".into(),
        participants: 22,
        connected: 22,
        clickers: 0,
        question: Some(QuestionTally {
            question_id: "guess".into(),
            answered: 20,
            result: None,
            hidden,
            reveal,
            waiting: None,
        }),
        bridges: Vec::new(),
    }
}

fn figure(role: FigureRole, value: &str) -> KeyFigure {
    KeyFigure {
        role,
        value: value.into(),
        label: String::new(),
        detail: None,
        source: None,
    }
}

/// A short transcript of the result area.
fn shown(model: &ScreenModel) -> String {
    match model.view() {
        ScreenView::Question { head, result, .. } => {
            let result = match result {
                ResultView::Note(note) => format!("note: {note}"),
                ResultView::Bars { .. } => "bars".into(),
                ResultView::Reveal {
                    figures,
                    sentence,
                    chart,
                } => format!(
                    "{} | {} | {}",
                    figures
                        .iter()
                        .map(|f| f.value.as_str())
                        .collect::<Vec<_>>()
                        .join(" · "),
                    sentence.unwrap_or_default(),
                    chart.unwrap_or_default()
                ),
            };
            format!("{} — {result}", head.answered)
        }
        other => format!("{other:?}"),
    }
}

#[test]
fn messages_to_what_the_projector_shows() {
    let mut model = ScreenModel::default();
    let reveal = |step: u32, figures: Vec<KeyFigure>, sentence: Option<&str>| RevealView {
        step,
        steps: 3,
        figures,
        sentence: sentence.map(String::from),
        pattern: None,
        chart: Some(format!("k{step}")),
    };
    let table: Vec<(ServerMessage, &str)> = vec![
        (
            ServerMessage::SessionState(state(Phase::Open, 0, Some(Action::Close))),
            "0 / 0 har svaret — note: Ingen svar endnu",
        ),
        (
            ServerMessage::Tally(tally(None, Some(Hidden::UntilReveal))),
            "20 / 22 har svaret — note: Gættene vises, når alle har gættet.",
        ),
        (
            ServerMessage::Tally(tally(
                Some(reveal(1, vec![figure(FigureRole::Guesses, "33 %")], None)),
                None,
            )),
            "20 / 22 har svaret — 33 % |  | /chart/s1/guess.svg?v=k1",
        ),
        (
            ServerMessage::Tally(tally(
                Some(reveal(
                    3,
                    vec![
                        figure(FigureRole::Guesses, "33 %"),
                        figure(FigureRole::Actual, "14 %"),
                        figure(FigureRole::National, "6 %"),
                    ],
                    Some("I troede, at flere …"),
                )),
                None,
            )),
            "20 / 22 har svaret — 33 % · 14 % · 6 % | I troede, at flere … | /chart/s1/guess.svg?v=k3",
        ),
        (
            ServerMessage::Tally(tally(None, Some(Hidden::UntilComparison))),
            "20 / 22 har svaret — note: Svarene vises, når I har gættet.",
        ),
    ];
    // Before the first tally the model knows no counts.
    for (message, expected) in table {
        model.on_message(message);
        assert_eq!(shown(&model), expected);
    }
}

#[test]
fn keys_take_the_engines_next_step_only_on_a_screen_that_controls() {
    let mut model = ScreenModel::default();
    model.on_message(ServerMessage::SessionState(state(
        Phase::Closed,
        1,
        Some(Action::Reveal),
    )));
    assert_eq!(
        model.key("ArrowRight"),
        KeyOutcome::Ignore,
        "a read-only screen"
    );
    model.on_message(ServerMessage::Welcome {
        version: pejling_wire::PROTOCOL_VERSION,
        role: pejling_wire::Role::Screen,
        session: None,
        token: None,
        controls: true,
    });
    let table = [
        ("ArrowRight", Some(Action::Reveal)),
        ("PageDown", Some(Action::Reveal)),
        (" ", Some(Action::Reveal)),
        ("ArrowLeft", None), // no back action in this state
        ("x", None),
    ];
    for (key, action) in table {
        let expected = match action {
            Some(action) => KeyOutcome::Send(ClientMessage::Control { action }),
            None => KeyOutcome::Ignore,
        };
        assert_eq!(model.key(key), expected, "{key:?}");
    }
    assert_eq!(model.key("b"), KeyOutcome::Redraw);
    assert!(matches!(model.view(), ScreenView::Blank(_)));
    model.key("b");
    assert!(matches!(model.view(), ScreenView::Question { .. }));
    // The hint names the next step as the console's main button does.
    let ScreenView::Question { hint, .. } = model.view() else {
        panic!()
    };
    assert!(hint.unwrap().contains("vis jeres svar"));
}

/// Tester's finding on issue 11: one extra click on a remote ended the lesson. The last
/// step asks first; ← (or any other key) cancels.
#[test]
fn ending_from_the_keyboard_asks_first() {
    let mut model = ScreenModel {
        controls: true,
        ..ScreenModel::default()
    };
    model.on_message(ServerMessage::SessionState(state(
        Phase::Revealed,
        3,
        Some(Action::End),
    )));
    assert_eq!(model.key("ArrowRight"), KeyOutcome::Redraw);
    let ScreenView::Question { hint, .. } = model.view() else {
        panic!()
    };
    assert!(hint.unwrap().starts_with("Tryk → igen"));
    assert_eq!(model.key("ArrowLeft"), KeyOutcome::Redraw, "cancelled");
    assert_eq!(model.key("PageDown"), KeyOutcome::Redraw, "asks again");
    assert_eq!(
        model.key("PageDown"),
        KeyOutcome::Send(ClientMessage::Control {
            action: Action::End
        })
    );
}

#[test]
fn an_error_is_shown_in_danish_not_as_the_servers_english() {
    let mut model = ScreenModel::default();
    let stop = model.on_message(ServerMessage::Error {
        code: ErrorCode::UnknownSession,
        message: "no running session has the code \"MCFCFN\"".into(),
    });
    assert!(
        stop,
        "a screen with a code no session has stops reconnecting"
    );
    match model.view() {
        ScreenView::Error(text) => {
            assert!(text.starts_with("Ingen igangværende session"), "{text}");
            assert!(!text.contains("no running session"), "{text}");
        }
        _ => panic!("an error view"),
    }
}

/// Issue 24: figures that leave newer answers out say so, in the session's language, and
/// a note that hides the figures has no such line (nothing is shown to wait for).
#[test]
fn figures_that_leave_newer_answers_out_say_how_many() {
    let mut model = ScreenModel::default();
    model.on_message(ServerMessage::SessionState(state(Phase::Revealed, 3, None)));
    let reveal = RevealView {
        step: 3,
        steps: 3,
        figures: vec![figure(FigureRole::Guesses, "60 %")],
        sentence: None,
        pattern: None,
        chart: None,
    };
    let mut with_waiting = tally(Some(reveal), None);
    with_waiting.question.as_mut().unwrap().waiting = Some(Waiting {
        answers: 2,
        needed: 5,
    });
    model.on_message(ServerMessage::Tally(with_waiting.clone()));
    let ScreenView::Question { waiting, .. } = model.view() else {
        panic!()
    };
    assert_eq!(
        waiting.as_deref(),
        Some(
            "2 nye svar er ikke med endnu. Tallene skifter først, når et spørgsmål har 5 nye svar, så ingen kan genkendes."
        )
    );
    with_waiting.question.as_mut().unwrap().waiting = Some(Waiting {
        answers: 1,
        needed: 5,
    });
    model.on_message(ServerMessage::Tally(with_waiting.clone()));
    let ScreenView::Question { waiting, .. } = model.view() else {
        panic!()
    };
    assert!(
        waiting
            .unwrap()
            .starts_with("1 nyt svar er ikke med endnu.")
    );
    // Hidden (opened again): a note instead of figures, and no waiting line.
    let mut hidden = tally(None, Some(Hidden::UntilReveal));
    hidden.question.as_mut().unwrap().waiting = Some(Waiting {
        answers: 1,
        needed: 5,
    });
    model.on_message(ServerMessage::SessionState(state(Phase::Open, 0, None)));
    model.on_message(ServerMessage::Tally(hidden));
    let ScreenView::Question {
        waiting, result, ..
    } = model.view()
    else {
        panic!()
    };
    assert!(matches!(result, ResultView::Note(_)));
    assert_eq!(waiting, None);
}
