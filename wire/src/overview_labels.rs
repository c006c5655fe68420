//! Labels the console's *Overblik* and the printable period report both show, so the
//! two never name a figure differently (the wording is shared like `Language::decimal`).

use crate::Language;

/// Labels of the overview, in one language.
#[derive(Debug)]
pub struct OverviewLabels {
    pub actual: &'static str,
    pub answers: &'static str,
    pub by_month: &'static str,
    /// The reach per origin, when sessions are imported from other computers.
    pub by_origin: &'static str,
    pub by_school: &'static str,
    pub class: &'static str,
    pub classes: &'static str,
    /// Sessions, classes, pupils, parent evenings, parents, answers.
    pub columns: [&'static str; 6],
    pub follow_ups_heading: &'static str,
    pub from_word: &'static str,
    pub grade: &'static str,
    pub guess_question: &'static str,
    pub guessed: &'static str,
    pub guesses: &'static str,
    pub month_column: &'static str,
    pub months: [&'static str; 12],
    pub national: &'static str,
    pub no_classes: &'static str,
    pub no_pairs: &'static str,
    pub no_pool: &'static str,
    pub no_school: &'static str,
    pub nothing: &'static str,
    pub or: &'static str,
    pub origin_column: &'static str,
    /// `{origin}`: who exported an imported session.
    pub origin_mark: &'static str,
    pub patterns_label: &'static str,
    pub period: &'static str,
    pub points_pp: &'static str,
    pub points_scale: &'static str,
    pub pooled_pattern: &'static str,
    pub questions_heading: &'static str,
    pub school: &'static str,
    pub school_column: &'static str,
    pub set: &'static str,
    /// The origin row of this computer's own sessions.
    pub this_computer: &'static str,
    /// `{min}`, `{median}`, `{max}` and their `{unit}`.
    pub spread: &'static str,
    pub to_word: &'static str,
    /// `{n}`: the minimum.
    pub too_few: &'static str,
    pub total: &'static str,
}

impl OverviewLabels {
    pub fn of(language: Language) -> &'static OverviewLabels {
        match language {
            Language::Da => &OVERVIEW_LABELS_DA,
            Language::En => &OVERVIEW_LABELS_EN,
        }
    }

    /// A month `YYYY-MM` as people say it: "marts 2027", "March 2027".
    pub fn month(&self, month: &str) -> String {
        match month.split_once('-') {
            Some((year, number)) => match number.parse::<usize>() {
                Ok(n @ 1..=12) => format!("{} {year}", self.months[n - 1]),
                _ => month.to_string(),
            },
            None => month.to_string(),
        }
    }

    /// A class as the overview names it: "7.a, Nordskolen (02.03.2027)", and for a
    /// session imported from another computer "7.a, Nordskolen (02.03.2027 · fra Anna)".
    pub fn class(&self, name: &str, date: &str, origin: Option<&str>, lang: Language) -> String {
        let date = date_text(date, lang);
        match origin {
            Some(origin) => format!(
                "{name} ({date} · {})",
                self.origin_mark.replace("{origin}", origin)
            ),
            None => format!("{name} ({date})"),
        }
    }

    /// A row of the reach per origin: this computer's, or the origin as written.
    pub fn origin<'a>(&'a self, key: &'a str) -> &'a str {
        if key.is_empty() {
            self.this_computer
        } else {
            key
        }
    }
}

/// A day `YYYY-MM-DD` as people write it: "02.03.2027" in Danish, as it is in English.
pub fn date_text(date: &str, lang: Language) -> String {
    match (lang, date.split('-').collect::<Vec<_>>().as_slice()) {
        (Language::Da, [year, month, day]) => format!("{day}.{month}.{year}"),
        _ => date.to_string(),
    }
}

pub static OVERVIEW_LABELS_DA: OverviewLabels = OverviewLabels {
    actual: "Faktisk",
    answers: "svar",
    by_month: "Pr. måned",
    by_origin: "Pr. afsender",
    by_school: "Pr. skole",
    class: "klasse",
    classes: "klasser",
    columns: [
        "Elevsessioner",
        "Klasser",
        "Elever",
        "Forældremøder",
        "Forældre",
        "Svar",
    ],
    follow_ups_heading: "Opfølgninger",
    from_word: "fra",
    grade: "Klassetrin",
    guess_question: "Gæt",
    guessed: "Gæt (gennemsnit)",
    guesses: "gæt",
    month_column: "Måned",
    months: [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ],
    national: "Landstal",
    no_classes: "Ingen klasser med svar nok",
    no_pairs: "Ingen klasser har svaret på sammenlignende spørgsmål i perioden.",
    no_pool: "Intet samlet tal: ingen klasse havde svar nok.",
    no_school: "Uden skole",
    nothing: "Ingen sessioner i perioden.",
    or: "eller",
    origin_column: "Afsender",
    origin_mark: "fra {origin}",
    patterns_label: "Klassernes mønster",
    period: "Periode",
    points_pp: "procentpoint",
    points_scale: "point på skalaen",
    pooled_pattern: "Alle klasser samlet",
    questions_heading: "Spørgsmålene på tværs af klasserne",
    school: "Skole",
    school_column: "Skole",
    set: "Spørgesæt",
    this_computer: "Denne computer",
    spread: "fra {min} til {max} {unit} (median {median})",
    to_word: "til",
    too_few: "for få svar (under {n})",
    total: "I alt",
};

pub static OVERVIEW_LABELS_EN: OverviewLabels = OverviewLabels {
    actual: "Actual",
    answers: "answers",
    by_month: "By month",
    by_origin: "By origin",
    by_school: "By school",
    class: "class",
    classes: "classes",
    columns: [
        "Pupil sessions",
        "Classes",
        "Pupils",
        "Parent evenings",
        "Parents",
        "Answers",
    ],
    follow_ups_heading: "Follow-ups",
    from_word: "from",
    grade: "Grade",
    guess_question: "Guess",
    guessed: "Guesses (mean)",
    guesses: "guesses",
    month_column: "Month",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    national: "National figure",
    no_classes: "No class with enough answers",
    no_pairs: "No class answered comparing questions in this period.",
    no_pool: "No pooled figure: no class had enough answers.",
    no_school: "No school",
    nothing: "No sessions in this period.",
    or: "or",
    origin_column: "From",
    origin_mark: "from {origin}",
    patterns_label: "The classes' patterns",
    period: "Period",
    points_pp: "percentage points",
    points_scale: "scale points",
    pooled_pattern: "All classes pooled",
    questions_heading: "The questions across the classes",
    school: "School",
    school_column: "School",
    set: "Question set",
    this_computer: "This computer",
    spread: "from {min} to {max} {unit} (median {median})",
    to_word: "to",
    too_few: "too few answers (under {n})",
    total: "Total",
};
