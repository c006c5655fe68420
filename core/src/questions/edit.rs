//! The console's editor and the file format (issue 16): a file read leniently into a
//! [`SetDraft`] (a set that still has problems can be opened and fixed), a draft written
//! back as TOML that keeps the comments and layout of the file it came from where the
//! fields are untouched (`toml_edit`), and the checker's problems placed at the fields
//! they concern. The checker itself is the one `pejling check` runs: a draft is checked by
//! writing it and parsing what was written.

use pejling_wire::{
    Audience, FieldProblem, KindName, Language, PerceivesDraft, QuestionDraft, SetDraft,
};
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::Problem;
use super::raw::{Locator, QUESTION_KEYS, SET_KEYS, toml_problem};

/// The first lines of a file the editor writes from scratch, in the set's language (a
/// consultant who opens the file reads them).
fn new_file_header(language: Language) -> &'static str {
    match language {
        Language::Da => {
            "# Et spørgesæt til pejling (format 1: docs/question-sets.md).\n# Skrevet med pejlings editor; kommentarer, du selv skriver, bevares, når den gemmer.\n"
        }
        Language::En => {
            "# A pejling question set (format 1: docs/question-sets.md).\n# Written by pejling's editor; comments you add are kept when it saves.\n"
        }
    }
}

/// Reads a set's text into a draft, leniently: a value of the wrong type or an unknown
/// kind reads as empty or as a default, so the checker's problems (found on the text
/// itself) can be shown and fixed. `Err` only when the text is not TOML at all.
pub fn read_draft(text: &str) -> Result<SetDraft, Vec<Problem>> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(table) => table,
        Err(error) => return Err(toml_problem(&Locator::new(text), &error)),
    };
    let questions = match table.get("questions") {
        Some(toml::Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                toml::Value::Table(question) => read_question(question, i),
                _ => QuestionDraft::new(String::new(), KindName::Choice),
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(SetDraft {
        id: string(&table, "id"),
        title: string(&table, "title"),
        language: Language::from_code(&string(&table, "language")),
        audience: match string(&table, "audience").as_str() {
            "parents" => Audience::Parents,
            _ => Audience::Pupils,
        },
        grades: strings(&table, "grades"),
        min_answers: integer(&table, "min_answers").and_then(|n| u32::try_from(n).ok()),
        facilitator_note: string(&table, "facilitator_note").trim().to_string(),
        questions,
    })
}

fn read_question(table: &toml::Table, index: usize) -> QuestionDraft {
    let kind = KindName::from_code(&string(table, "kind")).unwrap_or(KindName::Choice);
    // A scale's labels are its `points`; take the other key when only it is there, so a
    // question whose kind was changed by hand keeps its labels.
    let (first, second) = match kind {
        KindName::Scale => ("points", "options"),
        _ => ("options", "points"),
    };
    let options = if kind.has_options() {
        match table.get(first) {
            Some(_) => strings(table, first),
            None => strings(table, second),
        }
    } else {
        Vec::new()
    };
    let perceives = match table.get("perceives") {
        Some(toml::Value::Table(perceives)) => Some(PerceivesDraft {
            set: string(perceives, "set"),
            question: string(perceives, "question"),
            options: match perceives.get("options") {
                Some(toml::Value::Array(items)) => items
                    .iter()
                    .filter_map(|item| item.as_integer().and_then(|n| u32::try_from(n).ok()))
                    .collect(),
                _ => Vec::new(),
            },
        }),
        _ => None,
    };
    QuestionDraft {
        id: string(table, "id"),
        kind,
        text: string(table, "text"),
        options,
        min: integer(table, "min"),
        max: integer(table, "max"),
        unit: string(table, "unit"),
        abstain: strings(table, "abstain"),
        sensitive: table
            .get("sensitive")
            .and_then(toml::Value::as_bool)
            .unwrap_or(false),
        perceives,
        references: strings(table, "references"),
        note: string(table, "note").trim().to_string(),
        origin: u32::try_from(index).ok(),
    }
}

fn string(table: &toml::Table, key: &str) -> String {
    match table.get(key) {
        Some(toml::Value::String(text)) => text.clone(),
        _ => String::new(),
    }
}

/// An array's entries as text; an entry of another type keeps its place (as its TOML
/// text), so the indices of problems found on the file still match the draft.
fn strings(table: &toml::Table, key: &str) -> Vec<String> {
    match table.get(key) {
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                toml::Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn integer(table: &toml::Table, key: &str) -> Option<i64> {
    table.get(key).and_then(toml::Value::as_integer)
}

/// Writes a draft as a set file. With the text it was opened from (`source`), that text
/// is edited in place: a value that did not change keeps its layout and its comments,
/// and a question keeps the comments around its `[[questions]]` table wherever it moved.
/// A key the format does not know (`titel` typed for `title` by hand) is dropped: the
/// draft, which cannot hold it, is what the person sees and edits.
pub fn write_draft(draft: &SetDraft, source: &str) -> String {
    let mut document = match source.parse::<DocumentMut>() {
        Ok(document) if !source.trim().is_empty() => document,
        _ => {
            let mut document = DocumentMut::new();
            document
                .decor_mut()
                .set_prefix(new_file_header(draft.language));
            document
        }
    };
    let root = document.as_table_mut();
    root.retain(|key, _| SET_KEYS.here.contains(&key));
    if !root.contains_key("format") {
        root.insert("format", Item::Value(Value::from(super::FORMAT_VERSION)));
    }
    put(root, "id", Value::from(draft.id.as_str()));
    put(root, "title", Value::from(draft.title.as_str()));
    put(root, "language", Value::from(draft.language.code()));
    put(
        root,
        "audience",
        Value::from(match draft.audience {
            Audience::Pupils => "pupils",
            Audience::Parents => "parents",
        }),
    );
    put(root, "grades", string_array(&draft.grades));
    put_or_remove(
        root,
        "min_answers",
        draft.min_answers.map(|n| Value::from(i64::from(n))),
    );
    put_text(root, "facilitator_note", &draft.facilitator_note);

    let old: Vec<Table> = match root.remove("questions") {
        Some(Item::ArrayOfTables(tables)) => tables.into_iter().collect(),
        _ => Vec::new(),
    };
    let mut questions = ArrayOfTables::new();
    for (i, question) in draft.questions.iter().enumerate() {
        let mut table = question
            .origin
            .and_then(|origin| old.get(origin as usize))
            .cloned()
            .unwrap_or_else(|| {
                let mut table = Table::new();
                table.decor_mut().set_prefix("\n");
                table
            });
        // Tables are written in the order of their positions: the draft's order.
        table.set_position(isize::try_from(i).unwrap_or(isize::MAX).saturating_add(1));
        write_question(&mut table, question);
        questions.push(table);
    }
    if !questions.is_empty() {
        root.insert("questions", Item::ArrayOfTables(questions));
    }
    document.to_string()
}

fn write_question(table: &mut Table, question: &QuestionDraft) {
    table.retain(|key, _| QUESTION_KEYS.here.contains(&key));
    put(table, "id", Value::from(question.id.as_str()));
    put(table, "kind", Value::from(question.kind.code()));
    put(table, "text", Value::from(question.text.as_str()));
    let labels = string_array(&question.options);
    match question.kind {
        KindName::Choice => {
            put(table, "options", labels);
            table.remove("points");
        }
        KindName::Scale => {
            put(table, "points", labels);
            table.remove("options");
        }
        KindName::Percent | KindName::Number => {
            table.remove("options");
            table.remove("points");
        }
    }
    if question.kind == KindName::Number {
        put_or_remove(table, "min", question.min.map(Value::from));
        put_or_remove(table, "max", question.max.map(Value::from));
        put_text(table, "unit", &question.unit);
    } else {
        for key in ["min", "max", "unit"] {
            table.remove(key);
        }
    }
    put_or_remove(
        table,
        "abstain",
        (!question.abstain.is_empty()).then(|| string_array(&question.abstain)),
    );
    put_or_remove(
        table,
        "sensitive",
        question.sensitive.then(|| Value::from(true)),
    );
    put_or_remove(
        table,
        "perceives",
        question.perceives.as_ref().map(|perceives| {
            let mut inline = InlineTable::new();
            if !perceives.set.is_empty() {
                inline.insert("set", Value::from(perceives.set.as_str()));
            }
            inline.insert("question", Value::from(perceives.question.as_str()));
            if !perceives.options.is_empty() {
                inline.insert(
                    "options",
                    Value::Array(
                        perceives
                            .options
                            .iter()
                            .map(|&option| Value::from(i64::from(option)))
                            .collect(),
                    ),
                );
            }
            Value::InlineTable(inline)
        }),
    );
    put_or_remove(
        table,
        "references",
        (!question.references.is_empty()).then(|| string_array(&question.references)),
    );
    put_text(table, "note", &question.note);
}

fn string_array(items: &[String]) -> Value {
    Value::Array(items.iter().map(|item| item.as_str()).collect::<Array>())
}

/// Sets `key` to `value`, unless it already holds the same value: then its layout and
/// comments stay. A changed value keeps the old one's comments and spacing.
fn put(table: &mut Table, key: &str, mut value: Value) {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            if same(old, &value) {
                return;
            }
            *value.decor_mut() = old.decor().clone();
            *old = value;
        }
        // A `[questions.perceives]` sub-table written by hand, or a value of the wrong
        // shape: replaced by the draft's value.
        Some(item) => *item = Item::Value(value),
        None => {
            table.insert(key, Item::Value(value));
        }
    }
}

fn put_or_remove(table: &mut Table, key: &str, value: Option<Value>) {
    match value {
        Some(value) => put(table, key, value),
        None => {
            table.remove(key);
        }
    }
}

/// An optional text (a note): removed when empty. A text that differs from the file's
/// only in surrounding blank space is left as the file has it; one of several lines is
/// written as a multi-line string, as a person would write it.
fn put_text(table: &mut Table, key: &str, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        table.remove(key);
        return;
    }
    if let Some(Item::Value(Value::String(old))) = table.get(key)
        && old.value().trim() == text
    {
        return;
    }
    put(
        table,
        key,
        multi_line(text).unwrap_or_else(|| Value::from(text)),
    );
}

