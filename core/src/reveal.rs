//! What the projector shows of a revealed question: the key figures in the order the
//! facilitator reveals them (the guesses, the group's real answer, the national figures)
//! and, at the last step, the pattern in one plain sentence. Texts are made here, in the
//! set's language, so the pages only display what the engine allows and the screen and
//! the report cannot name a pattern differently.
//!
//! Plain functions of a [`PairResult`]: no I/O, no session state; the engine decides the
//! step (`engine.rs`), `results.rs` decides the pattern.

use pejling_wire::{FigureRole, KeyFigure, RevealView};

use crate::questions::{Language, Question, QuestionKind, Reference};
use crate::results::{AttitudeComparison, Comparison, PairResult, Pattern, Shown};

struct Words {
    guesses: &'static str,
    you: &'static str,
    pupils: &'static str,
    national: &'static str,
    too_few: &'static str,
    mean_of_guesses: &'static str,
    mean_of_answers: &'static str,
    of: &'static str,
    answered: &'static str,
    think_most: &'static str,
}

const DA: Words = Words {
    guesses: "Jeres gæt",
    you: "Jeres egne svar",
    pupils: "Eleverne",
    national: "Landstal",
    too_few: "for få svar",
    mean_of_guesses: "gennemsnit af {n} gæt",
    mean_of_answers: "gennemsnit af {n} svar",
    of: "af",
    answered: "svarede",
    think_most: "tror, de fleste svarer",
};

const EN: Words = Words {
    guesses: "Your guesses",
    you: "Your own answers",
    pupils: "The pupils",
    national: "National figure",
    too_few: "too few answers",
    mean_of_guesses: "mean of {n} guesses",
    mean_of_answers: "mean of {n} answers",
    of: "of",
    answered: "answered",
    think_most: "think most answer",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Da => &DA,
        Language::En => &EN,
    }
}

fn percent(value: f64, language: Language) -> String {
    format!("{} %", language.decimal(value.round()))
}

fn quoted(labels: &[String], language: Language) -> String {
    let or = match language {
        Language::Da => " eller ",
        Language::En => " or ",
    };
    labels
        .iter()
        .map(|label| format!("«{label}»"))
        .collect::<Vec<_>>()
        .join(or)
}

/// The national figures a question cites, as key figures.
pub fn national_figures(references: &[Reference], language: Language) -> Vec<KeyFigure> {
    let w = words(language);
    references
        .iter()
        .map(|reference| KeyFigure {
            role: FigureRole::National,
            value: if reference.unit == "%" {
                percent(reference.value, language)
            } else {
                format!("{} {}", language.decimal(reference.value), reference.unit)
            },
            label: format!(
                "{}: {}, {}",
                w.national, reference.population, reference.year
            ),
            detail: Some(reference.measures.clone()),
            source: Some(match &reference.reported_by {
                Some(by) => format!("{}; {by}", reference.survey),
                None => reference.survey.clone(),
            }),
        })
        .collect()
}

/// A revealed question that is not a pair but cites national figures: one step, the
/// figures.
pub fn references_view(
    references: &[Reference],
    language: Language,
    chart: Option<String>,
) -> RevealView {
    RevealView {
        step: 1,
        steps: 1,
        figures: national_figures(references, language),
        sentence: None,
        pattern: None,
        chart,
    }
}

/// A question that perceives a pupils' question, in a parents' session that no pupils'
/// session is linked to: the same steps, with the guesses (mean of the estimates, once
/// enough have answered), the pupils' side said to be missing, and the national figures.
pub fn unlinked_view(
    perceived: &Question,
    counts: &pejling_wire::TallyResult,
    step: u32,
    min_answers: u32,
    language: Language,
) -> RevealView {
    let w = words(language);
    let da = language == Language::Da;
    let mean = match &counts.distribution {
        pejling_wire::Distribution::Percent {
            counts: c, mean, ..
        } => (c.iter().sum::<u32>() >= min_answers.max(1))
            .then_some(*mean)
            .flatten()
            .map(|m| (percent(m, language), c.iter().sum::<u32>())),
        pejling_wire::Distribution::Number { values, mean, .. } => {
            let n: u32 = values.iter().map(|v| v.count).sum();
            let unit = match &perceived.kind {
                QuestionKind::Number {
                    unit: Some(unit), ..
                } => format!(" {unit}"),
                _ => String::new(),
            };
            (n >= min_answers.max(1))
                .then_some(*mean)
                .flatten()
                .map(|m| (format!("{}{unit}", language.decimal(m)), n))
        }
        _ => None,
    };
    let mut figures = vec![match mean {
        Some((value, n)) => KeyFigure {
            role: FigureRole::Guesses,
            value,
            label: w.guesses.to_string(),
            detail: Some(w.mean_of_guesses.replace("{n}", &n.to_string())),
            source: None,
        },
        None => KeyFigure {
            role: FigureRole::Guesses,
            value: w.too_few.to_string(),
            label: w.guesses.to_string(),
            detail: None,
            source: None,
        },
    }];
    if step >= 2 {
        figures.push(KeyFigure {
            role: FigureRole::Actual,
            value: "–".to_string(),
            label: w.pupils.to_string(),
            detail: Some(
                if da {
                    "ingen klasser er koblet til mødet"
                } else {
                    "no class sessions are linked to this meeting"
                }
                .to_string(),
            ),
            source: None,
        });
    }
    if step >= 3 {
        figures.extend(national_figures(&perceived.references, language));
    }
    RevealView {
        step,
        steps: 3,
        figures,
        sentence: None,
        pattern: None,
        chart: None,
    }
}

