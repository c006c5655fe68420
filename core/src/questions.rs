//! Question-set format v1: TOML text in, a validated [`QuestionSet`] out, or a list of
//! [`Problem`]s that each carry a line and column.
//!
//! Parsing happens in two steps, as `docs/question-sets.md` describes: serde reads the text
//! into `Raw*` structs that keep the source span of every value (`raw.rs`), then the
//! checker (`check.rs`) turns them into domain types that later code can trust; the rules
//! of a pair (own and perceived question) are in `pairs.rs`. References to another set (a
//! parent set citing a pupil set) cannot be checked inside one file; they come back as
//! [`CrossSetRef`]s for the library to resolve. This module knows nothing about sessions,
//! storage or the network.

use serde::{Deserialize, Serialize};

pub use pejling_wire::{Audience, Language};

mod check;
mod edit;
mod pairs;
mod raw;
#[cfg(test)]
mod tests;

pub use check::{parse, parse_registry};
pub use edit::{locate, read_draft, write_draft};
pub use pairs::check_cross_ref;

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
    /// Minimum number of answers before a result may be shown (`docs/results.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_answers: Option<u32>,
    pub questions: Vec<Question>,
}

impl QuestionSet {
    pub fn question_index(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|question| question.id == id)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|question| question.id == id)
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
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::Choice { .. } => "choice",
            QuestionKind::Percent => "percent",
            QuestionKind::Number { .. } => "number",
            QuestionKind::Scale { .. } => "scale",
        }
    }

    /// The kind's name in Danish problem texts, e.g. "valgspørgsmål".
    fn danish_name(&self) -> &'static str {
        danish_kind(self.name())
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

/// A kind's name as a file spells it (`choice`, …) turned into the Danish noun problem
/// texts use; any other name is returned as it is.
fn danish_kind(name: &str) -> &str {
    match name {
        "choice" => "valgspørgsmål",
        "percent" => "procentspørgsmål",
        "number" => "talspørgsmål",
        "scale" => "skalaspørgsmål",
        other => other,
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

/// A national reference figure with its citation (`docs/question-sets.md`), as defined
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

/// One thing wrong with a file, at a 1-based line and column, said in English (what
/// `pejling check` prints) and in Danish (what the console's editor shows a consultant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub col: usize,
    /// The English text.
    pub message: String,
    /// The Danish text.
    pub danish: String,
}

impl Problem {
    /// A problem at a line and column, with its English and its Danish text.
    pub fn at(
        (line, col): (usize, usize),
        message: impl Into<String>,
        danish: impl Into<String>,
    ) -> Problem {
        Problem {
            line,
            col,
            message: message.into(),
            danish: danish.into(),
        }
    }

    /// The problem's text in `language`.
    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Da => &self.danish,
            Language::En => &self.message,
        }
    }
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
