//! Sessions imported from other computers' exchange files (`docs/exchange.md`), in a
//! table of their own: never mixed with this computer's sessions, each row one session
//! by its exchange key, so a file imported twice changes nothing. A row holds the session
//! as checked on import (counts tallied afresh, [`Kept`]) and its day, indexed, so a read
//! takes only its period's rows and parses them without checking them again; the
//! sessions' sets are kept once each (`imported_sets`), as a year's sessions use a few.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use pejling_core::counts::{Answered, Tallies};
use pejling_core::exchange::{self, ExchangeSession};
use pejling_core::overview::OverviewSession;
use pejling_core::questions::QuestionSet;
use pejling_core::results::Thresholds;
use pejling_wire::{
    Description, Distribution, ImportReport, ImportedOrigin, TallyResult, ValueCount,
};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::StoreError;

/// A checked file's sessions, ready to store.
#[derive(Debug, Clone)]
pub struct ImportBatch {
    pub origin: String,
    /// The file's time of export as written, and as Unix seconds (to compare two files).
    pub exported_at: String,
    pub exported_unix: i64,
    pub imported_unix: i64,
    /// The file's sessions as `exchange::import` checked them.
    pub sessions: Vec<OverviewSession>,
}

/// An imported session as a row keeps it once checked: what the overview reads of it but
/// its set (a column of its own) and its origin (the row's).
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    key: String,
    name: String,
    date: String,
    description: Description,
    participants: u32,
    answers: u32,
    thresholds: Option<Thresholds>,
    follow_up_of: Option<String>,
    tallies: Vec<(String, KeptCounts)>,
}

/// A question's counts as a row keeps them: the wire's `TallyResult` (a flattened,
/// internally tagged enum, which serde reads by buffering each value first) written as
/// a plain enum, which parses several times faster; the same numbers.
#[derive(serde::Serialize, serde::Deserialize)]
enum KeptCounts {
    TooFew,
    Choice {
        abstained: Vec<u32>,
        counts: Vec<u32>,
    },
    Scale {
        abstained: Vec<u32>,
        counts: Vec<u32>,
    },
    Percent {
        abstained: Vec<u32>,
        counts: Vec<u32>,
        mean: Option<f64>,
        median: Option<f64>,
    },
    Number {
        abstained: Vec<u32>,
        values: Vec<(i64, u32)>,
        mean: Option<f64>,
        median: Option<f64>,
    },
}

impl KeptCounts {
    fn of(answered: &Answered) -> KeptCounts {
        let Answered::Counts(result) = answered else {
            return KeptCounts::TooFew;
        };
        let abstained = result.abstained.clone();
        match &result.distribution {
            Distribution::Choice { counts } => KeptCounts::Choice {
                abstained,
                counts: counts.clone(),
            },
            Distribution::Scale { counts } => KeptCounts::Scale {
                abstained,
                counts: counts.clone(),
            },
            Distribution::Percent {
                counts,
                mean,
                median,
            } => KeptCounts::Percent {
                abstained,
                counts: counts.clone(),
                mean: *mean,
                median: *median,
            },
            Distribution::Number {
                values,
                mean,
                median,
            } => KeptCounts::Number {
                abstained,
                values: values.iter().map(|v| (v.value, v.count)).collect(),
                mean: *mean,
                median: *median,
            },
        }
    }

    fn answered(self) -> Answered {
        let (abstained, distribution) = match self {
            KeptCounts::TooFew => return Answered::TooFew,
            KeptCounts::Choice { abstained, counts } => {
                (abstained, Distribution::Choice { counts })
            }
            KeptCounts::Scale { abstained, counts } => (abstained, Distribution::Scale { counts }),
            KeptCounts::Percent {
                abstained,
                counts,
                mean,
                median,
            } => (
                abstained,
                Distribution::Percent {
                    counts,
                    mean,
                    median,
                },
            ),
            KeptCounts::Number {
                abstained,
                values,
                mean,
                median,
            } => (
                abstained,
                Distribution::Number {
                    values: values
                        .into_iter()
                        .map(|(value, count)| ValueCount { value, count })
                        .collect(),
                    mean,
                    median,
                },
            ),
        };
        Answered::Counts(TallyResult {
            abstained,
            distribution,
        })
    }
}

impl Kept {
    fn of(session: &OverviewSession) -> Kept {
        Kept {
            key: session.id.clone(),
            name: session.name.clone(),
            date: session.date.clone(),
            description: session.description.clone(),
            participants: session.participants,
            answers: session.answers,
            thresholds: session.thresholds,
            follow_up_of: session.follow_up_of.clone(),
            tallies: session
                .tallies
                .iter()
                .map(|(id, answered)| (id.clone(), KeptCounts::of(answered)))
                .collect(),
        }
    }

