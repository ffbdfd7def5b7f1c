//! The task that keeps the live boards of running competitions current.
//!
//! It holds a replica of each competition's ranking entries for the whole
//! period and for today, follows the ranking's change history (one read per
//! wake-up, whichever instance wrote), and rebuilds the boards a change
//! touched — `all` and the unit's group — at most once per [`COALESCE`].
//! A unit's line (score, rates, JSON) is made again only when its entry
//! changed; a rebuild orders, ranks and encodes. While the ranking is stale
//! or away, the replica is read from the store instead, every few seconds.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::{Audience, BoardView, Boards, COALESCE, LineData, LineEntry, ViewKey, heading};
use crate::catalog::Selected;
use crate::competition::Board;
use crate::leaderboard::{self, Line};
use crate::ranking::{Changes, Cursor, Entry, Period, sync};

/// How often the task looks even without being told of a change: a lost
/// announcement costs at most this much delay.
const POLL: Duration = Duration::from_millis(500);

/// How often boards are read again from the store while the ranking is away.
const FROM_STORE: Duration = Duration::from_secs(2);

/// The least time between two looks: announcements arriving together (200
/// reports a second) make one look at the ranking, not one each.
const GATHER: Duration = Duration::from_millis(20);

/// A unit's line in one period, and the entry stamp it was made from.
struct CachedLine {
    stamp: i64,
    data: Arc<LineData>,
}

/// What the task keeps for one running competition.
#[derive(Default)]
struct Live {
    cursor: Option<Cursor>,
    version: u64,
    generation: u64,
    replica: HashMap<Period, HashMap<String, Entry>>,
    /// Each period's lines, at the units' places in the catalogue.
    lines: HashMap<Period, Vec<Option<CachedLine>>>,
    /// Each board's active units, as places in the catalogue, in the order
    /// of the board's last build: the next build, where few lines moved,
    /// orders them in one pass.
    order: HashMap<(Board, Period), Vec<usize>>,
    dirty: HashSet<(Board, Period)>,
    /// When boards were last built: every board a change touched is built
    /// in the same pass, at most once per [`COALESCE`].
    last_build: Option<Instant>,
    /// When the replica was last read from the store (ranking away).
    from_store: Option<Instant>,
    /// Boards read from the store are not all rebuilt yet.
    read_store: bool,
}

pub async fn run(boards: Boards) {
    let mut events = boards.inner.ranking.subscribe();
    let mut live: HashMap<i64, Live> = HashMap::new();
    let mut due: Option<Instant> = None;
    let mut last_look = Instant::now();
    loop {
        let wake = due.unwrap_or_else(|| Instant::now() + POLL);
        tokio::select! {
            event = events.recv() => {
                if let Err(RecvError::Closed) = event {
                    return;
                }
                // Several announcements at once are one look.
                while events.try_recv().is_ok() {}
            }
            _ = tokio::time::sleep_until(wake) => {}
            _ = boards.inner.wake.notified() => {}
        }
        tokio::time::sleep_until(last_look + GATHER).await;
        while events.try_recv().is_ok() {}
        last_look = Instant::now();
        due = None;
        let selected = boards.inner.catalog.all();
        live.retain(|id, _| selected.iter().any(|s| s.record.id == *id));
        for s in &selected {
            if s.record.is_final() {
                continue;
            }
            let state = live.entry(s.record.id).or_default();
            if let Some(next) = boards.refresh(s, state).await {
                due = Some(due.map_or(next, |d: Instant| d.min(next)));
            }
        }
    }
}

/// The periods whose live boards are kept: the whole competition, and
/// today while it is a competition day.
fn kept(selected: &Selected, boards: &Boards) -> Vec<Period> {
    let competition = &selected.record.competition;
    let today = competition.local_date(boards.now());
    let mut periods = vec![Period::Whole];
    if competition.contains(today) {
        periods.push(Period::Day(today));
    }
    periods
}

fn every_board(selected: &Selected, periods: &[Period]) -> HashSet<(Board, Period)> {
    selected
        .record
        .competition
        .boards()
        .into_iter()
        .flat_map(|b| periods.iter().map(move |p| (b.clone(), *p)))
        .collect()
}