fn pattern_name(pattern: Pattern, language: Language) -> String {
    match language {
        Language::Da => pattern.danish(),
        Language::En => pattern.english(),
    }
    .to_string()
}

/// The comparison of a pair as shown at reveal `step` (1: the guesses, 2: and the group's
/// real answer, 3: and the national figures and the verdict).
pub fn pair_view(
    actual: &Question,
    perceived: &Question,
    pair: &PairResult,
    step: u32,
    language: Language,
    chart: Option<String>,
) -> RevealView {
    let w = words(language);
    let da = language == Language::Da;
    // A parents' question compares with the linked pupil sessions.
    let linked = !pair.groups.is_empty();
    let actual_label = if linked { w.pupils } else { w.you }.to_string();
    let too_few = |role| KeyFigure {
        role,
        value: w.too_few.to_string(),
        label: match role {
            FigureRole::Guesses => w.guesses.to_string(),
            _ => actual_label.clone(),
        },
        detail: None,
        source: None,
    };
    let mut figures = Vec::new();
    let mut sentence = None;
    let mut pattern = None;
    match &pair.comparison {
        Comparison::Percent(c) => {
            figures.push(match &c.perceived {
                Shown::Yes(e) => KeyFigure {
                    role: FigureRole::Guesses,
                    value: percent(e.summary.mean, language),
                    label: w.guesses.to_string(),
                    detail: Some(
                        w.mean_of_guesses
                            .replace("{n}", &e.summary.respondents.to_string()),
                    ),
                    source: None,
                },
                Shown::TooFew { .. } => too_few(FigureRole::Guesses),
            });
            figures.push(match &c.actual {
                Shown::Yes(share) => KeyFigure {
                    role: FigureRole::Actual,
                    value: percent(share.percent, language),
                    label: actual_label.clone(),
                    detail: Some(format!(
                        "{} {} {} {} {}{}",
                        share.chose,
                        w.of,
                        share.respondents,
                        w.answered,
                        quoted(&c.options, language),
                        left_out_note(pair, language)
                    )),
                    source: None,
                },
                Shown::TooFew { .. } => too_few(FigureRole::Actual),
            });
            if let (Some(f), Shown::Yes(share), Shown::Yes(e)) =
                (&c.finding, &c.actual, &c.perceived)
            {
                let n = e.summary.respondents;
                let answer = quoted(&c.options, language);
                let who = match (linked, da) {
                    (true, true) => " elever",
                    (true, false) => " pupils",
                    _ => "",
                };
                pattern = Some(pattern_name(f.pattern, language));
                sentence = Some(match (f.pattern, da) {
                    (Pattern::Overdrivelse, true) => format!(
                        "I troede, at flere{who} svarede {answer}, end der gjorde: {} af {n} gættede for højt.",
                        f.above
                    ),
                    (Pattern::Overdrivelse, false) => format!(
                        "You thought more{who} answered {answer} than did: {} of {n} guessed too high.",
                        f.above
                    ),
                    (Pattern::Underdrivelse, true) => format!(
                        "I troede, at færre{who} svarede {answer}, end der gjorde: {} af {n} gættede for lavt.",
                        f.below
                    ),
                    (Pattern::Underdrivelse, false) => format!(
                        "You thought fewer{who} answered {answer} than did: {} of {n} guessed too low.",
                        f.below
                    ),
                    (Pattern::Flertalsmisforstaaelse, true) => format!(
                        "{} af {n} troede, at flertallet svarede {answer} – men det gjorde kun {}.",
                        f.majority,
                        percent(share.percent, language)
                    ),
                    (Pattern::Flertalsmisforstaaelse, false) => format!(
                        "{} of {n} thought most answered {answer} – but only {} did.",
                        f.majority,
                        percent(share.percent, language)
                    ),
                    // Within half a point the rounded gap would read "0 points off" beside
                    // two figures that may differ by one after rounding.
                    (Pattern::Overensstemmelse, true) if f.gap_pp.abs() < 0.5 => {
                        "Jeres gæt ramte plet: gennemsnittet af gættene lå under ét procentpoint fra."
                            .to_string()
                    }
                    (Pattern::Overensstemmelse, false) if f.gap_pp.abs() < 0.5 => {
                        "Your guesses were spot on: their mean was less than one percentage point off."
                            .to_string()
                    }
                    (Pattern::Overensstemmelse, true) => format!(
                        "Jeres gæt ramte tæt på: gennemsnittet af gættene lå {} procentpoint fra.",
                        language.decimal(f.gap_pp.abs().round())
                    ),
                    (Pattern::Overensstemmelse, false) => format!(
                        "Your guesses were close: their mean was {} percentage points off.",
                        language.decimal(f.gap_pp.abs().round())
                    ),
                    // A direction the guesses lean to but do not show clearly: say
                    // what leaned, and that it is not enough to call it a pattern.
                    (Pattern::Uklar, true) if leaning(f) => format!(
                        "{} af {n} gættede for {}, men det er ikke nok til at sige det sikkert.",
                        f.above.max(f.below),
                        if f.above > f.below { "højt" } else { "lavt" }
                    ),
                    (Pattern::Uklar, false) if leaning(f) => format!(
                        "{} of {n} guessed too {}, but that is not enough to say for sure.",
                        f.above.max(f.below),
                        if f.above > f.below { "high" } else { "low" }
                    ),
                    (Pattern::Uklar, true) => format!(
                        "Gættene spreder sig: {} gættede for højt og {} for lavt.",
                        f.above, f.below
                    ),
                    (Pattern::Uklar, false) => format!(
                        "The guesses scatter: {} guessed too high and {} too low.",
                        f.above, f.below
                    ),
                });
            }
        }
        Comparison::Number(c) => {
            let unit = c
                .unit
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            let mean = |s: &crate::results::Summary| format!("{}{unit}", language.decimal(s.mean));
            figures.push(match &c.perceived {
                Shown::Yes(s) => KeyFigure {
                    role: FigureRole::Guesses,
                    value: mean(s),
                    label: w.guesses.to_string(),
                    detail: Some(w.mean_of_guesses.replace("{n}", &s.respondents.to_string())),
                    source: None,
                },
                Shown::TooFew { .. } => too_few(FigureRole::Guesses),
            });
            figures.push(match &c.actual {
                Shown::Yes(s) => KeyFigure {
                    role: FigureRole::Actual,
                    value: mean(s),
                    label: actual_label.clone(),
                    detail: Some(w.mean_of_answers.replace("{n}", &s.respondents.to_string())),
                    source: None,
                },
                Shown::TooFew { .. } => too_few(FigureRole::Actual),
            });
            // No pattern: whether a higher number is "over" depends on the question. Say
            // in words what was guessed and what was answered.
            if let (Shown::Yes(a), Shown::Yes(p)) = (&c.actual, &c.perceived) {
                let whose = match (linked, da) {
                    (true, true) => "elevernes",
                    (false, true) => "jeres egne",
                    (true, false) => "the pupils'",
                    (false, false) => "your own",
                };
                sentence = Some(if da {
                    format!(
                        "I gættede i gennemsnit {}; {whose} svar var i gennemsnit {}.",
                        mean(p),
                        mean(a)
                    )
                } else {
                    format!(
                        "You guessed {} on average; {whose} answers were {} on average.",
                        mean(p),
                        mean(a)
                    )
                });
            }
        }
        Comparison::Attitude(c) => {
            attitude(c, actual, perceived, &actual_label, language, &mut figures);
            if let (Some(p), Shown::Yes(a)) = (c.pattern, &c.actual) {
                pattern = Some(pattern_name(p, language));
                sentence = Some(attitude_sentence(c, p, a, linked, language));
            }
        }
    }
    figures.extend(national_figures(&pair.references, language));
    // Only what this step shows: the guesses first, then the real answer, then the rest.
    figures.retain(|figure| match figure.role {
        FigureRole::Guesses => true,
        FigureRole::Actual => step >= 2,
        FigureRole::National => step >= 3,
    });
    if step < 3 {
        sentence = None;
        pattern = None;
    }
    RevealView {
        step,
        steps: 3,
        figures,
        sentence,
        pattern,
        chart,
    }
}