    fn session(self, origin: String, set: Arc<QuestionSet>) -> OverviewSession {
        OverviewSession {
            id: self.key,
            origin: Some(origin),
            name: self.name,
            named_by_code: false,
            date: self.date,
            description: self.description,
            set,
            participants: self.participants,
            answers: self.answers,
            tallies: self
                .tallies
                .into_iter()
                .map(|(id, counts)| (id, counts.answered()))
                .collect::<Tallies>(),
            rehearsal: false,
            thresholds: self.thresholds,
            follow_up_of: self.follow_up_of,
        }
    }
}

/// A session's row as written: its JSON ([`Kept`]) and its set's hash and JSON.
struct Row {
    json: String,
    set_hash: String,
    set: String,
}

impl Row {
    fn of(session: &OverviewSession) -> Row {
        let set = serde_json::to_string(session.set.as_ref()).expect("a set serializes");
        let set_hash = Sha256::digest(set.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Row {
            json: serde_json::to_string(&Kept::of(session)).expect("a session serializes"),
            set_hash,
            set,
        }
    }

    /// Writes its set unless it is kept already.
    fn write_set(&self, conn: &Connection) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO imported_sets (hash, snapshot) VALUES (?1, ?2)",
        )?
        .execute(params![self.set_hash, self.set])?;
        Ok(())
    }
}

/// What the exchange jobs do on the writer thread (reads are `between` and `list`, on
/// the readers).
pub enum ExchangeJob {
    Import(ImportBatch),
    Remove { origin: String },
}

pub enum ExchangeOutcome {
    Imported(ImportReport),
    Removed(u32),
}

pub fn run(conn: &Connection, job: &ExchangeJob) -> Result<ExchangeOutcome, StoreError> {
    Ok(match job {
        ExchangeJob::Import(batch) => ExchangeOutcome::Imported(import(conn, batch)?),
        ExchangeJob::Remove { origin } => {
            let removed = conn
                .prepare_cached("DELETE FROM imported_sessions WHERE origin = ?1")?
                .execute(params![origin])?;
            conn.prepare_cached(
                "DELETE FROM imported_sets
                 WHERE hash NOT IN (SELECT set_hash FROM imported_sessions
                                    WHERE set_hash IS NOT NULL)",
            )?
            .execute([])?;
            ExchangeOutcome::Removed(removed as u32)
        }
    })
}

