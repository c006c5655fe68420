//! Table tests of the session engine: each row is an event and the effects it must
//! produce, rendered as short strings so a table reads like a transcript.

use super::*;
use crate::questions;
use pejling_wire::{Distribution, Hidden, ValueCount};

const SET: &str = r#"
format = 1
id = "engine-test"
title = "Engine test"
language = "da"
audience = "pupils"
grades = ["7"]
# The table tests look at exact counts of a few answers; the anonymity minimum has
# tests of its own below.
min_answers = 1

[[questions]]
id = "own"
kind = "choice"
text = "Har du?"
options = ["Ja", "Nej"]
abstain = ["Vil ikke svare"]
sensitive = true

[[questions]]
id = "guess"
kind = "percent"
text = "Hvor mange?"
abstain = ["Ved ikke"]
perceives = { question = "own", options = [0] }

[[questions]]
id = "age"
kind = "number"
text = "Alder?"
min = 10
max = 20

[[questions]]
id = "ok"
kind = "scale"
text = "Ok?"
points = ["Nej", "Lidt", "Ja"]
"#;

fn engine() -> Engine {
    engine_from(SET)
}

fn engine_from(text: &str) -> Engine {
    let set = questions::parse(text).expect("test set is valid").set;
    Engine::new(
        SessionMeta {
            id: "s1".into(),
            code: "ABCDEF".into(),
            label: Some("7.b".into()),
            description: Default::default(),
            created_at: 0,
            screen_token: "screen".into(),
            rehearsal: false,
            follow_up_of: None,
        },
        Arc::new(set),
    )
}

/// One step of a table: an event, or the completion of every write not yet completed.
enum Step {
    Ev(Event),
    CommitAll,
    FailAll,
}
use Step::*;

fn join(conn: ConnId, token: Option<&str>, fresh: &str) -> Step {
    Ev(Event::Join {
        conn,
        token: token.map(str::to_string),
        fresh_token: fresh.to_string(),
        clicker: false,
        may_create: true,
    })
}
fn facilitator(conn: ConnId) -> Step {
    Ev(Event::Watch {
        conn,
        staff: Staff::Facilitator,
    })
}
fn screen(conn: ConnId) -> Step {
    Ev(Event::Watch {
        conn,
        staff: Staff::Screen,
    })
}
fn control(conn: ConnId, action: Action) -> Step {
    Ev(Event::Control { conn, action })
}
fn submit(conn: ConnId, question_id: &str, answer: Answer) -> Step {
    Ev(Event::Submit {
        conn,
        question_id: question_id.to_string(),
        answer,
    })
}
fn leave(conn: ConnId) -> Step {
    Ev(Event::Leave { conn })
}

fn render_message(message: &ServerMessage) -> String {
    match message {
        ServerMessage::Welcome { role, token, .. } => {
            format!("welcome {role:?} token={}", token.as_deref().unwrap_or("-"))
        }
        ServerMessage::State(state) => format!(
            "state {:?} q={} answered={}",
            state.phase,
            state.question.as_ref().map_or("-", |q| q.id.as_str()),
            state.answered
        ),
        ServerMessage::AnswerAccepted { question_id } => format!("accepted {question_id}"),
        ServerMessage::SessionState(state) => format!(
            "session_state {:?} q={}",
            state.phase,
            state.current.as_ref().map_or("-", |q| q.id.as_str())
        ),
        ServerMessage::Tally(tally) => format!(
            "tally participants={} connected={}",
            tally.participants, tally.connected
        ),
        ServerMessage::Error { code, .. } => format!("error {code:?}"),
        other => format!("{other:?}"),
    }
}

