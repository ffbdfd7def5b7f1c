//! The public JSON: a board (`/api/v1/leaderboard`) and one unit's history
//! (`/api/v1/units/{code}`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::boards::{Viewer, Window};
use crate::competition::Board;
use crate::error::{AppError, ErrorBody, Result};
use crate::http::board_body;
use crate::leaderboard::Leaderboard;
use crate::ranking::Period;
use crate::state::AppState;
use crate::unit_history::{self, UnitHistory};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_leaderboard))
        .routes(routes!(get_unit))
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    pub competition: Option<String>,
    pub board: Option<String>,
    pub day: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub around: Option<String>,
    pub q: Option<String>,
}

/// `?day=`: a day's board, or (absent) the whole period. A blank day is
/// refused like any other day that is not one.
pub fn parse_period(day: Option<&str>) -> Result<Period> {
    match day.map(str::trim) {
        None => Ok(Period::Whole),
        Some(d) => crate::day::parse(d)
            .map(Period::Day)
            .ok_or_else(|| AppError::field("day", "Ngày phải có dạng YYYY-MM-DD")),
    }
}

/// `?board=`: `all` when absent or blank. Whether the competition has it is
/// for the boards service to say (404).
pub fn parse_board(board: Option<&str>) -> Board {
    Board::from_code(
        board
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .unwrap_or(Board::ALL),
    )
}

fn parse_count(name: &str, value: Option<&str>) -> Result<Option<usize>> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<usize>()
                .map_err(|_| AppError::field(name, "Phải là số nguyên không âm"))
        })
        .transpose()
}

/// How many lines a window around a unit shows when `limit` is not given.
const AROUND: usize = 21;
/// How many matches a search shows when `limit` is not given.
const MATCHES: usize = 100;

impl BoardQuery {
    /// The part of the board asked for.
    pub fn window(&self) -> Result<Window> {
        let limit = parse_count("limit", self.limit.as_deref())?;
        let offset = parse_count("offset", self.offset.as_deref())?;
        fn text(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|t| !t.is_empty())
        }
        if let Some(code) = text(&self.around) {
            return Ok(Window::Around {
                code: code.to_string(),
                limit: limit.unwrap_or(AROUND).max(1),
            });
        }
        if let Some(query) = text(&self.q) {
            if query.chars().count() > 100 {
                return Err(AppError::field("q", "Tối đa 100 ký tự"));
            }
            return Ok(Window::Search {
                query: query.to_string(),
                offset: offset.unwrap_or(0),
                limit: limit.unwrap_or(MATCHES),
            });
        }
        Ok(match (offset, limit) {
            (None, None) => Window::All,
            (offset, limit) => Window::Page {
                offset: offset.unwrap_or(0),
                limit: limit.unwrap_or(usize::MAX),
            },
        })
    }
}

/// A board: ranks, rates, scores, grades, the unranked and the totals.
/// Paged with `limit`/`offset` over the ranked units then the unranked;
/// `around=CODE` is a unit and its neighbours, `q=` a search on names and
/// codes (accents and case ignored).
#[utoipa::path(
    get,
    path = "/api/v1/leaderboard",
    params(
        ("competition" = Option<String>, Query, description = "Slug; default: the current competition"),
        ("board" = Option<String>, Query, description = "`all` (default) or a group code"),
        ("day" = Option<String>, Query, format = Date, description = "YYYY-MM-DD for a day's board"),
        ("limit" = Option<usize>, Query), ("offset" = Option<usize>, Query),
        ("around" = Option<String>, Query, description = "A unit's code: that unit and its neighbours"),
        ("q" = Option<String>, Query, description = "Search on unit names and codes, accents ignored"),
        ("If-None-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, body = Leaderboard), (status = 304, description = "Not modified"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn get_leaderboard(
    State(state): State<AppState>,
    Query(query): Query<BoardQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let selected = state.catalog().competition(query.competition.as_deref())?;
    let board = parse_board(query.board.as_deref());
    let period = parse_period(query.day.as_deref())?;
    // A blank count is no integer: refused here, as the description says
    // (the board page's own forms may leave one blank).
    for (name, value) in [("limit", &query.limit), ("offset", &query.offset)] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(AppError::field(name, "Phải là số nguyên không âm"));
        }
    }
    let window = query.window()?;
    let view = state
        .boards()
        .view(&selected, &board, period, Viewer::Public)
        .await?;
    if let Window::Around { code, .. } = &window
        && view.place(code).is_none()
    {
        return Err(AppError::NotFound(format!(
            "Đơn vị mã {code:?} không có trên bảng xếp hạng này"
        )));
    }
    let body = view.body(&window);
    Ok(board_body::answer(
        &headers,
        body,
        "application/json",
        "accept-encoding",
    ))
}

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    pub competition: Option<String>,
}

/// One unit: daily figures and rates, rank day by day, revision times.
#[utoipa::path(
    get,
    path = "/api/v1/units/{code}",
    params(("code" = String, Path), ("competition" = Option<String>, Query)),
    responses((status = 200, body = UnitHistory), (status = 404, body = ErrorBody))
)]
pub async fn get_unit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<UnitQuery>,
) -> Result<Json<UnitHistory>> {
    let selected = state.catalog().competition(query.competition.as_deref())?;
    let history = unit_history::history(state.store(), state.boards(), &selected, &code).await?;
    Ok(Json(history))
}
