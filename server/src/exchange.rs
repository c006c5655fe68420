//! Several laptops, one municipality, over HTTP (`docs/exchange.md`; `docs/protocol.md`,
//! "Exchange files"). With the host token:
//!
//! - `POST /api/exchange/export` — the exchange file of chosen sessions (by the overview's
//!   query, or by ids), as a download;
//! - `POST /api/exchange/import` — a file from another computer as the body: checked by
//!   the core, stored by its sessions' keys (`store/imported.rs`), answered with what it
//!   changed; a file with a problem is refused whole (`422`) with what is wrong;
//! - `GET /api/exchange/imports` — the imported sessions per origin;
//! - `DELETE /api/exchange/imports?origin=…` — removes an origin's sessions.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pejling_core::exchange::{self, ExchangeError, ExchangeFile};
use pejling_core::overview::{OverviewSession, counted};
use pejling_wire::{ExchangeRefusal, ExportRequest};

use crate::app::App;
use crate::auth::Host;
use crate::editor::plain;
use crate::limits::{Lifted, Unmetered};
use crate::overview::{load_sessions, period};
use crate::store::{ExchangeJob, ExchangeOutcome, ImportBatch};

/// The largest file imported: a year of a municipality's sessions is far below.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/exchange/export", post(export))
        .route(
            "/api/exchange/import",
            post(import).layer(DefaultBodyLimit::max(MAX_FILE_BYTES)),
        )
        .route("/api/exchange/imports", get(list).delete(remove))
}

/// A refusal as JSON, in English and Danish.
fn refused(status: StatusCode, error: ExchangeError) -> Response {
    (
        status,
        Json(ExchangeRefusal {
            message: error.message,
            danish: error.danish,
        }),
    )
        .into_response()
}

fn store_failed(error: impl std::fmt::Display) -> Response {
    tracing::error!("the exchange's work on the data file failed: {error}");
    plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the data file could not be read or written",
    )
}

/// `POST /api/exchange/export` with an [`ExportRequest`]: the file, named
/// `pejling-deling-YYYY-MM-DD.json` for the day it was made.
async fn export(
    _: Host,
    State(app): State<Arc<App>>,
    request: Result<Json<ExportRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(request) = match request {
        Ok(request) => request,
        Err(rejection) => return plain(StatusCode::BAD_REQUEST, &rejection.body_text()),
    };
    let origin = match exchange::origin(&request.origin) {
        Ok(origin) => origin,
        Err(error) => return refused(StatusCode::BAD_REQUEST, error),
    };
    let query = &request.query;
    let (from, to) = match &request.sessions {
        // Chosen by id: every session is a candidate.
        Some(_) => (None, None),
        None => match period(query.from.as_deref(), query.to.as_deref()) {
            Ok(period) => period,
            Err(not_a_day) => return not_a_day.into_response(),
        },
    };
    let sessions = match load_sessions(&app, from, to).await {
        Ok(sessions) => sessions,
        Err(response) => return response,
    };
    let chosen: Vec<&OverviewSession> = match &request.sessions {
        Some(ids) if ids.is_empty() => {
            return refused(
                StatusCode::BAD_REQUEST,
                ExchangeError {
                    message: "no session was chosen".into(),
                    danish: "Der er ikke valgt nogen sessioner".into(),
                },
            );
        }
        Some(ids) => {
            if let Some(unknown) = ids
                .iter()
                .find(|id| !sessions.iter().any(|s| s.origin.is_none() && s.id == **id))
            {
                return plain(
                    StatusCode::BAD_REQUEST,
                    &format!("no session of this computer has the id \"{unknown}\""),
                );
            }
            sessions.iter().filter(|s| ids.contains(&s.id)).collect()
        }
        None => counted(&sessions, query),
    };
    let made = jiff::Zoned::now();
    let file = exchange::export(
        &chosen,
        &sessions,
        &origin,
        &made.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        &app.hub.thresholds,
    );
    if file.sessions.is_empty() {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            ExchangeError {
                message: "no session to share: none of the chosen sessions (the period and \
                          filters, or the ids) is one of this computer's own that somebody \
                          joined; rehearsals and imported sessions are never in a file"
                    .into(),
                danish: "Ingen sessioner at dele: ingen af de valgte sessioner er holdt på \
                         denne computer med deltagere; øvelser og indlæste sessioner kommer \
                         aldrig med i en fil"
                    .into(),
            },
        );
    }
    let json = match serde_json::to_string_pretty(&file) {
        Ok(json) => json,
        Err(error) => return store_failed(error),
    };
    let name = format!("pejling-deling-{}.json", made.date());
    (
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        json,
    )
        .into_response()
}

/// The host's upload of a file larger than a connection's byte rate allows (a year of a
/// municipality's sessions is megabytes): extracted after [`Host`], so the rate is lifted
/// only for the host, and only until the request is done.
struct LargeUpload(#[allow(dead_code)] Option<Lifted>);

impl FromRequestParts<Arc<App>> for LargeUpload {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &Arc<App>,
    ) -> Result<LargeUpload, std::convert::Infallible> {
        Ok(LargeUpload(
            parts.extensions.get::<Unmetered>().map(Unmetered::lift),
        ))
    }
}

/// `POST /api/exchange/import` with a file as the body: an `ImportReport`, or `422` with
/// an [`ExchangeRefusal`].
async fn import(
    _: Host,
    _upload: LargeUpload,
    State(app): State<Arc<App>>,
    body: axum::body::Bytes,
) -> Response {
    let checked = tokio::task::spawn_blocking(move || checked(&body)).await;
    let batch = match checked {
        Ok(Ok(batch)) => batch,
        Ok(Err(error)) => return refused(StatusCode::UNPROCESSABLE_ENTITY, error),
        Err(error) => return store_failed(error),
    };
    match app.hub.store.exchange(ExchangeJob::Import(batch)).await {
        Ok(ExchangeOutcome::Imported(report)) => Json(report).into_response(),
        Ok(_) => store_failed("an import answered something else"),
        Err(error) => store_failed(error),
    }
}