impl Boards {
    /// Brings one competition's live boards up to date. Returns when to look
    /// again for boards held back by the coalescing interval.
    async fn refresh(&self, selected: &Selected, state: &mut Live) -> Option<Instant> {
        let periods = kept(selected, self);
        if state.generation != selected.generation {
            // Names, groups or states changed: every line is made again.
            state.lines.clear();
            state.order.clear();
            state.generation = selected.generation;
            state.dirty.extend(every_board(selected, &periods));
        }
        let dropped: HashSet<Period> = state
            .replica
            .keys()
            .filter(|p| !periods.contains(p))
            .copied()
            .collect();
        if !dropped.is_empty() {
            // A day no longer kept (today moved on): its boards are made on
            // request from now on, from the ranking.
            state.replica.retain(|p, _| periods.contains(p));
            state.lines.retain(|p, _| periods.contains(p));
            state.order.retain(|(_, p), _| periods.contains(p));
            state.dirty.retain(|(_, p)| periods.contains(p));
            let id = selected.record.id;
            self.drop_views(|k| {
                k.competition == id && k.audience == Audience::Live && dropped.contains(&k.period)
            });
        }
        if self.inner.sync.is_stale() {
            self.read_store(selected, state, &periods).await;
        } else {
            self.follow(selected, state, &periods).await;
        }
        let next = self.rebuild(selected, state).await;
        if next.is_none() && std::mem::take(&mut state.read_store) {
            self.inner.store_reads.send_modify(|n| *n += 1);
        }
        next
    }

    /// Reads the replica from the store (the ranking is stale or away).
    async fn read_store(&self, selected: &Selected, state: &mut Live, periods: &[Period]) {
        if state.from_store.is_some_and(|at| at.elapsed() < FROM_STORE) {
            return;
        }
        state.from_store = Some(Instant::now());
        state.cursor = None;
        let reports = match self.inner.store.current_reports(selected.record.id).await {
            Ok(reports) => reports,
            Err(e) => {
                tracing::debug!(error = %e, "boards kept as they are while storage is away");
                return;
            }
        };
        let competition = &selected.record.competition;
        for period in periods {
            let entries = sync::period_entries(competition, &selected.units, &reports, *period);
            state.replica.insert(
                *period,
                entries.into_iter().map(|e| (e.code.clone(), e)).collect(),
            );
        }
        state.dirty.extend(every_board(selected, periods));
        state.read_store = true;
    }

