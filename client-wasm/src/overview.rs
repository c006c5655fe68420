//! The console's *Overblik* as plain data (issue 17): the period and filters the person
//! chose, the request they make (`GET /api/overview`), and the server's figures written
//! out as the page shows them — in the console's language, with the number notation of
//! that language. No DOM and no network, so it is tested natively (`overview/tests.rs`);
//! `web/overview.rs` draws it. Every figure is computed by the server (`pejling-core`'s
//! `overview`); this only writes it.

use pejling_wire::{
    Language, LeftOut, LeftOutReason, Overview, OverviewPair, OverviewQuery, PairKind, PatternName,
    Reach,
};

pub mod exchange;
mod texts;
pub use exchange::ExchangeModel;
pub use texts::OverviewTexts;

#[cfg(test)]
mod tests;

/// The overview page: what is asked, and what came back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OverviewModel {
    /// The period and filters as the form shows them.
    pub query: OverviewQuery,
    /// The last answer, for the query it answered.
    pub data: Option<Overview>,
    /// A request is on its way.
    pub loading: bool,
    /// The last request failed.
    pub failed: bool,
    /// The period report's download (*Hent periodeopgørelse*).
    pub report: ReportStatus,
    /// Sharing with the coordinator and importing other computers' files.
    pub exchange: ExchangeModel,
}

/// Where the period report's download is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportStatus {
    #[default]
    Idle,
    /// Asked for; the button waits.
    Fetching,
    /// The server did not give it (the page says so).
    Failed,
}

/// A day, as the browser's clock gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// Quick choices of period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// From 1 August to 31 July, the school year `today` is in.
    ThisSchoolYear,
    /// The school year before.
    LastSchoolYear,
    /// Every session stored.
    All,
}

impl Period {
    pub fn code(self) -> &'static str {
        match self {
            Period::ThisSchoolYear => "this-year",
            Period::LastSchoolYear => "last-year",
            Period::All => "all",
        }
    }

    pub fn from_code(code: &str) -> Option<Period> {
        [Period::ThisSchoolYear, Period::LastSchoolYear, Period::All]
            .into_iter()
            .find(|period| period.code() == code)
    }
}

impl OverviewModel {
    /// The overview of the school year `today` is in.
    pub fn new(today: Day) -> OverviewModel {
        let mut model = OverviewModel::default();
        model.choose_period(Period::ThisSchoolYear, today);
        model
    }

    /// Sets the period to a quick choice.
    pub fn choose_period(&mut self, period: Period, today: Day) {
        // The school year starts on 1 August.
        let start = if today.month >= 8 {
            today.year
        } else {
            today.year - 1
        };
        let (from, to) = match period {
            Period::ThisSchoolYear => (start, start + 1),
            Period::LastSchoolYear => (start - 1, start),
            Period::All => {
                self.query.from = None;
                self.query.to = None;
                return;
            }
        };
        self.query.from = Some(format!("{from:04}-08-01"));
        self.query.to = Some(format!("{to:04}-07-31"));
    }

    /// A field of the form changed (`from`, `to`, `school`, `grade`, `set`); returns
    /// whether the query changed. An empty value is no limit; a date must be a whole
    /// date (`YYYY-MM-DD`, what a date field gives) or empty.
    pub fn set_field(&mut self, field: &str, value: &str) -> bool {
        let value = Some(value.trim().to_string()).filter(|v| !v.is_empty());
        let slot = match field {
            "from" => &mut self.query.from,
            "to" => &mut self.query.to,
            "school" => &mut self.query.school,
            "grade" => &mut self.query.grade,
            "set" => &mut self.query.set,
            _ => return false,
        };
        if matches!(field, "from" | "to") && value.as_deref().is_some_and(|v| !is_date(v)) {
            return false;
        }
        let changed = *slot != value;
        *slot = value;
        changed
    }

    /// The request for the current query.
    pub fn path(&self) -> String {
        let q = &self.query;
        let params: Vec<String> = [
            ("from", &q.from),
            ("to", &q.to),
            ("school", &q.school),
            ("grade", &q.grade),
            ("set", &q.set),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some(format!("{name}={}", encode(value.as_deref()?))))
        .collect();
        if params.is_empty() {
            "/api/overview".to_string()
        } else {
            format!("/api/overview?{}", params.join("&"))
        }
    }

    /// The period report of the current query, in `lang`: the route and the file name
    /// it is saved under (the name the server gives it too).
    pub fn report_request(&self, lang: Language) -> (String, String) {
        let path = self.path();
        let separator = if path.contains('?') { '&' } else { '?' };
        let path = path.replacen("/api/overview", "/api/overview/report.html", 1);
        (
            format!("{path}{separator}lang={}", lang.code()),
            self.query.report_file_name(lang),
        )
    }

    /// A request is sent.
    pub fn requested(&mut self) {
        self.loading = true;
        self.failed = false;
        // A failed report download is not the new query's.
        if self.report == ReportStatus::Failed {
            self.report = ReportStatus::Idle;
        }
    }

