//! From stored reports to ranking entries, and keeping the ranking in step
//! with the store: after each committed report, at start-up, on demand and
//! when the reconciliation job finds drift.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::competition::Competition;
use crate::ranking::{Entry, Period, RankingError};
use crate::report::counter_values;
use crate::scoring::{self, Totals};
use crate::state::{AppState, Selected};
use crate::store::{CurrentReport, Unit};

/// A unit's entry for a period from its totals.
pub fn entry(competition: &Competition, unit: &Unit, totals: Totals, stamp: i64) -> Entry {
    let scored = scoring::score(&competition.rules, Some(&totals));
    let key = scored
        .score_bp
        .ok()
        .map(|bp| scoring::sort_key(&competition.rules, bp, &totals));
    Entry {
        code: unit.code.clone(),
        group: unit.group.clone(),
        totals,
        key,
        stamp,
    }
}

/// Totals per unit for the whole period and for each day, from reports.
/// Only active units are counted; days outside the competition are ignored.
pub fn entries(
    competition: &Competition,
    units: &[Unit],
    reports: &[CurrentReport],
) -> Vec<(Period, Vec<Entry>)> {
    let by_id: HashMap<i64, &Unit> = units
        .iter()
        .filter(|u| u.active)
        .map(|u| (u.id, u))
        .collect();
    let mut totals: HashMap<(Period, i64), (Totals, i64)> = HashMap::new();
    for report in reports {
        if !by_id.contains_key(&report.unit_id) || !competition.contains(report.day) {
            continue;
        }
        let values = counter_values(competition, &report.counters);
        for period in [Period::Whole, Period::Day(report.day)] {
            let (t, stamp) = totals
                .entry((period, report.unit_id))
                .or_insert_with(|| (Totals::empty(competition.counters.len()), 0));
            t.add_day(&values);
            *stamp = (*stamp).max(report.stamp);
        }
    }
    let mut periods: HashMap<Period, Vec<Entry>> = std::iter::once(Period::Whole)
        .chain(competition.days().map(Period::Day))
        .map(|p| (p, Vec::new()))
        .collect();
    for ((period, unit_id), (t, stamp)) in totals {
        let unit = by_id[&unit_id];
        if let Some(list) = periods.get_mut(&period) {
            list.push(entry(competition, unit, t, stamp));
        }
    }
    let mut periods: Vec<(Period, Vec<Entry>)> = periods.into_iter().collect();
    periods.sort_by_key(|(p, _)| match p {
        Period::Whole => None,
        Period::Day(d) => Some(*d),
    });
    periods
}

/// Brings one unit's entries (whole period and `day`) up to date after a
/// committed change. A failure leaves the ranking marked stale; the report
/// itself is safe in the store.
/// Returns the unit's whole-period entry and its rank on its group's board.
pub async fn refresh_unit(
    state: &AppState,
    selected: &Selected,
    unit: &Unit,
    day: NaiveDate,
) -> Option<(Entry, Option<u32>)> {
    match try_refresh_unit(state, selected, unit, day).await {
        Ok(standing) => Some(standing),
        Err(e) => {
            tracing::warn!(error = %e, unit = %unit.code, "ranking update failed; will rebuild");
            state.mark_ranking_stale();
            None
        }
    }
}

async fn try_refresh_unit(
    state: &AppState,
    selected: &Selected,
    unit: &Unit,
    day: NaiveDate,
) -> anyhow::Result<(Entry, Option<u32>)> {
    let started = std::time::Instant::now();
    let competition = &selected.record.competition;
    let reports = state.store().unit_current_reports(unit.id).await?;
    let mut updates = Vec::new();
    for period in [Period::Whole, Period::Day(day)] {
        let mut totals = Totals::empty(competition.counters.len());
        let mut stamp = 0;
        for r in reports.iter().filter(|r| competition.contains(r.day)) {
            if period == Period::Whole || period == Period::Day(r.day) {
                totals.add_day(&counter_values(competition, &r.counters));
                stamp = stamp.max(r.stamp);
            }
        }
        updates.push((period, entry(competition, unit, totals, stamp)));
    }
    let whole = updates[0].1.clone();
    let groups: Vec<String> = competition.groups.iter().map(|g| g.code.clone()).collect();
    state
        .ranking()
        .put(&competition.slug, &groups, updates)
        .await?;
    let rank = state
        .ranking()
        .rank(&competition.slug, &unit.group, Period::Whole, &whole)
        .await?;
    metrics::histogram!("thidua_ranking_update_seconds").record(started.elapsed().as_secs_f64());
    Ok((whole, rank))
}

/// Rebuilds the ranking of one competition from the store. Returns the
/// number of entries that differed.
pub async fn rebuild(state: &AppState, selected: &Selected) -> anyhow::Result<usize> {
    let competition = &selected.record.competition;
    let reports = state.store().current_reports(selected.record.id).await?;
    let periods = entries(competition, &selected.units, &reports);
    let groups: Vec<String> = competition.groups.iter().map(|g| g.code.clone()).collect();
    let (drift, _) = state
        .ranking()
        .replace(&competition.slug, &groups, periods)
        .await
        .map_err(|e: RankingError| anyhow::anyhow!(e))?;
    Ok(drift)
}

/// Rebuilds every competition; clears the stale mark when all succeed.
pub async fn rebuild_all(state: &AppState) -> anyhow::Result<usize> {
    let mut drift = 0;
    for record in state.catalog().competitions.iter() {
        let Some(selected) = state.competition_by_id(record.id) else {
            continue;
        };
        drift += rebuild(state, &selected).await?;
    }
    state.clear_ranking_stale();
    Ok(drift)
}
