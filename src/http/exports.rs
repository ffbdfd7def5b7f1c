//! The organiser's files: exports of the standings, the bulk import and its
//! template, and the printable ranking.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::extract::{ClientAddr, OrganizerAuth};
use crate::error::{AppError, ErrorBody, Result};
use crate::export::{self, ExportFormat};
use crate::i18n::Lang;
use crate::import::{self, ImportSummary, Upload};
use crate::scoring::UnrankedReason;
use crate::state::AppState;

/// Import files may be far larger than a report: 10,000 units × a week.
pub const IMPORT_LIMIT: usize = 16 * 1024 * 1024;

/// The documented endpoints.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_export))
        .routes(routes!(get_import_template))
        .routes(routes!(post_import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)))
}

/// The printable ranking, an HTML page.
pub fn pages() -> Router<AppState> {
    Router::new().route("/admin/print", get(get_print))
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
        ("format" = Option<String>, Query, description = "xlsx (default), csv, json or pdf"),
        ("locale" = Option<String>, Query, description = "for csv: vi (default; `;`, decimal comma, Vietnamese headers) or en (`,`, decimal point, English keys)"),
        ("competition" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The file, as an attachment"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such competition", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_export(
    State(state): State<AppState>,
    organizer: OrganizerAuth,
    query: Params,
) -> Result<Response> {
    let q = params(query)?;
    let format = param(&q, "format").unwrap_or("xlsx");
    let format = ExportFormat::parse(format)
        .ok_or_else(|| AppError::field("format", "Định dạng phải là xlsx, csv, json hoặc pdf"))?
        .with_locale(param(&q, "locale"))
        .ok_or_else(|| AppError::field("locale", "Vùng phải là vi hoặc en"))?;
    let selected = organizer.competition(&state, param(&q, "competition"))?;
    let file = export::export(state.boards(), state.store(), &selected, format).await?;
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
    params(("group" = Option<String>, Query), ("day" = Option<String>, Query, format = Date), ("competition" = Option<String>, Query)),
    responses(
        (status = 200, description = "The XLSX template", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_import_template(
    State(state): State<AppState>,
    organizer: OrganizerAuth,
    query: Params,
) -> Result<Response> {
    let q = params(query)?;
    let selected = organizer.competition(&state, param(&q, "competition"))?;
    let competition = &selected.record.competition;
    // A blank day is no day: refused, not read as today.
    let day = match q.get("day").map(|d| d.trim()) {
        Some(d) => crate::day::parse(d)
            .ok_or_else(|| AppError::field("day", "Ngày phải có dạng YYYY-MM-DD"))?,
        None => competition.day_for(state.now()),
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
        (status = 200, description = "Every line written", body = Imported),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such competition", body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_import(
    State(state): State<AppState>,
    organizer: OrganizerAuth,
    ClientAddr(address): ClientAddr,
    query: Params,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let q = params(query)?;
    let body = body.map_err(|e| super::extract::body_refused(&e, IMPORT_LIMIT))?;
    let reason = param(&q, "reason")
        .ok_or_else(|| AppError::field("reason", "Cần ghi lý do nhập số liệu"))?;
    if body.is_empty() {
        return Err(AppError::BadRequest("Chưa có tệp số liệu".into()));
    }
    let selected = organizer.competition(&state, param(&q, "competition"))?;
    let upload = Upload {
        bytes: &body,
        actor: &organizer.0.name,
        reason,
        address,
    };
    let imported = import::import(
        state.submitter(),
        state.store(),
        &selected,
        upload,
        state.now(),
    )
    .await?;
    Ok(Json(Imported { imported }).into_response())
}

/// What an import wrote.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    pub imported: ImportSummary,
}

struct PrintRow {
    rank: u32,
    name: String,
    rates: Vec<String>,
    score: String,
    grade: String,
    /// One of the last rows of the last board, printed on the page of the
    /// signature.
    closing: bool,
}

struct PrintBoard {
    name: String,
    rows: Vec<PrintRow>,
    unranked: Vec<String>,
    /// The unranked units' row is printed on the page of the signature.
    closing_unranked: bool,
    /// The last board: the signature closes its table.
    last: bool,
}

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    slug: String,
    organizer: String,
    issuer: Vec<String>,
    nation: &'static str,
    motto: &'static str,
    place_date: String,
    name: String,
    start_date: String,
    end_date: String,
    status_label: &'static str,
    is_final: bool,
    exported_line: String,
    criteria: Vec<String>,
    boards: Vec<PrintBoard>,
    recipients: Vec<String>,
    signer_title: Vec<String>,
    signer_name: Option<String>,
}

/// Rows of the last board kept on the page of the signature.
const ROWS_WITH_SIGNATURE: usize = 3;

/// `GET /admin/print[?competition=]`: the final ranking on A4 as an
/// administrative document, or the provisional one clearly marked.
async fn get_print(
    State(state): State<AppState>,
    organizer: OrganizerAuth,
    query: Params,
) -> Result<Response> {
    let q = params(query)?;
    let selected = organizer.competition(&state, param(&q, "competition"))?;
    let results = export::results(state.boards(), &selected).await?;
    let competition = &selected.record.competition;
    let document = &competition.document;
    let lang = Lang::Vi;
    let last_board = results.boards.len().saturating_sub(1);
    let boards = results
        .boards
        .iter()
        .enumerate()
        .map(|(b, board)| {
            // The rows of the table: the ranked units, then one row of the
            // unranked ones.
            let count = board.entries.len() + usize::from(!board.unranked.is_empty());
            let closing = |i: usize| b == last_board && i + ROWS_WITH_SIGNATURE >= count;
            PrintBoard {
                closing_unranked: closing(count.saturating_sub(1)),
                last: b == last_board,
                name: board.board_name.clone(),
                rows: board
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| PrintRow {
                        rank: e.rank,
                        name: e.unit.name.clone(),
                        rates: competition
                            .criteria
                            .iter()
                            .map(|c| {
                                e.criteria
                                    .get(&c.key)
                                    .and_then(|v| v.rate_bp)
                                    .map(|bp| lang.percent(bp))
                                    .unwrap_or_else(|| "—".into())
                            })
                            .collect(),
                        score: lang.decimal(e.score_bp),
                        grade: e.grade.clone().unwrap_or_default(),
                        closing: closing(i),
                    })
                    .collect(),
                unranked: board
                    .unranked
                    .iter()
                    .map(|u| {
                        let why = match u.reason {
                            UnrankedReason::NoReports => "chưa báo cáo",
                            UnrankedReason::NoDossiers => "không phát sinh hồ sơ",
                        };
                        format!("{} ({why})", u.unit.name)
                    })
                    .collect(),
            }
        })
        .collect();
    let page = PrintPage {
        slug: competition.slug.clone(),
        organizer: competition.organizer.clone(),
        issuer: document.issuer.clone(),
        nation: export::NATION,
        motto: export::MOTTO,
        place_date: results.place_and_date(),
        name: competition.name.clone(),
        start_date: lang.date(competition.start_date),
        end_date: lang.date(competition.end_date),
        status_label: results.status_label(),
        is_final: results.is_final,
        exported_line: results.exported_line(),
        criteria: competition
            .criteria
            .iter()
            .map(|c| c.label.clone())
            .collect(),
        boards,
        recipients: document.recipients.clone(),
        signer_title: document.signer_title.clone(),
        signer_name: document.signer_name.clone(),
    };
    let body = page.render().map_err(|e| AppError::Internal(e.into()))?;
    let mut response = Html(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