/// A file's sessions checked and ready to store, or the first thing wrong with it.
fn checked(body: &[u8]) -> Result<ImportBatch, ExchangeError> {
    // A byte-order mark (as Windows Notepad writes) is no reason to refuse a file.
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|_| ExchangeError {
        message: "this is not a pejling exchange file: it is not UTF-8 text (an exchange \
                  file is JSON, docs/exchange.md)"
            .into(),
        danish: "Filen er ikke en delingsfil fra pejling: den er ikke UTF-8-tekst (en \
                 delingsfil er JSON)"
            .into(),
    })?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(unreadable)?;
    let file: ExchangeFile = serde_json::from_value(value.clone()).map_err(unreadable)?;
    // Nothing in the file that the format does not know, at any depth: a misspelt field
    // would otherwise be dropped without a word.
    let read_back = serde_json::to_value(&file).map_err(unreadable)?;
    if let Some(path) = unknown_field(&value, &read_back, "") {
        return Err(ExchangeError {
            message: format!(
                "this is not a pejling exchange file: it has a field the format does not know: \
                 {path} (docs/exchange.md)"
            ),
            danish: format!(
                "Filen er ikke en delingsfil fra pejling: den har et felt, formatet ikke kender: \
                 {path}"
            ),
        });
    }
    let exported_unix = file
        .exported_at
        .parse::<jiff::Timestamp>()
        .map_err(|_| ExchangeError {
            message: format!(
                "\"exported_at\" must be a time such as 2027-06-20T14:05:00+02:00, not \"{}\"",
                file.exported_at
            ),
            danish: format!(
                "\"exported_at\" skal være et tidspunkt som 2027-06-20T14:05:00+02:00, ikke \"{}\"",
                file.exported_at
            ),
        })?
        .as_second();
    // A day's grace for clocks and time zones; a file from the future would never be
    // replaced by a later one.
    if exported_unix > jiff::Timestamp::now().as_second() + 24 * 60 * 60 {
        return Err(ExchangeError {
            message: format!(
                "the file says it was made in the future ({}); check the clock of the \
                 computer that made it and export again",
                file.exported_at
            ),
            danish: format!(
                "Filen siger, at den er lavet ude i fremtiden ({}); ret uret på den computer, \
                 der lavede den, og hent filen igen",
                file.exported_at
            ),
        });
    }
    let origin = file.origin.clone();
    let exported_at = file.exported_at.clone();
    // Stored as checked: reading them back checks nothing again.
    let sessions = exchange::import(file)?;
    Ok(ImportBatch {
        origin: origin.trim().to_string(),
        exported_at,
        exported_unix,
        imported_unix: jiff::Timestamp::now().as_second(),
        sessions,
    })
}

/// A file the JSON reader refused: its words say where (line and column).
fn unreadable(error: serde_json::Error) -> ExchangeError {
    let detail = error.to_string();
    ExchangeError {
        message: format!("this is not a pejling exchange file (docs/exchange.md): {detail}"),
        danish: format!(
            "Filen er ikke en delingsfil fra pejling, eller den er ødelagt (fejlen på engelsk: \
             {detail})"
        ),
    }
}

/// The first field of `read` (a file as written) that `kept` (the file as understood,
/// written back) does not have — a field the format does not know — as a path like
/// `sessions[0].set.questions[1].percieves`. An empty value (`null`, `[]`, `{}`,
/// `false`) that is written back as absent is not unknown.
fn unknown_field(read: &serde_json::Value, kept: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match (read, kept) {
        (Value::Object(read), Value::Object(kept)) => read.iter().find_map(|(key, value)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            match kept.get(key) {
                Some(kept) => unknown_field(value, kept, &path),
                None => {
                    let empty = match value {
                        Value::Null | Value::Bool(false) => true,
                        Value::Array(items) => items.is_empty(),
                        Value::Object(fields) => fields.is_empty(),
                        _ => false,
                    };
                    (!empty).then_some(path)
                }
            }
        }),
        (Value::Array(read), Value::Array(kept)) => read
            .iter()
            .zip(kept)
            .enumerate()
            .find_map(|(i, (read, kept))| unknown_field(read, kept, &format!("{at}[{i}]"))),
        _ => None,
    }
}

/// `GET /api/exchange/imports`: per origin, how many sessions and which days.
async fn list(_: Host, State(app): State<Arc<App>>) -> Response {
    match app.hub.store.imported_origins().await {
        Ok(origins) => Json(origins).into_response(),
        Err(error) => store_failed(error),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveParams {
    origin: String,
    #[allow(dead_code)] // read by `Host`
    token: Option<String>,
}

/// `DELETE /api/exchange/imports?origin=…`: `{"removed": n}`.
async fn remove(
    _: Host,
    State(app): State<Arc<App>>,
    params: Result<Query<RemoveParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(params) = match params {
        Ok(params) => params,
        Err(rejection) => return plain(StatusCode::BAD_REQUEST, &rejection.body_text()),
    };
    let job = ExchangeJob::Remove {
        origin: params.origin,
    };
    match app.hub.store.exchange(job).await {
        Ok(ExchangeOutcome::Removed(removed)) => {
            Json(serde_json::json!({ "removed": removed })).into_response()
        }
        Ok(_) => store_failed("a removal answered something else"),
        Err(error) => store_failed(error),
    }
}
