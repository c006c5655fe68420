//! The console's *Overblik*: what a municipality asks at the end of a school year, from
//! the sessions stored on the laptop. For a period and optionally a school, a grade or a
//! set:
//!
//! - **reach** — sessions, classes, pupils, parents and answers, in all, per month and per
//!   school (the registration a prevention plan asks for);
//! - **per pair of questions** across the classes that answered it — the pooled actual
//!   figure and guesses with the pattern of the pool, the spread of the classes' own gaps,
//!   how many classes showed each pattern, and the national figures the question cites.
//!
//! Anonymity as at a parent evening (`pooling.rs`): a class is pooled only if both sides of
//! the pair reach the minimum on their own — the overview's minimum, or the minimum its
//! own session ran with if that is higher — and is otherwise left out and named; the pool
//! must reach the overview's minimum too. So any difference between two overviews (all
//! schools, and all but one) is made of whole classes that could be shown on their own.
//! A class's pattern is named by [`results::compare`] with the thresholds its session ran
//! with: the same verdict as its own report. Rehearsals are left out of everything (and
//! counted, so the page can say so), as are sessions nobody joined.
//!
//! Plain data in, the wire's [`Overview`] out; loading the sessions (and the day each was
//! held in the computer's time zone) is the caller's job.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pejling_wire::{
    Audience, ClassName, Description, LeftOut, LeftOutReason, NationalFigure, Overview,
    OverviewChoices, OverviewPair, OverviewQuery, PairKind, PatternCount, PatternName, Pooled,
    Reach, SetChoice, Spread, TallyResult, clean_value, description_key,
};

use crate::counts::{self, Answered, Tallies};
use crate::engine::SessionRecord;
use crate::pooling;
use crate::questions::{Question, QuestionKind, QuestionSet, Reference};
use crate::results::{self, Comparison, Counts, Pattern, Thresholds};

#[cfg(test)]
pub(crate) mod tests;

/// A stored session as the overview needs it.
#[derive(Debug, Clone)]
pub struct OverviewSession {
    /// Its id here; for a session imported from another computer, its exchange key
    /// (`exchange::key`).
    pub id: String,
    /// Who exported it, for an imported session; `None` for this computer's own.
    pub origin: Option<String>,
    /// What people call it ([`crate::engine::SessionMeta::name`]).
    pub name: String,
    /// Whether `name` is its join code (no label, no class or school): an exchange file
    /// names it otherwise.
    pub named_by_code: bool,
    /// The day it was created, `YYYY-MM-DD`, in the computer's time zone.
    pub date: String,
    pub description: Description,
    /// The set as the session used it (with the national figures it cited then); shared
    /// by the sessions read with one set, as a year's many sessions use a few sets.
    pub set: Arc<QuestionSet>,
    pub participants: u32,
    /// Answers stored in all ("won't say" and "don't know" included).
    pub answers: u32,
    /// What was answered, per question.
    pub tallies: Tallies,
    pub rehearsal: bool,
    /// The thresholds the session ran with (`None`: stored before they were kept; the
    /// overview's apply).
    pub thresholds: Option<Thresholds>,
    /// The earlier session of its class it follows up, if any.
    pub follow_up_of: Option<String>,
}

impl OverviewSession {
    /// A stored session, held on `date` (`YYYY-MM-DD`, the caller's time zone).
    pub fn from_record(record: SessionRecord, date: String) -> OverviewSession {
        OverviewSession {
            name: record.meta.name(),
            named_by_code: record.meta.label.is_none() && record.meta.description.name().is_none(),
            tallies: crate::followup::tallies_of(&record),
            answers: record.answers.len() as u32,
            id: record.meta.id,
            origin: None,
            date,
            description: record.meta.description,
            set: Arc::new(record.set),
            participants: record.participants.len() as u32,
            rehearsal: record.meta.rehearsal,
            follow_up_of: record.meta.follow_up_of,
            thresholds: record.thresholds,
        }
    }

    fn is_pupils(&self) -> bool {
        self.set.audience == Audience::Pupils
    }

    fn class_name(&self) -> ClassName {
        ClassName {
            name: self.name.clone(),
            date: self.date.clone(),
            origin: self.origin.clone(),
        }
    }

