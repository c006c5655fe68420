//! Question-set format v1: TOML text in, a validated [`QuestionSet`] out, or a list of
//! [`Problem`]s that each carry a line and column.
//!
//! Parsing happens in two steps, as `docs/question-sets.md` describes: serde reads the text
//! into `Raw*` structs that keep the source span of every value, then [`validate`] turns
//! them into domain types that later code can trust. References to another set (a parent
//! set citing a pupil set) cannot be checked inside one file; they come back as
//! [`CrossSetRef`]s for the library to resolve. This module knows nothing about sessions,
//! storage or the network.

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use pejling_wire::Audience;

/// The only format version this build reads.
pub const FORMAT_VERSION: i64 = 1;
const MAX_TEXT_CHARS: usize = 600;
const MAX_OPTIONS: usize = 12;
const MAX_ABSTAIN: usize = 3;

/// A validated question set, exactly as a session uses it. It is stored with each
/// session (as JSON) so that later edits to the file do not change history.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct QuestionSet {
    pub id: String,
    pub title: String,
    pub language: Language,
    pub audience: Audience,
    pub grades: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilitator_note: Option<String>,
    /// Minimum number of answers before a result may be shown (the results issue uses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_answers: Option<u32>,
    pub questions: Vec<Question>,
}

impl QuestionSet {
    pub fn question_index(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|question| question.id == id)
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Da,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Da => "da",
            Language::En => "en",
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub kind: QuestionKind,
    /// Labels of answers that decline ("Vil ikke svare", "Ved ikke"); they are counted
    /// apart from the substantive answers.
    #[serde(default)]
    pub abstain: Vec<String>,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perceives: Option<Perceives>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionKind {
    Choice {
        options: Vec<String>,
    },
    Percent,
    Number {
        min: i64,
        max: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
    Scale {
        points: Vec<String>,
    },
}

impl QuestionKind {
    fn name(&self) -> &'static str {
        match self {
            QuestionKind::Choice { .. } => "choice",
            QuestionKind::Percent => "percent",
            QuestionKind::Number { .. } => "number",
            QuestionKind::Scale { .. } => "scale",
        }
    }

    /// Number of options or scale points, for the kinds that have them.
    fn n_choices(&self) -> Option<usize> {
        match self {
            QuestionKind::Choice { options } => Some(options.len()),
            QuestionKind::Scale { points } => Some(points.len()),
            _ => None,
        }
    }
}

/// This question asks what others do or think about another question (its *actual*
/// partner). A percent estimate names the partner's `options` whose share it estimates; a
/// number estimate perceives the mean of a number question; a choice or scale question
/// perceives a partner with the same options (an attitude pair).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Perceives {
    /// Another set's id (a parent set citing a pupil set); absent for the same set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    pub question: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<u32>,
}

/// A national reference figure with its citation (see `reference-figures.md`), as defined
/// once in a reference registry (`questions/references.toml`) and cited by sets by id.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Reference {
    pub id: String,
    pub value: f64,
    pub unit: String,
    pub measures: String,
    pub population: String,
    pub year: i64,
    /// The survey the figure comes from, e.g. "ESPAD 2019, Danmark".
    pub survey: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One thing wrong with a file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// A reference to a question in another set, to be resolved by the library.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossSetRef {
    pub question_idx: usize,
    pub set: String,
    pub set_at: (usize, usize),
    pub question_at: (usize, usize),
    pub options_at: (usize, usize),
}

/// A question's citation of a reference id, to be resolved against the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub question_idx: usize,
    pub id: String,
    pub at: (usize, usize),
}

/// A set that passed validation, with the cross-set references and the citations of
/// reference figures still to resolve (the library does both).
#[derive(Debug, Clone)]
pub struct ParsedSet {
    pub set: QuestionSet,
    pub cross_refs: Vec<CrossSetRef>,
    pub citations: Vec<Citation>,
}

