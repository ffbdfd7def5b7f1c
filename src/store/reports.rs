//! Daily reports, their revisions, and idempotency keys.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Backend, Store, day_text, instant, millis, parse_day};

/// Counter key → value, as posted and stored.
pub type Counters = BTreeMap<String, u64>;

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
    /// `unit`, `admin` or `import`.
    pub actor_kind: &'static str,
    pub actor: String,
    pub reason: Option<String>,
    pub address: Option<String>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub report_id: i64,
    pub revision: i64,
    /// The first report for that day.
    pub created: bool,
    /// Identical to the current revision: nothing was written.
    pub unchanged: bool,
    pub late: bool,
}

/// A response stored under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved(Saved),
    /// The key was used before with the same request.
    Replay(StoredResponse),
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
    pub actor_kind: String,
    pub actor: String,
    pub reason: Option<String>,
    pub address: Option<String>,
    pub late: bool,
    pub created_at: DateTime<Utc>,
}

fn counters(text: &str) -> sqlx::Result<Counters> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(e.into()))
}

impl Store {
    /// Writes a report as a new revision, in one transaction with its
    /// idempotency key. Nothing is written for identical figures.
    pub async fn save_report(
        &self,
        report: &NewReport,
        response: impl FnOnce(&Saved) -> StoredResponse,
    ) -> sqlx::Result<SaveOutcome> {
        let mut tx = self.begin_write().await?;
        if let Some(key) = &report.idempotency {
            let seen = sqlx::query(
                "SELECT request_hash, status, body FROM idempotency_keys WHERE principal = $1 AND key = $2",
            )
            .bind(&key.principal)
            .bind(&key.key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = seen {
                let hash: String = row.try_get("request_hash")?;
                if hash != key.request_hash {
                    return Ok(SaveOutcome::KeyConflict);
                }
                return Ok(SaveOutcome::Replay(StoredResponse {
                    status: row.try_get::<i64, _>("status")? as u16,
                    body: row.try_get("body")?,
                }));
            }
        }
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let current = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, revision, counters, late FROM reports WHERE unit_id = $1 AND day = $2{lock}"
        )))
        .bind(report.unit_id)
        .bind(day_text(report.day))
        .fetch_optional(&mut *tx)
        .await?;
        let values =
            serde_json::to_string(&report.counters).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let corrected = i64::from(report.actor_kind != "unit");
        let saved = match current {
            Some(row) if counters(&row.try_get::<String, _>("counters")?)? == report.counters => {
                Saved {
                    report_id: row.try_get("id")?,
                    revision: row.try_get("revision")?,
                    created: false,
                    unchanged: true,
                    late: row.try_get::<i64, _>("late")? != 0,
                }
            }
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                let revision: i64 = row.try_get::<i64, _>("revision")? + 1;
                let late = row.try_get::<i64, _>("late")? != 0;
                sqlx::query(
                    "UPDATE reports SET revision = $1, counters = $2, corrected = MAX_OR(corrected, $3), updated_at = $4 WHERE id = $5"
                        .replace_max(self.backend),
                )
                .bind(revision)
                .bind(&values)
                .bind(corrected)
                .bind(millis(report.now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                Saved {
                    report_id: id,
                    revision,
                    created: false,
                    unchanged: false,
                    late,
                }
            }
            None => {
                let id: i64 = sqlx::query(
                    "INSERT INTO reports (competition_id, unit_id, day, revision, counters, late, corrected, created_at, updated_at)
                     VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(report.competition_id)
                .bind(report.unit_id)
                .bind(day_text(report.day))
                .bind(&values)
                .bind(i64::from(report.late))
                .bind(corrected)
                .bind(millis(report.now))
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
                Saved {
                    report_id: id,
                    revision: 1,
                    created: true,
                    unchanged: false,
                    late: report.late,
                }
            }
        };
        if !saved.unchanged {
            let revision_id: i64 = sqlx::query(
                "INSERT INTO revisions (report_id, revision, counters, note, actor_kind, actor, reason, address, late, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(saved.report_id)
            .bind(saved.revision)
            .bind(&values)
            .bind(&report.note)
            .bind(report.actor_kind)
            .bind(&report.actor)
            .bind(&report.reason)
            .bind(&report.address)
            .bind(i64::from(report.late))
            .bind(millis(report.now))
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            sqlx::query("UPDATE reports SET last_revision_id = $1 WHERE id = $2")
                .bind(revision_id)
                .bind(saved.report_id)
                .execute(&mut *tx)
                .await?;
            // An organiser's entry is audited in the same transaction: no
            // correction without its line in the log.
            if report.actor_kind != "unit" {
                let details = serde_json::json!({
                    "day": report.day, "revision": saved.revision, "counters": report.counters,
                });
                sqlx::query(
                    "INSERT INTO audit_log (competition_id, actor, action, target, reason, details, created_at)
                     VALUES ($1, $2, 'report.correct', $3, $4, $5, $6)",
                )
                .bind(report.competition_id)
                .bind(&report.actor)
                .bind(&report.unit_code)
                .bind(&report.reason)
                .bind(details.to_string())
                .bind(millis(report.now))
                .execute(&mut *tx)
                .await?;
            }
        }
        if let Some(key) = &report.idempotency {
            let stored = response(&saved);
            sqlx::query(
                "INSERT INTO idempotency_keys (principal, key, request_hash, status, body, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&key.principal)
            .bind(&key.key)
            .bind(&key.request_hash)
            .bind(i64::from(stored.status))
            .bind(&stored.body)
            .bind(millis(report.now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(SaveOutcome::Saved(saved))
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
        .bind(day.map(day_text).unwrap_or_default())
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
             WHERE r.competition_id = $1 AND v.actor_kind <> 'unit'
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
        day: parse_day(&row.try_get::<String, _>("day")?)
            .map_err(|e| sqlx::Error::Decode(e.into()))?,
        counters: counters(&row.try_get::<String, _>("counters")?)?,
        stamp: row.try_get("last_revision_id")?,
    })
}

fn report_row(row: &sqlx::any::AnyRow) -> sqlx::Result<ReportRow> {
    Ok(ReportRow {
        unit_id: row.try_get("unit_id")?,
        day: parse_day(&row.try_get::<String, _>("day")?)
            .map_err(|e| sqlx::Error::Decode(e.into()))?,
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
        day: parse_day(&row.try_get::<String, _>("day")?)
            .map_err(|e| sqlx::Error::Decode(e.into()))?,
        revision: row.try_get("revision")?,
        counters: counters(&row.try_get::<String, _>("counters")?)?,
        note: row.try_get("note")?,
        actor_kind: row.try_get("actor_kind")?,
        actor: row.try_get("actor")?,
        reason: row.try_get("reason")?,
        address: row.try_get("address")?,
        late: row.try_get::<i64, _>("late")? != 0,
        created_at: instant(row.try_get("created_at")?),
    })
}
