//! The file's raw, spanned shape: what serde reads before anything is checked, the keys
//! each table may have (so every unknown key is reported, not just the first), and byte
//! offsets turned into lines and columns.

use serde::Deserialize;
use toml::Spanned;

use super::Problem;

/// The keys a table may have, and the tables (or arrays of tables) under some of them.
pub(super) struct Keys {
    pub(super) here: &'static [&'static str],
    pub(super) nested: &'static [(&'static str, &'static Keys)],
}

pub(super) const PERCEIVES_KEYS: Keys = Keys {
    here: &["set", "question", "options"],
    nested: &[],
};
pub(super) const QUESTION_KEYS: Keys = Keys {
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
pub(super) const SET_KEYS: Keys = Keys {
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
pub(super) const REFERENCE_KEYS: Keys = Keys {
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
pub(super) const REGISTRY_KEYS: Keys = Keys {
    here: &["format", "references"],
    nested: &[("references", &REFERENCE_KEYS)],
};

/// Every key the format does not know, each a problem at its position, so one typo does
/// not hide the file's other problems (serde would stop at the first). Empty when the
/// text is not TOML (the parse reports that).
pub(super) fn unknown_keys(text: &str, locator: &Locator<'_>, keys: &Keys) -> Vec<Problem> {
    pub(super) fn walk(
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
pub(super) fn read_problems(
    locator: &Locator<'_>,
    unknown: Vec<Problem>,
    error: &toml::de::Error,
) -> Vec<Problem> {
    let mut problems = unknown;
    problems.extend(toml_problem(locator, error));
    problems.sort_by_key(|p| (p.line, p.col));
    problems
}

pub(super) fn toml_problem(locator: &Locator<'_>, error: &toml::de::Error) -> Vec<Problem> {
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

/// Turns byte offsets into 1-based line and column (in characters).
pub(super) struct Locator<'a> {
    pub(super) text: &'a str,
    pub(super) line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator { text, line_starts }
    }

    pub(super) fn at(&self, offset: usize) -> (usize, usize) {
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
pub(super) struct RawSet {
    pub(super) format: Spanned<i64>,
    pub(super) id: Spanned<String>,
    pub(super) title: Spanned<String>,
    pub(super) language: Spanned<String>,
    pub(super) audience: Spanned<String>,
    pub(super) grades: Spanned<Vec<Spanned<String>>>,
    pub(super) facilitator_note: Option<Spanned<String>>,
    pub(super) min_answers: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) questions: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
pub(super) struct RawQuestion {
    pub(super) id: Spanned<String>,
    pub(super) kind: Spanned<String>,
    pub(super) text: Spanned<String>,
    pub(super) options: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) points: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) min: Option<Spanned<i64>>,
    pub(super) max: Option<Spanned<i64>>,
    pub(super) unit: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) abstain: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) sensitive: bool,
    pub(super) perceives: Option<Spanned<RawPerceives>>,
    /// Ids of reference figures in the registry.
    #[serde(default)]
    pub(super) references: Vec<Spanned<String>>,
    pub(super) note: Option<Spanned<String>>,
}

#[derive(Deserialize)]
pub(super) struct RawRegistry {
    pub(super) format: Spanned<i64>,
    #[serde(default)]
    pub(super) references: Vec<Spanned<RawReference>>,
}

#[derive(Deserialize)]
pub(super) struct RawPerceives {
    pub(super) set: Option<Spanned<String>>,
    pub(super) question: Spanned<String>,
    pub(super) options: Option<Spanned<Vec<Spanned<i64>>>>,
}

#[derive(Deserialize)]
pub(super) struct RawReference {
    pub(super) id: Spanned<String>,
    pub(super) value: Spanned<f64>,
    pub(super) unit: Option<Spanned<String>>,
    pub(super) measures: Spanned<String>,
    pub(super) population: Spanned<String>,
    pub(super) year: Spanned<i64>,
    pub(super) survey: Spanned<String>,
    pub(super) reported_by: Option<Spanned<String>>,
    pub(super) url: Option<Spanned<String>>,
}