fn render(effect: &Effect) -> String {
    match effect {
        Effect::Send { conn, message } => format!("{conn}: {}", render_message(message)),
        Effect::ToParticipants {
            unanswered,
            answered_conns,
            ..
        } => {
            let mut conns: Vec<_> = answered_conns.iter().collect();
            conns.sort();
            format!(
                "participants: {} answered_conns={conns:?}",
                render_message(unanswered)
            )
        }
        Effect::ToStaff(message) => format!("staff: {}", render_message(message)),
        Effect::TallyChanged => "tally_changed".to_string(),
        Effect::Store(Write::Participant { conn, token, .. }) => {
            format!("store participant {conn} {token}")
        }
        Effect::Store(Write::Answer {
            conn,
            question,
            answer,
            ..
        }) => format!("store answer {conn} q{question} {answer:?}"),
        Effect::Store(Write::Progress(progress)) => format!(
            "store progress current={:?} ended={}",
            progress.current, progress.ended
        ),
        Effect::StoreLater(Write::Progress(progress)) => format!(
            "store later progress current={:?} ended={}",
            progress.current, progress.ended
        ),
        Effect::StoreLater(_) => "store later".to_string(),
    }
}

/// Runs the table and checks every row; returns the engine for further checks.
fn run(rows: Vec<(Step, Vec<&str>)>) -> Engine {
    let mut engine = engine();
    let mut pending: Vec<Write> = Vec::new();
    for (row, (step, expected)) in rows.into_iter().enumerate() {
        let effects: Vec<Effect> = match step {
            Ev(event) => engine.handle(event),
            CommitAll | FailAll => {
                let result = if matches!(step, CommitAll) {
                    Ok(())
                } else {
                    Err(NotStored)
                };
                std::mem::take(&mut pending)
                    .into_iter()
                    .flat_map(|write| engine.handle(Event::Stored { write, result }))
                    .collect()
            }
        };
        for effect in &effects {
            if let Effect::Store(write) = effect {
                pending.push(write.clone());
            }
        }
        let rendered: Vec<String> = effects.iter().map(render).collect();
        assert_eq!(rendered, expected, "row {row}");
    }
    engine
}

#[test]
fn lifecycle_join_answer_change_and_late_join() {
    let engine = run(vec![
        (
            facilitator(100),
            vec![
                "100: session_state Lobby q=-",
                "100: tally participants=0 connected=0",
            ],
        ),
        (join(1, None, "t1"), vec!["store participant 1 t1"]),
        // Nothing is welcomed before the participant record is durable.
        (
            CommitAll,
            vec![
                "1: welcome Participant token=t1",
                "1: state Lobby q=- answered=false",
                "tally_changed",
            ],
        ),
        (
            submit(1, "own", Answer::Choice { option: 0 }),
            vec!["1: error QuestionNotOpen"],
        ),
        (
            control(100, Action::Open),
            vec![
                "store progress current=Some(0) ended=false",
                "participants: state Open q=own answered=false answered_conns=[]",
                "staff: session_state Open q=own",
                "tally_changed",
            ],
        ),
        (
            submit(1, "own", Answer::Choice { option: 0 }),
            vec!["store answer 1 q0 Choice { option: 0 }"],
        ),
        (CommitAll, vec!["1: accepted own", "tally_changed"]),
        // Changing the answer while open is allowed and replaces the first one.
        (
            submit(1, "own", Answer::Choice { option: 1 }),
            vec!["store answer 1 q0 Choice { option: 1 }"],
        ),
        (CommitAll, vec!["1: accepted own", "tally_changed"]),
        // A late joiner lands on the current question.
        (join(2, None, "t2"), vec!["store participant 2 t2"]),
        (
            CommitAll,
            vec![
                "2: welcome Participant token=t2",
                "2: state Open q=own answered=false",
                "tally_changed",
            ],
        ),
        (
            control(100, Action::Close),
            vec![
                "store progress current=Some(0) ended=false",
                "participants: state Closed q=own answered=false answered_conns=[1]",
                "staff: session_state Closed q=own",
                "tally_changed",
            ],
        ),
        (
            submit(2, "own", Answer::Choice { option: 0 }),
            vec!["2: error QuestionNotOpen"],
        ),
        (
            control(100, Action::Reveal),
            vec![
                "store progress current=Some(0) ended=false",
                "participants: state Revealed q=own answered=false answered_conns=[1]",
                "staff: session_state Revealed q=own",
                "tally_changed",
            ],
        ),
        (
            control(100, Action::Next),
            vec![
                "store progress current=Some(1) ended=false",
                "participants: state Open q=guess answered=false answered_conns=[]",
                "staff: session_state Open q=guess",
                "tally_changed",
            ],
        ),
        (
            control(100, Action::Previous),
            vec![
                "store progress current=Some(0) ended=false",
                "participants: state Revealed q=own answered=false answered_conns=[1]",
                "staff: session_state Revealed q=own",
                "tally_changed",
            ],
        ),
        (
            control(100, Action::End),
            vec![
                "store progress current=Some(0) ended=true",
                "participants: state Ended q=- answered=false answered_conns=[]",
                "staff: session_state Ended q=own",
                "tally_changed",
            ],
        ),
        (control(100, Action::Open), vec!["100: error InvalidAction"]),
        (join(3, None, "t3"), vec!["3: error SessionEnded"]),
    ]);
    assert_eq!(engine.participant_count(), 2);
    assert_eq!(engine.question_tally(0).answered, 1);
}

