//! The console's question-set editor as plain data (issue 16): the list of sets, the set
//! being edited as a [`SetDraft`], and every edit a person can make to it — a field typed,
//! a question or a pair added, moved or removed, a partner or a national figure picked.
//! No DOM and no network, so it is tested natively (`editor/tests.rs`); `web/editor.rs`
//! draws it and talks to the server's `/api/sets` routes, whose checker finds the
//! problems shown at each field.

use pejling_wire::{
    Audience, EditorList, Existing, FieldProblem, KindName, Language, OpenedSet, PerceivesDraft,
    QuestionDraft, ReferenceEntry, SetDraft,
};

mod texts;
pub use texts::EditorTexts;

#[cfg(test)]
mod tests;

/// The editor: the list, or one set open.
#[derive(Debug, Default)]
pub struct EditorModel {
    pub list: Option<EditorList>,
    pub references: Vec<ReferenceEntry>,
    pub open: Option<OpenSet>,
    /// Questions of the pupils' sets, for a parents' question to cite: set id → its draft.
    pub pupil_sets: Vec<SetDraft>,
    /// A request failed: what to tell the person.
    pub error: Option<String>,
}

/// A set being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSet {
    pub draft: SetDraft,
    /// The text the draft was opened from, sent back so the file keeps its comments.
    pub source: String,
    /// The own file it is saved in; `None` until a new, copied or imported set is saved.
    pub file: Option<String>,
    pub problems: Vec<FieldProblem>,
    /// Edited since it was opened or saved.
    pub dirty: bool,
    /// The last save was refused because the id is taken: replace, or keep both.
    pub exists: Option<Existing>,
    /// Save over a set with the same id (the person chose *Erstat*).
    pub replace: bool,
    /// Told after a save: the file it was written to.
    pub saved: Option<String>,
    /// Problems found here before the server sees the draft: a number field holding
    /// text that is not a whole number (the draft keeps its last number).
    pub local_problems: Vec<FieldProblem>,
    /// The question whose id is being typed, and the questions that perceived it when
    /// the typing began: they follow each keystroke, whatever ids pass by on the way.
    renaming: Option<(usize, Vec<usize>)>,
    /// The id follows the title (a new set whose id was not typed by hand).
    id_follows_title: bool,
}

impl OpenSet {
    /// A set opened from the server: an own file, a copy of a built-in set, or an import.
    pub fn from_opened(opened: OpenedSet, file: Option<String>) -> OpenSet {
        OpenSet {
            draft: opened.draft,
            source: opened.source,
            file,
            problems: opened.problems,
            dirty: false,
            exists: opened.exists,
            replace: false,
            saved: None,
            local_problems: Vec::new(),
            renaming: None,
            id_follows_title: false,
        }
    }

    /// A set imported from a file: not saved until the person saves it.
    pub fn imported(opened: OpenedSet) -> OpenSet {
        let mut open = OpenSet::from_opened(opened, None);
        open.dirty = true;
        open
    }

    /// An empty set of one pair, for *Nyt spørgesæt*.
    pub fn new_set(lang: Language) -> OpenSet {
        let mut draft = SetDraft {
            id: "nyt-spoergesaet".to_string(),
            // Empty: the checker asks for a title, and the id follows what is typed.
            title: String::new(),
            language: lang,
            audience: Audience::Pupils,
            grades: vec!["7".to_string()],
            min_answers: None,
            facilitator_note: String::new(),
            questions: Vec::new(),
        };
        add_pair(&mut draft);
        OpenSet {
            draft,
            source: String::new(),
            file: None,
            problems: Vec::new(),
            dirty: true,
            exists: None,
            replace: false,
            saved: None,
            local_problems: Vec::new(),
            renaming: None,
            id_follows_title: true,
        }
    }

