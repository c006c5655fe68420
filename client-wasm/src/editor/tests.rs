//! The editor's edits, without a browser.

use super::*;

fn set() -> SetDraft {
    OpenSet::new_set(Language::Da).draft
}

#[test]
fn a_new_set_starts_with_a_pair_that_is_right() {
    let draft = set();
    assert_eq!(draft.questions.len(), 2);
    let (own, guess) = (&draft.questions[0], &draft.questions[1]);
    assert_eq!(own.kind, KindName::Choice);
    assert!(own.sensitive);
    assert_eq!(guess.kind, KindName::Percent);
    let perceives = guess.perceives.as_ref().unwrap();
    assert_eq!(
        (perceives.question.as_str(), perceives.options.as_slice()),
        (own.id.as_str(), &[0][..])
    );
}

#[test]
fn the_perceived_wording_follows_the_own_question_until_it_is_changed() {
    let mut draft = set();
    assert!(set_field(
        &mut draft,
        "questions.0.text",
        "Har du prøvet snus?"
    ));
    assert_eq!(
        draft.questions[1].text,
        "Hvor mange procent af eleverne i din klasse tror du har prøvet snus?"
    );
    set_field(&mut draft, "questions.0.text", "Har du røget?");
    assert_eq!(
        draft.questions[1].text,
        "Hvor mange procent af eleverne i din klasse tror du har røget?"
    );
    set_field(
        &mut draft,
        "questions.1.text",
        "Hvor mange i klassen tror du har røget?",
    );
    set_field(&mut draft, "questions.0.text", "Har du røget en cigaret?");
    assert_eq!(
        draft.questions[1].text,
        "Hvor mange i klassen tror du har røget?"
    );
}

#[test]
fn wording_for_parents_and_in_english() {
    assert_eq!(
        suggested_wording("Drikker du alkohol?", Audience::Parents, Language::Da),
        "Hvor mange procent af eleverne i dit barns klasse tror du drikker alkohol?"
    );
    assert_eq!(
        suggested_wording("Have you ever been drunk?", Audience::Pupils, Language::En),
        "What percentage of the pupils in your class do you think have ever been drunk?"
    );
    assert_eq!(
        suggested_wording("Fest i weekenden", Audience::Pupils, Language::Da),
        "Hvor mange procent af eleverne i din klasse tror du svarer ja til: Fest i weekenden?"
    );
}

#[test]
fn a_renamed_question_keeps_its_partner_and_a_removed_one_is_left_for_the_checker() {
    let mut open = OpenSet::new_set(Language::Da);
    open.set_field("questions.0.id", "snus-egen", &[]);
    assert_eq!(
        open.draft.questions[1].perceives.as_ref().unwrap().question,
        "snus-egen"
    );
    assert!(open.apply(Edit::Remove(0)));
    assert_eq!(open.draft.questions.len(), 1);
    // Still pointing at the removed question: the checker says so at this question.
    assert_eq!(
        open.draft.questions[0].perceives.as_ref().unwrap().question,
        "snus-egen"
    );
}

/// Found by an outside tester: typing the id of question 1 into a new question and then
/// correcting it re-linked question 1's partner to the new question.
#[test]
fn typing_another_questions_id_on_the_way_relinks_nothing() {
    let mut open = OpenSet::new_set(Language::Da);
    add_question(&mut open.draft, KindName::Choice);
    let own = open.draft.questions[0].id.clone();
    for typed in ["e", &own, &format!("{own}x"), "morgenmad"] {
        open.set_field("questions.2.id", typed, &[]);
    }
    assert_eq!(
        open.draft.questions[1].perceives.as_ref().unwrap().question,
        own
    );
    // And a rename that passes another question's id on the way keeps its partner.
    let mut open = OpenSet::new_set(Language::Da);
    add_question(&mut open.draft, KindName::Choice);
    open.set_field("questions.2.id", "b", &[]);
    for typed in ["b", "b-", "b-c"] {
        open.set_field("questions.0.id", typed, &[]);
    }
    assert_eq!(
        open.draft.questions[1].perceives.as_ref().unwrap().question,
        "b-c"
    );
    assert_eq!(open.draft.questions[2].id, "b");
}

