//! The console's question-set editor: the bodies of its HTTP requests and answers
//! (`docs/protocol.md`, "The question-set editor"). A [`SetDraft`] holds every field of the
//! file format (`docs/question-sets.md`) loosely enough to hold a set that still has
//! problems, so a consultant can open a broken file and fix it; the server writes it as
//! TOML and checks it with the same checker as `pejling check`.

use serde::{Deserialize, Serialize};

use crate::{Audience, Language};

/// A question set as the editor holds it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SetDraft {
    pub id: String,
    pub title: String,
    pub language: Language,
    pub audience: Audience,
    pub grades: Vec<String>,
    #[serde(default)]
    pub min_answers: Option<u32>,
    /// Empty when the set has none.
    #[serde(default)]
    pub facilitator_note: String,
    pub questions: Vec<QuestionDraft>,
}

/// A question's kind, as the file names it.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Choice,
    Percent,
    Number,
    Scale,
}

impl KindName {
    pub const ALL: [KindName; 4] = [
        KindName::Choice,
        KindName::Percent,
        KindName::Number,
        KindName::Scale,
    ];

    /// The name in the file: `choice`, `percent`, `number` or `scale`.
    pub fn code(self) -> &'static str {
        match self {
            KindName::Choice => "choice",
            KindName::Percent => "percent",
            KindName::Number => "number",
            KindName::Scale => "scale",
        }
    }

    pub fn from_code(code: &str) -> Option<KindName> {
        KindName::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// Choice and scale questions have labelled options (a scale's are its points).
    pub fn has_options(self) -> bool {
        matches!(self, KindName::Choice | KindName::Scale)
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuestionDraft {
    pub id: String,
    pub kind: KindName,
    pub text: String,
    /// A choice question's options or a scale question's points; empty for the others.
    #[serde(default)]
    pub options: Vec<String>,
    /// A number question's bounds.
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    /// A number question's unit; empty when none.
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub abstain: Vec<String>,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub perceives: Option<PerceivesDraft>,
    /// Ids of figures in the reference registry.
    #[serde(default)]
    pub references: Vec<String>,
    /// Empty when the question has none.
    #[serde(default)]
    pub note: String,
    /// Which `[[questions]]` table (0-based) of the file this question was read from, so
    /// saving keeps that table's comments and layout, wherever the question moved. New
    /// questions have none.
    #[serde(default)]
    pub origin: Option<u32>,
}

impl QuestionDraft {
    /// An empty question of `kind` with id `id`.
    pub fn new(id: String, kind: KindName) -> QuestionDraft {
        QuestionDraft {
            id,
            kind,
            text: String::new(),
            options: Vec::new(),
            min: None,
            max: None,
            unit: String::new(),
            abstain: Vec::new(),
            sensitive: false,
            perceives: None,
            references: Vec::new(),
            note: String::new(),
            origin: None,
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PerceivesDraft {
    /// Another set's id (a parents' question citing a pupils' set); empty for this set.
    #[serde(default)]
    pub set: String,
    pub question: String,
    /// A percent estimate: the partner's options whose share it estimates.
    #[serde(default)]
    pub options: Vec<u32>,
}

/// One problem the checker found, at the field it concerns: `path` is dot-separated keys
/// and 0-based indices into the draft (`title`, `grades.1`, `questions.2.options.0`,
/// `questions.3.perceives.question`), or empty for the set as a whole.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub path: String,
    /// Line and column in the TOML the draft is written as.
    pub line: u32,
    pub col: u32,
    /// English, as `pejling check` prints it.
    pub message: String,
    /// Danish, for the console.
    pub danish: String,
}

impl FieldProblem {
    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Da => &self.danish,
            Language::En => &self.message,
        }
    }
}

/// A set in the editor's list.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct EditorSet {
    pub id: String,
    pub title: String,
    pub audience: Audience,
    pub grades: Vec<String>,
    pub questions: u32,
    /// Built in (read-only: copied to be adapted) or a file in the user's sets folder.
    pub builtin: bool,
    /// The file's name in the sets folder (`mit-saet.toml`), for the user's own sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Problems that keep the set out of sessions (a file edited by hand); 0 when usable.
    pub problems: u32,
}

/// `GET /api/sets`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct EditorList {
    pub sets: Vec<EditorSet>,
    /// The folder the user's own sets are saved in.
    pub folder: String,
}

/// A set opened in the editor: `GET /api/sets/builtin/ID`, `GET /api/sets/own/FILE`,
/// and `POST /api/sets/import`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OpenedSet {
    pub draft: SetDraft,
    /// The text the draft was read from: sent back with checks and saves, so the saved
    /// file keeps its comments and layout.
    pub source: String,
    pub problems: Vec<FieldProblem>,
    /// Import: a set with this id exists already (built in or in the sets folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<Existing>,
}

/// What a set id is already used by.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Existing {
    Builtin,
    Own,
}

/// `POST /api/sets/check` and `POST /api/sets/save`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    pub draft: SetDraft,
    /// The text the draft was opened from (see [`OpenedSet::source`]); empty for a new set.
    #[serde(default)]
    pub source: String,
    /// The own file being edited (`mit-saet.toml`); absent for a new, copied or imported
    /// set.
    #[serde(default)]
    pub file: Option<String>,
    /// Save: overwrite a set with the same id (an own file, or override a built-in set).
    #[serde(default)]
    pub replace: bool,
}

/// The answer to a check or a save.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CheckedDraft {
    /// The draft written as the file would be.
    pub toml: String,
    pub problems: Vec<FieldProblem>,
    /// A save that was refused because the id is taken (send again with `replace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<Existing>,
    /// A save that succeeded: the file written in the sets folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved: Option<String>,
    /// A save refused because the file changed since the draft was opened (saved from
    /// another tab): open it again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// `GET /api/references`: a figure of the reference registry, for the picker.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ReferenceEntry {
    pub id: String,
    pub value: f64,
    pub unit: String,
    pub measures: String,
    pub population: String,
    pub year: i64,
    pub survey: String,
}
