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
            created_at: 1_700_000_000,
            screen_token: "screen".into(),
            rehearsal: false,
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
