//! HTTP routes: the WebSocket endpoint, the embedded pages and client, the join QR code,
//! and a health check. Every asset is embedded in the binary (rust-embed) — the wasm
//! client and style sheet built and compressed by `build.rs` — so nothing is fetched from
//! the internet.
//!
//! Assets are served pre-compressed (brotli or gzip, by `Accept-Encoding`) with an ETag,
//! and revalidated by the browser (`no-cache`), so a phone downloads the client once and
//! afterwards gets `304 Not Modified`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pejling_wire::MAX_MESSAGE_BYTES;
use rust_embed::RustEmbed;

use crate::app::App;
use crate::auth::{Host, ScreenOrHost};
use crate::hub::{JOIN_CODE_ALPHABET, JOIN_CODE_LEN, normalize_code};

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/web"]
struct Web;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/ws", get(websocket))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/",
            get(|headers: HeaderMap| async move { asset("phone.html", &headers) }),
        )
        .route(
            "/j/{code}",
            get(|headers: HeaderMap| async move { asset("phone.html", &headers) }),
        )
        .route(
            "/host",
            get(|headers: HeaderMap| async move { asset("host.html", &headers) }),
        )
        .route(
            "/screen/{code}",
            get(|headers: HeaderMap| async move { asset("screen.html", &headers) }),
        )
        .route(
            "/app/{file}",
            get(|Path(file): Path<String>, headers: HeaderMap| async move {
                asset(&format!("app/{file}"), &headers)
            }),
        )
        .route("/qr/{file}", get(qr_code))
        .route("/chart/{session_id}/{file}", get(chart))
        .route("/export/{session_id}/{file}", get(export))
        .merge(crate::editor::routes())
        .merge(crate::overview::routes())
        .merge(crate::exchange::routes())
        .fallback(|| async { not_found() })
        .with_state(app)
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "siden findes ikke (page not found)\n",
    )
        .into_response()
}

async fn websocket(
    upgrade: WebSocketUpgrade,
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        // Small buffers: a participant sends a few short messages per question, and a
        // school hall may hold thousands of connections.
        .read_buffer_size(1024)
        .write_buffer_size(1024)
        .on_upgrade(move |socket| crate::ws::serve_socket(socket, app, peer.ip()))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Serves an embedded file, compressed as the client accepts, with an ETag.
fn asset(name: &str, headers: &HeaderMap) -> Response {
    if name.ends_with(".gz") || name.ends_with(".br") {
        return not_found();
    }
    let Some(raw) = Web::get(name) else {
        return not_found();
    };
    let hash = raw.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        hash[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let mut response_headers = HeaderMap::new();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response_headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("ascii"));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag))
    {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    let accepts = |encoding: &str| {
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|part| part.split(';').next().unwrap_or("").trim() == encoding)
            })
    };
    for (encoding, suffix) in [("br", "br"), ("gzip", "gz")] {
        if accepts(encoding)
            && let Some(file) = Web::get(&format!("{name}.{suffix}"))
        {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            return (response_headers, file.data).into_response();
        }
    }
    (response_headers, raw.data).into_response()
}

/// The join link of a session as an SVG QR code, for the projector screen.
/// The QR code of a join link. Drawn for any well-formed code, running or not, so the
/// route tells nobody which codes exist.
async fn qr_code(Path(file): Path<String>, State(app): State<Arc<App>>) -> Response {
    let Some(code) = file.strip_suffix(".svg").map(normalize_code) else {
        return not_found();
    };
    if code.len() != JOIN_CODE_LEN || !code.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b)) {
        return not_found();
    }
    let url = format!("{}/j/{code}", app.public_url);
    let Ok(qr) = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(400, 400)
        .quiet_zone(true)
        .build();
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        svg,
    )
        .into_response()
}

/// `/export/…` query: for the CSV `csv=international` (commas and decimal points)
/// instead of the default for Danish Excel. (A script's `?token=` is read by `Host`.)
#[derive(serde::Deserialize)]
struct ExportQuery {
    csv: Option<String>,
}