/// Parse and validate a reference registry: `format = 1` and `[[references]]` tables.
pub fn parse_registry(text: &str) -> Result<Vec<Reference>, Vec<Problem>> {
    let locator = Locator::new(text);
    let unknown = unknown_keys(text, &locator, &REGISTRY_KEYS);
    let raw: RawRegistry = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(error) => return Err(read_problems(&locator, unknown, &error)),
    };
    let mut checker = Checker {
        locator: &locator,
        problems: unknown,
    };
    if *raw.format.get_ref() != FORMAT_VERSION {
        checker.error(
            raw.format.span(),
            format!(
                "unsupported format {}; this version of pejling reads format {FORMAT_VERSION}",
                raw.format.get_ref()
            ),
        );
    }
    let mut first_defined: HashMap<String, (usize, usize)> = HashMap::new();
    let mut references = Vec::new();
    for raw_reference in raw.references {
        let raw_reference = raw_reference.into_inner();
        let id_span = raw_reference.id.span();
        let reference = checker.reference(raw_reference);
        if let Some(&(line, col)) = first_defined.get(&reference.id) {
            checker.error(
                id_span,
                format!(
                    "duplicate reference id \"{}\", first defined at line {line}, column {col}",
                    reference.id
                ),
            );
        } else {
            first_defined.insert(reference.id.clone(), checker.at(id_span));
        }
        references.push(reference);
    }
    if checker.problems.is_empty() {
        Ok(references)
    } else {
        checker.problems.sort_by_key(|p| (p.line, p.col));
        Err(checker.problems)
    }
}

/// The keys a table may have, and the tables (or arrays of tables) under some of them.
struct Keys {
    here: &'static [&'static str],
    nested: &'static [(&'static str, &'static Keys)],
}

const PERCEIVES_KEYS: Keys = Keys {
    here: &["set", "question", "options"],
    nested: &[],
};
const QUESTION_KEYS: Keys = Keys {
    here: &[
        "id",
        "kind",
        "text",
        "options",
        "points",
        "min",
        "max",
        "unit",
        "abstain",
        "sensitive",
        "perceives",
        "references",
        "note",
    ],
    nested: &[("perceives", &PERCEIVES_KEYS)],
};
const SET_KEYS: Keys = Keys {
    here: &[
        "format",
        "id",
        "title",
        "language",
        "audience",
        "grades",
        "facilitator_note",
        "min_answers",
        "questions",
    ],
    nested: &[("questions", &QUESTION_KEYS)],
};
const REFERENCE_KEYS: Keys = Keys {
    here: &[
        "id",
        "value",
        "unit",
        "measures",
        "population",
        "year",
        "survey",
        "reported_by",
        "url",
    ],
    nested: &[],
};
const REGISTRY_KEYS: Keys = Keys {
    here: &["format", "references"],
    nested: &[("references", &REFERENCE_KEYS)],
};