    /// The thresholds a class is pooled and named with: its session's own, with the
    /// overview's minimum if that is higher (a set's own minimum counts, as it did live).
    pub fn class_thresholds(&self, overview: &Thresholds) -> Thresholds {
        let own = self.thresholds.unwrap_or(*overview);
        let own_min = self.set.min_answers.unwrap_or(own.min_answers);
        Thresholds {
            min_answers: own_min.max(overview.min_answers),
            ..own
        }
    }

    /// The counts of `question` of this session's set (none for a question nobody
    /// answered); `None` when they were withheld where the session was imported from.
    fn tally(&self, question: &Question) -> Option<TallyResult> {
        match self.tallies.get(&question.id) {
            Some(Answered::Counts(result)) => Some(result.clone()),
            Some(Answered::TooFew) => None,
            None => Some(counts::tally(question, [])),
        }
    }
}

/// The query with its values cleaned: white space trimmed, empty values dropped.
pub fn clean_query(query: &OverviewQuery) -> OverviewQuery {
    let clean = |value: &Option<String>| value.as_deref().and_then(clean_value);
    OverviewQuery {
        from: clean(&query.from),
        to: clean(&query.to),
        school: clean(&query.school),
        grade: clean(&query.grade),
        set: clean(&query.set),
    }
}

/// The overview of `sessions` for `query`; `thresholds` are the server's (the pools'
/// minimum and, for sessions stored without their own, the patterns' margins).
pub fn overview(
    sessions: &[OverviewSession],
    query: &OverviewQuery,
    thresholds: &Thresholds,
) -> Overview {
    let query = clean_query(query);
    let Selected {
        choices,
        rehearsals,
        counted,
    } = select(sessions, &query);
    let mut months: BTreeMap<&str, Vec<&OverviewSession>> = BTreeMap::new();
    let mut schools: BTreeMap<(bool, String), (String, Vec<&OverviewSession>)> = BTreeMap::new();
    // This computer's own sessions first, then each origin by name.
    let mut origins: BTreeMap<(bool, String, String), Vec<&OverviewSession>> = BTreeMap::new();
    for &session in &counted {
        months
            .entry(session.date.get(..7).unwrap_or(&session.date))
            .or_default()
            .push(session);
        let school = session.description.school.clone().unwrap_or_default();
        // Sessions without a school come last.
        schools
            .entry((school.is_empty(), description_key(&school)))
            .or_insert_with(|| (school, Vec::new()))
            .1
            .push(session);
        // Each origin as written (an origin is removed by its exact spelling too).
        let origin = session.origin.clone().unwrap_or_default();
        origins
            .entry((!origin.is_empty(), origin.to_lowercase(), origin))
            .or_default()
            .push(session);
    }
    let imported = origins.keys().any(|(imported, _, _)| *imported);
    Overview {
        min_answers: thresholds.min_answers,
        choices,
        total: reach(String::new(), &counted),
        by_month: months
            .into_iter()
            .map(|(month, sessions)| reach(month.to_string(), &sessions))
            .collect(),
        by_school: schools
            .into_values()
            .map(|(school, sessions)| reach(school, &sessions))
            .collect(),
        rehearsals,
        pairs: pairs(&counted, thresholds),
        follow_ups: follow_ups(&counted, sessions, thresholds),
        by_origin: if imported {
            origins
                .into_iter()
                .map(|((_, _, origin), sessions)| reach(origin, &sessions))
                .collect()
        } else {
            Vec::new()
        },
        query,
    }
}

/// The sessions an overview of `query` (cleaned) counts, and what goes with them.
struct Selected<'a> {
    /// The filters' choices: the period's sessions, rehearsals left out.
    choices: OverviewChoices,
    /// Rehearsals that match the query, left out of every figure.
    rehearsals: u32,
    /// The sessions of the period that match the filters, neither a rehearsal nor
    /// unjoined, in order of day, name and id.
    counted: Vec<&'a OverviewSession>,
}

