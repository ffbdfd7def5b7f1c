//! What a viewer sees: the live board, the board frozen at the freeze
//! instant, or the stored final standings — each a [`BoardView`] ready to
//! serve, made off the request path.
//!
//! The live boards of running competitions are kept by one task per
//! instance ([`Boards::spawn`], in [`engine`]): it keeps a replica of the
//! ranking's entries, follows the ranking's change history (the changes of
//! every instance), and rebuilds each changed board at most every
//! [`COALESCE`] however many reports arrive, swapping the new view in whole.
//! Only a unit whose entry changed is scored and encoded again. A request
//! picks up the current view; it builds one only when none exists yet (the
//! first look at a past day's board, a final board right after
//! finalization, or a process without the task, such as `thidua export`).
//!
//! While the ranking is stale or away, boards are computed from the store;
//! with neither, the last views made are served.

mod engine;
pub mod view;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::{Notify, watch};

pub use self::view::{BoardView, Body, Encoded, LineData, LineEntry, Row, Window, fold};
use crate::catalog::{Catalog, Selected};
use crate::clock::SharedClock;
use crate::competition::{Board, Status};
use crate::error::{AppError, Result};
use crate::leaderboard::{self, BoardSpec, Heading, Leaderboard};
use crate::ranking::{Period, Ranking, RankingSync, sync};
use crate::store::{CurrentReport, Store};

/// At most one rebuild of a board in this interval.
pub const COALESCE: Duration = Duration::from_millis(100);

/// Who is looking: organisers see the live board through a freeze.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Viewer {
    Public,
    Organizer,
}

/// Which standings a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Audience {
    Live,
    /// The public board frozen at this instant (unix ms).
    Frozen(i64),
    Final,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ViewKey {
    competition: i64,
    board: Board,
    period: Period,
    audience: Audience,
}

/// Ranks at a day's close: code → rank (`None`: no snapshot).
type PreviousRanks = Option<Arc<HashMap<String, u32>>>;

/// The boards service; cheap to clone.
#[derive(Clone)]
pub struct Boards {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    ranking: Ranking,
    sync: RankingSync,
    catalog: Catalog,
    clock: SharedClock,
    views: RwLock<HashMap<ViewKey, Arc<BoardView>>>,
    /// Per competition: the ranking version its live views have caught up with.
    versions: Mutex<HashMap<String, watch::Sender<u64>>>,
    /// Snapshots read so far, per competition, board and the day the ranks
    /// are compared from.
    snapshots: Mutex<HashMap<(i64, Board, NaiveDate), PreviousRanks>>,
    /// Wakes the task before its next look.
    wake: Notify,
    /// A write reached the store but not the ranking: read the store again
    /// at once rather than at the next interval.
    reread: AtomicBool,
    /// How many times boards were read from the store while the ranking was away.
    store_reads: watch::Sender<u64>,
}

