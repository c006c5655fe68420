//! The anonymity minimum end to end: the facilitator's tally (and so the screen) gets
//! no split of a question until enough devices have answered it, and "Ved ikke" answers
//! do not count towards the minimum.

use pejling_tests::wire::{Action, Answer, Hidden};
use pejling_tests::{Facilitator, Participant, spawn_app_with_min_answers};

#[tokio::test]
async fn no_split_is_sent_before_five_answers() {
    let server = spawn_app_with_min_answers(5).await;
    let mut facilitator = Facilitator::connect(server.addr).await;
    let session = facilitator
        .create("7-klasse-alkohol", "7.b, Nordskolen")
        .await
        .session;
    facilitator.control(Action::Open).await;
    facilitator.control(Action::Next).await; // the (not sensitive) percent estimate
    let question = "drunk-alcohol-perceived";

    let mut phones = Vec::new();
    for _ in 0..6 {
        // A late joiner lands on the current question.
        let (phone, state) = Participant::join(server.addr, &session.code, None).await;
        assert_eq!(state.question.map(|q| q.id).as_deref(), Some(question));
        phones.push(phone);
    }
    let answers = [
        Answer::Percent { value: 40 },
        Answer::Percent { value: 60 },
        Answer::Percent { value: 50 },
        Answer::Percent { value: 70 },
        Answer::Abstain { option: 0 }, // "Ved ikke"
        Answer::Percent { value: 30 },
    ];
    // (answers so far, split shown?)
    let expected = [false, false, false, false, false, true];
    for (n, (phone, answer)) in phones.iter_mut().zip(answers).enumerate() {
        phone.answer(question, answer).await;
        let tally = facilitator.tally_answered(question, n as u32 + 1).await;
        let q = tally.question.expect("current question");
        assert_eq!(q.result.is_some(), expected[n], "after {} answers", n + 1);
        if !expected[n] {
            assert_eq!(q.hidden, Some(Hidden::TooFew { needed: 5 }));
        } else {
            assert_eq!(q.hidden, None);
        }
    }
    server.stop().await;
}
