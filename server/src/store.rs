//! Storage: the one module that holds SQL. An embedded SQLite file with versioned
//! migrations, written by one thread that batches writes into transactions.
//!
//! What is stored: each question set exactly as a session used it (file text and the
//! validated set), sessions with their progress, participants as the SHA-256 of their
//! token, and one answer per participant per question. No IP address, user agent or
//! name is ever stored.
//!
//! [`StoreHandle`] is the async side: a job goes to the writer thread, which commits a
//! batch and only then reports completion, in the order the jobs were sent. That order
//! is what keeps an answer changed twice in quick succession right in memory and on
//! disk. Reads (loads, lists, the overview's sessions) run on read-only connections of
//! their own on blocking threads ([`Readers`]): the file is in WAL mode, so a long read
//! never holds the writer, and commits never wait for one.

use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use pejling_wire::{Answer, Description, DescriptionField, Phase, SessionSummary};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use pejling_core::engine::{
    ParticipantKey, Progress, SessionMeta, SessionRecord, Write, session_name,
};
use pejling_core::overview::OverviewSession;
use pejling_core::questions::QuestionSet;

mod imported;
pub use imported::{ExchangeJob, ExchangeOutcome, ImportBatch};

/// What went wrong with the data file. Cheap to clone: one failed commit fails every job
/// of its batch with the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(Arc<rusqlite::Error>),
    #[error("database migration failed: {0}")]
    Migration(Arc<rusqlite_migration::Error>),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("the storage thread has stopped")]
    Stopped,
    /// A job of a batch whose transaction failed before the job ran.
    #[error("not run: an earlier write in the same transaction failed")]
    NotRun,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sql(Arc::new(error))
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(error: rusqlite_migration::Error) -> Self {
        StoreError::Migration(Arc::new(error))
    }
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
        CREATE TABLE question_sets (
            hash     TEXT PRIMARY KEY,  -- SHA-256 of source and snapshot
            set_id   TEXT NOT NULL,
            title    TEXT NOT NULL,
            source   TEXT NOT NULL,     -- the file's text as used
            snapshot TEXT NOT NULL      -- the validated set, JSON
        );
        CREATE TABLE sessions (
            id           TEXT PRIMARY KEY,
            code         TEXT NOT NULL,
            label        TEXT,
            set_hash     TEXT NOT NULL REFERENCES question_sets(hash),
            created_at   INTEGER NOT NULL,
            screen_token TEXT NOT NULL,
            progress     TEXT NOT NULL, -- JSON: current question, statuses, ended
            ended        INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE participants (
            session_id  TEXT NOT NULL REFERENCES sessions(id),
            participant BLOB NOT NULL,  -- SHA-256 of the device's token
            PRIMARY KEY (session_id, participant)
        ) WITHOUT ROWID;
        CREATE TABLE answers (
            session_id  TEXT NOT NULL,
            question_id TEXT NOT NULL,
            participant BLOB NOT NULL,
            answer      TEXT NOT NULL,  -- JSON, the wire form of the answer
            PRIMARY KEY (session_id, question_id, participant),
            FOREIGN KEY (session_id, participant) REFERENCES participants(session_id, participant)
        ) WITHOUT ROWID;
        "#,
        ),
        // Parent evenings: a parents' session linked to finished pupil sessions.
        M::up(
            r#"
        CREATE TABLE session_links (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            linked_id  TEXT NOT NULL REFERENCES sessions(id),
            PRIMARY KEY (session_id, linked_id)
        ) WITHOUT ROWID;
        "#,
        ),
        // Clicker devices answer as participants too; the flag splits the count.
        M::up("ALTER TABLE participants ADD COLUMN clicker INTEGER NOT NULL DEFAULT 0;"),
        // No secret in the data file: a session's screen token is derived from the key
        // file's server key (secrets.rs) and no longer stored.
        M::up("ALTER TABLE sessions DROP COLUMN screen_token;"),
        // The thresholds a session was run with (JSON), so every report of it names the
        // same patterns; NULL for sessions stored before.
        M::up("ALTER TABLE sessions ADD COLUMN thresholds TEXT;"),
        // Rehearsals with simulated pupils: never exported, linked or counted later.
        M::up("ALTER TABLE sessions ADD COLUMN rehearsal INTEGER NOT NULL DEFAULT 0;"),
        // What a session was (issue 17): school, grade, class and term, each optional;
        // NULL for sessions stored before, which keep their label.
        M::up(
            r#"
        ALTER TABLE sessions ADD COLUMN school TEXT;
        ALTER TABLE sessions ADD COLUMN grade TEXT;
        ALTER TABLE sessions ADD COLUMN class TEXT;
        ALTER TABLE sessions ADD COLUMN term TEXT;
        "#,
        ),
        // The earlier session of the same class a session follows up (issue 17).
        M::up("ALTER TABLE sessions ADD COLUMN follow_up_of TEXT;"),
        // Sessions imported from other computers' exchange files (docs/exchange.md):
        // aggregates only, one row per session by its exchange key.
        M::up(
            r#"
        CREATE TABLE imported_sessions (
            key           TEXT PRIMARY KEY, -- the session's exchange key
            origin        TEXT NOT NULL,    -- who exported it
            exported_at   TEXT NOT NULL,    -- the file's time of export, RFC 3339
            exported_unix INTEGER NOT NULL,
            imported_unix INTEGER NOT NULL,
            date          TEXT NOT NULL,    -- the session's day, YYYY-MM-DD
            session       TEXT NOT NULL     -- JSON, the file's session
        ) WITHOUT ROWID;
        "#,
        ),
        // Imported sessions kept as checked on import (counts tallied afresh), so a read
        // only parses them, with their sets once each; rows imported before (no set hash)
        // are checked once at `Store::open` (`imported::check_kept`). Read by day: an
        // overview of a month reads that month's rows.
        M::up(
            r#"
        CREATE TABLE imported_sets (
            hash     TEXT PRIMARY KEY, -- SHA-256 of the set's JSON
            snapshot TEXT NOT NULL     -- the set, JSON
        ) WITHOUT ROWID;
        ALTER TABLE imported_sessions ADD COLUMN set_hash TEXT;
        CREATE INDEX imported_sessions_by_date ON imported_sessions (date);
        "#,
        ),
    ])
}

