//! The competitions and their units as last read from the store, and the
//! rule that picks the current competition. Every request reads the
//! catalogue from memory; it is re-read after an organiser changes it here,
//! and periodically for changes made elsewhere (the command line, another
//! instance).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::clock::SharedClock;
use crate::competition::CompetitionRecord;
use crate::error::{AppError, Result};
use crate::scope::Scope;
use crate::store::{Store, Unit};

/// A competition with its units (sorted by code), as a request sees it.
#[derive(Clone)]
pub struct Selected {
    pub record: CompetitionRecord,
    pub units: Arc<Vec<Unit>>,
    /// Which reading of the catalogue this came from: what is derived from
    /// it (rendered boards) is valid for this generation only.
    pub generation: u64,
}

impl Selected {
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units
            .binary_search_by(|u| u.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.units[i])
    }

    /// The unit a person typed the code of, in any letter case: the exact
    /// code first, else the one unit whose code differs only in case (two
    /// codes that differ only in case are left to the exact match).
    pub fn unit_typed(&self, typed: &str) -> Option<&Unit> {
        let typed = typed.trim();
        if let Some(unit) = self.unit(typed) {
            return Some(unit);
        }
        let mut found = self
            .units
            .iter()
            .filter(|u| u.code.eq_ignore_ascii_case(typed));
        match (found.next(), found.next()) {
            (Some(unit), None) => Some(unit),
            _ => None,
        }
    }

    pub fn active_units(&self) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(|u| u.active)
    }
}

#[derive(Default)]
struct Snapshot {
    competitions: Vec<CompetitionRecord>,
    units: HashMap<i64, Arc<Vec<Unit>>>,
    generation: u64,
}

impl Snapshot {
    fn selected(&self, record: &CompetitionRecord) -> Selected {
        Selected {
            record: record.clone(),
            units: self.units.get(&record.id).cloned().unwrap_or_default(),
            generation: self.generation,
        }
    }

