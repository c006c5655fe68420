//! A class session end to end: 30 devices join over real WebSockets and answer every
//! question kind; tallies are checked against the ground truth after answers, answer
//! changes, a late join and a reconnect with a token.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use pejling_tests::wire::{
    Action, Answer, ClientMessage, Distribution, PROTOCOL_VERSION, Phase, QuestionKindView,
    ServerMessage, Tally, TallyResult, ValueCount,
};
use pejling_tests::{Facilitator, Participant};

use crate::spawn_with_unpaired_test_set;

const N: usize = 30;

/// Expected tally result of `answers` for a question with `slots` options/points
/// (`None` for a number question) and `n_abstain` abstain labels.
fn expected(answers: &BTreeMap<usize, Answer>, kind: &str, slots: usize) -> TallyResult {
    let mut abstained = vec![0u32; 1];
    let mut by_index = vec![0u32; slots];
    let mut numbers: BTreeMap<i64, u32> = BTreeMap::new();
    let mut values: Vec<i64> = Vec::new();
    for answer in answers.values() {
        match *answer {
            Answer::Abstain { option } => abstained[option as usize] += 1,
            Answer::Choice { option } => by_index[option as usize] += 1,
            Answer::Scale { point } => by_index[point as usize] += 1,
            Answer::Percent { value } => {
                by_index[value as usize] += 1;
                values.push(value as i64);
            }
            Answer::Number { value } => {
                *numbers.entry(value).or_default() += 1;
                values.push(value);
            }
        }
    }
    values.sort_unstable();
    let mean =
        (!values.is_empty()).then(|| values.iter().sum::<i64>() as f64 / values.len() as f64);
    let median = (!values.is_empty()).then(|| {
        let n = values.len();
        (values[(n - 1) / 2] + values[n / 2]) as f64 / 2.0
    });
    let distribution = match kind {
        "choice" => Distribution::Choice { counts: by_index },
        "scale" => Distribution::Scale { counts: by_index },
        "percent" => Distribution::Percent {
            counts: by_index,
            mean,
            median,
        },
        _ => Distribution::Number {
            values: numbers
                .into_iter()
                .map(|(value, count)| ValueCount { value, count })
                .collect(),
            mean,
            median,
        },
    };
    if kind == "scale" {
        abstained.clear();
    }
    TallyResult {
        abstained,
        distribution,
    }
}

