//! Table tests of what the room sees (`room.rs`, `docs/results.md`): a latecomer, one
//! changed answer, k − 1 and k changes, a reopened question of each kind, a reopened guess
//! question, a parents' pool, and a restart in between. k is 5 throughout.

use std::sync::Arc;

use pejling_wire::{Action, Answer, Distribution, Hidden, QuestionStatus, TallyResult, Waiting};

use crate::engine::{ConnId, Effect, Engine, Event, ParticipantKey, SessionMeta, Staff};
use crate::pooling::{LinkedSession, groups_for};
use crate::questions;

const FACILITATOR: ConnId = 1000;

const SET: &str = r#"
format = 1
id = "room-test"
title = "Room test"
language = "da"
audience = "pupils"
grades = ["7"]
min_answers = 5

[[questions]]
id = "plain"
kind = "choice"
text = "Hvilken dag?"
options = ["Mandag", "Fredag"]

[[questions]]
id = "own"
kind = "choice"
text = "Har du nogensinde drukket alkohol?"
options = ["Ja", "Nej"]
sensitive = true

[[questions]]
id = "guess"
kind = "percent"
text = "Hvor mange procent af klassen tror du har?"
perceives = { question = "own", options = [0] }

[[questions]]
id = "age"
kind = "number"
text = "Hvor gammel?"
min = 10
max = 20
"#;

fn meta(id: &str) -> SessionMeta {
    SessionMeta {
        id: id.into(),
        code: "ABCDEF".into(),
        label: Some("7.b".into()),
        description: Default::default(),
        created_at: 0,
        screen_token: "screen".into(),
        rehearsal: false,
        follow_up_of: None,
    }
}

/// A session driven as the server drives it: every write is committed at once.
struct Room {
    engine: Engine,
}

impl Room {
    fn new(text: &str) -> Room {
        let set = questions::parse(text).expect("test set is valid").set;
        let mut engine = Engine::new(meta("s1"), Arc::new(set));
        engine.handle(Event::Watch {
            conn: FACILITATOR,
            staff: Staff::Facilitator,
        });
        Room { engine }
    }

    fn run(&mut self, event: Event) -> Vec<Effect> {
        let mut effects = self.engine.handle(event);
        let mut i = 0;
        while i < effects.len() {
            if let Effect::Store(write) = effects[i].clone() {
                effects.extend(self.engine.handle(Event::Stored {
                    write,
                    result: Ok(()),
                }));
            }
            i += 1;
        }
        effects
    }

    /// Pupils `pupils` join (connection n is pupil n).
    fn join(&mut self, pupils: std::ops::Range<u64>) {
        for n in pupils {
            self.run(Event::Join {
                conn: n,
                token: None,
                fresh_token: format!("token-{n}"),
                clicker: false,
                may_create: true,
            });
        }
    }

    fn act(&mut self, action: Action) {
        let effects = self.run(Event::Control {
            conn: FACILITATOR,
            action,
        });
        assert!(
            !effects.iter().any(|e| matches!(
                e,
                Effect::Send {
                    message: pejling_wire::ServerMessage::Error { .. },
                    ..
                }
            )),
            "{action:?}: {effects:?}"
        );
    }

    fn answer(&mut self, pupil: u64, question: &str, answer: Answer) {
        let effects = self.run(Event::Submit {
            conn: pupil,
            question_id: question.into(),
            answer,
        });
        assert!(
            effects.iter().any(|e| matches!(
                e,
                Effect::Send {
                    message: pejling_wire::ServerMessage::AnswerAccepted { .. },
                    ..
                }
            )),
            "{effects:?}"
        );
    }

    fn idx(&self, question: &str) -> usize {
        self.engine.set.question_index(question).unwrap()
    }

