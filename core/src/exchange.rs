//! Several laptops, one municipality (issue 17, `docs/exchange.md`): a consultant exports
//! the aggregates of chosen sessions to one file; a coordinator imports such files and
//! sees the sessions in *Overblik* beside their own, marked by origin.
//!
//! A file holds, per session, what the overview needs and nothing more: its name, day,
//! description, set, how many took part and answered, the thresholds it ran with, the
//! earlier session it follows up (by key), and for each question of a pair of a pupils'
//! set its counts — or `too_few` where fewer than the class's minimum took a side, so the
//! counts never leave the laptop. Never a token, a participant key or an answer of one
//! person. A session is known by its **key**, a hash of its id, the same in every file
//! it is exported to: importing a file twice, or two files holding the same session,
//! counts it once.
//!
//! Plain data, no I/O: the server reads and writes the file as JSON and stores imported
//! sessions; this module makes a file from [`OverviewSession`]s and checks a file and
//! turns it back into them. The overview of the imported sessions gives the figures the
//! overview gave where they were exported (`tests`).

use std::collections::BTreeSet;

use pejling_wire::{Answer, Audience, Description, Distribution, Language, TallyResult};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::counts::{self, Answered, Tallies};
use crate::overview::OverviewSession;
use crate::questions::{Question, QuestionKind, QuestionSet};
use crate::results::{Counts, Thresholds};

#[cfg(test)]
mod tests;

/// The `format` of every exchange file.
pub const FORMAT: &str = "pejling-exchange";
/// The version this pejling writes and reads.
pub const VERSION: u32 = 1;
/// The longest origin ("Anna, SSP Nord"), in characters.
pub const MAX_ORIGIN_CHARS: usize = 80;
/// The most sessions one file may hold.
pub const MAX_SESSIONS: usize = 10_000;
/// The most participants one session may have (the server's own limit is far below).
const MAX_PARTICIPANTS: u32 = 100_000;
/// The most participants of all a file's sessions together: counts are tallied afresh on
/// import, answer by answer, so this bounds the work a file can ask for.
const MAX_PARTICIPANTS_IN_A_FILE: u64 = 1_000_000;
/// The longest name or description value, in characters.
const MAX_TEXT_CHARS: usize = 200;

/// An exchange file.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExchangeFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// Who exported it, as they wrote it.
    pub origin: String,
    /// When (RFC 3339 with the exporting computer's offset).
    pub exported_at: String,
    pub sessions: Vec<ExchangeSession>,
}

/// One session of an exchange file.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSession {
    /// [`key`] of its id: 32 lowercase hex digits.
    pub key: String,
    /// What people call it: its label, else its class and school, else its join code.
    pub name: String,
    /// The day it was held, `YYYY-MM-DD`, in the exporting computer's time zone.
    pub date: String,
    #[serde(default)]
    pub description: Description,
    /// The set as the session used it.
    pub set: QuestionSet,
    /// Devices that joined.
    pub participants: u32,
    /// Answers stored in all.
    pub answers: u32,
    /// The thresholds its class was judged with where it was exported (the minimum
    /// already the higher of the session's own and that computer's).
    pub thresholds: Thresholds,
    /// The key of the earlier session of its class it follows up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_of: Option<String>,
    /// Per question id of the pupils' set's pairs: its counts, or `too_few`. A question
    /// nobody answered is absent.
    pub questions: Tallies,
}

