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
                let expected: Vec<String> = keys.here.iter().map(|k| format!("`{k}`")).collect();
                let expected = expected.join(", ");
                out.push(Problem::at(
                    locator.at(key.span().start),
                    format!("unknown field `{name}`, expected one of {expected}"),
                    format!("Ukendt felt `{name}` – tilladte felter: {expected}"),
                ));
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

/// The problem the toml crate found (a syntax error, or a value serde could not read), with
/// its message in Danish too.
pub(super) fn toml_problem(locator: &Locator<'_>, error: &toml::de::Error) -> Vec<Problem> {
    let at = error
        .span()
        .map(|span| locator.at(span.start))
        .unwrap_or((1, 1));
    let message = error.message().trim();
    vec![Problem::at(at, message, danish_toml_message(message))]
}

/// A message of the toml crate (or of serde, through it) in Danish: the common ones by
/// their pattern, any other one quoted in English after a Danish sentence.
pub(super) fn danish_toml_message(message: &str) -> String {
    if let Some(key) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return match danish_key(key) {
            Some(noun) => format!("{noun} mangler (feltet `{key}`)"),
            None => format!("Feltet `{key}` mangler"),
        };
    }
    if let Some((found, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        return format!(
            "Her skal stå {}, ikke {}",
            danish_expected(expected),
            danish_found(found)
        );
    }
    // A list where a table belongs, e.g. `perceives = ["own"]`.
    if message.starts_with("invalid length ")
        && message
            .split_once(", expected ")
            .is_some_and(|(_, expected)| expected.starts_with("struct "))
    {
        return "Her skal stå en tabel i { }, ikke en liste".to_string();
    }
    if let Some((value, expected)) = message
        .strip_prefix("unknown variant ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return format!(
            "Værdien {value} kendes ikke – tilladte værdier: `{}`",
            allowed.join("`, `")
        );
    }
    let syntax = match message {
        "duplicate key" => "Feltet står to gange",
        "key with no value, expected `=`" => "Efter feltets navn mangler = og en værdi",
        "string values must be quoted, expected literal string" => {
            "Tekst skal stå i anførselstegn, fx \"Ja\""
        }
        "invalid basic string, expected `\"`" => "Teksten mangler sit afsluttende anførselstegn",
        "unclosed array, expected `]`" => "Listen mangler sin afsluttende ]",
        "unclosed inline table, expected `}`" => "Tabellen mangler sin afsluttende }",
        "unexpected key or value, expected newline, `#`" => {
            "Der står mere efter værdien; hvert felt skal stå på sin egen linje"
        }
        _ => return format!("Filen kan ikke læses som TOML: {message}"),
    };
    syntax.to_string()
}

/// A required key as the subject of a Danish sentence, e.g. "Titlen" for `title`.
fn danish_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "format" => "Formatet",
        "id" => "Id'et",
        "title" => "Titlen",
        "language" => "Sproget",
        "audience" => "Målgruppen",
        "grades" => "Klassetrinnene",
        "kind" => "Spørgsmålstypen",
        "text" => "Spørgsmålsteksten",
        "question" => "Makkerspørgsmålet",
        "value" => "Tallet",
        "measures" => "Beskrivelsen af, hvad tallet måler,",
        "population" => "Populationen",
        "year" => "Årstallet",
        "survey" => "Undersøgelsen",
        _ => return None,
    })
}

/// What serde expected ("a string", "i64", "a sequence", …) in Danish.
fn danish_expected(expected: &str) -> String {
    match expected {
        "a string" => "en tekst i anførselstegn".to_string(),
        "i64" => "et helt tal".to_string(),
        "f64" => "et tal".to_string(),
        "a boolean" => "true eller false".to_string(),
        "a sequence" => "en liste i [ ]".to_string(),
        other if other.starts_with("struct ") => "en tabel i { }".to_string(),
        other => other.to_string(),
    }
}

/// What serde found instead (`string "7"`, `integer \`3\``, …) in Danish.
fn danish_found(found: &str) -> String {
    let quoted = |prefix: &str| {
        found
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('`'))
            .and_then(|rest| rest.strip_suffix('`'))
            .map(str::to_string)
    };
    if let Some(text) = found.strip_prefix("string ") {
        format!("teksten {text}")
    } else if let Some(number) = quoted("integer ") {
        format!("tallet {number}")
    } else if let Some(number) = quoted("floating point ") {
        format!("decimaltallet {}", number.replace('.', ","))
    } else if let Some(value) = quoted("boolean ") {
        value
    } else {
        match found {
            "sequence" => "en liste".to_string(),
            "map" => "en tabel".to_string(),
            other => other.to_string(),
        }
    }
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