fn select<'a>(sessions: &'a [OverviewSession], query: &OverviewQuery) -> Selected<'a> {
    let in_period: Vec<&OverviewSession> = sessions
        .iter()
        .filter(|s| {
            query
                .from
                .as_deref()
                .is_none_or(|from| s.date.as_str() >= from)
        })
        .filter(|s| query.to.as_deref().is_none_or(|to| s.date.as_str() <= to))
        .collect();
    let choices = choices(in_period.iter().copied().filter(|s| !s.rehearsal));
    let same = |wanted: &Option<String>, value: Option<&str>| match wanted {
        None => true,
        Some(wanted) => {
            value.is_some_and(|value| description_key(value) == description_key(wanted))
        }
    };
    let matching: Vec<&OverviewSession> = in_period
        .into_iter()
        .filter(|s| same(&query.school, s.description.school.as_deref()))
        .filter(|s| same(&query.grade, s.description.grade.as_deref()))
        .filter(|s| query.set.as_ref().is_none_or(|set| *set == s.set.id))
        .collect();
    let rehearsals = matching.iter().filter(|s| s.rehearsal).count() as u32;
    let mut counted: Vec<&OverviewSession> = matching
        .into_iter()
        .filter(|s| !s.rehearsal && s.participants > 0)
        .collect();
    counted.sort_by(|a, b| (&a.date, &a.name, &a.id).cmp(&(&b.date, &b.name, &b.id)));

    Selected {
        choices,
        rehearsals,
        counted,
    }
}

/// The sessions the overview of `query` counts (the period and filters; neither a
/// rehearsal nor a session nobody joined): what an exchange file of that overview holds.
pub fn counted<'a>(
    sessions: &'a [OverviewSession],
    query: &OverviewQuery,
) -> Vec<&'a OverviewSession> {
    select(sessions, &clean_query(query)).counted
}

/// The follow-ups among `counted`, each compared with its earlier session (found among
/// `all`, which holds the earlier sessions from before the period too).
fn follow_ups(
    counted: &[&OverviewSession],
    all: &[OverviewSession],
    thresholds: &Thresholds,
) -> pejling_wire::FollowUps {
    use crate::followup::{Asked, Change, follow_ups as compare};
    let mut result = pejling_wire::FollowUps::default();
    for &after in counted {
        let Some(before) = after
            .follow_up_of
            .as_ref()
            // Held before it (or the same day), and not the session itself.
            .and_then(|id| {
                all.iter().find(|s| {
                    s.id == *id && s.id != after.id && s.date <= after.date && !s.rehearsal
                })
            })
        else {
            continue;
        };
        result.classes += 1;
        fn asked(s: &OverviewSession) -> Asked<'_> {
            Asked {
                set: &s.set,
                tallies: &s.tallies,
            }
        }
        // Neither class's minimum is undercut: what its own session withheld stays so.
        let thresholds = Thresholds {
            min_answers: before
                .class_thresholds(thresholds)
                .min_answers
                .max(after.class_thresholds(thresholds).min_answers),
            ..after.class_thresholds(thresholds)
        };
        for pair in compare(asked(before), asked(after), &thresholds) {
            let index =
                match result.pairs.iter().position(|p| {
                    p.set_title == after.set.title && p.question == pair.actual_question
                }) {
                    Some(index) => index,
                    None => {
                        result.pairs.push(pejling_wire::FollowUpCount {
                            set_title: after.set.title.clone(),
                            question: pair.actual_question.clone(),
                            ..Default::default()
                        });
                        result.pairs.len() - 1
                    }
                };
            let count = &mut result.pairs[index];
            match pair.result.value().map(|f| f.change) {
                Some(Change::Shrank) => count.shrank += 1,
                Some(Change::Grew) => count.grew += 1,
                Some(Change::NoClearChange) => count.no_clear_change += 1,
                Some(Change::NoneBefore) => count.none_before += 1,
                None => count.too_few += 1,
            }
        }
    }
    result
}

