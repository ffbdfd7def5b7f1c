//! Public JSON: the leaderboard, one unit, health.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{AppError, Result};
use crate::leaderboard::{self, Viewer};
use crate::ranking::Period;
use crate::report::counter_values;
use crate::scoring;
use crate::standings;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    pub competition: Option<String>,
    pub board: Option<String>,
    pub day: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

pub fn parse_period(day: Option<&str>) -> Result<Period> {
    match day {
        None | Some("") => Ok(Period::Whole),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Period::Day)
            .map_err(|_| AppError::field("day", "Ngày phải có dạng YYYY-MM-DD")),
    }
}

fn parse_count(name: &str, value: Option<&str>) -> Result<Option<usize>> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<usize>()
                .map_err(|_| AppError::field(name, "Phải là số nguyên không âm"))
        })
        .transpose()
}

/// A board: ranks, rates, scores, grades, the unranked and the totals.
#[utoipa::path(
    get,
    path = "/api/v1/leaderboard",
    params(
        ("competition" = Option<String>, Query, description = "Slug; default: the current competition"),
        ("board" = Option<String>, Query, description = "`all` (default) or a group code"),
        ("day" = Option<String>, Query, description = "YYYY-MM-DD for a day's board"),
        ("limit" = Option<usize>, Query), ("offset" = Option<usize>, Query),
        ("If-None-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, body = crate::leaderboard::Leaderboard), (status = 304, description = "Not modified"),
        (status = 404, body = super::openapi::ErrorBody), (status = 422, body = super::openapi::ErrorBody),
    )
)]
pub async fn get_leaderboard(
    State(state): State<AppState>,
    Query(query): Query<BoardQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let selected = state.competition(query.competition.as_deref())?;
    let board = query.board.as_deref().unwrap_or("all");
    let period = parse_period(query.day.as_deref())?;
    let limit = parse_count("limit", query.limit.as_deref())?;
    let offset = parse_count("offset", query.offset.as_deref())?;
    let rendered = leaderboard::current(&state, &selected, board, period, Viewer::Public).await?;
    let paged = limit.is_some() || offset.is_some();
    let etag = if paged {
        format!(
            "{}-{}-{}\"",
            rendered.etag.trim_end_matches('"'),
            offset.unwrap_or(0),
            limit.map(|l| l.to_string()).unwrap_or_default()
        )
    } else {
        rendered.etag.clone()
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if paged {
        let mut board = rendered.board.clone();
        let start = offset.unwrap_or(0).min(board.entries.len());
        let end = limit.map_or(board.entries.len(), |l| {
            (start + l).min(board.entries.len())
        });
        board.entries = board.entries[start..end].to_vec();
        Json(board).into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            rendered.json.clone(),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    pub competition: Option<String>,
}

/// One unit: its daily figures and rates, its rank day by day, and when its
/// figures were revised (not by whom).
pub async fn unit_detail(state: &AppState, competition: Option<&str>, code: &str) -> Result<Value> {
    let selected = state.competition(competition)?;
    let unit = selected
        .unit(code)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("Không có đơn vị mã {code:?}")))?;
    let c = &selected.record.competition;
    let reports = state.store().unit_reports(unit.id).await?;
    let revisions = state.store().unit_revisions(unit.id, None).await?;
    let whole =
        leaderboard::current(state, &selected, &unit.group, Period::Whole, Viewer::Public).await?;
    let standing = whole
        .board
        .entries
        .iter()
        .find(|e| e.unit.code == unit.code)
        .map(|e| json!({"rank": e.rank, "rank_change": e.rank_change, "score_bp": e.score_bp, "score": e.score, "grade": e.grade, "days_reported": e.days_reported}));
    let unranked = whole
        .board
        .unranked
        .iter()
        .find(|e| e.unit.code == unit.code)
        .map(|e| e.reason.clone());
    let now = state.now();
    let mut days = Vec::new();
    for day in c.days().filter(|d| *d <= c.local_date(now)) {
        let report = reports.iter().find(|r| r.day == day);
        let (rank, score_bp) = match report {
            Some(_) => {
                let board = leaderboard::current(
                    state,
                    &selected,
                    &unit.group,
                    Period::Day(day),
                    Viewer::Public,
                )
                .await?;
                board
                    .board
                    .entries
                    .iter()
                    .find(|e| e.unit.code == unit.code)
                    .map(|e| (Some(e.rank), Some(e.score_bp)))
                    .unwrap_or((None, None))
            }
            None => (None, None),
        };
        let criteria: serde_json::Map<String, Value> = match report {
            Some(r) => {
                let (scores, _) = scoring::evaluate(&c.rules, &counter_values(c, &r.counters));
                c.criteria
                    .iter()
                    .zip(scores)
                    .map(|(k, s)| (k.key.clone(), json!({"numerator": s.numerator, "denominator": s.denominator, "rate_bp": s.rate_bp})))
                    .collect()
            }
            None => Default::default(),
        };
        days.push(json!({
            "day": day,
            "reported": report.is_some(),
            "counters": report.map(|r| &r.counters),
            "criteria": criteria,
            "rank": rank,
            "score_bp": score_bp,
            "revision": report.map(|r| r.revision),
            "late": report.map(|r| r.late),
            "corrected": report.map(|r| r.corrected),
        }));
    }
    let history: Vec<Value> = revisions
        .iter()
        .map(|v| json!({"day": v.day, "revision": v.revision, "at": v.created_at.with_timezone(&c.timezone).to_rfc3339(), "corrected": v.actor_kind != "unit"}))
        .collect();
    let group = c.group(&unit.group).map(|g| g.name.clone());
    Ok(json!({
        "competition": {"slug": c.slug, "name": c.name, "organizer": c.organizer},
        "unit": {"code": unit.code, "name": unit.name, "group": unit.group, "group_name": group, "active": unit.active},
        "standing": standing,
        "unranked": unranked,
        "criteria": whole.board.criteria,
        "days": days,
        "revisions": history,
    }))
}

/// One unit: daily figures and rates, rank day by day, revision times.
#[utoipa::path(
    get,
    path = "/api/v1/units/{code}",
    params(("code" = String, Path), ("competition" = Option<String>, Query)),
    responses((status = 200, description = "The unit"), (status = 404, body = super::openapi::ErrorBody))
)]
pub async fn get_unit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<UnitQuery>,
) -> Result<Json<Value>> {
    Ok(Json(
        unit_detail(&state, query.competition.as_deref(), &code).await?,
    ))
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "ok")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and, if configured, Redis too.
#[utoipa::path(
    get,
    path = "/readyz",
    responses((status = 200, description = "Ready"), (status = 503, description = "Database or ranking unreachable"))
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = state.store().ping().await;
    let ranking = state.ranking().ping().await;
    let status = if database && ranking {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "database": database,
            "ranking": {"kind": state.ranking().kind(), "ok": ranking, "stale": state.ranking_stale()},
        })),
    )
        .into_response()
}

/// Keeps the ranking whole: after a failed write or a Redis outage, rebuilds
/// from the store as soon as the ranking answers again.
pub async fn rebuild_when_stale(state: &AppState) {
    if state.ranking_stale()
        && state.ranking().ping().await
        && let Err(e) = standings::rebuild_all(state).await
    {
        tracing::warn!(error = %e, "ranking rebuild failed; will retry");
    }
}