    /// Whether anything the ranking is derived from differs: a definition
    /// re-applied with `--force`, units moved between groups or deactivated.
    fn scoring_inputs_differ(&self, new: &Snapshot) -> bool {
        if self.competitions.is_empty() {
            return false;
        }
        new.competitions.iter().any(|c| {
            let Some(before) = self.competitions.iter().find(|o| o.id == c.id) else {
                return false;
            };
            let placement = |units: Option<&Arc<Vec<Unit>>>| -> Vec<(String, String, bool)> {
                units
                    .map(|us| {
                        us.iter()
                            .map(|u| (u.code.clone(), u.group.clone(), u.active))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            before.competition.differs_beyond_document(&c.competition)
                || placement(self.units.get(&c.id)) != placement(new.units.get(&c.id))
        })
    }
}

/// The catalogue service: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Catalog {
    store: Store,
    clock: SharedClock,
    snapshot: Arc<RwLock<Arc<Snapshot>>>,
    generations: Arc<AtomicU64>,
    /// Counts the reloads that changed what the ranking is derived from.
    scoring_changes: Arc<AtomicU64>,
}

impl Catalog {
    /// An empty catalogue; [`Catalog::reload`] fills it.
    pub fn new(store: Store, clock: SharedClock) -> Catalog {
        Catalog {
            store,
            clock,
            snapshot: Arc::new(RwLock::new(Arc::new(Snapshot::default()))),
            generations: Arc::new(AtomicU64::new(0)),
            scoring_changes: Arc::new(AtomicU64::new(0)),
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads competitions and units from the store.
    #[tracing::instrument(skip_all)]
    pub async fn reload(&self) -> anyhow::Result<()> {
        let competitions = self.store.competitions().await?;
        let mut units = HashMap::new();
        for c in &competitions {
            units.insert(c.id, Arc::new(self.store.units(c.id).await?));
        }
        let fresh = Arc::new(Snapshot {
            competitions,
            units,
            generation: self.generations.fetch_add(1, Ordering::SeqCst) + 1,
        });
        let previous = std::mem::replace(
            &mut *self.snapshot.write().unwrap_or_else(|e| e.into_inner()),
            fresh.clone(),
        );
        if previous.scoring_inputs_differ(&fresh) {
            self.scoring_changes.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    /// How many reloads have changed what the ranking is derived from: the
    /// ranking built before the latest such change must be rebuilt.
    pub fn scoring_changes(&self) -> u64 {
        self.scoring_changes.load(Ordering::SeqCst)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Every competition with its units.
    pub fn all(&self) -> Vec<Selected> {
        let snapshot = self.snapshot();
        snapshot
            .competitions
            .iter()
            .map(|c| snapshot.selected(c))
            .collect()
    }

    /// The competition a request names, or the current one: open now, else
    /// the most recent that has started, else the next to start.
    pub fn competition(&self, slug: Option<&str>) -> Result<Selected> {
        let snapshot = self.snapshot();
        let competitions = &snapshot.competitions;
        let record = match slug {
            Some(slug) => competitions.iter().find(|c| c.competition.slug == slug),
            None => current(competitions.iter(), self.now()),
        };
        let record = record.ok_or_else(|| match slug {
            Some(s) => AppError::NotFound(format!("Không tìm thấy cuộc thi {s:?}")),
            None => AppError::NotFound("Chưa có cuộc thi nào".into()),
        })?;
        Ok(snapshot.selected(record))
    }

    /// The competition an organiser's request names, if it is within their
    /// `scope` (403 otherwise); without a name, the current one among
    /// theirs.
    pub fn competition_for(&self, scope: &Scope, slug: Option<&str>) -> Result<Selected> {
        if slug.is_some() || scope.is_deployment() {
            let selected = self.competition(slug)?;
            if !scope.may(selected.record.id) {
                return Err(AppError::Forbidden(
                    "Tài khoản này không phụ trách cuộc thi này".into(),
                ));
            }
            return Ok(selected);
        }
        let snapshot = self.snapshot();
        let theirs = snapshot.competitions.iter().filter(|c| scope.may(c.id));
        let record = current(theirs, self.now()).ok_or_else(|| {
            AppError::Forbidden("Tài khoản này chưa được giao cuộc thi nào".into())
        })?;
        Ok(snapshot.selected(record))
    }

    /// The competitions within `scope`, oldest first.
    pub fn all_for(&self, scope: &Scope) -> Vec<Selected> {
        let mut theirs: Vec<Selected> = self
            .all()
            .into_iter()
            .filter(|s| scope.may(s.record.id))
            .collect();
        theirs.sort_by_key(|s| (s.record.competition.start_date, s.record.id));
        theirs
    }

    pub fn competition_by_id(&self, id: i64) -> Option<Selected> {
        let snapshot = self.snapshot();
        let record = snapshot.competitions.iter().find(|c| c.id == id)?;
        Some(snapshot.selected(record))
    }

    /// The competition and unit of a unit id, re-reading the catalogue once
    /// if it is not there yet (a unit added by another instance).
    pub async fn unit_by_id(&self, unit_id: i64) -> Result<Option<(Selected, Unit)>> {
        let find = || {
            let snapshot = self.snapshot();
            snapshot.units.iter().find_map(|(competition_id, units)| {
                let unit = units.iter().find(|u| u.id == unit_id)?.clone();
                let record = snapshot
                    .competitions
                    .iter()
                    .find(|c| c.id == *competition_id)?;
                Some((snapshot.selected(record), unit))
            })
        };
        if let Some(found) = find() {
            return Ok(Some(found));
        }
        self.reload().await?;
        Ok(find())
    }

    /// A unit's competition as the catalogue has it now (re-read once if the
    /// unit is new to it).
    pub async fn of_unit(&self, unit: &Unit) -> Result<Selected> {
        if let Some(s) = self.competition_by_id(unit.competition_id)
            && s.unit(&unit.code).is_some()
        {
            return Ok(s);
        }
        self.reload().await?;
        self.competition_by_id(unit.competition_id)
            .ok_or_else(|| AppError::NotFound("Không tìm thấy cuộc thi của đơn vị".into()))
    }
}

/// The current one of `competitions`: open now, else the most recent that
/// has started, else the next to start.
fn current<'a>(
    competitions: impl Iterator<Item = &'a CompetitionRecord> + Clone,
    now: DateTime<Utc>,
) -> Option<&'a CompetitionRecord> {
    let started = |c: &&CompetitionRecord| c.competition.day_start(c.competition.start_date) <= now;
    competitions
        .clone()
        .filter(|c| c.competition.is_running_at(now))
        .max_by_key(|c| c.competition.start_date)
        .or_else(|| {
            competitions
                .clone()
                .filter(started)
                .max_by_key(|c| c.competition.start_date)
        })
        .or_else(|| competitions.min_by_key(|c| c.competition.start_date))
}
