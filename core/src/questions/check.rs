//! The checker: a raw, spanned file in, a validated set (or registry) out, or every
//! problem found, each at its line and column.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::pairs::pair_fits;
use super::raw::*;
use super::*;

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

pub(super) struct Checker<'a> {
    pub(super) locator: &'a Locator<'a>,
    pub(super) problems: Vec<Problem>,
}

impl Checker<'_> {
    pub(super) fn at(&self, span: Range<usize>) -> (usize, usize) {
        self.locator.at(span.start)
    }

    pub(super) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, col) = self.at(span);
        self.problems.push(Problem {
            line,
            col,
            message: message.into(),
        });
    }

    /// A non-empty, trimmed text of bounded length.
    pub(super) fn text(&mut self, value: Spanned<String>, what: &str) -> String {
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

    pub(super) fn identifier(&mut self, value: Spanned<String>, what: &str) -> String {
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

    pub(super) fn labels(
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

    pub(super) fn set(&mut self, raw: RawSet) -> ParsedSet {
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
                    self.problems.push(Problem::at(
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
    pub(super) fn question(
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

    pub(super) fn reference(&mut self, raw: RawReference) -> Reference {
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
