//! In-process ranking for a single instance: the same interface as Redis,
//! with the change history kept in memory.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use tokio::sync::broadcast;

use super::{
    Backend, BoardChanged, Changes, Cursor, Entry, HISTORY, Period, Put, RankingResult, new_epoch,
    sort_entries,
};
use crate::competition::Board;

struct Competition {
    epoch: String,
    version: u64,
    periods: HashMap<Period, HashMap<String, Entry>>,
    /// Sequence number of the first change in `changes`.
    first: u64,
    /// Each write's period and unit, oldest first.
    changes: VecDeque<(Period, String)>,
}

impl Default for Competition {
    fn default() -> Self {
        Competition {
            epoch: new_epoch(),
            version: 0,
            periods: HashMap::new(),
            first: 0,
            changes: VecDeque::new(),
        }
    }
}

impl Competition {
    fn position(&self) -> u64 {
        self.first + self.changes.len() as u64
    }

    fn cursor(&self) -> Cursor {
        Cursor {
            epoch: self.epoch.clone(),
            position: self.position().to_string(),
        }
    }

    fn record(&mut self, period: Period, code: &str) {
        self.changes.push_back((period, code.to_string()));
        if self.changes.len() > HISTORY {
            self.changes.pop_front();
            self.first += 1;
        }
    }

    /// The rank of a ranked entry on a board: 1 + how many are strictly better.
    fn rank(&self, board: &Board, period: Period, entry: &Entry) -> Option<u32> {
        let key = entry.key.as_ref()?;
        let better = self.periods.get(&period).map_or(0, |p| {
            p.values()
                .filter(|e| board.includes(&e.group) && e.key.as_ref().is_some_and(|k| k > key))
                .count()
        });
        Some(better as u32 + 1)
    }
}

pub struct MemoryRanking {
    state: Mutex<HashMap<String, Competition>>,
    events: broadcast::Sender<BoardChanged>,
}

impl Default for MemoryRanking {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryRanking {
    pub fn new() -> Self {
        MemoryRanking {
            state: Mutex::new(HashMap::new()),
            events: broadcast::channel(256).0,
        }
    }

    fn with<T>(&self, slug: &str, f: impl FnOnce(&mut Competition) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(state.entry(slug.to_string()).or_default())
    }

    fn announce(&self, slug: &str, version: u64) {
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(BoardChanged {
            slug: slug.to_string(),
            version,
        });
    }
}

impl Backend for MemoryRanking {
    async fn put(
        &self,
        slug: &str,
        _groups: &[String],
        entries: Vec<(Period, Entry)>,
    ) -> RankingResult<Put> {
        let put = self.with(slug, |c| {
            let mut group_rank = None;
            for (i, (period, entry)) in entries.into_iter().enumerate() {
                let stored = c.periods.entry(period).or_default();
                if stored
                    .get(&entry.code)
                    .is_none_or(|old| old.stamp <= entry.stamp)
                {
                    stored.insert(entry.code.clone(), entry.clone());
                    c.record(period, &entry.code);
                }
                if i == 0 && period == Period::Whole {
                    group_rank = c.rank(&Board::Group(entry.group.clone()), period, &entry);
                }
            }
            c.version += 1;
            Put {
                version: c.version,
                group_rank,
            }
        });
        self.announce(slug, put.version);
        Ok(put)
    }

    async fn replace(
        &self,
        slug: &str,
        _groups: &[String],
        periods: Vec<(Period, Vec<Entry>)>,
    ) -> RankingResult<(usize, u64)> {
        let (drift, version) = self.with(slug, |c| {
            let mut drift = 0;
            let fresh: HashMap<Period, HashMap<String, Entry>> = periods
                .into_iter()
                .map(|(p, entries)| {
                    (
                        p,
                        entries.into_iter().map(|e| (e.code.clone(), e)).collect(),
                    )
                })
                .collect();
            for (period, entries) in &fresh {
                let old = c.periods.get(period);
                drift += entries
                    .iter()
                    .filter(|(code, e)| old.and_then(|o| o.get(*code)) != Some(*e))
                    .count();
                drift += old
                    .map(|o| o.keys().filter(|k| !entries.contains_key(*k)).count())
                    .unwrap_or(0);
            }
            c.periods.retain(|p, _| fresh.contains_key(p));
            c.periods.extend(fresh);
            // Readers of the old state read everything again.
            c.epoch = new_epoch();
            c.first = 0;
            c.changes.clear();
            c.version += 1;
            (drift, c.version)
        });
        self.announce(slug, version);
        Ok((drift, version))
    }

    async fn board(&self, slug: &str, board: &Board, period: Period) -> RankingResult<Vec<Entry>> {
        let mut entries: Vec<Entry> = self.with(slug, |c| {
            c.periods
                .get(&period)
                .map(|p| {
                    p.values()
                        .filter(|e| board.includes(&e.group))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        });
        sort_entries(&mut entries);
        Ok(entries)
    }

    async fn changes(&self, slug: &str, cursor: &Cursor) -> RankingResult<Changes> {
        Ok(self.with(slug, |c| {
            if c.version == 0 {
                return Changes::Empty;
            }
            let from = cursor.position.parse::<u64>().ok();
            match from {
                Some(from)
                    if cursor.epoch == c.epoch && from >= c.first && from <= c.position() =>
                {
                    let mut seen = HashSet::new();
                    let entries = c
                        .changes
                        .iter()
                        .skip((from - c.first) as usize)
                        .filter(|change| seen.insert((*change).clone()))
                        .filter_map(|(period, code)| {
                            let entry = c.periods.get(period)?.get(code)?;
                            Some((*period, entry.clone()))
                        })
                        .collect();
                    Changes::Since {
                        cursor: c.cursor(),
                        version: c.version,
                        entries,
                    }
                }
                _ => Changes::Reload {
                    cursor: c.cursor(),
                    version: c.version,
                },
            }
        }))
    }

    async fn version(&self, slug: &str) -> RankingResult<u64> {
        Ok(self.with(slug, |c| c.version))
    }

    fn subscribe(&self) -> broadcast::Receiver<BoardChanged> {
        self.events.subscribe()
    }

    async fn ping(&self) -> bool {
        true
    }
}
