//! Storage tests on a real database file in a temporary folder.

use super::*;
use pejling_core::counts::Answered;
use pejling_core::exchange;
use pejling_core::questions;
use pejling_wire::QuestionStatus;
use std::sync::mpsc;

const SET: &str = "format = 1\nid = \"s\"\ntitle = \"S\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\n[[questions]]\nid = \"own\"\nkind = \"choice\"\ntext = \"Har du?\"\noptions = [\"Ja\", \"Nej\"]\n";

fn new_session(id: &str) -> NewSession {
    NewSession {
        links: Vec::new(),
        meta: SessionMeta {
            id: id.into(),
            code: "ACDEFH".into(),
            label: Some("7.b, Nordskolen".into()),
            description: Default::default(),
            created_at: 1_700_000_000,
            screen_token: "screen".into(),
            rehearsal: false,
            follow_up_of: None,
        },
        set: Arc::new(questions::parse(SET).unwrap().set),
        source: SET.into(),
        thresholds: pejling_core::results::Thresholds::default(),
    }
}

/// Queues writes and waits for every completion, returning the results in order.
fn write_all(handle: &StoreHandle, writes: Vec<Write>) -> Vec<Result<(), StoreError>> {
    let (sender, receiver) = mpsc::channel();
    let n = writes.len();
    for write in writes {
        let sender = sender.clone();
        handle.write(
            "one".into(),
            write,
            Box::new(move |_, result| sender.send(result).unwrap()),
        );
    }
    (0..n).map(|_| receiver.recv().unwrap()).collect()
}

fn key(n: u8) -> ParticipantKey {
    ParticipantKey([n; 32])
}

fn participant(n: u8) -> Write {
    Write::Participant {
        conn: 1,
        key: key(n),
        token: String::new(),
        clicker: false,
    }
}

fn answer(n: u8, option: u32) -> Write {
    Write::Answer {
        conn: 1,
        key: key(n),
        question: 0,
        question_id: "own".into(),
        answer: Answer::Choice { option },
    }
}

#[test]
fn writes_survive_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.db");
    let store = Store::open(&path).unwrap();
    store.create_session(&new_session("one")).unwrap();
    let (handle, thread) = StoreHandle::start(store);
    let results = write_all(
        &handle,
        vec![
            participant(1),
            participant(2),
            participant(1), // a repeat is harmless
            answer(1, 0),
            answer(2, 0),
            answer(2, 1), // a changed answer replaces the first
            // An answer from a participant the session does not have violates a foreign
            // key; it fails alone and the rest of its batch is kept.
            answer(9, 0),
            Write::Progress(Progress {
                current: Some(0),
                statuses: vec![QuestionStatus::Open],
                ended: false,
                steps: vec![0],
                reopened: Vec::new(),
                shown: Vec::new(),
            }),
        ],
    );
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    assert!(results[6].is_err());
    drop(handle);
    thread.join();

    let reopened = Store::open(&path).unwrap();
    let stored = reopened.load("one").unwrap().expect("session stored");
    assert_eq!(stored.meta.label.as_deref(), Some("7.b, Nordskolen"));
    assert_eq!(stored.set.questions[0].id, "own");
    assert_eq!(stored.progress.current, Some(0));
    let mut participants = stored.participants.clone();
    participants.sort();
    assert_eq!(participants, vec![key(1), key(2)]);
    let mut answers = stored.answers.clone();
    answers.sort_by_key(|(_, key, _)| *key);
    assert_eq!(
        answers,
        vec![
            ("own".to_string(), key(1), Answer::Choice { option: 0 }),
            ("own".to_string(), key(2), Answer::Choice { option: 1 }),
        ]
    );
    assert_eq!(reopened.load_running().unwrap().len(), 1);
    let listed = reopened.list_sessions().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].participants, 2);
    assert_eq!(listed[0].phase, Phase::Open);
}

#[test]
fn ended_sessions_are_not_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.db");
    let store = Store::open(&path).unwrap();
    store.create_session(&new_session("one")).unwrap();
    let (handle, thread) = StoreHandle::start(store);
    let mut progress = Progress::new(1);
    progress.ended = true;
    assert!(matches!(
        write_all(&handle, vec![Write::Progress(progress)]).as_slice(),
        [Ok(())]
    ));
    drop(handle);
    thread.join();
    let reopened = Store::open(&path).unwrap();
    assert!(reopened.load_running().unwrap().is_empty());
    assert_eq!(reopened.list_sessions().unwrap()[0].phase, Phase::Ended);
}

#[test]
fn the_stored_set_does_not_follow_later_edits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data.db")).unwrap();
    store.create_session(&new_session("one")).unwrap();
    let mut edited = new_session("two");
    let text = SET.replace("Har du?", "Har du nogensinde?");
    edited.set = Arc::new(questions::parse(&text).unwrap().set);
    edited.source = text;
    store.create_session(&edited).unwrap();
    assert_eq!(
        store.load("one").unwrap().unwrap().set.questions[0].text,
        "Har du?"
    );
    assert_eq!(
        store.load("two").unwrap().unwrap().set.questions[0].text,
        "Har du nogensinde?"
    );
}

