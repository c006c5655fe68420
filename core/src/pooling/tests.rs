//! Parent-link tests: pupil aggregates pooled over linked sessions, with the anonymity
//! minimum applied to each linked group before pooling and to the pool after.

use std::sync::Arc;

use pejling_wire::{Answer, Distribution, QuestionStatus, TallyResult};

use super::*;
use crate::engine::{Engine, ParticipantKey, Progress, SessionMeta, SessionRecord};
use crate::questions;
use crate::results::{Comparison, Shown};

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
abstain = ["Vil ikke svare"]
sensitive = true

[[questions]]
id = "age"
kind = "number"
text = "Hvor gammel var du?"
min = 10
max = 20
"#;

const PARENTS: &str = r#"
format = 1
id = "foraeldre"
title = "Forældre"
language = "da"
audience = "parents"
grades = ["7"]

[[questions]]
id = "drunk-guess"
kind = "percent"
text = "Hvor mange procent af eleverne tror du har været fulde?"
abstain = ["Ved ikke"]
perceives = { set = "elever", question = "drunk", options = [0] }

[[questions]]
id = "age-guess"
kind = "number"
text = "Hvor gamle tror du, de var?"
min = 10
max = 20
perceives = { set = "elever", question = "age" }
"#;

fn set(text: &str) -> QuestionSet {
    questions::parse(text).expect("valid").set
}

fn meta(id: &str, label: &str) -> SessionMeta {
    SessionMeta {
        id: id.into(),
        code: "ACDEFH".into(),
        label: Some(label.into()),
        description: Default::default(),
        created_at: 0,
        screen_token: "screen".into(),
        rehearsal: false,
        follow_up_of: None,
    }
}

/// An ended pupil session's record where `yes` said "Ja", `no` said "Nej" and
/// `abstain` would not say; ages as given.
fn pupils(
    id: &str,
    label: &str,
    yes: usize,
    no: usize,
    abstain: usize,
    ages: &[i64],
) -> SessionRecord {
    let n = yes + no + abstain;
    let key = |i: usize| ParticipantKey::of_token(&format!("{id}-{i}"));
    let mut answers = Vec::new();
    for i in 0..n {
        let answer = if i < yes {
            Answer::Choice { option: 0 }
        } else if i < yes + no {
            Answer::Choice { option: 1 }
        } else {
            Answer::Abstain { option: 0 }
        };
        answers.push(("drunk".to_string(), key(i), answer));
    }
    for (i, &value) in ages.iter().enumerate() {
        answers.push(("age".to_string(), key(i), Answer::Number { value }));
    }
    SessionRecord {
        meta: meta(id, label),
        set: set(PUPILS),
        progress: Progress {
            current: Some(1),
            statuses: vec![QuestionStatus::Revealed, QuestionStatus::Closed],
            ended: true,
            steps: vec![1, 0],
            reopened: Vec::new(),
            shown: Vec::new(),
        },
        participants: (0..n.max(ages.len())).map(key).collect(),
        answers,
        links: Vec::new(),
        clickers: Vec::new(),
        thresholds: None,
    }
}

fn choice_counts(result: &TallyResult) -> (Vec<u32>, Vec<u32>) {
    match &result.distribution {
        Distribution::Choice { counts } => (counts.clone(), result.abstained.clone()),
        other => panic!("choice expected, got {other:?}"),
    }
}

#[test]
fn pools_groups_that_reach_the_minimum_and_names_the_rest() {
    let parents = set(PARENTS);
    let groups = groups_for(
        &parents,
        vec![
            pupils("a", "7.a", 4, 8, 1, &[]),
            pupils("b", "7.b", 3, 9, 0, &[]),
            // 7.c: three pupils took a side (one would not say): under the minimum of 5.
            pupils("c", "7.c", 1, 2, 1, &[]),
        ],
    );
    // (minimum, pooled counts, pooled abstentions, included per group)
    let table: [(u32, [u32; 2], u32, [bool; 3]); 4] = [
        (5, [7, 17], 1, [true, true, false]),
        (3, [8, 19], 2, [true, true, true]),
        (12, [7, 17], 1, [true, true, false]),
        (13, [0, 0], 0, [false, false, false]),
    ];
    for (minimum, counts, abstained, included) in table {
        let (question, pooled, uses) = pool(&groups, "elever", "drunk", minimum).unwrap();
        assert_eq!(question.id, "drunk");
        let (c, a) = choice_counts(&pooled);
        assert_eq!(c, counts.to_vec(), "minimum {minimum}");
        assert_eq!(a.iter().sum::<u32>(), abstained, "minimum {minimum}");
        let names: Vec<(&str, u32, bool)> = uses
            .iter()
            .map(|u| (u.name.as_str(), u.answers, u.included))
            .collect();
        assert_eq!(
            names,
            vec![
                ("7.a", 12, included[0]),
                ("7.b", 12, included[1]),
                ("7.c", 3, included[2]),
            ],
            "minimum {minimum}"
        );
    }
    assert!(pool(&groups, "elever", "missing", 5).is_none());
    assert!(pool(&groups, "other-set", "drunk", 5).is_none());
}

#[test]
fn number_answers_are_merged_by_value() {
    let parents = set(PARENTS);
    let groups = groups_for(
        &parents,
        vec![
            pupils("a", "7.a", 0, 0, 0, &[13, 14, 14, 15, 16]),
            pupils("b", "7.b", 0, 0, 0, &[14, 15, 15, 17, 18]),
        ],
    );
    let (_, pooled, _) = pool(&groups, "elever", "age", 5).unwrap();
    let Distribution::Number { values, .. } = pooled.distribution else {
        panic!("number expected")
    };
    let pairs: Vec<(i64, u32)> = values.iter().map(|v| (v.value, v.count)).collect();
    assert_eq!(
        pairs,
        vec![(13, 1), (14, 3), (15, 3), (16, 1), (17, 1), (18, 1)]
    );
}

