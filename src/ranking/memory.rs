//! In-process ranking for a single instance.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;

use super::{BoardChanged, Entry, Period, on_board, sort_entries};

#[derive(Default)]
struct Competition {
    version: u64,
    periods: HashMap<Period, HashMap<String, Entry>>,
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

    pub fn put(&self, slug: &str, entries: Vec<(Period, Entry)>) -> u64 {
        let version = self.with(slug, |c| {
            for (period, entry) in entries {
                let period = c.periods.entry(period).or_default();
                match period.get(&entry.code) {
                    Some(old) if old.stamp > entry.stamp => {}
                    _ => {
                        period.insert(entry.code.clone(), entry);
                    }
                }
            }
            c.version += 1;
            c.version
        });
        self.announce(slug, version);
        version
    }

    pub fn replace(&self, slug: &str, periods: Vec<(Period, Vec<Entry>)>) -> (usize, u64) {
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
            c.version += 1;
            (drift, c.version)
        });
        self.announce(slug, version);
        (drift, version)
    }

    pub fn board(&self, slug: &str, board: &str, period: Period) -> Vec<Entry> {
        let mut entries: Vec<Entry> = self.with(slug, |c| {
            c.periods
                .get(&period)
                .map(|p| p.values().filter(|e| on_board(e, board)).cloned().collect())
                .unwrap_or_default()
        });
        sort_entries(&mut entries);
        entries
    }

    pub fn rank(&self, slug: &str, board: &str, period: Period, entry: &Entry) -> Option<u32> {
        let key = entry.key.as_ref()?;
        self.with(slug, |c| {
            let better = c
                .periods
                .get(&period)
                .map(|p| {
                    p.values()
                        .filter(|e| on_board(e, board) && e.key.as_ref().is_some_and(|k| k > key))
                        .count()
                })
                .unwrap_or(0);
            Some(better as u32 + 1)
        })
    }

    pub fn version(&self, slug: &str) -> u64 {
        self.with(slug, |c| c.version)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BoardChanged> {
        self.events.subscribe()
    }
}