    /// The answer to a request came (or `None`: it failed). An answer for another query
    /// than the one now chosen (the person changed a field meanwhile) is dropped; the
    /// newer request's answer follows.
    pub fn loaded(&mut self, overview: Option<Overview>, asked: &OverviewQuery) -> bool {
        if asked != &self.query {
            return false;
        }
        self.loading = false;
        self.failed = overview.is_none();
        if overview.is_some() {
            self.data = overview;
        }
        true
    }
}

/// `YYYY-MM-DD`.
fn is_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// Percent-encodes a query value (UTF-8, everything but unreserved characters).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub use pejling_wire::date_text;

/// One row of a reach table, as shown: the row's name and its counts.
pub fn reach_cells(reach: &Reach, name: String) -> [String; 7] {
    [
        name,
        reach.sessions.to_string(),
        reach.classes.to_string(),
        reach.pupils.to_string(),
        reach.parent_sessions.to_string(),
        reach.parents.to_string(),
        reach.answers.to_string(),
    ]
}

/// The reach tables: per month and per school, each row named, then the total.
pub fn reach_tables(overview: &Overview, lang: Language) -> (Vec<[String; 7]>, Vec<[String; 7]>) {
    let t = OverviewTexts::of(lang);
    let months = overview
        .by_month
        .iter()
        .map(|r| reach_cells(r, t.labels.month(&r.key)))
        .collect();
    let schools = overview
        .by_school
        .iter()
        .map(|r| {
            let name = if r.key.is_empty() {
                t.labels.no_school.to_string()
            } else {
                r.key.clone()
            };
            reach_cells(r, name)
        })
        .collect();
    (months, schools)
}

/// The reach per origin ("Pr. afsender"), each row named: this computer's first, then
/// each computer's the sessions were imported from. Empty when nothing is imported.
pub fn origin_rows(overview: &Overview, lang: Language) -> Vec<[String; 7]> {
    let labels = OverviewTexts::of(lang).labels;
    overview
        .by_origin
        .iter()
        .map(|r| reach_cells(r, labels.origin(&r.key).to_string()))
        .collect()
}

/// One pair as the page writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PairView {
    /// The own question.
    pub question: String,
    /// "Gæt: «Hvor mange procent …?»" and what is counted.
    pub perceived: String,
    /// The classes pooled: "3 klasser: 7.a, Nordskolen (02.03.2027), …".
    pub classes: String,
    /// The figures in reading order: (what, value) — actual, guesses, national.
    pub figures: Vec<(String, String)>,
    /// The pool's pattern, or why there is none.
    pub verdict: String,
    /// The classes' gaps: least, median, largest.
    pub spread: Option<String>,
    /// How many classes showed each pattern.
    pub patterns: Option<String>,
    /// The classes left out, by reason.
    pub left_out: Vec<String>,
}

/// A value in a pair's unit: "26,3 %", "14,4 år", "2,3".
fn value_text(pair: &OverviewPair, value: f64, lang: Language) -> String {
    match pair.kind {
        PairKind::Percent => format!("{} %", lang.decimal(value)),
        PairKind::Number => match &pair.unit {
            Some(unit) => format!("{} {unit}", lang.decimal(value)),
            None => lang.decimal(value),
        },
        PairKind::Scale => lang.decimal(value),
    }
}

/// A gap with its sign and unit: "+19,2 procentpoint", "−1,6 år", "+0,4 point".
pub fn gap_text(pair: &OverviewPair, gap: f64, lang: Language) -> String {
    format!("{} {}", signed(gap, lang), unit(pair, lang))
        .trim_end()
        .to_string()
}

/// A number with its sign, rounded to one decimal: "+19,2", "−1,6", "0".
fn signed(value: f64, lang: Language) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    let sign = if rounded > 0.0 {
        "+"
    } else if rounded < 0.0 {
        "−"
    } else {
        ""
    };
    format!("{sign}{}", lang.decimal(rounded.abs()))
}

/// The unit of a pair's gaps.
fn unit(pair: &OverviewPair, lang: Language) -> String {
    let t = OverviewTexts::of(lang);
    match pair.kind {
        PairKind::Percent => t.labels.points_pp.to_string(),
        PairKind::Number => pair.unit.clone().unwrap_or_default(),
        PairKind::Scale => t.labels.points_scale.to_string(),
    }
}

pub fn pattern_text(pattern: PatternName, lang: Language) -> &'static str {
    let t = OverviewTexts::of(lang);
    match pattern {
        PatternName::Overdrivelse => t.pattern_over,
        PatternName::Flertalsmisforstaaelse => t.pattern_majority,
        PatternName::Underdrivelse => t.pattern_under,
        PatternName::Overensstemmelse => t.pattern_agreement,
        PatternName::Uklar => t.pattern_unclear,
    }
}

/// "1 klasse", "3 klasser".
pub fn classes_text(n: usize, lang: Language) -> String {
    let t = OverviewTexts::of(lang);
    format!(
        "{n} {}",
        if n == 1 {
            t.labels.class
        } else {
            t.labels.classes
        }
    )
}