#[test]
fn reconnect_with_token_is_the_same_participant() {
    let engine = run(vec![
        (
            facilitator(100),
            vec![
                "100: session_state Lobby q=-",
                "100: tally participants=0 connected=0",
            ],
        ),
        (join(1, None, "t1"), vec!["store participant 1 t1"]),
        (
            CommitAll,
            vec![
                "1: welcome Participant token=t1",
                "1: state Lobby q=- answered=false",
                "tally_changed",
            ],
        ),
        (
            control(100, Action::Open),
            vec![
                "store progress current=Some(0) ended=false",
                "participants: state Open q=own answered=false answered_conns=[]",
                "staff: session_state Open q=own",
                "tally_changed",
            ],
        ),
        (
            submit(1, "own", Answer::Abstain { option: 0 }),
            vec!["store answer 1 q0 Abstain { option: 0 }"],
        ),
        (CommitAll, vec!["1: accepted own", "tally_changed"]),
        (leave(1), vec!["tally_changed"]),
        // The same device comes back on a new connection with its token: no new record,
        // and it learns that it has answered.
        (
            join(2, Some("t1"), "unused"),
            vec![
                "2: welcome Participant token=t1",
                "2: state Open q=own answered=true",
                "tally_changed",
            ],
        ),
        // An unknown token joins as a new participant with the fresh token.
        (
            join(3, Some("made-up"), "t3"),
            vec!["store participant 3 t3"],
        ),
        (
            CommitAll,
            vec![
                "3: welcome Participant token=t3",
                "3: state Open q=own answered=false",
                "tally_changed",
            ],
        ),
    ]);
    assert_eq!(engine.participant_count(), 2);
    assert_eq!(engine.tally().connected, 2);
    assert_eq!(engine.question_tally(0).answered, 1);
}

#[test]
fn bad_requests_get_specific_errors_and_change_nothing() {
    let engine = run(vec![
        (
            facilitator(100),
            vec![
                "100: session_state Lobby q=-",
                "100: tally participants=0 connected=0",
            ],
        ),
        (
            screen(200),
            vec![
                "200: welcome Screen token=-",
                "200: session_state Lobby q=-",
                "200: tally participants=0 connected=0",
            ],
        ),
        (join(1, None, "t1"), vec!["store participant 1 t1"]),
        (
            submit(1, "own", Answer::Choice { option: 0 }),
            vec!["1: error NotIntroduced"],
        ),
        (
            CommitAll,
            vec![
                "1: welcome Participant token=t1",
                "1: state Lobby q=- answered=false",
                "tally_changed",
            ],
        ),
        (join(1, None, "again"), vec!["1: error AlreadyIntroduced"]),
        (control(1, Action::Open), vec!["1: error WrongRole"]),
        (control(200, Action::Open), vec!["200: error WrongRole"]),
        (
            control(100, Action::Close),
            vec!["100: error InvalidAction"],
        ),
        (
            control(100, Action::Reveal),
            vec!["100: error InvalidAction"],
        ),
        (
            control(100, Action::Previous),
            vec!["100: error InvalidAction"],
        ),
        (
            control(100, Action::Open),
            vec![
                "store progress current=Some(0) ended=false",
                "participants: state Open q=own answered=false answered_conns=[]",
                "staff: session_state Open q=own",
                "tally_changed",
            ],
        ),
        (control(100, Action::Open), vec!["100: error InvalidAction"]),
        (
            submit(200, "own", Answer::Choice { option: 0 }),
            vec!["200: error WrongRole"],
        ),
        (
            submit(1, "nope", Answer::Choice { option: 0 }),
            vec!["1: error UnknownQuestion"],
        ),
        (
            submit(1, "guess", Answer::Percent { value: 5 }),
            vec!["1: error QuestionNotOpen"],
        ),
        (
            submit(1, "own", Answer::Choice { option: 2 }),
            vec!["1: error InvalidAnswer"],
        ),
        (
            submit(1, "own", Answer::Abstain { option: 1 }),
            vec!["1: error InvalidAnswer"],
        ),
        (
            submit(1, "own", Answer::Percent { value: 5 }),
            vec!["1: error InvalidAnswer"],
        ),
        // Failed writes are reported and count nothing (the pending progress write too).
        (
            submit(1, "own", Answer::Choice { option: 1 }),
            vec!["store answer 1 q0 Choice { option: 1 }"],
        ),
        (
            FailAll,
            vec![
                "staff: error Internal",
                "store later progress current=Some(0) ended=false",
                "1: error Internal",
            ],
        ),
    ]);
    assert_eq!(engine.question_tally(0).answered, 0);
    assert_eq!(engine.participant_count(), 1);
}