    /// A built-in set made the person's own (*Kopiér og tilpas*): a new id and title, the
    /// built-in file's text kept as the base of the new file.
    pub fn copy_of(opened: OpenedSet, taken: &[String], lang: Language) -> OpenSet {
        let mut open = OpenSet::from_opened(opened, None);
        open.draft.id = unique_id(&format!("{}-kopi", open.draft.id), taken);
        open.draft.title = format!("{} ({})", open.draft.title, EditorTexts::of(lang).copy);
        open.dirty = true;
        open
    }

    /// *Behold begge*: the imported set gets an id and a title of its own, so the two
    /// are told apart in the list of sets.
    pub fn keep_both(&mut self, taken: &[String], lang: Language) {
        self.draft.id = unique_id(&self.draft.id, taken);
        self.draft.title = format!("{} ({})", self.draft.title, EditorTexts::of(lang).copy);
        self.exists = None;
        self.replace = false;
        self.dirty = true;
    }

    /// Every problem: the checker's and those found here.
    pub fn all_problems(&self) -> impl Iterator<Item = &FieldProblem> {
        self.local_problems.iter().chain(&self.problems)
    }

    /// Whether the set can be saved (and so used for a session): no problem found.
    pub fn can_save(&self) -> bool {
        self.problems.is_empty() && self.local_problems.is_empty()
    }

    /// A field typed in. A number field holding something else than a whole number is a
    /// problem here (the draft keeps its last number); a question's id drags the
    /// questions that perceived it along; a new set's id follows its title until the id
    /// is typed by hand. `false` when the path names no field.
    pub fn set_field(&mut self, path: &str, value: &str, taken: &[String]) -> bool {
        let numeric = path == "min_answers" || path.ends_with(".min") || path.ends_with(".max");
        self.local_problems.retain(|p| p.path != path);
        if numeric && !value.trim().is_empty() && value.trim().parse::<i64>().is_err() {
            let t_da = EditorTexts::of(Language::Da);
            let t_en = EditorTexts::of(Language::En);
            self.local_problems.push(FieldProblem {
                path: path.to_string(),
                line: 0,
                col: 0,
                message: t_en.whole_number.to_string(),
                danish: t_da.whole_number.to_string(),
            });
            return true;
        }
        let question_id = path
            .strip_prefix("questions.")
            .and_then(|rest| rest.strip_suffix(".id"))
            .and_then(|i| i.parse::<usize>().ok());
        match question_id {
            Some(i) if i < self.draft.questions.len() => {
                if self.renaming.as_ref().is_none_or(|(r, _)| *r != i) {
                    self.renaming = Some((i, perceivers(&self.draft, i)));
                }
            }
            _ => self.renaming = None,
        }
        if !set_field(&mut self.draft, path, value) {
            return false;
        }
        if let (Some(i), Some((_, followers))) = (question_id, &self.renaming) {
            let id = self.draft.questions[i].id.clone();
            for &j in followers {
                if let Some(perceives) = self
                    .draft
                    .questions
                    .get_mut(j)
                    .and_then(|q| q.perceives.as_mut())
                {
                    perceives.question = id.clone();
                }
            }
        }
        if path == "id" {
            self.id_follows_title = false;
        } else if path == "title" && self.id_follows_title && self.file.is_none() {
            self.draft.id = unique_id(&slug(&self.draft.title), taken);
        }
        true
    }

    /// A structural edit (see [`apply`]).
    pub fn apply(&mut self, edit: Edit) -> bool {
        self.renaming = None;
        apply(&mut self.draft, edit)
    }
}

/// The questions whose partner is question `i` of the same set: as the checker resolves
/// a partner, the first question with that id.
fn perceivers(draft: &SetDraft, i: usize) -> Vec<usize> {
    let id = &draft.questions[i].id;
    if draft.questions.iter().position(|q| q.id == *id) != Some(i) {
        return Vec::new();
    }
    draft
        .questions
        .iter()
        .enumerate()
        .filter(|(j, q)| {
            *j != i
                && q.perceives
                    .as_ref()
                    .is_some_and(|p| (p.set.is_empty() || p.set == draft.id) && p.question == *id)
        })
        .map(|(j, _)| j)
        .collect()
}