/// A session as it is created.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub meta: SessionMeta,
    pub set: Arc<QuestionSet>,
    pub source: String,
    /// Ids of the pupil sessions a parents' session is linked to.
    pub links: Vec<String>,
    /// The server's thresholds when the session was created.
    pub thresholds: pejling_core::results::Thresholds,
}

/// A synchronous connection, for command-line tools and start-up. While a server runs,
/// only its writer thread writes.
pub struct Store {
    conn: Connection,
    /// The data file, for the read-only connections ([`Readers`]).
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the data file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit is on disk when it returns, even across a power cut. Batching
        // keeps the number of fsyncs low.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        imported::check_kept(&mut conn)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Stores a new session; returns its description as stored (each value in the
    /// spelling of an earlier value that is the same but for case and spaces).
    pub fn create_session(&self, new: &NewSession) -> Result<Description, StoreError> {
        create_session(&self.conn, new)
    }

    /// Sessions that have not ended, to resume after a restart.
    pub fn load_running(&self) -> Result<Vec<SessionRecord>, StoreError> {
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM sessions WHERE ended = 0 ORDER BY created_at, id")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter()
            .filter_map(|id| load(&self.conn, id).transpose())
            .collect()
    }

    pub fn load(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        load(&self.conn, id)
    }

    /// The pupil sessions a parents' session is linked to ([`load_linked`]).
    pub fn load_linked(&self, links: &[String]) -> Result<Vec<SessionRecord>, StoreError> {
        load_linked(&self.conn, links)
    }

    pub fn list_sessions(&self) -> Result<Vec<SessionSummary>, StoreError> {
        list_sessions(&self.conn)
    }

    /// The sessions created from `from` to `to` (Unix seconds, both included; `None`: no
    /// limit), oldest first, rehearsals included ([`load_between`]).
    pub fn load_between(
        &self,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        load_between(&self.conn, from, to)
    }