#[test]
fn out_of_range_values_for_each_kind_are_rejected() {
    let mut engine = engine();
    engine.handle(Event::Watch {
        conn: 100,
        staff: Staff::Facilitator,
    });
    let join_effects = engine.handle(Event::Join {
        conn: 1,
        token: None,
        fresh_token: "t".into(),
        clicker: false,
        may_create: true,
    });
    for effect in join_effects {
        if let Effect::Store(write) = effect {
            engine.handle(Event::Stored {
                write,
                result: Ok(()),
            });
        }
    }
    let cases = [
        (Action::Open, "own", Answer::Choice { option: 9 }),
        (Action::Next, "guess", Answer::Percent { value: 101 }),
        (Action::Next, "age", Answer::Number { value: 9 }),
        (Action::Next, "ok", Answer::Scale { point: 3 }),
    ];
    for (action, question_id, answer) in cases {
        engine.handle(Event::Control { conn: 100, action });
        let effects = engine.handle(Event::Submit {
            conn: 1,
            question_id: question_id.into(),
            answer,
        });
        assert!(
            matches!(
                &effects[..],
                [Effect::Send {
                    message: ServerMessage::Error {
                        code: ErrorCode::InvalidAnswer,
                        ..
                    },
                    ..
                }]
            ),
            "{question_id}: {effects:?}"
        );
    }
}

/// Builds an engine where participants 0..answers.len() have answered question `idx`.
fn with_answers(idx: usize, answers: &[Answer], reveal: bool) -> Engine {
    with_answers_in(engine(), idx, answers, reveal)
}

fn with_answers_in(mut engine: Engine, idx: usize, answers: &[Answer], reveal: bool) -> Engine {
    engine.handle(Event::Watch {
        conn: 1000,
        staff: Staff::Facilitator,
    });
    for _ in 0..=idx {
        engine.handle(Event::Control {
            conn: 1000,
            action: Action::Next,
        });
    }
    for (n, answer) in answers.iter().enumerate() {
        let conn = n as ConnId;
        for effect in engine.handle(Event::Join {
            conn,
            token: None,
            fresh_token: format!("token-{n}"),
            clicker: false,
            may_create: true,
        }) {
            if let Effect::Store(write) = effect {
                engine.handle(Event::Stored {
                    write,
                    result: Ok(()),
                });
            }
        }
        let question_id = engine.set.questions[idx].id.clone();
        for effect in engine.handle(Event::Submit {
            conn,
            question_id,
            answer: *answer,
        }) {
            if let Effect::Store(write) = effect {
                engine.handle(Event::Stored {
                    write,
                    result: Ok(()),
                });
            }
        }
    }
    if reveal {
        engine.handle(Event::Control {
            conn: 1000,
            action: Action::Reveal,
        });
    }
    engine
}

