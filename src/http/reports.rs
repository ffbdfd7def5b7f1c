//! `POST /api/v1/reports` and `GET /api/v1/reports`: units post their daily
//! figures; organisers may post on a unit's behalf with a reason.
//! `POST /api/v1/reports/batch`: the province's information system posts
//! many units' figures at once with an integration token.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::extract::{ClientAddr, IntegrationAuth, JsonBody, Principal, UnitAuth};
use super::schema::{ReportAccepted, ReportBody, ReportView, UnitReports};
use crate::error::{AppError, ErrorBody, Result};
use crate::leaderboard::UnitRef;
use crate::report::{ActorKind, ReportInput};
use crate::state::AppState;
use crate::submit::{Batch, BatchAccepted, BatchItem, IdempotencyKey, Submission, Writer};

/// A batch's body may be this large: 20,000 items of a few hundred bytes.
pub const BATCH_LIMIT: usize = 16 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_report, get_reports))
        .routes(routes!(post_batch).layer(DefaultBodyLimit::max(BATCH_LIMIT)))
}

/// The `Idempotency-Key` header, if sent: 1–200 visible ASCII characters,
/// no spaces (a UUID, or a name like `mot-cua-2025-10-06`), as the OpenAPI
/// description's pattern `^[!-~]{1,200}$` says.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > 200 || !bytes.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(AppError::BadRequest(
            "Idempotency-Key phải là 1–200 ký tự ASCII nhìn thấy được, không có dấu cách".into(),
        ));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// Post a unit's figures for a day (a new revision if the day has some).
#[utoipa::path(
    post,
    path = "/api/v1/reports",
    request_body = ReportBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,200}$", description = "Makes retries return the first response: 1–200 visible ASCII characters, no spaces")),
    responses(
        (status = 201, description = "First report for the day", body = ReportAccepted),
        (status = 200, description = "A new revision, or unchanged", body = ReportAccepted),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_report(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    JsonBody(mut report): JsonBody<ReportInput>,
) -> Result<Response> {
    state.limits().check_ingest(&principal.id()).await?;
    let key = idempotency_key(&headers)?.map(|key| IdempotencyKey {
        principal: principal.id(),
        key,
    });
    let submission = match principal {
        Principal::Unit(unit) => {
            let writer = Writer::unit(&unit.code, address);
            Submission::new(unit, writer, report)
        }
        Principal::Organizer(organizer) => {
            let text = |report: &mut ReportInput, key: &str, missing: &str| {
                report
                    .take_text(key)
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| AppError::field(key, missing))
            };
            let code = text(
                &mut report,
                "unit",
                "Ban tổ chức cần ghi rõ mã đơn vị (unit)",
            )?;
            let reason = text(&mut report, "reason", "Cần ghi lý do nhập/sửa số liệu")?;
            let slug = report.take_text("competition");
            let selected = state
                .catalog()
                .competition_for(&organizer.scope, slug.as_deref())?;
            let unit = selected
                .unit(&code)
                .cloned()
                .ok_or_else(|| AppError::field("unit", format!("Không có đơn vị mã {code:?}")))?;
            let writer = Writer::organizer(ActorKind::Organizer, &organizer.name, &reason, address);
            Submission::new(unit, writer, report)
        }
        Principal::Integration(_) => {
            return Err(AppError::Forbidden(
                "Mã tích hợp gửi số liệu theo lô: POST /api/v1/reports/batch".into(),
            ));
        }
    };
    let submitted = state
        .submitter()
        .submit(submission.with_idempotency(key))
        .await?;
    let status = if submitted.receipt.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ReportAccepted::from(submitted))).into_response())
}

/// A batch: `{"reports": [{"unit": "…", "day": "…", "counters": {…}}, …]}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// Each item is a unit's report (as `POST /api/v1/reports` takes it)
    /// with the unit's code under `unit`.
    #[schema(value_type = Vec<Object>)]
    pub reports: Vec<serde_json::Value>,
}

/// Post many units' figures for one or more days in one request, with an
/// integration token. All items are written, or none: a refusal lists each
/// fault with the item's index, unit and field.
#[utoipa::path(
    post,
    path = "/api/v1/reports/batch",
    request_body = BatchBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,200}$", description = "Makes retries return the first response: 1–200 visible ASCII characters, no spaces")),
    responses(
        (status = 201, description = "Written; some days reported for the first time", body = BatchAccepted),
        (status = 200, description = "Written (new revisions or unchanged), or a replay", body = BatchAccepted),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "Nothing written; `error.items` lists the faults", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_batch(
    State(state): State<AppState>,
    IntegrationAuth(integration): IntegrationAuth,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BatchBody, BATCH_LIMIT>,
) -> Result<Response> {
    let principal = format!("integration:{}", integration.id);
    state.limits().check_ingest(&principal).await?;
    let idempotency = idempotency_key(&headers)?.map(|key| IdempotencyKey { principal, key });
    let batch = Batch {
        integration,
        items: body.reports.into_iter().map(BatchItem::from_json).collect(),
        idempotency,
        address,
    };
    let accepted = state.submitter().submit_batch(batch).await?;
    let status = if accepted.created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(accepted)).into_response())
}

#[derive(Deserialize)]
pub struct ReportsQuery {
    pub day: Option<String>,
}

/// A unit's own reports with every revision.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    params(("day" = Option<String>, Query, format = Date, description = "YYYY-MM-DD")),
    responses(
        (status = 200, description = "The unit's reports", body = UnitReports),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_reports(
    State(state): State<AppState>,
    UnitAuth(unit): UnitAuth,
    Query(query): Query<ReportsQuery>,
) -> Result<Response> {
    // Absent: every day. Given, it must be a day (a blank one is not).
    let day = match query.day.as_deref().map(str::trim) {
        None => None,
        Some(d) => Some(
            crate::day::parse(d)
                .ok_or_else(|| AppError::field("day", "Ngày phải có dạng YYYY-MM-DD"))?,
        ),
    };
    let reports = state.store().unit_reports(unit.id).await?;
    let revisions = state.store().unit_revisions(unit.id, day).await?;
    let reports = reports
        .into_iter()
        .filter(|r| day.is_none_or(|d| d == r.day))
        .map(|r| ReportView::new(r, &revisions))
        .collect();
    let body = UnitReports {
        unit: UnitRef {
            code: unit.code,
            name: unit.name,
            group: unit.group,
        },
        reports,
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
