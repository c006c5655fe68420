//! The console's *Overblik* over HTTP (`docs/protocol.md`, "The overview"): `GET
//! /api/overview` with the host token loads the sessions of the period from the data
//! file, turns each creation time into a day in the computer's time zone, and hands them
//! to `pejling_core::overview`, which computes every figure (and leaves rehearsals out).
//! An HTTP answer, not a WebSocket message: a year's overview is larger than a message
//! may be. `GET /api/overview/report.html` writes the same overview as the printable
//! period report (`report/period.rs`).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use pejling_core::overview::{OverviewSession, overview};
use pejling_wire::{Language, Overview, OverviewQuery};

use crate::app::App;
use crate::auth::Host;
use crate::editor::plain;
use crate::report::period::PeriodReport;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/overview", get(get_overview))
        .route("/api/overview/report.html", get(get_report))
}

/// The query string: the overview's query, and the host token when it is given there.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    from: Option<String>,
    to: Option<String>,
    school: Option<String>,
    grade: Option<String>,
    set: Option<String>,
    #[allow(dead_code)] // read by `Host`
    token: Option<String>,
}

/// A day `YYYY-MM-DD`, or why it is not one.
fn parse_day(name: &str, value: Option<&str>) -> Result<Option<Date>, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    value
        .parse::<Date>()
        .map(Some)
        .map_err(|_| format!("{name} must be a date written YYYY-MM-DD, not \"{value}\""))
}

/// The first or last second of `day` in `zone`.
fn bound(day: Date, zone: &TimeZone, end: bool) -> Option<i64> {
    let time = if end {
        jiff::civil::time(23, 59, 59, 0)
    } else {
        jiff::civil::time(0, 0, 0, 0)
    };
    let moment = day.to_datetime(time).to_zoned(zone.clone()).ok()?;
    Some(moment.timestamp().as_second())
}

/// The day (`YYYY-MM-DD`) a moment falls on in `zone`.
pub fn local_day(unix_seconds: i64, zone: &TimeZone) -> String {
    jiff::Timestamp::from_second(unix_seconds)
        .map(|moment| moment.to_zoned(zone.clone()).date().to_string())
        .unwrap_or_default()
}

/// `GET /api/overview?from=…&to=…&school=…&grade=…&set=…` (every parameter optional).
async fn get_overview(
    _: Host,
    State(app): State<Arc<App>>,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(params) = match params {
        Ok(params) => params,
        Err(rejection) => return plain(StatusCode::BAD_REQUEST, &rejection.body_text()),
    };
    match compute(&app, params).await {
        Ok(overview) => Json(overview).into_response(),
        Err(response) => response,
    }
}

/// The period report's query string: the overview's, and the report's language.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportParams {
    from: Option<String>,
    to: Option<String>,
    school: Option<String>,
    grade: Option<String>,
    set: Option<String>,
    /// `da` (the default) or `en`.
    lang: Option<String>,
    #[allow(dead_code)] // read by `Host`
    token: Option<String>,
}

/// `GET /api/overview/report.html?from=…&to=…&school=…&grade=…&set=…&lang=da|en`: the
/// overview of the same query as a printable HTML file (`report/period.rs`), as a
/// download named for its period.
async fn get_report(
    _: Host,
    State(app): State<Arc<App>>,
    params: Result<Query<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(params) = match params {
        Ok(params) => params,
        Err(rejection) => return plain(StatusCode::BAD_REQUEST, &rejection.body_text()),
    };
    let lang = match params.lang.as_deref().map(str::trim) {
        None | Some("" | "da") => Language::Da,
        Some("en") => Language::En,
        Some(other) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("lang must be da or en, not \"{other}\""),
            );
        }
    };
    let query = Params {
        from: params.from,
        to: params.to,
        school: params.school,
        grade: params.grade,
        set: params.set,
        token: None,
    };
    let overview = match compute(&app, query).await {
        Ok(overview) => overview,
        Err(response) => return response,
    };
    let made = jiff::Zoned::now();
    let built = tokio::task::spawn_blocking(move || {
        let name = overview.query.report_file_name(lang);
        let html = PeriodReport {
            overview: &overview,
            lang,
            made,
        }
        .html();
        (name, html)
    })
    .await;
    let Ok((name, html)) = built else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the period report could not be built",
        );
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        html,
    )
        .into_response()
}

