//! The checker: a raw, spanned file in, a validated set (or registry) out, or every
//! problem found, each at its line and column.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::pairs::pair_fits;
use super::raw::*;
use super::*;

/// A list of labels a file may give (grades, options, scale points, abstain answers):
/// how many entries it takes, and how problem texts name it.
#[derive(Clone, Copy)]
pub(super) struct LabelList {
    /// The key, as English texts name it: "options".
    key: &'static str,
    /// One entry, with its article, as a Danish sentence begins: "En svarmulighed".
    one: &'static str,
    /// Entries in Danish: "svarmuligheder".
    many: &'static str,
    min: usize,
    max: usize,
}

const GRADES: LabelList = LabelList {
    key: "grades",
    one: "Et klassetrin",
    many: "klassetrin",
    min: 1,
    max: 12,
};
const OPTIONS: LabelList = LabelList {
    key: "options",
    one: "En svarmulighed",
    many: "svarmuligheder",
    min: 2,
    max: MAX_OPTIONS,
};
const POINTS: LabelList = LabelList {
    key: "points",
    one: "Et skalapunkt",
    many: "skalapunkter",
    min: 2,
    max: 11,
};
const ABSTAIN: LabelList = LabelList {
    key: "abstain",
    one: "Et fravalgssvar",
    many: "fravalgssvar",
    min: 1,
    max: MAX_ABSTAIN,
};

