//! The organiser's and operators' endpoints: Prometheus metrics, exports,
//! the bulk import and its template, and the printable final ranking.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::json;

use super::extract::{AdminAuth, ClientAddr};
use crate::error::{AppError, Result};
use crate::export::{self, ExportFormat};
use crate::import;
use crate::state::AppState;

/// Import files may be far larger than a report: 10,000 units × a week.
pub const IMPORT_LIMIT: usize = 16 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    // The recorder must exist before the first metric is emitted.
    crate::metrics::install();
    Router::new()
        .route("/metrics", get(get_metrics))
        .route("/api/v1/admin/export", get(get_export))
        .route("/api/v1/admin/import-template", get(get_import_template))
        .route(
            "/api/v1/admin/import",
            post(post_import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/admin/print", get(get_print))
}

type Params = std::result::Result<Query<HashMap<String, String>>, QueryRejection>;

fn params(query: Params) -> Result<HashMap<String, String>> {
    query
        .map(|Query(q)| q)
        .map_err(|_| AppError::BadRequest("Tham số truy vấn không hợp lệ".into()))
}

fn param<'a>(q: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub(crate) async fn get_metrics() -> Result<Response> {
    let text = crate::metrics::render()
        .ok_or_else(|| AppError::Unavailable("metrics recorder not installed".into()))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response())
}

fn attachment(content_type: &str, filename: &str, bytes: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The final standings (or the provisional ones, marked as such) as a file.
#[utoipa::path(
    get,
    path = "/api/v1/admin/export",
    params(
        ("format" = Option<String>, Query, description = "xlsx (default), csv or json"),
        ("competition" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The file, as an attachment"),
        (status = 401, body = super::openapi::ErrorBody), (status = 403, body = super::openapi::ErrorBody), (status = 422, body = super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_export(
    State(state): State<AppState>,
    AdminAuth(_): AdminAuth,
    query: Params,
) -> Result<Response> {
    let q = params(query)?;
    let format = param(&q, "format").unwrap_or("xlsx");
    let format = ExportFormat::parse(format)
        .ok_or_else(|| AppError::field("format", "Định dạng phải là xlsx, csv hoặc json"))?;
    let selected = state.competition(param(&q, "competition"))?;
    let file = export::export(&state, &selected, format).await?;
    Ok(attachment(
        file.format.content_type(),
        &file.filename,
        file.bytes,
    ))
}

/// An XLSX template for bulk entry, pre-filled with a group's units and a day.
#[utoipa::path(
    get,
    path = "/api/v1/admin/import-template",
    params(("group" = Option<String>, Query), ("day" = Option<String>, Query), ("competition" = Option<String>, Query)),
    responses((status = 200, description = "The XLSX template"), (status = 401, body = super::openapi::ErrorBody), (status = 403, body = super::openapi::ErrorBody)),
    security(("bearer" = []))
)]
pub(crate) async fn get_import_template(
    State(state): State<AppState>,
    AdminAuth(_): AdminAuth,
    query: Params,
) -> Result<Response> {
    let q = params(query)?;
    let selected = state.competition(param(&q, "competition"))?;
    let competition = &selected.record.competition;
    let day = match param(&q, "day") {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| AppError::field("day", "Ngày phải có dạng YYYY-MM-DD"))?,
        None => competition
            .local_date(state.now())
            .clamp(competition.start_date, competition.end_date),
    };
    let group = param(&q, "group").filter(|g| *g != "all");
    let bytes = import::template(&selected, group, day)?;
    let filename = format!(
        "mau-nhap-{}-{}-{}.xlsx",
        competition.slug,
        group.unwrap_or("all"),
        day
    );
    Ok(attachment(export::XLSX_TYPE, &filename, bytes))
}

/// Bulk entry: the CSV or XLSX file as the body (`unit_code,day,<counters…>`).
/// All or nothing: 422 lists every bad line.
#[utoipa::path(
    post,
    path = "/api/v1/admin/import",
    params(("reason" = String, Query), ("competition" = Option<String>, Query)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Every line written"),
        (status = 401, body = super::openapi::ErrorBody), (status = 403, body = super::openapi::ErrorBody), (status = 409, body = super::openapi::ErrorBody),
        (status = 413, body = super::openapi::ErrorBody), (status = 422, body = super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn post_import(
    State(state): State<AppState>,
    AdminAuth(actor): AdminAuth,
    ClientAddr(address): ClientAddr,
    query: Params,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let q = params(query)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("Không đọc được tệp gửi lên".into())
        }
    })?;
    let reason = param(&q, "reason")
        .ok_or_else(|| AppError::field("reason", "Cần ghi lý do nhập số liệu"))?;
    if body.is_empty() {
        return Err(AppError::BadRequest("Chưa có tệp số liệu".into()));
    }
    let selected = state.competition(param(&q, "competition"))?;
    let summary = import::import(&state, &selected, &body, &actor, reason, address).await?;
    Ok((StatusCode::OK, axum::Json(json!({"imported": summary}))).into_response())
}