/// For a parents' question: the linked classes left out of the pool for too few answers,
/// as a note after the pupils' figure (the chart and the report name them too).
fn left_out_note(pair: &PairResult, language: Language) -> String {
    let left_out = pair.left_out();
    if left_out.is_empty() {
        return String::new();
    }
    match language {
        Language::Da => format!(" (ikke med: {}, for få svar)", left_out.join(", ")),
        Language::En => format!(" (left out: {}, too few answers)", left_out.join(", ")),
    }
}

/// Whether most guesses lie on the same side as the mean gap (a direction the guesses
/// lean to, even if not clearly enough to name a pattern).
fn leaning(f: &crate::results::PercentFinding) -> bool {
    (f.gap_pp > 0.0 && f.above > f.below) || (f.gap_pp < 0.0 && f.below > f.above)
}

/// The upper half of a scale: the points above its middle.
fn upper_half(n_points: usize) -> std::ops::Range<usize> {
    n_points / 2 + n_points % 2..n_points
}

/// Key figures of an attitude pair: for a scale, the share in the upper half of the
/// scale on each side ("synes «Nogenlunde i orden» eller «Helt i orden»"); an unordered
/// choice pair has no key figure, its chart shows both distributions.
fn attitude(
    c: &AttitudeComparison,
    _actual: &Question,
    perceived: &Question,
    actual_label: &str,
    language: Language,
    figures: &mut Vec<KeyFigure>,
) {
    if !c.ordered {
        return;
    }
    let w = words(language);
    let labels = match &perceived.kind {
        QuestionKind::Scale { points } => points[upper_half(points.len())].to_vec(),
        _ => c.labels[upper_half(c.labels.len())].to_vec(),
    };
    let upper = |shares: &[f64]| shares[upper_half(shares.len())].iter().sum::<f64>();
    let answer = quoted(&labels, language);
    let answered = w.answered;
    figures.push(match &c.perceived {
        Shown::Yes(shares) => KeyFigure {
            role: FigureRole::Guesses,
            value: percent(upper(shares), language),
            label: w.guesses.to_string(),
            detail: Some(format!("{} {answer}", w.think_most)),
            source: None,
        },
        Shown::TooFew { .. } => KeyFigure {
            role: FigureRole::Guesses,
            value: w.too_few.to_string(),
            label: w.guesses.to_string(),
            detail: None,
            source: None,
        },
    });
    figures.push(match &c.actual {
        Shown::Yes(shares) => KeyFigure {
            role: FigureRole::Actual,
            value: percent(upper(shares), language),
            label: actual_label.to_string(),
            detail: Some(format!("{answered} {answer}")),
            source: None,
        },
        Shown::TooFew { .. } => KeyFigure {
            role: FigureRole::Actual,
            value: w.too_few.to_string(),
            label: actual_label.to_string(),
            detail: None,
            source: None,
        },
    });
}

