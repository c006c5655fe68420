//! The console's question-set editor over HTTP (`docs/protocol.md`, "The question-set
//! editor"): list the sets, open one as a draft, check a draft with the checker
//! `pejling check` runs (in the context of the whole library, so references into other
//! sets and cited figures are checked too), save it as a file in the user's sets folder,
//! import a file, download one. Every route needs the host token (`auth::Host`). A set
//! with problems is never saved, so every saved file passes `pejling check` and can be
//! used for a session.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pejling_core::questions::{self, Problem};
use pejling_wire::{
    CheckedDraft, DraftRequest, EditorList, EditorSet, Existing, FieldProblem, OpenedSet,
    ReferenceEntry, SetDraft,
};

use crate::app::App;
use crate::auth::Host;
use crate::library::{SourceFile, assemble, builtin_files};
use crate::shelf::{MAX_SET_BYTES, Shelf, ShelfError};

/// The origin a draft is checked under, among the library's files.
const DRAFT_ORIGIN: &str = "editor:draft";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/sets", get(list))
        .route("/api/sets/builtin/{id}", get(open_builtin))
        .route("/api/sets/own/{file}", get(open_own).delete(delete_own))
        .route("/api/sets/builtin/{id}/file", get(download_builtin))
        .route("/api/sets/own/{file}/file", get(download_own))
        .route("/api/sets/check", post(check))
        .route("/api/sets/save", post(save))
        .route("/api/sets/import", post(import))
        .route("/api/references", get(references))
        // A draft as JSON is larger than its file; an import is the file itself.
        .layer(DefaultBodyLimit::max(3 * MAX_SET_BYTES))
}

pub(crate) fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

fn shelf_error(error: ShelfError) -> Response {
    let status = match error {
        ShelfError::NotFound(_) => StatusCode::NOT_FOUND,
        ShelfError::BadName(_) => StatusCode::BAD_REQUEST,
        ShelfError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ShelfError::NotText { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ShelfError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    };
    plain(status, &error.to_string())
}

/// Runs blocking work (files, checking the whole library) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Response> {
    tokio::task::spawn_blocking(work).await.map_err(|_| {
        plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the editor's work failed",
        )
    })
}

/// The set ids of the built-in files, with their text.
fn builtin_sets() -> Vec<(String, String)> {
    builtin_files()
        .into_iter()
        .filter_map(|file| {
            let parsed = questions::parse(&file.text).ok()?;
            Some((parsed.set.id, file.text))
        })
        .collect()
}

/// Every problem of `text` as a set of the library: its own problems, or else those that
/// need the other sets (a cited set or question that does not exist, a figure the
/// registry lacks, an id used twice). `own` is the file being edited, and any own file
/// with the same set id is left out, as saving would replace it.
fn problems_in_library(shelf: &Shelf, text: &str, own: Option<&str>) -> Vec<Problem> {
    let id = match questions::parse(text) {
        Ok(parsed) => parsed.set.id,
        Err(problems) => return problems,
    };
    let own_files = shelf.own_files();
    // The folder's own figures, which its sets may cite.
    let registry = std::fs::read_to_string(shelf.folder().join(crate::library::REGISTRY_FILE))
        .ok()
        .map(|text| SourceFile {
            origin: crate::library::REGISTRY_FILE.to_string(),
            text,
        });
    let as_files = |files: Vec<(String, String)>| -> Vec<SourceFile> {
        files
            .into_iter()
            .map(|(name, text)| SourceFile { origin: name, text })
            .chain(registry.clone())
            .collect()
    };
    // The library as it is, and as it would be with the draft saved (replacing the file
    // being edited and any own file with the same id).
    let (_, before) = assemble(builtin_files(), as_files(own_files.clone()));
    let mut with_draft = as_files(
        own_files
            .iter()
            .filter(|(name, _)| Some(name.as_str()) != own)
            .filter(|(_, other)| questions::parse(other).map_or(true, |p| p.set.id != id))
            .cloned()
            .collect(),
    );
    with_draft.push(SourceFile {
        origin: DRAFT_ORIGIN.to_string(),
        text: text.to_string(),
    });
    let (_, after) = assemble(builtin_files(), with_draft);
    let mut problems: Vec<Problem> = Vec::new();
    for report in after {
        if report.origin == DRAFT_ORIGIN {
            problems.extend(report.problems);
            continue;
        }
        // Another set the draft would break (a parents' set citing a question the draft
        // no longer has): a problem of the draft, so it is not saved that way.
        let had = before
            .iter()
            .find(|old| old.origin == report.origin)
            .map(|old| old.problems.as_slice())
            .unwrap_or_default();
        for problem in report.problems.iter().filter(|p| !had.contains(p)) {
            let name = set_title(&report.origin, &own_files);
            problems.push(Problem::at(
                (1, 1),
                format!(
                    "saving this set breaks the set \"{name}\": {}",
                    problem.message
                ),
                format!(
                    "Gemmes sættet sådan, holder «{name}» op med at virke: {}. Behold spørgsmålenes id'er, eller ret «{name}» først.",
                    problem.danish.trim_end_matches('.')
                ),
            ));
        }
    }
    problems
}