    /// What the room sees of `question` now, as a short string: the split (or why not),
    /// the big figures of a revealed comparison, and the note of newer answers.
    fn sees(&self, question: &str) -> String {
        let tally = self.engine.question_tally(self.idx(question));
        let mut parts = vec![match (&tally.result, tally.hidden) {
            (Some(result), _) => split(result),
            (None, Some(Hidden::UntilReveal)) => "hidden until reveal".into(),
            (None, Some(Hidden::UntilComparison)) => "hidden until comparison".into(),
            (None, Some(Hidden::TooFew { needed })) => format!("too few (need {needed})"),
            (None, None) => "nothing".into(),
        }];
        parts.push(format!("{} answered", tally.answered));
        if let Some(reveal) = &tally.reveal {
            for figure in &reveal.figures {
                parts.push(format!("{}={}", figure.label, figure.value));
            }
        }
        if let Some(Waiting { answers, needed }) = tally.waiting {
            parts.push(format!("{answers} waiting (of {needed})"));
        }
        parts.join("; ")
    }

    /// The chart `/chart` would draw, as data, or `None`.
    fn chart(&self, question: &str) -> Option<String> {
        self.engine.screen_chart(question).map(|c| format!("{c:?}"))
    }
}

fn split(result: &TallyResult) -> String {
    match &result.distribution {
        Distribution::Choice { counts } | Distribution::Scale { counts } => format!("{counts:?}"),
        Distribution::Percent { mean, .. } => format!("mean {mean:?}"),
        Distribution::Number { mean, .. } => format!("mean {mean:?}"),
    }
}

const MON: Answer = Answer::Choice { option: 0 };
const FRI: Answer = Answer::Choice { option: 1 };
const YES: Answer = Answer::Choice { option: 0 };
const NO: Answer = Answer::Choice { option: 1 };

/// A question shown live: its bars move only in steps of k answers. Each row: who
/// answers what, then what the room sees.
#[test]
fn live_figures_move_only_by_k_answers() {
    let mut room = Room::new(SET);
    room.join(0..12);
    room.act(Action::Open);
    let table: &[(u64, Answer, &str)] = &[
        (0, MON, "too few (need 5); 1 answered"),
        (1, MON, "too few (need 5); 2 answered"),
        (2, FRI, "too few (need 5); 3 answered"),
        (3, FRI, "too few (need 5); 4 answered"),
        // The fifth answer: the first figures.
        (4, FRI, "[2, 3]; 5 answered"),
        // A latecomer: the room keeps the figures it saw.
        (5, MON, "[2, 3]; 6 answered; 1 waiting (of 5)"),
        // One pupil's "Skift svar".
        (0, FRI, "[2, 3]; 6 answered; 2 waiting (of 5)"),
        // ... and back: the answer behind the figures again, nothing new about it.
        (0, MON, "[2, 3]; 6 answered; 1 waiting (of 5)"),
        (6, MON, "[2, 3]; 7 answered; 2 waiting (of 5)"),
        (7, MON, "[2, 3]; 8 answered; 3 waiting (of 5)"),
        // k − 1 newer answers: still the old figures.
        (8, MON, "[2, 3]; 9 answered; 4 waiting (of 5)"),
        // The k-th: the figures of all ten.
        (9, FRI, "[6, 4]; 10 answered"),
        (10, FRI, "[6, 4]; 11 answered; 1 waiting (of 5)"),
    ];
    for (row, &(pupil, answer, sees)) in table.iter().enumerate() {
        room.answer(pupil, "plain", answer);
        assert_eq!(room.sees("plain"), sees, "row {row}");
    }
    // The chart `/chart` draws is the room's too.
    let chart = room.chart("plain").expect("shown");
    assert!(
        chart.contains("6 af 10") || chart.contains("60 %"),
        "{chart}"
    );
    // The facilitator's report has the final counts.
    let Distribution::Choice { counts } = room.engine.counts_of(0).distribution else {
        panic!()
    };
    assert_eq!(counts, vec![6, 5]);
}

