//! What runs on a schedule (SPEC §11), each job a plain async function of
//! the state and its clock, so tests call them directly and move time.
//!
//! Once-only: a run is claimed by inserting `(job, run_key)` into `job_runs`;
//! only the instance whose insert succeeded does the work, on SQLite and
//! PostgreSQL alike, whatever the number of instances. A claim whose instance
//! died mid-run is taken over after [`LEASE`]; a run that failed gives its
//! claim back and is tried again at the next tick. The work itself is
//! idempotent too (snapshots and closings are insert-if-absent), so a
//! taken-over run cannot double anything that matters.
//!
//! [`run_due`] runs every job whose time has passed and that has not run:
//! at start-up that is the catch-up after downtime, and the scheduler calls it
//! every minute. Times are computed in each competition's time zone; the
//! scheduler only decides when to look.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::json;
use tokio_cron_scheduler::{Job, JobScheduler};
use tracing::Instrument;

use crate::audit::{Audit, AuditAction, SYSTEM};
use crate::catalog::Selected;
use crate::competition::{CompetitionRecord, Status, local_instant};
use crate::leaderboard::{self, BoardSpec};
use crate::ranking::{Period, sync};
use crate::state::AppState;
use crate::store::DayClosing;

/// How long a claimed run may stay unfinished before another instance may
/// take it over (longer than any job, webhook retries included).
pub const LEASE: Duration = Duration::minutes(10);

/// Reconciliation runs once per slot of this many minutes.
pub const RECONCILE_MINUTES: i64 = 5;

/// A scheduled task of one competition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Close a competition day at its deadline.
    CloseDay(NaiveDate),
    /// Remind the units that have not reported that day.
    Remind(NaiveDate),
    /// Record that the public board froze at `freeze_at` (the instant is
    /// part of the key: a competition file moving `freeze_at` gets a new run).
    Freeze(DateTime<Utc>),
    /// Finalize at the last deadline (`auto_finalize`).
    Finalize,
}

impl Task {
    pub fn job(&self) -> &'static str {
        match self {
            Task::CloseDay(_) => "close",
            Task::Remind(_) => "remind",
            Task::Freeze(_) => "freeze",
            Task::Finalize => "finalize",
        }
    }

    /// The once-only key, e.g. `close:lang-son-2025:2025-10-06`.
    pub fn run_key(&self, slug: &str) -> String {
        match self {
            Task::CloseDay(d) | Task::Remind(d) => format!("{}:{slug}:{d}", self.job()),
            Task::Freeze(at) => format!(
                "{}:{slug}:{}",
                self.job(),
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            Task::Finalize => format!("{}:{slug}", self.job()),
        }
    }
}

/// A task and the instant it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub at: DateTime<Utc>,
    pub task: Task,
}

/// The local time of the daily reminder, from `THIDUA_REMINDER_AT`.
pub fn reminder_time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").unwrap_or_else(|_| {
        tracing::warn!(value = %text, "THIDUA_REMINDER_AT is not HH:MM; using 16:00");
        NaiveTime::from_hms_opt(16, 0, 0).unwrap_or(NaiveTime::MIN)
    })
}

/// Every task of a competition with its instant, in the order they run:
/// a day closes before the competition is finalized at the same instant.
pub fn schedule(record: &CompetitionRecord, reminder_at: NaiveTime) -> Vec<Scheduled> {
    let c = &record.competition;
    let mut tasks = Vec::new();
    for day in c.days() {
        tasks.push(Scheduled {
            at: local_instant(c.timezone, day.and_time(reminder_at)),
            task: Task::Remind(day),
        });
        tasks.push(Scheduled {
            at: c.deadline(day),
            task: Task::CloseDay(day),
        });
    }
    if let Some(at) = c.freeze_at {
        tasks.push(Scheduled {
            at,
            task: Task::Freeze(at),
        });
    }
    if c.auto_finalize {
        tasks.push(Scheduled {
            at: c.last_deadline(),
            task: Task::Finalize,
        });
    }
    let order = |t: &Task| match t {
        Task::Remind(_) => 0,
        Task::CloseDay(_) => 1,
        Task::Freeze(_) => 2,
        Task::Finalize => 3,
    };
    tasks.sort_by_key(|s| (s.at, order(&s.task)));
    tasks
}

/// The tasks whose time has come at `now`. A reminder is caught up only on
/// its own day: after midnight it would wake people for "today" wrongly.
pub fn due(record: &CompetitionRecord, reminder_at: NaiveTime, now: DateTime<Utc>) -> Vec<Task> {
    let c = &record.competition;
    schedule(record, reminder_at)
        .into_iter()
        .filter(|s| s.at <= now)
        .filter(|s| match s.task {
            Task::Remind(day) => {
                c.local_date(now) == day && now < c.deadline(day) && !record.is_final()
            }
            Task::Finalize => !record.is_final(),
            _ => true,
        })
        .map(|s| s.task)
        .collect()
}

