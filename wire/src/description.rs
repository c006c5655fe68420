//! What a session was: school, grade, class and term (`docs/protocol.md`, "Session
//! descriptions"). Never anything about a pupil. The rule by which two spellings are one
//! value is here, so the server (which stores a value in an earlier value's spelling) and
//! the console (which offers earlier values) apply it alike.

use serde::{Deserialize, Serialize};

/// Most characters of one description value.
pub const MAX_DESCRIPTION_CHARS: usize = 60;

/// What a session was: where and with which class, never anything about a pupil. Every
/// field is optional; a session stored before descriptions has none.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// e.g. "Nordskolen".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<String>,
    /// e.g. "7" (klassetrin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// e.g. "7.b".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// e.g. "forår 2027".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
}

/// One field of a [`Description`].
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DescriptionField {
    School,
    Grade,
    Class,
    Term,
}

impl DescriptionField {
    pub const ALL: [DescriptionField; 4] = [
        DescriptionField::School,
        DescriptionField::Grade,
        DescriptionField::Class,
        DescriptionField::Term,
    ];

    /// The field's name on the wire: `school`, `grade`, `class`, `term`.
    pub fn code(self) -> &'static str {
        match self {
            DescriptionField::School => "school",
            DescriptionField::Grade => "grade",
            DescriptionField::Class => "class",
            DescriptionField::Term => "term",
        }
    }
}

impl Description {
    pub fn is_empty(&self) -> bool {
        DescriptionField::ALL.iter().all(|&f| self.get(f).is_none())
    }

    pub fn get(&self, field: DescriptionField) -> Option<&str> {
        match field {
            DescriptionField::School => self.school.as_deref(),
            DescriptionField::Grade => self.grade.as_deref(),
            DescriptionField::Class => self.class.as_deref(),
            DescriptionField::Term => self.term.as_deref(),
        }
    }

    pub fn set(&mut self, field: DescriptionField, value: Option<String>) {
        let slot = match field {
            DescriptionField::School => &mut self.school,
            DescriptionField::Grade => &mut self.grade,
            DescriptionField::Class => &mut self.class,
            DescriptionField::Term => &mut self.term,
        };
        *slot = value;
    }

    /// Each value as [`clean_value`] leaves it; empty values dropped.
    pub fn cleaned(&self) -> Description {
        let mut cleaned = Description::default();
        for field in DescriptionField::ALL {
            cleaned.set(field, self.get(field).and_then(clean_value));
        }
        cleaned
    }

    /// The longest value's field, if one is longer than [`MAX_DESCRIPTION_CHARS`].
    pub fn too_long(&self) -> Option<DescriptionField> {
        DescriptionField::ALL.into_iter().find(|&field| {
            self.get(field)
                .is_some_and(|value| value.chars().count() > MAX_DESCRIPTION_CHARS)
        })
    }

    /// What people call a session that has no label: its class and school ("7.b,
    /// Nordskolen"), or either; `None` without both.
    pub fn name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.class.as_deref(), self.school.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// A value as it is stored: white space at either end trimmed and every run of white
/// space inside made one space; `None` when nothing is left.
pub fn clean_value(value: &str) -> Option<String> {
    let cleaned = value.split_whitespace().collect::<Vec<_>>().join(" ");
    (!cleaned.is_empty()).then_some(cleaned)
}

/// The form in which two values are the same value: cleaned ([`clean_value`]) and in
/// lower case, so "Nordskolen", " nordskolen" and "NORDSKOLEN " are one school. The
/// server stores a new value in the spelling of an earlier one with the same key.
pub fn description_key(value: &str) -> String {
    clean_value(value).unwrap_or_default().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_cleaned_and_keyed() {
        assert_eq!(clean_value("  Nord   skolen "), Some("Nord skolen".into()));
        assert_eq!(clean_value(" \t "), None);
        for same in ["Nordskolen", " nordskolen", "NORDSKOLEN  ", "nordSkolen"] {
            assert_eq!(description_key(same), "nordskolen", "{same:?}");
        }
        assert_eq!(description_key("Ærø  Skole"), "ærø skole");
        assert_ne!(description_key("7.a"), description_key("7.b"));
    }

    #[test]
    fn a_description_names_a_session_by_class_and_school() {
        let description = Description {
            school: Some("Nordskolen".into()),
            grade: Some("7".into()),
            class: Some("7.b".into()),
            term: Some("forår 2027".into()),
        };
        assert_eq!(description.name().as_deref(), Some("7.b, Nordskolen"));
        assert_eq!(Description::default().name(), None);
        let grade_only = Description {
            grade: Some("7".into()),
            ..Description::default()
        };
        assert_eq!(grade_only.name(), None);
        assert!(!grade_only.is_empty());
        let messy = Description {
            school: Some("  ".into()),
            class: Some(" 7.b ".into()),
            ..Description::default()
        };
        assert_eq!(
            messy.cleaned(),
            Description {
                class: Some("7.b".into()),
                ..Description::default()
            }
        );
    }

    #[test]
    fn a_description_has_the_documented_shape() {
        let description = Description {
            school: Some("Nordskolen".into()),
            class: Some("7.b".into()),
            ..Description::default()
        };
        assert_eq!(
            serde_json::to_string(&description).unwrap(),
            r#"{"school":"Nordskolen","class":"7.b"}"#
        );
        assert!(serde_json::from_str::<Description>(r#"{"pupil":"x"}"#).is_err());
    }
}