/// Issue 24's blocker: after the comparison the facilitator opens the own question again
/// for a latecomer. While it is open the room sees its count only, and so does every
/// comparison built on it; revealed again, the room sees the figures it saw until k
/// answers have been added or changed.
#[test]
fn a_latecomer_after_the_comparison_is_not_shown_to_the_class() {
    let mut room = Room::new(SET);
    room.join(0..20);
    room.act(Action::Next); // "plain" opened and passed
    room.act(Action::Next); // "own"
    // 3 of 10 say yes.
    for pupil in 0..10 {
        room.answer(pupil, "own", if pupil < 3 { YES } else { NO });
    }
    room.act(Action::Close);
    room.act(Action::Next);
    for pupil in 0..10 {
        room.answer(pupil, "guess", Answer::Percent { value: 60 });
    }
    room.act(Action::Close);
    room.act(Action::RevealAll);
    assert_eq!(
        room.sees("guess"),
        "mean Some(60.0); 10 answered; Jeres gæt=60 %; Jeres egne svar=30 %"
    );
    assert_eq!(room.sees("own"), "[3, 7]; 10 answered");

    // Back to the own question, opened again for a latecomer.
    room.act(Action::Previous);
    room.act(Action::Open);
    assert_eq!(room.sees("own"), "hidden until comparison; 10 answered");
    assert_eq!(room.chart("own"), None);
    // The comparison built on it is hidden again too, and taken from the start.
    assert_eq!(
        room.engine.progress.statuses[room.idx("guess")],
        QuestionStatus::Closed
    );
    assert_eq!(room.sees("guess"), "hidden until reveal; 10 answered");
    assert_eq!(room.chart("guess"), None);
    // The latecomer answers, and one pupil changes an answer: only the count moves.
    room.answer(10, "own", YES);
    room.answer(3, "own", YES);
    assert_eq!(room.sees("own"), "hidden until comparison; 11 answered");
    room.act(Action::Close);
    room.act(Action::Next);
    room.act(Action::Reveal);
    room.act(Action::Reveal);
    // Step 2: the class's own answer as the room saw it, with the two newer ones waiting.
    assert_eq!(
        room.sees("guess"),
        "mean Some(60.0); 10 answered; Jeres gæt=60 %; Jeres egne svar=30 %; 2 waiting (of 5)"
    );
    assert_eq!(room.sees("own"), "[3, 7]; 11 answered; 2 waiting (of 5)");
    let chart = room.chart("guess").unwrap();
    assert!(chart.contains("Jeres egne svar: 30 %"), "{chart}");

    // Opened again for three more latecomers (k − 1 = 4 newer in all)...
    room.act(Action::Previous);
    room.act(Action::Open);
    for pupil in 11..13 {
        room.answer(pupil, "own", NO);
    }
    room.act(Action::Close);
    room.act(Action::Next);
    room.act(Action::RevealAll);
    assert_eq!(room.sees("own"), "[3, 7]; 13 answered; 4 waiting (of 5)");
    // ... and once more for the k-th: now the room sees everyone's answers.
    room.act(Action::Previous);
    room.act(Action::Open);
    room.answer(13, "own", NO);
    room.act(Action::Close);
    room.act(Action::Next);
    room.act(Action::RevealAll);
    assert_eq!(room.sees("own"), "[5, 9]; 14 answered");
    assert!(
        room.sees("guess").contains("Jeres egne svar=36 %"),
        "{}",
        room.sees("guess")
    );
}