struct PrintRow {
    rank: u32,
    name: String,
    rates: Vec<String>,
    score: String,
    grade: String,
}

struct PrintBoard {
    name: String,
    rows: Vec<PrintRow>,
    unranked: Vec<String>,
}

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    organizer: String,
    name: String,
    start_date: String,
    end_date: String,
    status_label: &'static str,
    is_final: bool,
    day: String,
    month: String,
    year: String,
    printed_at: String,
    criteria: Vec<String>,
    boards: Vec<PrintBoard>,
}

/// Vietnamese number style: comma before the decimals.
fn decimal(bp: u32) -> String {
    format!("{},{:02}", bp / 100, bp % 100)
}

/// `GET /admin/print[?competition=]`: the final ranking on A4, or the
/// provisional one clearly marked.
async fn get_print(
    State(state): State<AppState>,
    AdminAuth(_): AdminAuth,
    query: Params,
) -> Result<Response> {
    let q = params(query)?;
    let selected = state.competition(param(&q, "competition"))?;
    let standings = export::standings(&state, &selected).await?;
    let competition = &selected.record.competition;
    let local = standings.exported_at.with_timezone(&competition.timezone);
    let boards = standings
        .boards
        .iter()
        .map(|b| PrintBoard {
            name: b.board_name.clone(),
            rows: b
                .entries
                .iter()
                .map(|e| PrintRow {
                    rank: e.rank,
                    name: e.unit.name.clone(),
                    rates: competition
                        .criteria
                        .iter()
                        .map(|c| {
                            e.criteria
                                .get(&c.key)
                                .and_then(|v| v.rate_bp)
                                .map(|bp| format!("{}%", decimal(bp)))
                                .unwrap_or_else(|| "—".into())
                        })
                        .collect(),
                    score: decimal(e.score_bp),
                    grade: e.grade.clone().unwrap_or_default(),
                })
                .collect(),
            unranked: b
                .unranked
                .iter()
                .map(|u| {
                    let why = if u.reason == "no_reports" {
                        "chưa báo cáo"
                    } else {
                        "không phát sinh hồ sơ"
                    };
                    format!("{} ({why})", u.unit.name)
                })
                .collect(),
        })
        .collect();
    let page = PrintPage {
        organizer: competition.organizer.clone(),
        name: competition.name.clone(),
        start_date: competition.start_date.format("%d/%m/%Y").to_string(),
        end_date: competition.end_date.format("%d/%m/%Y").to_string(),
        status_label: standings.status_label(),
        is_final: standings.is_final,
        day: local.format("%d").to_string(),
        month: local.format("%m").to_string(),
        year: local.format("%Y").to_string(),
        printed_at: local.format("%H:%M %d/%m/%Y").to_string(),
        criteria: competition
            .criteria
            .iter()
            .map(|c| c.label.clone())
            .collect(),
        boards,
    };
    let body = page.render().map_err(|e| AppError::Internal(e.into()))?;
    let mut response = Html(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