/// A title as an id: lower case, æøå spelt out, anything else a dash ("8.b Vaping i
/// fritiden" → "8-b-vaping-i-fritiden").
pub fn slug(title: &str) -> String {
    let mut id = String::new();
    for c in title.trim().to_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' => id.push(c),
            'æ' => id.push_str("ae"),
            'ø' => id.push_str("oe"),
            'å' => id.push_str("aa"),
            _ if !id.ends_with('-') && !id.is_empty() => id.push('-'),
            _ => {}
        }
    }
    let id: String = id.trim_end_matches('-').chars().take(60).collect();
    if id.is_empty() {
        "mit-saet".to_string()
    } else {
        id
    }
}

/// `base`, or `base-2`, `base-3`, … — the first not in `taken`.
pub fn unique_id(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|id| id == base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken.iter().any(|taken| taken == id))
        .expect("a free id")
}

fn question_ids(draft: &SetDraft) -> Vec<String> {
    draft.questions.iter().map(|q| q.id.clone()).collect()
}

/// Adds an empty question of `kind`, with the labels a question of that kind usually has.
pub fn add_question(draft: &mut SetDraft, kind: KindName) {
    let t = EditorTexts::of(draft.language);
    let id = unique_id(
        &format!("spm-{}", draft.questions.len() + 1),
        &question_ids(draft),
    );
    let mut question = QuestionDraft::new(id, kind);
    match kind {
        KindName::Choice => question.options = t.yes_no.iter().map(|s| s.to_string()).collect(),
        KindName::Scale => question.options = t.scale.iter().map(|s| s.to_string()).collect(),
        KindName::Number => {
            question.min = Some(0);
            question.max = Some(20);
        }
        KindName::Percent => {}
    }
    draft.questions.push(question);
}

/// *Tilføj spørgsmålspar*: the own question (yes/no, sensitive, "Vil ikke svare") and its
/// perceived partner (a percent estimate of the share answering yes, "Ved ikke"), made
/// together so the pair is right from the start.
pub fn add_pair(draft: &mut SetDraft) {
    let t = EditorTexts::of(draft.language);
    let ids = question_ids(draft);
    let n = draft.questions.len() / 2 + 1;
    let own_id = unique_id(&format!("emne-{n}-egen"), &ids);
    let guess_id = unique_id(&format!("emne-{n}-gaet"), &ids);
    let mut own = QuestionDraft::new(own_id.clone(), KindName::Choice);
    own.options = t.yes_no.iter().map(|s| s.to_string()).collect();
    own.abstain = vec![t.wont_answer.to_string()];
    own.sensitive = true;
    let mut guess = QuestionDraft::new(guess_id, KindName::Percent);
    guess.abstain = vec![t.dont_know.to_string()];
    guess.perceives = Some(PerceivesDraft {
        set: String::new(),
        question: own_id,
        options: vec![0],
    });
    draft.questions.push(own);
    draft.questions.push(guess);
}