/// A session's key: the first 16 bytes of SHA-256 of its id, in hex. The id itself never
/// leaves the computer.
pub fn key(session_id: &str) -> String {
    let digest = Sha256::digest(format!("pejling-exchange\0{session_id}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The exchange file of `chosen` (this computer's own sessions; imported ones, rehearsals
/// and sessions nobody joined are skipped) and of the earlier sessions their follow-ups
/// compare with, found among `all`. `thresholds` are this computer's: counts below a
/// class's minimum are withheld.
pub fn export(
    chosen: &[&OverviewSession],
    all: &[OverviewSession],
    origin: &str,
    exported_at: &str,
    thresholds: &Thresholds,
) -> ExchangeFile {
    let exportable =
        |s: &&OverviewSession| s.origin.is_none() && !s.rehearsal && s.participants > 0;
    let mut sessions: Vec<&OverviewSession> = chosen.iter().copied().filter(exportable).collect();
    let mut ids: BTreeSet<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    let earlier: Vec<&OverviewSession> = sessions
        .iter()
        .filter_map(|s| s.follow_up_of.as_deref())
        .filter_map(|id| all.iter().find(|s| s.id == id))
        .filter(exportable)
        .collect();
    for session in earlier {
        if ids.insert(&session.id) {
            sessions.push(session);
        }
    }
    sessions.sort_by(|a, b| (&a.date, &a.name, &a.id).cmp(&(&b.date, &b.name, &b.id)));
    ExchangeFile {
        format: FORMAT.to_string(),
        version: VERSION,
        origin: origin.trim().to_string(),
        exported_at: exported_at.to_string(),
        sessions: sessions
            .into_iter()
            .map(|session| exported(session, thresholds))
            .collect(),
    }
}

/// One session as a file holds it.
fn exported(session: &OverviewSession, thresholds: &Thresholds) -> ExchangeSession {
    let class = session.class_thresholds(thresholds);
    let mut questions = Tallies::new();
    if session.set.audience == Audience::Pupils {
        for perceived in &session.set.questions {
            let Some(perceives) = perceived.perceives.as_ref().filter(|p| p.set.is_none()) else {
                continue;
            };
            let actual = session.set.question(&perceives.question);
            for question in [Some(perceived), actual].into_iter().flatten() {
                let Some(answered) = session.tallies.get(&question.id) else {
                    continue;
                };
                let enough = match answered {
                    Answered::Counts(result) => {
                        Counts { question, result }.respondents() >= class.min_answers.max(1)
                    }
                    Answered::TooFew => false,
                };
                let shown = if enough {
                    answered.clone()
                } else {
                    Answered::TooFew
                };
                questions.insert(question.id.clone(), shown);
            }
        }
    }
    ExchangeSession {
        key: key(&session.id),
        // A join code stays on the laptop.
        name: if session.named_by_code {
            match session.set.language {
                Language::Da => "Session uden navn".to_string(),
                Language::En => "Unnamed session".to_string(),
            }
        } else {
            session.name.clone()
        },
        date: session.date.clone(),
        description: session.description.clone(),
        set: QuestionSet::clone(&session.set),
        participants: session.participants,
        answers: session.answers,
        thresholds: class,
        follow_up_of: session.follow_up_of.as_deref().map(key),
        questions,
    }
}

/// What is wrong with a file, said in English and Danish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExchangeError {
    pub message: String,
    pub danish: String,
}

impl ExchangeError {
    fn new(message: impl Into<String>, danish: impl Into<String>) -> ExchangeError {
        ExchangeError {
            message: message.into(),
            danish: danish.into(),
        }
    }

    /// A file that is not JSON of this shape; `detail` is the reader's words.
    pub fn not_a_file(detail: &str) -> ExchangeError {
        ExchangeError::new(
            format!("this is not a pejling exchange file (docs/exchange.md): {detail}"),
            format!("Filen er ikke en delingsfil fra pejling: {detail}"),
        )
    }

    pub fn text(&self, lang: Language) -> &str {
        match lang {
            Language::Da => &self.danish,
            Language::En => &self.message,
        }
    }

    /// The same problem, said of the `n`th session (1-based) named `name`.
    fn in_session(self, n: usize, name: &str) -> ExchangeError {
        ExchangeError {
            message: format!("session {n} (\"{name}\"): {}", self.message),
            danish: format!("Session {n} (\"{name}\"): {}", self.danish),
        }
    }
}

/// The sessions of a file, checked, as the overview reads them (marked with the file's
/// origin); or the first thing wrong with it. Nothing of a file with a problem is used.
pub fn import(file: ExchangeFile) -> Result<Vec<OverviewSession>, ExchangeError> {
    if file.format != FORMAT {
        return Err(ExchangeError::new(
            format!("\"format\" is \"{}\", not \"{FORMAT}\"", file.format),
            format!("\"format\" er \"{}\", ikke \"{FORMAT}\"", file.format),
        ));
    }
    if file.version != VERSION {
        return Err(ExchangeError::new(
            format!(
                "the file is of version {} of the format; this pejling reads version {VERSION}: \
                 update pejling on one of the computers",
                file.version
            ),
            format!(
                "Filen er i version {} af formatet; denne pejling læser version {VERSION}. \
                 Opdatér pejling på en af computerne",
                file.version
            ),
        ));
    }
    let origin = origin(&file.origin)?;
    if file.exported_at.trim().is_empty() || file.exported_at.chars().count() > 40 {
        return Err(ExchangeError::new(
            "\"exported_at\" must be a time such as 2027-06-20T14:05:00+02:00",
            "\"exported_at\" skal være et tidspunkt som 2027-06-20T14:05:00+02:00",
        ));
    }
    if file.sessions.len() > MAX_SESSIONS {
        return Err(ExchangeError::new(
            format!("a file holds at most {MAX_SESSIONS} sessions"),
            format!("En fil kan højst have {MAX_SESSIONS} sessioner"),
        ));
    }
    let everyone: u64 = file
        .sessions
        .iter()
        .map(|s| u64::from(s.participants))
        .sum();
    if everyone > MAX_PARTICIPANTS_IN_A_FILE {
        return Err(ExchangeError::new(
            format!("a file holds at most {MAX_PARTICIPANTS_IN_A_FILE} participants in all"),
            format!("En fil kan højst have {MAX_PARTICIPANTS_IN_A_FILE} deltagere i alt"),
        ));
    }
    let mut keys = BTreeSet::new();
    let mut sessions = Vec::with_capacity(file.sessions.len());
    for (index, session) in file.sessions.into_iter().enumerate() {
        let n = index + 1;
        let name = session.name.chars().take(60).collect::<String>();
        if !keys.insert(session.key.clone()) {
            return Err(ExchangeError::new(
                "the file holds this session twice (the same key)",
                "Filen har denne session to gange (samme nøgle)",
            )
            .in_session(n, &name));
        }
        sessions.push(import_session(session, &origin).map_err(|e| e.in_session(n, &name))?);
    }
    Ok(sessions)
}

/// A file's origin, trimmed, or why it cannot be one.
pub fn origin(origin: &str) -> Result<String, ExchangeError> {
    let trimmed = origin.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_ORIGIN_CHARS {
        return Err(ExchangeError::new(
            format!(
                "the origin (who exported the file) must be 1 to {MAX_ORIGIN_CHARS} characters"
            ),
            format!("Afsenderen (hvem filen er fra) skal være 1 til {MAX_ORIGIN_CHARS} tegn"),
        ));
    }
    plain_text("the origin", "afsenderen", trimmed)?;
    Ok(trimmed.to_string())
}

/// Refuses control characters (and bidirectional overrides) in a text shown to people.
fn plain_text(what: &str, hvad: &str, text: &str) -> Result<(), ExchangeError> {
    let hidden =
        |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if text.chars().any(hidden) {
        return Err(ExchangeError::new(
            format!("{what} has control or direction characters"),
            format!("{} har kontrol- eller retningstegn", capital(hvad)),
        ));
    }
    Ok(())
}

/// One session of a file with `origin`, checked, as the overview reads it (a session
/// stored when its file was imported is read back with this too).
pub fn import_session(
    session: ExchangeSession,
    origin: &str,
) -> Result<OverviewSession, ExchangeError> {
    let is_hex = |key: &str| {
        key.len() == 32
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if !is_hex(&session.key) {
        return Err(ExchangeError::new(
            "\"key\" must be 32 lowercase hex digits",
            "\"key\" skal være 32 hexcifre (0-9, a-f)",
        ));
    }
    if let Some(earlier) = &session.follow_up_of
        && !is_hex(earlier)
    {
        return Err(ExchangeError::new(
            "\"follow_up_of\" must be a session's key, 32 lowercase hex digits",
            "\"follow_up_of\" skal være en sessions nøgle, 32 hexcifre (0-9, a-f)",
        ));
    }
    if !is_day(&session.date) {
        return Err(ExchangeError::new(
            format!(
                "\"date\" must be a day written YYYY-MM-DD, not \"{}\"",
                session.date
            ),
            format!(
                "\"date\" skal være en dato skrevet ÅÅÅÅ-MM-DD, ikke \"{}\"",
                session.date
            ),
        ));
    }
    let description = &session.description;
    for (what, hvad, text) in [
        ("the name", "navnet", Some(&session.name)),
        ("the school", "skolen", description.school.as_ref()),
        ("the grade", "klassetrinnet", description.grade.as_ref()),
        ("the class", "klassen", description.class.as_ref()),
        ("the term", "perioden", description.term.as_ref()),
    ] {
        let Some(text) = text else { continue };
        if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
            return Err(ExchangeError::new(
                format!("{what} must be 1 to {MAX_TEXT_CHARS} characters"),
                format!("{} skal være 1 til {MAX_TEXT_CHARS} tegn", capital(hvad)),
            ));
        }
        plain_text(what, hvad, text)?;
    }
    if session.participants > MAX_PARTICIPANTS {
        return Err(ExchangeError::new(
            format!("more than {MAX_PARTICIPANTS} participants"),
            format!("Mere end {MAX_PARTICIPANTS} deltagere"),
        ));
    }
    if session.follow_up_of.as_deref() == Some(session.key.as_str()) {
        return Err(ExchangeError::new(
            "the session follows up itself",
            "Sessionen er markeret som opfølgning på sig selv",
        ));
    }
    sound(&session.set)?;
    // Each participant answers each question at most once.
    let most = u64::from(session.participants) * session.set.questions.len() as u64;
    if u64::from(session.answers) > most {
        return Err(ExchangeError::new(
            format!(
                "\"answers\" is {}, more than its {} participants can give to {} questions",
                session.answers,
                session.participants,
                session.set.questions.len()
            ),
            format!(
                "\"answers\" er {}, flere end dens {} deltagere kan give på {} spørgsmål",
                session.answers,
                session.participants,
                session.set.questions.len()
            ),
        ));
    }
    thresholds(&session.thresholds)?;
    if session.set.audience != Audience::Pupils && !session.questions.is_empty() {
        return Err(ExchangeError::new(
            "a parents' session carries no counts in an exchange file",
            "En forældresession har ingen tal i en delingsfil",
        ));
    }
    let mut tallies = Tallies::new();
    for (id, answered) in session.questions {
        let Some(question) = session.set.question(&id) else {
            return Err(ExchangeError::new(
                format!("counts of a question \"{id}\" its set does not have"),
                format!("Tal for et spørgsmål \"{id}\", som sættet ikke har"),
            ));
        };
        let answered = match answered {
            Answered::TooFew => Answered::TooFew,
            Answered::Counts(result) => {
                let wrong = |(why, hvorfor): (String, String)| {
                    ExchangeError::new(
                        format!("the counts of question \"{id}\" {why}"),
                        format!("Tallene for spørgsmål \"{id}\" {hvorfor}"),
                    )
                };
                let result = recount(question, &result, session.participants).map_err(wrong)?;
                // What the exporting computer withholds is never in a file.
                let min = session.thresholds.min_answers;
                let counted = Counts {
                    question,
                    result: &result,
                };
                if counted.respondents() < min {
                    return Err(wrong((
                        format!("are below the session's minimum of {min} and must be \"too_few\""),
                        format!("er under sessionens minimum på {min} og skal være \"too_few\""),
                    )));
                }
                Answered::Counts(result)
            }
        };
        tallies.insert(id, answered);
    }
    Ok(OverviewSession {
        id: session.key,
        origin: Some(origin.to_string()),
        name: session.name,
        named_by_code: false,
        date: session.date,
        description: session.description,
        set: std::sync::Arc::new(session.set),
        participants: session.participants,
        answers: session.answers,
        tallies,
        rehearsal: false,
        thresholds: Some(session.thresholds),
        follow_up_of: session.follow_up_of,
    })
}

/// Thresholds a class can be judged with: a minimum of 1 to 1,000, margins from 0 to
/// 100 percentage points and 0 to 10 scale points, a significance between 0 and 1.
fn thresholds(thresholds: &Thresholds) -> Result<(), ExchangeError> {
    let fine = (1..=1000).contains(&thresholds.min_answers)
        && (0.0..=100.0).contains(&thresholds.agreement_pp)
        && (0.0..=10.0).contains(&thresholds.agreement_points)
        && thresholds.significance > 0.0
        && thresholds.significance < 1.0;
    if fine {
        return Ok(());
    }
    Err(ExchangeError::new(
        "\"thresholds\" are out of range: min_answers 1–1000, agreement_pp 0–100, \
         agreement_points 0–10, significance above 0 and below 1",
        "\"thresholds\" er uden for det tilladte: min_answers 1–1000, agreement_pp 0–100, \
         agreement_points 0–10, significance over 0 og under 1",
    ))
}

/// An answer as a problem text names it.
fn answer_text(answer: &Answer) -> (String, String) {
    match answer {
        Answer::Choice { option } => (format!("option {option}"), format!("svarmulighed {option}")),
        Answer::Scale { point } => (
            format!("scale point {point}"),
            format!("skalapunkt {point}"),
        ),
        Answer::Percent { value } => (format!("{value} %"), format!("{value} %")),
        Answer::Number { value } => (format!("the number {value}"), format!("tallet {value}")),
        Answer::Abstain { option } => (
            format!("abstain answer {option}"),
            format!("svar, der afstår, nr. {option}"),
        ),
    }
}

fn capital(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `YYYY-MM-DD`, a day of the calendar from the year 2000 on.
fn is_day(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let year: u32 = text[0..4].parse().unwrap_or(0);
    let month: u32 = text[5..7].parse().unwrap_or(0);
    let day: u32 = text[8..10].parse().unwrap_or(0);
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 2000 && (1..=days).contains(&day)
}

/// Whether a set read from a file is one the overview can read without surprises: ids
/// used once, each kind's options within bounds, each pair of the same set naming a
/// question that exists, of a kind it can be compared with, and options it has. (The
/// checker checked the set where it was made; this guards against a hand-edited file.)
fn sound(set: &QuestionSet) -> Result<(), ExchangeError> {
    let bad = |id: &str, why: &str, hvorfor: &str| {
        Err(ExchangeError::new(
            format!("question \"{id}\" of the set {why}"),
            format!("Sættets spørgsmål \"{id}\" {hvorfor}"),
        ))
    };
    if set.questions.len() > 500 {
        return bad("…", "is one of more than 500", "er et af flere end 500");
    }
    let mut ids = BTreeSet::new();
    for question in &set.questions {
        let id = question.id.as_str();
        if id.is_empty() || !ids.insert(id) {
            return bad(
                id,
                "has an id that is empty or used twice",
                "har et tomt eller dobbelt id",
            );
        }
        if question.abstain.len() > 3 {
            return bad(
                id,
                "has more than 3 abstain answers",
                "har flere end 3 svar, der afstår",
            );
        }
        let fine = match &question.kind {
            QuestionKind::Choice { options } => (1..=12).contains(&options.len()),
            QuestionKind::Scale { points } => (2..=12).contains(&points.len()),
            QuestionKind::Number { min, max, .. } => min <= max,
            QuestionKind::Percent => true,
        };
        if !fine {
            return bad(
                id,
                "has options or bounds out of range",
                "har svarmuligheder eller grænser uden for det tilladte",
            );
        }
        let Some(perceives) = question.perceives.as_ref().filter(|p| p.set.is_none()) else {
            continue;
        };
        let Some(actual) = set
            .question(&perceives.question)
            .filter(|a| a.id != question.id)
        else {
            return bad(
                id,
                "guesses a question the set does not have",
                "gætter på et spørgsmål, sættet ikke har",
            );
        };
        let n = |kind: &QuestionKind| match kind {
            QuestionKind::Choice { options } => options.len(),
            QuestionKind::Scale { points } => points.len(),
            _ => 0,
        };
        let pair = match (&actual.kind, &question.kind) {
            (QuestionKind::Choice { .. } | QuestionKind::Scale { .. }, QuestionKind::Percent) => {
                !perceives.options.is_empty()
                    && perceives
                        .options
                        .iter()
                        .all(|&o| (o as usize) < n(&actual.kind))
            }
            (QuestionKind::Number { .. }, QuestionKind::Number { .. }) => {
                perceives.options.is_empty()
            }
            (QuestionKind::Choice { .. }, QuestionKind::Choice { .. })
            | (QuestionKind::Scale { .. }, QuestionKind::Scale { .. }) => {
                perceives.options.is_empty() && n(&actual.kind) == n(&question.kind)
            }
            _ => false,
        };
        if !pair {
            return bad(
                id,
                "guesses a question it cannot be compared with",
                "gætter på et spørgsmål, det ikke kan sammenlignes med",
            );
        }
    }
    Ok(())
}

/// The counts of `result` as `question` takes them, tallied afresh (so means and medians
/// are this pejling's own), or why they do not fit it.
fn recount(
    question: &Question,
    result: &TallyResult,
    participants: u32,
) -> Result<TallyResult, (String, String)> {
    let wrong = |why: &str, hvorfor: &str| Err((why.to_string(), hvorfor.to_string()));
    if result.abstained.len() != question.abstain.len() {
        return wrong(
            "do not match its abstain answers",
            "passer ikke til dets svar, der afstår",
        );
    }
    let mut answers: Vec<(Answer, u32)> = result
        .abstained
        .iter()
        .enumerate()
        .map(|(i, &n)| (Answer::Abstain { option: i as u32 }, n))
        .collect();
    let fits = match (&question.kind, &result.distribution) {
        (QuestionKind::Choice { options }, Distribution::Choice { counts }) => {
            answers.extend(
                counts
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| (Answer::Choice { option: i as u32 }, n)),
            );
            counts.len() == options.len()
        }
        (QuestionKind::Scale { points }, Distribution::Scale { counts }) => {
            answers.extend(
                counts
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| (Answer::Scale { point: i as u32 }, n)),
            );
            counts.len() == points.len()
        }
        (QuestionKind::Percent, Distribution::Percent { counts, .. }) => {
            answers.extend(
                counts
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| (Answer::Percent { value: i as u32 }, n)),
            );
            counts.len() == 101
        }
        (QuestionKind::Number { .. }, Distribution::Number { values, .. }) => {
            answers.extend(
                values
                    .iter()
                    .map(|v| (Answer::Number { value: v.value }, v.count)),
            );
            values.windows(2).all(|w| w[0].value < w[1].value)
        }
        _ => false,
    };
    if !fits {
        return wrong(
            "are not of its kind or number of answers",
            "passer ikke til dets type eller antal svarmuligheder",
        );
    }
    let total: u64 = answers.iter().map(|&(_, n)| u64::from(n)).sum();
    if total > u64::from(participants) {
        return wrong(
            "add up to more answers than the session had participants",
            "giver flere svar, end sessionen havde deltagere",
        );
    }
    if let Some((answer, _)) = answers
        .iter()
        .find(|(answer, n)| *n > 0 && counts::check_answer(question, answer).is_err())
    {
        let (english, danish) = answer_text(answer);
        return Err((
            format!("count an answer it cannot have ({english})"),
            format!("tæller et svar, det ikke kan have ({danish})"),
        ));
    }
    let repeated = answers
        .iter()
        .flat_map(|(answer, n)| std::iter::repeat_n(answer, *n as usize));
    Ok(counts::tally(question, repeated))
}