    /// A session by its id or, failing that, by its join code (any case; the newest
    /// session with that code, as codes of ended sessions may be reused).
    pub fn find(&self, id_or_code: &str) -> Result<Option<SessionRecord>, StoreError> {
        let wanted = id_or_code.trim();
        if let Some(found) = self.load(wanted)? {
            return Ok(Some(found));
        }
        let code = wanted.to_uppercase();
        let newest = self
            .list_sessions()?
            .into_iter()
            .filter(|s| s.code == code)
            .max_by_key(|s| s.created_at);
        match newest {
            Some(summary) => self.load(&summary.id),
            None => Ok(None),
        }
    }
}

/// The sessions `links` names, for pooling; one that is missing (it cannot be deleted,
/// but the data file may be damaged) is left out with a warning.
fn load_linked(conn: &Connection, links: &[String]) -> Result<Vec<SessionRecord>, StoreError> {
    let mut linked = Vec::with_capacity(links.len());
    for id in links {
        match load(conn, id)? {
            Some(record) => linked.push(record),
            None => tracing::warn!("linked session {id} is missing"),
        }
    }
    Ok(linked)
}

/// The sessions created from `from` to `to` (Unix seconds, both included; `None`: no
/// limit), oldest first, rehearsals included: for the overview, which leaves rehearsals
/// out and says how many there were.
fn load_between(
    conn: &Connection,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Vec<SessionRecord>, StoreError> {
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM sessions WHERE created_at >= ?1 AND created_at <= ?2
             ORDER BY created_at, id",
        )?
        .query_map(
            params![from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)],
            |row| row.get(0),
        )?
        .collect::<Result<_, _>>()?;
    ids.iter()
        .filter_map(|id| load(conn, id).transpose())
        .collect()
}

fn apply_write(conn: &Connection, session_id: &str, write: &Write) -> rusqlite::Result<()> {
    match write {
        Write::Participant { key, clicker, .. } => {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO participants (session_id, participant, clicker)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![session_id, &key.0[..], clicker])?;
        }
        Write::Answer {
            key,
            question_id,
            answer,
            ..
        } => {
            conn.prepare_cached(
                "INSERT INTO answers (session_id, question_id, participant, answer)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (session_id, question_id, participant)
                 DO UPDATE SET answer = excluded.answer",
            )?
            .execute(params![
                session_id,
                question_id,
                &key.0[..],
                serde_json::to_string(answer).expect("answer serializes"),
            ])?;
        }
        Write::Progress(progress) => {
            let json = serde_json::to_string(progress).expect("progress serializes");
            conn.prepare_cached("UPDATE sessions SET progress = ?2, ended = ?3 WHERE id = ?1")?
                .execute(params![session_id, json, progress.ended])?;
        }
    }
    Ok(())
}

/// The column of a description field (a fixed name, never from input).
fn column(field: DescriptionField) -> &'static str {
    match field {
        DescriptionField::School => "school",
        DescriptionField::Grade => "grade",
        DescriptionField::Class => "class",
        DescriptionField::Term => "term",
    }
}

/// `description` cleaned, each value in the spelling of the first stored session with a
/// value that is the same but for case and spaces ([`pejling_wire::description_key`]),
/// so "nordskolen " is stored as "Nordskolen" once that is taken.
fn canonical(conn: &Connection, description: &Description) -> Result<Description, StoreError> {
    let mut canonical = description.cleaned();
    for field in DescriptionField::ALL {
        let Some(value) = canonical.get(field) else {
            continue;
        };
        let key = pejling_wire::description_key(value);
        let column = column(field);
        let earlier: Option<String> = conn
            .prepare_cached(&format!(
                "SELECT {column} FROM sessions WHERE {column} IS NOT NULL
                 GROUP BY {column} ORDER BY MIN(created_at), MIN(rowid)"
            ))?
            .query_map([], |row| row.get::<_, String>(0))?
            .filter_map(Result::ok)
            .find(|earlier| pejling_wire::description_key(earlier) == key);
        if let Some(earlier) = earlier {
            canonical.set(field, Some(earlier));
        }
    }
    Ok(canonical)
}

