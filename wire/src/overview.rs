//! The console's *Overblik*: the reach of the sessions of a period and the pooled results
//! per pair of questions across them (`docs/protocol.md`, "The overview"; the figures in
//! `docs/overview.md`). The overview is an HTTP answer (`GET /api/overview`), too large
//! for a WebSocket message; the figures are computed by `pejling-core` and only written
//! out by the client.

use serde::{Deserialize, Serialize};

/// `GET /api/overview`'s query: the period (local dates, both days included) and the
/// filters. Every field may be left out: no period is every session, no filter is all.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// First day, `YYYY-MM-DD`, in the server computer's time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Only sessions of this school (compared as [`crate::description_key`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<String>,
    /// Only sessions of this grade (compared as [`crate::description_key`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// Only sessions of this question set (its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
}

impl OverviewQuery {
    /// The period report's file name (`GET /api/overview/report.html`), the same for the
    /// server's `Content-Disposition` and the console's download:
    /// `periodeopgoerelse-2026-08-01-2027-07-31.html` in Danish, `period-report-….html`
    /// in English; `…-fra-2026-08-01`, `…-til-2027-07-31` or `…-alle-sessioner` (`from`,
    /// `to`, `all-sessions`) for an open period. Only the dates, which are digits and
    /// dashes, go into the name.
    pub fn report_file_name(&self, lang: crate::Language) -> String {
        let (stem, from_word, to_word, all) = match lang {
            crate::Language::Da => ("periodeopgoerelse", "fra", "til", "alle-sessioner"),
            crate::Language::En => ("period-report", "from", "to", "all-sessions"),
        };
        let day = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
                .map(str::to_string)
        };
        let period = match (day(&self.from), day(&self.to)) {
            (Some(from), Some(to)) => format!("{from}-{to}"),
            (Some(from), None) => format!("{from_word}-{from}"),
            (None, Some(to)) => format!("{to_word}-{to}"),
            (None, None) => all.to_string(),
        };
        format!("{stem}-{period}.html")
    }
}

/// The overview of a period: reach, and each pair of questions pooled across the classes
/// that answered it. Rehearsals are never in it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Overview {
    /// The query the figures answer (values cleaned).
    pub query: OverviewQuery,
    /// The anonymity minimum of the pools (the server's `--min-answers`); a class needs
    /// this many or more (as many as its own session needed) to be pooled.
    pub min_answers: u32,
    /// What the filters can be set to: the schools, grades and sets of the period.
    pub choices: OverviewChoices,
    /// Everything the query matches.
    pub total: Reach,
    /// Per month (`key`: `YYYY-MM`), oldest first.
    pub by_month: Vec<Reach>,
    /// Per school (`key`: the school; empty for sessions without one, listed last).
    pub by_school: Vec<Reach>,
    /// Rehearsals in the period that match the query, left out of every figure.
    pub rehearsals: u32,
    /// Per pair of questions (an own question and the question that perceives it) of
    /// the pupils' sets, in the order of the sets' titles and their questions.
    pub pairs: Vec<OverviewPair>,
    /// The follow-ups among the counted sessions: how many classes were followed up and,
    /// per pair, what changed (`docs/results.md`, "Follow-ups").
    #[serde(default)]
    pub follow_ups: FollowUps,
    /// Per origin (`key`: who exported the sessions, as the imported file says; empty for
    /// this computer's own sessions, listed first). Empty when nothing is imported
    /// (`docs/exchange.md`).
    #[serde(default)]
    pub by_origin: Vec<Reach>,
}

/// Follow-ups in a period.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct FollowUps {
    /// Counted sessions that follow up an earlier session of their class.
    pub classes: u32,
    /// Per percent pair asked before and after, how many classes showed each change.
    pub pairs: Vec<FollowUpCount>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct FollowUpCount {
    pub set_title: String,
    /// The own question's text.
    pub question: String,
    pub shrank: u32,
    pub grew: u32,
    pub no_clear_change: u32,
    /// The class guessed within the margin before: nothing to shrink.
    pub none_before: u32,
    /// Too few answers before or after to compare.
    pub too_few: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct OverviewChoices {
    pub schools: Vec<String>,
    pub grades: Vec<String>,
    pub sets: Vec<SetChoice>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SetChoice {
    pub id: String,
    pub title: String,
}

/// Who was reached: the registration a prevention plan asks for. Participants are
/// devices that joined; a pupil in two sessions is counted in each.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Reach {
    /// The month or school of a row; empty for the total (and for "no school").
    #[serde(default)]
    pub key: String,
    /// Pupils' sessions.
    pub sessions: u32,
    /// Distinct classes (school and class) of the pupils' sessions; a session without a
    /// class counts as one.
    pub classes: u32,
    /// Participants of the pupils' sessions.
    pub pupils: u32,
    /// Parents' sessions (parent evenings).
    pub parent_sessions: u32,
    /// Participants of the parents' sessions.
    pub parents: u32,
    /// Answers stored in all of these sessions ("won't say" and "don't know" included).
    pub answers: u32,
}

/// How a pair compares: a share and its estimates, a number (e.g. an age), or an attitude
/// on a scale.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PairKind {
    /// Figures in percent; gaps in percentage points.
    Percent,
    /// Figures are means in `unit`; gaps in `unit`.
    Number,
    /// Figures are mean scale positions (1 = the first answer); gaps in scale points.
    Scale,
}

