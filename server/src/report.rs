//! Reports of a stored session, built in memory: a self-contained printable HTML page
//! (inline SVG charts), a CSV of aggregates and the chart of each question — what a
//! municipality needs to document a session. Used by `pejling export` (which writes them
//! to files, `export.rs`) and by the facilitator console's download links.
//!
//! Aggregates only: counts, shares and means, each withheld below the anonymity
//! minimum; never an individual answer, a token or a participant key. HTML is written
//! with maud, which escapes every interpolated text.

use std::sync::Arc;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use pejling_wire::{Distribution, TallyResult};

use pejling_core::chart::{self, Chart};
use pejling_core::engine::{Engine, SessionRecord};
use pejling_core::pooling::groups_for;
use pejling_core::questions::{Language, Question, QuestionKind, QuestionSet};
use pejling_core::results::{Comparison, PairResult, Shown, Thresholds};

use crate::charts;

pub mod period;

/// How the CSV is written. The columns are the same either way (README, `pejling
/// export`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvStyle {
    /// For Danish Excel, which opens it with a double-click: semicolons between fields,
    /// decimal commas, and a UTF-8 byte-order mark so æøå come out right.
    #[default]
    Danish,
    /// For programs and other locales: commas, decimal points, no byte-order mark.
    International,
}

impl CsvStyle {
    fn delimiter(self) -> u8 {
        match self {
            CsvStyle::Danish => b';',
            CsvStyle::International => b',',
        }
    }

    /// A number written with a point (`45.00`), in this style's notation.
    fn decimal(self, text: String) -> String {
        match self {
            CsvStyle::Danish => text.replace('.', ","),
            CsvStyle::International => text,
        }
    }

    fn preamble(self) -> &'static str {
        match self {
            CsvStyle::Danish => "\u{FEFF}",
            CsvStyle::International => "",
        }
    }
}

/// A session that must not be exported, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotExported {
    #[error(
        "\"{0}\" is a rehearsal with simulated pupils (Øv med 25 elever); rehearsals are never exported"
    )]
    Rehearsal(String),
}

/// Whether a stored session may be exported: rehearsals, whose answers are simulated,
/// are not (for every export: `pejling export`, the console's downloads).
pub fn exportable(stored: &SessionRecord) -> Result<(), NotExported> {
    if stored.meta.rehearsal {
        return Err(NotExported::Rehearsal(stored.meta.name()));
    }
    Ok(())
}

/// One question's aggregates.
pub struct QuestionReport {
    pub question: Question,
    /// Answers stored, abstentions included.
    pub answered: u32,
    /// The distribution, or why it is withheld.
    pub result: Shown<TallyResult>,
    /// The comparison, for a question that perceives another, with the actual question
    /// (from this set or, for parents, as the linked pupil sessions used it).
    pub pair: Option<PairResult>,
    pub actual: Option<Question>,
    /// All counts of the question, hidden from nobody: for a pair, the guesses drawn as
    /// the projector's strip (which applies the minimum itself).
    pub counts: TallyResult,
}

pub struct SessionReport {
    pub session_id: String,
    pub code: String,
    pub label: Option<String>,
    /// School, grade, class and term, as stored (each optional).
    pub description: pejling_wire::Description,
    /// What people call the session: its label, else its class and school, else its
    /// join code.
    pub name: String,
    /// `YYYY-MM-DD HH:MM UTC` (the CSV's, and the file name's date).
    pub created: String,
    /// When, in the time zone the report is made for, as people write it:
    /// `18.11.2026 kl. 12:06 (CET)`.
    pub created_local: String,
    pub set: Arc<QuestionSet>,
    pub participants: usize,
    pub thresholds: Thresholds,
    pub questions: Vec<QuestionReport>,
    /// A follow-up: the earlier session of the class and each pair before and after.
    pub follow_up: Option<FollowUpReport>,
}

/// The earlier session a follow-up compares with, and each pair both asked.
pub struct FollowUpReport {
    pub earlier_name: String,
    /// When the earlier session was held, as `created_local` is written.
    pub earlier_local: String,
    pub pairs: Vec<pejling_core::followup::PairFollowUp>,
}

