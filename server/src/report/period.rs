//! The period report (issue 17, "Reports people file"): the console's *Overblik* for a
//! period and its filters as one printable, self-contained HTML file — what a
//! municipality's annual account asks for. It is written from the same [`Overview`] that
//! `GET /api/overview` answers (the figures are `pejling_core::overview`'s), so the file
//! and the page cannot disagree: the period and the filters used, reach (in all, per
//! month, per school), a summary of every pair, the follow-ups, then each pair's figures — actual, mean
//! guess, gap, national figure with its source, the pooled pattern, the spread of the
//! classes' gaps, the classes per pattern and the classes left out with the reason.
//!
//! Aggregates only, as the overview holds: no session id, set id, token or answer of a
//! pupil. HTML is written with maud, which escapes every interpolated text; the style
//! sheet is the session report's ([`super::REPORT_CSS`]) with this report's tables added,
//! inline, so the file opens and prints (A4) without a server or the internet.
//!
//! Follow-ups are the overview's counts: how many classes were followed up and, per pair,
//! in how many the misperception shrank, grew or did not clearly change.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use pejling_wire::{
    FollowUpCount, Language, LeftOutReason, Overview, OverviewPair, PairKind, PatternName, Reach,
    description_key,
};

#[cfg(test)]
mod tests;

/// The period report of an overview, in a language, made at a moment.
pub struct PeriodReport<'a> {
    pub overview: &'a Overview,
    /// The language of every text (the console's).
    pub lang: Language,
    /// When the report was made, in the time zone it is made for (the computer's).
    pub made: jiff::Zoned,
}

