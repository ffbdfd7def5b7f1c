//! `POST /api/v1/reports` and `GET /api/v1/reports`: units post their daily
//! figures; organisers may post on a unit's behalf with a reason.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{ClientAddr, JsonBody, Principal, UnitAuth};
use crate::error::{AppError, Result};
use crate::leaderboard::UnitRef;
use crate::ranking::Entry;
use crate::report::{self, Writer};
use crate::scoring;
use crate::standings;
use crate::state::{AppState, Selected};
use crate::store::{Idempotency, NewReport, SaveOutcome, Saved, StoredResponse, Unit};

/// Who writes, for whom, and why: what a write needs besides the figures.
pub struct Submission {
    pub unit: Unit,
    pub writer: Writer,
    pub actor_kind: &'static str,
    pub actor: String,
    pub reason: Option<String>,
    pub address: Option<String>,
    pub idempotency: Option<(String, String)>,
}

impl Submission {
    /// A unit writing its own figures, within the deadline.
    pub fn by_unit(unit: Unit, address: Option<String>) -> Self {
        Submission {
            actor: unit.code.clone(),
            unit,
            writer: Writer::Unit,
            actor_kind: "unit",
            reason: None,
            address,
            idempotency: None,
        }
    }

    /// An organiser writing on a unit's behalf (`kind` is `admin` or
    /// `import`), allowed after the deadline, always with a reason.
    pub fn by_organizer(
        unit: Unit,
        kind: &'static str,
        actor: &str,
        reason: &str,
        address: Option<String>,
    ) -> Self {
        Submission {
            unit,
            writer: Writer::Organizer,
            actor_kind: kind,
            actor: actor.to_string(),
            reason: Some(reason.chars().take(1000).collect()),
            address,
            idempotency: None,
        }
    }

    /// Makes a retry with the same key return the first response.
    pub fn with_idempotency(mut self, principal: String, key: Option<String>) -> Self {
        self.idempotency = key.map(|k| (principal, k));
        self
    }
}

/// What a committed write answers with.
pub struct Accepted {
    pub status: StatusCode,
    pub body: Value,
}

/// Post a unit's figures for a day (a new revision if the day has some).
#[utoipa::path(
    post,
    path = "/api/v1/reports",
    request_body = super::openapi::ReportBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries return the first response")),
    responses(
        (status = 201, description = "First report for the day", body = super::openapi::ReportAccepted),
        (status = 200, description = "A new revision, or unchanged", body = super::openapi::ReportAccepted),
        (status = 400, body = super::openapi::ErrorBody), (status = 401, body = super::openapi::ErrorBody),
        (status = 403, body = super::openapi::ErrorBody), (status = 409, body = super::openapi::ErrorBody),
        (status = 413, body = super::openapi::ErrorBody), (status = 415, body = super::openapi::ErrorBody),
        (status = 422, body = super::openapi::ErrorBody), (status = 429, body = super::openapi::ErrorBody),
        (status = 503, body = super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_report(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    state.limits().check_ingest(&principal.id())?;
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    AppError::BadRequest("Idempotency-Key phải là chuỗi 1–200 ký tự".into())
                })?
                .to_string(),
        ),
    };
    let submission = match &principal {
        Principal::Unit(unit) => Submission::by_unit(unit.clone(), address)
            .with_idempotency(principal.id(), idempotency_key),
        Principal::Organizer(name) => {
            let code = body.get("unit").and_then(Value::as_str).ok_or_else(|| {
                AppError::field("unit", "Ban tổ chức cần ghi rõ mã đơn vị (unit)")
            })?;
            let reason = body
                .get("reason")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .ok_or_else(|| AppError::field("reason", "Cần ghi lý do nhập/sửa số liệu"))?;
            let selected = state.competition(None)?;
            let slug = body.get("competition").and_then(Value::as_str);
            let selected = match slug {
                Some(s) => state.competition(Some(s))?,
                None => selected,
            };
            let unit = selected
                .unit(code)
                .cloned()
                .ok_or_else(|| AppError::field("unit", format!("Không có đơn vị mã {code:?}")))?;
            Submission::by_organizer(unit, "admin", name, reason, address)
                .with_idempotency(principal.id(), idempotency_key)
        }
    };
    let accepted = submit(&state, submission, &body).await?;
    Ok((accepted.status, Json(accepted.body)).into_response())
}