/// `"""` + the text on its own lines + `"""`, for a text with line breaks.
fn multi_line(text: &str) -> Option<Value> {
    if !text.contains('\n') {
        return None;
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' | '\t' => escaped.push(c),
            c if c.is_control() => escaped.push_str(&format!("\\u{:04X}", c as u32)),
            c => escaped.push(c),
        }
    }
    format!("\"\"\"\n{escaped}\n\"\"\"").parse::<Value>().ok()
}

/// Whether two values are the same data, however they are written.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) => a.value() == b.value(),
        (Value::Integer(a), Value::Integer(b)) => a.value() == b.value(),
        (Value::Boolean(a), Value::Boolean(b)) => a.value() == b.value(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| same(a, b))
        }
        (Value::InlineTable(a), Value::InlineTable(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, value)| b.get(key).is_some_and(|other| same(value, other)))
        }
        _ => false,
    }
}

/// Places each problem at the field of the draft it concerns, by finding the innermost
/// key or value of `text` at the problem's position (see [`FieldProblem::path`]). A
/// problem outside every field (e.g. a set with no questions) has an empty path.
pub fn locate(text: &str, problems: &[Problem]) -> Vec<FieldProblem> {
    let document = toml::de::DeTable::parse(text).ok();
    let locator = Locator::new(text);
    problems
        .iter()
        .map(|problem| {
            let offset = offset_of(&locator, problem.line, problem.col);
            let path = document
                .as_ref()
                .map(|document| {
                    let mut path = Vec::new();
                    path_in_table(document.get_ref(), offset, &mut path);
                    // A scale's `points` are the draft's `options`.
                    if let [questions, _, key, ..] = path.as_mut_slice()
                        && questions == "questions"
                        && key == "points"
                    {
                        *key = "options".to_string();
                    }
                    path.join(".")
                })
                .unwrap_or_default();
            FieldProblem {
                path,
                line: u32::try_from(problem.line).unwrap_or(u32::MAX),
                col: u32::try_from(problem.col).unwrap_or(u32::MAX),
                message: problem.message.clone(),
                danish: problem.danish.clone(),
            }
        })
        .collect()
}