/// A moment as people write it in the set's language: `18.11.2026 kl. 12:06 (CET)`.
fn local_moment(unix: i64, language: Language, time_zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_second(unix)
        .map(|moment| {
            let local = moment.to_zoned(time_zone.clone());
            match language {
                Language::Da => local.strftime("%d.%m.%Y kl. %H:%M (%Z)").to_string(),
                Language::En => local.strftime("%Y-%m-%d %H:%M (%Z)").to_string(),
            }
        })
        .unwrap_or_default()
}

impl SessionReport {
    /// Adds the follow-up figures: `after` is this report's session, `before` the
    /// earlier one it follows up (`followup.rs`); times in `time_zone`.
    pub fn with_follow_up(
        mut self,
        before: &SessionRecord,
        after: &SessionRecord,
        time_zone: &jiff::tz::TimeZone,
    ) -> SessionReport {
        self.follow_up = Some(FollowUpReport {
            earlier_name: before.meta.name(),
            earlier_local: local_moment(before.meta.created_at, self.language(), time_zone),
            pairs: {
                use pejling_core::followup::{Asked, follow_ups, tallies_of};
                let (was, now) = (tallies_of(before), tallies_of(after));
                follow_ups(
                    Asked {
                        set: &before.set,
                        tallies: &was,
                    },
                    Asked {
                        set: &after.set,
                        tallies: &now,
                    },
                    &self.thresholds,
                )
            },
        });
        self
    }

    /// Builds the report of a stored session. `thresholds` are the server's; the set's
    /// own `min_answers` takes precedence, as in the live session.
    /// `linked`: for a parents' session, the linked pupil sessions.
    /// Times are in the computer's time zone.
    pub fn new(
        stored: SessionRecord,
        linked: Vec<SessionRecord>,
        thresholds: Thresholds,
    ) -> SessionReport {
        Self::new_in(stored, linked, thresholds, &jiff::tz::TimeZone::system())
    }