#[test]
fn sensitive_question_shows_only_the_count_until_revealed() {
    let answers = [
        Answer::Choice { option: 0 },
        Answer::Choice { option: 1 },
        Answer::Choice { option: 1 },
        Answer::Abstain { option: 0 },
    ];
    let hidden = with_answers(0, &answers, false).question_tally(0);
    assert_eq!(hidden.answered, 4);
    assert_eq!(hidden.result, None);
    // "own" is perceived by "guess": its split is the class's real answer and waits for
    // that comparison, even when "own" itself is revealed.
    assert_eq!(hidden.hidden, Some(Hidden::UntilComparison));
    let revealed_alone = with_answers(0, &answers, true).question_tally(0);
    assert_eq!(revealed_alone.hidden, Some(Hidden::UntilComparison));
    // A sensitive question nobody perceives shows its split once revealed.
    let alone = SET.replace("perceives = { question = \"own\", options = [0] }\n", "");
    let hidden = with_answers_in(engine_from(&alone), 0, &answers, false).question_tally(0);
    assert_eq!(hidden.hidden, Some(Hidden::UntilReveal));
    let shown = with_answers_in(engine_from(&alone), 0, &answers, true).question_tally(0);
    assert_eq!(
        shown.result,
        Some(TallyResult {
            abstained: vec![1],
            distribution: Distribution::Choice { counts: vec![1, 2] },
        })
    );
}

#[test]
fn percent_tally_has_exact_counts_mean_and_median() {
    // Values 10, 20, 20, 50 and one "Ved ikke": mean 25, median (20 + 20) / 2 = 20.
    let answers = [
        Answer::Percent { value: 10 },
        Answer::Percent { value: 20 },
        Answer::Percent { value: 50 },
        Answer::Percent { value: 20 },
        Answer::Abstain { option: 0 },
    ];
    let tally = with_answers(1, &answers, true).question_tally(1);
    assert_eq!(tally.answered, 5);
    let result = tally.result.expect("revealed");
    assert_eq!(result.abstained, vec![1]);
    let Distribution::Percent {
        counts,
        mean,
        median,
    } = result.distribution
    else {
        panic!("percent expected");
    };
    assert_eq!(counts.len(), 101);
    assert_eq!((counts[10], counts[20], counts[50]), (1, 2, 1));
    assert_eq!(counts.iter().sum::<u32>(), 4);
    assert_eq!(mean, Some(25.0));
    assert_eq!(median, Some(20.0));
}

#[test]
fn number_and_scale_tallies_are_exact() {
    let numbers = [
        Answer::Number { value: 18 },
        Answer::Number { value: 15 },
        Answer::Number { value: 16 },
        Answer::Number { value: 18 },
    ];
    let tally = with_answers(2, &numbers, false).question_tally(2);
    let Distribution::Number {
        values,
        mean,
        median,
    } = tally.result.unwrap().distribution
    else {
        panic!("number expected");
    };
    assert_eq!(
        values,
        vec![
            ValueCount {
                value: 15,
                count: 1
            },
            ValueCount {
                value: 16,
                count: 1
            },
            ValueCount {
                value: 18,
                count: 2
            },
        ]
    );
    assert_eq!(mean, Some(16.75));
    assert_eq!(median, Some(17.0));

    let scale = [Answer::Scale { point: 2 }, Answer::Scale { point: 0 }];
    let tally = with_answers(3, &scale, false).question_tally(3);
    assert_eq!(
        tally.result.unwrap().distribution,
        Distribution::Scale {
            counts: vec![1, 0, 1]
        }
    );
}

#[test]
fn an_empty_question_has_no_mean_and_no_result() {
    let engine = with_answers(1, &[Answer::Abstain { option: 0 }], true);
    let Distribution::Percent { mean, median, .. } = engine.counts_of(1).distribution else {
        panic!("percent expected");
    };
    assert_eq!((mean, median), (None, None));
    // Only a "Ved ikke": nothing to show even with a minimum of one.
    let tally = engine.question_tally(1);
    assert_eq!(tally.result, None);
    assert_eq!(tally.hidden, Some(Hidden::TooFew { needed: 1 }));
}

const FIVE: [Answer; 5] = [
    Answer::Percent { value: 10 },
    Answer::Percent { value: 20 },
    Answer::Percent { value: 30 },
    Answer::Percent { value: 40 },
    Answer::Percent { value: 50 },
];