// The keys of a number question as Danish texts name them, after "kan ikke have".
const MIN_DA: &str = "en mindste værdi";
const MAX_DA: &str = "en største værdi";
const UNIT_DA: &str = "en enhed";

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
    checker.format(&raw.format);
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
                format!(
                    "Landstals-id'et \"{}\" findes to gange (første gang i linje {line}, kolonne {col})",
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

/// A character that must not be in a text: a control character other than a line break
/// or a tab (a terminal escape, a NUL, a C1 control), or a bidirectional override that
/// can make a text read differently from what it holds.
pub(super) fn invisible(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub(super) struct Checker<'a> {
    pub(super) locator: &'a Locator<'a>,
    pub(super) problems: Vec<Problem>,
}

impl Checker<'_> {
    pub(super) fn at(&self, span: Range<usize>) -> (usize, usize) {
        self.locator.at(span.start)
    }

    /// A problem at the start of `span`, in English and in Danish.
    pub(super) fn error(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        danish: impl Into<String>,
    ) {
        self.problems
            .push(Problem::at(self.at(span), message, danish));
    }

    /// `format` must be the version this build reads.
    fn format(&mut self, format: &Spanned<i64>) {
        let found = *format.get_ref();
        if found != FORMAT_VERSION {
            self.error(
                format.span(),
                format!(
                    "unsupported format {found}; this version of pejling reads format {FORMAT_VERSION}"
                ),
                format!(
                    "Format {found} kan ikke læses; denne version af pejling læser format {FORMAT_VERSION}"
                ),
            );
        }
    }

    /// A non-empty, trimmed text of bounded length. `what` names it in English ("title"),
    /// `danish` as the subject of a Danish sentence ("Titlen").
    pub(super) fn text(&mut self, value: Spanned<String>, what: &str, danish: &str) -> String {
        let span = value.span();
        let text = value.into_inner().trim().to_string();
        if text.is_empty() {
            self.error(
                span,
                format!("{what} must not be empty"),
                format!("{danish} mangler tekst"),
            );
        } else if text.chars().count() > MAX_TEXT_CHARS {
            self.error(
                span,
                format!("{what} is longer than {MAX_TEXT_CHARS} characters"),
                format!("{danish} har for mange tegn (højst {MAX_TEXT_CHARS})"),
            );
        } else if let Some(c) = text.chars().find(|&c| invisible(c)) {
            // A control character (a terminal escape, a bell, a NUL pasted from
            // somewhere) would travel to every phone, screen and report.
            self.error(
                span,
                format!(
                    "{what} contains the control character {}; remove it",
                    c.escape_unicode()
                ),
                format!(
                    "{danish} indeholder et usynligt styretegn (fx fra en kopieret tekst); slet teksten, og skriv den igen"
                ),
            );
        }
        text
    }

    /// An optional note: trimmed, `None` when empty; line breaks allowed, other control
    /// characters not.
    pub(super) fn note(
        &mut self,
        value: Spanned<String>,
        what: &str,
        danish: &str,
    ) -> Option<String> {
        let span = value.span();
        let note = value.into_inner().trim().to_string();
        if let Some(c) = note.chars().find(|&c| invisible(c)) {
            self.error(
                span,
                format!(
                    "{what} contains the control character {}; remove it",
                    c.escape_unicode()
                ),
                format!(
                    "{danish} indeholder et usynligt styretegn (fx fra en kopieret tekst); slet teksten, og skriv den igen"
                ),
            );
        }
        (!note.is_empty()).then_some(note)
    }

    /// An id: `what` names it in English ("question id"), `danish` in Danish
    /// ("Spørgsmåls-id'et").
    pub(super) fn identifier(
        &mut self,
        value: Spanned<String>,
        what: &str,
        danish: &str,
    ) -> String {
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
                if id.is_empty() {
                    format!("{danish} mangler")
                } else {
                    format!(
                        "{danish} \"{id}\" må kun have små bogstaver a-z (ikke æ, ø, å), tal, - og _ og højst 64 tegn, fx \"snus-egen\""
                    )
                },
            );
        }
        id
    }

    /// A list of distinct, non-empty labels, as many as `list` allows.
    pub(super) fn labels(
        &mut self,
        values: Spanned<Vec<Spanned<String>>>,
        list: &LabelList,
    ) -> Vec<String> {
        let LabelList {
            key,
            one,
            many,
            min,
            max,
        } = *list;
        let span = values.span();
        let values = values.into_inner();
        let found = values.len();
        if found < min || found > max {
            self.error(
                span.clone(),
                format!("{key} must have {min} to {max} entries, found {found}"),
                format!("Der skal være {min} til {max} {many}, men der er {found}"),
            );
        }
        let mut seen: HashMap<String, ()> = HashMap::new();
        let mut labels = Vec::with_capacity(found);
        for value in values {
            let value_span = value.span();
            let label = self.text(value, &format!("an entry of {key}"), one);
            if !label.is_empty() && seen.insert(label.to_lowercase(), ()).is_some() {
                self.error(
                    value_span,
                    format!("{key} has \"{label}\" twice"),
                    format!("To {many} hedder \"{label}\""),
                );
            }
            labels.push(label);
        }
        labels
    }

    pub(super) fn set(&mut self, raw: RawSet) -> ParsedSet {
        self.format(&raw.format);
        let id = self.identifier(raw.id, "set id", "Spørgesæt-id'et");
        let title = self.text(raw.title, "title", "Titlen");
        let language = match raw.language.get_ref().as_str() {
            "da" => Language::Da,
            "en" => Language::En,
            other => {
                self.error(
                    raw.language.span(),
                    format!("unknown language \"{other}\", expected \"da\" or \"en\""),
                    format!(
                        "Sproget \"{other}\" kendes ikke; vælg dansk eller engelsk (\"da\" eller \"en\" i filen)"
                    ),
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
                    format!(
                        "Målgruppen \"{other}\" kendes ikke; vælg elever eller forældre (\"pupils\" eller \"parents\" i filen)"
                    ),
                );
                Audience::Pupils
            }
        };
        let grades = self.labels(raw.grades, &GRADES);
        let facilitator_note = raw.facilitator_note.and_then(|note| {
            self.note(
                note,
                "facilitator_note",
                "Noten til den, der holder lektionen",
            )
        });
        let min_answers = raw.min_answers.and_then(|value| {
            let n = *value.get_ref();
            if !(1..=1000).contains(&n) {
                self.error(
                    value.span(),
                    format!("min_answers must be between 1 and 1000, found {n}"),
                    format!("Mindste antal svar skal være mellem 1 og 1000, men er {n}"),
                );
                None
            } else {
                Some(n as u32)
            }
        });

        if raw.questions.is_empty() {
            self.problems.push(Problem::at(
                (1, 1),
                "a set needs at least one [[questions]] table",
                "Spørgesættet skal have mindst ét spørgsmål",
            ));
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
                        format!("Spørgsmålet henviser to gange til landstallet \"{id}\""),
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
                    format!(
                        "Spørgsmåls-id'et \"{}\" bruges allerede af et andet spørgsmål i sættet",
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
                        Err(_) => self.error(
                            option.span(),
                            "an option index must be 0 or more",
                            "Svarmuligheder tælles fra 0, så et nummer kan ikke være negativt",
                        ),
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
                            "Kun et forældresæt kan spørge til spørgsmål i et andet spørgesæt",
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
                            format!("Makkerspørgsmålet \"{target}\" findes ikke"),
                        );
                        continue;
                    };
                    if target_idx == idx {
                        self.error(
                            question_span,
                            "a question cannot perceive itself",
                            "Et spørgsmål kan ikke være sit eget makkerspørgsmål",
                        );
                        continue;
                    }
                    if let Err(problem) = pair_fits(
                        &questions[idx].kind,
                        &questions[target_idx],
                        &options,
                        self.at(options_span),
                    ) {
                        self.problems.push(problem);
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
        let id = self.identifier(raw.id, "question id", "Spørgsmåls-id'et");
        let text = self.text(raw.text, "question text", "Spørgsmålet");
        let kind_span = raw.kind.span();
        let kind_name = raw.kind.into_inner();

        // Keys that belong to other kinds are errors, so a typo cannot silently change
        // what a question asks.
        // `danish` names the key in a Danish sentence: "Et valgspørgsmål kan ikke have …".
        let forbid =
            |checker: &mut Self, present: Option<Range<usize>>, key: &str, danish: &str| {
                if let Some(span) = present {
                    checker.error(
                        span,
                        format!("`{key}` does not apply to a {kind_name} question"),
                        format!("Et {} kan ikke have {danish}", danish_kind(&kind_name)),
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
                forbid(self, points_span, "points", POINTS.many);
                forbid(self, min_span, "min", MIN_DA);
                forbid(self, max_span, "max", MAX_DA);
                forbid(self, unit_span, "unit", UNIT_DA);
                let options = match raw.options {
                    Some(options) => self.labels(options, &OPTIONS),
                    None => {
                        self.error(
                            kind_span,
                            "a choice question needs options, e.g. options = [\"Ja\", \"Nej\"]",
                            "Et valgspørgsmål skal have svarmuligheder, fx Ja og Nej",
                        );
                        Vec::new()
                    }
                };
                QuestionKind::Choice { options }
            }
            "percent" => {
                forbid(self, options_span, "options", OPTIONS.many);
                forbid(self, points_span, "points", POINTS.many);
                forbid(self, min_span, "min", MIN_DA);
                forbid(self, max_span, "max", MAX_DA);
                forbid(self, unit_span, "unit", UNIT_DA);
                QuestionKind::Percent
            }
            "number" => {
                forbid(self, options_span, "options", OPTIONS.many);
                forbid(self, points_span, "points", POINTS.many);
                let unit = raw.unit.map(|unit| self.text(unit, "unit", "Enheden"));
                match (raw.min, raw.max) {
                    (Some(min), Some(max)) => {
                        let (lo, hi) = (*min.get_ref(), *max.get_ref());
                        if lo >= hi {
                            self.error(
                                max.span(),
                                format!("max ({hi}) must be greater than min ({lo})"),
                                format!(
                                    "Største værdi ({hi}) skal være større end mindste værdi ({lo})"
                                ),
                            );
                        } else if i128::from(hi) - i128::from(lo) > 1_000_000 {
                            // In i128: the span of two i64 bounds can overflow i64.
                            self.error(
                                max.span(),
                                "the range from min to max may span at most 1000000",
                                "Der må højst være 1 million mellem mindste og største værdi",
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
                            "Et talspørgsmål skal have en mindste og en største værdi, fx 8 og 20",
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
                forbid(self, options_span, "options", OPTIONS.many);
                forbid(self, min_span, "min", MIN_DA);
                forbid(self, max_span, "max", MAX_DA);
                forbid(self, unit_span, "unit", UNIT_DA);
                let points = match raw.points {
                    Some(points) => self.labels(points, &POINTS),
                    None => {
                        self.error(
                            kind_span,
                            "a scale question needs points, e.g. points = [\"Helt uenig\", \"Uenig\", \"Enig\", \"Helt enig\"]",
                            "Et skalaspørgsmål skal have skalapunkter, fx Helt uenig, Uenig, Enig og Helt enig",
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
                    format!(
                        "Spørgsmålstypen \"{other}\" kendes ikke; vælg Valg, Procent, Tal eller Skala (\"choice\", \"percent\", \"number\" eller \"scale\" i filen)"
                    ),
                );
                QuestionKind::Percent
            }
        };

        let abstain = raw
            .abstain
            .map(|labels| self.labels(labels, &ABSTAIN))
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
            .and_then(|note| self.note(note, "note", "Noten til spørgsmålet"));

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
        let id = self.identifier(raw.id, "reference id", "Landstals-id'et");
        let unit = raw
            .unit
            .map(|unit| self.text(unit, "unit", "Enheden"))
            .unwrap_or_else(|| "%".to_string());
        let value = *raw.value.get_ref();
        if !value.is_finite() || value < 0.0 || (unit == "%" && value > 100.0) {
            self.error(
                raw.value.span(),
                format!("a reference value in % must be between 0 and 100, found {value}"),
                format!(
                    "Et landstal i % skal være mellem 0 og 100, men er {}",
                    value.to_string().replace('.', ",")
                ),
            );
        }
        let year = *raw.year.get_ref();
        if !(1950..=2100).contains(&year) {
            self.error(
                raw.year.span(),
                format!("year {year} is not a plausible survey year"),
                format!("Årstallet {year} kan ikke passe for en undersøgelse"),
            );
        }
        let url = raw.url.map(|url| {
            let span = url.span();
            let url = url.into_inner();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                self.error(
                    span,
                    "url must start with https:// or http://",
                    "Linket skal begynde med https:// eller http://",
                );
            }
            url
        });
        Reference {
            id,
            value,
            unit,
            measures: self.text(
                raw.measures,
                "measures",
                "Beskrivelsen af, hvad tallet måler,",
            ),
            population: self.text(raw.population, "population", "Populationen"),
            year,
            survey: self.text(raw.survey, "survey", "Undersøgelsen"),
            reported_by: raw
                .reported_by
                .map(|reported_by| self.text(reported_by, "reported_by", "Kilden")),
            url,
        }
    }
}
