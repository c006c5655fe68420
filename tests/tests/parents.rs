//! A parent evening end to end: three class sessions answer and end; a parents' session
//! is linked to them; the parents' estimates are compared with the pupils' pooled
//! answers, leaving out the class with too few answers; the link survives a restart.

use pejling_tests::wire::{Action, Answer, ErrorCode, FigureRole, Hidden, ServerMessage};
use pejling_tests::{
    Facilitator, HOST_TOKEN, Participant, http_request, spawn_app_with_min_answers,
};

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
}

/// Runs a class on "7-klasse-alkohol" where `yes` pupils have drunk alcohol and `no`
/// have not, then ends it. Returns the session id.
async fn class(
    facilitator: &mut Facilitator,
    addr: std::net::SocketAddr,
    label: &str,
    yes: usize,
    no: usize,
    end: bool,
) -> String {
    let session = facilitator.create("7-klasse-alkohol", label).await.session;
    facilitator.control(Action::Open).await;
    for n in 0..yes + no {
        let (mut pupil, _) = Participant::join(addr, &session.code, None).await;
        let option = u32::from(n >= yes);
        pupil
            .answer("drunk-alcohol-own", Answer::Choice { option })
            .await;
    }
    if end {
        facilitator.control(Action::End).await;
    }
    session.id
}