#[test]
fn results_wait_for_the_minimum_number_of_answers() {
    let without_minimum = SET.replace("min_answers = 1\n", "");
    // (answers, abstentions, server minimum, shown?)
    let table = [
        (4, 0, None, false), // the default minimum is 5
        (4, 3, None, false), // "Ved ikke" does not count towards it
        (5, 0, None, true),
        (5, 0, Some(6), false), // the server's minimum applies to a set without one
        (2, 0, Some(2), true),
    ];
    for (answers, abstentions, server_minimum, shown) in table {
        let mut engine = engine_from(&without_minimum);
        if let Some(min_answers) = server_minimum {
            engine.set_thresholds(Thresholds {
                min_answers,
                ..Thresholds::default()
            });
        }
        let mut given: Vec<Answer> = FIVE[..answers].to_vec();
        given.extend((0..abstentions).map(|_| Answer::Abstain { option: 0 }));
        let engine = with_answers_in(engine, 1, &given, true);
        let tally = engine.question_tally(1);
        assert_eq!(tally.answered as usize, answers + abstentions);
        assert_eq!(
            tally.result.is_some(),
            shown,
            "{answers} answers, {abstentions} abstentions, minimum {server_minimum:?}"
        );
        let needed = server_minimum.unwrap_or(5);
        if !shown {
            assert_eq!(tally.hidden, Some(Hidden::TooFew { needed }));
        }
    }
    // A set's own minimum wins over the server's.
    let mut engine = engine();
    engine.set_thresholds(Thresholds {
        min_answers: 50,
        ..Thresholds::default()
    });
    assert_eq!(engine.thresholds().min_answers, 1);
}

/// What a screen is told about the pair "own" (sensitive) / "guess", as a short string:
/// the split shown or why not, then the revealed figures and the sentence.
fn screen_view(engine: &Engine, idx: usize) -> String {
    let tally = engine.question_tally(idx);
    let split = match (&tally.result, tally.hidden) {
        (Some(_), _) => "split".to_string(),
        (None, Some(Hidden::UntilReveal)) => "hidden until reveal".to_string(),
        (None, Some(Hidden::UntilComparison)) => "hidden until comparison".to_string(),
        (None, Some(Hidden::TooFew { needed })) => format!("too few (need {needed})"),
        (None, None) => "nothing".to_string(),
    };
    let mut parts = vec![split];
    if let Some(reveal) = &tally.reveal {
        parts.push(format!("step {}/{}", reveal.step, reveal.steps));
        for figure in &reveal.figures {
            parts.push(format!("{}={}", figure.label, figure.value));
        }
        if let Some(pattern) = &reveal.pattern {
            parts.push(pattern.clone());
        }
        if reveal.chart.is_some() {
            parts.push("chart".into());
        }
    }
    parts.join("; ")
}

