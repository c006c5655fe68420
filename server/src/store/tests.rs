//! Storage tests on a real database file in a temporary folder.

use super::*;
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