/// The schools, grades and sets of `sessions`, each once, for the filters.
fn choices<'a>(sessions: impl Iterator<Item = &'a OverviewSession>) -> OverviewChoices {
    let mut schools: BTreeMap<String, String> = BTreeMap::new();
    let mut grades: BTreeMap<String, String> = BTreeMap::new();
    let mut sets: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut newest: BTreeMap<String, String> = BTreeMap::new();
    for session in sessions {
        if let Some(school) = &session.description.school {
            schools
                .entry(description_key(school))
                .or_insert_with(|| school.clone());
        }
        if let Some(grade) = &session.description.grade {
            grades
                .entry(description_key(grade))
                .or_insert_with(|| grade.clone());
        }
        // A set's title as its newest session used it.
        let date = newest.entry(session.set.id.clone()).or_default();
        if session.date >= *date {
            *date = session.date.clone();
            sets.insert(
                session.set.id.clone(),
                (session.set.title.clone(), session.set.id.clone()),
            );
        }
    }
    let mut grades: Vec<String> = grades.into_values().collect();
    // "5", "7", "10", "1.g": numbers in order, the rest after them.
    grades.sort_by_key(|grade| {
        let number: Option<u32> = grade.parse().ok();
        (number.is_none(), number, grade.to_lowercase())
    });
    let mut sets: Vec<SetChoice> = sets
        .into_values()
        .map(|(title, id)| SetChoice { id, title })
        .collect();
    sets.sort_by(|a, b| (a.title.to_lowercase(), &a.id).cmp(&(b.title.to_lowercase(), &b.id)));
    OverviewChoices {
        schools: schools.into_values().collect(),
        grades,
        sets,
    }
}

/// The reach of `sessions` (none a rehearsal, each joined by someone).
fn reach(key: String, sessions: &[&OverviewSession]) -> Reach {
    let mut reach = Reach {
        key,
        ..Reach::default()
    };
    let mut classes: BTreeSet<(String, String)> = BTreeSet::new();
    for session in sessions {
        // Saturating: imported files could otherwise add up past u32.
        reach.answers = reach.answers.saturating_add(session.answers);
        if session.is_pupils() {
            reach.sessions += 1;
            reach.pupils = reach.pupils.saturating_add(session.participants);
            let description = &session.description;
            classes.insert(match &description.class {
                Some(class) => (
                    description_key(description.school.as_deref().unwrap_or_default()),
                    description_key(class),
                ),
                // Without a class, the session is a class of its own.
                None => ("\u{0}session".to_string(), session.id.clone()),
            });
        } else {
            reach.parent_sessions += 1;
            reach.parents = reach.parents.saturating_add(session.participants);
        }
    }
    reach.classes = classes.len() as u32;
    reach
}

/// Every pair of the pupils' sets, across the classes that answered it.
fn pairs(sessions: &[&OverviewSession], thresholds: &Thresholds) -> Vec<OverviewPair> {
    let pupils: Vec<&OverviewSession> =
        sessions.iter().copied().filter(|s| s.is_pupils()).collect();
    // Each pair as the newest session of its set asked it (sessions are oldest first).
    let mut newest: BTreeMap<(&str, &str), (&OverviewSession, usize)> = BTreeMap::new();
    for &session in &pupils {
        for (idx, question) in session.set.questions.iter().enumerate() {
            if question.perceives.as_ref().is_some_and(|p| p.set.is_none()) {
                newest.insert((&session.set.id, &question.id), (session, idx));
            }
        }
    }
    let mut rows: Vec<(&OverviewSession, usize)> = newest.into_values().collect();
    rows.sort_by(|(a, i), (b, j)| {
        (a.set.title.to_lowercase(), &a.set.id, i).cmp(&(b.set.title.to_lowercase(), &b.set.id, j))
    });
    rows.into_iter()
        .filter_map(|(session, idx)| pair(session, idx, &pupils, thresholds))
        .collect()
}

/// One class's side of a pair: its counts, or why it is left out.
struct ClassPair {
    actual: TallyResult,
    perceived: TallyResult,
    gap: Option<f64>,
    pattern: Option<Pattern>,
}

