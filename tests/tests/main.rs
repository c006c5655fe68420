//! Black-box tests of the server: real sockets, a real database file, the shared wire
//! types. One test binary, several modules.

mod bad_input;
mod browser;
mod clickers;
mod editor;
mod editor_browser;
mod exchange;
mod exchange_browser;
mod followup;
mod limits;
mod memory;
mod microbit;
mod overview;
mod parents;
mod rehearsal;
mod restart;
mod results;
mod room;
mod session;
mod tokens_browser;
mod windows;

/// A set with one question of every kind, written to a `--questions` folder.
pub const ALL_KINDS: &str = r#"
format = 1
id = "test-all-kinds"
title = "Test: every kind"
language = "da"
audience = "pupils"
grades = ["7"]

[[questions]]
id = "own"
kind = "choice"
text = "Har du nogensinde været fuld?"
options = ["Ja", "Nej"]
abstain = ["Vil ikke svare"]
sensitive = true

[[questions]]
id = "guess"
kind = "percent"
text = "Hvor mange procent af klassen tror du har været fulde?"
abstain = ["Ved ikke"]
perceives = { question = "own", options = [0] }

[[questions]]
id = "age"
kind = "number"
text = "Hvor gammel skal man være?"
min = 10
max = 25
unit = "år"
abstain = ["Ved ikke"]

[[questions]]
id = "ok"
kind = "scale"
text = "Er det i orden?"
points = ["Slet ikke", "Lidt", "Nogenlunde", "Helt"]
"#;

/// [`ALL_KINDS`] without its pair: "guess" perceives nothing, so every split shows as soon
/// as the minimum is reached (or, for the sensitive "own", when revealed). For tests of
/// the lifecycle and counts; the reveal order of pairs has tests of its own.
pub fn all_kinds_unpaired() -> String {
    ALL_KINDS.replace("perceives = { question = \"own\", options = [0] }\n", "")
}

/// Starts a server whose library includes [`all_kinds_unpaired`].
pub async fn spawn_with_unpaired_test_set() -> (pejling_tests::TestServer, tempfile::TempDir) {
    let questions = tempfile::tempdir().unwrap();
    std::fs::write(
        questions.path().join("all-kinds.toml"),
        all_kinds_unpaired(),
    )
    .unwrap();
    let server =
        pejling_tests::spawn_app_with_questions(Some(questions.path().to_path_buf())).await;
    (server, questions)
}

/// Starts a server whose library includes [`ALL_KINDS`].
pub async fn spawn_with_test_set() -> (pejling_tests::TestServer, tempfile::TempDir) {
    let questions = tempfile::tempdir().unwrap();
    std::fs::write(questions.path().join("all-kinds.toml"), ALL_KINDS).unwrap();
    let server =
        pejling_tests::spawn_app_with_questions(Some(questions.path().to_path_buf())).await;
    (server, questions)
}
