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
use crate::editor::{Host, plain};
use crate::limits::{Lifted, Unmetered};
use crate::overview::{load_sessions, period};
use crate::store::{ExchangeJob, ExchangeOutcome, ImportBatch, ImportedRow};

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
                message: "none of the chosen sessions can be shared: rehearsals, sessions nobody \
                          joined and imported sessions are never in a file"
                    .into(),
                danish: "Ingen af de valgte sessioner kan deles: øvelser, sessioner uden \
                         deltagere og importerede sessioner kommer aldrig med i en fil"
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
    let text = std::str::from_utf8(body).map_err(|_| {
        ExchangeError::not_a_file("it is not UTF-8 text (an exchange file is JSON)")
    })?;
    let file: ExchangeFile =
        serde_json::from_str(text).map_err(|e| ExchangeError::not_a_file(&e.to_string()))?;
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
    let rows = file
        .sessions
        .iter()
        .map(|session| ImportedRow {
            key: session.key.clone(),
            date: session.date.clone(),
            json: serde_json::to_string(session).expect("a session serializes"),
        })
        .collect();
    let origin = file.origin.clone();
    let exported_at = file.exported_at.clone();
    exchange::import(file)?;
    Ok(ImportBatch {
        origin: origin.trim().to_string(),
        exported_at,
        exported_unix,
        imported_unix: jiff::Timestamp::now().as_second(),
        sessions: rows,
    })
}

/// `GET /api/exchange/imports`: per origin, how many sessions and which days.
async fn list(_: Host, State(app): State<Arc<App>>) -> Response {
    match app.hub.store.exchange(ExchangeJob::List).await {
        Ok(ExchangeOutcome::Listed(origins)) => Json(origins).into_response(),
        Ok(_) => store_failed("a list answered something else"),
        Err(error) => store_failed(error),
    }
}

#[derive(serde::Deserialize)]
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