/// `/chart/…` query: optionally the size the page will show the chart at (a strip chart
/// is drawn at that size so its text is as large on the projector as it is in the
/// drawing; other charts keep their 16:9 size). (A script's `?token=` is read by
/// `ScreenOrHost`.)
#[derive(serde::Deserialize)]
struct ChartQuery {
    w: Option<u32>,
    h: Option<u32>,
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

/// `GET /chart/{session_id}/{question_id}.svg`: the chart the projector screen shows for
/// a question (screen or host token, judged before anything about the session is said),
/// drawn by `charts.rs` like the exports.
async fn chart(
    _: ScreenOrHost,
    State(app): State<Arc<App>>,
    Path((session_id, file)): Path<(String, String)>,
    Query(query): Query<ChartQuery>,
) -> Response {
    let Some(question_id) = file.strip_suffix(".svg") else {
        return plain(
            StatusCode::NOT_FOUND,
            "charts are SVG: /chart/SESSION/QUESTION.svg",
        );
    };
    // Only a running session: a chart request must not bring a stored session back to
    // life (issue 12). The console attaches to a session before it shows its charts.
    let Some(session) = app.hub.running_by_id(&session_id) else {
        return plain(StatusCode::NOT_FOUND, "no running session has this id");
    };
    let chart = match session.chart(question_id).await {
        Ok(Some(chart)) => chart,
        Ok(None) => {
            return plain(
                StatusCode::NOT_FOUND,
                "no chart: unknown question, or its split is hidden (not revealed yet, or \
                 fewer answers than the minimum)",
            );
        }
        Err(crate::hub::Busy) => {
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the session is busy; ask again in a moment",
            );
        }
    };
    let size = query.w.zip(query.h);
    let svg = match tokio::task::spawn_blocking(move || match size {
        Some((width, height)) => crate::charts::svg_sized(&chart, width, height),
        None => crate::charts::svg(&chart),
    })
    .await
    {
        Ok(svg) => svg,
        Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "drawing failed"),
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response()
}

/// `GET /export/{session_id}/report.html` (or `results.csv`): the session's report, as
/// `pejling export` writes it. Host token only.
async fn export(
    _: Host,
    State(app): State<Arc<App>>,
    Path((session_id, file)): Path<(String, String)>,
    Query(query): Query<ExportQuery>,
) -> Response {
    if file != "report.html" && file != "results.csv" {
        return plain(
            StatusCode::NOT_FOUND,
            "exports are report.html and results.csv",
        );
    }
    let style = match query.csv.as_deref() {
        None | Some("danish") => crate::report::CsvStyle::Danish,
        Some("international") => crate::report::CsvStyle::International,
        Some(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "csv= is danish (the default: semicolons, decimal commas) or international",
            );
        }
    };
    let stored = match app.hub.store.load(session_id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "no such session"),
        Err(error) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    };
    if let Err(refused) = crate::report::exportable(&stored) {
        return plain(StatusCode::CONFLICT, &refused.to_string());
    }
    let linked = match app.hub.store.load_linked(stored.links.clone()).await {
        Ok(linked) => linked,
        Err(error) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    };
    // A follow-up: the earlier session it compares with.
    let earlier = match stored.meta.follow_up_of.clone() {
        Some(id) => match app.hub.store.load(id).await {
            Ok(earlier) => earlier,
            Err(error) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        },
        None => None,
    };
    // The thresholds the session was run with, so every report names the same patterns.
    let thresholds = stored.thresholds.unwrap_or(app.hub.thresholds);
    let built = tokio::task::spawn_blocking(move || {
        let report = crate::report::SessionReport::new(stored.clone(), linked, thresholds);
        let report = match &earlier {
            Some(before) => report.with_follow_up(before, &stored, &jiff::tz::TimeZone::system()),
            None => report,
        };
        if file == "report.html" {
            (
                report.html(),
                "text/html; charset=utf-8",
                format!("{}.html", report.file_stem()),
            )
        } else {
            (
                report.csv(style),
                "text/csv; charset=utf-8",
                format!("{}.csv", report.file_stem()),
            )
        }
    })
    .await;
    let Ok((body, content_type, name)) = built else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the report could not be built",
        );
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