/// The texts that differ by language. Danish is the default.
struct Texts {
    /// The labels the console and the period report share.
    labels: &'static pejling_wire::OverviewLabels,
    title: &'static str,
    period_for: &'static str,
    all_sessions: &'static str,
    all_period: &'static str,
    all_schools: &'static str,
    all_grades: &'static str,
    all_sets: &'static str,
    made: &'static str,
    made_with: &'static str,
    intro: &'static str,
    /// After the intro, when sessions are imported from other computers.
    intro_imported: &'static str,
    /// `{n}`: rehearsals left out.
    rehearsals: &'static str,
    reach_heading: &'static str,
    reach_note: &'static str,
    /// Under the reach per origin.
    origin_note: &'static str,
    /// `{n}`: the minimum.
    questions_intro: &'static str,
    patterns_heading: &'static str,
    pattern_explained: [(&'static str, &'static str); 5],
    summary_heading: &'static str,
    summary_columns: [&'static str; 6],
    details_heading: &'static str,
    /// `{classes}`: "2 klasser", "1 class".
    follow_ups_intro: &'static str,
    no_follow_ups: &'static str,
    follow_ups_caption: &'static str,
    follow_up_columns: [&'static str; 6],
    actual_share: &'static str,
    actual_mean: &'static str,
    actual_scale: &'static str,
    /// `{n}`: the number of points; `{first}`, `{last}`: their answers.
    actual_scale_points: &'static str,
    of: &'static str,
    gap: &'static str,
    no_national: &'static str,
    source: &'static str,
    spread_label: &'static str,
    classes_label: &'static str,
    left_out_label: &'static str,
    /// `{n}`: the minimum.
    left_out_too_few: &'static str,
    left_out_changed: &'static str,
    patterns: [&'static str; 5],
}

static DA: Texts = Texts {
    labels: &pejling_wire::OVERVIEW_LABELS_DA,
    title: "Social pejling",
    period_for: "opgørelse for perioden",
    all_sessions: "opgørelse over alle gemte sessioner",
    all_period: "alle gemte sessioner",
    all_schools: "alle skoler",
    all_grades: "alle klassetrin",
    all_sets: "alle spørgesæt",
    made: "Lavet",
    made_with: "Lavet med",
    intro_imported: "Med er også sessioner fra andre computere, indlæst fra delingsfiler; de er mærket med, hvem de er fra.",
    intro: "Opgørelsen er lavet ud fra de sessioner, der er gemt på den computer, sessionerne blev holdt fra. Den rummer kun samlede tal — intet om den enkelte elev. Øvelser med simulerede elever og sessioner, som ingen deltog i, er ikke talt med.",
    rehearsals: "Øvelser i perioden, som ikke er talt med: {n}.",
    reach_heading: "Hvem sessionerne nåede",
    origin_note: "Sessioner fra andre computere er indlæst fra delingsfiler (kun antal pr. svar pr. klasse; tal under minimum blev aldrig delt). En session indlæst to gange tælles én gang.",
    reach_note: "Elever og forældre er deltagere: en elev, der var med i to sessioner, tælles to gange, for ingen kendes på tværs af sessioner. En klasse er skole og klasse; en session uden klasse tæller som én klasse. En klasse med sessioner i to måneder tæller med i begge måneder, men kun én gang i alt. Svar er alle afgivne svar, også «Vil ikke svare» og «Ved ikke».",
    questions_intro: "Hvert par er et spørgsmål om elevernes egen adfærd eller holdning og et spørgsmål, hvor de gætter på klassens svar. Klassernes svar er lagt sammen: en klasse tæller kun med, når både dens egne svar og dens gæt er mindst {n} (\"Vil ikke svare\" og \"Ved ikke\" tæller ikke med); ellers er den udeladt og nævnt. Forskellen er gæt minus faktisk. Hver klasses mønster er det samme som i klassens egen rapport.",
    patterns_heading: "Mønstrene",
    pattern_explained: [
        (
            "Social overdrivelse",
            "eleverne tror, at flere gør det, end der gør.",
        ),
        (
            "Flertalsmisforståelse",
            "eleverne tror, at et flertal gør det, men det er et mindretal.",
        ),
        (
            "Social underdrivelse",
            "eleverne tror, at færre gør det, end der gør.",
        ),
        (
            "Social overensstemmelse",
            "gættene passer med det faktiske tal.",
        ),
        (
            "Intet tydeligt mønster",
            "gættene ligger på begge sider af det faktiske tal; forskellen kan være tilfældig og nævnes ikke som et fund.",
        ),
    ],
    summary_heading: "Sammenfatning",
    summary_columns: [
        "Spørgsmål",
        "Faktisk",
        "Gæt (gns.)",
        "Forskel",
        "Landstal",
        "Alle klasser samlet",
    ],
    details_heading: "Spørgsmålene enkeltvis",
    follow_ups_intro: "{classes} blev fulgt op i perioden: en session markeret som opfølgning på en tidligere session i klassen, med de samme spørgsmål. For hvert spørgsmål med en andel, som begge sessioner stillede, står her, i hvor mange klasser misforståelsen blev mindre eller større. En ændring tælles kun, når forskellen mellem gæt og faktisk er ændret mere end den fastsatte grænse, og mere end tilfældigheder kan forklare; ellers står den som ingen tydelig ændring.",
    no_follow_ups: "Ingen klasser blev fulgt op i perioden.",
    follow_ups_caption: "Antal klasser, efter hvad der skete med misforståelsen",
    follow_up_columns: [
        "Spørgsmål",
        "Blev mindre",
        "Blev større",
        "Ingen tydelig ændring",
        "Gættede tæt på før",
        "For få svar",
    ],
    actual_share: "andel, der svarede",
    actual_mean: "gennemsnit",
    actual_scale: "gennemsnitlig placering, 1 = første svar",
    actual_scale_points: "gennemsnit på skalaen 1–{n}: 1 = «{first}», {n} = «{last}»",
    of: "af",
    gap: "Forskel (gæt − faktisk)",
    no_national: "Intet landstal til dette spørgsmål.",
    source: "Kilde",
    spread_label: "Klassernes forskel",
    classes_label: "Klasser med",
    left_out_label: "Ikke med",
    left_out_too_few: "under {n} svar",
    left_out_changed: "spørgsmålet var ændret",
    patterns: [
        "Social overdrivelse",
        "Flertalsmisforståelse",
        "Social underdrivelse",
        "Social overensstemmelse",
        "Intet tydeligt mønster",
    ],
};

static EN: Texts = Texts {
    labels: &pejling_wire::OVERVIEW_LABELS_EN,
    title: "Social norms sessions",
    period_for: "account for the period",
    all_sessions: "account of all stored sessions",
    all_period: "all stored sessions",
    all_schools: "all schools",
    all_grades: "all grades",
    all_sets: "all question sets",
    made: "Made",
    made_with: "Made with",
    intro_imported: "Sessions from other computers, imported from exchange files, are included too; they are marked with whom they are from.",
    intro: "This account is made from the sessions stored on the computer they were held from. It holds aggregates only — nothing about an individual pupil. Rehearsals with simulated pupils, and sessions nobody joined, are not counted.",
    rehearsals: "Rehearsals in the period, not counted: {n}.",
    reach_heading: "Whom the sessions reached",
    origin_note: "Sessions from other computers were imported from exchange files (only counts per answer per class; counts below the minimum were never shared). A session imported twice counts once.",
    reach_note: "Pupils and parents are participants: a pupil in two sessions is counted twice, since nobody is known across sessions. A class is a school and a class; a session without a class counts as one class. A class with sessions in two months counts in both months, but once in the total. Answers are every answer given, \"won't say\" and \"don't know\" included.",
    questions_intro: "Each pair is a question about the pupils' own behaviour or attitude and a question in which they guess their class's answer. The classes' answers are pooled: a class counts only when both its own answers and its guesses number at least {n} (\"won't say\" and \"don't know\" not counted); otherwise it is left out and named. The gap is guessed minus actual. Each class's pattern is the one its own report names.",
    patterns_heading: "The patterns",
    pattern_explained: [
        (
            "Overestimation",
            "the pupils believe more do it than actually do.",
        ),
        (
            "False majority",
            "the pupils believe a majority does it, but it is a minority.",
        ),
        (
            "Underestimation",
            "the pupils believe fewer do it than actually do.",
        ),
        ("Agreement", "the guesses match the actual figure."),
        (
            "No clear pattern",
            "the guesses lie on both sides of the actual figure; the gap may be chance and is not named as a finding.",
        ),
    ],
    summary_heading: "Summary",
    summary_columns: [
        "Question",
        "Actual",
        "Guesses (mean)",
        "Gap",
        "National figure",
        "All classes pooled",
    ],
    details_heading: "The questions one by one",
    follow_ups_intro: "Followed up in the period: {classes}, each a session marked as the follow-up of an earlier session of the class, with the same questions. For each share question both sessions asked, this says in how many classes the misperception shrank or grew. A change is counted only when the gap between guesses and actual changed by more than the margin, and more than chance explains; otherwise it counts as no clear change.",
    no_follow_ups: "No class was followed up in this period.",
    follow_ups_caption: "Number of classes, by what happened to the misperception",
    follow_up_columns: [
        "Question",
        "Shrank",
        "Grew",
        "No clear change",
        "Guessed close before",
        "Too few answers",
    ],
    actual_share: "share answering",
    actual_mean: "mean",
    actual_scale: "mean position, 1 = the first answer",
    actual_scale_points: "mean on the scale 1–{n}: 1 = «{first}», {n} = «{last}»",
    of: "of",
    gap: "Gap (guessed − actual)",
    no_national: "No national figure for this question.",
    source: "Source",
    spread_label: "The classes' gaps",
    classes_label: "Classes pooled",
    left_out_label: "Left out",
    left_out_too_few: "under {n} answers",
    left_out_changed: "the question had been changed",
    patterns: [
        "Overestimation",
        "False majority",
        "Underestimation",
        "Agreement",
        "No clear pattern",
    ],
};

impl Texts {
    fn of(lang: Language) -> &'static Texts {
        match lang {
            Language::Da => &DA,
            Language::En => &EN,
        }
    }

    fn pattern(&self, pattern: PatternName) -> &'static str {
        self.patterns[match pattern {
            PatternName::Overdrivelse => 0,
            PatternName::Flertalsmisforstaaelse => 1,
            PatternName::Underdrivelse => 2,
            PatternName::Overensstemmelse => 3,
            PatternName::Uklar => 4,
        }]
    }

    fn classes(&self, n: usize) -> String {
        format!(
            "{n} {}",
            if n == 1 {
                self.labels.class
            } else {
                self.labels.classes
            }
        )
    }
}

/// A number with its sign, one decimal at most: "+12,7", "−1,6", "0".
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

impl PeriodReport<'_> {
    fn t(&self) -> &'static Texts {
        Texts::of(self.lang)
    }

    /// The period in words: "01.08.2026–31.07.2027", "fra 01.08.2026".
    fn period_text(&self) -> Option<String> {
        let t = self.t();
        let day = |d: &str| pejling_wire::date_text(d, self.lang);
        let query = &self.overview.query;
        match (&query.from, &query.to) {
            (Some(from), Some(to)) => Some(format!("{}–{}", day(from), day(to))),
            (Some(from), None) => Some(format!("{} {}", t.labels.from_word, day(from))),
            (None, Some(to)) => Some(format!("{} {}", t.labels.to_word, day(to))),
            (None, None) => None,
        }
    }

    /// "Social pejling — opgørelse for perioden 01.08.2026–31.07.2027".
    pub fn title(&self) -> String {
        let t = self.t();
        match self.period_text() {
            Some(period) => format!("{} — {} {period}", t.title, t.period_for),
            None => format!("{} — {}", t.title, t.all_sessions),
        }
    }

    /// When it was made: "15.03.2027 kl. 14:02 (CET)", "2027-03-15 14:02 (CET)".
    fn made_text(&self) -> String {
        match self.lang {
            Language::Da => self.made.strftime("%d.%m.%Y kl. %H:%M (%Z)").to_string(),
            Language::En => self.made.strftime("%Y-%m-%d %H:%M (%Z)").to_string(),
        }
    }

    /// The school filter as the sessions spell it (the query holds it as typed).
    fn school_text(&self) -> Option<String> {
        let wanted = self.overview.query.school.as_deref()?;
        let key = description_key(wanted);
        Some(
            self.overview
                .choices
                .schools
                .iter()
                .find(|s| description_key(s) == key)
                .cloned()
                .unwrap_or_else(|| wanted.to_string()),
        )
    }

    /// The set filter by its title (its id only if no session of the period used it).
    fn set_text(&self) -> Option<String> {
        let wanted = self.overview.query.set.as_deref()?;
        Some(
            self.overview
                .choices
                .sets
                .iter()
                .find(|s| s.id == wanted)
                .map(|s| s.title.clone())
                .unwrap_or_else(|| wanted.to_string()),
        )
    }

    /// A value in a pair's unit: "27,3 %", "14,4 år", "2,3".
    fn value(&self, pair: &OverviewPair, value: f64) -> String {
        let lang = self.lang;
        match pair.kind {
            PairKind::Percent => format!("{} %", lang.decimal(value)),
            PairKind::Number => match &pair.unit {
                Some(unit) => format!("{} {unit}", lang.decimal(value)),
                None => lang.decimal(value),
            },
            PairKind::Scale => match pair.scale.len() {
                0 => lang.decimal(value),
                n => format!("{} {} {n}", lang.decimal(value), self.t().of),
            },
        }
    }

    /// The unit of a pair's gaps.
    fn gap_unit(&self, pair: &OverviewPair) -> String {
        let t = self.t();
        match pair.kind {
            PairKind::Percent => t.labels.points_pp.to_string(),
            PairKind::Number => pair.unit.clone().unwrap_or_default(),
            PairKind::Scale => t.labels.points_scale.to_string(),
        }
    }

    /// A gap with its sign and unit: "+12,7 procentpoint".
    fn gap(&self, pair: &OverviewPair, gap: f64) -> String {
        format!("{} {}", signed(gap, self.lang), self.gap_unit(pair))
            .trim_end()
            .to_string()
    }

    /// What "Faktisk" is for a pair: "Faktisk (andel, der svarede «Ja»)".
    fn actual_label(&self, pair: &OverviewPair) -> String {
        let t = self.t();
        match pair.kind {
            PairKind::Percent if !pair.options.is_empty() => format!(
                "{} ({} «{}»)",
                t.labels.actual,
                t.actual_share,
                pair.options.join(&format!("» {} «", t.labels.or))
            ),
            PairKind::Percent => t.labels.actual.to_string(),
            PairKind::Number => format!("{} ({})", t.labels.actual, t.actual_mean),
            PairKind::Scale => match (pair.scale.first(), pair.scale.last()) {
                (Some(first), Some(last)) if pair.scale.len() > 1 => format!(
                    "{} ({})",
                    t.labels.actual,
                    t.actual_scale_points
                        .replace("{n}", &pair.scale.len().to_string())
                        .replace("{first}", first)
                        .replace("{last}", last)
                ),
                _ => format!("{} ({})", t.labels.actual, t.actual_scale),
            },
        }
    }

    /// A national figure: "33 %", "15,9 år".
    fn national_value(&self, value: f64, unit: &str) -> String {
        if unit.is_empty() {
            self.lang.decimal(value)
        } else {
            format!("{} {unit}", self.lang.decimal(value))
        }
    }

    fn named(&self, name: &str, date: &str, origin: &Option<String>) -> String {
        self.t()
            .labels
            .class(name, date, origin.as_deref(), self.lang)
    }

    /// The printable, self-contained HTML file.
    pub fn html(&self) -> String {
        let t = self.t();
        let overview = self.overview;
        let title = self.title();
        let page: Markup = html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) }
                    style { (PreEscaped(super::REPORT_CSS)) (PreEscaped(PERIOD_CSS)) }
                }
                body.period {
                    header {
                        h1 { (title) }
                        dl {
                            dt { (t.labels.period) } dd { (self.period_text().unwrap_or_else(|| t.all_period.to_string())) }
                            dt { (t.labels.school) } dd { (self.school_text().unwrap_or_else(|| t.all_schools.to_string())) }
                            dt { (t.labels.grade) } dd { (overview.query.grade.clone().unwrap_or_else(|| t.all_grades.to_string())) }
                            dt { (t.labels.set) } dd { (self.set_text().unwrap_or_else(|| t.all_sets.to_string())) }
                            dt { (t.made) } dd { (self.made_text()) }
                            dt { (t.made_with) } dd { "pejling " (env!("CARGO_PKG_VERSION")) }
                        }
                        p.method {
                            (t.intro)
                            @if !overview.by_origin.is_empty() { " " (t.intro_imported) }
                        }
                    }
                    (self.reach())
                    (self.questions())
                    footer { (t.made_with) " pejling " (env!("CARGO_PKG_VERSION")) " · " (self.made_text()) }
                }
            }
        };
        page.into_string()
    }

    fn reach(&self) -> Markup {
        let t = self.t();
        let overview = self.overview;
        let total = &overview.total;
        let figures = [
            total.sessions,
            total.classes,
            total.pupils,
            total.parent_sessions,
            total.parents,
            total.answers,
        ];
        let months: Vec<(String, &Reach)> = overview
            .by_month
            .iter()
            .map(|r| (t.labels.month(&r.key), r))
            .collect();
        let schools: Vec<(String, &Reach)> = overview
            .by_school
            .iter()
            .map(|r| {
                let name = if r.key.is_empty() {
                    t.labels.no_school.to_string()
                } else {
                    r.key.clone()
                };
                (name, r)
            })
            .collect();
        let origins: Vec<(String, &Reach)> = overview
            .by_origin
            .iter()
            .map(|r| (t.labels.origin(&r.key).to_string(), r))
            .collect();
        html! {
            section.reach {
                h2 { (t.reach_heading) }
                @if total.sessions + total.parent_sessions == 0 {
                    p.nothing { (t.labels.nothing) }
                } @else {
                    dl.key-figures {
                        @for (label, n) in t.labels.columns.iter().zip(figures) {
                            div { dt { (label) } dd { (n) } }
                        }
                    }
                    (self.reach_table(t.labels.by_month, t.labels.month_column, &months, total))
                    (self.reach_table(t.labels.by_school, t.labels.school_column, &schools, total))
                    @if !origins.is_empty() {
                        (self.reach_table(t.labels.by_origin, t.labels.origin_column, &origins, total))
                        p.note { (t.origin_note) }
                    }
                    p.note { (t.reach_note) }
                }
                @if overview.rehearsals > 0 {
                    p.note { (t.rehearsals.replace("{n}", &overview.rehearsals.to_string())) }
                }
            }
        }
    }

    fn reach_table(
        &self,
        caption: &str,
        first: &str,
        rows: &[(String, &Reach)],
        total: &Reach,
    ) -> Markup {
        let t = self.t();
        let cells = |r: &Reach| {
            [
                r.sessions,
                r.classes,
                r.pupils,
                r.parent_sessions,
                r.parents,
                r.answers,
            ]
        };
        html! {
            table.reach {
                caption { (caption) }
                thead { tr { th scope="col" { (first) } @for column in t.labels.columns { th scope="col" { (column) } } } }
                tbody {
                    @for (name, reach) in rows {
                        tr { th scope="row" { (name) } @for n in cells(reach) { td { (n) } } }
                    }
                }
                tfoot { tr { th scope="row" { (t.labels.total) } @for n in cells(total) { td { (n) } } } }
            }
        }
    }

    fn questions(&self) -> Markup {
        let t = self.t();
        let overview = self.overview;
        // Grouped by set, in the order the overview gives (by the sets' titles).
        let mut sets: Vec<(&str, Vec<&OverviewPair>)> = Vec::new();
        for pair in &overview.pairs {
            match sets.last_mut() {
                Some((title, pairs)) if *title == pair.set_title => pairs.push(pair),
                _ => sets.push((&pair.set_title, vec![pair])),
            }
        }
        let several_sets = sets.len() > 1;
        html! {
            section.pairs {
                h2 { (t.labels.questions_heading) }
                p.method { (t.questions_intro.replace("{n}", &overview.min_answers.to_string())) }
                @if overview.pairs.is_empty() {
                    p.nothing { (t.labels.no_pairs) }
                } @else {
                    h3 { (t.patterns_heading) }
                    dl.patterns {
                        @for (name, meaning) in t.pattern_explained {
                            div { dt { (name) } dd { (meaning) } }
                        }
                    }
                    h3 { (t.summary_heading) }
                    table.pair-summary {
                        thead { tr { @for column in t.summary_columns { th scope="col" { (column) } } } }
                        @for (set_title, pairs) in &sets {
                            tbody {
                                @if several_sets {
                                    tr.set-row { th colspan="6" scope="colgroup" { (set_title) } }
                                }
                                @for pair in pairs { (self.summary_row(pair)) }
                            }
                        }
                    }
                }
            }
            (self.follow_ups())
            @if !overview.pairs.is_empty() {
                section.details {
                    h2 { (t.details_heading) }
                    @for (set_title, pairs) in &sets {
                        // The set's heading is printed on the page of its first pair.
                        @for (n, pair) in pairs.iter().enumerate() {
                            (self.pair(pair, (n == 0).then(|| format!("{}: {set_title}", t.labels.set))))
                        }
                    }
                }
            }
        }
    }

    /// How many classes were followed up and, per pair, what changed (the overview's
    /// counts: `pejling_core::overview`, by the rules of `followup.rs`).
    fn follow_ups(&self) -> Markup {
        let t = self.t();
        let follow_ups = &self.overview.follow_ups;
        // Grouped by set, as the overview lists them.
        let mut sets: Vec<(&str, Vec<&FollowUpCount>)> = Vec::new();
        for count in &follow_ups.pairs {
            match sets.last_mut() {
                Some((title, counts)) if *title == count.set_title => counts.push(count),
                _ => sets.push((&count.set_title, vec![count])),
            }
        }
        let several_sets = sets.len() > 1;
        let classes = t.classes(follow_ups.classes as usize);
        html! {
            section.follow-ups {
                h2 { (t.labels.follow_ups_heading) }
                @if follow_ups.classes == 0 {
                    p.nothing { (t.no_follow_ups) }
                } @else {
                    p.method { (t.follow_ups_intro.replace("{classes}", &classes)) }
                    @if !follow_ups.pairs.is_empty() {
                        table.follow-ups {
                            caption { (t.follow_ups_caption) }
                            thead { tr { @for column in t.follow_up_columns { th scope="col" { (column) } } } }
                            @for (set_title, counts) in &sets {
                                tbody {
                                    @if several_sets {
                                        tr.set-row { th colspan="6" scope="colgroup" { (set_title) } }
                                    }
                                    @for count in counts {
                                        tr {
                                            th scope="row" { (count.question) }
                                            @for n in [count.shrank, count.grew, count.no_clear_change, count.none_before, count.too_few] {
                                                td { (n) }
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
    }

    fn summary_row(&self, pair: &OverviewPair) -> Markup {
        let t = self.t();
        let withheld = t
            .labels
            .too_few
            .replace("{n}", &self.overview.min_answers.to_string());
        html! {
            tr {
                th scope="row" { (pair.question) br; span.meta { (t.classes(pair.classes.len())) } }
                @match &pair.pooled {
                    Some(pooled) => {
                        td { (self.value(pair, pooled.actual)) }
                        td { (self.value(pair, pooled.guessed)) }
                        td { (self.gap(pair, pooled.gap)) }
                    }
                    None => { td colspan="3" { (withheld) } }
                }
                td {
                    @for (n, national) in pair.national.iter().enumerate() {
                        @if n > 0 { br; }
                        (self.national_value(national.value, &national.unit))
                        " (" (national.population) ", " (national.year) ")"
                    }
                    @if pair.national.is_empty() { "–" }
                }
                td.pattern { (pair.pooled.as_ref().and_then(|p| p.pattern).map_or("–", |p| t.pattern(p))) }
            }
        }
    }

    /// One pair's figures; `heading`: its set's, above the first pair of a set.
    fn pair(&self, pair: &OverviewPair, heading: Option<String>) -> Markup {
        let t = self.t();
        let min = self.overview.min_answers.to_string();
        let spread = pair.gaps.as_ref().map(|s| {
            if pair.classes.len() == 1 {
                self.gap(pair, s.min)
            } else {
                t.labels
                    .spread
                    .replace("{min}", &signed(s.min, self.lang))
                    .replace("{median}", &signed(s.median, self.lang))
                    .replace("{max}", &signed(s.max, self.lang))
                    .replace("{unit}", &self.gap_unit(pair))
            }
        });
        let patterns = pair
            .patterns
            .iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    t.pattern(p.pattern),
                    t.classes(p.classes as usize)
                )
            })
            .collect::<Vec<_>>()
            .join(" · ");
        let left_out: Vec<(String, Vec<String>)> = [
            (
                LeftOutReason::TooFew,
                t.left_out_too_few.replace("{n}", &min),
            ),
            (LeftOutReason::Changed, t.left_out_changed.to_string()),
        ]
        .into_iter()
        .filter_map(|(reason, why)| {
            let names: Vec<String> = pair
                .left_out
                .iter()
                .filter(|l| l.reason == reason)
                .map(|l| self.named(&l.name, &l.date, &l.origin))
                .collect();
            (!names.is_empty()).then_some((why, names))
        })
        .collect();
        html! {
            section.pair {
                @if let Some(heading) = heading {
                    h3.set-title { (heading) }
                }
                div.opening {
                    h4 { (pair.question) }
                    p.meta { (t.labels.guess_question) ": «" (pair.perceived) "»" }
                }
                table.pair-figures {
                    tbody {
                        @match &pair.pooled {
                            Some(pooled) => {
                                tr { th scope="row" { (self.actual_label(pair)) } td { (self.value(pair, pooled.actual)) " (" (pooled.actual_answers) " " (t.labels.answers) ")" } }
                                tr { th scope="row" { (t.labels.guessed) } td { (self.value(pair, pooled.guessed)) " (" (pooled.guessed_answers) " " (t.labels.guesses) ")" } }
                                tr { th scope="row" { (t.gap) } td { (self.gap(pair, pooled.gap)) } }
                                @if let Some(pattern) = pooled.pattern {
                                    tr.verdict { th scope="row" { (t.labels.pooled_pattern) } td { strong { (t.pattern(pattern)) } } }
                                }
                            }
                            None => {
                                tr { th scope="row" { (self.actual_label(pair)) } td { (t.labels.too_few.replace("{n}", &min)) } }
                                tr.verdict { th scope="row" { (t.labels.pooled_pattern) } td { strong { (t.labels.no_pool) } } }
                            }
                        }
                        @if pair.national.is_empty() {
                            tr { th scope="row" { (t.labels.national) } td { (t.no_national) } }
                        }
                        @for national in &pair.national {
                            tr {
                                th scope="row" { (t.labels.national) ": " (national.population) ", " (national.year) }
                                td {
                                    (self.national_value(national.value, &national.unit)) " — " (national.measures) "."
                                    br;
                                    span.source { (t.source) ": " (national.source) }
                                }
                            }
                        }
                        @if let Some(spread) = &spread {
                            tr { th scope="row" { (t.spread_label) } td { (spread) } }
                        }
                        @if !patterns.is_empty() {
                            tr { th scope="row" { (t.labels.patterns_label) } td { (patterns) } }
                        }
                        tr {
                            th scope="row" { (t.classes_label) }
                            td {
                                @if pair.classes.is_empty() {
                                    (t.labels.no_classes)
                                } @else {
                                    (t.classes(pair.classes.len())) ": "
                                    (pair.classes.iter().map(|c| self.named(&c.name, &c.date, &c.origin)).collect::<Vec<_>>().join("; "))
                                }
                            }
                        }
                        @for (why, names) in &left_out {
                            tr.left-out { th scope="row" { (t.left_out_label) ", " (why) } td { (names.join("; ")) } }
                        }
                    }
                }
            }
        }
    }
}

/// This report's additions to the session report's style sheet.
const PERIOD_CSS: &str = "
body.period header dl { grid-template-columns: max-content 1fr; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; } h4 { font-size: 1.05rem; margin: 0 0 .2rem; }
h3.set-title { font-size: 1.2rem; border-top: 2px solid #999; padding-top: .6rem; margin: 2rem 0 1rem; }
dl.key-figures { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .5rem; margin: 1rem 0; }
dl.key-figures div { border: 1px solid #ccc; border-radius: 4px; padding: .4rem .5rem; }
dl.key-figures dt { font-weight: 400; font-size: .9rem; color: #444; } dl.key-figures dd { font-size: 1.5rem; font-weight: 700; }
table.reach { width: 100%; margin: 1rem 0; font-size: .9rem; }
table.reach tbody th, table.reach tfoot th { white-space: nowrap; }
table.follow-ups { width: 100%; table-layout: fixed; font-size: .85rem; margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
table.follow-ups caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
table.follow-ups th, table.follow-ups td { vertical-align: top; padding-right: .5rem; }
table.follow-ups thead th { vertical-align: bottom; } table.follow-ups tbody th { font-weight: 400; }
table.follow-ups thead th:first-child { width: 40%; }
table.follow-ups td, table.follow-ups thead th:not(:first-child) { text-align: right; }
table.follow-ups tr.set-row th { font-weight: 600; text-align: left; }
table.reach caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
table.reach td, table.reach thead th:not(:first-child) { text-align: right; padding-right: 0; padding-left: .8rem; }
table.reach tfoot th, table.reach tfoot td { font-weight: 700; border-top: 2px solid #999; }
p.note { color: #444; font-size: .9rem; }
dl.patterns { grid-template-columns: 1fr; gap: .1rem; font-size: .9rem; }
dl.patterns div { break-inside: avoid; } dl.patterns dt { display: inline; } dl.patterns dt::after { content: ': '; } dl.patterns dd { display: inline; }
table.pair-summary { width: 100%; table-layout: fixed; font-size: .8rem; }
table.pair-summary th, table.pair-summary td { vertical-align: top; padding-right: .5rem; }
table.pair-summary thead th { vertical-align: bottom; }
table.pair-summary tbody th { font-weight: 400; } table.pair-summary .meta { font-size: .75rem; }
table.pair-summary td.pattern { font-weight: 600; }
table.pair-summary thead th:nth-child(1) { width: 27%; } table.pair-summary thead th:nth-child(2) { width: 9%; }
table.pair-summary thead th:nth-child(3) { width: 11%; } table.pair-summary thead th:nth-child(4) { width: 14%; }
table.pair-summary thead th:nth-child(5) { width: 15%; } table.pair-summary thead th:nth-child(6) { width: 24%; }
table.pair-summary tr.set-row th { font-weight: 600; padding-top: .6rem; }
table.pair-summary tr, section.pair, table.reach, dl.key-figures, dl.patterns { break-inside: avoid; page-break-inside: avoid; }
section.pair { margin: 0 0 1.5rem; }
table.pair-figures { width: 100%; font-size: .9rem; }
table.pair-figures th, table.pair-figures td { vertical-align: top; }
table.pair-figures th { width: 34%; }
table.pair-figures tr.verdict td { font-size: 1rem; }
.source { color: #444; font-size: .85rem; }
h2, h3, h4, .opening { break-after: avoid; page-break-after: avoid; }
@media print {
  body.period header dl { grid-template-columns: max-content 1fr max-content 1fr; }
}
";