/// The pair that question `idx` of `newest`'s set makes with the question it perceives,
/// over the sessions of that set that answered it; `None` for a pair no class answered,
/// and for a pair with no figure to pool (two choice questions without an order).
fn pair(
    newest: &OverviewSession,
    idx: usize,
    sessions: &[&OverviewSession],
    thresholds: &Thresholds,
) -> Option<OverviewPair> {
    let perceived = &newest.set.questions[idx];
    let perceives = perceived.perceives.as_ref()?;
    let actual = newest.set.question(&perceives.question)?;
    let kind = match (&actual.kind, &perceived.kind) {
        (QuestionKind::Choice { .. } | QuestionKind::Scale { .. }, QuestionKind::Percent) => {
            PairKind::Percent
        }
        (QuestionKind::Number { .. }, QuestionKind::Number { .. }) => PairKind::Number,
        (QuestionKind::Scale { .. }, QuestionKind::Scale { .. }) => PairKind::Scale,
        _ => return None,
    };
    let mut classes = Vec::new();
    let mut left_out = Vec::new();
    let mut pooled_classes: Vec<ClassPair> = Vec::new();
    let mut national: Vec<&Reference> = Vec::new();
    for session in sessions.iter().filter(|s| s.set.id == newest.set.id) {
        // A session whose set has not this question did not answer it.
        let Some(their_perceived) = session.set.question(&perceived.id) else {
            continue;
        };
        // Nobody answered either question: the class was not asked them (the session
        // ended before), so it is neither pooled nor left out.
        if !session.tallies.contains_key(&perceived.id)
            && !session.tallies.contains_key(&perceives.question)
        {
            continue;
        }
        let their_actual = their_perceived
            .perceives
            .as_ref()
            .filter(|p| p.set.is_none())
            .filter(|p| p.question == perceives.question && p.options == perceives.options)
            .and_then(|p| session.set.question(&p.question))
            .filter(|a| pooling::same_shape(a, actual))
            .filter(|_| pooling::same_shape(their_perceived, perceived));
        let Some(their_actual) = their_actual else {
            left_out.push(left(session, LeftOutReason::Changed));
            continue;
        };
        for reference in &their_perceived.references {
            if !national.iter().any(|r| same_reference(r, reference)) {
                national.push(reference);
            }
        }
        let class_thresholds = session.class_thresholds(thresholds);
        // Withheld where it was imported from: too few, as it would be here.
        let (Some(actual_counts), Some(perceived_counts)) =
            (session.tally(their_actual), session.tally(their_perceived))
        else {
            left_out.push(left(session, LeftOutReason::TooFew));
            continue;
        };
        let enough = |question: &Question, result: &TallyResult| {
            Counts { question, result }.respondents() >= class_thresholds.min_answers.max(1)
        };
        if !enough(their_actual, &actual_counts) || !enough(their_perceived, &perceived_counts) {
            left_out.push(left(session, LeftOutReason::TooFew));
            continue;
        }
        let comparison = results::compare(
            &Counts {
                question: their_actual,
                result: &actual_counts,
            },
            &Counts {
                question: their_perceived,
                result: &perceived_counts,
            },
            &perceives.options,
            &class_thresholds,
        );
        let (gap, pattern) = gap_and_pattern(&comparison);
        classes.push(session.class_name());
        pooled_classes.push(ClassPair {
            actual: actual_counts,
            perceived: perceived_counts,
            gap,
            pattern,
        });
    }
    if classes.is_empty() && left_out.is_empty() {
        return None;
    }
    let pooled = pooled(
        actual,
        perceived,
        &perceives.options,
        &pooled_classes,
        thresholds,
    );
    let mut gaps: Vec<f64> = pooled_classes.iter().filter_map(|c| c.gap).collect();
    gaps.sort_by(f64::total_cmp);
    let mut patterns: BTreeMap<PatternName, u32> = BTreeMap::new();
    for pattern in pooled_classes.iter().filter_map(|c| c.pattern) {
        *patterns.entry(pattern_name(pattern)).or_default() += 1;
    }
    Some(OverviewPair {
        set_id: newest.set.id.clone(),
        set_title: newest.set.title.clone(),
        question: actual.text.clone(),
        perceived: perceived.text.clone(),
        perceived_id: perceived.id.clone(),
        kind,
        unit: match &actual.kind {
            QuestionKind::Number { unit, .. } => unit.clone(),
            _ => None,
        },
        options: match &actual.kind {
            QuestionKind::Choice { options: labels } | QuestionKind::Scale { points: labels }
                if kind == PairKind::Percent =>
            {
                perceives
                    .options
                    .iter()
                    .filter_map(|&o| labels.get(o as usize).cloned())
                    .collect()
            }
            _ => Vec::new(),
        },
        scale: match &actual.kind {
            QuestionKind::Scale { points } if kind == PairKind::Scale => points.clone(),
            _ => Vec::new(),
        },
        classes,
        left_out,
        pooled,
        gaps: spread(&gaps),
        patterns: patterns
            .into_iter()
            .map(|(pattern, classes)| PatternCount { pattern, classes })
            .collect(),
        national: national.into_iter().map(national_figure).collect(),
    })
}

