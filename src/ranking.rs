//! The live boards: one ordered set per board and period, with each unit's
//! entry beside it, and "board changed" events between instances.
//!
//! Two implementations behind one interface: Redis (several instances, the
//! production setup) and in-process (one instance, the embedded default).
//! Ranking state is derived: it is rebuilt from the database at start-up,
//! by `thidua rebuild-ranking` and by the reconciliation job.

mod memory;
mod redis;
pub mod sync;

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use self::memory::MemoryRanking;
pub use self::redis::RedisRanking;
pub use self::sync::RankingSync;
use crate::competition::Board;
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
            Period::Day(d) => f.write_str(&crate::day::text(*d)),
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

impl From<::redis::ParsingError> for RankingError {
    fn from(e: ::redis::ParsingError) -> Self {
        RankingError(e.to_string())
    }
}

pub type RankingResult<T> = Result<T, RankingError>;

/// Where a reader stands in a competition's ranking history: the epoch
/// (which build of the ranking) and the position of the last change it
/// has applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    pub epoch: String,
    pub position: String,
}

/// What changed in a competition's ranking since a cursor.
#[derive(Debug, Clone, PartialEq)]
pub enum Changes {
    /// The entries written after the cursor (possibly none), the latest of
    /// each unit and period.
    Since {
        cursor: Cursor,
        version: u64,
        entries: Vec<(Period, Entry)>,
    },
    /// Read every entry again: the ranking was rebuilt since (another
    /// epoch), or the history kept no longer reaches back to the cursor.
    /// `cursor` is where the full read starts from.
    Reload { cursor: Cursor, version: u64 },
    /// The ranking holds nothing for the competition: never built, or its
    /// state was lost (Redis restarted empty). Rebuild it from the store.
    Empty,
}

/// What a write did: the new version, and the rank of the written unit's
/// whole-period entry on its group's board (`None` when unranked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Put {
    pub version: u64,
    pub group_rank: Option<u32>,
}

/// What a live ranking does. Both implementations provide exactly this, so
/// they cannot drift apart; [`Ranking`] picks one at start-up.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// Writes entries (skipping any older than what is stored), records
    /// them in the competition's change history, bumps the version and
    /// announces it — one round trip in Redis.
    async fn put(
        &self,
        slug: &str,
        groups: &[String],
        entries: Vec<(Period, Entry)>,
    ) -> RankingResult<Put>;

    /// Makes the stored state of the periods equal `periods`: writes every
    /// entry, removes units that are not listed, and starts a new epoch.
    /// Returns how many entries differed (the drift) and the new version.
    async fn replace(
        &self,
        slug: &str,
        groups: &[String],
        periods: Vec<(Period, Vec<Entry>)>,
    ) -> RankingResult<(usize, u64)>;

    /// The entries of a board: ranked ones in board order, then the rest by code.
    async fn board(&self, slug: &str, board: &Board, period: Period) -> RankingResult<Vec<Entry>>;

    /// What changed since `cursor` (see [`Changes`]).
    async fn changes(&self, slug: &str, cursor: &Cursor) -> RankingResult<Changes>;

    async fn version(&self, slug: &str) -> RankingResult<u64>;

    /// "Board changed" events of every competition, from every instance.
    fn subscribe(&self) -> broadcast::Receiver<BoardChanged>;

    async fn ping(&self) -> bool;
}

/// The live ranking this instance uses.
#[derive(Clone)]
pub enum Ranking {
    Memory(Arc<MemoryRanking>),
    Redis(Arc<RedisRanking>),
}

/// Calls the same method on whichever implementation is in use.
macro_rules! dispatch {
    ($self:ident, $r:ident => $call:expr) => {
        match $self {
            Ranking::Memory($r) => $call,
            Ranking::Redis($r) => $call,
        }
    };
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

    /// The Redis connection and key prefix, when the ranking lives in Redis:
    /// the shared rate limits use them too.
    pub fn shared_redis(&self) -> Option<(crate::redis_connection::Connection, String)> {
        match self {
            Ranking::Memory(_) => None,
            Ranking::Redis(r) => Some(r.shared()),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Ranking::Memory(_) => "memory",
            Ranking::Redis(_) => "redis",
        }
    }

    #[tracing::instrument(skip_all, fields(slug, entries = entries.len()))]
    pub async fn put(
        &self,
        slug: &str,
        groups: &[String],
        entries: Vec<(Period, Entry)>,
    ) -> RankingResult<Put> {
        dispatch!(self, r => r.put(slug, groups, entries).await)
    }

    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn replace(
        &self,
        slug: &str,
        groups: &[String],
        periods: Vec<(Period, Vec<Entry>)>,
    ) -> RankingResult<(usize, u64)> {
        dispatch!(self, r => r.replace(slug, groups, periods).await)
    }

    #[tracing::instrument(skip_all, fields(slug, board = %board, period = %period))]
    pub async fn board(
        &self,
        slug: &str,
        board: &Board,
        period: Period,
    ) -> RankingResult<Vec<Entry>> {
        dispatch!(self, r => r.board(slug, board, period).await)
    }

    #[tracing::instrument(skip_all, fields(slug))]
    pub async fn changes(&self, slug: &str, cursor: &Cursor) -> RankingResult<Changes> {
        dispatch!(self, r => r.changes(slug, cursor).await)
    }

    pub async fn version(&self, slug: &str) -> RankingResult<u64> {
        dispatch!(self, r => r.version(slug).await)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BoardChanged> {
        dispatch!(self, r => r.subscribe())
    }

    pub async fn ping(&self) -> bool {
        dispatch!(self, r => r.ping().await)
    }
}

/// How many changes of each competition the history keeps: a reader further
/// behind reads everything again.
pub const HISTORY: usize = 100_000;

/// A random id for a new epoch of a competition's ranking.
pub fn new_epoch() -> String {
    format!("{:016x}", rand::random::<u64>())
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