fn create_session(conn: &Connection, new: &NewSession) -> Result<Description, StoreError> {
    let description = canonical(conn, &new.meta.description)?;
    let snapshot = serde_json::to_string(new.set.as_ref()).expect("set serializes");
    let mut hasher = Sha256::new();
    hasher.update(new.source.as_bytes());
    hasher.update([0]);
    hasher.update(snapshot.as_bytes());
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    conn.execute(
        "INSERT OR IGNORE INTO question_sets (hash, set_id, title, source, snapshot)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash, new.set.id, new.set.title, new.source, snapshot],
    )?;
    let progress = Progress::new(new.set.questions.len());
    conn.execute(
        "INSERT INTO sessions (id, code, label, set_hash, created_at, progress, thresholds,
                               rehearsal, school, grade, class, term, follow_up_of)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            new.meta.id,
            new.meta.code,
            new.meta.label,
            hash,
            new.meta.created_at,
            serde_json::to_string(&progress).expect("progress serializes"),
            serde_json::to_string(&new.thresholds).expect("thresholds serialize"),
            new.meta.rehearsal,
            description.school,
            description.grade,
            description.class,
            description.term,
            new.meta.follow_up_of,
        ],
    )?;
    for linked in &new.links {
        conn.execute(
            "INSERT INTO session_links (session_id, linked_id) VALUES (?1, ?2)",
            params![new.meta.id, linked],
        )?;
    }
    Ok(description)
}

fn load(conn: &Connection, id: &str) -> Result<Option<SessionRecord>, StoreError> {
    let row = conn
        .query_row(
            "SELECT s.code, s.label, s.created_at, s.progress, q.snapshot, s.thresholds,
                    s.rehearsal, s.school, s.grade, s.class, s.term, s.follow_up_of
             FROM sessions s JOIN question_sets q ON q.hash = s.set_hash
             WHERE s.id = ?1",
            params![id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, bool>(6)?,
                    description_at(row, 7)?,
                    row.get::<_, Option<String>>(11)?,
                ))
            },
        )
        .optional()?;
    let Some((
        code,
        label,
        created_at,
        progress,
        snapshot,
        thresholds,
        rehearsal,
        description,
        follow_up_of,
    )) = row
    else {
        return Ok(None);
    };
    let corrupt = |what: &str, error: serde_json::Error| {
        StoreError::Corrupt(format!("session {id}: {what}: {error}"))
    };
    let set: QuestionSet =
        serde_json::from_str(&snapshot).map_err(|e| corrupt("question set", e))?;
    let progress: Progress = serde_json::from_str(&progress).map_err(|e| corrupt("progress", e))?;
    let thresholds = thresholds
        .map(|text| serde_json::from_str(&text).map_err(|e| corrupt("thresholds", e)))
        .transpose()?;
    let participants = conn
        .prepare("SELECT participant FROM participants WHERE session_id = ?1")?
        .query_map(params![id], |row| row.get::<_, Vec<u8>>(0))?
        .map(|blob| key_from_blob(&blob?))
        .collect::<Result<_, _>>()?;
    let clickers = conn
        .prepare("SELECT participant FROM participants WHERE session_id = ?1 AND clicker = 1")?
        .query_map(params![id], |row| row.get::<_, Vec<u8>>(0))?
        .map(|blob| key_from_blob(&blob?))
        .collect::<Result<_, _>>()?;
    let answers = conn
        .prepare("SELECT question_id, participant, answer FROM answers WHERE session_id = ?1")?
        .query_map(params![id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?
        .map(|row| {
            let (question_id, blob, answer) = row?;
            let answer: Answer = serde_json::from_str(&answer).map_err(|e| corrupt("answer", e))?;
            Ok((question_id, key_from_blob(&blob)?, answer))
        })
        .collect::<Result<_, StoreError>>()?;
    let links = conn
        .prepare("SELECT linked_id FROM session_links WHERE session_id = ?1 ORDER BY linked_id")?
        .query_map(params![id], |row| row.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(SessionRecord {
        meta: SessionMeta {
            id: id.to_string(),
            code,
            label,
            description,
            created_at,
            // Derived from the key file by whoever runs the session (secrets.rs).
            screen_token: String::new(),
            rehearsal,
            follow_up_of,
        },
        set,
        progress,
        participants,
        answers,
        links,
        clickers,
        thresholds,
    }))
}

/// The four description columns from `first` on (school, grade, class, term).
fn description_at(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Description> {
    Ok(Description {
        school: row.get(first)?,
        grade: row.get(first + 1)?,
        class: row.get(first + 2)?,
        term: row.get(first + 3)?,
    })
}

/// Every stored session, newest first.
fn list_sessions(conn: &Connection) -> Result<Vec<SessionSummary>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT s.id, s.code, s.label, q.set_id, q.title, s.created_at, s.progress,
                (SELECT COUNT(*) FROM participants p WHERE p.session_id = s.id), s.rehearsal,
                s.school, s.grade, s.class, s.term, s.follow_up_of
         FROM sessions s JOIN question_sets q ON q.hash = s.set_hash
         ORDER BY s.created_at DESC, s.id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            SessionSummary {
                id: row.get(0)?,
                code: row.get(1)?,
                label: row.get(2)?,
                description: description_at(row, 9)?,
                set_id: row.get(3)?,
                set_title: row.get(4)?,
                created_at: row.get(5)?,
                phase: Phase::Lobby,
                participants: row.get(7)?,
                rehearsal: row.get(8)?,
                linked: Vec::new(),
                follow_up_of: row.get(13)?,
            },
            row.get::<_, String>(6)?,
        ))
    })?;
    // A linked session's name as everywhere else (`SessionMeta::name`).
    let mut linked: std::collections::HashMap<String, Vec<String>> = conn
        .prepare(
            "SELECT l.session_id, s.label, s.code, s.school, s.grade, s.class, s.term
             FROM session_links l JOIN sessions s ON s.id = l.linked_id",
        )?
        .query_map([], |row| {
            let label: Option<String> = row.get(1)?;
            let code: String = row.get(2)?;
            let description = description_at(row, 3)?;
            Ok((
                row.get::<_, String>(0)?,
                session_name(label.as_deref(), &description, &code),
            ))
        })?
        .try_fold(std::collections::HashMap::new(), |mut map, row| {
            let (session, name) = row?;
            map.entry(session).or_insert_with(Vec::new).push(name);
            Ok::<_, rusqlite::Error>(map)
        })?;
    for names in linked.values_mut() {
        names.sort();
    }
    rows.map(|row| {
        let (mut summary, progress) = row?;
        let progress: Progress = serde_json::from_str(&progress)
            .map_err(|e| StoreError::Corrupt(format!("session {}: progress: {e}", summary.id)))?;
        summary.phase = progress.phase();
        summary.linked = linked.remove(&summary.id).unwrap_or_default();
        Ok(summary)
    })
    .collect()
}

