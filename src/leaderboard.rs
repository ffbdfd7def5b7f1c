//! The board as the public, the pages and the exports see it: ranks, rates,
//! scores, grades, the unranked, the board totals, and whether it is live,
//! frozen or final. [`build`] is pure: ranking entries in, a board out; the
//! [`crate::boards`] service decides which entries and keeps the result.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::Selected;
use crate::competition::{Board, Competition, Status};
use crate::ranking::{Entry, Period};
use crate::scoring::{self, CriterionScore, SortKey, Totals, UnrankedReason};
use crate::store::Unit;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Leaderboard {
    pub competition: CompetitionInfo,
    pub board: Board,
    pub board_name: String,
    pub day: Option<NaiveDate>,
    /// The instant the board shows, in the competition's time zone.
    #[serde(with = "seconds")]
    #[schema(value_type = String, format = DateTime)]
    pub as_of: DateTime<FixedOffset>,
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
    pub status: Status,
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
    pub reason: UnrankedReason,
    pub days_reported: u32,
    pub criteria: BTreeMap<String, CriterionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BoardTotals {
    pub score_bp: Option<u32>,
    pub score: Option<f64>,
    pub criteria: BTreeMap<String, Rate>,
    /// Units on the board, and how many have reported in the period.
    pub units: usize,
    pub reported: usize,
}

/// A criterion's rate: numerator over denominator, in basis points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
    pub rate_bp: Option<u32>,
}

impl From<CriterionScore> for Rate {
    fn from(s: CriterionScore) -> Self {
        Rate {
            numerator: s.numerator,
            denominator: s.denominator,
            rate_bp: s.rate_bp,
        }
    }
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

/// `score_bp / 100` for JSON; display always goes through `i18n::Lang::decimal`.
pub fn score_value(bp: u32) -> f64 {
    f64::from(bp) / 100.0
}

/// One unit's line on a board before ranks are given: ranked, with the key
/// that orders it, or unranked with the reason. A line does not depend on
/// the board it is shown on, so the `all` board and a group's share it.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Ranked { key: SortKey, entry: BoardEntry },
    Unranked(UnrankedEntry),
}

impl Line {
    pub fn code(&self) -> &str {
        match self {
            Line::Ranked { entry, .. } => &entry.unit.code,
            Line::Unranked(u) => &u.unit.code,
        }
    }
}

fn unit_ref(unit: &Unit) -> UnitRef {
    UnitRef {
        code: unit.code.clone(),
        name: unit.name.clone(),
        group: unit.group.clone(),
    }
}

fn criteria_views(
    competition: &Competition,
    scores: Vec<CriterionScore>,
) -> BTreeMap<String, CriterionView> {
    competition
        .criteria
        .iter()
        .zip(scores)
        .map(|(c, s)| (c.key.clone(), s.into()))
        .collect()
}

/// A unit's line from its ranking entry in the period (`None`: no report).
pub fn line(competition: &Competition, unit: &Unit, entry: Option<&Entry>) -> Line {
    let rules = &competition.rules;
    let Some(entry) = entry else {
        let scored = scoring::score(rules, None);
        return Line::Unranked(UnrankedEntry {
            unit: unit_ref(unit),
            reason: UnrankedReason::NoReports,
            days_reported: 0,
            criteria: criteria_views(competition, scored.criteria),
        });
    };
    let scored = scoring::score(rules, Some(&entry.totals));
    match (scored.score_bp, &entry.key) {
        (Ok(score_bp), Some(key)) => Line::Ranked {
            key: key.clone(),
            entry: BoardEntry {
                rank: 0,
                rank_change: None,
                unit: unit_ref(unit),
                score_bp,
                score: score_value(score_bp),
                grade: scoring::grade(rules, score_bp).map(str::to_string),
                days_reported: entry.totals.days_reported,
                criteria: criteria_views(competition, scored.criteria),
            },
        },
        (result, _) => Line::Unranked(UnrankedEntry {
            unit: unit_ref(unit),
            reason: result.err().unwrap_or(UnrankedReason::NoDossiers),
            days_reported: entry.totals.days_reported,
            criteria: criteria_views(competition, scored.criteria),
        }),
    }
}

/// The board's own rates and score, over the sums of its units' counters.
pub fn totals(
    competition: &Competition,
    sums: &Totals,
    units: usize,
    reported: usize,
) -> BoardTotals {
    let (scores, score_bp) = scoring::evaluate(&competition.rules, &sums.counters);
    BoardTotals {
        score_bp,
        score: score_bp.map(score_value),
        criteria: competition
            .criteria
            .iter()
            .zip(scores)
            .map(|(c, s)| (c.key.clone(), s.into()))
            .collect(),
        units,
        reported,
    }
}