/// What one call of [`run_due`] did on this instance.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// Run keys this instance claimed and completed.
    pub ran: Vec<String>,
    /// Run keys that failed (given back, to be retried), with the reason.
    pub failed: Vec<(String, String)>,
}

/// Runs every due task of every competition that no instance has run yet.
pub async fn run_due(state: &AppState) -> RunReport {
    let reminder_at = reminder_time(&state.config().reminder_at);
    let mut report = RunReport::default();
    let claimed = match state
        .store()
        .claimed_runs(
            &["close", "remind", "freeze", "finalize"],
            state.now() - LEASE,
        )
        .await
    {
        Ok(c) => c,
        Err(e) => {
            report.failed.push(("*".into(), e.to_string()));
            return report;
        }
    };
    let ids: Vec<i64> = state.catalog().all().iter().map(|c| c.record.id).collect();
    for id in ids {
        let Some(selected) = state.catalog().competition_by_id(id) else {
            continue;
        };
        let slug = selected.record.competition.slug.clone();
        for task in due(&selected.record, reminder_at, state.now()) {
            let key = task.run_key(&slug);
            if claimed.contains(&key) {
                continue;
            }
            // Re-read: an earlier task (a close, finalize) may have reloaded it.
            let selected = state
                .catalog()
                .competition_by_id(id)
                .unwrap_or_else(|| selected.clone());
            match once(state, task.job(), &key, || run_task(state, &selected, task)).await {
                Ok(true) => report.ran.push(key),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(job = task.job(), run_key = %key, error = %e, "job failed; will retry");
                    report.failed.push((key, format!("{e:#}")));
                }
            }
        }
    }
    report
}

async fn run_task(state: &AppState, selected: &Selected, task: Task) -> anyhow::Result<()> {
    match task {
        Task::CloseDay(day) => close_day(state, selected, day).await.map(drop),
        Task::Remind(day) => remind(state, selected, day).await.map(drop),
        Task::Freeze(_) => record_freeze(state, selected).await,
        Task::Finalize => auto_finalize(state, selected).await.map(drop),
    }
}

/// Claims `(job, run_key)` and runs `work` if this instance won the claim.
/// Returns whether it ran here.
pub async fn once<F, Fut>(
    state: &AppState,
    job: &'static str,
    key: &str,
    work: F,
) -> anyhow::Result<bool>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    if !state
        .store()
        .claim_job(job, key, state.now(), LEASE)
        .await?
    {
        return Ok(false);
    }
    let span = tracing::info_span!("job", job, run_key = %key);
    match work().instrument(span).await {
        Ok(()) => {
            state.store().finish_job(job, key, state.now()).await?;
            crate::metrics::job_ran(job);
            tracing::info!(job, run_key = %key, "job done");
            Ok(true)
        }
        Err(e) => {
            crate::metrics::job_failed(job);
            if let Err(release) = state.store().release_job(job, key).await {
                tracing::warn!(job, run_key = %key, error = %release, "cannot give the claim back; it expires after the lease");
            }
            Err(e)
        }
    }
}

async fn audit(
    state: &AppState,
    selected: &Selected,
    action: AuditAction,
    details: &impl serde::Serialize,
) -> anyhow::Result<()> {
    let audit = Audit::new(action, SYSTEM)
        .competition(selected.record.id)
        .target(&selected.record.competition.slug)
        .details(details);
    state.store().audit(&audit, state.now()).await?;
    Ok(())
}