/// The overview of a query: the sessions of its period loaded from the data file (and
/// those imported from other computers), each given its day in the computer's time zone,
/// the figures computed by the core. A date that is not one is `400`.
async fn compute(app: &App, params: Params) -> Result<Overview, Response> {
    let (from, to) = period(params.from.as_deref(), params.to.as_deref())
        .map_err(IntoResponse::into_response)?;
    let sessions = load_sessions(app, from, to).await?;
    let thresholds = app.hub.thresholds;
    let query = OverviewQuery {
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        school: params.school,
        grade: params.grade,
        set: params.set,
    };
    let computed =
        tokio::task::spawn_blocking(move || overview(&sessions, &query, &thresholds)).await;
    computed.map_err(|_| {
        plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the overview could not be computed",
        )
    })
}

/// A query's first and last day, or why one is not a day.
pub(crate) fn period(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<Date>, Option<Date>), NotADay> {
    match (parse_day("from", from), parse_day("to", to)) {
        (Ok(from), Ok(to)) => Ok((from, to)),
        (Err(why), _) | (_, Err(why)) => Err(NotADay(why)),
    }
}

/// A `from` or `to` that is not a day `YYYY-MM-DD`: answered `400` with the reason.
pub(crate) struct NotADay(String);

impl IntoResponse for NotADay {
    fn into_response(self) -> Response {
        plain(StatusCode::BAD_REQUEST, &self.0)
    }
}

/// The sessions an overview from `from` to `to` reads: this computer's sessions of the
/// period (a day either side: the core picks them by their day in this time zone), the
/// imported sessions of the period (their days are as their files wrote them), and the
/// earlier sessions the follow-ups of either compare with. Read on the store's read-only
/// connections: answers are committed meanwhile.
pub(crate) async fn load_sessions(
    app: &App,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Vec<OverviewSession>, Response> {
    let unreadable = |error: &dyn std::fmt::Display| {
        tracing::error!("loading sessions for the overview failed: {error}");
        plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the sessions could not be read from the data file",
        )
    };
    let zone = TimeZone::system();
    let margin = 24 * 60 * 60;
    let store = &app.hub.store;
    let mut records = store
        .load_between(
            from.and_then(|d| bound(d, &zone, false))
                .map(|s| s - margin),
            to.and_then(|d| bound(d, &zone, true)).map(|s| s + margin),
        )
        .await
        .map_err(|e| unreadable(&e))?;
    // Follow-ups compare with their earlier session, which may be from before the
    // period: loaded too (the core counts only the period's sessions).
    let missing: Vec<String> = records
        .iter()
        .filter_map(|record| record.meta.follow_up_of.clone())
        .filter(|id| !records.iter().any(|record| record.meta.id == *id))
        .collect();
    for id in missing {
        if let Some(record) = store.load(id).await.map_err(|e| unreadable(&e))? {
            records.push(record);
        }
    }
    // Checked when imported: read back as they were kept, without checking them again.
    let imported = store
        .imported_between(from.map(|d| d.to_string()), to.map(|d| d.to_string()))
        .await
        .map_err(|e| unreadable(&e))?;
    let read = tokio::task::spawn_blocking(move || {
        let mut sessions: Vec<OverviewSession> = records
            .into_iter()
            .map(|record| {
                let day = local_day(record.meta.created_at, &zone);
                OverviewSession::from_record(record, day)
            })
            .collect();
        sessions.extend(imported);
        sessions
    })
    .await;
    read.map_err(|e| unreadable(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_the_computer_s_days() {
        let copenhagen = TimeZone::get("Europe/Copenhagen").unwrap();
        // 23:30 UTC on 31 March 2027 is 01:30 on 1 April in Copenhagen (summer time, +2).
        let moment = jiff::Timestamp::from_second(1_806_535_800).unwrap();
        assert_eq!(moment.to_string(), "2027-03-31T23:30:00Z");
        assert_eq!(local_day(1_806_535_800, &copenhagen), "2027-04-01");
        assert_eq!(local_day(1_806_535_800, &TimeZone::UTC), "2027-03-31");
        let day: Date = "2027-04-01".parse().unwrap();
        assert_eq!(
            bound(day, &copenhagen, false),
            Some(1_806_535_800 - 90 * 60)
        );
        assert_eq!(
            bound(day, &copenhagen, true),
            Some(1_806_535_800 - 90 * 60 + 24 * 3600 - 1)
        );
        assert!(parse_day("from", Some("2027-4-1")).is_err());
        assert!(parse_day("from", Some("1. april")).is_err());
        assert_eq!(parse_day("to", Some(" ")).ok(), Some(None));
    }
}
