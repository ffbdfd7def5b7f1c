//! Keeps the live ranking in step with the store: after each committed
//! report, at start-up, on demand (`thidua rebuild-ranking`), when the
//! reconciliation job finds drift, and when a ranking write failed.
//!
//! The store is the truth. A failed ranking write marks the ranking stale;
//! boards are then computed from the store until the upkeep task (spawned by
//! [`RankingSync::spawn_upkeep`]) has rebuilt it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::NaiveDate;

use super::{Entry, Period, Ranking};
use crate::catalog::{Catalog, Selected};
use crate::competition::Competition;
use crate::report::counter_values;
use crate::scoring::{self, Totals};
use crate::store::{CurrentReport, Store, Unit};

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

/// The entries of one period, in board order.
pub fn period_entries(
    competition: &Competition,
    units: &[Unit],
    reports: &[CurrentReport],
    period: Period,
) -> Vec<Entry> {
    let mut list = entries(competition, units, reports)
        .into_iter()
        .find(|(p, _)| *p == period)
        .map(|(_, e)| e)
        .unwrap_or_default();
    super::sort_entries(&mut list);
    list
}

/// A unit's entries for the whole period and for each of `days`, from all
/// its current reports; the whole period comes first.
fn unit_entries(
    competition: &Competition,
    unit: &Unit,
    reports: &[CurrentReport],
    days: &[NaiveDate],
) -> Vec<(Period, Entry)> {
    std::iter::once(Period::Whole)
        .chain(days.iter().map(|d| Period::Day(*d)))
        .map(|period| {
            let mut totals = Totals::empty(competition.counters.len());
            let mut stamp = 0;
            for r in reports.iter().filter(|r| competition.contains(r.day)) {
                if period == Period::Whole || period == Period::Day(r.day) {
                    totals.add_day(&counter_values(competition, &r.counters));
                    stamp = stamp.max(r.stamp);
                }
            }
            (period, entry(competition, unit, totals, stamp))
        })
        .collect()
}

/// A unit's whole-period entry after a write, and its rank on its group's board.
pub type Refreshed = (Entry, Option<u32>);

/// Writes changes from the store into the ranking, and remembers when a
/// write failed so that the ranking is rebuilt.
#[derive(Clone)]
pub struct RankingSync {
    store: Store,
    ranking: Ranking,
    catalog: Catalog,
    /// A ranking write failed (or nothing is built yet): rebuild when the
    /// ranking answers again; until then boards come from the store.
    stale: Arc<AtomicBool>,
    /// The catalogue's scoring changes the last rebuild saw.
    rebuilt_for: Arc<AtomicU64>,
}