    /// As [`SessionReport::new`], with times in `time_zone`.
    pub fn new_in(
        stored: SessionRecord,
        linked: Vec<SessionRecord>,
        thresholds: Thresholds,
        time_zone: &jiff::tz::TimeZone,
    ) -> SessionReport {
        let created_local = local_moment(stored.meta.created_at, stored.set.language, time_zone);
        let created = time::OffsetDateTime::from_unix_timestamp(stored.meta.created_at)
            .ok()
            .and_then(|t| {
                t.format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute] UTC"
                ))
                .ok()
            })
            .unwrap_or_default();
        let meta = stored.meta.clone();
        let linked = groups_for(&stored.set, linked);
        let mut engine = Engine::from_record(stored);
        engine.set_thresholds(thresholds);
        engine.set_linked(linked);
        let thresholds = *engine.thresholds();
        let set = engine.set().clone();
        let questions = set
            .questions
            .iter()
            .enumerate()
            .map(|(idx, question)| {
                let result = engine.shown_counts(idx);
                let (pair, actual) = engine.pair_for_report(idx).unzip();
                QuestionReport {
                    question: question.clone(),
                    answered: engine.answered(idx),
                    result,
                    pair,
                    actual,
                    counts: engine.counts_of(idx),
                }
            })
            .collect();
        SessionReport {
            name: meta.name(),
            session_id: meta.id,
            code: meta.code,
            label: meta.label,
            description: meta.description,
            created,
            created_local,
            participants: engine.participant_count(),
            set,
            thresholds,
            questions,
            follow_up: None,
        }
    }

    fn language(&self) -> Language {
        self.set.language
    }

    /// The chart of question `idx`: the comparison for a perceiving question, else the
    /// distribution.
    pub fn chart(&self, idx: usize) -> Chart {
        let report = &self.questions[idx];
        if let (Some(pair), Some(actual)) = (&report.pair, &report.actual) {
            return chart::pair_chart(actual, &report.question, pair, self.language());
        }
        let result = match &report.result {
            Shown::Yes(result) => Shown::Yes(result),
            Shown::TooFew { answers, needed } => Shown::TooFew {
                answers: *answers,
                needed: *needed,
            },
        };
        chart::question_chart(&report.question, result, self.language())
    }

    /// The chart of question `idx` as the report shows it, under the question as its
    /// heading: without a title that only says the heading again.
    fn figure_chart(&self, idx: usize) -> Chart {
        let mut chart = self.chart(idx);
        if chart.title == self.questions[idx].question.text {
            chart.title.clear();
        }
        chart
    }

    /// For a pair: how the guesses scattered, as the projector showed it at the last
    /// reveal step (`None` for other questions and while the guesses are too few).
    pub fn strip(&self, idx: usize) -> Option<Chart> {
        let report = &self.questions[idx];
        chart::guess_strip(
            report.pair.as_ref()?,
            &report.question,
            &report.counts,
            3,
            self.language(),
        )
    }

    /// A file-name stem: `pejling-2026-11-23-ABCDEF`.
    pub fn file_stem(&self) -> String {
        format!(
            "pejling-{}-{}",
            self.created.get(..10).unwrap_or("session"),
            self.code
        )
    }

    /// The printable, self-contained HTML report.
    pub fn html(&self) -> String {
        let da = self.language() == Language::Da;
        let t = |da_text: &'static str, en_text: &'static str| if da { da_text } else { en_text };
        let title = format!(
            "{} — {}",
            t("Social pejling", "Social norms session"),
            self.set.title
        );
        let page: Markup = html! {
            (DOCTYPE)
            html lang=(self.language().code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) }
                    style { (PreEscaped(REPORT_CSS)) }
                }
                body {
                    header {
                        h1 { (title) }
                        dl {
                            // A label, when there is one; without, the class and
                            // school below name the session.
                            @if self.label.is_some() || self.description.is_empty() {
                                dt { (t("Hold", "Group")) } dd { (self.label.as_deref().unwrap_or("–")) }
                            }
                            @if let Some(school) = &self.description.school {
                                dt { (t("Skole", "School")) } dd { (school) }
                            }
                            @if let Some(class) = &self.description.class {
                                dt { (t("Klasse", "Class")) } dd { (class) }
                            }
                            @match &self.description.grade {
                                Some(grade) => { dt { (t("Klassetrin", "Grade")) } dd { (grade) } }
                                None => { dt { (t("Klassetrin", "Grades")) } dd { (self.set.grades.join(", ")) } }
                            }
                            @if let Some(term) = &self.description.term {
                                dt { (t("Periode", "Term")) } dd { (term) }
                            }
                            dt { (t("Dato", "Date")) } dd { (self.created_local) }
                            dt { (t("Spørgesæt", "Question set")) } dd { (self.set.title) }
                            dt { (t("Deltagere", "Participants")) } dd { (self.participants) }
                            dt { (t("Kode", "Code")) } dd { (self.code) }
                        }
                        p.method {
                            (t(
                                "Alle tal er samlede tal. Et resultat vises kun, når mindst ",
                                "All figures are aggregates. A result is shown only when at least ",
                            ))
                            (self.thresholds.min_answers)
                            (t(
                                " har svaret (\"Vil ikke svare\" og \"Ved ikke\" tæller ikke med). Gruppens egen andel er en optælling af hele gruppen; det usikre er gættene. Mønstret kaldes social overensstemmelse, når gennemsnittet af gættene ligger højst ",
                                " have answered (\"won't say\" and \"don't know\" do not count). The group's own share is a count of the whole group; what is uncertain is the guesses. The pattern is called agreement when the mean guess is at most ",
                            ))
                            (self.language().decimal(self.thresholds.agreement_pp))
                            (t(
                                " procentpoint fra det faktiske tal; ellers nævnes et mønster kun, når klart flere gættede på den ene side end på den anden (fortegnstest, p < 0,05), og ellers står der \"intet tydeligt mønster\".",
                                " percentage points from the actual figure; otherwise a pattern is named only when clearly more guessed on one side than on the other (sign test, p < 0.05), else it says \"no clear pattern\".",
                            ))
                        }
                    }
                    (self.summary())
                    (self.follow_up_section())
                    @for (idx, report) in self.questions.iter().enumerate() {
                        section.question {
                            // The heading stays on the page of its chart.
                            div.opening {
                                h2 { (idx + 1) ". " (report.question.text) }
                                p.meta {
                                    (report.answered) " " (t("svar", "answers"))
                                    @if report.question.sensitive { " · " (t("følsomt spørgsmål", "sensitive question")) }
                                }
                                figure {
                                    (PreEscaped(charts::svg_fitted(&self.figure_chart(idx))))
                                }
                            }
                            @if let Some(strip) = self.strip(idx) {
                                figure.strip {
                                    (PreEscaped(charts::svg_fitted(&strip)))
                                    figcaption { (t("Sådan fordelte gættene sig (som på skærmen).", "How the guesses were spread (as on the screen).")) }
                                }
                            }
                            (self.figures(report))
                        }
                    }
                    @let references: Vec<_> = self.questions.iter().flat_map(|q| q.question.references.iter()).collect();
                    @if !references.is_empty() {
                        section.sources {
                            h2 { (t("Kilder til landstal", "Sources of national figures")) }
                            ul {
                                @for reference in references {
                                    li {
                                        (reference.measures) ": "
                                        (self.language().decimal(reference.value)) " " (reference.unit) ". "
                                        (reference.population) ", " (reference.year) ". "
                                        (reference.survey)
                                        @if let Some(by) = &reference.reported_by { " (" (by) ")" }
                                        @if let Some(url) = &reference.url { " " a href=(url) { (url) } }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(note) = &self.set.facilitator_note {
                        section.note {
                            h2 { (t("Note til facilitator", "Note for the facilitator")) }
                            p { (note) }
                        }
                    }
                    footer { "pejling " (env!("CARGO_PKG_VERSION")) }
                }
            }
        };
        page.into_string()
    }

    /// The first page: each pair's figures and verdict in one table — what the class did,
    /// what it guessed, the national figure — so the report can be filed from page one.
    fn summary(&self) -> Markup {
        let language = self.language();
        let da = language == Language::Da;
        let t = |da_text: &'static str, en_text: &'static str| if da { da_text } else { en_text };
        let pct = |v: f64| format!("{} %", language.decimal(v));
        let withheld = t("for få svar", "too few answers");
        let pattern_name = |pattern: pejling_core::results::Pattern| {
            if da {
                pattern.danish()
            } else {
                pattern.english()
            }
        };
        let pairs: Vec<&QuestionReport> =
            self.questions.iter().filter(|q| q.pair.is_some()).collect();
        html! {
            @if !pairs.is_empty() {
                section.summary {
                    h2 { (t("Sammenfatning", "Summary")) }
                    table {
                        thead {
                            tr {
                                th { (t("Spørgsmål", "Question")) }
                                th { (t("Faktisk", "Actual")) }
                                th { (t("Gæt (gennemsnit)", "Guesses (mean)")) }
                                th { (t("Landstal", "National figure")) }
                                th { (t("Mønster", "Pattern")) }
                            }
                        }
                        tbody {
                            @for report in pairs {
                                @let pair = report.pair.as_ref().expect("pairs only");
                                @let national = report.question.references.first().map(|r| format!("{} {}", language.decimal(r.value), r.unit));
                                tr {
                                    td { (report.actual.as_ref().map_or(report.question.text.as_str(), |q| q.text.as_str())) }
                                    @match &pair.comparison {
                                        Comparison::Percent(c) => {
                                            td { @match &c.actual { Shown::Yes(s) => (pct(s.percent)), Shown::TooFew { .. } => (withheld) } }
                                            td { @match &c.perceived { Shown::Yes(e) => (pct(e.summary.mean)), Shown::TooFew { .. } => (withheld) } }
                                            td { (national.unwrap_or_else(|| "–".into())) }
                                            td { strong { (c.finding.as_ref().map_or(withheld, |f| pattern_name(f.pattern))) } }
                                        }
                                        Comparison::Number(c) => {
                                            @let unit = c.unit.as_deref().unwrap_or("");
                                            td { @match &c.actual { Shown::Yes(s) => { (language.decimal(s.mean)) " " (unit) }, Shown::TooFew { .. } => (withheld) } }
                                            td { @match &c.perceived { Shown::Yes(s) => { (language.decimal(s.mean)) " " (unit) }, Shown::TooFew { .. } => (withheld) } }
                                            td { (national.unwrap_or_else(|| "–".into())) }
                                            td { @if let Some(gap) = c.gap { (t("forskel ", "gap ")) (language.decimal(gap)) " " (unit) } @else { (withheld) } }
                                        }
                                        Comparison::Attitude(c) => {
                                            td { (c.actual_mean.map_or_else(|| withheld.to_string(), |a| language.decimal(a))) }
                                            td { (c.perceived_mean.map_or_else(|| withheld.to_string(), |p| language.decimal(p))) }
                                            td { (national.unwrap_or_else(|| "–".into())) }
                                            td { strong { (c.pattern.map_or("–", pattern_name)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A follow-up: each percent pair before and after, and whether the misperception
    /// changed, named only beyond the margin and beyond chance (`docs/results.md`).
    fn follow_up_section(&self) -> Markup {
        let Some(follow_up) = &self.follow_up else {
            return html! {};
        };
        let language = self.language();
        let da = language == Language::Da;
        let t = |da_text: &'static str, en_text: &'static str| if da { da_text } else { en_text };
        let pct = |v: f64| format!("{} %", language.decimal(v));
        let pp = |v: f64| format!("{} {}", language.decimal(v), t("procentpoint", "points"));
        html! {
            section.follow-up {
                h2 { (t("Opfølgning", "Follow-up")) }
                p {
                    (t("Denne session følger op på ", "This session follows up "))
                    strong { (follow_up.earlier_name) }
                    " (" (follow_up.earlier_local) ")."
                }
                @if follow_up.pairs.is_empty() {
                    p { (t("De to sessioner har ingen procentpar til fælles at sammenligne.", "The two sessions share no percent pair to compare.")) }
                } @else {
                    table {
                        thead {
                            tr {
                                th { (t("Spørgsmål", "Question")) }
                                th { (t("Før: faktisk / gæt", "Before: actual / guessed")) }
                                th { (t("Nu: faktisk / gæt", "Now: actual / guessed")) }
                                th { (t("Forskel før → nu", "Gap before → now")) }
                                th { (t("Ændring", "Change")) }
                            }
                        }
                        tbody {
                            @for pair in &follow_up.pairs {
                                tr {
                                    td { (pair.actual_question) }
                                    @match &pair.result {
                                        Shown::Yes(f) => {
                                            td { (pct(f.before.actual)) " / " (pct(f.before.mean_guess)) }
                                            td { (pct(f.after.actual)) " / " (pct(f.after.mean_guess)) }
                                            td { (pp(f.before.gap)) " → " (pp(f.after.gap)) }
                                            td { strong { (if da { f.change.danish() } else { f.change.english() }) } }
                                        }
                                        Shown::TooFew { needed, .. } => {
                                            td colspan="4" {
                                                (t("for få svar til at sammenligne (mindst ", "too few answers to compare (at least "))
                                                (needed) (t(" på hver side)", " on each side)"))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    p.method {
                        (t(
                            "En ændring nævnes kun, når forskellen mellem gæt og faktisk er blevet mindst ",
                            "A change is named only when the gap between guesses and actual changed by at least ",
                        ))
                        (pp(self.thresholds.agreement_pp))
                        (t(
                            " mindre (eller større), og gættene har flyttet sig mere, end tilfældigheder kan forklare (Mann–Whitney, p < 0,05). Ellers står der \"ingen tydelig ændring\".",
                            " smaller (or larger), and the guesses moved more than chance explains (Mann–Whitney, p < 0.05). Otherwise it says \"no clear change\".",
                        ))
                    }
                }
            }
        }
    }

    fn figures(&self, report: &QuestionReport) -> Markup {
        let language = self.language();
        let da = language == Language::Da;
        let t = |da_text: &'static str, en_text: &'static str| if da { da_text } else { en_text };
        let pct = |v: f64| format!("{} %", language.decimal(v));
        let num = |v: f64| language.decimal(v);
        let too_few = |answers: u32, needed: u32| {
            format!(
                "{} ({answers} {}, min. {needed})",
                t("for få svar", "too few answers"),
                t("svar", "answers")
            )
        };
        html! {
            @if let Some(pair) = &report.pair {
                table {
                    @match &pair.comparison {
                        Comparison::Percent(c) => {
                            tr { th { (t("Faktisk andel", "Actual share")) } td {
                                @match &c.actual {
                                    Shown::Yes(s) => { (pct(s.percent)) " (" (s.chose) "/" (s.respondents) ")" }
                                    Shown::TooFew { answers, needed } => { (too_few(*answers, *needed)) }
                                }
                            } }
                            tr { th { (t("Gæt: gennemsnit / median", "Guesses: mean / median")) } td {
                                @match &c.perceived {
                                    Shown::Yes(e) => { (pct(e.summary.mean)) " / " (pct(e.summary.median)) " (" (e.summary.respondents) " " (t("svar", "answers")) ")" }
                                    Shown::TooFew { answers, needed } => { (too_few(*answers, *needed)) }
                                }
                            } }
                            @if let Some(f) = &c.finding {
                                tr { th { (t("Forskel", "Gap")) } td { (num(f.gap_pp)) " " (t("procentpoint", "percentage points")) } }
                                tr { th { (t("Gættede over / under det faktiske tal", "Guessed above / below the actual figure")) } td { (f.above) " / " (f.below) " (" (pct(f.above_percent)) " " (t("over", "above")) ")" } }
                                tr { th { (t("Mønster", "Pattern")) } td { strong { (if da { f.pattern.danish() } else { f.pattern.english() }) } } }
                            }
                            tr { th { (t("Ikke med i tallene", "Not counted")) } td { (c.actual_abstained) " + " (c.perceived_abstained) } }
                        }
                        Comparison::Number(c) => {
                            @for (name, side) in [(t("Faktisk", "Actual"), &c.actual), (t("Gæt", "Guesses"), &c.perceived)] {
                                tr { th { (name) ": " (t("gennemsnit / median", "mean / median")) } td {
                                    @match side {
                                        Shown::Yes(s) => { (num(s.mean)) " / " (num(s.median)) " " (c.unit.as_deref().unwrap_or("")) " (" (s.respondents) " " (t("svar", "answers")) ")" }
                                        Shown::TooFew { answers, needed } => { (too_few(*answers, *needed)) }
                                    }
                                } }
                            }
                            @if let Some(gap) = c.gap {
                                tr { th { (t("Forskel", "Gap")) } td { (num(gap)) " " (c.unit.as_deref().unwrap_or("")) } }
                            }
                        }
                        Comparison::Attitude(c) => {
                            @if let (Some(a), Some(p)) = (c.actual_mean, c.perceived_mean) {
                                tr { th { (t("Gennemsnit (1 = første svar)", "Mean (1 = first answer)")) } td { (num(a)) " → " (num(p)) } }
                            }
                            @if let Some(pattern) = c.pattern {
                                tr { th { (t("Mønster", "Pattern")) } td { strong { (if da { pattern.danish() } else { pattern.english() }) } } }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Aggregates as CSV: one figure per line.
    pub fn csv(&self, style: CsvStyle) -> String {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(style.delimiter())
            .from_writer(Vec::new());
        let dec = |value: f64| style.decimal(format!("{value:.2}"));
        let header = [
            "session_id",
            "set_id",
            "label",
            "school",
            "grade",
            "class",
            "term",
            "created",
            "participants",
            "question_id",
            "question",
            "figure",
            "category",
            "value",
        ];
        writer.write_record(header).expect("CSV into memory");
        for report in &self.questions {
            let mut row = |figure: &str, category: &str, value: String| {
                writer
                    .write_record([
                        self.session_id.as_str(),
                        self.set.id.as_str(),
                        self.label.as_deref().unwrap_or(""),
                        self.description.school.as_deref().unwrap_or(""),
                        self.description.grade.as_deref().unwrap_or(""),
                        self.description.class.as_deref().unwrap_or(""),
                        self.description.term.as_deref().unwrap_or(""),
                        self.created.as_str(),
                        &self.participants.to_string(),
                        report.question.id.as_str(),
                        report.question.text.as_str(),
                        figure,
                        category,
                        value.as_str(),
                    ])
                    .expect("CSV into memory");
            };
            row("answered", "", report.answered.to_string());
            match &report.result {
                Shown::TooFew { answers, needed } => {
                    row("withheld_too_few", "", format!("{answers}<{needed}"));
                }
                Shown::Yes(result) => {
                    for (label, count) in report.question.abstain.iter().zip(&result.abstained) {
                        row("abstained", label, count.to_string());
                    }
                    for (category, count) in categories(&report.question, result) {
                        row("count", &category, count.to_string());
                    }
                    let (mean, median) = match &result.distribution {
                        Distribution::Percent { mean, median, .. }
                        | Distribution::Number { mean, median, .. } => (*mean, *median),
                        _ => (None, None),
                    };
                    if let Some(mean) = mean {
                        row("mean", "", dec(mean));
                    }
                    if let Some(median) = median {
                        row("median", "", dec(median));
                    }
                }
            }
            if let Some(pair) = &report.pair {
                row("perceives", "", pair.actual_question.clone());
                match &pair.comparison {
                    Comparison::Percent(c) => {
                        match &c.actual {
                            Shown::Yes(s) => {
                                row("actual_percent", &c.options.join(" / "), dec(s.percent));
                                row("actual_ci95_low", "", dec(s.low));
                                row("actual_ci95_high", "", dec(s.high));
                            }
                            Shown::TooFew { .. } => {
                                row("actual_percent", "", "withheld_too_few".into())
                            }
                        }
                        match &c.perceived {
                            Shown::Yes(e) => {
                                row("perceived_mean", "", dec(e.summary.mean));
                                row("perceived_median", "", dec(e.summary.median));
                            }
                            Shown::TooFew { .. } => {
                                row("perceived_mean", "", "withheld_too_few".into())
                            }
                        }
                        if let Some(f) = &c.finding {
                            row("gap_pp", "", dec(f.gap_pp));
                            row("above_actual_percent", "", dec(f.above_percent));
                            row("pattern", "", f.pattern.danish().to_string());
                        }
                    }
                    Comparison::Number(c) => {
                        if let Shown::Yes(s) = &c.actual {
                            row("actual_mean", "", dec(s.mean));
                        }
                        if let Shown::Yes(s) = &c.perceived {
                            row("perceived_mean", "", dec(s.mean));
                        }
                        if let Some(gap) = c.gap {
                            row("gap", c.unit.as_deref().unwrap_or(""), dec(gap));
                        }
                    }
                    Comparison::Attitude(c) => {
                        if let (Some(a), Some(p)) = (c.actual_mean, c.perceived_mean) {
                            row("actual_mean_point", "", dec(a));
                            row("perceived_mean_point", "", dec(p));
                        }
                        if let Some(pattern) = c.pattern {
                            row("pattern", "", pattern.danish().to_string());
                        }
                    }
                }
            }
            for reference in &report.question.references {
                row(
                    "national_reference",
                    &chart::citation(reference, self.language()),
                    format!(
                        "{} {}",
                        style.decimal(reference.value.to_string()),
                        reference.unit
                    ),
                );
            }
        }
        let text = String::from_utf8(writer.into_inner().expect("CSV into memory")).expect("UTF-8");
        format!("{}{text}", style.preamble())
    }
}

/// (category, count) pairs of a distribution, labelled for people.
fn categories(question: &Question, result: &TallyResult) -> Vec<(String, u32)> {
    match (&question.kind, &result.distribution) {
        (QuestionKind::Choice { options: labels }, Distribution::Choice { counts })
        | (QuestionKind::Scale { points: labels }, Distribution::Scale { counts }) => {
            labels.iter().cloned().zip(counts.iter().copied()).collect()
        }
        (_, Distribution::Percent { counts, .. }) => counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(v, &c)| (format!("{v} %"), c))
            .collect(),
        (_, Distribution::Number { values, .. }) => values
            .iter()
            .map(|v| (v.value.to_string(), v.count))
            .collect(),
        _ => Vec::new(),
    }
}

const REPORT_CSS: &str = "
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.4; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
.method, .meta { color: #444; }
figure { margin: 1rem 0; max-width: 48rem; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #444; font-size: .9rem; margin-top: .3rem; }
table { border-collapse: collapse; } th, td { text-align: left; padding: .2rem 1rem .2rem 0; border-bottom: 1px solid #eee; }
th { font-weight: 600; }
figure, .opening, section.question table, li { break-inside: avoid; page-break-inside: avoid; }
h2 { break-after: avoid; page-break-after: avoid; }
section.summary { break-after: page; page-break-after: always; }
section.summary table { width: 100%; } section.summary td, section.summary th { vertical-align: top; }
section.summary table { table-layout: fixed; font-size: .9rem; }
section.summary th:nth-child(1) { width: 37%; } section.summary th:nth-child(3) { width: 16%; }
section.summary th:nth-child(2), section.summary th:nth-child(4) { width: 11%; } section.summary th:nth-child(5) { width: 25%; }
footer { margin-top: 3rem; color: #666; font-size: .9rem; }
@page { size: A4 portrait; margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; } figure svg { border: none; }
  header dl { grid-template-columns: max-content 1fr max-content 1fr; } .method { font-size: .9rem; }
}
";

#[cfg(test)]
mod tests;