/// Which board, of which period, at which version and instant: everything
/// a board says besides its lines.
pub struct Heading<'a> {
    pub competition: &'a Competition,
    pub board: &'a Board,
    pub period: Period,
    pub version: u64,
    pub status: Status,
    pub as_of: DateTime<Utc>,
}

impl Heading<'_> {
    pub fn info(&self) -> CompetitionInfo {
        let c = self.competition;
        CompetitionInfo {
            slug: c.slug.clone(),
            name: c.name.clone(),
            organizer: c.organizer.clone(),
            status: self.status,
            start_date: c.start_date,
            end_date: c.end_date,
            timezone: c.timezone.name().to_string(),
        }
    }

    pub fn board_name(&self) -> String {
        match self.board {
            Board::All => "Tất cả".to_string(),
            Board::Group(code) => self.competition.group_name(code).to_string(),
        }
    }

    pub fn day(&self) -> Option<NaiveDate> {
        match self.period {
            Period::Whole => None,
            Period::Day(d) => Some(d),
        }
    }

    pub fn as_of(&self) -> DateTime<FixedOffset> {
        seconds::local(self.as_of, self.competition.timezone)
    }

    pub fn criteria(&self) -> Vec<CriterionInfo> {
        self.competition
            .criteria
            .iter()
            .map(|c| CriterionInfo {
                key: c.key.clone(),
                label: c.label.clone(),
                label_en: c.label_en.clone(),
                target_percent: c.target_percent,
                weight: c.weight,
            })
            .collect()
    }
}

/// What a board is built from.
pub struct BoardSpec<'a> {
    pub selected: &'a Selected,
    pub board: &'a Board,
    pub period: Period,
    /// Ranking entries in board order (see `ranking::sort_entries`).
    pub entries: &'a [Entry],
    pub version: u64,
    pub status: Status,
    pub as_of: DateTime<Utc>,
    /// Ranks at the previous day's close, for rank changes.
    pub previous_ranks: Option<&'a HashMap<String, u32>>,
}

/// Builds a board from ranking entries in board order. Units of the board
/// with no entry are listed as unranked (`no_reports`). The reference every
/// other way of making a board is checked against.
pub fn build(spec: &BoardSpec) -> Leaderboard {
    let selected = spec.selected;
    let competition = &selected.record.competition;
    let board = spec.board;
    let mut ranked = Vec::new();
    let mut keys = Vec::new();
    let mut unranked = Vec::new();
    let mut sums = Totals::empty(competition.counters.len());
    let mut seen = HashSet::new();
    for entry in spec.entries {
        let Some(unit) = selected.unit(&entry.code).filter(|u| u.active) else {
            continue;
        };
        if !board.includes(&unit.group) || !seen.insert(unit.code.as_str()) {
            continue;
        }
        sums.add_counters(&entry.totals.counters);
        match line(competition, unit, Some(entry)) {
            Line::Ranked { key, entry } => {
                keys.push(key);
                ranked.push(entry);
            }
            Line::Unranked(u) => unranked.push(u),
        }
    }
    let ranks = scoring::shared_ranks(&keys);
    for (entry, rank) in ranked.iter_mut().zip(ranks) {
        entry.rank = rank;
        entry.rank_change = spec
            .previous_ranks
            .and_then(|p| p.get(&entry.unit.code))
            .map(|&before| i64::from(before) - i64::from(rank));
    }
    let reported = seen.len();
    let on_board: Vec<&Unit> = selected
        .active_units()
        .filter(|u| board.includes(&u.group))
        .collect();
    for unit in &on_board {
        if !seen.contains(unit.code.as_str())
            && let Line::Unranked(u) = line(competition, unit, None)
        {
            unranked.push(u);
        }
    }
    unranked.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));
    let heading = Heading {
        competition,
        board,
        period: spec.period,
        version: spec.version,
        status: spec.status,
        as_of: spec.as_of,
    };
    Leaderboard {
        competition: heading.info(),
        board: board.clone(),
        board_name: heading.board_name(),
        day: heading.day(),
        as_of: heading.as_of(),
        version: spec.version,
        criteria: heading.criteria(),
        total_entries: ranked.len(),
        entries: ranked,
        unranked,
        totals: totals(competition, &sums, on_board.len(), reported),
    }
}

/// Instants on the wire: RFC 3339 in the competition's time zone, to the
/// second (`2025-10-07T10:15:00+07:00`).
pub mod seconds {
    use chrono::{DateTime, FixedOffset, SecondsFormat, SubsecRound, Utc};
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    /// `at` in `tz`, to the second.
    pub fn local(at: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
        at.trunc_subsecs(0).with_timezone(&tz).fixed_offset()
    }

    pub fn serialize<S: Serializer>(at: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, false))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}
