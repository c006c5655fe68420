//! The console's question-set editor over HTTP (issue 16): a built-in set copied, changed
//! and saved as a file that passes `pejling check` and runs a session at once; problems
//! placed at their fields and blocking the save; imports and downloads; bad requests.

use std::net::SocketAddr;

use pejling_tests::wire::{
    Action, Answer, CheckedDraft, EditorList, Existing, KindName, OpenedSet, PerceivesDraft,
    QuestionDraft, SetDraft,
};
use pejling_tests::{Facilitator, HOST_TOKEN, Participant, TestServer, http_request};

async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let (status, body) = http_request(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {HOST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    let code = status
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (code, body)
}

async fn get<T: serde::de::DeserializeOwned>(addr: SocketAddr, path: &str) -> T {
    let (status, body) = request(addr, "GET", path, "").await;
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

async fn post<T: serde::de::DeserializeOwned>(addr: SocketAddr, path: &str, body: &str) -> T {
    let (status, answer) = request(addr, "POST", path, body).await;
    assert_eq!(status, 200, "POST {path}: {answer}");
    serde_json::from_str(&answer).unwrap_or_else(|error| panic!("{error}: {answer}"))
}

fn draft_request(draft: &SetDraft, source: &str, file: Option<&str>, replace: bool) -> String {
    serde_json::json!({ "draft": draft, "source": source, "file": file, "replace": replace })
        .to_string()
}

fn sets_folder(server: &TestServer) -> std::path::PathBuf {
    server.data.parent().unwrap().join("sets")
}

/// A percent pair made in the editor: the own question and its perceived partner.
fn pair(id: &str) -> [QuestionDraft; 2] {
    let mut own = QuestionDraft::new(format!("{id}-own"), KindName::Choice);
    own.text = "Har du prøvet snus?".to_string();
    own.options = vec!["Ja".to_string(), "Nej".to_string()];
    own.abstain = vec!["Vil ikke svare".to_string()];
    own.sensitive = true;
    let mut guess = QuestionDraft::new(format!("{id}-guess"), KindName::Percent);
    guess.text = "Hvor mange procent af eleverne i din klasse tror du har prøvet snus?".to_string();
    guess.abstain = vec!["Ved ikke".to_string()];
    guess.perceives = Some(PerceivesDraft {
        set: String::new(),
        question: format!("{id}-own"),
        options: vec![0],
    });
    [own, guess]
}

/// Sends bytes that need not be UTF-8; returns the status line and the body.
async fn raw_request(addr: SocketAddr, bytes: &[u8]) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_default();
    (
        head.lines().next().unwrap_or_default().to_string(),
        body.to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_built_in_set_is_saved_checked_and_runs_a_session_at_once() {
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let list: EditorList = get(addr, "/api/sets").await;
    assert!(list.sets.iter().all(|set| set.builtin), "no own sets yet");
    assert!(list.sets.iter().any(|set| set.id == "7-klasse-alkohol"));

    let opened: OpenedSet = get(addr, "/api/sets/builtin/7-klasse-alkohol").await;
    assert!(opened.problems.is_empty(), "{:?}", opened.problems);
    let mut draft = opened.draft.clone();
    draft.id = "vores-alkohol".to_string();
    draft.title = "Vores 7. klasse: alkohol".to_string();
    let references: Vec<pejling_tests::wire::ReferenceEntry> = get(addr, "/api/references").await;
    let [own, mut guess] = pair("snus");
    guess.references = vec![references[0].id.clone()];
    draft.questions.insert(0, guess);
    draft.questions.insert(0, own);

    let checked: CheckedDraft = post(
        addr,
        "/api/sets/check",
        &draft_request(&draft, &opened.source, None, false),
    )
    .await;
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    let saved: CheckedDraft = post(
        addr,
        "/api/sets/save",
        &draft_request(&draft, &opened.source, None, false),
    )
    .await;
    assert_eq!(
        saved.saved.as_deref(),
        Some("vores-alkohol.toml"),
        "{saved:?}"
    );

    // The file is the one the check showed, keeps the built-in file's opening comment,
    // and passes `pejling check`.
    let path = sets_folder(&server).join("vores-alkohol.toml");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert_eq!(on_disk, checked.toml);
    let first_comment = opened.source.lines().next().unwrap();
    assert!(first_comment.starts_with('#'), "{first_comment}");
    assert!(on_disk.starts_with(first_comment), "{on_disk}");
    let reports = pejling::library::check_paths(&[path]);
    assert!(reports.is_empty(), "{reports:?}");

    // Listed as the user's own, and usable for a session straight away.
    let list: EditorList = get(addr, "/api/sets").await;
    let own = list
        .sets
        .iter()
        .find(|set| set.id == "vores-alkohol")
        .unwrap();
    assert_eq!((own.builtin, own.problems), (false, 0));
    assert_eq!(own.file.as_deref(), Some("vores-alkohol.toml"));
    let mut host = Facilitator::connect(addr).await;
    assert!(
        host.list_sets()
            .await
            .iter()
            .any(|set| set.id == "vores-alkohol")
    );
    let state = host.create("vores-alkohol", "editor").await;
    assert_eq!(state.questions[0].id, "snus-own");
    host.control(Action::Open).await;
    let (mut pupil, _) = Participant::join(addr, &state.session.code, None).await;
    pupil.answer("snus-own", Answer::Choice { option: 1 }).await;

    // Downloading gives the file on disk.
    let (status, body) = request(
        addr,
        "GET",
        &format!("/api/sets/own/vores-alkohol.toml/file?token={HOST_TOKEN}"),
        "",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, on_disk.as_str()));

    // Deleted: gone from the folder and the library; the session keeps its copy.
    let (status, body) = request(addr, "DELETE", "/api/sets/own/vores-alkohol.toml", "").await;
    assert_eq!(status, 204, "{body}");
    assert!(!sets_folder(&server).join("vores-alkohol.toml").exists());
    assert!(
        !host
            .list_sets()
            .await
            .iter()
            .any(|set| set.id == "vores-alkohol")
    );
    let (status, _) = request(addr, "DELETE", "/api/sets/own/vores-alkohol.toml", "").await;
    assert_eq!(status, 404);
    let (stored, _) = host.snapshot(&state.session.id).await;
    assert_eq!(stored.questions[0].id, "snus-own");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_are_placed_at_their_fields_and_keep_a_set_from_being_saved() {
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let opened: OpenedSet = get(addr, "/api/sets/builtin/7-klasse-alkohol").await;
    let mut draft = opened.draft.clone();
    draft.id = "broken".to_string();
    draft.title = "  ".to_string();
    let [own, mut guess] = pair("snus");
    guess.perceives.as_mut().unwrap().question = "nowhere".to_string();
    guess.references = vec!["no-such-figure".to_string()];
    draft.questions = vec![own, guess];
    let body = draft_request(&draft, &opened.source, None, false);
    let checked: CheckedDraft = post(addr, "/api/sets/check", &body).await;
    let paths: Vec<&str> = checked.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["title", "questions.1.perceives.question"],
        "{checked:?}"
    );

    let saved: CheckedDraft = post(addr, "/api/sets/save", &body).await;
    assert_eq!(saved.saved, None);
    assert_eq!(saved.problems, checked.problems);
    assert!(!sets_folder(&server).join("broken.toml").exists());

    // With those fixed, the figure the registry lacks is named at its field.
    draft.title = "Rettet".to_string();
    draft.questions[1].perceives.as_mut().unwrap().question = "snus-own".to_string();
    let checked: CheckedDraft = post(
        addr,
        "/api/sets/check",
        &draft_request(&draft, &opened.source, None, false),
    )
    .await;
    assert_eq!(checked.problems.len(), 1, "{checked:?}");
    assert_eq!(checked.problems[0].path, "questions.1.references.0");
    assert!(checked.problems[0].message.contains("no-such-figure"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_shows_its_problems_and_a_taken_id_is_replaced_only_when_asked() {
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let builtin = pejling::library::builtin_files()
        .into_iter()
        .find(|file| file.origin.ends_with("7-klasse-alkohol.toml"))
        .unwrap()
        .text;

    // A built-in set imported: no problems, but its id is taken.
    let imported: OpenedSet = post(addr, "/api/sets/import", &builtin).await;
    assert!(imported.problems.is_empty(), "{:?}", imported.problems);
    assert_eq!(imported.exists, Some(Existing::Builtin));
    let body = draft_request(&imported.draft, &imported.source, None, false);
    let refused: CheckedDraft = post(addr, "/api/sets/save", &body).await;
    assert_eq!(
        (refused.saved, refused.exists),
        (None, Some(Existing::Builtin))
    );
    // Keeping both: the editor gives the copy a new id.
    let mut copy = imported.draft.clone();
    copy.id = "7-klasse-alkohol-2".to_string();
    let kept: CheckedDraft = post(
        addr,
        "/api/sets/save",
        &draft_request(&copy, &imported.source, None, false),
    )
    .await;
    assert_eq!(kept.saved.as_deref(), Some("7-klasse-alkohol-2.toml"));
    // Importing the same file again: now an own set has the id; replace overwrites it.
    let again: OpenedSet = post(
        addr,
        "/api/sets/import",
        &builtin.replace("id = \"7-klasse-alkohol\"", "id = \"7-klasse-alkohol-2\""),
    )
    .await;
    assert_eq!(again.exists, Some(Existing::Own));
    let replaced: CheckedDraft = post(
        addr,
        "/api/sets/save",
        &draft_request(&again.draft, &again.source, None, true),
    )
    .await;
    assert_eq!(replaced.saved.as_deref(), Some("7-klasse-alkohol-2.toml"));

    // A file with a problem opens with the problem at its field.
    let broken = builtin.replacen("kind = \"percent\"", "kind = \"procent\"", 1);
    let opened: OpenedSet = post(addr, "/api/sets/import", &broken).await;
    assert_eq!(opened.problems.len(), 1, "{:?}", opened.problems);
    let path = &opened.problems[0].path;
    assert!(
        path.starts_with("questions.") && path.ends_with(".kind"),
        "{path}"
    );

    // Not TOML, not text, too large: refused with what is wrong.
    let (status, answer) = request(addr, "POST", "/api/sets/import", "title = \"x\n").await;
    assert_eq!(status, 422, "{answer}");
    let refused: CheckedDraft = serde_json::from_str(&answer).unwrap();
    assert_eq!(refused.problems[0].line, 1);
    // Latin-1 bytes, as an old editor might save "Hvor mange procent?".
    let latin1 = b"title = \"Hvor mange procent af eleverne \xe6\xf8\xe5?\"\n";
    let (status, answer) = raw_request(
        addr,
        &[
            format!(
                "POST /api/sets/import HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {HOST_TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                latin1.len()
            )
            .as_bytes(),
            latin1,
        ]
        .concat(),
    )
    .await;
    assert!(status.contains("422"), "{status} {answer}");
    assert!(answer.contains("UTF-8"), "{answer}");
    let huge = "#".repeat(100 * 1024);
    let (status, answer) = request(addr, "POST", "/api/sets/import", &huge).await;
    assert_eq!(status, 413, "{answer}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_needs_the_host_token_and_stays_inside_its_folder() {
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let (status, body) = http_request(
        addr,
        "GET /api/sets HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(status.contains("403"), "{status}");
    assert!(body.contains("host token"), "{body}");
    let (status, _) = http_request(
        addr,
        "GET /api/sets?token=wrong HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(status.contains("403"), "{status}");
    for path in [
        "/api/sets/own/..%2Fpejling.db",
        "/api/sets/own/..%2F..%2Fetc%2Fpasswd/file",
        "/api/sets/own/references.toml",
    ] {
        let (status, body) = request(addr, "GET", path, "").await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    let (status, body) = request(addr, "GET", "/api/sets/own/missing.toml", "").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = request(addr, "POST", "/api/sets/check", "{\"draft\": 1}").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("draft"), "{body}");
    server.stop().await;
}

/// Found by an outside tester: replacing a built-in pupils' set without a question a
/// parents' set cites made that parents' set vanish from the session list, silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_would_break_a_parents_set_is_a_problem_and_not_saved() {
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let opened: OpenedSet = get(addr, "/api/sets/builtin/8-9-klasse-alkohol").await;
    let mut draft = opened.draft.clone();
    draft.questions.retain(|q| !q.id.starts_with("hash-tried"));
    let body = draft_request(&draft, &opened.source, None, true);
    let checked: CheckedDraft = post(addr, "/api/sets/check", &body).await;
    assert!(!checked.problems.is_empty(), "{checked:?}");
    let problem = &checked.problems[0];
    assert_eq!(problem.path, "");
    assert!(problem.danish.contains("Forældremøde"), "{problem:?}");
    assert!(problem.danish.contains("holder"), "{problem:?}");
    let saved: CheckedDraft = post(addr, "/api/sets/save", &body).await;
    assert_eq!(saved.saved, None);
    let mut host = Facilitator::connect(addr).await;
    assert!(
        host.list_sets()
            .await
            .iter()
            .any(|set| set.id == "foraeldre-8-9-klasse")
    );
    server.stop().await;
}

/// Found by an outside tester: two tabs on one set, and the later save silently undid
/// the earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_over_a_file_changed_since_it_was_opened_is_refused() {
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let opened: OpenedSet = get(addr, "/api/sets/builtin/7-klasse-alkohol").await;
    let mut draft = opened.draft.clone();
    draft.id = "vores".to_string();
    let saved: CheckedDraft = post(
        addr,
        "/api/sets/save",
        &draft_request(&draft, &opened.source, None, false),
    )
    .await;
    let file = saved.saved.unwrap();
    // Two tabs open the saved file.
    let tab_a: OpenedSet = get(addr, &format!("/api/sets/own/{file}")).await;
    let tab_b = tab_a.clone();
    let mut a = tab_a.draft.clone();
    a.title = "Ændret i fane A".to_string();
    let saved_a: CheckedDraft = post(
        addr,
        "/api/sets/save",
        &draft_request(&a, &tab_a.source, Some(&file), false),
    )
    .await;
    assert_eq!(saved_a.saved.as_deref(), Some(file.as_str()));
    let mut b = tab_b.draft.clone();
    b.questions[0].text = "Ændret i fane B?".to_string();
    let saved_b: CheckedDraft = post(
        addr,
        "/api/sets/save",
        &draft_request(&b, &tab_b.source, Some(&file), false),
    )
    .await;
    assert!(saved_b.stale, "{saved_b:?}");
    assert_eq!(saved_b.saved, None);
    let on_disk = std::fs::read_to_string(sets_folder(&server).join(&file)).unwrap();
    assert!(on_disk.contains("Ændret i fane A"), "{on_disk}");
    assert!(!on_disk.contains("Ændret i fane B"), "{on_disk}");
    server.stop().await;
}