fn key_from_blob(blob: &[u8]) -> Result<ParticipantKey, StoreError> {
    let bytes: [u8; 32] = blob
        .try_into()
        .map_err(|_| StoreError::Corrupt("participant key is not 32 bytes".to_string()))?;
    Ok(ParticipantKey(bytes))
}

/// Called on the writer thread once a write is committed (or failed).
pub type WriteDone = Box<dyn FnOnce(Write, Result<(), StoreError>) + Send>;

enum Job {
    Write {
        session_id: Arc<str>,
        write: Write,
        done: WriteDone,
    },
    Create {
        new: Box<NewSession>,
        reply: oneshot::Sender<Result<Description, StoreError>>,
    },
    /// Answered once every job sent before it is committed (or failed): what a read waits
    /// for before it starts, so it sees every write asked for before it.
    Barrier {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    Exchange {
        job: ExchangeJob,
        reply: oneshot::Sender<Result<ExchangeOutcome, StoreError>>,
    },
}

/// The async side of the store; cheap to clone.
#[derive(Clone)]
pub struct StoreHandle {
    jobs: std_mpsc::Sender<Job>,
    readers: Arc<Readers>,
}

/// Read-only connections to the data file, one per read at a time, kept for the next
/// read. In WAL mode a reader sees the last commit before its read began and neither
/// waits for the writer nor makes it wait.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// Idle read-only connections kept (more are opened while more reads run at once).
const IDLE_READERS: usize = 4;

impl Readers {
    /// Runs `read` in a read transaction (one snapshot of the file) on an idle
    /// connection, or a new one.
    fn run<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                // Pages read from the mapped file, not copied in through `pread`: a
                // year's imported sessions are megabytes.
                conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
                conn
            }
        };
        let result = {
            let transaction = conn.transaction()?;
            read(&transaction)
            // Dropping the read transaction ends it; it wrote nothing.
        };
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// Owns the writer thread. Once every [`StoreHandle`] is dropped, [`StoreThread::join`]
/// returns after the last batch is committed and the file is closed.
pub struct StoreThread {
    thread: JoinHandle<()>,
}