#[test]
fn a_group_whose_set_changed_shape_is_left_out() {
    let parents = set(PARENTS);
    let mut changed = pupils("b", "7.b", 5, 5, 0, &[]);
    // The set was edited: the question got a third option before 7.b answered.
    changed.set = set(&PUPILS.replace(
        r#"options = ["Ja", "Nej"]"#,
        r#"options = ["Ja", "Nej", "Måske"]"#,
    ));
    let groups = groups_for(&parents, vec![pupils("a", "7.a", 4, 8, 0, &[]), changed]);
    let (_, pooled, uses) = pool(&groups, "elever", "drunk", 5).unwrap();
    assert_eq!(choice_counts(&pooled).0, vec![4, 8]);
    assert_eq!(
        uses.iter().map(|u| u.included).collect::<Vec<_>>(),
        vec![true, false]
    );
}

#[test]
fn a_parents_session_compares_estimates_with_the_pooled_pupils() {
    let parents = Arc::new(set(PARENTS));
    // Five parents estimate.
    let stored: Vec<(String, ParticipantKey, Answer)> = [40, 50, 60, 50, 50]
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            (
                "drunk-guess".to_string(),
                ParticipantKey::of_token(&format!("parent-{i}")),
                Answer::Percent { value },
            )
        })
        .collect();
    let keys = stored.iter().map(|(_, k, _)| *k).collect();
    let mut restored = Engine::restore(
        meta("p", "Forældremøde 7."),
        parents.clone(),
        Progress {
            current: Some(0),
            statuses: vec![QuestionStatus::Revealed, QuestionStatus::Pending],
            ended: false,
            steps: vec![3, 0],
            reopened: Vec::new(),
            shown: Vec::new(),
        },
        keys,
        stored,
    );
    restored.set_linked(groups_for(
        &parents,
        vec![
            pupils("a", "7.a", 4, 8, 1, &[]),
            pupils("b", "7.b", 3, 9, 0, &[]),
            pupils("c", "7.c", 1, 2, 1, &[]),
        ],
    ));
    let pair = restored
        .pair_result(0)
        .expect("linked and not sensitive on this side");
    let Comparison::Percent(c) = pair.comparison else {
        panic!("a percent pair")
    };
    // 7.a and 7.b pooled: 7 of 24; 7.c (3 answers) is left out.
    let share = c.actual.value().expect("24 pupils");
    assert_eq!((share.chose, share.respondents), (7, 24));
    assert_eq!(
        pair.groups
            .iter()
            .map(|g| (g.name.as_str(), g.included))
            .collect::<Vec<_>>(),
        vec![("7.a", true), ("7.b", true), ("7.c", false)]
    );
    let estimates = c.perceived.value().expect("five parents");
    assert_eq!(estimates.summary.mean, 50.0);
    let reveal = restored
        .question_tally(0)
        .reveal
        .expect("revealed to the last step");
    assert_eq!(reveal.figures.len(), 2, "guesses and the pooled pupils");

    // With only the small class linked, the pupils' side is withheld.
    restored.set_linked(groups_for(&parents, vec![pupils("c", "7.c", 1, 2, 1, &[])]));
    let pair = restored.pair_result(0).unwrap();
    let Comparison::Percent(c) = pair.comparison else {
        panic!()
    };
    assert_eq!(
        c.actual,
        Shown::TooFew {
            answers: 0,
            needed: 5
        }
    );
    assert_eq!(c.finding, None);
}

/// Tester's finding on issue 11: a parents' session started without a linked class
/// showed the national figure at the first step. Unlinked, the steps are the same: the
/// guesses, then the pupils' side said to be missing, then the national figures.
#[test]
fn an_unlinked_parents_question_reveals_in_the_same_steps() {
    let parents = Arc::new(set(PARENTS));
    let stored: Vec<(String, ParticipantKey, Answer)> = [40, 50, 60, 50, 50]
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            (
                "drunk-guess".to_string(),
                ParticipantKey::of_token(&format!("parent-{i}")),
                Answer::Percent { value },
            )
        })
        .collect();
    let keys: Vec<ParticipantKey> = stored.iter().map(|(_, k, _)| *k).collect();
    let at_step = |step: u32| {
        let engine = Engine::restore(
            meta("p", "Forældremøde"),
            parents.clone(),
            Progress {
                current: Some(0),
                statuses: vec![QuestionStatus::Revealed, QuestionStatus::Pending],
                ended: false,
                steps: vec![step, 0],
                reopened: Vec::new(),
                shown: Vec::new(),
            },
            keys.clone(),
            stored.clone(),
        );
        let reveal = engine.question_tally(0).reveal.expect("revealed");
        reveal
            .figures
            .iter()
            .map(|f| format!("{}={}", f.label, f.value))
            .collect::<Vec<_>>()
    };
    assert_eq!(at_step(1), vec!["Jeres gæt=50 %"]);
    assert_eq!(at_step(2), vec!["Jeres gæt=50 %", "Eleverne=–"]);
    // This test set cites no national figure; nothing is added from elsewhere.
    assert_eq!(at_step(3), vec!["Jeres gæt=50 %", "Eleverne=–"]);
}