impl Boards {
    pub fn new(store: Store, sync: RankingSync, catalog: Catalog, clock: SharedClock) -> Boards {
        Boards {
            inner: Arc::new(Inner {
                store,
                ranking: sync.ranking().clone(),
                sync,
                catalog,
                clock,
                views: RwLock::default(),
                versions: Mutex::default(),
                snapshots: Mutex::default(),
                wake: Notify::new(),
                reread: AtomicBool::new(false),
                store_reads: watch::channel(0).0,
            }),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Starts the task that keeps live boards current (one per instance).
    pub fn spawn(&self) {
        tokio::spawn(engine::run(self.clone()));
    }

    /// The versions the live views of a competition have caught up with:
    /// a viewer is told of each (`GET /events`) once its boards are ready.
    pub fn subscribe(&self, slug: &str) -> watch::Receiver<u64> {
        self.version_sender(slug).subscribe()
    }

    fn version_sender(&self, slug: &str) -> watch::Sender<u64> {
        self.inner
            .versions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(slug.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .clone()
    }

    /// A report reached the store but not the ranking (it is away): boards
    /// are read from the store again at once.
    pub fn written_aside(&self) {
        self.inner.reread.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
    }

    /// Waits (a few seconds at most) until the live boards of a competition
    /// show every change the ranking had when this was called — or, while
    /// the ranking is away, every report the store had: what a test, or a
    /// command that writes and then reads, waits for.
    pub async fn settled(&self, slug: &str) {
        let live = self
            .inner
            .catalog
            .competition(Some(slug))
            .is_ok_and(|s| !s.record.is_final());
        if !live {
            // Final standings do not move.
            return;
        }
        if self.inner.sync.is_stale() {
            let mut reads = self.inner.store_reads.subscribe();
            let before = *reads.borrow_and_update();
            self.written_aside();
            let read = reads.wait_for(|n| *n > before);
            let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
            return;
        }
        let Ok(target) = self.inner.ranking.version(slug).await else {
            return;
        };
        let mut versions = self.subscribe(slug);
        let caught_up = versions.wait_for(|v| *v >= target);
        let _ = tokio::time::timeout(Duration::from_secs(10), caught_up).await;
    }

    /// Forgets the rank snapshots read so far: a day has just closed. The
    /// live whole-period views, whose rank changes compare with the close
    /// before, are made again (on request, and by the engine, woken here).
    pub fn forget_snapshots(&self) {
        self.inner
            .snapshots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.drop_views(|k| k.period == Period::Whole && k.audience == Audience::Live);
        self.inner.wake.notify_one();
    }

    fn cached(&self, key: &ViewKey) -> Option<Arc<BoardView>> {
        self.inner
            .views
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn keep(&self, key: ViewKey, view: Arc<BoardView>) {
        self.inner
            .views
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, view);
    }

    /// Drops the views a predicate picks (boards that must be made again).
    fn drop_views(&self, pick: impl Fn(&ViewKey) -> bool) {
        self.inner
            .views
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| !pick(k));
    }

    /// The board a viewer should see now.
    #[tracing::instrument(skip_all, fields(competition = %selected.record.competition.slug, %board, %period))]
    pub async fn view(
        &self,
        selected: &Selected,
        board: &Board,
        period: Period,
        viewer: Viewer,
    ) -> Result<Arc<BoardView>> {
        let competition = &selected.record.competition;
        if competition.board(board.as_str()).is_none() {
            return Err(AppError::NotFound(format!(
                "Không có bảng xếp hạng {:?}",
                board.as_str()
            )));
        }
        if let Period::Day(d) = period
            && !competition.contains(d)
        {
            return Err(AppError::field("day", "Ngày không thuộc thời gian thi đua"));
        }
        let audience = self.audience(selected, period, viewer);
        let key = ViewKey {
            competition: selected.record.id,
            board: board.clone(),
            period,
            audience,
        };
        if let Some(view) = self.cached(&key) {
            return Ok(view);
        }
        let view = Arc::new(self.make(selected, board, period, audience).await?);
        self.keep(key, view.clone());
        Ok(view)
    }

    fn audience(&self, selected: &Selected, period: Period, viewer: Viewer) -> Audience {
        let record = &selected.record;
        if record.is_final() && period == Period::Whole {
            return Audience::Final;
        }
        match (record.freeze_instant(self.now()), viewer, record.is_final()) {
            (Some(at), Viewer::Public, false) => Audience::Frozen(at.timestamp_millis()),
            _ => Audience::Live,
        }
    }

    /// Makes a view from its source: the stored final standings, the
    /// reports as they were at the freeze, the ranking, or — while the
    /// ranking is stale or away — the store.
    async fn make(
        &self,
        selected: &Selected,
        board: &Board,
        period: Period,
        audience: Audience,
    ) -> Result<BoardView> {
        let id = selected.record.id;
        let store = &self.inner.store;
        match audience {
            Audience::Final => {
                if let Some(body) = store.final_board(id, board.as_str()).await? {
                    let board: Leaderboard =
                        serde_json::from_str(&body).map_err(|e| AppError::Internal(e.into()))?;
                    return Ok(view_of(&board));
                }
                // Final without stored standings (finalized by an older
                // version): the live computation, marked final.
                let reports = store.current_reports(id).await?;
                let built = self
                    .computed(selected, board, period, &reports, Status::Final, self.now())
                    .await;
                Ok(view_of(&built))
            }
            Audience::Frozen(ms) => {
                let at = crate::store::instant(ms);
                let reports = store.reports_as_of(id, at).await?;
                let built = self
                    .computed(selected, board, period, &reports, Status::Frozen, at)
                    .await;
                Ok(view_of(&built))
            }
            Audience::Live => {
                let now = self.now();
                let status = selected.record.status(now);
                if let Period::Day(day) = period
                    && !selected.record.competition.is_open_day(day, now)
                {
                    // A closed day's board: from its own reports in the store.
                    let reports = store.day_current_reports(id, day).await?;
                    let built = self
                        .computed(selected, board, period, &reports, status, now)
                        .await;
                    return Ok(view_of(&built));
                }
                if !self.inner.sync.is_stale() {
                    let slug = &selected.record.competition.slug;
                    let ranking = &self.inner.ranking;
                    if let (Ok(version), Ok(entries)) = (
                        ranking.version(slug).await,
                        ranking.board(slug, board, period).await,
                    ) {
                        let built = self
                            .build(
                                selected,
                                board,
                                period,
                                &entries,
                                version,
                                status,
                                self.now(),
                            )
                            .await;
                        return Ok(view_of(&built));
                    }
                }
                let reports = store.current_reports(id).await?;
                let built = self
                    .computed(selected, board, period, &reports, status, self.now())
                    .await;
                Ok(view_of(&built))
            }
        }
    }

    /// Ranks at the previous day's close, for rank changes on the whole board.
    async fn previous_ranks(
        &self,
        selected: &Selected,
        board: &Board,
        period: Period,
    ) -> PreviousRanks {
        if period != Period::Whole {
            return None;
        }
        let competition = &selected.record.competition;
        let today = competition
            .local_date(self.now())
            .min(competition.end_date + chrono::Duration::days(1));
        let key = (selected.record.id, board.clone(), today);
        if let Some(known) = self
            .inner
            .snapshots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return known.clone();
        }
        // Rank changes are an extra: without the database the board still
        // shows, and the snapshot is asked for again next time.
        match self
            .inner
            .store
            .snapshot_before(selected.record.id, board.as_str(), today)
            .await
        {
            Ok(found) => {
                let ranks = found
                    .and_then(|(_, body)| serde_json::from_str(&body).ok())
                    .map(Arc::new);
                self.inner
                    .snapshots
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, ranks.clone());
                ranks
            }
            Err(e) => {
                tracing::warn!(error = %e, "rank change snapshot unavailable");
                None
            }
        }
    }

