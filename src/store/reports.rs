//! Daily reports, their revisions, and idempotency keys.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Backend, Store, instant, millis};
use crate::audit::{Audit, AuditAction};
use crate::day;
use crate::report::{ActorKind, Counters, Writer};

/// What to write; the caller has already validated the figures.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub competition_id: i64,
    pub unit_id: i64,
    /// Names the unit in the audit log.
    pub unit_code: String,
    pub day: NaiveDate,
    pub counters: Counters,
    pub note: Option<String>,
    pub writer: Writer,
    /// Submitted after the day's deadline (only organisers can).
    pub late: bool,
    pub now: DateTime<Utc>,
    pub idempotency: Option<Idempotency>,
}

#[derive(Debug, Clone)]
pub struct Idempotency {
    pub principal: String,
    pub key: String,
    pub request_hash: String,
}

/// What a write did: the receipt of a report. An idempotency key stores it,
/// so that a retry is answered exactly as the first request was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    #[serde(default)]
    pub report_id: i64,
    pub day: NaiveDate,
    pub revision: i64,
    /// The first report for that day.
    #[serde(default)]
    pub created: bool,
    /// Identical to the current revision: nothing was written.
    pub unchanged: bool,
    pub late: bool,
    pub counters: Counters,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Written (or found unchanged), with the unit's current reports as the
    /// same transaction saw them: what its ranking entries are made from.
    Saved(Saved, Vec<CurrentReport>),
    /// The key was used before with the same request: its first receipt.
    Replay(Saved),
    /// The key was used before with a different request.
    KeyConflict,
}
/// A report's current revision, for scoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentReport {
    pub unit_id: i64,
    pub day: NaiveDate,
    pub counters: Counters,
    /// Increases with every write of the unit's figures; orders concurrent
    /// ranking updates.
    pub stamp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub unit_id: i64,
    pub day: NaiveDate,
    pub revision: i64,
    pub counters: Counters,
    pub late: bool,
    pub corrected: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRow {
    pub unit_id: i64,
    pub day: NaiveDate,
    pub revision: i64,
    pub counters: Counters,
    pub note: Option<String>,
    pub writer: Writer,
    pub late: bool,
    pub created_at: DateTime<Utc>,
}

/// A day as the store keeps it (`YYYY-MM-DD`).
pub(super) fn stored_day(text: &str) -> sqlx::Result<NaiveDate> {
    day::parse(text).ok_or_else(|| sqlx::Error::Decode(format!("bad stored day {text:?}").into()))
}

fn counters(text: &str) -> sqlx::Result<Counters> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// What a batch of reports did, kept under its idempotency key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchReceipt {
    pub reports: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Every report written (or found unchanged) in one transaction, with
    /// the current reports of the units concerned.
    Saved(Vec<Saved>, BatchReceipt, Vec<CurrentReport>),
    /// The key was used before with the same batch: its first receipt.
    Replay(BatchReceipt),
    /// The key was used before with a different batch.
    KeyConflict,
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// An earlier use of an idempotency key.
enum Seen {
    /// The same request: its stored answer, and whether it created.
    Same {
        body: String,
        created: bool,
    },
    Different,
}

async fn seen(tx: &mut Tx, key: &Idempotency) -> sqlx::Result<Option<Seen>> {
    let row = sqlx::query(
        "SELECT request_hash, created, body FROM idempotency_keys WHERE principal = $1 AND key = $2",
    )
    .bind(&key.principal)
    .bind(&key.key)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        if row.try_get::<String, _>("request_hash")? != key.request_hash {
            return Ok(Seen::Different);
        }
        Ok(Seen::Same {
            body: row.try_get("body")?,
            created: row.try_get::<i64, _>("created")? != 0,
        })
    })
    .transpose()
}

