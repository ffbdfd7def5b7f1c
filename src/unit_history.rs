//! One unit over the competition: its standing on its group's board, its
//! daily figures and rates, its rank day by day, and when its figures were
//! revised (not by whom). The JSON API (`/api/v1/units/{code}`) and the unit
//! page show the same [`UnitHistory`].

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::boards::{Boards, Viewer};
use crate::catalog::Selected;
use crate::competition::Board;
use crate::error::{AppError, Result};
use crate::leaderboard::{CriterionInfo, Rate, score_value};
use crate::ranking::Period;
use crate::report::{Counters, counter_values};
use crate::scoring::{self, UnrankedReason};
use crate::store::Store;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitHistory {
    pub competition: HistoryCompetition,
    pub unit: HistoryUnit,
    /// The unit's place on its group's board; `None` while unranked.
    pub standing: Option<UnitStanding>,
    pub unranked: Option<UnrankedReason>,
    pub criteria: Vec<CriterionInfo>,
    /// Every competition day up to today.
    pub days: Vec<HistoryDay>,
    pub revisions: Vec<RevisionTime>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryCompetition {
    pub slug: String,
    pub name: String,
    pub organizer: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryUnit {
    pub code: String,
    pub name: String,
    pub group: String,
    pub group_name: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitStanding {
    pub rank: u32,
    pub rank_change: Option<i64>,
    pub score_bp: u32,
    pub score: f64,
    pub grade: Option<String>,
    pub days_reported: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryDay {
    pub day: NaiveDate,
    pub reported: bool,
    pub counters: Option<Counters>,
    pub criteria: BTreeMap<String, Rate>,
    /// Rank on the group's board of that day alone.
    pub rank: Option<u32>,
    pub score_bp: Option<u32>,
    pub revision: Option<i64>,
    pub late: Option<bool>,
    pub corrected: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevisionTime {
    pub day: NaiveDate,
    pub revision: i64,
    /// When, in the competition's time zone.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<FixedOffset>,
    /// Written by an organiser rather than the unit.
    pub corrected: bool,
}

fn rfc3339<S: serde::Serializer>(at: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339())
}

/// The history of the unit `code` of a competition, as the public sees it.
pub async fn history(
    store: &Store,
    boards: &Boards,
    selected: &Selected,
    code: &str,
) -> Result<UnitHistory> {
    let unit = selected
        .unit(code)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("Không có đơn vị mã {code:?}")))?;
    let c = &selected.record.competition;
    let reports = store.unit_reports(unit.id).await?;
    let revisions = store.unit_revisions(unit.id, None).await?;
    let group = Board::Group(unit.group.clone());
    let whole = boards
        .view(selected, &group, Period::Whole, Viewer::Public)
        .await?;
    let standing = whole
        .row(&unit.code)
        .and_then(|row| row.entry())
        .map(|e| UnitStanding {
            rank: e.rank,
            rank_change: e.rank_change,
            score_bp: e.score_bp,
            score: score_value(e.score_bp),
            grade: e.grade.clone(),
            days_reported: e.days_reported,
        });
    let unranked = whole.unranked_line(&unit.code).and_then(|u| u.reason());
    let today = c.local_date(boards.now());
    let mut days = Vec::new();
    for day in c.days().filter(|d| *d <= today) {
        let report = reports.iter().find(|r| r.day == day);
        let (rank, score_bp) = match report {
            Some(_) => boards
                .view(selected, &group, Period::Day(day), Viewer::Public)
                .await?
                .row(&unit.code)
                .and_then(|row| row.entry())
                .map(|e| (Some(e.rank), Some(e.score_bp)))
                .unwrap_or((None, None)),
            None => (None, None),
        };
        let criteria = match report {
            Some(r) => {
                let (scores, _) = scoring::evaluate(&c.rules, &counter_values(c, &r.counters));
                c.criteria
                    .iter()
                    .zip(scores)
                    .map(|(k, s)| (k.key.clone(), s.into()))
                    .collect()
            }
            None => BTreeMap::new(),
        };
        days.push(HistoryDay {
            day,
            reported: report.is_some(),
            counters: report.map(|r| r.counters.clone()),
            criteria,
            rank,
            score_bp,
            revision: report.map(|r| r.revision),
            late: report.map(|r| r.late),
            corrected: report.map(|r| r.corrected),
        });
    }
    let revisions = revisions
        .iter()
        .map(|v| RevisionTime {
            day: v.day,
            revision: v.revision,
            at: v.created_at.with_timezone(&c.timezone).fixed_offset(),
            corrected: v.writer.kind.is_correction(),
        })
        .collect();
    Ok(UnitHistory {
        competition: HistoryCompetition {
            slug: c.slug.clone(),
            name: c.name.clone(),
            organizer: c.organizer.clone(),
        },
        unit: HistoryUnit {
            group_name: c.group(&unit.group).map(|g| g.name.clone()),
            code: unit.code,
            name: unit.name,
            group: unit.group,
            active: unit.active,
        },
        standing,
        unranked,
        criteria: whole.criteria.clone(),
        days,
        revisions,
    })
}