/// The perceived question's wording suggested from its partner's: "Har du prøvet snus?"
/// → "Hvor mange procent af eleverne i din klasse tror du har prøvet snus?". A question
/// that does not start with a verb and "du"/"you" gets a general wording.
pub fn suggested_wording(own: &str, audience: Audience, lang: Language) -> String {
    let own = own.trim().trim_end_matches('?').trim();
    let mut words = own.splitn(3, ' ');
    let (verb, pronoun, rest) = (words.next(), words.next(), words.next());
    match lang {
        Language::Da => {
            let who = match audience {
                Audience::Pupils => "eleverne i din klasse",
                Audience::Parents => "eleverne i dit barns klasse",
            };
            match (verb, pronoun, rest) {
                (Some(verb), Some(pronoun), Some(rest)) if pronoun.eq_ignore_ascii_case("du") => {
                    format!(
                        "Hvor mange procent af {who} tror du {} {rest}?",
                        verb.to_lowercase()
                    )
                }
                _ if own.is_empty() => String::new(),
                _ => format!("Hvor mange procent af {who} tror du svarer ja til: {own}?"),
            }
        }
        Language::En => {
            let who = match audience {
                Audience::Pupils => "the pupils in your class",
                Audience::Parents => "the pupils in your child's class",
            };
            match (verb, pronoun, rest) {
                (Some(verb), Some(pronoun), Some(rest)) if pronoun.eq_ignore_ascii_case("you") => {
                    let verb = verb.to_lowercase();
                    let verb = match verb.as_str() {
                        "do" => String::new(),
                        "are" => "are ".to_string(),
                        "have" => "have ".to_string(),
                        _ => format!("{verb} "),
                    };
                    format!("What percentage of {who} do you think {verb}{rest}?")
                }
                _ if own.is_empty() => String::new(),
                _ => format!("What percentage of {who} do you think answer yes to: {own}?"),
            }
        }
    }
}

/// Sets the text field at `path` (as the server's problems name fields) to `value`.
/// Returns whether the path named a field. A perceived question whose text is still the
/// suggestion (or empty) follows its partner's wording.
pub fn set_field(draft: &mut SetDraft, path: &str, value: &str) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["id"] => draft.id = value.trim().to_string(),
        ["title"] => draft.title = value.to_string(),
        ["facilitator_note"] => draft.facilitator_note = value.to_string(),
        ["language"] => draft.language = Language::from_code(value),
        ["audience"] => {
            draft.audience = if value == "parents" {
                Audience::Parents
            } else {
                Audience::Pupils
            }
        }
        ["min_answers"] => draft.min_answers = value.trim().parse().ok(),
        ["grades", j] => return set_item(&mut draft.grades, j, value),
        ["questions", i, rest @ ..] => {
            let Some(i) = i
                .parse::<usize>()
                .ok()
                .filter(|&i| i < draft.questions.len())
            else {
                return false;
            };
            let before = draft.questions[i].text.clone();
            let (audience, lang) = (draft.audience, draft.language);
            let question = &mut draft.questions[i];
            match rest {
                // Partners follow a rename through `OpenSet::set_field`.
                ["id"] => question.id = value.trim().to_string(),
                ["text"] => question.text = value.to_string(),
                ["note"] => question.note = value.to_string(),
                ["unit"] => question.unit = value.to_string(),
                ["min"] => question.min = value.trim().parse().ok(),
                ["max"] => question.max = value.trim().parse().ok(),
                ["kind"] => {
                    let Some(kind) = KindName::from_code(value) else {
                        return false;
                    };
                    question.kind = kind;
                    if kind.has_options() && question.options.is_empty() {
                        let t = EditorTexts::of(lang);
                        let labels: &[&str] = if kind == KindName::Scale {
                            t.scale
                        } else {
                            t.yes_no
                        };
                        question.options = labels.iter().map(|s| s.to_string()).collect();
                    }
                    if kind == KindName::Number && question.min.is_none() && question.max.is_none()
                    {
                        question.min = Some(0);
                        question.max = Some(20);
                    }
                }
                ["options", j] => return set_item(&mut question.options, j, value),
                ["abstain", j] => return set_item(&mut question.abstain, j, value),
                _ => return false,
            }
            if rest == ["text"] {
                follow_wording(draft, i, &before, audience, lang);
            }
        }
        _ => return false,
    }
    true
}

fn set_item(items: &mut [String], index: &str, value: &str) -> bool {
    match index.parse::<usize>().ok().and_then(|j| items.get_mut(j)) {
        Some(item) => {
            *item = value.to_string();
            true
        }
        None => false,
    }
}