fn result_of(tally: &Tally, question_id: &str) -> Option<TallyResult> {
    let question = tally.question.as_ref().expect("a current question");
    assert_eq!(question.question_id, question_id);
    question.result.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_devices_answer_every_kind_with_exact_tallies() {
    let (server, _questions) = spawn_with_unpaired_test_set().await;
    let addr = server.addr;
    let mut host = Facilitator::connect(addr).await;

    host.client.send(&ClientMessage::ListSets).await;
    let sets = host
        .client
        .recv_until(|m| match m {
            ServerMessage::Sets { sets } => Some(sets.clone()),
            _ => None,
        })
        .await;
    assert!(sets.iter().any(|s| s.id == "test-all-kinds"));
    assert!(
        sets.iter().any(|s| s.id == "7-klasse-alkohol"),
        "built-in library"
    );

    let state = host.create("test-all-kinds", "7.b, Nordskolen").await;
    assert_eq!(state.phase, Phase::Lobby);
    assert_eq!(state.session.label.as_deref(), Some("7.b, Nordskolen"));
    let session_id = state.session.id.clone();
    let code = state.session.code.clone();

    // 30 devices join at once.
    let joined = join_all((0..N).map(|_| Participant::join(addr, &code, None))).await;
    let mut devices: Vec<Participant> = Vec::new();
    for (participant, state) in joined {
        assert_eq!(state.phase, Phase::Lobby);
        assert!(state.question.is_none());
        devices.push(participant);
    }
    let tokens: std::collections::HashSet<_> = devices.iter().map(|d| d.token.clone()).collect();
    assert_eq!(tokens.len(), N, "every device gets its own token");
    host.tally_until(|t| t.participants == N as u32 && t.connected == N as u32)
        .await;

    // Question 1: sensitive single choice.
    let state = host.control(Action::Open).await;
    assert_eq!(state.phase, Phase::Open);
    let mut own: BTreeMap<usize, Answer> = BTreeMap::new();
    for (i, device) in devices.iter_mut().enumerate() {
        let view = device.wait_question("own").await;
        assert_eq!(view.phase, Phase::Open);
        assert!(!view.answered);
        let answer = if i % 5 == 4 {
            Answer::Abstain { option: 0 }
        } else {
            Answer::Choice {
                option: (i % 2) as u32,
            }
        };
        own.insert(i, answer);
    }
    join_all(
        devices
            .iter_mut()
            .enumerate()
            .map(|(i, d)| d.answer("own", own[&i])),
    )
    .await;
    // The live tally counts answers but hides the split of a sensitive question.
    let live = host.tally_answered("own", N as u32).await;
    assert_eq!(result_of(&live, "own"), None);
    let (_, snapshot) = host.snapshot(&session_id).await;
    assert_eq!(result_of(&snapshot, "own"), None);
    host.control(Action::Close).await;
    // A screen watching with the session's screen token sees the same hidden tally.
    let mut screen = pejling_tests::Client::connect(addr).await;
    screen
        .send(&ClientMessage::Watch {
            version: PROTOCOL_VERSION,
            code: code.clone(),
            token: state
                .session
                .screen_token
                .clone()
                .expect("facilitator sees it"),
        })
        .await;
    let screen_tally = screen
        .recv_until(|m| match m {
            ServerMessage::Tally(t) => Some(t.clone()),
            _ => None,
        })
        .await;
    assert_eq!(screen_tally.question.as_ref().unwrap().answered, N as u32);
    assert_eq!(result_of(&screen_tally, "own"), None);
    let state = host.control(Action::Reveal).await;
    assert_eq!(state.phase, Phase::Revealed);
    let revealed = host
        .tally_until(|t| t.question.as_ref().is_some_and(|q| q.result.is_some()))
        .await;
    assert_eq!(
        result_of(&revealed, "own"),
        Some(expected(&own, "choice", 2))
    );
    let Some(TallyResult {
        abstained,
        distribution: Distribution::Choice { counts },
    }) = result_of(&revealed, "own")
    else {
        panic!("choice result")
    };
    // Hand-checked: i % 5 == 4 abstains (6 devices); of the other 24, even i choose 0.
    assert_eq!((abstained, counts), (vec![6], vec![12, 12]));
    let screen_revealed = screen
        .recv_until(|m| match m {
            ServerMessage::Tally(t) if t.question.as_ref().unwrap().result.is_some() => {
                Some(t.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(
        result_of(&screen_revealed, "own"),
        result_of(&revealed, "own")
    );

    // Question 2: percent estimate, with answer changes, a late join and a reconnect.
    host.control(Action::Next).await;
    let mut guess: BTreeMap<usize, Answer> = BTreeMap::new();
    for (i, device) in devices.iter_mut().enumerate() {
        let view = device.wait_question("guess").await;
        assert_eq!(view.question.unwrap().kind, QuestionKindView::Percent);
        guess.insert(
            i,
            if i % 7 == 6 {
                Answer::Abstain { option: 0 }
            } else {
                Answer::Percent {
                    value: ((i * 13) % 101) as u32,
                }
            },
        );
    }
    join_all(
        devices
            .iter_mut()
            .enumerate()
            .map(|(i, d)| d.answer("guess", guess[&i])),
    )
    .await;
    // Devices 0-5 change their minds twice; only the last answer counts.
    for (i, device) in devices.iter_mut().enumerate().take(6) {
        device.answer("guess", Answer::Percent { value: 99 }).await;
        let last = Answer::Percent {
            value: (100 - i * 10) as u32,
        };
        device.answer("guess", last).await;
        guess.insert(i, last);
    }
    // A late joiner lands on the open question and answers it.
    let (mut late, late_state) = Participant::join(addr, &code, None).await;
    assert_eq!(late_state.phase, Phase::Open);
    assert_eq!(late_state.question.as_ref().unwrap().id, "guess");
    assert!(!late_state.answered);
    late.answer("guess", Answer::Percent { value: 50 }).await;
    guess.insert(N, Answer::Percent { value: 50 });
    // Device 7 loses its connection and comes back with its token: it is the same
    // participant, knows it has answered, and its changed answer replaces the old one.
    let seven = devices.remove(7);
    let token = seven.token.clone();
    seven.client.close().await;
    let (mut seven, seven_state) = Participant::join(addr, &code, Some(token.clone())).await;
    assert_eq!(seven.token, token);
    assert!(seven_state.answered);
    seven.answer("guess", Answer::Percent { value: 0 }).await;
    guess.insert(7, Answer::Percent { value: 0 });
    devices.insert(7, seven);

    let (_, snapshot) = host.snapshot(&session_id).await;
    assert_eq!(
        snapshot.participants,
        N as u32 + 1,
        "reconnect is not a new participant"
    );
    assert_eq!(snapshot.connected, N as u32 + 1);
    assert_eq!(snapshot.question.as_ref().unwrap().answered, N as u32 + 1);
    assert_eq!(
        result_of(&snapshot, "guess"),
        Some(expected(&guess, "percent", 101))
    );
    devices.push(late);

    // Question 3: number.
    host.control(Action::Next).await;
    let mut age: BTreeMap<usize, Answer> = BTreeMap::new();
    for (i, device) in devices.iter_mut().enumerate() {
        let view = device.wait_question("age").await;
        assert!(matches!(
            view.question.unwrap().kind,
            QuestionKindView::Number {
                min: 10,
                max: 25,
                ..
            }
        ));
        age.insert(
            i,
            Answer::Number {
                value: 10 + (i % 16) as i64,
            },
        );
    }
    join_all(
        devices
            .iter_mut()
            .enumerate()
            .map(|(i, d)| d.answer("age", age[&i])),
    )
    .await;
    let (_, snapshot) = host.snapshot(&session_id).await;
    assert_eq!(
        result_of(&snapshot, "age"),
        Some(expected(&age, "number", 0))
    );

    // Question 4: scale; then previous/next keep each question's answers.
    host.control(Action::Next).await;
    let mut ok: BTreeMap<usize, Answer> = BTreeMap::new();
    for (i, device) in devices.iter_mut().enumerate() {
        device.wait_question("ok").await;
        ok.insert(
            i,
            Answer::Scale {
                point: (i % 4) as u32,
            },
        );
    }
    join_all(
        devices
            .iter_mut()
            .enumerate()
            .map(|(i, d)| d.answer("ok", ok[&i])),
    )
    .await;
    let (_, snapshot) = host.snapshot(&session_id).await;
    assert_eq!(result_of(&snapshot, "ok"), Some(expected(&ok, "scale", 4)));

    let state = host.control(Action::Previous).await;
    assert_eq!(state.current.as_ref().unwrap().id, "age");
    assert_eq!(state.phase, Phase::Closed);
    let back = devices[0].wait_question("age").await;
    assert!(back.answered, "the device sees it answered this question");
    let (_, snapshot) = host.snapshot(&session_id).await;
    assert_eq!(
        result_of(&snapshot, "age"),
        Some(expected(&age, "number", 0))
    );

    let state = host.control(Action::End).await;
    assert_eq!(state.phase, Phase::Ended);
    let ended = devices[0]
        .client
        .recv_until(|m| match m {
            ServerMessage::State(s) if s.phase == Phase::Ended => Some(s.clone()),
            _ => None,
        })
        .await;
    assert!(ended.question.is_none());

    host.client.send(&ClientMessage::ListSessions).await;
    let sessions = host
        .client
        .recv_until(|m| match m {
            ServerMessage::Sessions { sessions } => Some(sessions.clone()),
            _ => None,
        })
        .await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].participants, N as u32 + 1);
    assert_eq!(sessions[0].phase, Phase::Ended);
    server.stop().await;
}