impl RankingSync {
    pub fn new(store: Store, ranking: Ranking, catalog: Catalog) -> RankingSync {
        RankingSync {
            store,
            ranking,
            catalog,
            stale: Arc::new(AtomicBool::new(true)),
            rebuilt_for: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn ranking(&self) -> &Ranking {
        &self.ranking
    }

    pub fn mark_stale(&self) {
        self.stale.store(true, Ordering::SeqCst);
    }

    /// Whether boards must come from the store: a write failed, nothing is
    /// built yet, or the catalogue changed what the ranking is derived from
    /// (a definition re-applied with `--force`, units moved or deactivated).
    pub fn is_stale(&self) -> bool {
        self.stale.load(Ordering::SeqCst)
            || self.rebuilt_for.load(Ordering::SeqCst) != self.catalog.scoring_changes()
    }

    /// Brings one unit's entries (whole period and `day`) up to date after a
    /// committed change. A failure leaves the ranking marked stale; the
    /// report itself is safe in the store.
    /// `reports` are the unit's current reports when the caller has just
    /// read them (in the write's own transaction); else they are read here.
    #[tracing::instrument(skip_all, fields(unit = %unit.code, %day))]
    pub async fn refresh_unit(
        &self,
        selected: &Selected,
        unit: &Unit,
        day: NaiveDate,
        reports: Option<Vec<CurrentReport>>,
    ) -> Option<Refreshed> {
        match self.try_refresh_unit(selected, unit, day, reports).await {
            Ok(refreshed) => Some(refreshed),
            Err(e) => {
                tracing::warn!(error = %e, unit = %unit.code, "ranking update failed; will rebuild");
                self.mark_stale();
                None
            }
        }
    }

    async fn try_refresh_unit(
        &self,
        selected: &Selected,
        unit: &Unit,
        day: NaiveDate,
        reports: Option<Vec<CurrentReport>>,
    ) -> anyhow::Result<Refreshed> {
        let started = std::time::Instant::now();
        let competition = &selected.record.competition;
        let reports = match reports {
            Some(reports) => reports,
            None => self.store.unit_current_reports(unit.id).await?,
        };
        let updates = unit_entries(competition, unit, &reports, &[day]);
        let whole = updates[0].1.clone();
        let put = self
            .ranking
            .put(&competition.slug, &group_codes(competition), updates)
            .await?;
        metrics::histogram!("thidua_ranking_update_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok((whole, put.group_rank))
    }

    /// Brings many units' entries up to date after one committed batch, in
    /// one write to the ranking (so boards change once). `changed` lists
    /// each unit with the days written; `reports` are the current reports
    /// of those units, read in the batch's transaction. Returns false (and
    /// marks the ranking stale) when the write failed.
    #[tracing::instrument(skip_all, fields(units = changed.len()))]
    pub async fn refresh_units(
        &self,
        selected: &Selected,
        changed: &[(&Unit, Vec<NaiveDate>)],
        reports: &[CurrentReport],
    ) -> bool {
        let competition = &selected.record.competition;
        let updates: Vec<(Period, Entry)> = crate::cpu::heavy(|| {
            // Each unit's reports as a slice of the list, not a copy: a
            // batch of 10,000 units late in the month brings 300,000.
            let mut sorted = Vec::new();
            let reports = if reports.is_sorted_by_key(|r| r.unit_id) {
                reports
            } else {
                sorted.extend_from_slice(reports);
                sorted.sort_by_key(|r| r.unit_id);
                &sorted
            };
            let by_unit: HashMap<i64, &[CurrentReport]> = reports
                .chunk_by(|a, b| a.unit_id == b.unit_id)
                .map(|unit| (unit[0].unit_id, unit))
                .collect();
            changed
                .iter()
                .flat_map(|(unit, days)| {
                    let reports = by_unit.get(&unit.id).copied().unwrap_or(&[]);
                    unit_entries(competition, unit, reports, days)
                })
                .collect()
        });
        if updates.is_empty() {
            return true;
        }
        let put = self
            .ranking
            .put(&competition.slug, &group_codes(competition), updates)
            .await;
        if let Err(e) = put {
            tracing::warn!(error = %e, "ranking update of a batch failed; will rebuild");
            self.mark_stale();
            return false;
        }
        true
    }

    /// Rebuilds the ranking of one competition from the store. Returns the
    /// number of entries that differed.
    #[tracing::instrument(skip_all, fields(competition = %selected.record.competition.slug))]
    pub async fn rebuild(&self, selected: &Selected) -> anyhow::Result<usize> {
        let competition = &selected.record.competition;
        let reports = self.store.current_reports(selected.record.id).await?;
        // The whole period and the days still open to units; a closed day's
        // boards are read from the store (see `boards`).
        let now = self.catalog.now();
        let periods: Vec<(Period, Vec<Entry>)> = crate::cpu::heavy(|| {
            entries(competition, &selected.units, &reports)
                .into_iter()
                .filter(|(p, _)| match p {
                    Period::Whole => true,
                    Period::Day(d) => competition.is_open_day(*d, now),
                })
                .collect()
        });
        let (drift, _) = self
            .ranking
            .replace(&competition.slug, &group_codes(competition), periods)
            .await?;
        Ok(drift)
    }

    /// Rebuilds every competition; clears the stale mark when all succeed.
    pub async fn rebuild_all(&self) -> anyhow::Result<usize> {
        let seen = self.catalog.scoring_changes();
        let mut drift = 0;
        for selected in self.catalog.all() {
            drift += self.rebuild(&selected).await?;
        }
        self.rebuilt_for.store(seen, Ordering::SeqCst);
        self.stale.store(false, Ordering::SeqCst);
        Ok(drift)
    }

    /// After a failed write or a Redis outage, rebuilds from the store as
    /// soon as the ranking answers again.
    pub async fn rebuild_if_stale(&self) {
        if self.is_stale()
            && self.ranking.ping().await
            && let Err(e) = self.rebuild_all().await
        {
            tracing::warn!(error = %e, "ranking rebuild failed; will retry");
        }
    }

    /// The upkeep every serving instance runs: a stale ranking is rebuilt,
    /// and competitions and units changed by the command line or another
    /// instance are re-read (which may make the ranking stale).
    pub fn spawn_upkeep(&self) {
        let sync = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            let mut ticks = 0u32;
            loop {
                tick.tick().await;
                sync.rebuild_if_stale().await;
                ticks += 1;
                if ticks.is_multiple_of(15)
                    && let Err(e) = sync.catalog.reload().await
                {
                    tracing::warn!(error = %e, "catalogue reload failed");
                }
            }
        });
    }
}

fn group_codes(competition: &Competition) -> Vec<String> {
    competition.groups.iter().map(|g| g.code.clone()).collect()
}
