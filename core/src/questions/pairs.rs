//! The rules of a pair: whether a perceived question fits the own question it perceives
//! (in its own set, or in a pupils' set it cites).

use super::*;

/// Checks a resolved cross-set reference against the set it names: the question must exist
/// and fit the perceiving question. `perceiving` is the question in the citing set.
pub fn check_cross_ref(
    perceiving: &Question,
    reference: &CrossSetRef,
    target_set: &QuestionSet,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(perceives) = &perceiving.perceives else {
        return problems;
    };
    if target_set.audience != Audience::Pupils {
        problems.push(Problem::at(
            reference.set_at,
            format!(
                "set \"{}\" is a parents' set; a question can only cite a pupils' set",
                target_set.id
            ),
        ));
        return problems;
    }
    match target_set.question_index(&perceives.question) {
        None => problems.push(Problem::at(
            reference.question_at,
            format!(
                "set \"{}\" has no question \"{}\"",
                target_set.id, perceives.question
            ),
        )),
        Some(idx) => {
            if let Err(message) = pair_fits(
                &perceiving.kind,
                &target_set.questions[idx],
                &perceives.options,
            ) {
                problems.push(Problem::at(reference.options_at, message));
            }
        }
    }
    problems
}

/// Whether `perceiving` (with the partner's `options`) can perceive `actual`.
pub(super) fn pair_fits(
    perceiving: &QuestionKind,
    actual: &Question,
    options: &[u32],
) -> Result<(), String> {
    let actual_kind = &actual.kind;
    match perceiving {
        QuestionKind::Percent => {
            let Some(n_choices) = actual_kind.n_choices() else {
                return Err(format!(
                    "a percent estimate perceives a choice or scale question, but \"{}\" is a {} question",
                    actual.id,
                    actual_kind.name()
                ));
            };
            if options.is_empty() {
                return Err(format!(
                    "a percent estimate must name the options of \"{}\" whose share it estimates, e.g. options = [0]",
                    actual.id
                ));
            }
            // A partner without options has a problem of its own, and no option could be
            // in range (nor is there a highest one to name).
            if n_choices == 0 {
                return Ok(());
            }
            if let Some(bad) = options.iter().find(|&&o| o as usize >= n_choices) {
                return Err(format!(
                    "option {bad} is out of range: \"{}\" has options 0 to {}",
                    actual.id,
                    n_choices - 1
                ));
            }
            let mut sorted = options.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() != options.len() {
                return Err("options must not repeat".to_string());
            }
            if sorted.len() == n_choices {
                return Err(format!(
                    "options name every option of \"{}\"; the share would always be 100 %",
                    actual.id
                ));
            }
            Ok(())
        }
        QuestionKind::Number { .. } => {
            if !matches!(actual_kind, QuestionKind::Number { .. }) {
                return Err(format!(
                    "a number estimate perceives a number question, but \"{}\" is a {} question",
                    actual.id,
                    actual_kind.name()
                ));
            }
            if !options.is_empty() {
                return Err("options only apply when a percent estimate perceives a choice or scale question".to_string());
            }
            Ok(())
        }
        QuestionKind::Choice { .. } | QuestionKind::Scale { .. } => {
            if perceiving.name() != actual_kind.name()
                || perceiving.n_choices() != actual_kind.n_choices()
            {
                return Err(format!(
                    "an attitude pair needs two {} questions with the same number of answers; \"{}\" is a {} question with {} answers",
                    perceiving.name(),
                    actual.id,
                    actual_kind.name(),
                    actual_kind.n_choices().unwrap_or(0)
                ));
            }
            if !options.is_empty() {
                return Err("options only apply when a percent estimate perceives a choice or scale question".to_string());
            }
            Ok(())
        }
    }
}