#[tokio::test]
async fn parents_compare_with_the_pooled_classes() {
    let mut server = spawn_app_with_min_answers(5).await;
    let addr = server.addr;
    let mut facilitator = Facilitator::connect(addr).await;
    let a = class(&mut facilitator, addr, "7.a", 2, 4, true).await;
    let b = class(&mut facilitator, addr, "7.b", 1, 4, true).await;
    let c = class(&mut facilitator, addr, "7.c", 2, 0, true).await;
    let running = class(&mut facilitator, addr, "7.d", 1, 1, false).await;

    // A class still running cannot be linked: its numbers are not final.
    facilitator
        .client
        .send(&pejling_tests::wire::ClientMessage::CreateSession {
            set_id: "foraeldre-7-klasse".into(),
            label: None,
            description: Default::default(),
            linked_sessions: vec![a.clone(), running],
            rehearsal: false,
            follow_up_of: None,
        })
        .await;
    // (Tallies of the running class may come first.)
    let message = facilitator
        .client
        .recv_until(|m| match m {
            ServerMessage::Error { code, message } => {
                assert_eq!(*code, ErrorCode::InvalidLink);
                Some(message.clone())
            }
            _ => None,
        })
        .await;
    assert!(message.contains("\"7.d\" has not ended"), "{message}");

    let parents = facilitator
        .create_linked(
            "foraeldre-7-klasse",
            "Forældremøde 7. årgang",
            vec![a, b, c],
        )
        .await
        .session;
    // The console's list says which classes the parents' session is linked to.
    facilitator
        .client
        .send(&pejling_tests::wire::ClientMessage::ListSessions)
        .await;
    let sessions = facilitator
        .client
        .recv_until(|m| match m {
            ServerMessage::Sessions { sessions } => Some(sessions.clone()),
            _ => None,
        })
        .await;
    let listed = sessions.iter().find(|s| s.id == parents.id).unwrap();
    assert_eq!(listed.linked, ["7.a", "7.b", "7.c"]);
    assert!(
        sessions
            .iter()
            .filter(|s| s.id != parents.id)
            .all(|s| s.linked.is_empty())
    );
    facilitator.control(Action::Open).await;
    let question = "pupils-drunk-alcohol-perceived";
    for value in [40, 50, 60, 70, 80] {
        let (mut parent, _) = Participant::join(addr, &parents.code, None).await;
        parent.answer(question, Answer::Percent { value }).await;
    }
    // Issue 11: while the parents guess, nothing of the pupils' answers, the national
    // figure or a verdict reaches the screen: not in the tally, not at /chart.
    let tally = facilitator.tally_answered(question, 5).await;
    let open = tally.question.unwrap();
    assert_eq!(open.result, None, "the guesses' split is hidden while open");
    assert_eq!(open.hidden, Some(Hidden::UntilReveal));
    assert_eq!(open.reveal, None);
    let screen_token = parents.screen_token.clone().unwrap();
    let chart = format!("/chart/{}/{question}.svg?token={screen_token}", parents.id);
    let (status, body) = http_request(addr, &get(&chart)).await;
    assert!(status.contains("404"), "{status}");
    assert!(!body.contains('%'), "{body}");

    // Step 1: the guesses only.
    facilitator.control(Action::Reveal).await;
    let step = facilitator
        .tally_until(|t| t.question.as_ref().is_some_and(|q| q.reveal.is_some()))
        .await;
    let reveal = step.question.unwrap().reveal.unwrap();
    assert_eq!((reveal.step, reveal.steps), (1, 3));
    let roles: Vec<FigureRole> = reveal.figures.iter().map(|f| f.role).collect();
    assert_eq!(roles, vec![FigureRole::Guesses]);
    assert_eq!(reveal.figures[0].value, "60 %");
    assert_eq!((reveal.sentence, reveal.pattern), (None, None));
    let (status, svg) = http_request(addr, &get(&chart)).await;
    assert!(status.contains("200"), "{status}");
    // The projector's chart: how the guesses scatter, their mean marked.
    assert!(svg.contains("Jeres gæt (gennemsnit): 60 %"), "{svg}");
    assert!(
        !svg.contains("Elevernes"),
        "no pupils' share at step 1: {svg}"
    );
    assert!(!svg.contains("Landstal"), "{svg}");

    // Step 2: and the pupils' pooled answer.
    facilitator.control(Action::Reveal).await;
    let step = facilitator
        .tally_until(|t| {
            t.question
                .as_ref()
                .and_then(|q| q.reveal.as_ref())
                .is_some_and(|r| r.step == 2)
        })
        .await;
    let reveal = step.question.unwrap().reveal.unwrap();
    let roles: Vec<FigureRole> = reveal.figures.iter().map(|f| f.role).collect();
    assert_eq!(roles, vec![FigureRole::Guesses, FigureRole::Actual]);
    assert_eq!(reveal.figures[1].value, "27 %");
    assert_eq!(reveal.figures[1].label, "Eleverne");
    // 7.a (2 of 6) and 7.b (1 of 5) pooled: 3 of 11 = 27.3 %; 7.c (2 answers) left out,
    // and said so.
    assert_eq!(
        reveal.figures[1].detail.as_deref(),
        Some("3 af 11 svarede «Ja» (ikke med: 7.c, for få svar)")
    );
    assert_eq!(reveal.sentence, None);
    let (_, svg) = http_request(addr, &get(&chart)).await;
    // The live chart names the class left out too (issue 24: it said nothing of it).
    assert!(
        svg.contains("Elevernes egne svar (uden 7.c): 27 %"),
        "{svg}"
    );
    assert!(!svg.contains("Landstal"), "{svg}");

    // Step 3: and the national figure and the verdict.
    facilitator.control(Action::Reveal).await;
    let step = facilitator
        .tally_until(|t| {
            t.question
                .as_ref()
                .and_then(|q| q.reveal.as_ref())
                .is_some_and(|r| r.step == 3)
        })
        .await;
    let reveal = step.question.unwrap().reveal.unwrap();
    assert_eq!(reveal.figures.len(), 3);
    assert_eq!(reveal.figures[2].role, FigureRole::National);
    assert!(
        reveal.figures[2].label.starts_with("Landstal: "),
        "{:?}",
        reveal.figures[2]
    );
    assert!(reveal.figures[2].source.is_some());
    // All five guesses (40–80 %) are above 27 %: p = 1/16 is still too few to show a
    // direction, so no pattern is claimed, and the sentence says why.
    assert_eq!(reveal.pattern.as_deref(), Some("Intet tydeligt mønster"));
    assert_eq!(
        reveal.sentence.as_deref(),
        Some("5 af 5 gættede for højt, men det er ikke nok til at sige det sikkert.")
    );
    let (status, svg) = http_request(addr, &get(&chart)).await;
    assert!(status.contains("200"), "{status}");
    assert!(svg.contains("Landstal"), "{svg}");

    // The link is stored: after a restart the comparison is the same, and the report
    // has it too.
    server.restart().await;
    let addr = server.addr;
    let (status, again) = http_request(addr, &get(&chart)).await;
    assert!(status.contains("200"), "{status}");
    assert!(
        again.contains("Elevernes egne svar (uden 7.c): 27 %"),
        "{again}"
    );
    let csv = format!("/export/{}/results.csv?token={HOST_TOKEN}", parents.id);
    let (status, csv) = http_request(addr, &get(&csv)).await;
    assert!(status.contains("200"), "{status}");
    // For Danish Excel by default: semicolons and a decimal comma.
    assert!(csv.contains("actual_percent;Ja;27,27"), "{csv}");
    server.stop().await;
}