/// A reopened question of any kind shows its count only until it is revealed again.
#[test]
fn a_reopened_question_of_every_kind_is_hidden_until_revealed_again() {
    let mut room = Room::new(SET);
    room.join(0..12);
    room.act(Action::Open);
    for pupil in 0..6 {
        room.answer(pupil, "plain", MON);
    }
    assert_eq!(room.sees("plain"), "[5, 0]; 6 answered; 1 waiting (of 5)");
    room.act(Action::Close);
    room.act(Action::Open);
    assert_eq!(room.sees("plain"), "hidden until reveal; 6 answered");
    assert_eq!(room.chart("plain"), None);
    room.answer(6, "plain", FRI);
    room.act(Action::Close);
    assert_eq!(room.engine.next_action(), Some(Action::Reveal));
    room.act(Action::Reveal);
    assert_eq!(room.sees("plain"), "[5, 0]; 7 answered; 2 waiting (of 5)");
    // A number question the same way (ages from pupils 0–5, then a latecomer).
    for _ in 0..3 {
        room.act(Action::Next);
    }
    for pupil in 0..5 {
        room.answer(pupil, "age", Answer::Number { value: 14 });
    }
    assert_eq!(room.sees("age"), "mean Some(14.0); 5 answered");
    room.act(Action::Close);
    room.act(Action::Open);
    room.answer(5, "age", Answer::Number { value: 20 });
    assert_eq!(room.sees("age"), "hidden until reveal; 6 answered");
    room.act(Action::Close);
    room.act(Action::Reveal);
    assert_eq!(
        room.sees("age"),
        "mean Some(14.0); 6 answered; 1 waiting (of 5)"
    );
}

/// The guesses: a guess question opened again hides the comparison until it is
/// revealed again, from its first step, and one changed guess does not move it.
#[test]
fn a_reopened_guess_question_shows_the_old_guesses_until_k_change() {
    let mut room = Room::new(SET);
    room.join(0..12);
    room.act(Action::Next);
    room.act(Action::Next);
    for pupil in 0..10 {
        room.answer(pupil, "own", if pupil < 5 { YES } else { NO });
    }
    room.act(Action::Close);
    room.act(Action::Next);
    for pupil in 0..10 {
        room.answer(pupil, "guess", Answer::Percent { value: 70 });
    }
    room.act(Action::Close);
    room.act(Action::RevealAll);
    assert!(room.sees("guess").contains("Jeres gæt=70 %"));
    room.act(Action::Open);
    assert_eq!(room.sees("guess"), "hidden until reveal; 10 answered");
    assert_eq!(room.sees("own"), "hidden until comparison; 10 answered");
    // One pupil changes a guess from 70 to 20 (the mean would drop to 65 %).
    room.answer(0, "guess", Answer::Percent { value: 20 });
    room.act(Action::Close);
    room.act(Action::Reveal);
    assert_eq!(
        room.sees("guess"),
        "mean Some(70.0); 10 answered; Jeres gæt=70 %; 1 waiting (of 5)"
    );
    room.act(Action::Reveal);
    assert_eq!(
        room.sees("guess"),
        "mean Some(70.0); 10 answered; Jeres gæt=70 %; Jeres egne svar=50 %; 1 waiting (of 5)"
    );
    // The report has the final mean: (9 × 70 + 20) / 10.
    let Distribution::Percent { mean, .. } = room.engine.counts_of(2).distribution else {
        panic!()
    };
    assert_eq!(mean, Some(65.0));
}

/// A restart between a latecomer's answer and the next look: the room's figures come
/// back as it saw them, and the answer still waits for k − 1 more.
#[test]
fn after_a_restart_the_room_sees_what_it_saw() {
    let mut room = Room::new(SET);
    room.join(0..12);
    room.act(Action::Open);
    for pupil in 0..5 {
        room.answer(pupil, "plain", MON);
    }
    room.answer(5, "plain", FRI);
    assert_eq!(room.sees("plain"), "[5, 0]; 6 answered; 1 waiting (of 5)");
    let engine = &room.engine;
    let stored: Vec<(String, ParticipantKey, Answer)> = engine.answers[0]
        .iter()
        .map(|(key, answer)| ("plain".to_string(), *key, *answer))
        .collect();
    // The progress as stored: what the room saw went with the last release.
    let progress: crate::engine::Progress =
        serde_json::from_str(&serde_json::to_string(&engine.progress).unwrap()).unwrap();
    let restored = Engine::restore(
        engine.meta.clone(),
        engine.set.clone(),
        progress,
        engine.participants.iter().copied().collect(),
        stored,
    );
    let mut room = Room { engine: restored };
    assert_eq!(room.sees("plain"), "[5, 0]; 6 answered; 1 waiting (of 5)");
    // A restart knows the newer answers only as a count: it takes k answers changed
    // after it to move the figures (never fewer than k).
    room.join(0..12);
    for pupil in 6..10 {
        room.answer(pupil, "plain", FRI);
    }
    assert_eq!(room.sees("plain"), "[5, 0]; 10 answered; 5 waiting (of 5)");
    room.answer(10, "plain", FRI);
    assert_eq!(room.sees("plain"), "[5, 6]; 11 answered");
}