fn described(id: &str, created_at: i64, description: Description) -> NewSession {
    let mut new = new_session(id);
    new.meta.label = None;
    new.meta.created_at = created_at;
    new.meta.description = description;
    new
}

#[test]
fn a_description_takes_the_spelling_of_an_earlier_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.db");
    let store = Store::open(&path).unwrap();
    let first = Description {
        school: Some("Nordskolen".into()),
        grade: Some("7".into()),
        class: Some("7.b".into()),
        term: Some("forår 2027".into()),
    };
    assert_eq!(
        store
            .create_session(&described("one", 1, first.clone()))
            .unwrap(),
        first
    );
    // The same but for case and spaces: stored as first spelt; a new class as given
    // (cleaned).
    let typed = Description {
        school: Some("  nordskolen ".into()),
        grade: Some(" 7".into()),
        class: Some("7.C".into()),
        term: Some("FORÅR   2027".into()),
    };
    let stored = store.create_session(&described("two", 2, typed)).unwrap();
    assert_eq!(
        stored,
        Description {
            class: Some("7.C".into()),
            ..first.clone()
        }
    );
    // A value only spaces is no value.
    let blank = Description {
        school: Some("   ".into()),
        ..Description::default()
    };
    assert_eq!(
        store.create_session(&described("three", 3, blank)).unwrap(),
        Description::default()
    );
    drop(store);
    let reopened = Store::open(&path).unwrap();
    let two = reopened.load("two").unwrap().unwrap();
    assert_eq!(two.meta.description, stored);
    assert_eq!(two.meta.name(), "7.C, Nordskolen");
    let listed = reopened.list_sessions().unwrap();
    let by_id = |id: &str| {
        listed
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .description
            .clone()
    };
    assert_eq!(by_id("one"), first);
    assert_eq!(by_id("two"), stored);
    assert_eq!(by_id("three"), Description::default());
    assert_eq!(
        reopened.load("three").unwrap().unwrap().meta.name(),
        "ACDEFH"
    );
}

#[test]
fn sessions_stored_before_descriptions_keep_their_label() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.db");
    {
        // A data file of the version before descriptions (migration 6), with a session.
        let mut conn = Connection::open(&path).unwrap();
        migrations().to_version(&mut conn, 6).unwrap();
        conn.execute(
            "INSERT INTO question_sets (hash, set_id, title, source, snapshot)
             VALUES ('h', 's', 'S', ?1, ?2)",
            params![
                SET,
                serde_json::to_string(&questions::parse(SET).unwrap().set).unwrap()
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO sessions (id, code, label, set_hash, created_at, progress)
             VALUES ('old', 'ACDEFH', '7.b, Nordskolen, forår 2026', 'h', 5, ?1)",
            params![serde_json::to_string(&Progress::new(1)).unwrap()],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let old = store.load("old").unwrap().unwrap();
    assert_eq!(
        old.meta.label.as_deref(),
        Some("7.b, Nordskolen, forår 2026")
    );
    assert_eq!(old.meta.description, Description::default());
    assert_eq!(old.meta.name(), "7.b, Nordskolen, forår 2026");
    // A new session's school is not matched against the old label.
    let new = Description {
        school: Some("nordskolen".into()),
        ..Description::default()
    };
    assert_eq!(
        store
            .create_session(&described("new", 6, new.clone()))
            .unwrap(),
        new
    );
    assert_eq!(store.load_between(Some(6), None).unwrap().len(), 1);
    assert_eq!(store.load_between(None, Some(5)).unwrap()[0].meta.id, "old");
    assert_eq!(store.load_between(None, None).unwrap().len(), 2);
}

/// Waits for `receiver` up to 30 s (a guard, not a timing: a failure is a hang).
fn within<T>(receiver: &mpsc::Receiver<T>, what: &str) -> T {
    receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{what} within 30 s"))
}

#[test]
fn answers_are_committed_while_a_read_is_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data.db")).unwrap();
    store.create_session(&new_session("one")).unwrap();
    let (handle, _thread) = StoreHandle::start(store);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A read that holds its connection until it is let go, as a year's overview does
    // for a while.
    let (reading, started) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let read = runtime.spawn({
        let handle = handle.clone();
        async move {
            handle
                .read(move |conn| {
                    reading.send(()).unwrap();
                    released.recv().unwrap();
                    list_sessions(conn)
                })
                .await
        }
    });
    within(&started, "the read starts");
    // Meanwhile answers are committed: the read holds a reader, not the writer.
    let (done, committed) = mpsc::channel();
    for write in [participant(1), answer(1, 1)] {
        let done = done.clone();
        handle.write(
            "one".into(),
            write,
            Box::new(move |_, result| done.send(result).unwrap()),
        );
    }
    for _ in 0..2 {
        within(&committed, "a write commits while the read runs").unwrap();
    }
    release.send(()).unwrap();
    let listed = runtime.block_on(read).unwrap().unwrap();
    assert_eq!(listed.len(), 1);
    // And a read after the writes sees them.
    let loaded = runtime
        .block_on(handle.load("one".into()))
        .unwrap()
        .unwrap();
    assert_eq!(loaded.answers.len(), 1);
}

#[test]
fn a_read_sees_every_write_queued_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data.db")).unwrap();
    store.create_session(&new_session("one")).unwrap();
    let (handle, _thread) = StoreHandle::start(store);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let writes: Vec<Write> = (1..=50)
        .flat_map(|n| [participant(n), answer(n, u32::from(n % 2))])
        .collect();
    for write in writes {
        // Not waited for: the load below is queued behind them.
        handle.write("one".into(), write, Box::new(|_, result| result.unwrap()));
    }
    let loaded = runtime
        .block_on(handle.load("one".into()))
        .unwrap()
        .unwrap();
    assert_eq!((loaded.participants.len(), loaded.answers.len()), (50, 50));
}