/// After question `i`'s text changed from `before`: a percent question perceiving it
/// whose text is empty or still the suggestion for `before` gets the new suggestion.
fn follow_wording(
    draft: &mut SetDraft,
    i: usize,
    before: &str,
    audience: Audience,
    lang: Language,
) {
    let own_id = draft.questions[i].id.clone();
    let old_suggestion = suggested_wording(before, audience, lang);
    let new_suggestion = suggested_wording(&draft.questions[i].text, audience, lang);
    for question in &mut draft.questions {
        let perceives_own = question
            .perceives
            .as_ref()
            .is_some_and(|p| p.set.is_empty() && p.question == own_id);
        if perceives_own
            && question.kind == KindName::Percent
            && (question.text.trim().is_empty() || question.text == old_suggestion)
        {
            question.text = new_suggestion.clone();
        }
    }
}

/// A structural edit of the set, named as the page's buttons name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    AddQuestion(KindName),
    AddPair,
    Remove(usize),
    /// Moves question `.0` one place up (`-1`) or down (`1`).
    Move(usize, i32),
    AddOption(usize),
    RemoveOption(usize, usize),
    AddAbstain(usize),
    RemoveAbstain(usize, usize),
    AddGrade,
    RemoveGrade(usize),
    SetSensitive(usize, bool),
    /// Question `.0` perceives `(set, question)`, or nothing.
    SetPartner(usize, Option<(String, String)>),
    /// Question `.0` estimates the share of partner option `.1`: on or off.
    SetPartnerOption(usize, u32, bool),
    Cite(usize, String),
    Uncite(usize, usize),
}

/// Applies an edit; `false` when it names nothing (a stale index).
pub fn apply(draft: &mut SetDraft, edit: Edit) -> bool {
    let n = draft.questions.len();
    match edit {
        Edit::AddQuestion(kind) => add_question(draft, kind),
        Edit::AddPair => add_pair(draft),
        // A question perceiving the removed one keeps pointing at it, so the checker says
        // at that question that its partner is gone (the person picks another, or none).
        Edit::Remove(i) if i < n => {
            draft.questions.remove(i);
        }
        Edit::Move(i, delta) => {
            let Some(j) = i.checked_add_signed(delta as isize).filter(|&j| j < n) else {
                return false;
            };
            if i >= n {
                return false;
            }
            draft.questions.swap(i, j);
        }
        Edit::AddOption(i) => match draft.questions.get_mut(i) {
            Some(q) => q.options.push(String::new()),
            None => return false,
        },
        Edit::RemoveOption(i, j) => match draft.questions.get_mut(i) {
            Some(q) if j < q.options.len() => {
                q.options.remove(j);
            }
            _ => return false,
        },
        Edit::AddAbstain(i) => match draft.questions.get_mut(i) {
            Some(q) => q.abstain.push(String::new()),
            None => return false,
        },
        Edit::RemoveAbstain(i, j) => match draft.questions.get_mut(i) {
            Some(q) if j < q.abstain.len() => {
                q.abstain.remove(j);
            }
            _ => return false,
        },
        Edit::AddGrade => draft.grades.push(String::new()),
        Edit::RemoveGrade(j) if j < draft.grades.len() => {
            draft.grades.remove(j);
        }
        Edit::SetSensitive(i, on) => match draft.questions.get_mut(i) {
            Some(q) => q.sensitive = on,
            None => return false,
        },
        Edit::SetPartner(i, partner) => match draft.questions.get_mut(i) {
            Some(q) => {
                q.perceives = partner.map(|(set, question)| PerceivesDraft {
                    set,
                    question,
                    // A percent estimate starts with the first option ("Ja").
                    options: if q.kind == KindName::Percent {
                        vec![0]
                    } else {
                        Vec::new()
                    },
                });
            }
            None => return false,
        },
        Edit::SetPartnerOption(i, option, on) => {
            match draft
                .questions
                .get_mut(i)
                .and_then(|q| q.perceives.as_mut())
            {
                Some(perceives) => {
                    perceives.options.retain(|&o| o != option);
                    if on {
                        perceives.options.push(option);
                        perceives.options.sort_unstable();
                    }
                }
                None => return false,
            }
        }
        Edit::Cite(i, id) => match draft.questions.get_mut(i) {
            Some(q) if !q.references.contains(&id) => q.references.push(id),
            _ => return false,
        },
        Edit::Uncite(i, j) => match draft.questions.get_mut(i) {
            Some(q) if j < q.references.len() => {
                q.references.remove(j);
            }
            _ => return false,
        },
        Edit::Remove(_) | Edit::RemoveGrade(_) => return false,
    }
    true
}