fn left(session: &OverviewSession, reason: LeftOutReason) -> LeftOut {
    LeftOut {
        name: session.name.clone(),
        date: session.date.clone(),
        reason,
        origin: session.origin.clone(),
    }
}

/// The pool of the classes' counts, compared as one group with the overview's thresholds;
/// `None` when a side is below the minimum (e.g. every class was left out).
fn pooled(
    actual: &Question,
    perceived: &Question,
    options: &[u32],
    classes: &[ClassPair],
    thresholds: &Thresholds,
) -> Option<Pooled> {
    let actual_counts = pooling::sum(classes.iter().map(|c| &c.actual))?;
    let perceived_counts = pooling::sum(classes.iter().map(|c| &c.perceived))?;
    let actual_side = Counts {
        question: actual,
        result: &actual_counts,
    };
    let perceived_side = Counts {
        question: perceived,
        result: &perceived_counts,
    };
    let comparison = results::compare(&actual_side, &perceived_side, options, thresholds);
    let (actual_value, guessed) = match &comparison {
        Comparison::Percent(c) => (
            c.actual.value().map(|share| share.percent),
            c.perceived.value().map(|e| e.summary.mean),
        ),
        Comparison::Number(c) => (
            c.actual.value().map(|s| s.mean),
            c.perceived.value().map(|s| s.mean),
        ),
        Comparison::Attitude(c) => (c.actual_mean, c.perceived_mean),
    };
    let (gap, pattern) = gap_and_pattern(&comparison);
    Some(Pooled {
        actual: actual_value?,
        actual_answers: actual_side.respondents(),
        guessed: guessed?,
        guessed_answers: perceived_side.respondents(),
        gap: gap?,
        pattern: pattern.map(pattern_name),
    })
}

/// A comparison's gap (guessed − actual, in its unit) and pattern, when both sides are
/// shown.
fn gap_and_pattern(comparison: &Comparison) -> (Option<f64>, Option<Pattern>) {
    match comparison {
        Comparison::Percent(c) => (
            c.finding.as_ref().map(|f| f.gap_pp),
            c.finding.as_ref().map(|f| f.pattern),
        ),
        Comparison::Number(c) => (c.gap, None),
        Comparison::Attitude(c) => (c.gap_points, c.pattern),
    }
}

/// The least, median and largest of sorted `values` (the median of an even number is the
/// mean of the middle two); `None` for none.
fn spread(sorted: &[f64]) -> Option<Spread> {
    let n = sorted.len();
    Some(Spread {
        min: *sorted.first()?,
        median: (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0,
        max: *sorted.last()?,
    })
}

pub fn pattern_name(pattern: Pattern) -> PatternName {
    match pattern {
        Pattern::Overdrivelse => PatternName::Overdrivelse,
        Pattern::Underdrivelse => PatternName::Underdrivelse,
        Pattern::Overensstemmelse => PatternName::Overensstemmelse,
        Pattern::Flertalsmisforstaaelse => PatternName::Flertalsmisforstaaelse,
        Pattern::Uklar => PatternName::Uklar,
    }
}

fn same_reference(a: &Reference, b: &Reference) -> bool {
    a.id == b.id && a.value == b.value && a.year == b.year && a.survey == b.survey
}

fn national_figure(reference: &Reference) -> NationalFigure {
    NationalFigure {
        value: reference.value,
        unit: reference.unit.clone(),
        measures: reference.measures.clone(),
        population: reference.population.clone(),
        year: reference.year,
        source: match &reference.reported_by {
            Some(by) => format!("{}; {by}", reference.survey),
            None => reference.survey.clone(),
        },
    }
}