/// Closes a competition day: snapshots every board as it stood at the
/// deadline (whole period up to that day; `rank_change` compares against
/// it), and records which units never reported and which reported late.
pub async fn close_day(
    state: &AppState,
    selected: &Selected,
    day: NaiveDate,
) -> anyhow::Result<DayClosing> {
    let competition = &selected.record.competition;
    let id = selected.record.id;
    let deadline = competition.deadline(day);
    let now = state.now();
    // As of the deadline, so that a close caught up after downtime snapshots
    // what the board showed then, not later corrections.
    let reports: Vec<_> = state
        .store()
        .reports_as_of(id, deadline)
        .await?
        .into_iter()
        .filter(|r| r.day <= day)
        .collect();
    let whole = sync::period_entries(competition, &selected.units, &reports, Period::Whole);
    for board in competition.boards() {
        let built = leaderboard::build(&BoardSpec {
            selected,
            board: &board,
            period: Period::Whole,
            entries: &whole,
            version: 0,
            status: Status::Open,
            as_of: deadline,
            previous_ranks: None,
        });
        let ranks: BTreeMap<&str, u32> = built
            .entries
            .iter()
            .map(|e| (e.unit.code.as_str(), e.rank))
            .collect();
        state
            .store()
            .save_snapshot(
                id,
                day,
                board.as_str(),
                &serde_json::to_string(&ranks)?,
                now,
            )
            .await?;
    }
    let reported = state.store().day_reports(id, day).await?;
    let on_time: HashSet<i64> = reported.iter().filter(|r| !r.1).map(|r| r.0).collect();
    let late_ids: HashSet<i64> = reported.iter().filter(|r| r.1).map(|r| r.0).collect();
    let mut closing = DayClosing {
        day,
        missing: Vec::new(),
        late: Vec::new(),
        closed_at: now,
    };
    for unit in selected.active_units() {
        if late_ids.contains(&unit.id) {
            closing.late.push(unit.code.clone());
        } else if !on_time.contains(&unit.id) {
            closing.missing.push(unit.code.clone());
        }
    }
    state.store().save_day_closing(id, &closing).await?;
    audit(
        state,
        selected,
        AuditAction::DayClose,
        &json!({"day": day, "missing": closing.missing.len(), "late": closing.late.len()}),
    )
    .await?;
    tracing::info!(competition = %competition.slug, %day, missing = closing.missing.len(), late = closing.late.len(), "day closed");
    // Rendered boards carry rank changes against the previous close.
    state.boards().forget_snapshots();
    state.catalog().reload().await?;
    Ok(closing)
}

/// The daily reminder: stores the units that have not reported `day` yet
/// (the admin page lists them) and posts them to the webhook, if any.
pub async fn remind(
    state: &AppState,
    selected: &Selected,
    day: NaiveDate,
) -> anyhow::Result<Vec<String>> {
    let competition = &selected.record.competition;
    let id = selected.record.id;
    let reported: HashSet<i64> = state
        .store()
        .day_reports(id, day)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    let missing: Vec<_> = selected
        .active_units()
        .filter(|u| !reported.contains(&u.id))
        .collect();
    let codes: Vec<String> = missing.iter().map(|u| u.code.clone()).collect();
    state
        .store()
        .save_reminder(id, day, &codes, state.now())
        .await?;
    let Some(url) = state.config().webhook_url.as_deref() else {
        state
            .store()
            .set_reminder_delivery(id, day, "no webhook", state.now())
            .await?;
        return Ok(codes);
    };
    let body = json!({
        "event": "reminder",
        "competition": {"slug": competition.slug, "name": competition.name, "organizer": competition.organizer},
        "day": day,
        "deadline": competition.deadline(day).with_timezone(&competition.timezone).to_rfc3339(),
        "count": missing.len(),
        "missing": missing.iter().map(|u| json!({"code": u.code, "name": u.name, "group": u.group})).collect::<Vec<_>>(),
    });
    let delivery = match deliver(url, &body, 5, StdDuration::from_secs(1)).await {
        Ok(attempts) => {
            tracing::info!(%day, attempts, "reminder delivered");
            "sent".to_string()
        }
        Err(e) => {
            tracing::warn!(%day, error = %e, "reminder webhook failed");
            format!("failed: {e}")
        }
    };
    state
        .store()
        .set_reminder_delivery(id, day, &delivery, state.now())
        .await?;
    Ok(codes)
}