fn named(name: &str, date: &str, origin: &Option<String>, lang: Language) -> String {
    OverviewTexts::of(lang)
        .labels
        .class(name, date, origin.as_deref(), lang)
}

/// Writes one pair out.
pub fn pair_view(pair: &OverviewPair, min_answers: u32, lang: Language) -> PairView {
    let t = OverviewTexts::of(lang);
    let counted = if pair.options.is_empty() {
        String::new()
    } else {
        format!(
            " ({} «{}»)",
            t.share_answering,
            pair.options.join(&format!("» {} «", t.labels.or))
        )
    };
    let mut figures = Vec::new();
    match &pair.pooled {
        Some(pooled) => {
            figures.push((
                format!("{}{counted}", t.labels.actual),
                format!(
                    "{} ({} {})",
                    value_text(pair, pooled.actual, lang),
                    pooled.actual_answers,
                    t.labels.answers
                ),
            ));
            figures.push((
                t.labels.guessed.to_string(),
                format!(
                    "{} ({} {})",
                    value_text(pair, pooled.guessed, lang),
                    pooled.guessed_answers,
                    t.labels.guesses
                ),
            ));
        }
        None => {
            figures.push((
                format!("{}{counted}", t.labels.actual),
                t.labels.too_few.replace("{n}", &min_answers.to_string()),
            ));
        }
    }
    for national in &pair.national {
        let value = if national.unit == "%" {
            format!("{} %", lang.decimal(national.value))
        } else {
            format!("{} {}", lang.decimal(national.value), national.unit)
        };
        figures.push((
            format!(
                "{}: {}, {}",
                t.labels.national, national.population, national.year
            ),
            format!("{value} — {} ({})", national.measures, national.source),
        ));
    }
    let verdict = match &pair.pooled {
        Some(pooled) => {
            let gap = format!("{}: {}", t.gap, gap_text(pair, pooled.gap, lang));
            match pooled.pattern {
                Some(pattern) => format!("{} · {gap}", pattern_text(pattern, lang)),
                None => gap,
            }
        }
        None => t.labels.no_pool.to_string(),
    };
    let spread = pair.gaps.as_ref().map(|s| {
        if pair.classes.len() == 1 {
            gap_text(pair, s.min, lang)
        } else {
            t.labels
                .spread
                .replace("{min}", &signed(s.min, lang))
                .replace("{median}", &signed(s.median, lang))
                .replace("{max}", &signed(s.max, lang))
                .replace("{unit}", &unit(pair, lang))
        }
    });
    let patterns = (!pair.patterns.is_empty()).then(|| {
        pair.patterns
            .iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    pattern_text(p.pattern, lang),
                    classes_text(p.classes as usize, lang)
                )
            })
            .collect::<Vec<_>>()
            .join(" · ")
    });
    let classes = if pair.classes.is_empty() {
        t.labels.no_classes.to_string()
    } else {
        format!(
            "{}: {}",
            classes_text(pair.classes.len(), lang),
            pair.classes
                .iter()
                .map(|c| named(&c.name, &c.date, &c.origin, lang))
                .collect::<Vec<_>>()
                // Names hold commas ("7.a, Nordskolen").
                .join("; ")
        )
    };
    PairView {
        question: pair.question.clone(),
        perceived: format!("{}: «{}»", t.labels.guess_question, pair.perceived),
        classes,
        figures,
        verdict,
        spread,
        patterns,
        left_out: left_out_lines(&pair.left_out, min_answers, lang),
    }
}

/// The classes left out, one line per reason.
fn left_out_lines(left_out: &[LeftOut], min_answers: u32, lang: Language) -> Vec<String> {
    let t = OverviewTexts::of(lang);
    [
        (
            LeftOutReason::TooFew,
            t.left_out_too_few.replace("{n}", &min_answers.to_string()),
        ),
        (LeftOutReason::Changed, t.left_out_changed.to_string()),
    ]
    .into_iter()
    .filter_map(|(reason, text)| {
        let names: Vec<String> = left_out
            .iter()
            .filter(|l| l.reason == reason)
            .map(|l| named(&l.name, &l.date, &l.origin, lang))
            .collect();
        (!names.is_empty()).then(|| format!("{text}: {}", names.join("; ")))
    })
    .collect()
}

/// The period in words: "01.08.2026 – 31.07.2027", "fra 01.08.2026", "alle sessioner".
pub fn period_text(query: &OverviewQuery, lang: Language) -> String {
    let t = OverviewTexts::of(lang);
    match (&query.from, &query.to) {
        (Some(from), Some(to)) => format!("{} – {}", date_text(from, lang), date_text(to, lang)),
        (Some(from), None) => format!("{} {}", t.labels.from_word, date_text(from, lang)),
        (None, Some(to)) => format!("{} {}", t.labels.to_word, date_text(to, lang)),
        (None, None) => t.all_sessions.to_string(),
    }
}
