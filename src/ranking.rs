//! The live boards: one ordered set per board and period, with each unit's
//! entry beside it, and "board changed" events between instances.
//!
//! Two implementations behind one interface: Redis (several instances, the
//! production setup) and in-process (one instance, the embedded default).
//! Ranking state is derived: it is rebuilt from the database at start-up,
//! by `thidua rebuild-ranking` and by the reconciliation job.

mod memory;
mod redis;

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use self::memory::MemoryRanking;
pub use self::redis::RedisRanking;
use crate::scoring::{SortKey, Totals};

/// The whole competition so far, or one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Whole,
    Day(NaiveDate),
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Whole => f.write_str("total"),
            Period::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

/// One unit in one period: its totals and, when ranked, its sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub code: String,
    pub group: String,
    pub totals: Totals,
    /// `None`: reported, but every criterion is excluded (no dossiers).
    pub key: Option<SortKey>,
    /// Orders writes of the same unit: an older stamp never replaces a newer.
    pub stamp: i64,
}

/// Published after every change of a competition's boards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardChanged {
    pub slug: String,
    pub version: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("ranking unavailable: {0}")]
pub struct RankingError(pub String);

impl From<::redis::RedisError> for RankingError {
    fn from(e: ::redis::RedisError) -> Self {
        RankingError(e.to_string())
    }
}

pub type RankingResult<T> = Result<T, RankingError>;

#[derive(Clone)]
pub enum Ranking {
    Memory(Arc<MemoryRanking>),
    Redis(Arc<RedisRanking>),
}

impl Ranking {
    pub fn memory() -> Ranking {
        Ranking::Memory(Arc::new(MemoryRanking::new()))
    }

    /// Connects to Redis; `prefix` is prepended to every key and channel
    /// (empty in production, unique per test).
    pub async fn redis(url: &str, prefix: &str) -> anyhow::Result<Ranking> {
        Ok(Ranking::Redis(Arc::new(
            RedisRanking::connect(url, prefix).await?,
        )))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Ranking::Memory(_) => "memory",
            Ranking::Redis(_) => "redis",
        }
    }

    /// Writes entries (skipping any older than what is stored), bumps the
    /// competition's version and announces it.
    pub async fn put(
        &self,
        slug: &str,
        groups: &[String],
        entries: Vec<(Period, Entry)>,
    ) -> RankingResult<u64> {
        match self {
            Ranking::Memory(m) => Ok(m.put(slug, entries)),
            Ranking::Redis(r) => r.put(slug, groups, entries).await,
        }
    }

    /// Makes the stored state of the periods equal `periods`: writes every
    /// entry and removes units that are not listed. Returns how many entries
    /// differed (the drift) and the new version.
    pub async fn replace(
        &self,
        slug: &str,
        groups: &[String],
        periods: Vec<(Period, Vec<Entry>)>,
    ) -> RankingResult<(usize, u64)> {
        match self {
            Ranking::Memory(m) => Ok(m.replace(slug, periods)),
            Ranking::Redis(r) => r.replace(slug, groups, periods).await,
        }
    }

    /// The entries of a board: ranked ones in board order, then the rest by code.
    pub async fn board(
        &self,
        slug: &str,
        board: &str,
        period: Period,
    ) -> RankingResult<Vec<Entry>> {
        match self {
            Ranking::Memory(m) => Ok(m.board(slug, board, period)),
            Ranking::Redis(r) => r.board(slug, board, period).await,
        }
    }

    /// The shared rank of a ranked entry on a board: 1 + how many are
    /// strictly better. `None` for an unranked entry.
    pub async fn rank(
        &self,
        slug: &str,
        board: &str,
        period: Period,
        entry: &Entry,
    ) -> RankingResult<Option<u32>> {
        if entry.key.is_none() || !on_board(entry, board) {
            return Ok(None);
        }
        match self {
            Ranking::Memory(m) => Ok(m.rank(slug, board, period, entry)),
            Ranking::Redis(r) => r.rank(slug, board, period, entry).await,
        }
    }

    pub async fn version(&self, slug: &str) -> RankingResult<u64> {
        match self {
            Ranking::Memory(m) => Ok(m.version(slug)),
            Ranking::Redis(r) => r.version(slug).await,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BoardChanged> {
        match self {
            Ranking::Memory(m) => m.subscribe(),
            Ranking::Redis(r) => r.subscribe(),
        }
    }

    pub async fn ping(&self) -> bool {
        match self {
            Ranking::Memory(_) => true,
            Ranking::Redis(r) => r.ping().await,
        }
    }
}

/// Board order over entries: ranked first (best first, then code), then
/// unranked by code.
pub fn sort_entries(entries: &mut [Entry]) {
    entries.sort_by(|a, b| match (&a.key, &b.key) {
        (Some(ka), Some(kb)) => crate::scoring::board_order((ka, &a.code), (kb, &b.code)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });
}

pub fn on_board(entry: &Entry, board: &str) -> bool {
    board == "all" || entry.group == board
}