/// The title of the set in a library file (`builtin:NAME` or an own file's name), or the
/// file's name.
fn set_title(origin: &str, own_files: &[(String, String)]) -> String {
    let text = match origin.strip_prefix("builtin:") {
        Some(_) => builtin_files()
            .into_iter()
            .find(|file| file.origin == origin)
            .map(|file| file.text),
        None => own_files
            .iter()
            .find(|(name, _)| name == origin)
            .map(|(_, text)| text.clone()),
    };
    text.and_then(|text| questions::read_draft(&text).ok())
        .map(|draft| draft.title)
        .filter(|title| !title.trim().is_empty())
        .unwrap_or_else(|| origin.trim_start_matches("builtin:").to_string())
}

fn located(shelf: &Shelf, text: &str, own: Option<&str>) -> Vec<FieldProblem> {
    questions::locate(text, &problems_in_library(shelf, text, own))
}

/// Opens a file's text as a draft; a text that is not TOML is refused with its problem.
fn opened(shelf: &Shelf, text: String, own: Option<&str>) -> Response {
    match questions::read_draft(&text) {
        Ok(draft) => {
            let problems = located(shelf, &text, own);
            Json(OpenedSet {
                draft,
                source: text,
                problems,
                exists: None,
            })
            .into_response()
        }
        Err(problems) => not_toml(&text, &problems),
    }
}

fn not_toml(text: &str, problems: &[Problem]) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(CheckedDraft {
            toml: text.to_string(),
            problems: questions::locate(text, problems),
            exists: None,
            saved: None,
            stale: false,
        }),
    )
        .into_response()
}

/// `GET /api/sets`: the built-in sets (read-only) and the user's own files.
async fn list(_: Host, State(app): State<Arc<App>>) -> Response {
    let result = blocking(move || {
        let shelf = &app.hub.shelf;
        let mut sets: Vec<EditorSet> = builtin_sets()
            .into_iter()
            .filter_map(|(_, text)| {
                let set = questions::parse(&text).ok()?.set;
                Some(EditorSet {
                    id: set.id,
                    title: set.title,
                    audience: set.audience,
                    grades: set.grades,
                    questions: set.questions.len() as u32,
                    builtin: true,
                    file: None,
                    problems: 0,
                })
            })
            .collect();
        for (name, text) in shelf.own_files() {
            let draft = questions::read_draft(&text).ok();
            let problems = problems_in_library(shelf, &text, Some(&name)).len() as u32;
            sets.push(match draft {
                Some(draft) => EditorSet {
                    id: draft.id,
                    title: draft.title,
                    audience: draft.audience,
                    grades: draft.grades,
                    questions: draft.questions.len() as u32,
                    builtin: false,
                    file: Some(name),
                    problems,
                },
                None => EditorSet {
                    id: String::new(),
                    title: name.clone(),
                    audience: pejling_wire::Audience::Pupils,
                    grades: Vec::new(),
                    questions: 0,
                    builtin: false,
                    file: Some(name),
                    problems: problems.max(1),
                },
            });
        }
        EditorList {
            sets,
            folder: shelf.folder().display().to_string(),
        }
    })
    .await;
    match result {
        Ok(list) => Json(list).into_response(),
        Err(response) => response,
    }
}

async fn open_builtin(_: Host, State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some((_, text)) = builtin_sets().into_iter().find(|(set, _)| *set == id) else {
        return plain(StatusCode::NOT_FOUND, "no built-in set has this id");
    };
    blocking(move || opened(&app.hub.shelf, text, None))
        .await
        .unwrap_or_else(|response| response)
}

async fn open_own(_: Host, State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    blocking(move || {
        let shelf = &app.hub.shelf;
        match shelf.read(&file) {
            Ok(text) => opened(shelf, text, Some(&file)),
            Err(error) => shelf_error(error),
        }
    })
    .await
    .unwrap_or_else(|response| response)
}

/// `DELETE /api/sets/own/{file}`: removes one of the user's sets (sessions run with it
/// keep their copy).
async fn delete_own(_: Host, State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    blocking(move || {
        let shelf = &app.hub.shelf;
        if let Err(error) = shelf.read(&file).and_then(|_| shelf.remove(&file)) {
            return shelf_error(error);
        }
        for line in shelf.reload().iter().flat_map(|report| report.lines()) {
            tracing::warn!("{line}");
        }
        StatusCode::NO_CONTENT.into_response()
    })
    .await
    .unwrap_or_else(|response| response)
}

fn download(name: &str, text: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/toml; charset=utf-8".to_string(),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        text,
    )
        .into_response()
}

async fn download_builtin(_: Host, Path(id): Path<String>) -> Response {
    match builtin_sets().into_iter().find(|(set, _)| *set == id) {
        Some((id, text)) => download(&format!("{id}.toml"), text),
        None => plain(StatusCode::NOT_FOUND, "no built-in set has this id"),
    }
}

async fn download_own(_: Host, State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    match app.hub.shelf.read(&file) {
        // The name is a checked file name; quotes cannot occur in a header's filename.
        Ok(text) => download(&file.replace('"', "'"), text),
        Err(error) => shelf_error(error),
    }
}