#[test]
fn a_number_field_with_text_is_a_problem_here_and_blocks_saving() {
    let mut open = OpenSet::new_set(Language::Da);
    assert!(open.set_field("min_answers", "abc", &[]));
    assert_eq!(open.draft.min_answers, None);
    assert!(!open.can_save());
    assert_eq!(
        open.all_problems().next().unwrap().text(Language::Da),
        "Skriv et helt tal, fx 12"
    );
    open.set_field("min_answers", "5", &[]);
    assert_eq!(open.draft.min_answers, Some(5));
    assert!(open.can_save());
}

#[test]
fn a_new_sets_id_follows_its_title_until_typed_by_hand() {
    let mut open = OpenSet::new_set(Language::Da);
    let taken = vec!["8-b-vaping".to_string()];
    open.set_field("title", "8.b Vaping", &taken);
    assert_eq!(open.draft.id, "8-b-vaping-2");
    open.set_field("title", "Sæt om søvn på Åen", &taken);
    assert_eq!(open.draft.id, "saet-om-soevn-paa-aaen");
    open.set_field("id", "mit-id", &taken);
    open.set_field("title", "Noget andet", &taken);
    assert_eq!(open.draft.id, "mit-id");
}

#[test]
fn moves_stay_inside_the_list_and_stale_indices_do_nothing() {
    let mut draft = set();
    let first = draft.questions[0].id.clone();
    assert!(!apply(&mut draft, Edit::Move(0, -1)));
    assert!(apply(&mut draft, Edit::Move(0, 1)));
    assert_eq!(draft.questions[1].id, first);
    assert!(!apply(&mut draft, Edit::Move(1, 1)));
    assert!(!apply(&mut draft, Edit::Remove(9)));
    assert!(!apply(&mut draft, Edit::RemoveOption(9, 0)));
    assert!(!set_field(&mut draft, "questions.9.text", "x"));
    assert!(!set_field(&mut draft, "questions.0.nothing", "x"));
}

#[test]
fn partner_options_and_figures_are_picked_not_typed() {
    let mut draft = set();
    assert!(apply(&mut draft, Edit::SetPartnerOption(1, 1, true)));
    assert_eq!(
        draft.questions[1].perceives.as_ref().unwrap().options,
        [0, 1]
    );
    assert!(apply(&mut draft, Edit::SetPartnerOption(1, 0, false)));
    assert_eq!(draft.questions[1].perceives.as_ref().unwrap().options, [1]);
    assert!(apply(&mut draft, Edit::Cite(1, "espad".into())));
    assert!(
        !apply(&mut draft, Edit::Cite(1, "espad".into())),
        "cited once"
    );
    let choices = partner_choices(&draft, 1, &[]);
    assert_eq!(
        choices.len(),
        1,
        "only the choice question fits a percent estimate"
    );
    assert_eq!(choices[0].1, draft.questions[0].id);
}

#[test]
fn a_parents_question_may_pick_a_pupils_question() {
    let mut draft = set();
    draft.audience = Audience::Parents;
    let mut pupils = set();
    pupils.id = "elever".into();
    pupils.title = "Elever".into();
    let choices = partner_choices(&draft, 1, std::slice::from_ref(&pupils));
    assert!(
        choices.iter().any(|(set, _, _)| set == "elever"),
        "{choices:?}"
    );
    assert!(apply(
        &mut draft,
        Edit::SetPartner(1, Some(("elever".into(), pupils.questions[0].id.clone())))
    ));
    let perceives = draft.questions[1].perceives.clone().unwrap();
    assert_eq!(
        partner(&draft, &perceives, &[pupils]).unwrap().kind,
        KindName::Choice
    );
}

#[test]
fn ids_are_made_unique() {
    let taken = vec!["a".to_string(), "a-2".to_string()];
    assert_eq!(unique_id("a", &taken), "a-3");
    assert_eq!(unique_id("b", &taken), "b");
}
