//! Organiser accounts, admin API tokens and the audit log.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, instant, millis};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminUser {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub competition_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub reason: Option<String>,
    pub details: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One line of the audit log: who did what to what, and why.
#[derive(Debug, Clone, Copy)]
pub struct NewAudit<'a> {
    pub competition_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub details: Option<&'a str>,
}

impl Store {
    /// Creates an organiser login, or replaces its password.
    pub async fn upsert_admin_user(
        &self,
        name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO admin_users (name, password_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(name)
        .bind(password_hash)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn admin_user(&self, name: &str) -> sqlx::Result<Option<AdminUser>> {
        let row = sqlx::query("SELECT id, name, password_hash FROM admin_users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(AdminUser {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    pub async fn add_admin_token(
        &self,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO admin_tokens (name, token_hash, created_at) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(token_hash)
            .bind(millis(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The organiser name a token belongs to.
    pub async fn admin_by_token_hash(&self, token_hash: &str) -> sqlx::Result<Option<String>> {
        let row = sqlx::query("SELECT name FROM admin_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("name")).transpose()
    }

    pub async fn audit(&self, entry: &NewAudit<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (competition_id, actor, action, target, reason, details, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry.competition_id)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.target)
        .bind(entry.reason)
        .bind(entry.details)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest entries first; `search` matches actor, action, target,
    /// reason or details.
    pub async fn audit_log(
        &self,
        competition_id: i64,
        search: &str,
        limit: i64,
    ) -> sqlx::Result<Vec<AuditEntry>> {
        let pattern = format!("%{}%", search.to_lowercase());
        sqlx::query(
            "SELECT id, competition_id, actor, action, target, reason, details, created_at FROM audit_log
             WHERE (competition_id = $1 OR competition_id IS NULL)
               AND ($2 = '%%' OR LOWER(actor) LIKE $2 OR LOWER(action) LIKE $2 OR LOWER(COALESCE(target, '')) LIKE $2
                    OR LOWER(COALESCE(reason, '')) LIKE $2 OR LOWER(COALESCE(details, '')) LIKE $2)
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(competition_id)
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                competition_id: r.try_get("competition_id")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                reason: r.try_get("reason")?,
                details: r.try_get("details")?,
                created_at: instant(r.try_get("created_at")?),
            })
        })
        .collect()
    }
}