    /// A board computed from reports read from the store.
    async fn computed(
        &self,
        selected: &Selected,
        board: &Board,
        period: Period,
        reports: &[CurrentReport],
        status: Status,
        as_of: DateTime<Utc>,
    ) -> Leaderboard {
        let entries = crate::cpu::heavy(|| {
            sync::period_entries(
                &selected.record.competition,
                &selected.units,
                reports,
                period,
            )
        });
        let version = self
            .inner
            .ranking
            .version(&selected.record.competition.slug)
            .await
            .unwrap_or(0);
        self.build(selected, board, period, &entries, version, status, as_of)
            .await
    }

    /// A board from its entries, with the rank changes since the last
    /// closed day.
    #[allow(clippy::too_many_arguments)]
    async fn build(
        &self,
        selected: &Selected,
        board: &Board,
        period: Period,
        entries: &[crate::ranking::Entry],
        version: u64,
        status: Status,
        as_of: DateTime<Utc>,
    ) -> Leaderboard {
        let previous = self.previous_ranks(selected, board, period).await;
        crate::cpu::heavy(|| {
            leaderboard::build(&BoardSpec {
                selected,
                board,
                period,
                entries,
                version,
                status,
                as_of,
                previous_ranks: previous.as_deref(),
            })
        })
    }

    /// The boards to store when finalizing: the whole-period board of each,
    /// computed from the store.
    pub async fn final_boards(&self, selected: &Selected) -> Result<Vec<(Board, Leaderboard)>> {
        let now = self.now();
        let reports = self.inner.store.current_reports(selected.record.id).await?;
        let mut boards = Vec::new();
        for board in selected.record.competition.boards() {
            let body = self
                .computed(
                    selected,
                    &board,
                    Period::Whole,
                    &reports,
                    Status::Final,
                    now,
                )
                .await;
            boards.push((board, body));
        }
        Ok(boards)
    }

    /// Every board of a competition for the whole period as an organiser
    /// sees it now: the final standings, else computed from the store (the
    /// truth, for exports and prints that must not lag behind a correction).
    pub async fn every_board(&self, selected: &Selected) -> Result<Vec<Leaderboard>> {
        if selected.record.is_final() {
            let mut boards = Vec::new();
            for board in selected.record.competition.boards() {
                let view = self
                    .view(selected, &board, Period::Whole, Viewer::Organizer)
                    .await?;
                boards.push(view.leaderboard());
            }
            return Ok(boards);
        }
        let reports = self.inner.store.current_reports(selected.record.id).await?;
        let status = selected.record.status(self.now());
        let mut boards = Vec::new();
        for board in selected.record.competition.boards() {
            boards.push(
                self.computed(
                    selected,
                    &board,
                    Period::Whole,
                    &reports,
                    status,
                    self.now(),
                )
                .await,
            );
        }
        Ok(boards)
    }
}

/// A live board's heading as of now.
fn heading<'a>(
    selected: &'a Selected,
    board: &'a Board,
    period: Period,
    version: u64,
    now: DateTime<Utc>,
) -> Heading<'a> {
    Heading {
        competition: &selected.record.competition,
        board,
        period,
        version,
        status: selected.record.status(now),
        as_of: now,
    }
}

/// A board's view (its JSON and pages encoded once), made off the runtime's
/// workers: at 10,000 units it is the longest thing a request can cause.
fn view_of(board: &Leaderboard) -> BoardView {
    crate::cpu::heavy(|| BoardView::from_leaderboard(board))
}