fn attitude_sentence(
    c: &AttitudeComparison,
    pattern: Pattern,
    actual_shares: &[f64],
    linked: bool,
    language: Language,
) -> String {
    let da = language == Language::Da;
    let upper: f64 = actual_shares[upper_half(actual_shares.len())].iter().sum();
    let labels = quoted(&c.labels[upper_half(c.labels.len())], language);
    let others = match (linked, da) {
        (true, true) => "eleverne",
        (false, true) => "de andre",
        (true, false) => "the pupils",
        (false, false) => "the others",
    };
    // Scales are written from "not OK" to "OK" (docs/question-sets.md), so higher means
    // more accepting.
    match (pattern, da) {
        (Pattern::Overdrivelse, true) => format!(
            "I troede, at {others} er mere positive, end de er: de fleste gættede højere, end {others} svarede."
        ),
        (Pattern::Overdrivelse, false) => format!(
            "You thought {others} are more positive than they are: most guessed higher than {others} answered."
        ),
        (Pattern::Underdrivelse, true) => format!(
            "I troede, at {others} er mindre positive, end de er: de fleste gættede lavere, end {others} svarede."
        ),
        (Pattern::Underdrivelse, false) => format!(
            "You thought {others} are less positive than they are: most guessed lower than {others} answered."
        ),
        (Pattern::Flertalsmisforstaaelse, true) => format!(
            "De fleste troede, at flertallet svarer {labels} – men det gør kun {}.",
            percent(upper, language)
        ),
        (Pattern::Flertalsmisforstaaelse, false) => format!(
            "Most thought the majority answers {labels} – but only {} do.",
            percent(upper, language)
        ),
        (Pattern::Overensstemmelse, true) => {
            format!("Jeres gæt ramte tæt på, hvad {others} svarede.")
        }
        (Pattern::Overensstemmelse, false) => {
            format!("Your guesses were close to what {others} answered.")
        }
        (Pattern::Uklar, true) => {
            "Gættene spreder sig: nogle gættede højere, andre lavere.".to_string()
        }
        (Pattern::Uklar, false) => {
            "The guesses scatter: some guessed higher, others lower.".to_string()
        }
    }
}