/// `POST /api/sets/check`: the draft written as its file, and its problems.
async fn check(
    _: Host,
    State(app): State<Arc<App>>,
    Json(request): Json<DraftRequest>,
) -> Response {
    blocking(move || {
        let toml = questions::write_draft(&request.draft, &request.source);
        let problems = located(&app.hub.shelf, &toml, request.file.as_deref());
        Json(CheckedDraft {
            toml,
            problems,
            exists: None,
            saved: None,
            stale: false,
        })
        .into_response()
    })
    .await
    .unwrap_or_else(|response| response)
}

/// What a set id is used by, other than the file being edited.
fn existing(shelf: &Shelf, draft: &SetDraft, own: Option<&str>) -> (Option<Existing>, Vec<String>) {
    let others: Vec<String> = shelf
        .own_files()
        .into_iter()
        .filter(|(name, _)| Some(name.as_str()) != own)
        .filter(|(_, text)| questions::read_draft(text).is_ok_and(|other| other.id == draft.id))
        .map(|(name, _)| name)
        .collect();
    let edits_an_override = own
        .and_then(|name| shelf.read(name).ok())
        .and_then(|text| questions::read_draft(&text).ok())
        .is_some_and(|before| before.id == draft.id);
    if !others.is_empty() {
        (Some(Existing::Own), others)
    } else if !edits_an_override && builtin_sets().iter().any(|(id, _)| *id == draft.id) {
        (Some(Existing::Builtin), others)
    } else {
        (None, others)
    }
}

/// `POST /api/sets/save`: writes the draft as `<id>.toml` in the sets folder when it has
/// no problems, and loads the library again so the set can be used at once. An id that is
/// taken (another own file, or a built-in set) is refused unless `replace` is set.
async fn save(_: Host, State(app): State<Arc<App>>, Json(request): Json<DraftRequest>) -> Response {
    blocking(move || {
        let shelf = &app.hub.shelf;
        let own = request.file.as_deref();
        let toml = questions::write_draft(&request.draft, &request.source);
        if toml.len() > MAX_SET_BYTES {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the set is larger than {MAX_SET_BYTES} bytes"),
            );
        }
        let problems = located(shelf, &toml, own);
        let mut answer = CheckedDraft {
            toml,
            problems,
            exists: None,
            saved: None,
            stale: false,
        };
        if !answer.problems.is_empty() {
            return Json(answer).into_response();
        }
        // Saved from another tab since this draft was opened: refused, not overwritten.
        if let Some(name) = own
            && let Ok(on_disk) = shelf.read(name)
            && on_disk != request.source
            && on_disk != answer.toml
        {
            answer.stale = true;
            return Json(answer).into_response();
        }
        let (exists, replaced) = existing(shelf, &request.draft, own);
        if exists.is_some() && !request.replace {
            answer.exists = exists;
            return Json(answer).into_response();
        }
        // The checker accepted the id: a-z, 0-9, '-' and '_', so it is a safe name.
        let name = format!("{}.toml", request.draft.id);
        if let Err(error) = shelf.write(&name, &answer.toml) {
            return shelf_error(error);
        }
        for old in replaced.iter().map(String::as_str).chain(own) {
            if old != name
                && let Err(error) = shelf.remove(old)
            {
                tracing::warn!("saving {name}: {error}");
            }
        }
        for line in shelf.reload().iter().flat_map(|report| report.lines()) {
            tracing::warn!("{line}");
        }
        answer.saved = Some(name);
        Json(answer).into_response()
    })
    .await
    .unwrap_or_else(|response| response)
}

/// `POST /api/sets/import` with the file as the body: the set opened as a draft with its
/// problems, and whether its id is taken. Nothing is saved until the editor saves it.
async fn import(_: Host, State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    if body.len() > MAX_SET_BYTES {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a set file is at most {MAX_SET_BYTES} bytes"),
        );
    }
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return plain(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the file is not UTF-8 text; a set file is TOML (docs/question-sets.md)",
        );
    };
    blocking(move || {
        let shelf = &app.hub.shelf;
        let draft = match questions::read_draft(&text) {
            Ok(draft) => draft,
            Err(problems) => return not_toml(&text, &problems),
        };
        let problems = located(shelf, &text, None);
        let (exists, _) = existing(shelf, &draft, None);
        Json(OpenedSet {
            draft,
            source: text,
            problems,
            exists,
        })
        .into_response()
    })
    .await
    .unwrap_or_else(|response| response)
}

/// `GET /api/references`: the figures sets may cite (built in and the folder's own).
async fn references(_: Host, State(app): State<Arc<App>>) -> Response {
    let references: Vec<ReferenceEntry> = app
        .hub
        .shelf
        .library()
        .references()
        .map(|reference| ReferenceEntry {
            id: reference.id.clone(),
            value: reference.value,
            unit: reference.unit.clone(),
            measures: reference.measures.clone(),
            population: reference.population.clone(),
            year: reference.year,
            survey: reference.survey.clone(),
        })
        .collect();
    Json(references).into_response()
}