impl StoreThread {
    pub fn join(self) {
        let _ = self.thread.join();
    }
}

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 1024;

impl StoreHandle {
    /// Starts the writer thread on an opened store.
    pub fn start(store: Store) -> (StoreHandle, StoreThread) {
        let (jobs, receiver) = std_mpsc::channel::<Job>();
        let readers = Arc::new(Readers {
            path: store.path.clone(),
            idle: Mutex::new(Vec::new()),
        });
        let thread = std::thread::Builder::new()
            .name("pejling-store".into())
            .spawn(move || writer_loop(store, receiver))
            .expect("spawn storage thread");
        (StoreHandle { jobs, readers }, StoreThread { thread })
    }

    /// Queues a write; `done` runs on the writer thread after the write's transaction
    /// commits (or fails), in the order writes were queued.
    pub fn write(&self, session_id: Arc<str>, write: Write, done: WriteDone) {
        let job = Job::Write {
            session_id,
            write,
            done,
        };
        if let Err(std_mpsc::SendError(Job::Write { write, done, .. })) = self.jobs.send(job) {
            done(write, Err(StoreError::Stopped));
        }
    }

    /// Stores a new session; returns its description as stored ([`Store::create_session`]).
    pub async fn create_session(&self, new: NewSession) -> Result<Description, StoreError> {
        let new = Box::new(new);
        self.ask(|reply| Job::Create { new, reply }).await
    }

    pub async fn list_sessions(&self) -> Result<Vec<SessionSummary>, StoreError> {
        self.read(list_sessions).await
    }

    pub async fn load(&self, id: String) -> Result<Option<SessionRecord>, StoreError> {
        self.read(move |conn| load(conn, &id)).await
    }

    /// The pupil sessions a parents' session is linked to ([`load_linked`]).
    pub async fn load_linked(&self, links: Vec<String>) -> Result<Vec<SessionRecord>, StoreError> {
        self.read(move |conn| load_linked(conn, &links)).await
    }

    /// The sessions created between two moments, for the overview ([`load_between`]).
    pub async fn load_between(
        &self,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.read(move |conn| load_between(conn, from, to)).await
    }

    /// The imported sessions held from `from` to `to` (days `YYYY-MM-DD`, both included;
    /// `None`: no limit) and the earlier sessions their follow-ups compare with, as the
    /// overview reads them ([`imported::between`]).
    pub async fn imported_between(
        &self,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<Vec<OverviewSession>, StoreError> {
        self.read(move |conn| imported::between(conn, from.as_deref(), to.as_deref()))
            .await
    }

    /// The imported sessions by origin (`imported.rs`).
    pub async fn imported_origins(&self) -> Result<Vec<pejling_wire::ImportedOrigin>, StoreError> {
        self.read(imported::list).await
    }

    /// Imported sessions (`imported.rs`): import a checked file, or remove an origin's.
    pub async fn exchange(&self, job: ExchangeJob) -> Result<ExchangeOutcome, StoreError> {
        self.ask(|reply| Job::Exchange { job, reply }).await
    }

    /// Runs `read` on a read-only connection on a blocking thread, once every job sent
    /// before it is committed: a read sees what was asked to be written before it (as
    /// when reads queued behind the writes), and holds the writer for no longer than
    /// that.
    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.ask(|reply| Job::Barrier { reply }).await?;
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || readers.run(read))
            .await
            .map_err(|_| StoreError::Stopped)?
    }

    /// Sends the job `make` builds and waits for its answer.
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Job,
    ) -> Result<T, StoreError> {
        let (reply, response) = oneshot::channel();
        self.jobs
            .send(make(reply))
            .map_err(|_| StoreError::Stopped)?;
        response.await.map_err(|_| StoreError::Stopped)?
    }
}

fn writer_loop(mut store: Store, receiver: std_mpsc::Receiver<Job>) {
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut store.conn, batch);
    }
}