/// Issue 11: the class guesses blind. While "guess" is open nothing but counts reaches the
/// screen; each reveal step adds exactly its part; the console's main action always
/// names the next natural step; `/chart` follows the same rule.
#[test]
fn reveal_steps_show_only_what_each_step_adds() {
    let mut engine = engine();
    engine.handle(Event::Watch {
        conn: 1000,
        staff: Staff::Facilitator,
    });
    let act = |engine: &mut Engine, action: Action| {
        let effects = engine.handle(Event::Control { conn: 1000, action });
        assert!(
            !effects.iter().any(|e| matches!(
                e,
                Effect::Send {
                    message: ServerMessage::Error { .. },
                    ..
                }
            )),
            "{action:?}: {effects:?}"
        );
    };
    let answer_all = |engine: &mut Engine, idx: usize, answers: &[Answer]| {
        for (n, answer) in answers.iter().enumerate() {
            let conn = n as ConnId;
            let question_id = engine.set.questions[idx].id.clone();
            for effect in engine.handle(Event::Submit {
                conn,
                question_id,
                answer: *answer,
            }) {
                if let Effect::Store(write) = effect {
                    engine.handle(Event::Stored {
                        write,
                        result: Ok(()),
                    });
                }
            }
        }
    };
    // Eight pupils join.
    for n in 0..8u64 {
        for effect in engine.handle(Event::Join {
            conn: n,
            token: None,
            fresh_token: format!("token-{n}"),
            clicker: false,
            may_create: true,
        }) {
            if let Effect::Store(write) = effect {
                engine.handle(Event::Stored {
                    write,
                    result: Ok(()),
                });
            }
        }
    }
    assert_eq!(engine.next_action(), Some(Action::Open));
    act(&mut engine, Action::Open);
    // 2 of 8 say yes.
    let mut own = vec![Answer::Choice { option: 0 }; 2];
    own.extend([Answer::Choice { option: 1 }; 6]);
    answer_all(&mut engine, 0, &own);
    assert_eq!(screen_view(&engine, 0), "hidden until comparison");
    assert_eq!(engine.next_action(), Some(Action::Close));
    act(&mut engine, Action::Close);
    // The own question's real answer is shown by the comparison, not on its own.
    assert_eq!(engine.next_action(), Some(Action::Next));
    act(&mut engine, Action::Next);
    // Everyone guesses 60 %: all eight too high.
    answer_all(&mut engine, 1, &[Answer::Percent { value: 60 }; 8]);
    assert_eq!(engine.screen_chart("guess"), None);
    assert_eq!(engine.screen_chart("own"), None);
    let table: [(Option<Action>, Option<Action>, &str); 5] = [
        (None, Some(Action::Close), "hidden until reveal"),
        (
            Some(Action::Close),
            Some(Action::Reveal),
            "hidden until reveal",
        ),
        (
            Some(Action::Reveal),
            Some(Action::Reveal),
            "split; step 1/3; Jeres gæt=60 %; chart",
        ),
        (
            Some(Action::Reveal),
            Some(Action::Reveal),
            "split; step 2/3; Jeres gæt=60 %; Jeres egne svar=25 %; chart",
        ),
        (
            Some(Action::Reveal),
            Some(Action::Next),
            "split; step 3/3; Jeres gæt=60 %; Jeres egne svar=25 %; \
             Flertalsmisforståelse; chart",
        ),
    ];
    for (action, next, shown) in table {
        if let Some(action) = action {
            act(&mut engine, action);
        }
        assert_eq!(screen_view(&engine, 1), shown, "after {action:?}");
        assert_eq!(engine.next_action(), next, "after {action:?}");
        assert_eq!(engine.session_state().next_action, next);
        // The chart follows the same rule: none before the first step.
        let step = engine.step(1);
        assert_eq!(engine.screen_chart("guess").is_some(), step >= 1);
        if let Some(chart) = engine.screen_chart("guess") {
            let text = format!("{chart:?}");
            // The projector's chart of a percent pair: the guesses' scatter, then the
            // class's share marked from step 2 (the verdict is the screen's sentence).
            assert!(text.contains("Jeres gæt (gennemsnit): 60 %"), "{text}");
            assert_eq!(text.contains("Jeres egne svar: 25 %"), step >= 2, "{text}");
        }
        // The own question's split becomes visible with the comparison's second step.
        let own_shown = engine.question_tally(0).result.is_some();
        assert_eq!(own_shown, step >= 2, "after {action:?}");
    }
    let pair = engine.pair_result(1).expect("fully revealed");
    assert_eq!(pair.actual_question, "own");

    // Back: each step is taken back in turn, then the question is closed again.
    assert_eq!(engine.back_action(), Some(Action::Conceal));
    act(&mut engine, Action::Conceal);
    assert_eq!(
        screen_view(&engine, 1),
        "split; step 2/3; Jeres gæt=60 %; Jeres egne svar=25 %; chart"
    );
    act(&mut engine, Action::Conceal);
    act(&mut engine, Action::Conceal);
    assert_eq!(screen_view(&engine, 1), "hidden until reveal");
    assert_eq!(engine.progress.statuses[1], QuestionStatus::Closed);
    assert_eq!(engine.back_action(), Some(Action::Previous));
    // All at once.
    act(&mut engine, Action::RevealAll);
    assert_eq!(engine.step(1), 3);
    // A reopened question is hidden again until the next reveal.
    act(&mut engine, Action::Open);
    assert_eq!(screen_view(&engine, 1), "hidden until reveal");
    assert_eq!(screen_view(&engine, 0), "hidden until comparison");
}

