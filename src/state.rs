//! What every request shares: the store, the ranking, the clock, and a
//! cached catalogue of competitions and units.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::clock::{SharedClock, ShiftedClock, SystemClock};
use crate::config::Config;
use crate::error::{AppError, Result};
use crate::leaderboard::BoardCache;
use crate::limits::Limits;
use crate::ranking::Ranking;
use crate::store::{CompetitionRecord, Store, Unit};

/// Competitions and their units as last read from the store.
#[derive(Default)]
pub struct Catalog {
    pub competitions: Vec<CompetitionRecord>,
    pub units: HashMap<i64, Arc<Vec<Unit>>>,
}

/// A competition with its units, as a request sees it.
#[derive(Clone)]
pub struct Selected {
    pub record: CompetitionRecord,
    pub units: Arc<Vec<Unit>>,
}

impl Selected {
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units
            .binary_search_by(|u| u.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.units[i])
    }

    pub fn active_units(&self) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(|u| u.active)
    }
}

fn scoring_inputs_differ(old: &Catalog, new: &Catalog) -> bool {
    if old.competitions.is_empty() {
        return false;
    }
    new.competitions.iter().any(|c| {
        let Some(before) = old.competitions.iter().find(|o| o.id == c.id) else {
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
        before.competition.file != c.competition.file
            || placement(old.units.get(&c.id)) != placement(new.units.get(&c.id))
    })
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    ranking: Ranking,
    clock: SharedClock,
    config: Config,
    catalog: RwLock<Arc<Catalog>>,
    boards: BoardCache,
    limits: Limits,
    /// A ranking write failed: rebuild when the ranking is back.
    ranking_stale: AtomicBool,
}

impl AppState {
    pub async fn new(
        store: Store,
        ranking: Ranking,
        clock: SharedClock,
        config: Config,
    ) -> anyhow::Result<AppState> {
        let limits = Limits::new(&config);
        let state = AppState {
            inner: Arc::new(Inner {
                store,
                ranking,
                clock,
                config,
                catalog: RwLock::new(Arc::new(Catalog::default())),
                boards: BoardCache::default(),
                limits,
                ranking_stale: AtomicBool::new(true),
            }),
        };
        state.reload().await?;
        Ok(state)
    }

    /// Opens the store and ranking the configuration names.
    pub async fn from_config(config: Config) -> anyhow::Result<AppState> {
        let store = Store::open(&config.database_url).await?;
        let ranking = match &config.redis_url {
            Some(url) => Ranking::redis(url, &config.redis_prefix).await?,
            None => Ranking::memory(),
        };
        let clock: SharedClock = match config.now {
            Some(start) => Arc::new(ShiftedClock::starting_at(start)),
            None => Arc::new(SystemClock),
        };
        AppState::new(store, ranking, clock, config).await
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn ranking(&self) -> &Ranking {
        &self.inner.ranking
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    pub(crate) fn boards(&self) -> &BoardCache {
        &self.inner.boards
    }

    pub fn mark_ranking_stale(&self) {
        self.inner.ranking_stale.store(true, Ordering::SeqCst);
    }

    pub fn ranking_stale(&self) -> bool {
        self.inner.ranking_stale.load(Ordering::SeqCst)
    }

    pub(crate) fn clear_ranking_stale(&self) {
        self.inner.ranking_stale.store(false, Ordering::SeqCst);
    }

    /// Re-reads competitions and units from the store.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let competitions = self.inner.store.competitions().await?;
        let mut units = HashMap::new();
        for c in &competitions {
            units.insert(c.id, Arc::new(self.inner.store.units(c.id).await?));
        }
        let catalog = Arc::new(Catalog {
            competitions,
            units,
        });
        let previous = std::mem::replace(
            &mut *self
                .inner
                .catalog
                .write()
                .unwrap_or_else(|e| e.into_inner()),
            catalog.clone(),
        );
        // A definition re-applied with --force, or units moved between groups
        // or deactivated by another process: the ranking must be re-derived.
        if scoring_inputs_differ(&previous, &catalog) {
            self.mark_ranking_stale();
        }
        self.inner.boards.clear();
        Ok(())
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner
            .catalog
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The competition a request names, or the current one: open now, else
    /// the most recent that has started, else the next to start.
    pub fn competition(&self, slug: Option<&str>) -> Result<Selected> {
        let catalog = self.catalog();
        let now = self.now();
        let record = match slug {
            Some(slug) => catalog
                .competitions
                .iter()
                .find(|c| c.competition.slug == slug),
            None => {
                let started = |c: &&CompetitionRecord| {
                    c.competition.day_start(c.competition.start_date) <= now
                };
                catalog
                    .competitions
                    .iter()
                    .filter(|c| c.competition.is_running_at(now))
                    .max_by_key(|c| c.competition.start_date)
                    .or_else(|| {
                        catalog
                            .competitions
                            .iter()
                            .filter(started)
                            .max_by_key(|c| c.competition.start_date)
                    })
                    .or_else(|| {
                        catalog
                            .competitions
                            .iter()
                            .min_by_key(|c| c.competition.start_date)
                    })
            }
        };
        let record = record.cloned().ok_or_else(|| match slug {
            Some(s) => AppError::NotFound(format!("Không tìm thấy cuộc thi {s:?}")),
            None => AppError::NotFound("Chưa có cuộc thi nào".into()),
        })?;
        let units = catalog.units.get(&record.id).cloned().unwrap_or_default();
        Ok(Selected { record, units })
    }

    pub fn competition_by_id(&self, id: i64) -> Option<Selected> {
        let catalog = self.catalog();
        let record = catalog.competitions.iter().find(|c| c.id == id)?.clone();
        let units = catalog.units.get(&id).cloned().unwrap_or_default();
        Some(Selected { record, units })
    }
}