/// A pupils' session as another computer's exchange file holds it, on `date`.
fn exchanged(key_of: &str, date: &str, follow_up_of: Option<&str>) -> exchange::ExchangeSession {
    let set = questions::parse(SET).unwrap().set;
    let answers: Vec<Answer> = [0, 0, 1, 1, 1, 0]
        .into_iter()
        .map(|option| Answer::Choice { option })
        .collect();
    let tally = pejling_core::counts::tally(&set.questions[0], &answers);
    exchange::ExchangeSession {
        key: exchange::key(key_of),
        name: format!("7.b {key_of}"),
        date: date.into(),
        description: Description {
            school: Some("Nordskolen".into()),
            ..Description::default()
        },
        set,
        participants: 6,
        answers: 6,
        thresholds: pejling_core::results::Thresholds::default(),
        follow_up_of: follow_up_of.map(exchange::key),
        questions: [("own".to_string(), Answered::Counts(tally))].into(),
    }
}

#[test]
fn sessions_imported_before_are_checked_once_and_read_by_day() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.db");
    let october = exchanged("october", "2026-10-05", None);
    let november = exchanged("november", "2026-11-09", Some("october"));
    let december = exchanged("december", "2026-12-01", None);
    {
        // A data file of the version before imported sessions were kept as checked
        // (migration 9): each row the file's session as JSON, and one damaged row.
        let mut conn = Connection::open(&path).unwrap();
        migrations().to_version(&mut conn, 9).unwrap();
        for (session, json) in [
            (&october, serde_json::to_string(&october).unwrap()),
            (&november, serde_json::to_string(&november).unwrap()),
            (&december, "{\"key\": 1".to_string()),
        ] {
            conn.execute(
                "INSERT INTO imported_sessions
                 (key, origin, exported_at, exported_unix, imported_unix, date, session)
                 VALUES (?1, 'Anna', '2026-12-02T10:00:00+01:00', 1, 2, ?2, ?3)",
                params![session.key, session.date, json],
            )
            .unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    let unchecked: Vec<String> = store
        .conn
        .prepare("SELECT key FROM imported_sessions WHERE set_hash IS NULL")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        unchecked,
        std::slice::from_ref(&december.key),
        "the damaged row stays unread"
    );
    let sets: u32 = store
        .conn
        .query_row("SELECT COUNT(*) FROM imported_sets", [], |row| row.get(0))
        .unwrap();
    assert_eq!(sets, 1, "two sessions of one set keep it once");
    let expected = |session: &exchange::ExchangeSession| {
        exchange::import_session(session.clone(), "Anna").unwrap()
    };
    let read = |from: Option<&str>, to: Option<&str>| -> Vec<(String, String)> {
        imported::between(&store.conn, from, to)
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s.date))
            .collect()
    };
    // November's overview: its session, and the earlier one its follow-up compares with.
    assert_eq!(
        read(Some("2026-11-01"), Some("2026-11-30")),
        [
            (november.key.clone(), november.date.clone()),
            (october.key.clone(), october.date.clone())
        ]
    );
    assert_eq!(read(Some("2026-12-01"), None), []);
    assert_eq!(read(None, Some("2026-10-31")).len(), 1);
    // Read back as they were checked, figures and all.
    let all = imported::between(&store.conn, None, None).unwrap();
    let got = format!("{:?}", all[1]);
    assert_eq!(got, format!("{:?}", expected(&november)));
    assert_eq!(all[1].origin.as_deref(), Some("Anna"));
    // Opened again: nothing left to check, nothing changed.
    drop(store);
    let again = Store::open(&path).unwrap();
    assert_eq!(
        format!("{:?}", imported::between(&again.conn, None, None).unwrap()),
        format!("{all:?}")
    );
}
