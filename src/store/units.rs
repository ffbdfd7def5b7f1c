//! Units and their access tokens.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, millis};
use crate::units::UnitRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub competition_id: i64,
    pub code: String,
    pub name: String,
    pub group: String,
    pub parent: Option<String>,
    pub active: bool,
    pub has_token: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

const UNIT_COLUMNS: &str = "id, competition_id, code, name, group_code, parent, active, token_hash";

fn unit(row: &sqlx::any::AnyRow) -> sqlx::Result<Unit> {
    Ok(Unit {
        id: row.try_get("id")?,
        competition_id: row.try_get("competition_id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        group: row.try_get("group_code")?,
        parent: row.try_get("parent")?,
        active: row.try_get::<i64, _>("active")? != 0,
        has_token: row.try_get::<Option<String>, _>("token_hash")?.is_some(),
    })
}

impl Store {
    /// Adds new units and updates names, groups and the active flag of known
    /// ones, all in one transaction. Never deletes a unit.
    pub async fn import_units(
        &self,
        competition_id: i64,
        rows: &[UnitRow],
        now: DateTime<Utc>,
    ) -> sqlx::Result<ImportSummary> {
        self.import_units_with_progress(competition_id, rows, now, &mut || {})
            .await
    }

    /// [`Store::import_units`], calling `row_done` after each row (the
    /// command line's progress bar).
    pub async fn import_units_with_progress(
        &self,
        competition_id: i64,
        rows: &[UnitRow],
        now: DateTime<Utc>,
        row_done: &mut (dyn FnMut() + Send),
    ) -> sqlx::Result<ImportSummary> {
        let mut summary = ImportSummary::default();
        let mut tx = self.pool.begin().await?;
        for row in rows {
            row_done();
            let existing = sqlx::query(
                "SELECT name, group_code, parent, active FROM units WHERE competition_id = $1 AND code = $2",
            )
            .bind(competition_id)
            .bind(&row.code)
            .fetch_optional(&mut *tx)
            .await?;
            match existing {
                None => {
                    sqlx::query(
                        "INSERT INTO units (competition_id, code, name, group_code, parent, active, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                    )
                    .bind(competition_id)
                    .bind(&row.code)
                    .bind(&row.name)
                    .bind(&row.group)
                    .bind(&row.parent)
                    .bind(i64::from(row.active))
                    .bind(millis(now))
                    .execute(&mut *tx)
                    .await?;
                    summary.added += 1;
                }
                Some(old) => {
                    let same = old.try_get::<String, _>("name")? == row.name
                        && old.try_get::<String, _>("group_code")? == row.group
                        && old.try_get::<Option<String>, _>("parent")? == row.parent
                        && (old.try_get::<i64, _>("active")? != 0) == row.active;
                    if same {
                        summary.unchanged += 1;
                        continue;
                    }
                    sqlx::query(
                        "UPDATE units SET name = $1, group_code = $2, parent = $3, active = $4, updated_at = $5
                         WHERE competition_id = $6 AND code = $7",
                    )
                    .bind(&row.name)
                    .bind(&row.group)
                    .bind(&row.parent)
                    .bind(i64::from(row.active))
                    .bind(millis(now))
                    .bind(competition_id)
                    .bind(&row.code)
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    pub async fn units(&self, competition_id: i64) -> sqlx::Result<Vec<Unit>> {
        let sql =
            format!("SELECT {UNIT_COLUMNS} FROM units WHERE competition_id = $1 ORDER BY code");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(competition_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(unit)
            .collect()
    }

    pub async fn unit(&self, competition_id: i64, code: &str) -> sqlx::Result<Option<Unit>> {
        let sql =
            format!("SELECT {UNIT_COLUMNS} FROM units WHERE competition_id = $1 AND code = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(competition_id)
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(unit)
            .transpose()
    }

    /// The active unit a token belongs to. The hash is an index lookup; the
    /// token itself never reaches the database.
    pub async fn unit_by_token_hash(&self, hash: &str) -> sqlx::Result<Option<Unit>> {
        let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE token_hash = $1 AND active = 1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(unit)
            .transpose()
    }

    /// Gives units new access tokens (unit id → token hash) and ends their
    /// web sessions, in one transaction: an old code stops working at once,
    /// for the API and for a form that is already open.
    pub async fn rotate_unit_tokens(
        &self,
        hashes: &[(i64, String)],
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        self.rotate_unit_tokens_with_progress(hashes, now, &mut || {})
            .await
    }

    /// [`Store::rotate_unit_tokens`], calling `unit_done` after each unit.
    pub async fn rotate_unit_tokens_with_progress(
        &self,
        hashes: &[(i64, String)],
        now: DateTime<Utc>,
        unit_done: &mut (dyn FnMut() + Send),
    ) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        for (unit_id, hash) in hashes {
            unit_done();
            sqlx::query("UPDATE units SET token_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(millis(now))
                .bind(unit_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE unit_id = $1")
                .bind(unit_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }
}
