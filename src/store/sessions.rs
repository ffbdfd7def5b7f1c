//! Web sessions (stored by the hash of their key) and the lookups the
//! logins need.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, instant, millis};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub key_hash: String,
    /// `organizer` or `unit`.
    pub kind: String,
    /// The organiser's name, or the unit's code.
    pub subject: String,
    pub unit_id: Option<i64>,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    pub async fn create_session(&self, session: &SessionRow) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO sessions (key_hash, kind, subject, unit_id, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&session.key_hash)
        .bind(&session.kind)
        .bind(&session.subject)
        .bind(session.unit_id)
        .bind(&session.csrf)
        .bind(millis(session.created_at))
        .bind(millis(session.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A session that has not expired at `now`.
    pub async fn session(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT key_hash, kind, subject, unit_id, csrf, created_at, expires_at
             FROM sessions WHERE key_hash = $1 AND expires_at > $2",
        )
        .bind(key_hash)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                key_hash: r.try_get("key_hash")?,
                kind: r.try_get("kind")?,
                subject: r.try_get("subject")?,
                unit_id: r.try_get("unit_id")?,
                csrf: r.try_get("csrf")?,
                created_at: instant(r.try_get("created_at")?),
                expires_at: instant(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, key_hash: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE key_hash = $1")
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drops expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> sqlx::Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(millis(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Ends the web sessions of units whose access code changed.
    pub async fn delete_unit_sessions(&self, unit_ids: &[i64]) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in unit_ids {
            sqlx::query("DELETE FROM sessions WHERE unit_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    /// The stored hash of a unit's access token, for the web-form login.
    pub async fn unit_token_hash(&self, unit_id: i64) -> sqlx::Result<Option<String>> {
        let row = sqlx::query("SELECT token_hash FROM units WHERE id = $1")
            .bind(unit_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("token_hash"))
            .transpose()?
            .flatten())
    }
}
