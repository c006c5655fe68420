//! Sessions imported from other computers' exchange files (`docs/exchange.md`), in a
//! table of their own: never mixed with this computer's sessions, each row one session
//! by its exchange key, so a file imported twice changes nothing.

use pejling_wire::{ImportReport, ImportedOrigin};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// A checked file's sessions, ready to store.
#[derive(Debug, Clone)]
pub struct ImportBatch {
    pub origin: String,
    /// The file's time of export as written, and as Unix seconds (to compare two files).
    pub exported_at: String,
    pub exported_unix: i64,
    pub imported_unix: i64,
    pub sessions: Vec<ImportedRow>,
}

/// One session of a file.
#[derive(Debug, Clone)]
pub struct ImportedRow {
    pub key: String,
    /// Its day, `YYYY-MM-DD`.
    pub date: String,
    /// The file's session as JSON.
    pub json: String,
}

/// What the exchange jobs do on the writer thread.
pub enum ExchangeJob {
    Import(ImportBatch),
    Load,
    List,
    Remove { origin: String },
}

pub enum ExchangeOutcome {
    Imported(ImportReport),
    /// Each imported session: its origin and its JSON.
    Loaded(Vec<(String, String)>),
    Listed(Vec<ImportedOrigin>),
    Removed(u32),
}

pub fn run(conn: &Connection, job: &ExchangeJob) -> Result<ExchangeOutcome, StoreError> {
    Ok(match job {
        ExchangeJob::Import(batch) => ExchangeOutcome::Imported(import(conn, batch)?),
        ExchangeJob::Load => ExchangeOutcome::Loaded(load(conn)?),
        ExchangeJob::List => ExchangeOutcome::Listed(list(conn)?),
        ExchangeJob::Remove { origin } => {
            let removed = conn
                .prepare_cached("DELETE FROM imported_sessions WHERE origin = ?1")?
                .execute(params![origin])?;
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
    for row in &batch.sessions {
        if own.contains(&row.key) {
            report.own += 1;
            continue;
        }
        let stored: Option<(String, String, i64)> = conn
            .prepare_cached(
                "SELECT origin, session, exported_unix FROM imported_sessions WHERE key = ?1",
            )?
            .query_row(params![row.key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let write = || {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO imported_sessions
                 (key, origin, exported_at, exported_unix, imported_unix, date, session)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                row.key,
                batch.origin,
                batch.exported_at,
                batch.exported_unix,
                batch.imported_unix,
                row.date,
                row.json,
            ])
        };
        match stored {
            None => {
                write()?;
                report.added += 1;
            }
            Some((origin, json, exported_unix))
                if (origin != batch.origin || json != row.json)
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

fn load(conn: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT origin, session FROM imported_sessions ORDER BY date, key")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

fn list(conn: &Connection) -> Result<Vec<ImportedOrigin>, StoreError> {
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