const PARENTS: &str = r#"
format = 1
id = "foraeldre"
title = "Forældremøde"
language = "da"
audience = "parents"
grades = ["7"]
min_answers = 5

[[questions]]
id = "drunk-guess"
kind = "percent"
text = "Hvor mange procent af eleverne tror du har været fulde?"
perceives = { set = "elever", question = "drunk", options = [0] }
"#;

const PUPILS: &str = r#"
format = 1
id = "elever"
title = "Elever"
language = "da"
audience = "pupils"
grades = ["7"]

[[questions]]
id = "drunk"
kind = "choice"
text = "Har du været fuld?"
options = ["Ja", "Nej"]
"#;

/// A parents' session: the parents' estimates beside the pooled pupils follow the same
/// rule. A late parent's estimate, after the reveal, waits for k.
#[test]
fn a_parents_pool_moves_only_by_k_estimates() {
    let mut room = Room::new(PARENTS);
    let pupils = questions::parse(PUPILS).unwrap().set;
    let class = |id: &str, yes: usize, no: usize| LinkedSession {
        id: id.into(),
        name: id.into(),
        created_at: 0,
        set: pupils.clone(),
        answers: (0..yes)
            .map(|_| ("drunk".to_string(), YES))
            .chain((0..no).map(|_| ("drunk".to_string(), NO)))
            .collect(),
    };
    let set = room.engine.set.clone();
    room.engine.set_linked(groups_for(
        &set,
        vec![class("7.a", 4, 8), class("7.b", 3, 9)],
    ));
    room.join(0..10);
    room.act(Action::Open);
    for parent in 0..6 {
        room.answer(parent, "drunk-guess", Answer::Percent { value: 50 });
    }
    room.act(Action::Close);
    room.act(Action::RevealAll);
    let before = room.sees("drunk-guess");
    assert!(
        before.starts_with("mean Some(50.0); 6 answered; Jeres gæt=50 %; Eleverne=29 %"),
        "{before}"
    );
    room.act(Action::Open);
    assert_eq!(room.sees("drunk-guess"), "hidden until reveal; 6 answered");
    room.answer(6, "drunk-guess", Answer::Percent { value: 100 });
    room.act(Action::Close);
    room.act(Action::RevealAll);
    assert_eq!(
        room.sees("drunk-guess"),
        "mean Some(50.0); 7 answered; Jeres gæt=50 %; Eleverne=29 %; 1 waiting (of 5)"
    );
}

/// Figures the room never saw may be shown whole: a sensitive question revealed after
/// everyone answered shows every answer, not a multiple of k.
#[test]
fn a_first_look_shows_every_answer() {
    let text = SET.replace("perceives = { question = \"own\", options = [0] }\n", "");
    let mut room = Room::new(&text);
    room.join(0..12);
    room.act(Action::Next);
    room.act(Action::Next);
    for pupil in 0..12 {
        room.answer(pupil, "own", if pupil < 7 { YES } else { NO });
    }
    assert_eq!(room.sees("own"), "hidden until reveal; 12 answered");
    room.act(Action::Close);
    room.act(Action::Reveal);
    assert_eq!(room.sees("own"), "[7, 5]; 12 answered");
    // The release is stored with the progress, so a restart shows the same.
    let Some(shown) = &room.engine.progress.shown[1] else {
        panic!("stored")
    };
    assert_eq!(
        shown.distribution,
        Distribution::Choice { counts: vec![7, 5] }
    );
}