/// What a job produced inside the transaction, reported after the commit.
enum Outcome {
    Done(Result<(), StoreError>),
    Created(Result<Description, StoreError>),
    Exchange(Result<ExchangeOutcome, StoreError>),
}

/// Runs a batch of jobs in one transaction and reports each job's result only after the
/// commit. Jobs run directly in the transaction; should one fail, the transaction is
/// rolled back and the batch runs again with each job under its own savepoint, so a
/// failing job is rolled back alone. Failures are rare, and savepoints cost about a third
/// of the time of a batch of answers.
fn run_batch(conn: &mut Connection, batch: Vec<Job>) {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut committed = run_jobs(conn, &batch, false, &mut outcomes);
    let any_failed = outcomes.iter().any(|outcome| {
        matches!(
            outcome,
            Outcome::Done(Err(_)) | Outcome::Created(Err(_)) | Outcome::Exchange(Err(_))
        )
    });
    if committed.is_err() || any_failed {
        outcomes.clear();
        committed = run_jobs(conn, &batch, true, &mut outcomes);
    }
    let commit_error = committed.err().inspect(|error| {
        tracing::error!("commit failed: {error}");
    });
    // With a failed commit every job of the batch failed with it.
    let mut outcomes = outcomes.into_iter();
    for job in batch {
        let outcome = match (&commit_error, outcomes.next()) {
            (None, Some(outcome)) => Some(outcome),
            _ => None,
        };
        let failed = || commit_error.clone().unwrap_or(StoreError::NotRun);
        match (job, outcome) {
            (Job::Write { write, done, .. }, Some(Outcome::Done(result))) => done(write, result),
            (Job::Write { write, done, .. }, _) => done(write, Err(failed())),
            (Job::Create { reply, .. }, Some(Outcome::Created(result))) => {
                let _ = reply.send(result);
            }
            (Job::Create { reply, .. }, _) => {
                let _ = reply.send(Err(failed()));
            }
            // The jobs before it are settled, committed or not: what the read finds
            // is what the file holds.
            (Job::Barrier { reply }, _) => {
                let _ = reply.send(Ok(()));
            }
            (Job::Exchange { reply, .. }, Some(Outcome::Exchange(result))) => {
                let _ = reply.send(result);
            }
            (Job::Exchange { reply, .. }, _) => {
                let _ = reply.send(Err(failed()));
            }
        }
    }
}

/// Runs `batch` in one transaction, each job under its own savepoint if `isolate`;
/// without, the transaction is rolled back as soon as a job fails.
fn run_jobs(
    conn: &mut Connection,
    batch: &[Job],
    isolate: bool,
    outcomes: &mut Vec<Outcome>,
) -> Result<(), StoreError> {
    let mut transaction = conn.transaction()?;
    for job in batch {
        let outcome = match job {
            Job::Write {
                session_id, write, ..
            } => Outcome::Done(in_savepoint(&mut transaction, isolate, |conn| {
                apply_write(conn, session_id, write).map_err(StoreError::from)
            })),
            Job::Create { new, .. } => {
                Outcome::Created(in_savepoint(&mut transaction, isolate, |conn| {
                    create_session(conn, new)
                }))
            }
            Job::Barrier { .. } => Outcome::Done(Ok(())),
            Job::Exchange { job, .. } => {
                Outcome::Exchange(in_savepoint(&mut transaction, isolate, |conn| {
                    imported::run(conn, job)
                }))
            }
        };
        let failed = matches!(
            outcome,
            Outcome::Done(Err(_)) | Outcome::Created(Err(_)) | Outcome::Exchange(Err(_))
        );
        outcomes.push(outcome);
        if failed && !isolate {
            // Dropping the transaction rolls it back; the caller runs the batch again.
            return Ok(());
        }
    }
    transaction.commit()?;
    Ok(())
}

fn in_savepoint<T>(
    transaction: &mut rusqlite::Transaction<'_>,
    isolate: bool,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if !isolate {
        return f(transaction);
    }
    let savepoint = transaction.savepoint()?;
    match f(&savepoint) {
        Ok(value) => {
            savepoint.commit()?;
            Ok(value)
        }
        Err(error) => {
            tracing::warn!("write failed: {error}");
            Err(error)
            // Dropping the savepoint rolls it back.
        }
    }
}

#[cfg(test)]
mod tests;
