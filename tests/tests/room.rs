//! Issue 24: what the room sees never reveals fewer than k answers, not even as a change.
//! A latecomer after the comparison, a pupil's *Skift svar*, a restart in between, then
//! k − 1 and k newer answers — over real WebSockets, as the projector and the console
//! get them (both are sent the staff tally checked here).

use pejling_tests::wire::{Action, Answer, FigureRole, QuestionTally, Tally, Waiting};
use pejling_tests::{Facilitator, Participant, spawn_app_with_min_answers};

const OWN: &str = "drunk-alcohol-own";
const GUESS: &str = "drunk-alcohol-perceived";
const YES: Answer = Answer::Choice { option: 0 };
const NO: Answer = Answer::Choice { option: 1 };

fn question<'a>(tally: &'a Tally, id: &str) -> &'a QuestionTally {
    tally
        .question
        .as_ref()
        .filter(|q| q.question_id == id)
        .unwrap_or_else(|| panic!("a tally of {id}: {tally:?}"))
}

/// The class's own share as the revealed comparison shows it, e.g. "30 %".
fn actual_figure(q: &QuestionTally) -> String {
    let reveal = q.reveal.as_ref().expect("revealed");
    reveal
        .figures
        .iter()
        .find(|f| f.role == FigureRole::Actual)
        .map(|f| f.value.clone())
        .unwrap_or_else(|| panic!("no actual figure in {reveal:?}"))
}

/// From the comparison (fully revealed) back to the own question, opened again.
async fn reopen_own(host: &mut Facilitator) {
    host.control(Action::Previous).await;
    let state = host.control(Action::Open).await;
    assert_eq!(state.current.unwrap().id, OWN);
}

/// The own question, with `answered` answers counted, closed again, on to the comparison
/// and shown whole; the tally after.
async fn compare_again(host: &mut Facilitator, answered: u32) -> Tally {
    // The own question's answers are counted whatever the room is shown.
    host.tally_answered(OWN, answered).await;
    host.control(Action::Close).await;
    host.control(Action::Next).await;
    host.control(Action::RevealAll).await;
    host.tally_until(|t| {
        t.question
            .as_ref()
            .is_some_and(|q| q.question_id == GUESS && q.reveal.is_some())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latecomer_and_a_changed_answer_wait_for_k_newer_answers() {
    let mut server = spawn_app_with_min_answers(5).await;
    let mut host = Facilitator::connect(server.addr).await;
    let state = host.create("7-klasse-alkohol", "7.b").await;
    let (session_id, code) = (state.session.id.clone(), state.session.code.clone());
    let mut phones = Vec::new();
    for _ in 0..10 {
        phones.push(Participant::join(server.addr, &code, None).await.0);
    }
    host.control(Action::Open).await;
    // 3 of 10 have drunk alcohol.
    for (i, phone) in phones.iter_mut().enumerate() {
        phone.answer(OWN, if i < 3 { YES } else { NO }).await;
    }
    host.control(Action::Close).await;
    host.control(Action::Next).await;
    for phone in phones.iter_mut() {
        phone.answer(GUESS, Answer::Percent { value: 60 }).await;
    }
    host.control(Action::Close).await;
    host.control(Action::RevealAll).await;
    let tally = host
        .tally_until(|t| t.question.as_ref().is_some_and(|q| q.reveal.is_some()))
        .await;
    assert_eq!(actual_figure(question(&tally, GUESS)), "30 %");
    assert_eq!(question(&tally, GUESS).waiting, None);

    // Back to the own question, opened again for a latecomer.
    reopen_own(&mut host).await;
    let mut latecomer = Participant::join(server.addr, &code, None).await.0;
    latecomer.answer(OWN, YES).await;
    // ... and one pupil's "Skift svar".
    phones[3].answer(OWN, YES).await;
    let tally = host.tally_answered(OWN, 11).await;
    let own = question(&tally, OWN);
    assert_eq!(
        own.result, None,
        "the split of a reopened question is hidden"
    );
    assert!(own.hidden.is_some());
    assert_eq!(own.reveal, None);

    // Compared again: the class's share as the room saw it, two newer answers waiting.
    let tally = compare_again(&mut host, 11).await;
    let guess = question(&tally, GUESS);
    assert_eq!(actual_figure(guess), "30 %");
    assert_eq!(
        guess.waiting,
        Some(Waiting {
            answers: 2,
            needed: 5
        })
    );

    // A restart does not show the waiting answers either.
    let tokens: Vec<String> = phones.iter().map(|p| p.token.clone()).collect();
    drop(phones);
    drop(latecomer);
    server.restart().await;
    let mut host = Facilitator::connect(server.addr).await;
    let (_, tally) = host.snapshot(&session_id).await;
    let guess = question(&tally, GUESS);
    assert_eq!(actual_figure(guess), "30 %");
    assert!(guess.waiting.is_some_and(|w| w.answers >= 1), "{guess:?}");
    let mut phones = Vec::new();
    for token in tokens {
        phones.push(Participant::join(server.addr, &code, Some(token)).await.0);
    }

    // k − 1 = 4 more latecomers after the restart: still the figures the room saw.
    reopen_own(&mut host).await;
    let mut late = Vec::new();
    for _ in 0..4 {
        let mut phone = Participant::join(server.addr, &code, None).await.0;
        phone.answer(OWN, YES).await;
        late.push(phone);
    }
    let tally = compare_again(&mut host, 15).await;
    assert_eq!(actual_figure(question(&tally, GUESS)), "30 %");

    // The k-th: now the room sees every answer, 10 of 16.
    reopen_own(&mut host).await;
    let mut phone = Participant::join(server.addr, &code, None).await.0;
    phone.answer(OWN, YES).await;
    let tally = compare_again(&mut host, 16).await;
    let guess = question(&tally, GUESS);
    assert_eq!(actual_figure(guess), "63 %");
    assert_eq!(guess.waiting, None);
    server.stop().await;
}
