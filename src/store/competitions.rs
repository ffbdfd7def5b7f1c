//! Competitions and their groups.

use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, instant, millis};
use crate::competition::{Competition, CompetitionFile, CompetitionRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Created,
    Updated { rescore: bool },
    Unchanged,
}

impl Store {
    /// Creates or updates a competition from its file. Idempotent; changing
    /// counters or criteria once reports exist needs `force`.
    pub async fn apply_competition(
        &self,
        competition: &Competition,
        force: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<ApplyOutcome> {
        let definition = serde_json::to_string(&competition.file)?;
        let mut tx = self.pool.begin().await?;
        let existing = sqlx::query("SELECT id, definition FROM competitions WHERE slug = $1")
            .bind(&competition.slug)
            .fetch_optional(&mut *tx)
            .await?;
        let (id, outcome) = match existing {
            None => {
                let id: i64 = sqlx::query(
                    "INSERT INTO competitions (slug, definition, start_date, end_date, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                )
                .bind(&competition.slug)
                .bind(&definition)
                .bind(crate::day::text(competition.start_date))
                .bind(crate::day::text(competition.end_date))
                .bind(millis(now))
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
                (id, ApplyOutcome::Created)
            }
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                let old: String = row.try_get("definition")?;
                let old: CompetitionFile = serde_json::from_str(&old)?;
                if old == competition.file {
                    return Ok(ApplyOutcome::Unchanged);
                }
                let old = old.validate().context("stored definition is invalid")?;
                let rescore = old.scoring_differs(competition);
                if rescore && !force {
                    let reports: i64 =
                        sqlx::query("SELECT COUNT(*) AS n FROM reports WHERE competition_id = $1")
                            .bind(id)
                            .fetch_one(&mut *tx)
                            .await?
                            .try_get("n")?;
                    if reports > 0 {
                        bail!(
                            "competition {} already has {reports} reports: changing counters, criteria or tie-breakers needs --force (everything is re-scored)",
                            competition.slug
                        );
                    }
                }
                for counter in &old.counters {
                    if !competition.counters.iter().any(|c| c.key == counter.key) && !force {
                        bail!("counter {:?} would be removed: needs --force", counter.key);
                    }
                }
                sqlx::query(
                    "UPDATE competitions SET definition = $1, start_date = $2, end_date = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(&definition)
                .bind(crate::day::text(competition.start_date))
                .bind(crate::day::text(competition.end_date))
                .bind(millis(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                (id, ApplyOutcome::Updated { rescore })
            }
        };
        for (position, group) in competition.groups.iter().enumerate() {
            sqlx::query(
                "INSERT INTO groups (competition_id, code, name, position) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (competition_id, code) DO UPDATE SET name = excluded.name, position = excluded.position",
            )
            .bind(id)
            .bind(&group.code)
            .bind(&group.name)
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
        }
        let stale = sqlx::query("SELECT code FROM groups WHERE competition_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        for row in stale {
            let code: String = row.try_get("code")?;
            if competition.group(&code).is_some() {
                continue;
            }
            let units: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM units WHERE competition_id = $1 AND group_code = $2",
            )
            .bind(id)
            .bind(&code)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if units > 0 {
                bail!(
                    "group {code:?} still has {units} units: move them before removing the group"
                );
            }
            sqlx::query("DELETE FROM groups WHERE competition_id = $1 AND code = $2")
                .bind(id)
                .bind(&code)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    pub async fn competitions(&self) -> anyhow::Result<Vec<CompetitionRecord>> {
        let rows = sqlx::query(
            "SELECT id, definition, frozen_at, finalized_at FROM competitions ORDER BY start_date, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|row| record(&row)).collect()
    }

    pub async fn competition(&self, slug: &str) -> anyhow::Result<Option<CompetitionRecord>> {
        let row = sqlx::query(
            "SELECT id, definition, frozen_at, finalized_at FROM competitions WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| record(&r)).transpose()
    }

    /// Freezes the public board now (no effect if already frozen by hand).
    pub async fn freeze(&self, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE competitions SET frozen_at = $1 WHERE id = $2 AND frozen_at IS NULL",
        )
        .bind(millis(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records that final standings exist. Returns false if already final.
    /// `boards` are the final leaderboard bodies, stored in the same
    /// transaction so that "final" always comes with its standings.
    pub async fn finalize(
        &self,
        id: i64,
        boards: &[(String, String)],
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE competitions SET finalized_at = $1 WHERE id = $2 AND finalized_at IS NULL",
        )
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM final_standings WHERE competition_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (board, body) in boards {
            sqlx::query(
                "INSERT INTO final_standings (competition_id, board, body, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(board)
            .bind(body)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Re-opens a final (and frozen by hand) competition.
    pub async fn reopen(&self, id: i64) -> sqlx::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE competitions SET finalized_at = NULL, frozen_at = NULL WHERE id = $1 AND (finalized_at IS NOT NULL OR frozen_at IS NOT NULL)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM final_standings WHERE competition_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn final_board(&self, id: i64, board: &str) -> sqlx::Result<Option<String>> {
        let row = sqlx::query(
            "SELECT body FROM final_standings WHERE competition_id = $1 AND board = $2",
        )
        .bind(id)
        .bind(board)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("body")).transpose()
    }
}

fn record(row: &sqlx::any::AnyRow) -> anyhow::Result<CompetitionRecord> {
    let definition: String = row.try_get("definition")?;
    let file: CompetitionFile = serde_json::from_str(&definition)?;
    let competition = file.validate().context("stored definition is invalid")?;
    Ok(CompetitionRecord {
        id: row.try_get("id")?,
        competition: Arc::new(competition),
        frozen_at: row.try_get::<Option<i64>, _>("frozen_at")?.map(instant),
        finalized_at: row.try_get::<Option<i64>, _>("finalized_at")?.map(instant),
    })
}

impl Store {
    /// Ranks of a board at a day's close (code → rank), written once per day.
    pub async fn save_snapshot(
        &self,
        competition_id: i64,
        day: chrono::NaiveDate,
        board: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO board_snapshots (competition_id, day, board, body, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (competition_id, day, board) DO NOTHING",
        )
        .bind(competition_id)
        .bind(crate::day::text(day))
        .bind(board)
        .bind(body)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The newest snapshot of a board taken for a day before `before`.
    pub async fn snapshot_before(
        &self,
        competition_id: i64,
        board: &str,
        before: chrono::NaiveDate,
    ) -> sqlx::Result<Option<(chrono::NaiveDate, String)>> {
        let row = sqlx::query(
            "SELECT day, body FROM board_snapshots WHERE competition_id = $1 AND board = $2 AND day < $3
             ORDER BY day DESC LIMIT 1",
        )
        .bind(competition_id)
        .bind(board)
        .bind(crate::day::text(before))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let day: String = r.try_get("day")?;
            let day = super::reports::stored_day(&day)?;
            Ok((day, r.try_get("body")?))
        })
        .transpose()
    }
}