/// The pattern a comparison showed (`docs/results.md`).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum PatternName {
    Overdrivelse,
    Flertalsmisforstaaelse,
    Underdrivelse,
    Overensstemmelse,
    /// "Intet tydeligt mønster".
    Uklar,
}

/// One pair across the classes that answered it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OverviewPair {
    pub set_id: String,
    pub set_title: String,
    /// The own question ("Har du …?"), as the newest session asked it.
    pub question: String,
    /// The question that perceives it ("Hvor mange procent … tror du …?").
    pub perceived: String,
    pub perceived_id: String,
    pub kind: PairKind,
    /// A number pair's unit, e.g. "år".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// A percent pair: the answers whose share is estimated, e.g. ["Ja"].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// A scale pair: the own question's points in order (position 1 is the first), so a
    /// mean position can be read ("2,3 of 4: 1 = «Slet ikke i orden»").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scale: Vec<String>,
    /// The classes pooled (session names), oldest first.
    pub classes: Vec<ClassName>,
    /// The classes left out, and why, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
    /// The pooled figures; absent when the pool is below the minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooled: Option<Pooled>,
    /// How far each pooled class's mean guess was from its actual figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gaps: Option<Spread>,
    /// How many pooled classes showed each pattern (patterns no class showed are left
    /// out; number pairs name none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<PatternCount>,
    /// The national figures the question cites, as stored with the sessions' sets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub national: Vec<NationalFigure>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClassName {
    /// The session's label, else its class and school, else its join code.
    pub name: String,
    /// The session's day, `YYYY-MM-DD`.
    pub date: String,
    /// Who exported it, for a session imported from another computer; absent for this
    /// computer's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub name: String,
    pub date: String,
    pub reason: LeftOutReason,
    /// As [`ClassName::origin`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LeftOutReason {
    /// One side of the pair had fewer answers than the minimum.
    TooFew,
    /// The session's set asked the pair differently (other answers or kind): the set was
    /// changed between sessions.
    Changed,
}

/// The pair's figures over the pooled classes.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Pooled {
    /// The share (percent), the mean (number) or the mean scale position.
    pub actual: f64,
    /// Answers behind `actual` (abstentions not counted).
    pub actual_answers: u32,
    /// The mean guess, in the same unit.
    pub guessed: f64,
    pub guessed_answers: u32,
    /// `guessed - actual`.
    pub gap: f64,
    /// The pattern of the pooled guesses (absent for number pairs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<PatternName>,
}

/// The smallest, median and largest of the classes' gaps.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PatternCount {
    pub pattern: PatternName,
    pub classes: u32,
}

/// A national reference figure, with where it comes from.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct NationalFigure {
    pub value: f64,
    pub unit: String,
    pub measures: String,
    pub population: String,
    pub year: i64,
    /// The survey, and who reported it.
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Language;

    #[test]
    fn the_report_s_file_name_holds_the_period() {
        let query = |from: Option<&str>, to: Option<&str>| OverviewQuery {
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            school: Some("Nordskolen".into()),
            ..OverviewQuery::default()
        };
        let table = [
            (
                query(Some("2026-08-01"), Some("2027-07-31")),
                Language::Da,
                "periodeopgoerelse-2026-08-01-2027-07-31.html",
            ),
            (
                query(Some("2026-08-01"), Some("2027-07-31")),
                Language::En,
                "period-report-2026-08-01-2027-07-31.html",
            ),
            (
                query(Some("2026-08-01"), None),
                Language::Da,
                "periodeopgoerelse-fra-2026-08-01.html",
            ),
            (
                query(None, Some("2027-07-31")),
                Language::En,
                "period-report-to-2027-07-31.html",
            ),
            (
                query(None, None),
                Language::Da,
                "periodeopgoerelse-alle-sessioner.html",
            ),
            // Nothing but digits and dashes from a value goes into the name.
            (
                query(Some("\"../x"), Some(" ")),
                Language::Da,
                "periodeopgoerelse-alle-sessioner.html",
            ),
        ];
        for (query, lang, name) in table {
            assert_eq!(query.report_file_name(lang), name, "{query:?}");
        }
    }
}