/// Tester's finding on issue 11: a stray ← on a presentation remote closed the open
/// question under the class, and → then skipped it. While a question takes answers ←
/// does nothing; a question closed before anyone answered is opened again by →.
#[test]
fn a_stray_step_back_does_not_close_an_open_question() {
    let mut engine = engine();
    engine.handle(Event::Watch {
        conn: 1000,
        staff: Staff::Facilitator,
    });
    for action in [Action::Open, Action::Close, Action::Next] {
        engine.handle(Event::Control { conn: 1000, action });
    }
    assert_eq!(engine.phase(), Phase::Open);
    assert_eq!(engine.back_action(), None, "open: ← does nothing");
    engine.handle(Event::Control {
        conn: 1000,
        action: Action::Close,
    });
    assert_eq!(
        engine.next_action(),
        Some(Action::Open),
        "closed with no answers"
    );
    assert_eq!(engine.back_action(), Some(Action::Previous));
}

#[test]
fn a_screen_opened_with_the_host_token_may_control_and_others_may_not() {
    let mut engine = engine();
    let welcome = engine.handle(Event::Watch {
        conn: 1,
        staff: Staff::HostScreen,
    });
    assert!(matches!(
        &welcome[0],
        Effect::Send {
            message: ServerMessage::Welcome { controls: true, .. },
            ..
        }
    ));
    engine.handle(Event::Watch {
        conn: 2,
        staff: Staff::Screen,
    });
    let refused = engine.handle(Event::Control {
        conn: 2,
        action: Action::Open,
    });
    assert!(matches!(
        &refused[..],
        [Effect::Send {
            message: ServerMessage::Error {
                code: ErrorCode::WrongRole,
                ..
            },
            ..
        }]
    ));
    assert_eq!(engine.phase(), Phase::Lobby);
    engine.handle(Event::Control {
        conn: 1,
        action: Action::Open,
    });
    assert_eq!(engine.phase(), Phase::Open);
}

#[test]
fn restore_rebuilds_counts_from_stored_answers() {
    let original = with_answers(
        1,
        &[Answer::Percent { value: 30 }, Answer::Percent { value: 70 }],
        false,
    );
    let stored: Vec<(String, ParticipantKey, Answer)> = original.answers[1]
        .iter()
        .map(|(key, answer)| ("guess".to_string(), *key, *answer))
        .collect();
    let restored = Engine::restore(
        original.meta.clone(),
        original.set.clone(),
        original.progress.clone(),
        original.participants.iter().copied().collect(),
        stored,
    );
    assert_eq!(restored.question_tally(1), original.question_tally(1));
    assert_eq!(restored.participant_count(), 2);
    assert_eq!(restored.phase(), Phase::Open);
}

#[test]
fn a_step_that_could_not_be_stored_is_tried_again_until_it_is() {
    // The phones were shown question 2 when its write failed (disk full): the step is
    // kept and written again, with the newest progress, until the disk takes it.
    let mut engine = engine();
    engine.handle(Event::Watch {
        conn: 100,
        staff: Staff::Facilitator,
    });
    let mut writes = Vec::new();
    for action in [Action::Open, Action::Next] {
        for effect in engine.handle(Event::Control { conn: 100, action }) {
            if let Effect::Store(write) = effect {
                writes.push(write);
            }
        }
    }
    let failed = writes.pop().expect("the step to question 2 was written");
    let mut effects = engine.handle(Event::Stored {
        write: failed,
        result: Err(NotStored),
    });
    let rendered: Vec<String> = effects.iter().map(render).collect();
    assert_eq!(
        rendered,
        vec![
            "staff: error Internal",
            "store later progress current=Some(1) ended=false"
        ]
    );
    // It fails again: tried again, staff not told twice.
    let Some(Effect::StoreLater(retry)) = effects.pop() else {
        panic!("a retry")
    };
    let effects = engine.handle(Event::Stored {
        write: retry.clone(),
        result: Err(NotStored),
    });
    let rendered: Vec<String> = effects.iter().map(render).collect();
    assert_eq!(
        rendered,
        vec!["store later progress current=Some(1) ended=false"]
    );
    assert!(
        engine
            .handle(Event::Stored {
                write: retry,
                result: Ok(()),
            })
            .is_empty()
    );
}