fn contains(span: &std::ops::Range<usize>, offset: usize) -> bool {
    span.start <= offset && (offset < span.end || offset == span.start)
}

fn path_in_table(table: &toml::de::DeTable<'_>, offset: usize, path: &mut Vec<String>) {
    for (key, value) in table {
        let in_key = contains(&key.span(), offset);
        let in_value = contains(&value.span(), offset);
        let nested = matches!(
            value.get_ref(),
            toml::de::DeValue::Table(_) | toml::de::DeValue::Array(_)
        );
        if !(in_key || in_value || nested) {
            continue;
        }
        let depth = path.len();
        path.push(key.get_ref().to_string());
        if in_key {
            return;
        }
        match value.get_ref() {
            toml::de::DeValue::Table(inner) => {
                if path_in_nested(inner, offset, path) || in_value {
                    return;
                }
            }
            toml::de::DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let in_item = contains(&item.span(), offset);
                    if let toml::de::DeValue::Table(inner) = item.get_ref() {
                        path.push(i.to_string());
                        if path_in_nested(inner, offset, path) || in_item {
                            return;
                        }
                        path.pop();
                    } else if in_item {
                        path.push(i.to_string());
                        return;
                    }
                }
                if in_value {
                    return;
                }
            }
            _ => return,
        }
        path.truncate(depth);
    }
}

/// Whether the offset is in one of the table's keys or values (the path then names it).
fn path_in_nested(table: &toml::de::DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    let depth = path.len();
    path_in_table(table, offset, path);
    path.len() > depth
}

/// A 1-based line and column (in characters) back to a byte offset.
fn offset_of(locator: &Locator<'_>, line: usize, col: usize) -> usize {
    let Some(&start) = locator.line_starts.get(line.saturating_sub(1)) else {
        return locator.text.len();
    };
    locator.text[start..]
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(locator.text.len(), |(i, _)| start + i)
}