/// Validates and commits one report, then updates the ranking. Shared by the
/// API, the unit form and the organiser's corrections.
pub async fn submit(state: &AppState, submission: Submission, body: &Value) -> Result<Accepted> {
    let selected = selected_for(state, &submission.unit).await?;
    let competition = &selected.record.competition;
    let extra: &[&str] = match submission.writer {
        Writer::Unit => &[],
        Writer::Organizer => &["unit", "reason", "competition"],
    };
    let valid = match report::parse(competition, body, extra) {
        Ok(v) => v,
        Err(e) => {
            metrics::counter!("thidua_reports_refused_total", "reason" => e.code()).increment(1);
            return Err(e);
        }
    };
    let now = state.now();
    let late = report::check_window(&selected.record, valid.day, now, submission.writer)
        .inspect_err(|e| {
            metrics::counter!("thidua_reports_refused_total", "reason" => e.code()).increment(1);
        })?;
    let new = NewReport {
        competition_id: selected.record.id,
        unit_id: submission.unit.id,
        unit_code: submission.unit.code.clone(),
        day: valid.day,
        counters: valid.counters.clone(),
        note: valid.note.clone(),
        actor_kind: submission.actor_kind,
        actor: submission.actor.clone(),
        reason: submission.reason.clone(),
        address: submission.address.clone(),
        late,
        now,
        idempotency: submission.idempotency.map(|(principal, key)| Idempotency {
            principal,
            key,
            request_hash: valid.request_hash(),
        }),
    };
    let unit_ref = UnitRef {
        code: submission.unit.code.clone(),
        name: submission.unit.name.clone(),
        group: submission.unit.group.clone(),
    };
    // The answer to a committed write, before the standing is added; also
    // what an idempotency key replays.
    let answer = |saved: &Saved| {
        let status = if saved.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let body = json!({
            "unit": unit_ref,
            "day": valid.day,
            "revision": saved.revision,
            "unchanged": saved.unchanged,
            "late": saved.late,
            "counters": valid.counters,
            "note": valid.note,
        });
        (status, body)
    };
    let outcome = state
        .store()
        .save_report(&new, |saved| {
            let (status, body) = answer(saved);
            StoredResponse {
                status: status.as_u16(),
                body: body.to_string(),
            }
        })
        .await?;
    let (status, mut body, day) = match outcome {
        SaveOutcome::KeyConflict => {
            metrics::counter!("thidua_reports_refused_total", "reason" => "idempotency_conflict")
                .increment(1);
            return Err(AppError::Conflict {
                code: "idempotency_conflict",
                message: "Idempotency-Key đã được dùng cho một yêu cầu khác".into(),
            });
        }
        SaveOutcome::Replay(stored) => {
            let body: Value =
                serde_json::from_str(&stored.body).map_err(|e| AppError::Internal(e.into()))?;
            let day = body
                .get("day")
                .and_then(Value::as_str)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .unwrap_or(valid.day);
            (
                StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
                body,
                day,
            )
        }
        SaveOutcome::Saved(saved) => {
            metrics::counter!("thidua_reports_accepted_total").increment(1);
            let (status, body) = answer(&saved);
            (status, body, valid.day)
        }
    };
    let standing = standings::refresh_unit(state, &selected, &submission.unit, day).await;
    body["standing"] = standing_json(&selected, &submission.unit, standing);
    Ok(Accepted { status, body })
}

fn standing_json(
    selected: &Selected,
    unit: &Unit,
    standing: Option<(Entry, Option<u32>)>,
) -> Value {
    let rules = &selected.record.competition.rules;
    match standing {
        Some((entry, rank)) => {
            let score_bp = entry.key.as_ref().map(|k| k.score_bp);
            json!({
                "board": unit.group,
                "rank": rank,
                "score_bp": score_bp,
                "score": score_bp.map(|bp| f64::from(bp) / 100.0),
                "grade": score_bp.and_then(|bp| scoring::grade(rules, bp)),
                "days_reported": entry.totals.days_reported,
            })
        }
        None => json!({"board": unit.group, "rank": null, "score_bp": null}),
    }
}

/// The unit's competition, re-reading the catalogue once if it is new.
pub async fn selected_for(state: &AppState, unit: &Unit) -> Result<Selected> {
    if let Some(s) = state.competition_by_id(unit.competition_id)
        && s.unit(&unit.code).is_some()
    {
        return Ok(s);
    }
    state.reload().await?;
    state
        .competition_by_id(unit.competition_id)
        .ok_or_else(|| AppError::NotFound("Không tìm thấy cuộc thi của đơn vị".into()))
}

#[derive(Deserialize)]
pub struct ReportsQuery {
    pub day: Option<String>,
}

/// A unit's own reports with every revision.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    params(("day" = Option<String>, Query, description = "YYYY-MM-DD")),
    responses((status = 200, description = "The unit's reports"), (status = 401, body = super::openapi::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_reports(
    State(state): State<AppState>,
    UnitAuth(unit): UnitAuth,
    Query(query): Query<ReportsQuery>,
) -> Result<Response> {
    let day = match query.day.as_deref() {
        None | Some("") => None,
        Some(d) => Some(
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| AppError::field("day", "Ngày phải có dạng YYYY-MM-DD"))?,
        ),
    };
    let reports = state.store().unit_reports(unit.id).await?;
    let revisions = state.store().unit_revisions(unit.id, day).await?;
    let reports: Vec<Value> = reports
        .into_iter()
        .filter(|r| day.is_none_or(|d| d == r.day))
        .map(|r| {
            let revisions: Vec<Value> = revisions
                .iter()
                .filter(|v| v.day == r.day)
                .map(|v| {
                    json!({
                        "revision": v.revision,
                        "counters": v.counters,
                        "note": v.note,
                        "by": v.actor_kind,
                        "reason": v.reason,
                        "late": v.late,
                        "created_at": v.created_at,
                    })
                })
                .collect();
            json!({
                "day": r.day,
                "revision": r.revision,
                "counters": r.counters,
                "late": r.late,
                "corrected": r.corrected,
                "updated_at": r.updated_at,
                "revisions": revisions,
            })
        })
        .collect();
    let mut response = Json(json!({
        "unit": {"code": unit.code, "name": unit.name, "group": unit.group},
        "reports": reports,
    }))
    .into_response();
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    Ok(response)
}