/// Whether `partner` can be perceived by `question` (the pair rules of
/// `docs/question-sets.md`): a percent estimate perceives a choice or scale question, a
/// number a number, a choice or scale question one of its kind with as many options.
pub fn fits_as_partner(question: &QuestionDraft, partner: &QuestionDraft) -> bool {
    match (question.kind, partner.kind) {
        (KindName::Percent, KindName::Choice | KindName::Scale) => true,
        (KindName::Number, KindName::Number) => true,
        (KindName::Choice, KindName::Choice) | (KindName::Scale, KindName::Scale) => {
            question.options.len() == partner.options.len()
        }
        _ => false,
    }
}

/// The questions question `i` may perceive: the other questions of its set that fit, and
/// for a parents' set the pupils' sets' questions that fit. Each as `(set, question id,
/// label)`; `set` is empty for this set. A pupils' set is named by its title, and by its
/// id too when another set has the same title.
pub fn partner_choices(
    draft: &SetDraft,
    i: usize,
    pupil_sets: &[SetDraft],
) -> Vec<(String, String, String)> {
    let Some(question) = draft.questions.get(i) else {
        return Vec::new();
    };
    let mut choices: Vec<(String, String, String)> = draft
        .questions
        .iter()
        .enumerate()
        .filter(|&(j, q)| j != i && fits_as_partner(question, q))
        .map(|(j, q)| (String::new(), q.id.clone(), partner_label(j, q)))
        .collect();
    if draft.audience == Audience::Parents {
        let pupils: Vec<&SetDraft> = pupil_sets
            .iter()
            .filter(|s| s.audience == Audience::Pupils && s.id != draft.id)
            .collect();
        for set in &pupils {
            let name = if pupils
                .iter()
                .filter(|other| other.title == set.title)
                .count()
                > 1
            {
                format!("{} ({})", set.title, set.id)
            } else {
                set.title.clone()
            };
            choices.extend(
                set.questions
                    .iter()
                    .filter(|q| fits_as_partner(question, q))
                    .map(|q| {
                        (
                            set.id.clone(),
                            q.id.clone(),
                            format!("{name}: {}", short(&q.text)),
                        )
                    }),
            );
        }
    }
    choices
}

/// How a question of this set is named in the partner list: "3. Har du …".
pub fn partner_label(index: usize, question: &QuestionDraft) -> String {
    format!("{}. {}", index + 1, short(&question.text))
}

/// The partner question a perceiving question names, from this set or a pupils' set.
pub fn partner<'a>(
    draft: &'a SetDraft,
    perceives: &PerceivesDraft,
    pupil_sets: &'a [SetDraft],
) -> Option<&'a QuestionDraft> {
    let questions = if perceives.set.is_empty() || perceives.set == draft.id {
        &draft.questions
    } else {
        &pupil_sets.iter().find(|s| s.id == perceives.set)?.questions
    };
    questions.iter().find(|q| q.id == perceives.question)
}

/// A question's text cut to a line for a list.
pub fn short(text: &str) -> String {
    const MAX: usize = 70;
    let text = text.trim();
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

/// A national figure as the picker shows it: value, what it measures, population, year
/// and source.
pub fn reference_label(reference: &ReferenceEntry, lang: Language) -> String {
    format!(
        "{} {} {} — {}, {} ({})",
        lang.decimal(reference.value),
        reference.unit,
        reference.measures,
        reference.population,
        reference.year,
        reference.survey
    )
}
