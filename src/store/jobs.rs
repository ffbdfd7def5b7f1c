//! Scheduled jobs: once-only runs, what each day's close found, and the
//! daily reminders.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::reports::stored_day;
use super::{Store, instant, millis};
use crate::day;

/// What closing a day found: who never reported, who reported late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayClosing {
    pub day: NaiveDate,
    pub missing: Vec<String>,
    pub late: Vec<String>,
    pub closed_at: DateTime<Utc>,
}

/// The units that had not reported when a day's reminder ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub day: NaiveDate,
    pub missing: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// `sent`, `failed: …`, `no webhook`, or none while delivery is pending.
    pub delivery: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

fn codes(text: &str) -> sqlx::Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(e.into()))
}

fn codes_text(codes: &[String]) -> sqlx::Result<String> {
    serde_json::to_string(codes).map_err(|e| sqlx::Error::Encode(e.into()))
}

impl Store {
    /// Claims a job run for this instance. The primary key makes the claim
    /// once-only across instances; a claim left unfinished for longer than
    /// `lease` (its instance died mid-run) can be taken over.
    pub async fn claim_job(
        &self,
        job: &str,
        run_key: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> sqlx::Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO job_runs (job, run_key, ran_at) VALUES ($1, $2, $3)
             ON CONFLICT (job, run_key) DO NOTHING",
        )
        .bind(job)
        .bind(run_key)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() > 0 {
            return Ok(true);
        }
        let taken = sqlx::query(
            "UPDATE job_runs SET ran_at = $3
             WHERE job = $1 AND run_key = $2 AND finished_at IS NULL AND ran_at < $4",
        )
        .bind(job)
        .bind(run_key)
        .bind(millis(now))
        .bind(millis(now - lease))
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() > 0)
    }

    pub async fn finish_job(
        &self,
        job: &str,
        run_key: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query("UPDATE job_runs SET finished_at = $3 WHERE job = $1 AND run_key = $2")
            .bind(job)
            .bind(run_key)
            .bind(millis(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives up an unfinished claim so that the next tick tries again.
    pub async fn release_job(&self, job: &str, run_key: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM job_runs WHERE job = $1 AND run_key = $2 AND finished_at IS NULL")
            .bind(job)
            .bind(run_key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The run keys of the given jobs that are finished or still held by a
    /// live claim (taken after `stale_before`): one read per scheduler tick
    /// instead of one per task. Stale claims are left out so that
    /// [`Store::claim_job`] can take them over.
    pub async fn claimed_runs(
        &self,
        jobs: &[&str],
        stale_before: DateTime<Utc>,
    ) -> sqlx::Result<std::collections::HashSet<String>> {
        let mut keys = std::collections::HashSet::new();
        for job in jobs {
            let rows = sqlx::query(
                "SELECT run_key FROM job_runs WHERE job = $1 AND (finished_at IS NOT NULL OR ran_at >= $2)",
            )
            .bind(*job)
            .bind(millis(stale_before))
                .fetch_all(&self.pool)
                .await?;
            for r in rows {
                keys.insert(r.try_get("run_key")?);
            }
        }
        Ok(keys)
    }

    /// Forgets finished runs of a frequent job (reconciliation) older than
    /// `before`; their slots can never come round again.
    pub async fn prune_job_runs(&self, job: &str, before: DateTime<Utc>) -> sqlx::Result<u64> {
        let done = sqlx::query(
            "DELETE FROM job_runs WHERE job = $1 AND finished_at IS NOT NULL AND ran_at < $2",
        )
        .bind(job)
        .bind(millis(before))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Each unit that reported for `day`, with whether it was late.
    pub async fn day_reports(
        &self,
        competition_id: i64,
        day: NaiveDate,
    ) -> sqlx::Result<Vec<(i64, bool)>> {
        sqlx::query("SELECT unit_id, late FROM reports WHERE competition_id = $1 AND day = $2")
            .bind(competition_id)
            .bind(day::text(day))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("unit_id")?, r.try_get::<i64, _>("late")? != 0)))
            .collect()
    }

    /// Records a day's close once; a second close of the same day changes nothing.
    pub async fn save_day_closing(
        &self,
        competition_id: i64,
        closing: &DayClosing,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO day_closings (competition_id, day, missing, late, closed_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (competition_id, day) DO NOTHING",
        )
        .bind(competition_id)
        .bind(day::text(closing.day))
        .bind(codes_text(&closing.missing)?)
        .bind(codes_text(&closing.late)?)
        .bind(millis(closing.closed_at))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every closed day of a competition, oldest first.
    pub async fn day_closings(&self, competition_id: i64) -> sqlx::Result<Vec<DayClosing>> {
        sqlx::query(
            "SELECT day, missing, late, closed_at FROM day_closings WHERE competition_id = $1 ORDER BY day",
        )
        .bind(competition_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(DayClosing {
                day: stored_day(&r.try_get::<String, _>("day")?)?,
                missing: codes(&r.try_get::<String, _>("missing")?)?,
                late: codes(&r.try_get::<String, _>("late")?)?,
                closed_at: instant(r.try_get("closed_at")?),
            })
        })
        .collect()
    }

    pub async fn save_reminder(
        &self,
        competition_id: i64,
        day: NaiveDate,
        missing: &[String],
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO reminders (competition_id, day, missing, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (competition_id, day) DO UPDATE SET missing = excluded.missing, created_at = excluded.created_at",
        )
        .bind(competition_id)
        .bind(day::text(day))
        .bind(codes_text(missing)?)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_reminder_delivery(
        &self,
        competition_id: i64,
        day: NaiveDate,
        delivery: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE reminders SET delivery = $3, delivered_at = $4 WHERE competition_id = $1 AND day = $2",
        )
        .bind(competition_id)
        .bind(day::text(day))
        .bind(delivery)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The reminders of a competition, newest first: for the admin page.
    pub async fn reminders(&self, competition_id: i64) -> sqlx::Result<Vec<Reminder>> {
        sqlx::query(
            "SELECT day, missing, created_at, delivery, delivered_at FROM reminders
             WHERE competition_id = $1 ORDER BY day DESC",
        )
        .bind(competition_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Reminder {
                day: stored_day(&r.try_get::<String, _>("day")?)?,
                missing: codes(&r.try_get::<String, _>("missing")?)?,
                created_at: instant(r.try_get("created_at")?),
                delivery: r.try_get("delivery")?,
                delivered_at: r.try_get::<Option<i64>, _>("delivered_at")?.map(instant),
            })
        })
        .collect()
    }
}