/// Every key the format does not know, each a problem at its position, so one typo does
/// not hide the file's other problems (serde would stop at the first). Empty when the
/// text is not TOML (the parse reports that).
fn unknown_keys(text: &str, locator: &Locator<'_>, keys: &Keys) -> Vec<Problem> {
    fn walk(
        table: &toml::de::DeTable<'_>,
        keys: &Keys,
        locator: &Locator<'_>,
        out: &mut Vec<Problem>,
    ) {
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            if !keys.here.contains(&name) {
                let (line, col) = locator.at(key.span().start);
                let expected: Vec<String> = keys.here.iter().map(|k| format!("`{k}`")).collect();
                out.push(Problem {
                    line,
                    col,
                    message: format!(
                        "unknown field `{name}`, expected one of {}",
                        expected.join(", ")
                    ),
                });
                continue;
            }
            let Some((_, nested)) = keys.nested.iter().find(|(k, _)| *k == name) else {
                continue;
            };
            match value.get_ref() {
                toml::de::DeValue::Table(table) => walk(table, nested, locator, out),
                toml::de::DeValue::Array(items) => {
                    for item in items {
                        if let toml::de::DeValue::Table(table) = item.get_ref() {
                            walk(table, nested, locator, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(document) = toml::de::DeTable::parse(text) {
        walk(document.get_ref(), keys, locator, &mut out);
    }
    out
}

/// The file's problems when serde could not read it: its error, and the unknown keys.
fn read_problems(
    locator: &Locator<'_>,
    unknown: Vec<Problem>,
    error: &toml::de::Error,
) -> Vec<Problem> {
    let mut problems = unknown;
    problems.extend(toml_problem(locator, error));
    problems.sort_by_key(|p| (p.line, p.col));
    problems
}

fn toml_problem(locator: &Locator<'_>, error: &toml::de::Error) -> Vec<Problem> {
    let (line, col) = error
        .span()
        .map(|span| locator.at(span.start))
        .unwrap_or((1, 1));
    vec![Problem {
        line,
        col,
        message: error.message().trim().to_string(),
    }]
}

/// Parse and validate one set. `Err` holds every problem found, in source order.
pub fn parse(text: &str) -> Result<ParsedSet, Vec<Problem>> {
    let locator = Locator::new(text);
    let unknown = unknown_keys(text, &locator, &SET_KEYS);
    let raw: RawSet = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(error) => return Err(read_problems(&locator, unknown, &error)),
    };
    let mut checker = Checker {
        locator: &locator,
        problems: unknown,
    };
    let parsed = checker.set(raw);
    if checker.problems.is_empty() {
        Ok(parsed)
    } else {
        checker.problems.sort_by_key(|p| (p.line, p.col));
        Err(checker.problems)
    }
}

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
        problems.push(problem_at(
            reference.set_at,
            format!(
                "set \"{}\" is a parents' set; a question can only cite a pupils' set",
                target_set.id
            ),
        ));
        return problems;
    }
    match target_set.question_index(&perceives.question) {
        None => problems.push(problem_at(
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
                problems.push(problem_at(reference.options_at, message));
            }
        }
    }
    problems
}

fn problem_at((line, col): (usize, usize), message: String) -> Problem {
    Problem { line, col, message }
}

/// Whether `perceiving` (with the partner's `options`) can perceive `actual`.
fn pair_fits(perceiving: &QuestionKind, actual: &Question, options: &[u32]) -> Result<(), String> {
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

/// Turns byte offsets into 1-based line and column (in characters).
struct Locator<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator { text, line_starts }
    }

    fn at(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
        (line, col)
    }
}

// ---- raw, spanned shape of the file ----
// Unknown keys are not a serde error here: `unknown_keys` reports each of them, with the
// file's other problems. The key lists there must match these structs (tested).

#[derive(Deserialize)]
struct RawSet {
    format: Spanned<i64>,
    id: Spanned<String>,
    title: Spanned<String>,
    language: Spanned<String>,
    audience: Spanned<String>,
    grades: Spanned<Vec<Spanned<String>>>,
    facilitator_note: Option<Spanned<String>>,
    min_answers: Option<Spanned<i64>>,
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
struct RawQuestion {
    id: Spanned<String>,
    kind: Spanned<String>,
    text: Spanned<String>,
    options: Option<Spanned<Vec<Spanned<String>>>>,
    points: Option<Spanned<Vec<Spanned<String>>>>,
    min: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    unit: Option<Spanned<String>>,
    #[serde(default)]
    abstain: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    sensitive: bool,
    perceives: Option<Spanned<RawPerceives>>,
    /// Ids of reference figures in the registry.
    #[serde(default)]
    references: Vec<Spanned<String>>,
    note: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct RawRegistry {
    format: Spanned<i64>,
    #[serde(default)]
    references: Vec<Spanned<RawReference>>,
}

#[derive(Deserialize)]
struct RawPerceives {
    set: Option<Spanned<String>>,
    question: Spanned<String>,
    options: Option<Spanned<Vec<Spanned<i64>>>>,
}

#[derive(Deserialize)]
struct RawReference {
    id: Spanned<String>,
    value: Spanned<f64>,
    unit: Option<Spanned<String>>,
    measures: Spanned<String>,
    population: Spanned<String>,
    year: Spanned<i64>,
    survey: Spanned<String>,
    reported_by: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
}

struct Checker<'a> {
    locator: &'a Locator<'a>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn at(&self, span: Range<usize>) -> (usize, usize) {
        self.locator.at(span.start)
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, col) = self.at(span);
        self.problems.push(Problem {
            line,
            col,
            message: message.into(),
        });
    }

    /// A non-empty, trimmed text of bounded length.
    fn text(&mut self, value: Spanned<String>, what: &str) -> String {
        let span = value.span();
        let text = value.into_inner().trim().to_string();
        if text.is_empty() {
            self.error(span, format!("{what} must not be empty"));
        } else if text.chars().count() > MAX_TEXT_CHARS {
            self.error(
                span,
                format!("{what} is longer than {MAX_TEXT_CHARS} characters"),
            );
        }
        text
    }

    fn identifier(&mut self, value: Spanned<String>, what: &str) -> String {
        let span = value.span();
        let id = value.into_inner();
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            self.error(
                span,
                format!(
                    "{what} \"{id}\" must be 1 to 64 characters of a-z, 0-9, '-' and '_', e.g. \"drunk-own\""
                ),
            );
        }
        id
    }

    fn labels(
        &mut self,
        values: Spanned<Vec<Spanned<String>>>,
        what: &str,
        min: usize,
        max: usize,
    ) -> Vec<String> {
        let span = values.span();
        let values = values.into_inner();
        if values.len() < min || values.len() > max {
            self.error(
                span.clone(),
                format!(
                    "{what} must have {min} to {max} entries, found {}",
                    values.len()
                ),
            );
        }
        let mut seen: HashMap<String, ()> = HashMap::new();
        let mut labels = Vec::with_capacity(values.len());
        for value in values {
            let value_span = value.span();
            let label = self.text(value, &format!("an entry of {what}"));
            if !label.is_empty() && seen.insert(label.to_lowercase(), ()).is_some() {
                self.error(value_span, format!("{what} has \"{label}\" twice"));
            }
            labels.push(label);
        }
        labels
    }

    fn set(&mut self, raw: RawSet) -> ParsedSet {
        if *raw.format.get_ref() != FORMAT_VERSION {
            self.error(
                raw.format.span(),
                format!(
                    "unsupported format {}; this version of pejling reads format {FORMAT_VERSION}",
                    raw.format.get_ref()
                ),
            );
        }
        let id = self.identifier(raw.id, "set id");
        let title = self.text(raw.title, "title");
        let language = match raw.language.get_ref().as_str() {
            "da" => Language::Da,
            "en" => Language::En,
            other => {
                self.error(
                    raw.language.span(),
                    format!("unknown language \"{other}\", expected \"da\" or \"en\""),
                );
                Language::Da
            }
        };
        let audience = match raw.audience.get_ref().as_str() {
            "pupils" => Audience::Pupils,
            "parents" => Audience::Parents,
            other => {
                self.error(
                    raw.audience.span(),
                    format!("unknown audience \"{other}\", expected \"pupils\" or \"parents\""),
                );
                Audience::Pupils
            }
        };
        let grades = self.labels(raw.grades, "grades", 1, 12);
        let facilitator_note = raw
            .facilitator_note
            .map(|note| note.into_inner().trim().to_string())
            .filter(|note| !note.is_empty());
        let min_answers = raw.min_answers.and_then(|value| {
            let n = *value.get_ref();
            if !(1..=1000).contains(&n) {
                self.error(
                    value.span(),
                    format!("min_answers must be between 1 and 1000, found {n}"),
                );
                None
            } else {
                Some(n as u32)
            }
        });

        if raw.questions.is_empty() {
            self.problems.push(Problem {
                line: 1,
                col: 1,
                message: "a set needs at least one [[questions]] table".to_string(),
            });
        }

        // First pass: every question on its own, remembering where each id was defined and
        // the raw `perceives` for the second pass, which needs all ids.
        let mut questions = Vec::new();
        let mut first_defined: HashMap<String, (usize, usize)> = HashMap::new();
        let mut pending_perceives = Vec::new();
        let mut citations = Vec::new();
        for raw_question in raw.questions {
            let raw_question = raw_question.into_inner();
            let id_span = raw_question.id.span();
            let (question, perceives, cited) = self.question(raw_question);
            let question_idx = questions.len();
            let mut seen_ids = Vec::new();
            for (id, at) in cited {
                if seen_ids.contains(&id) {
                    self.problems.push(problem_at(
                        at,
                        format!("reference \"{id}\" is cited twice by this question"),
                    ));
                    continue;
                }
                seen_ids.push(id.clone());
                citations.push(Citation {
                    question_idx,
                    id,
                    at,
                });
            }
            if let Some(&(line, col)) = first_defined.get(&question.id) {
                self.error(
                    id_span.clone(),
                    format!(
                        "duplicate question id \"{}\", first defined at line {line}, column {col}",
                        question.id
                    ),
                );
            } else {
                first_defined.insert(question.id.clone(), self.at(id_span));
            }
            pending_perceives.push(perceives);
            questions.push(question);
        }

        let mut cross_refs = Vec::new();
        for (idx, perceives) in pending_perceives.into_iter().enumerate() {
            let Some(perceives) = perceives else { continue };
            let perceives = perceives.into_inner();
            let question_span = perceives.question.span();
            let options_span = perceives
                .options
                .as_ref()
                .map(|options| options.span())
                .unwrap_or_else(|| question_span.clone());
            let mut options = Vec::new();
            if let Some(raw_options) = perceives.options {
                for option in raw_options.into_inner() {
                    match u32::try_from(*option.get_ref()) {
                        Ok(value) => options.push(value),
                        Err(_) => self.error(option.span(), "an option index must be 0 or more"),
                    }
                }
            }
            let target = perceives.question.into_inner();
            match perceives.set {
                Some(set) if set.get_ref() != &id => {
                    if audience != Audience::Parents {
                        self.error(
                            set.span(),
                            "only a parents' set can cite questions of another set",
                        );
                    }
                    cross_refs.push(CrossSetRef {
                        question_idx: idx,
                        set: set.get_ref().clone(),
                        set_at: self.at(set.span()),
                        question_at: self.at(question_span),
                        options_at: self.at(options_span),
                    });
                    questions[idx].perceives = Some(Perceives {
                        set: Some(set.into_inner()),
                        question: target,
                        options,
                    });
                }
                _ => {
                    let Some(target_idx) = questions.iter().position(|q| q.id == target) else {
                        self.error(
                            question_span,
                            format!("perceives unknown question id \"{target}\""),
                        );
                        continue;
                    };
                    if target_idx == idx {
                        self.error(question_span, "a question cannot perceive itself");
                        continue;
                    }
                    if let Err(message) =
                        pair_fits(&questions[idx].kind, &questions[target_idx], &options)
                    {
                        self.error(options_span, message);
                    }
                    questions[idx].perceives = Some(Perceives {
                        set: None,
                        question: target,
                        options,
                    });
                }
            }
        }

        ParsedSet {
            set: QuestionSet {
                id,
                title,
                language,
                audience,
                grades,
                facilitator_note,
                min_answers,
                questions,
            },
            cross_refs,
            citations,
        }
    }

    #[allow(clippy::type_complexity)]
    fn question(
        &mut self,
        raw: RawQuestion,
    ) -> (
        Question,
        Option<Spanned<RawPerceives>>,
        Vec<(String, (usize, usize))>,
    ) {
        let id = self.identifier(raw.id, "question id");
        let text = self.text(raw.text, "question text");
        let kind_span = raw.kind.span();
        let kind_name = raw.kind.into_inner();

        // Keys that belong to other kinds are errors, so a typo cannot silently change
        // what a question asks.
        let forbid = |checker: &mut Self, present: Option<Range<usize>>, key: &str| {
            if let Some(span) = present {
                checker.error(
                    span,
                    format!("`{key}` does not apply to a {kind_name} question"),
                );
            }
        };
        let options_span = raw.options.as_ref().map(|v| v.span());
        let points_span = raw.points.as_ref().map(|v| v.span());
        let min_span = raw.min.as_ref().map(|v| v.span());
        let max_span = raw.max.as_ref().map(|v| v.span());
        let unit_span = raw.unit.as_ref().map(|v| v.span());

        let kind = match kind_name.as_str() {
            "choice" => {
                forbid(self, points_span, "points");
                forbid(self, min_span, "min");
                forbid(self, max_span, "max");
                forbid(self, unit_span, "unit");
                let options = match raw.options {
                    Some(options) => self.labels(options, "options", 2, MAX_OPTIONS),
                    None => {
                        self.error(
                            kind_span,
                            "a choice question needs options, e.g. options = [\"Ja\", \"Nej\"]",
                        );
                        Vec::new()
                    }
                };
                QuestionKind::Choice { options }
            }
            "percent" => {
                forbid(self, options_span, "options");
                forbid(self, points_span, "points");
                forbid(self, min_span, "min");
                forbid(self, max_span, "max");
                forbid(self, unit_span, "unit");
                QuestionKind::Percent
            }
            "number" => {
                forbid(self, options_span, "options");
                forbid(self, points_span, "points");
                let unit = raw.unit.map(|unit| self.text(unit, "unit"));
                match (raw.min, raw.max) {
                    (Some(min), Some(max)) => {
                        let (lo, hi) = (*min.get_ref(), *max.get_ref());
                        if lo >= hi {
                            self.error(
                                max.span(),
                                format!("max ({hi}) must be greater than min ({lo})"),
                            );
                        } else if i128::from(hi) - i128::from(lo) > 1_000_000 {
                            // In i128: the span of two i64 bounds can overflow i64.
                            self.error(
                                max.span(),
                                "the range from min to max may span at most 1000000",
                            );
                        }
                        QuestionKind::Number {
                            min: lo,
                            max: hi,
                            unit,
                        }
                    }
                    _ => {
                        self.error(
                            kind_span,
                            "a number question needs min and max, e.g. min = 8 and max = 20",
                        );
                        QuestionKind::Number {
                            min: 0,
                            max: 0,
                            unit,
                        }
                    }
                }
            }
            "scale" => {
                forbid(self, options_span, "options");
                forbid(self, min_span, "min");
                forbid(self, max_span, "max");
                forbid(self, unit_span, "unit");
                let points = match raw.points {
                    Some(points) => self.labels(points, "points", 2, 11),
                    None => {
                        self.error(
                            kind_span,
                            "a scale question needs points, e.g. points = [\"Helt uenig\", \"Uenig\", \"Enig\", \"Helt enig\"]",
                        );
                        Vec::new()
                    }
                };
                QuestionKind::Scale { points }
            }
            other => {
                self.error(
                    kind_span,
                    format!(
                        "unknown question kind \"{other}\", expected one of \"choice\", \"percent\", \"number\", \"scale\""
                    ),
                );
                QuestionKind::Percent
            }
        };

        let abstain = raw
            .abstain
            .map(|labels| self.labels(labels, "abstain", 1, MAX_ABSTAIN))
            .unwrap_or_default();
        let citations = raw
            .references
            .into_iter()
            .map(|id| {
                let at = self.at(id.span());
                (id.into_inner(), at)
            })
            .collect();
        let note = raw
            .note
            .map(|note| note.into_inner().trim().to_string())
            .filter(|note| !note.is_empty());

        (
            Question {
                id,
                text,
                kind,
                abstain,
                sensitive: raw.sensitive,
                perceives: None,
                references: Vec::new(),
                note,
            },
            raw.perceives,
            citations,
        )
    }

    fn reference(&mut self, raw: RawReference) -> Reference {
        let id = self.identifier(raw.id, "reference id");
        let unit = raw
            .unit
            .map(|unit| self.text(unit, "unit"))
            .unwrap_or_else(|| "%".to_string());
        let value = *raw.value.get_ref();
        if !value.is_finite() || value < 0.0 || (unit == "%" && value > 100.0) {
            self.error(
                raw.value.span(),
                format!("a reference value in % must be between 0 and 100, found {value}"),
            );
        }
        let year = *raw.year.get_ref();
        if !(1950..=2100).contains(&year) {
            self.error(
                raw.year.span(),
                format!("year {year} is not a plausible survey year"),
            );
        }
        let url = raw.url.map(|url| {
            let span = url.span();
            let url = url.into_inner();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                self.error(span, "url must start with https:// or http://");
            }
            url
        });
        Reference {
            id,
            value,
            unit,
            measures: self.text(raw.measures, "measures"),
            population: self.text(raw.population, "population"),
            year,
            survey: self.text(raw.survey, "survey"),
            reported_by: raw
                .reported_by
                .map(|reported_by| self.text(reported_by, "reported_by")),
            url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "format = 1\nid = \"t\"\ntitle = \"T\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\n";

    fn problems(body: &str) -> Vec<(usize, usize, String)> {
        match parse(&format!("{HEADER}{body}")) {
            Ok(_) => Vec::new(),
            Err(problems) => problems
                .into_iter()
                .map(|p| (p.line, p.col, p.message))
                .collect(),
        }
    }

    /// Issue 12 (17): the span check wrapped for the widest i64 bounds and let the set in.
    #[test]
    fn the_widest_number_range_is_refused_not_wrapped() {
        let found = problems(
            "[[questions]]\nid = \"n\"\nkind = \"number\"\ntext = \"?\"\nmin = -9223372036854775808\nmax = 9223372036854775807\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].2.contains("may span at most 1000000"), "{found:?}");
    }

    #[test]
    fn accepts_every_kind_and_a_pair() {
        let parsed = parse(&format!(
            "{HEADER}
[[questions]]
id = \"own\"
kind = \"choice\"
text = \"Har du?\"
options = [\"Ja\", \"Nej\"]
abstain = [\"Vil ikke svare\"]
sensitive = true

[[questions]]
id = \"perceived\"
kind = \"percent\"
text = \"Hvor mange?\"
perceives = {{ question = \"own\", options = [0] }}
references = [\"espad-2019-fuld-30-dage\"]

[[questions]]
id = \"age\"
kind = \"number\"
text = \"Hvor gammel?\"
min = 8
max = 20
unit = \"år\"

[[questions]]
id = \"ok\"
kind = \"scale\"
text = \"Er det ok?\"
points = [\"Nej\", \"Måske\", \"Ja\"]
"
        ))
        .expect("valid set");
        let set = parsed.set;
        assert_eq!(set.questions.len(), 4);
        assert_eq!(
            set.questions[1].perceives,
            Some(Perceives {
                set: None,
                question: "own".into(),
                options: vec![0]
            })
        );
        // Citations are resolved by the library against the registry.
        assert!(set.questions[1].references.is_empty());
        assert_eq!(
            parsed.citations,
            vec![Citation {
                question_idx: 1,
                id: "espad-2019-fuld-30-dage".into(),
                at: (21, 15),
            }]
        );
        assert!(set.questions[0].sensitive);
    }

    #[test]
    fn an_unknown_key_does_not_hide_the_other_problems() {
        let text = "format = 1\nid = \"s\"\ntitle = \"S\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\ntitel = \"typo\"\n\n[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = [\"Ja\", \"\"]\nsensitiv = true\nperceives = { question = \"a\", option = [0] }\n";
        let problems: Vec<(usize, usize, String)> = parse(text)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.line, p.col, p.message))
            .collect();
        let at: Vec<(usize, usize)> = problems.iter().map(|p| (p.0, p.1)).collect();
        assert!(at.contains(&(7, 1)), "titel: {problems:?}");
        assert!(at.contains(&(14, 1)), "sensitiv: {problems:?}");
        assert!(at.contains(&(15, 31)), "option: {problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.2 == "an entry of options must not be empty"),
            "the other problems are still found: {problems:?}"
        );
    }

    #[test]
    fn every_key_of_the_format_is_known() {
        // A set and a registry using every key: none is reported unknown, so the key lists
        // of `unknown_keys` and the raw structs agree.
        let set = "format = 1\nid = \"s\"\ntitle = \"S\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\nfacilitator_note = \"n\"\nmin_answers = 3\n\n[[questions]]\nid = \"own\"\nkind = \"choice\"\ntext = \"x\"\noptions = [\"Ja\", \"Nej\"]\nabstain = [\"Ved ikke\"]\nsensitive = true\nnote = \"n\"\nreferences = []\n\n[[questions]]\nid = \"g\"\nkind = \"percent\"\ntext = \"y\"\nperceives = { set = \"s\", question = \"own\", options = [0] }\n\n[[questions]]\nid = \"n\"\nkind = \"number\"\ntext = \"z\"\nmin = 1\nmax = 9\nunit = \"år\"\n\n[[questions]]\nid = \"sc\"\nkind = \"scale\"\ntext = \"w\"\npoints = [\"a\", \"b\"]\n";
        let locator = Locator::new(set);
        assert!(unknown_keys(set, &locator, &SET_KEYS).is_empty());
        let registry = "format = 1\n[[references]]\nid = \"r\"\nvalue = 4.0\nunit = \"%\"\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2019\nsurvey = \"s\"\nreported_by = \"x\"\nurl = \"https://example.org\"\n";
        let locator = Locator::new(registry);
        assert!(unknown_keys(registry, &locator, &REGISTRY_KEYS).is_empty());
        assert!(
            parse_registry(registry).is_ok(),
            "{:?}",
            parse_registry(registry)
        );
    }

    #[test]
    fn problems_carry_line_and_column() {
        // Lines 1-6 are the header; the body starts on line 7.
        let cases: &[(&str, (usize, usize), &str)] = &[
            (
                "[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = []\nbogus = 1\n",
                (12, 1),
                "unknown field `bogus`",
            ),
            (
                "[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = [\"Ja\", \"\"]\n",
                (11, 18),
                "an entry of options must not be empty",
            ),
            (
                "[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"x\"\n[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"y\"\n",
                (12, 6),
                "duplicate question id \"a\", first defined at line 8, column 6",
            ),
            (
                "[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"x\"\nperceives = { question = \"nope\", options = [0] }\n",
                (11, 26),
                "perceives unknown question id \"nope\"",
            ),
            (
                "[[questions]]\nid = \"a\"\nkind = \"number\"\ntext = \"x\"\nmin = 20\nmax = 8\n",
                (12, 7),
                "max (8) must be greater than min (20)",
            ),
            (
                "[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = [\"Ja\", \"Nej\"]\n[[questions]]\nid = \"b\"\nkind = \"percent\"\ntext = \"y\"\nperceives = { question = \"a\", options = [2] }\n",
                (16, 41),
                "option 2 is out of range: \"a\" has options 0 to 1",
            ),
        ];
        for (body, (line, col), message) in cases {
            let found = problems(body);
            assert!(
                found
                    .iter()
                    .any(|(l, c, m)| (*l, *c) == (*line, *col) && m.contains(message)),
                "expected {line}:{col} {message:?} for\n{body}\nfound {found:?}"
            );
        }
    }

    #[test]
    fn registry_entries_are_checked_with_positions() {
        let text = "format = 1\n\n[[references]]\nid = \"a\"\nvalue = 140\nmeasures = \"m\"\npopulation = \"p\"\nyear = 1900\nsurvey = \"s\"\nurl = \"ftp://x\"\n\n[[references]]\nid = \"a\"\nvalue = 4\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2019\nsource = \"s\"\n";
        let problems: Vec<(usize, usize, String)> = parse_registry(text)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.line, p.col, p.message))
            .collect();
        // An unknown key (`source`, meant as `survey`) does not hide the other problems:
        // the missing `survey` is reported beside it.
        let unknown: Vec<_> = problems
            .iter()
            .filter(|p| p.2.contains("unknown field `source`"))
            .collect();
        assert_eq!(unknown.len(), 1, "{problems:?}");
        assert_eq!((unknown[0].0, unknown[0].1), (18, 1));
        assert!(
            problems
                .iter()
                .any(|p| p.2.contains("missing field `survey`")),
            "{problems:?}"
        );

        let text = text.replace("source = ", "survey = ");
        let problems: Vec<(usize, usize, String)> = parse_registry(&text)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.line, p.col, p.message))
            .collect();
        assert_eq!(
            problems,
            vec![
                (
                    5,
                    9,
                    "a reference value in % must be between 0 and 100, found 140".to_string()
                ),
                (8, 8, "year 1900 is not a plausible survey year".to_string()),
                (10, 7, "url must start with https:// or http://".to_string()),
                (
                    13,
                    6,
                    "duplicate reference id \"a\", first defined at line 4, column 6".to_string()
                ),
            ]
        );
    }

    #[test]
    fn empty_options_are_an_error() {
        let found =
            problems("[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = []\n");
        assert_eq!(
            found,
            vec![(
                11,
                11,
                "options must have 2 to 12 entries, found 0".to_string()
            )]
        );
    }

    #[test]
    fn locator_counts_characters_not_bytes() {
        let locator = Locator::new("æø\nå = 1");
        assert_eq!(locator.at(0), (1, 1));
        assert_eq!(locator.at(2), (1, 2));
        assert_eq!(locator.at(5), (2, 1));
        assert_eq!(locator.at(7), (2, 2));
    }
}