    /// Applies what the ranking says changed since the replica's cursor.
    async fn follow(&self, selected: &Selected, state: &mut Live, periods: &[Period]) {
        let slug = &selected.record.competition.slug;
        let ranking = &self.inner.ranking;
        let missing: Vec<Period> = periods
            .iter()
            .filter(|p| !state.replica.contains_key(p))
            .copied()
            .collect();
        let cursor = state.cursor.clone().unwrap_or_default();
        let changes = match ranking.changes(slug, &cursor).await {
            Ok(changes) => changes,
            Err(e) => {
                tracing::warn!(error = %e, "ranking unavailable; boards from the store");
                self.inner.sync.mark_stale();
                return;
            }
        };
        let reload = match changes {
            Changes::Empty => {
                // Nothing trustworthy in the ranking (never built, or Redis
                // restarted empty): rebuild it, show the store meanwhile.
                tracing::warn!(competition = %slug, "ranking holds nothing; rebuilding from the store");
                self.inner.sync.mark_stale();
                return;
            }
            Changes::Reload { cursor, version } => {
                state.cursor = Some(cursor);
                state.version = version;
                periods.to_vec()
            }
            Changes::Since {
                cursor,
                version,
                entries,
            } => {
                state.cursor = Some(cursor);
                state.version = version;
                state.from_store = None;
                let mut days_elsewhere = HashSet::new();
                for (period, entry) in entries {
                    let Some(replica) = state.replica.get_mut(&period) else {
                        days_elsewhere.insert(period);
                        continue;
                    };
                    let before = replica.get(&entry.code).map(|e| e.group.clone());
                    if before.is_some() && replica[&entry.code].stamp > entry.stamp {
                        continue;
                    }
                    state.dirty.insert((Board::All, period));
                    state
                        .dirty
                        .insert((Board::Group(entry.group.clone()), period));
                    if let Some(old) = before.filter(|g| *g != entry.group) {
                        state.dirty.insert((Board::Group(old), period));
                    }
                    replica.insert(entry.code.clone(), entry);
                }
                // Boards of other days are made on request; those changed
                // are made again on the next one.
                if !days_elsewhere.is_empty() {
                    let id = selected.record.id;
                    self.drop_views(|k| {
                        k.competition == id
                            && k.audience == Audience::Live
                            && days_elsewhere.contains(&k.period)
                    });
                }
                missing
            }
        };
        for period in reload {
            match ranking.board(slug, &Board::All, period).await {
                Ok(entries) => {
                    state.replica.insert(
                        period,
                        entries.into_iter().map(|e| (e.code.clone(), e)).collect(),
                    );
                    state.dirty.extend(every_board(selected, &[period]));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "ranking unavailable; boards from the store");
                    self.inner.sync.mark_stale();
                    return;
                }
            }
        }
    }

    /// Builds every board a change touched, at most once per coalescing
    /// interval, then announces the version they show; returns when to look
    /// again while the interval holds boards back. The boards are built
    /// together: a stream of reports touching a few boards at a time would
    /// otherwise always leave one waiting for its own interval, and the
    /// announcement with it. Built in one go, the runtime's worker is handed
    /// over once, not once a board.
    async fn rebuild(&self, selected: &Selected, state: &mut Live) -> Option<Instant> {
        if !state.dirty.is_empty() {
            let now = Instant::now();
            if let Some(at) = state.last_build
                && now < at + COALESCE
            {
                return Some(at + COALESCE);
            }
            // A board that cannot be made (its period not read yet) is
            // touched again when its period is read.
            let due: Vec<(Board, Period)> = state.dirty.drain().collect();
            let mut previous = Vec::with_capacity(due.len());
            for (board, period) in &due {
                previous.push(self.previous_ranks(selected, board, *period).await);
            }
            let built: Vec<_> = crate::cpu::heavy(|| {
                due.into_iter()
                    .zip(previous)
                    .filter_map(|((board, period), previous)| {
                        let view = self.live_view(selected, state, &board, period, previous)?;
                        Some((board, period, view))
                    })
                    .collect()
            });
            for (board, period, view) in built {
                let key = ViewKey {
                    competition: selected.record.id,
                    board,
                    period,
                    audience: Audience::Live,
                };
                self.keep(key, Arc::new(view));
            }
            state.last_build = Some(now);
        }
        self.version_sender(&selected.record.competition.slug)
            .send_if_modified(|v| {
                let changed = *v != state.version;
                *v = state.version;
                changed
            });
        None
    }

    /// One live board from the replica, reusing the lines of units whose
    /// entry did not change.
    fn live_view(
        &self,
        selected: &Selected,
        state: &mut Live,
        board: &Board,
        period: Period,
        previous: super::PreviousRanks,
    ) -> Option<BoardView> {
        let competition = &selected.record.competition;
        let units = &selected.units;
        let replica = state.replica.get(&period)?;
        let order = state
            .order
            .entry((board.clone(), period))
            .or_insert_with(|| {
                (0..units.len())
                    .filter(|&i| units[i].active && board.includes(&units[i].group))
                    .collect()
            });
        let cache = state.lines.entry(period).or_default();
        if cache.len() != units.len() {
            *cache = std::iter::repeat_with(|| None).take(units.len()).collect();
        }
        let mut lines = Vec::with_capacity(order.len());
        for &i in order.iter() {
            let unit = &units[i];
            let entry = replica.get(&unit.code);
            let stamp = entry.map_or(-1, |e| e.stamp);
            let data = match &cache[i] {
                Some(c) if c.stamp == stamp => c.data.clone(),
                _ => {
                    let (key, line) = match leaderboard::line(competition, unit, entry) {
                        Line::Ranked { key, entry } => (Some(key), LineEntry::Ranked(entry)),
                        Line::Unranked(u) => (None, LineEntry::Unranked(u)),
                    };
                    let counters = entry.map(|e| e.totals.counters.clone());
                    let data = Arc::new(LineData::new(line, key, counters));
                    cache[i] = Some(CachedLine {
                        stamp,
                        data: data.clone(),
                    });
                    data
                }
            };
            lines.push((i, data));
        }
        // Ordered from the last build's order, where few lines moved: one
        // pass.
        lines.sort_by(|a, b| a.1.board_order(&b.1));
        *order = lines.iter().map(|(i, _)| *i).collect();
        let lines: Vec<Arc<LineData>> = lines.into_iter().map(|(_, data)| data).collect();
        let heading = heading(selected, board, period, state.version, self.now());
        Some(BoardView::from_lines(
            &heading,
            lines,
            previous.as_deref(),
            order.len(),
        ))
    }
}
