//! The board as the public, the pages and the exports see it: ranks, rates,
//! scores, grades, the unranked, the board totals, and whether it is live,
//! frozen or final.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};
use crate::ranking::{Entry, Period, sort_entries};
use crate::scoring::{self, CriterionScore, Totals};
use crate::standings;
use crate::state::{AppState, Selected};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Leaderboard {
    pub competition: CompetitionInfo,
    pub board: String,
    pub board_name: String,
    pub day: Option<NaiveDate>,
    pub as_of: String,
    pub version: u64,
    pub criteria: Vec<CriterionInfo>,
    pub entries: Vec<BoardEntry>,
    pub unranked: Vec<UnrankedEntry>,
    pub totals: BoardTotals,
    pub total_entries: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompetitionInfo {
    pub slug: String,
    pub name: String,
    pub organizer: String,
    /// `open`, `frozen` or `final`.
    pub status: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionInfo {
    pub key: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    pub target_percent: u32,
    pub weight: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    pub group: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BoardEntry {
    pub rank: u32,
    /// Places gained (positive) since the previous day's close.
    pub rank_change: Option<i64>,
    pub unit: UnitRef,
    pub score_bp: u32,
    /// `score_bp / 100`, for display only.
    pub score: f64,
    pub grade: Option<String>,
    pub days_reported: u32,
    pub criteria: BTreeMap<String, CriterionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionView {
    pub numerator: u64,
    pub denominator: u64,
    pub rate_bp: Option<u32>,
    pub achievement_bp: Option<u32>,
    pub applicable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnrankedEntry {
    pub unit: UnitRef,
    /// `no_reports` or `no_dossiers`.
    pub reason: String,
    pub days_reported: u32,
    pub criteria: BTreeMap<String, CriterionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BoardTotals {
    pub score_bp: Option<u32>,
    pub score: Option<f64>,
    pub criteria: BTreeMap<String, TotalView>,
    /// Units on the board, and how many have reported in the period.
    pub units: usize,
    pub reported: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TotalView {
    pub numerator: u64,
    pub denominator: u64,
    pub rate_bp: Option<u32>,
}

impl From<CriterionScore> for CriterionView {
    fn from(s: CriterionScore) -> Self {
        CriterionView {
            numerator: s.numerator,
            denominator: s.denominator,
            rate_bp: s.rate_bp,
            achievement_bp: s.achievement_bp,
            applicable: s.applicable,
        }
    }
}

fn score_value(bp: u32) -> f64 {
    f64::from(bp) / 100.0
}

/// Builds a board from ranking entries in board order. Units of the board
/// with no entry are listed as unranked (`no_reports`).
#[allow(clippy::too_many_arguments)]
pub fn build(
    selected: &Selected,
    board: &str,
    period: Period,
    entries: &[Entry],
    version: u64,
    status: &str,
    as_of: DateTime<Utc>,
    previous_ranks: Option<&HashMap<String, u32>>,
) -> Leaderboard {
    let competition = &selected.record.competition;
    let rules = &competition.rules;
    let on_board: Vec<_> = selected
        .active_units()
        .filter(|u| board == "all" || u.group == board)
        .collect();
    let unit_ref = |code: &str| {
        selected.unit(code).map(|u| UnitRef {
            code: u.code.clone(),
            name: u.name.clone(),
            group: u.group.clone(),
        })
    };
    let criteria_map = |scores: Vec<CriterionScore>| -> BTreeMap<String, CriterionView> {
        competition
            .criteria
            .iter()
            .zip(scores)
            .map(|(c, s)| (c.key.clone(), s.into()))
            .collect()
    };
    let mut ranked = Vec::new();
    let mut keys = Vec::new();
    let mut unranked = Vec::new();
    let mut sums = Totals::empty(competition.counters.len());
    let mut seen = std::collections::HashSet::new();
    for entry in entries {
        let Some(unit) = selected.unit(&entry.code).filter(|u| u.active) else {
            continue;
        };
        if !(board == "all" || unit.group == board) || !seen.insert(unit.code.as_str()) {
            continue;
        }
        sums.add_counters(&entry.totals.counters);
        let scored = scoring::score(rules, Some(&entry.totals));
        let Some(unit) = unit_ref(&entry.code) else {
            continue;
        };
        match (scored.score_bp, &entry.key) {
            (Ok(score_bp), Some(key)) => {
                keys.push(key.clone());
                ranked.push(BoardEntry {
                    rank: 0,
                    rank_change: None,
                    unit,
                    score_bp,
                    score: score_value(score_bp),
                    grade: scoring::grade(rules, score_bp).map(str::to_string),
                    days_reported: entry.totals.days_reported,
                    criteria: criteria_map(scored.criteria),
                });
            }
            (result, _) => unranked.push(UnrankedEntry {
                unit,
                reason: result
                    .err()
                    .unwrap_or(scoring::UnrankedReason::NoDossiers)
                    .as_str()
                    .into(),
                days_reported: entry.totals.days_reported,
                criteria: criteria_map(scored.criteria),
            }),
        }
    }
    let ranks = scoring::shared_ranks(&keys);
    for (entry, rank) in ranked.iter_mut().zip(ranks) {
        entry.rank = rank;
        entry.rank_change = previous_ranks
            .and_then(|p| p.get(&entry.unit.code))
            .map(|&before| i64::from(before) - i64::from(rank));
    }
    let reported = seen.len();
    for unit in &on_board {
        if !seen.contains(unit.code.as_str()) {
            let scored = scoring::score(rules, None);
            unranked.push(UnrankedEntry {
                unit: UnitRef {
                    code: unit.code.clone(),
                    name: unit.name.clone(),
                    group: unit.group.clone(),
                },
                reason: "no_reports".into(),
                days_reported: 0,
                criteria: criteria_map(scored.criteria),
            });
        }
    }
    unranked.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));
    let (total_scores, total_bp) = scoring::evaluate(rules, &sums.counters);
    let totals = BoardTotals {
        score_bp: total_bp,
        score: total_bp.map(score_value),
        criteria: competition
            .criteria
            .iter()
            .zip(total_scores)
            .map(|(c, s)| {
                (
                    c.key.clone(),
                    TotalView {
                        numerator: s.numerator,
                        denominator: s.denominator,
                        rate_bp: s.rate_bp,
                    },
                )
            })
            .collect(),
        units: on_board.len(),
        reported,
    };
    let board_name = if board == "all" {
        "Tất cả".to_string()
    } else {
        competition
            .group(board)
            .map(|g| g.name.clone())
            .unwrap_or_default()
    };
    Leaderboard {
        competition: CompetitionInfo {
            slug: competition.slug.clone(),
            name: competition.name.clone(),
            organizer: competition.organizer.clone(),
            status: status.to_string(),
            start_date: competition.start_date,
            end_date: competition.end_date,
            timezone: competition.timezone.name().to_string(),
        },
        board: board.to_string(),
        board_name,
        day: match period {
            Period::Whole => None,
            Period::Day(d) => Some(d),
        },
        as_of: as_of
            .with_timezone(&competition.timezone)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        version,
        criteria: competition
            .criteria
            .iter()
            .map(|c| CriterionInfo {
                key: c.key.clone(),
                label: c.label.clone(),
                label_en: c.label_en.clone(),
                target_percent: c.target_percent,
                weight: c.weight,
            })
            .collect(),
        total_entries: ranked.len(),
        entries: ranked,
        unranked,
        totals,
    }
}

/// A board ready to send: the body, its JSON and its ETag.
#[derive(Debug)]
pub struct Rendered {
    pub board: Leaderboard,
    pub json: bytes::Bytes,
    pub etag: String,
}

impl Rendered {
    pub fn new(board: Leaderboard) -> Result<Rendered> {
        let json = serde_json::to_vec(&board).map_err(|e| AppError::Internal(e.into()))?;
        let digest = Sha256::digest(&json);
        Ok(Rendered {
            etag: format!("\"{}\"", hex::encode(&digest[..12])),
            json: json.into(),
            board,
        })
    }
}

/// Who is looking: organisers see the live board through a freeze.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Viewer {
    Public,
    Organizer,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    slug: String,
    board: String,
    period: Period,
    /// What the board was computed from: live ranking, the store, frozen, final.
    source: String,
}

struct Cached {
    version: u64,
    made: Instant,
    rendered: Arc<Rendered>,
}

/// Rendered boards, reused until the ranking's version moves, so that
/// thousands of viewers cost one computation per change.
#[derive(Default)]
pub struct BoardCache {
    boards: Mutex<HashMap<CacheKey, Cached>>,
}

impl BoardCache {
    pub fn clear(&self) {
        self.boards
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn get(
        &self,
        key: &CacheKey,
        version: u64,
        max_age: Option<Duration>,
    ) -> Option<Arc<Rendered>> {
        let boards = self.boards.lock().unwrap_or_else(|e| e.into_inner());
        boards
            .get(key)
            .filter(|c| c.version == version && max_age.is_none_or(|a| c.made.elapsed() < a))
            .map(|c| c.rendered.clone())
    }

    /// The most recently made board for a slug, board and period, whatever
    /// its source.
    fn latest(&self, slug: &str, board: &str, period: Period) -> Option<Arc<Rendered>> {
        let boards = self.boards.lock().unwrap_or_else(|e| e.into_inner());
        boards
            .iter()
            .filter(|(k, _)| k.slug == slug && k.board == board && k.period == period)
            .max_by_key(|(_, c)| c.made)
            .map(|(_, c)| c.rendered.clone())
    }

    fn put(&self, key: CacheKey, version: u64, rendered: Arc<Rendered>) {
        let mut boards = self.boards.lock().unwrap_or_else(|e| e.into_inner());
        if boards.len() > 2000 {
            boards.clear();
        }
        boards.insert(
            key,
            Cached {
                version,
                made: Instant::now(),
                rendered,
            },
        );
    }
}

/// Ranks at the previous day's close, for rank changes on the whole board.
async fn previous_ranks(
    state: &AppState,
    selected: &Selected,
    board: &str,
    period: Period,
) -> Result<Option<HashMap<String, u32>>> {
    if period != Period::Whole {
        return Ok(None);
    }
    let competition = &selected.record.competition;
    let today = competition
        .local_date(state.now())
        .min(competition.end_date + chrono::Duration::days(1));
    // Rank changes are an extra: without the database the board still shows.
    match state
        .store()
        .snapshot_before(selected.record.id, board, today)
        .await
    {
        Ok(Some((_, body))) => Ok(serde_json::from_str(&body).ok()),
        Ok(None) => Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, "rank change snapshot unavailable");
            Ok(None)
        }
    }
}

/// The board a viewer should see now.
pub async fn current(
    state: &AppState,
    selected: &Selected,
    board: &str,
    period: Period,
    viewer: Viewer,
) -> Result<Arc<Rendered>> {
    let competition = &selected.record.competition;
    if !competition.is_board(board) {
        return Err(AppError::NotFound(format!(
            "Không có bảng xếp hạng {board:?}"
        )));
    }
    if let Period::Day(d) = period
        && !competition.contains(d)
    {
        return Err(AppError::field("day", "Ngày không thuộc thời gian thi đua"));
    }
    let now = state.now();
    let status = selected.record.status(now);
    let key = |source: String| CacheKey {
        slug: competition.slug.clone(),
        board: board.to_string(),
        period,
        source,
    };

    if selected.record.is_final() && period == Period::Whole {
        let key = key("final".into());
        if let Some(hit) = state.boards().get(&key, 0, None) {
            return Ok(hit);
        }
        if let Some(body) = state.store().final_board(selected.record.id, board).await? {
            let board: Leaderboard =
                serde_json::from_str(&body).map_err(|e| AppError::Internal(e.into()))?;
            let rendered = Arc::new(Rendered::new(board)?);
            state.boards().put(key, 0, rendered.clone());
            return Ok(rendered);
        }
    }

    let frozen_at = selected.record.freeze_instant(now);
    if let (Some(at), Viewer::Public, false) = (frozen_at, viewer, selected.record.is_final()) {
        let key = key(format!("frozen:{}", at.timestamp_millis()));
        if let Some(hit) = state.boards().get(&key, 0, None) {
            return Ok(hit);
        }
        let reports = state.store().reports_as_of(selected.record.id, at).await?;
        let rendered = Arc::new(Rendered::new(
            from_reports(state, selected, board, period, &reports, 0, status, at).await?,
        )?);
        state.boards().put(key, 0, rendered.clone());
        return Ok(rendered);
    }

    if !state.ranking_stale()
        && let Ok(version) = state.ranking().version(&competition.slug).await
    {
        let key = key(format!("live:{status}"));
        if let Some(hit) = state.boards().get(&key, version, None) {
            return Ok(hit);
        }
        if let Ok(entries) = state
            .ranking()
            .board(&competition.slug, board, period)
            .await
        {
            let previous = previous_ranks(state, selected, board, period).await?;
            let built = build(
                selected,
                board,
                period,
                &entries,
                version,
                status,
                now,
                previous.as_ref(),
            );
            let rendered = Arc::new(Rendered::new(built)?);
            state.boards().put(key, version, rendered.clone());
            return Ok(rendered);
        }
    }

    // The ranking is away or catching up: compute from the store, briefly cached.
    let key = key(format!("store:{status}"));
    if let Some(hit) = state.boards().get(&key, 0, Some(Duration::from_secs(2))) {
        return Ok(hit);
    }
    let reports = match state.store().current_reports(selected.record.id).await {
        Ok(reports) => reports,
        Err(e) => {
            // Neither ranking nor database: keep showing the last board.
            if let Some(last) = state.boards().latest(&competition.slug, board, period) {
                tracing::warn!(error = %e, "serving the last board while storage is away");
                return Ok(last);
            }
            return Err(e.into());
        }
    };
    let rendered = Arc::new(Rendered::new(
        from_reports(state, selected, board, period, &reports, 0, status, now).await?,
    )?);
    state.boards().put(key, 0, rendered.clone());
    Ok(rendered)
}

#[allow(clippy::too_many_arguments)]
async fn from_reports(
    state: &AppState,
    selected: &Selected,
    board: &str,
    period: Period,
    reports: &[crate::store::CurrentReport],
    version: u64,
    status: &str,
    as_of: DateTime<Utc>,
) -> Result<Leaderboard> {
    let mut entries = standings::entries(&selected.record.competition, &selected.units, reports)
        .into_iter()
        .find(|(p, _)| *p == period)
        .map(|(_, e)| e)
        .unwrap_or_default();
    sort_entries(&mut entries);
    let previous = previous_ranks(state, selected, board, period).await?;
    Ok(build(
        selected,
        board,
        period,
        &entries,
        version,
        status,
        as_of,
        previous.as_ref(),
    ))
}

/// The boards to store when finalizing: the live whole-period board of each.
pub async fn final_boards(state: &AppState, selected: &Selected) -> Result<Vec<(String, String)>> {
    let now = state.now();
    let reports = state.store().current_reports(selected.record.id).await?;
    let mut boards = Vec::new();
    for board in selected.record.competition.boards() {
        let body = from_reports(
            state,
            selected,
            &board,
            Period::Whole,
            &reports,
            0,
            "final",
            now,
        )
        .await?;
        boards.push((
            board,
            serde_json::to_string(&body).map_err(|e| AppError::Internal(e.into()))?,
        ));
    }
    Ok(boards)
}