/// Posts JSON to a webhook, retrying with exponential backoff (`first_delay`,
/// twice that, …) on network errors and 5xx/429. Returns the attempts used.
/// A webhook failure never fails the job: the reminder is stored anyway.
pub async fn deliver(
    url: &str,
    body: &(impl serde::Serialize + Sync),
    attempts: u32,
    first_delay: StdDuration,
) -> Result<u32, String> {
    let client = reqwest::Client::builder()
        .timeout(StdDuration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let mut delay = first_delay;
    let mut last = String::new();
    for attempt in 1..=attempts.max(1) {
        match client.post(url).json(body).send().await {
            Ok(r) if r.status().is_success() => return Ok(attempt),
            Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                last = format!("HTTP {}", r.status().as_u16());
            }
            // The receiver refuses the request itself: retrying cannot help.
            Ok(r) => return Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) => last = e.without_url().to_string(),
        }
        if attempt < attempts {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
    Err(format!("{last} after {attempts} attempts"))
}

/// `freeze_at` has passed: the public board is frozen by definition
/// (`CompetitionRecord::freeze_instant`); this records the event once.
pub async fn record_freeze(state: &AppState, selected: &Selected) -> anyhow::Result<()> {
    let at = selected.record.competition.freeze_at;
    audit(
        state,
        selected,
        AuditAction::CompetitionFreeze,
        &json!({"freeze_at": at}),
    )
    .await?;
    state.catalog().reload().await?;
    Ok(())
}

/// Finalizes at the last deadline. Returns false if it already was final.
pub async fn auto_finalize(state: &AppState, selected: &Selected) -> anyhow::Result<bool> {
    state.catalog().reload().await?;
    let fresh = state
        .catalog()
        .competition_by_id(selected.record.id)
        .context("competition disappeared")?;
    Ok(state.lifecycle().finalize(&fresh, SYSTEM).await?)
}

/// Rebuilds the live ranking of every competition from the store, once per
/// slot cluster-wide. Returns the drift, or `None` if another instance had
/// the slot.
pub async fn reconcile(state: &AppState) -> anyhow::Result<Option<usize>> {
    let slot = state.now().timestamp() / (RECONCILE_MINUTES * 60);
    let key = format!("reconcile:{slot}");
    let mut drift = 0;
    let ran = once(state, "reconcile", &key, || async {
        for selected in state.catalog().all() {
            drift += rebuild_retrying(state, &selected).await?;
        }
        Ok(())
    })
    .await?;
    if !ran {
        return Ok(None);
    }
    crate::metrics::reconcile_drift(drift);
    if let Err(e) = state
        .store()
        .prune_job_runs("reconcile", state.now() - Duration::days(1))
        .await
    {
        tracing::debug!(error = %e, "old reconciliation runs not pruned");
    }
    if drift > 0 {
        tracing::warn!(
            drift,
            "reconciliation found the ranking out of step with the store; rebuilt"
        );
    } else {
        tracing::debug!("reconciliation: no drift");
    }
    Ok(Some(drift))
}

/// How often a reconciliation tries a competition's rebuild, and the wait
/// before the first retry (doubled each time).
const RECONCILE_TRIES: u32 = 4;
const RECONCILE_RETRY: StdDuration = StdDuration::from_millis(500);

/// One competition's rebuild, tried again on failure: after Redis
/// restarts, the first command on the old connection fails (`broken
/// pipe`) while the connection manager reconnects, and the next one
/// succeeds — without a retry the repair would wait for the next slot.
async fn rebuild_retrying(state: &AppState, selected: &Selected) -> anyhow::Result<usize> {
    let mut wait = RECONCILE_RETRY;
    let mut tries = 1;
    loop {
        match state.sync().rebuild(selected).await {
            Ok(drift) => return Ok(drift),
            Err(e) if tries < RECONCILE_TRIES => {
                tracing::info!(error = %e, tries, "reconciliation rebuild failed; trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
                tries += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Starts the scheduler: a catch-up now, then [`run_due`] every minute and
/// [`reconcile`] every few minutes, for as long as the process runs.
pub fn spawn_scheduler(state: AppState) {
    tokio::spawn(async move {
        let report = run_due(&state).await;
        if !report.ran.is_empty() {
            tracing::info!(ran = ?report.ran, "caught up on scheduled jobs");
        }
        match start(state).await {
            // The scheduler runs in its own tasks; keep its handle alive.
            Ok(scheduler) => {
                std::future::pending::<()>().await;
                drop(scheduler);
            }
            Err(e) => {
                tracing::error!(error = %e, "scheduler did not start; jobs run only at start-up")
            }
        }
    });
}

async fn start(state: AppState) -> anyhow::Result<JobScheduler> {
    let scheduler = JobScheduler::new().await?;
    let every_minute = state.clone();
    scheduler
        .add(Job::new_async("0 * * * * *", move |_, _| {
            let state = every_minute.clone();
            Box::pin(async move {
                let report = run_due(&state).await;
                for (key, e) in &report.failed {
                    tracing::warn!(run_key = %key, error = %e, "scheduled job failed");
                }
                if let Some(handle) = crate::metrics::install() {
                    handle.run_upkeep();
                }
            })
        })?)
        .await?;
    let reconciling = state.clone();
    scheduler
        .add(Job::new_async(
            format!("30 */{RECONCILE_MINUTES} * * * *"),
            move |_, _| {
                let state = reconciling.clone();
                Box::pin(async move {
                    if let Err(e) = reconcile(&state).await {
                        tracing::warn!(error = %e, "reconciliation failed");
                    }
                })
            },
        )?)
        .await?;
    scheduler.start().await?;
    Ok(scheduler)
}
