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
            format!(
                "Spørgesættet \"{}\" er et forældresæt; der kan kun spørges til spørgsmål i et elevsæt",
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
            format!(
                "Spørgesættet \"{}\" har intet spørgsmål med id'et \"{}\"",
                target_set.id, perceives.question
            ),
        )),
        Some(idx) => {
            if let Err(problem) = pair_fits(
                &perceiving.kind,
                &target_set.questions[idx],
                &perceives.options,
                reference.options_at,
            ) {
                problems.push(problem);
            }
        }
    }
    problems
}

/// Whether `perceiving` (with the partner's `options`) can perceive `actual`; if not, the
/// problem, placed at `at`.
pub(super) fn pair_fits(
    perceiving: &QuestionKind,
    actual: &Question,
    options: &[u32],
    at: (usize, usize),
) -> Result<(), Problem> {
    let problem = |message: String, danish: String| Err(Problem::at(at, message, danish));
    let actual_kind = &actual.kind;
    match perceiving {
        QuestionKind::Percent => {
            let Some(n_choices) = actual_kind.n_choices() else {
                return problem(
                    format!(
                        "a percent estimate perceives a choice or scale question, but \"{}\" is a {} question",
                        actual.id,
                        actual_kind.name()
                    ),
                    format!(
                        "Et procentspørgsmål kan kun spørge til et valg- eller skalaspørgsmål, men \"{}\" er et {}",
                        actual.id,
                        actual_kind.danish_name()
                    ),
                );
            };
            if options.is_empty() {
                return problem(
                    format!(
                        "a percent estimate must name the options of \"{}\" whose share it estimates, e.g. options = [0]",
                        actual.id
                    ),
                    format!(
                        "Skriv, hvilke svarmuligheder i \"{}\" procenten gættes for, fx options = [0] for den første",
                        actual.id
                    ),
                );
            }
            // A partner without options has a problem of its own, and no option could be
            // in range (nor is there a highest one to name).
            if n_choices == 0 {
                return Ok(());
            }
            if let Some(bad) = options.iter().find(|&&o| o as usize >= n_choices) {
                return problem(
                    format!(
                        "option {bad} is out of range: \"{}\" has options 0 to {}",
                        actual.id,
                        n_choices - 1
                    ),
                    format!(
                        "Svarmulighed nummer {bad} findes ikke: \"{}\" har svarmulighederne 0 til {}",
                        actual.id,
                        n_choices - 1
                    ),
                );
            }
            let mut sorted = options.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() != options.len() {
                return problem(
                    "options must not repeat".to_string(),
                    "Hver svarmulighed må kun nævnes én gang".to_string(),
                );
            }
            if sorted.len() == n_choices {
                return problem(
                    format!(
                        "options name every option of \"{}\"; the share would always be 100 %",
                        actual.id
                    ),
                    format!(
                        "Alle svarmuligheder i \"{}\" er nævnt, så andelen ville altid være 100 %",
                        actual.id
                    ),
                );
            }
            Ok(())
        }
        QuestionKind::Number { .. } => {
            if !matches!(actual_kind, QuestionKind::Number { .. }) {
                return problem(
                    format!(
                        "a number estimate perceives a number question, but \"{}\" is a {} question",
                        actual.id,
                        actual_kind.name()
                    ),
                    format!(
                        "Et talspørgsmål kan kun spørge til et andet talspørgsmål, men \"{}\" er et {}",
                        actual.id,
                        actual_kind.danish_name()
                    ),
                );
            }
            if !options.is_empty() {
                return options_only_for_percent(at);
            }
            Ok(())
        }
        QuestionKind::Choice { .. } | QuestionKind::Scale { .. } => {
            if perceiving.name() != actual_kind.name()
                || perceiving.n_choices() != actual_kind.n_choices()
            {
                let answers = actual_kind.n_choices().unwrap_or(0);
                return problem(
                    format!(
                        "an attitude pair needs two {} questions with the same number of answers; \"{}\" is a {} question with {answers} answers",
                        perceiving.name(),
                        actual.id,
                        actual_kind.name(),
                    ),
                    format!(
                        "Et holdningspar skal være to {} med lige mange svar; \"{}\" er et {} med {answers} svar",
                        perceiving.danish_name(),
                        actual.id,
                        actual_kind.danish_name(),
                    ),
                );
            }
            if !options.is_empty() {
                return options_only_for_percent(at);
            }
            Ok(())
        }
    }
}

/// `options` on a pair that is not a percent estimate of a choice or scale question.
fn options_only_for_percent(at: (usize, usize)) -> Result<(), Problem> {
    Err(Problem::at(
        at,
        "options only apply when a percent estimate perceives a choice or scale question",
        "Svarmuligheder angives kun, når et procentspørgsmål spørger til et valg- eller skalaspørgsmål",
    ))
}
