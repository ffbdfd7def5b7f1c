//! Integrations: tokens for the province's information system, each scoped
//! to one competition, listed and revocable.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, instant, millis};
use crate::audit::Audit;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub id: i64,
    pub competition_id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, competition_id, name, created_by, created_at, last_used_at, revoked_at";

fn integration(row: &sqlx::any::AnyRow) -> sqlx::Result<Integration> {
    Ok(Integration {
        id: row.try_get("id")?,
        competition_id: row.try_get("competition_id")?,
        name: row.try_get("name")?,
        created_by: row.try_get("created_by")?,
        created_at: instant(row.try_get("created_at")?),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(instant),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(instant),
    })
}

impl Store {
    /// Records a new integration token (its hash) with its audit line, in
    /// one transaction; returns its id.
    pub async fn create_integration(
        &self,
        competition_id: i64,
        name: &str,
        token_hash: &str,
        audit: &Audit,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = sqlx::query(
            "INSERT INTO integrations (competition_id, name, token_hash, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(competition_id)
        .bind(name)
        .bind(token_hash)
        .bind(&audit.actor)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        super::audit::insert(&mut tx, audit, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The integrations of a competition, newest first, revoked ones too.
    pub async fn integrations(&self, competition_id: i64) -> sqlx::Result<Vec<Integration>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM integrations WHERE competition_id = $1 ORDER BY id DESC"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(competition_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(integration)
            .collect()
    }

    /// Revokes an integration of a competition, with its audit line; false
    /// (and nothing written) if there was none live to revoke.
    pub async fn revoke_integration(
        &self,
        competition_id: i64,
        id: i64,
        audit: &Audit,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE integrations SET revoked_at = $1 WHERE id = $2 AND competition_id = $3 AND revoked_at IS NULL",
        )
        .bind(millis(now))
        .bind(id)
        .bind(competition_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        super::audit::insert(&mut tx, audit, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The live integration a token belongs to, marking it used.
    pub async fn integration_by_token_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<Integration>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM integrations WHERE token_hash = $1 AND revoked_at IS NULL"
        );
        let found = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(integration)
            .transpose()?;
        if let Some(i) = &found {
            sqlx::query("UPDATE integrations SET last_used_at = $1 WHERE id = $2")
                .bind(millis(now))
                .bind(i.id)
                .execute(&self.pool)
                .await?;
        }
        Ok(found)
    }
}