async fn keep_key(
    tx: &mut Tx,
    key: &Idempotency,
    created: bool,
    body: &impl Serialize,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let body = serde_json::to_string(body).map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query(
        "INSERT INTO idempotency_keys (principal, key, request_hash, created, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&key.principal)
    .bind(&key.key)
    .bind(&key.request_hash)
    .bind(i64::from(created))
    .bind(body)
    .bind(millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The current reports of some units, read in the transaction that wrote them.
async fn units_reports(tx: &mut Tx, unit_ids: &[i64]) -> sqlx::Result<Vec<CurrentReport>> {
    let mut reports = Vec::new();
    for chunk in unit_ids.chunks(500) {
        let places: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT unit_id, day, counters, last_revision_id FROM reports WHERE unit_id IN ({}) ORDER BY unit_id, day",
            places.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            reports.push(current_report(&row)?);
        }
    }
    Ok(reports)
}

/// Reports a batch writes in one statement: 500 rows of 10 values stay far
/// below both databases' limits on bound values.
const BATCH_ROWS: usize = 500;

/// `$from, $from+1, …` for `count` values.
fn places(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn counters_text(counters: &Counters) -> sqlx::Result<String> {
    serde_json::to_string(counters).map_err(|e| sqlx::Error::Encode(e.into()))
}

/// A report's row as a write finds it.
struct Current {
    id: i64,
    unit_id: i64,
    day: NaiveDate,
    revision: i64,
    counters: Counters,
    late: bool,
}

impl Current {
    fn read(row: &sqlx::any::AnyRow) -> sqlx::Result<Current> {
        Ok(Current {
            id: row.try_get("id")?,
            unit_id: row.try_get("unit_id")?,
            day: stored_day(&row.try_get::<String, _>("day")?)?,
            revision: row.try_get("revision")?,
            counters: counters(&row.try_get::<String, _>("counters")?)?,
            late: row.try_get::<i64, _>("late")? != 0,
        })
    }

    /// The same figures again: nothing is written.
    fn unchanged(&self, report: &NewReport) -> Saved {
        Saved {
            unchanged: true,
            ..Saved::new(report, self.id, self.revision, false, self.late)
        }
    }
}

impl Saved {
    fn new(report: &NewReport, report_id: i64, revision: i64, created: bool, late: bool) -> Saved {
        Saved {
            report_id,
            day: report.day,
            revision,
            created,
            unchanged: false,
            late,
            counters: report.counters.clone(),
            note: report.note.clone(),
        }
    }
}

/// An organiser's entry is audited in the same transaction: no correction
/// without its line in the log.
async fn audit_correction(tx: &mut Tx, report: &NewReport, saved: &Saved) -> sqlx::Result<()> {
    if !report.writer.kind.is_correction() {
        return Ok(());
    }
    let mut audit = Audit::new(AuditAction::ReportCorrect, &report.writer.actor)
        .competition(report.competition_id)
        .target(&report.unit_code)
        .details(&serde_json::json!({
            "day": report.day, "revision": saved.revision, "counters": report.counters,
        }));
    audit.reason = report.writer.reason.clone();
    super::audit::insert(tx, &audit, report.now).await
}

impl Store {
    /// Writes a report as a new revision, in one transaction with its
    /// idempotency key and, for an organiser's entry, its audit line.
    /// Nothing is written for identical figures.
    #[tracing::instrument(skip_all, fields(unit = %report.unit_code, day = %report.day))]
    pub async fn save_report(&self, report: &NewReport) -> sqlx::Result<SaveOutcome> {
        let mut tx = self.begin_write().await?;
        if let Some(key) = &report.idempotency {
            match seen(&mut tx, key).await? {
                Some(Seen::Different) => return Ok(SaveOutcome::KeyConflict),
                Some(Seen::Same { body, created }) => {
                    let mut first: Saved =
                        serde_json::from_str(&body).map_err(|e| sqlx::Error::Decode(e.into()))?;
                    first.created = created;
                    return Ok(SaveOutcome::Replay(first));
                }
                None => {}
            }
        }
        let saved = self.write(&mut tx, report).await?;
        if let Some(key) = &report.idempotency {
            keep_key(&mut tx, key, saved.created, &saved, report.now).await?;
        }
        let unit_reports = units_reports(&mut tx, &[report.unit_id]).await?;
        tx.commit().await?;
        Ok(SaveOutcome::Saved(saved, unit_reports))
    }

    /// Writes many reports in one transaction: all of them or none. `key`
    /// makes a retried batch return the first receipt.
    #[tracing::instrument(skip_all, fields(reports = reports.len()))]
    pub async fn save_batch(
        &self,
        reports: &[NewReport],
        key: Option<&Idempotency>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<BatchOutcome> {
        let mut tx = self.begin_write().await?;
        if let Some(key) = key {
            match seen(&mut tx, key).await? {
                Some(Seen::Different) => return Ok(BatchOutcome::KeyConflict),
                Some(Seen::Same { body, .. }) => {
                    let first =
                        serde_json::from_str(&body).map_err(|e| sqlx::Error::Decode(e.into()))?;
                    return Ok(BatchOutcome::Replay(first));
                }
                None => {}
            }
        }
        let mut receipt = BatchReceipt {
            reports: reports.len(),
            ..BatchReceipt::default()
        };
        let saved = self.write_batch(&mut tx, reports).await?;
        for s in &saved {
            if s.unchanged {
                receipt.unchanged += 1;
            } else if s.created {
                receipt.created += 1;
            } else {
                receipt.updated += 1;
            }
        }
        if let Some(key) = key {
            keep_key(&mut tx, key, receipt.created > 0, &receipt, now).await?;
        }
        let mut units: Vec<i64> = reports.iter().map(|r| r.unit_id).collect();
        units.sort_unstable();
        units.dedup();
        let unit_reports = units_reports(&mut tx, &units).await?;
        tx.commit().await?;
        Ok(BatchOutcome::Saved(saved, receipt, unit_reports))
    }

    /// One report inside a write transaction: a new revision, or nothing
    /// for identical figures; a correction's audit line beside it.
    async fn write(&self, tx: &mut Tx, report: &NewReport) -> sqlx::Result<Saved> {
        let lock = self.row_lock();
        let current = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, unit_id, day, revision, counters, late FROM reports WHERE unit_id = $1 AND day = $2{lock}"
        )))
        .bind(report.unit_id)
        .bind(day::text(report.day))
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| Current::read(&row))
        .transpose()?;
        let values = counters_text(&report.counters)?;
        let saved = match current {
            Some(current) if current.counters == report.counters => current.unchanged(report),
            Some(current) => self.update(tx, report, &current, &values).await?,
            None => {
                let id: i64 = sqlx::query(
                    "INSERT INTO reports (competition_id, unit_id, day, revision, counters, late, corrected, created_at, updated_at)
                     VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(report.competition_id)
                .bind(report.unit_id)
                .bind(day::text(report.day))
                .bind(&values)
                .bind(i64::from(report.late))
                .bind(i64::from(report.writer.kind.is_correction()))
                .bind(millis(report.now))
                .fetch_one(&mut **tx)
                .await?
                .try_get("id")?;
                Saved::new(report, id, 1, true, report.late)
            }
        };
        if saved.unchanged {
            return Ok(saved);
        }
        let revision_id: i64 = sqlx::query(
            "INSERT INTO revisions (report_id, revision, counters, note, actor_kind, actor, reason, address, late, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(saved.report_id)
        .bind(saved.revision)
        .bind(&values)
        .bind(&report.note)
        .bind(report.writer.kind.as_str())
        .bind(&report.writer.actor)
        .bind(&report.writer.reason)
        .bind(&report.writer.address)
        .bind(i64::from(report.late))
        .bind(millis(report.now))
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
        sqlx::query("UPDATE reports SET last_revision_id = $1 WHERE id = $2")
            .bind(revision_id)
            .bind(saved.report_id)
            .execute(&mut **tx)
            .await?;
        audit_correction(tx, report, &saved).await?;
        Ok(saved)
    }

    /// The reports of a batch inside its write transaction, a few hundred
    /// at a time: one read of their current rows, one multi-row insert of
    /// the new reports and one of the revisions, one update of the rows'
    /// last revision — instead of four statements a report. Changed figures
    /// of an existing report are one update each. Same rows, same receipts
    /// as `write` one report after the other.
    async fn write_batch(&self, tx: &mut Tx, reports: &[NewReport]) -> sqlx::Result<Vec<Saved>> {
        let mut saved = Vec::with_capacity(reports.len());
        for chunk in reports.chunks(BATCH_ROWS) {
            saved.extend(self.write_chunk(tx, chunk).await?);
        }
        Ok(saved)
    }

    async fn write_chunk(&self, tx: &mut Tx, reports: &[NewReport]) -> sqlx::Result<Vec<Saved>> {
        // The current rows: the chunk's units on the chunk's days (a batch
        // is usually one day), then matched by unit and day.
        let mut days: Vec<String> = reports.iter().map(|r| day::text(r.day)).collect();
        days.sort_unstable();
        days.dedup();
        let sql = format!(
            "SELECT id, unit_id, day, revision, counters, late FROM reports WHERE unit_id IN ({}) AND day IN ({}){}",
            places(1, reports.len()),
            places(reports.len() + 1, days.len()),
            self.row_lock()
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for report in reports {
            query = query.bind(report.unit_id);
        }
        for day in &days {
            query = query.bind(day.clone());
        }
        let mut current: HashMap<(i64, NaiveDate), Current> = HashMap::new();
        for row in query.fetch_all(&mut **tx).await? {
            let row = Current::read(&row)?;
            current.insert((row.unit_id, row.day), row);
        }

        let values = reports
            .iter()
            .map(|r| counters_text(&r.counters))
            .collect::<sqlx::Result<Vec<_>>>()?;
        let mut saved: Vec<Option<Saved>> = vec![None; reports.len()];
        let mut new = Vec::new();
        for (i, report) in reports.iter().enumerate() {
            saved[i] = match current.get(&(report.unit_id, report.day)) {
                Some(c) if c.counters == report.counters => Some(c.unchanged(report)),
                Some(c) => Some(self.update(tx, report, c, &values[i]).await?),
                None => {
                    new.push(i);
                    None
                }
            };
        }

        // The new reports, in one statement.
        if !new.is_empty() {
            let rows: Vec<String> = (0..new.len())
                .map(|k| {
                    let p = 7 * k;
                    format!(
                        "(${}, ${}, ${}, 1, ${}, ${}, ${}, ${}, ${})",
                        p + 1,
                        p + 2,
                        p + 3,
                        p + 4,
                        p + 5,
                        p + 6,
                        p + 7,
                        p + 7
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO reports (competition_id, unit_id, day, revision, counters, late, corrected, created_at, updated_at)
                 VALUES {} RETURNING id, unit_id, day",
                rows.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for &i in &new {
                let report = &reports[i];
                query = query
                    .bind(report.competition_id)
                    .bind(report.unit_id)
                    .bind(day::text(report.day))
                    .bind(values[i].clone())
                    .bind(i64::from(report.late))
                    .bind(i64::from(report.writer.kind.is_correction()))
                    .bind(millis(report.now));
            }
            let mut ids: HashMap<(i64, NaiveDate), i64> = HashMap::new();
            for row in query.fetch_all(&mut **tx).await? {
                let key = (
                    row.try_get("unit_id")?,
                    stored_day(&row.try_get::<String, _>("day")?)?,
                );
                ids.insert(key, row.try_get("id")?);
            }
            for &i in &new {
                let report = &reports[i];
                let id = *ids.get(&(report.unit_id, report.day)).ok_or_else(|| {
                    sqlx::Error::Protocol("an inserted report was not returned".into())
                })?;
                saved[i] = Some(Saved::new(report, id, 1, true, report.late));
            }
        }
        let saved: Vec<Saved> = saved.into_iter().flatten().collect();

        // A revision for each report written, in one statement.
        let written: Vec<usize> = (0..reports.len())
            .filter(|&i| !saved[i].unchanged)
            .collect();
        if written.is_empty() {
            return Ok(saved);
        }
        let rows: Vec<String> = (0..written.len())
            .map(|k| {
                let p = 10 * k;
                let cells: Vec<String> = (1..=10).map(|c| format!("${}", p + c)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO revisions (report_id, revision, counters, note, actor_kind, actor, reason, address, late, created_at)
             VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for &i in &written {
            let report = &reports[i];
            query = query
                .bind(saved[i].report_id)
                .bind(saved[i].revision)
                .bind(values[i].clone())
                .bind(report.note.clone())
                .bind(report.writer.kind.as_str())
                .bind(report.writer.actor.clone())
                .bind(report.writer.reason.clone())
                .bind(report.writer.address.clone())
                .bind(i64::from(report.late))
                .bind(millis(report.now));
        }
        query.execute(&mut **tx).await?;
        // Each row points at the revision just written: the one whose
        // number is the row's.
        let sql = format!(
            "UPDATE reports SET last_revision_id = (SELECT v.id FROM revisions v WHERE v.report_id = reports.id AND v.revision = reports.revision) WHERE id IN ({})",
            places(1, written.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for &i in &written {
            query = query.bind(saved[i].report_id);
        }
        query.execute(&mut **tx).await?;
        for &i in &written {
            audit_correction(tx, &reports[i], &saved[i]).await?;
        }
        Ok(saved)
    }

    /// New figures for an existing report: its next revision number.
    async fn update(
        &self,
        tx: &mut Tx,
        report: &NewReport,
        current: &Current,
        values: &str,
    ) -> sqlx::Result<Saved> {
        let revision = current.revision + 1;
        sqlx::query(
            "UPDATE reports SET revision = $1, counters = $2, corrected = MAX_OR(corrected, $3), updated_at = $4 WHERE id = $5"
                .replace_max(self.backend),
        )
        .bind(revision)
        .bind(values)
        .bind(i64::from(report.writer.kind.is_correction()))
        .bind(millis(report.now))
        .bind(current.id)
        .execute(&mut **tx)
        .await?;
        Ok(Saved::new(
            report,
            current.id,
            revision,
            false,
            current.late,
        ))
    }

    /// Rows read to be written are locked until the transaction ends
    /// (PostgreSQL; SQLite's write transaction holds the database).
    fn row_lock(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Current revisions of every report of a competition.
    pub async fn current_reports(&self, competition_id: i64) -> sqlx::Result<Vec<CurrentReport>> {
        sqlx::query(
            "SELECT unit_id, day, counters, last_revision_id FROM reports WHERE competition_id = $1",
        )
        .bind(competition_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(current_report)
        .collect()
    }

    /// Current revisions of the reports of one day of a competition.
    pub async fn day_current_reports(
        &self,
        competition_id: i64,
        day: NaiveDate,
    ) -> sqlx::Result<Vec<CurrentReport>> {
        sqlx::query(
            "SELECT unit_id, day, counters, last_revision_id FROM reports WHERE competition_id = $1 AND day = $2",
        )
        .bind(competition_id)
        .bind(day::text(day))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(current_report)
        .collect()
    }

    /// Current revisions of one unit's reports.
    pub async fn unit_current_reports(&self, unit_id: i64) -> sqlx::Result<Vec<CurrentReport>> {
        sqlx::query(
            "SELECT unit_id, day, counters, last_revision_id FROM reports WHERE unit_id = $1 ORDER BY day",
        )
        .bind(unit_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(current_report)
        .collect()
    }

    /// The revisions that were current at `at`: what the board showed then.
    pub async fn reports_as_of(
        &self,
        competition_id: i64,
        at: DateTime<Utc>,
    ) -> sqlx::Result<Vec<CurrentReport>> {
        sqlx::query(
            "SELECT r.unit_id, r.day, v.counters, v.id AS last_revision_id
             FROM revisions v JOIN reports r ON r.id = v.report_id
             WHERE r.competition_id = $1 AND v.created_at <= $2
               AND v.revision = (SELECT MAX(w.revision) FROM revisions w
                                 WHERE w.report_id = v.report_id AND w.created_at <= $2)",
        )
        .bind(competition_id)
        .bind(millis(at))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(current_report)
        .collect()
    }

    pub async fn reports(&self, competition_id: i64) -> sqlx::Result<Vec<ReportRow>> {
        sqlx::query(
            "SELECT unit_id, day, revision, counters, late, corrected, created_at, updated_at
             FROM reports WHERE competition_id = $1 ORDER BY unit_id, day",
        )
        .bind(competition_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(report_row)
        .collect()
    }

    pub async fn unit_reports(&self, unit_id: i64) -> sqlx::Result<Vec<ReportRow>> {
        sqlx::query(
            "SELECT unit_id, day, revision, counters, late, corrected, created_at, updated_at
             FROM reports WHERE unit_id = $1 ORDER BY day",
        )
        .bind(unit_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(report_row)
        .collect()
    }

    /// Every revision of a unit's reports (optionally one day), oldest first.
    pub async fn unit_revisions(
        &self,
        unit_id: i64,
        day: Option<NaiveDate>,
    ) -> sqlx::Result<Vec<RevisionRow>> {
        sqlx::query(
            "SELECT r.unit_id, r.day, v.revision, v.counters, v.note, v.actor_kind, v.actor, v.reason, v.address, v.late, v.created_at
             FROM revisions v JOIN reports r ON r.id = v.report_id
             WHERE r.unit_id = $1 AND ($2 = '' OR r.day = $2)
             ORDER BY r.day, v.revision",
        )
        .bind(unit_id)
        .bind(day.map(day::text).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(revision_row)
        .collect()
    }

    /// Revisions written by organisers (corrections and imports).
    pub async fn corrections(&self, competition_id: i64) -> sqlx::Result<Vec<RevisionRow>> {
        sqlx::query(
            "SELECT r.unit_id, r.day, v.revision, v.counters, v.note, v.actor_kind, v.actor, v.reason, v.address, v.late, v.created_at
             FROM revisions v JOIN reports r ON r.id = v.report_id
             WHERE r.competition_id = $1 AND v.actor_kind IN ('organizer', 'import')
             ORDER BY v.created_at, v.id",
        )
        .bind(competition_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(revision_row)
        .collect()
    }
}

trait ReplaceMax {
    fn replace_max(self, backend: Backend) -> sqlx::AssertSqlSafe<String>;
}

impl ReplaceMax for &str {
    /// The two-argument maximum is `MAX` in SQLite and `GREATEST` in PostgreSQL.
    fn replace_max(self, backend: Backend) -> sqlx::AssertSqlSafe<String> {
        let f = match backend {
            Backend::Sqlite => "MAX",
            Backend::Postgres => "GREATEST",
        };
        sqlx::AssertSqlSafe(self.replace("MAX_OR", f))
    }
}

fn current_report(row: &sqlx::any::AnyRow) -> sqlx::Result<CurrentReport> {
    Ok(CurrentReport {
        unit_id: row.try_get("unit_id")?,
        day: stored_day(&row.try_get::<String, _>("day")?)?,
        counters: counters(&row.try_get::<String, _>("counters")?)?,
        stamp: row.try_get("last_revision_id")?,
    })
}

fn report_row(row: &sqlx::any::AnyRow) -> sqlx::Result<ReportRow> {
    Ok(ReportRow {
        unit_id: row.try_get("unit_id")?,
        day: stored_day(&row.try_get::<String, _>("day")?)?,
        revision: row.try_get("revision")?,
        counters: counters(&row.try_get::<String, _>("counters")?)?,
        late: row.try_get::<i64, _>("late")? != 0,
        corrected: row.try_get::<i64, _>("corrected")? != 0,
        created_at: instant(row.try_get("created_at")?),
        updated_at: instant(row.try_get("updated_at")?),
    })
}

fn revision_row(row: &sqlx::any::AnyRow) -> sqlx::Result<RevisionRow> {
    Ok(RevisionRow {
        unit_id: row.try_get("unit_id")?,
        day: stored_day(&row.try_get::<String, _>("day")?)?,
        revision: row.try_get("revision")?,
        counters: counters(&row.try_get::<String, _>("counters")?)?,
        note: row.try_get("note")?,
        writer: Writer {
            kind: ActorKind::parse(&row.try_get::<String, _>("actor_kind")?)
                .ok_or_else(|| sqlx::Error::Decode("unknown actor kind".into()))?,
            actor: row.try_get("actor")?,
            reason: row.try_get("reason")?,
            address: row.try_get("address")?,
        },
        late: row.try_get::<i64, _>("late")? != 0,
        created_at: instant(row.try_get("created_at")?),
    })
}
