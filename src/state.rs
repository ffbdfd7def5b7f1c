//! What the running service shares: the store, the ranking and the services
//! built on them, the clock and the configuration. `AppState` only holds
//! them; each service takes just what it needs when it is made here.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::boards::Boards;
use crate::catalog::Catalog;
use crate::clock::{SharedClock, ShiftedClock, SystemClock};
use crate::config::Config;
use crate::lifecycle::Lifecycle;
use crate::limits::Limits;
use crate::ranking::{Ranking, RankingSync};
use crate::store::Store;
use crate::submit::Submitter;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: SharedClock,
    config: Config,
    catalog: Catalog,
    sync: RankingSync,
    boards: Boards,
    submitter: Submitter,
    lifecycle: Lifecycle,
    limits: Limits,
}

impl AppState {
    /// Builds the services and reads the catalogue.
    pub async fn new(
        store: Store,
        ranking: Ranking,
        clock: SharedClock,
        config: Config,
    ) -> anyhow::Result<AppState> {
        let limits = match ranking.shared_redis() {
            Some((connection, prefix)) => Limits::shared(&config, connection, &prefix),
            None => Limits::new(&config),
        };
        let catalog = Catalog::new(store.clone(), clock.clone());
        let sync = RankingSync::new(store.clone(), ranking, catalog.clone());
        let boards = Boards::new(store.clone(), sync.clone(), catalog.clone(), clock.clone());
        let submitter = Submitter::new(
            store.clone(),
            catalog.clone(),
            sync.clone(),
            boards.clone(),
            clock.clone(),
        );
        let lifecycle = Lifecycle::new(
            store.clone(),
            catalog.clone(),
            boards.clone(),
            clock.clone(),
        );
        let state = AppState {
            inner: Arc::new(Inner {
                limits,
                store,
                clock,
                config,
                catalog,
                sync,
                boards,
                submitter,
                lifecycle,
            }),
        };
        state.catalog().reload().await?;
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
        self.inner.sync.ranking()
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

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn sync(&self) -> &RankingSync {
        &self.inner.sync
    }

    pub fn boards(&self) -> &Boards {
        &self.inner.boards
    }

    pub fn submitter(&self) -> &Submitter {
        &self.inner.submitter
    }

    pub fn lifecycle(&self) -> &Lifecycle {
        &self.inner.lifecycle
    }
}