/// Stores a file's sessions: a new key is added; a key imported before is replaced only
/// by a file exported later with other figures; a key of this computer's own sessions is
/// skipped.
fn import(conn: &Connection, batch: &ImportBatch) -> Result<ImportReport, StoreError> {
    let own: std::collections::BTreeSet<String> = conn
        .prepare_cached("SELECT id FROM sessions")?
        .query_map([], |row| row.get::<_, String>(0))?
        .map(|id| id.map(|id| pejling_core::exchange::key(&id)))
        .collect::<Result<_, _>>()?;
    let mut report = ImportReport {
        origin: batch.origin.clone(),
        exported_at: batch.exported_at.clone(),
        sessions: batch.sessions.len() as u32,
        ..ImportReport::default()
    };
    for session in &batch.sessions {
        if own.contains(&session.id) {
            report.own += 1;
            continue;
        }
        let row = Row::of(session);
        let stored: Option<(String, String, Option<String>, i64)> = conn
            .prepare_cached(
                "SELECT origin, session, set_hash, exported_unix FROM imported_sessions
                 WHERE key = ?1",
            )?
            .query_row(params![session.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let write = || {
            row.write_set(conn)?;
            conn.prepare_cached(
                "INSERT OR REPLACE INTO imported_sessions
                 (key, origin, exported_at, exported_unix, imported_unix, date, session, set_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                session.id,
                batch.origin,
                batch.exported_at,
                batch.exported_unix,
                batch.imported_unix,
                session.date,
                row.json,
                row.set_hash,
            ])
        };
        match stored {
            None => {
                write()?;
                report.added += 1;
            }
            Some((origin, json, set_hash, exported_unix))
                if (origin != batch.origin
                    || json != row.json
                    || set_hash.as_ref() != Some(&row.set_hash))
                    && batch.exported_unix > exported_unix =>
            {
                write()?;
                report.updated += 1;
            }
            Some(_) => report.unchanged += 1,
        }
    }
    Ok(report)
}

/// Rows stored before sessions were kept as checked (migration 10: the file's session
/// as JSON, no set hash): each checked now, once, and kept as checked. A row that fails
/// (only a damaged data file has one) keeps no set hash and is never read.
pub fn check_kept(conn: &mut Connection) -> Result<(), StoreError> {
    let rows: Vec<(String, String, String)> = conn
        .prepare("SELECT key, origin, session FROM imported_sessions WHERE set_hash IS NULL")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    if rows.is_empty() {
        return Ok(());
    }
    let transaction = conn.transaction()?;
    for (key, origin, json) in rows {
        let checked = serde_json::from_str::<ExchangeSession>(&json)
            .map_err(|e| e.to_string())
            .and_then(|s| exchange::import_session(s, &origin).map_err(|e| e.to_string()));
        match checked {
            Ok(session) => {
                let row = Row::of(&session);
                row.write_set(&transaction)?;
                transaction.execute(
                    "UPDATE imported_sessions SET session = ?2, set_hash = ?3 WHERE key = ?1",
                    params![key, row.json, row.set_hash],
                )?;
            }
            Err(error) => {
                tracing::warn!("an imported session from {origin} is unreadable: {error}")
            }
        }
    }
    transaction.commit()?;
    Ok(())
}

/// The imported sessions held from `from` to `to` (days `YYYY-MM-DD`, both included;
/// `None`: no limit), in order of day and key, and then the earlier sessions their
/// follow-ups compare with that are from before the period.
pub fn between(
    conn: &Connection,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<OverviewSession>, StoreError> {
    let mut sets = Sets::default();
    // Days are checked to be YYYY-MM-DD on import: "" and "~" are below and above any.
    let rows: Vec<(String, String, String)> = conn
        .prepare_cached(
            "SELECT origin, session, set_hash FROM imported_sessions
             WHERE date >= ?1 AND date <= ?2 AND set_hash IS NOT NULL ORDER BY date, key",
        )?
        .query_map(params![from.unwrap_or(""), to.unwrap_or("~")], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut sessions = Vec::with_capacity(rows.len());
    for (origin, json, set_hash) in rows {
        sessions.extend(sets.read(conn, origin, &json, &set_hash)?);
    }
    let keys: BTreeSet<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    let missing: BTreeSet<String> = sessions
        .iter()
        .filter_map(|s| s.follow_up_of.clone())
        .filter(|key| !keys.contains(key.as_str()))
        .collect();
    for key in missing {
        let row: Option<(String, String, String)> = conn
            .prepare_cached(
                "SELECT origin, session, set_hash FROM imported_sessions
                 WHERE key = ?1 AND set_hash IS NOT NULL",
            )?
            .query_row(params![key], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?;
        if let Some((origin, json, set_hash)) = row {
            sessions.extend(sets.read(conn, origin, &json, &set_hash)?);
        }
    }
    Ok(sessions)
}

/// The sets one read has parsed, by hash: each parsed once, shared by its sessions.
#[derive(Default)]
struct Sets(HashMap<String, Option<Arc<QuestionSet>>>);

impl Sets {
    /// A stored session as the overview reads it; `None` (with a warning) for one whose
    /// JSON or set does not parse, which only a damaged data file has.
    fn read(
        &mut self,
        conn: &Connection,
        origin: String,
        json: &str,
        set_hash: &str,
    ) -> Result<Option<OverviewSession>, StoreError> {
        if !self.0.contains_key(set_hash) {
            let snapshot: Option<String> = conn
                .prepare_cached("SELECT snapshot FROM imported_sets WHERE hash = ?1")?
                .query_row(params![set_hash], |row| row.get(0))
                .optional()?;
            let set = snapshot.and_then(|snapshot| {
                serde_json::from_str::<QuestionSet>(&snapshot)
                    .inspect_err(|e| tracing::warn!("an imported set is unreadable: {e}"))
                    .ok()
                    .map(Arc::new)
            });
            self.0.insert(set_hash.to_string(), set);
        }
        let Some(set) = self.0.get(set_hash).cloned().flatten() else {
            return Ok(None);
        };
        match serde_json::from_str::<Kept>(json) {
            Ok(kept) => Ok(Some(kept.session(origin, set))),
            Err(error) => {
                tracing::warn!("an imported session from {origin} is unreadable: {error}");
                Ok(None)
            }
        }
    }
}

/// Per origin: how many sessions, which days, and the newest file's time of export.
pub fn list(conn: &Connection) -> Result<Vec<ImportedOrigin>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT origin, COUNT(*), MIN(date), MAX(date),
                    (SELECT exported_at FROM imported_sessions AS newest
                     WHERE newest.origin = imported_sessions.origin
                     ORDER BY exported_unix DESC LIMIT 1)
             FROM imported_sessions GROUP BY origin ORDER BY origin",
        )?
        .query_map([], |row| {
            Ok(ImportedOrigin {
                origin: row.get(0)?,
                sessions: row.get(1)?,
                first: row.get(2)?,
                last: row.get(3)?,
                exported_at: row.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}
