//! The audit log: the one writer, and the reading the admin pages do.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, instant, millis};
use crate::audit::{Audit, AuditAction};

/// An audit log line as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub competition_id: Option<i64>,
    pub actor: String,
    /// `None` for an action this version does not know (written by a newer one).
    pub action: Option<AuditAction>,
    /// The stored action name, as written.
    pub action_name: String,
    pub target: Option<String>,
    pub reason: Option<String>,
    pub details: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What the audit page asks for: empty strings and `None` select all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// A stored action name (`report.correct`).
    pub action: String,
    /// A unit code (or any target).
    pub target: String,
    pub actor: String,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Organiser sign-ins are many and rarely wanted: shown only on request.
    pub logins: bool,
    /// Words in the reason, the details, the target or the actor.
    pub search: String,
    /// Of the lines about no competition (sign-ins, API tokens), only those
    /// this organiser did or that concern them: what an organiser scoped to
    /// some competitions may read. Empty: all of them.
    pub own_lines_of: String,
}

/// Writes one line inside a transaction (a correction's own transaction).
pub(super) async fn insert(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    entry: &Audit,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    query(entry, now).execute(&mut **tx).await?;
    Ok(())
}

fn query(
    entry: &Audit,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(
        "INSERT INTO audit_log (competition_id, actor, action, target, reason, details, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.competition_id)
    .bind(&entry.actor)
    .bind(entry.action.as_str())
    .bind(&entry.target)
    .bind(&entry.reason)
    .bind(&entry.details)
    .bind(millis(now))
}

impl Store {
    /// Writes one line of the audit log.
    pub async fn audit(&self, entry: &Audit, now: DateTime<Utc>) -> sqlx::Result<()> {
        query(entry, now).execute(&self.pool).await?;
        Ok(())
    }

    /// One page of the entries `filter` selects, newest first, and how
    /// many it selects in all.
    pub async fn audit_page(
        &self,
        competition_id: i64,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
        // One statement for every combination of filters: an empty filter
        // value (or -1) switches its condition off, so both databases run
        // the same SQL with the same binds.
        const WHERE: &str = "WHERE (competition_id = $1 OR competition_id IS NULL)
               AND ($2 = '' OR action = $2)
               AND ($3 = '' OR target = $3)
               AND ($4 = '' OR actor = $4)
               AND ($5 < 0 OR created_at >= $5)
               AND ($6 < 0 OR created_at < $6)
               AND ($7 = 1 OR action <> 'organizer.login')
               AND ($8 = '%%' OR LOWER(COALESCE(reason, '')) LIKE $8 OR LOWER(COALESCE(details, '')) LIKE $8
                    OR LOWER(COALESCE(target, '')) LIKE $8 OR LOWER(actor) LIKE $8)
               AND ($9 = '' OR competition_id IS NOT NULL OR actor = $9 OR target = $9)";
        let pattern = format!("%{}%", filter.search.to_lowercase());
        let bind = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(competition_id)
                .bind(filter.action.clone())
                .bind(filter.target.clone())
                .bind(filter.actor.clone())
                .bind(filter.from.map_or(-1, millis))
                .bind(filter.until.map_or(-1, millis))
                .bind(i64::from(filter.logins))
                .bind(pattern.clone())
                .bind(filter.own_lines_of.clone())
        };
        let total: i64 = bind(format!("SELECT COUNT(*) AS n FROM audit_log {WHERE}"))
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let entries = bind(format!(
            "SELECT id, competition_id, actor, action, target, reason, details, created_at FROM audit_log
             {WHERE} ORDER BY created_at DESC, id DESC LIMIT $10 OFFSET $11"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(entry)
        .collect::<sqlx::Result<Vec<_>>>()?;
        Ok((entries, total))
    }

    /// Everyone who has done something in a competition, for the filter;
    /// `own_lines_of` as in [`AuditFilter`].
    pub async fn audit_actors(
        &self,
        competition_id: i64,
        own_lines_of: &str,
    ) -> sqlx::Result<Vec<String>> {
        sqlx::query(
            "SELECT DISTINCT actor FROM audit_log
             WHERE competition_id = $1
                OR (competition_id IS NULL AND ($2 = '' OR actor = $2 OR target = $2))
             ORDER BY actor",
        )
        .bind(competition_id)
        .bind(own_lines_of)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get("actor"))
        .collect()
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
        .map(entry)
        .collect()
    }
}

fn entry(r: &sqlx::any::AnyRow) -> sqlx::Result<AuditEntry> {
    let action_name: String = r.try_get("action")?;
    Ok(AuditEntry {
        id: r.try_get("id")?,
        competition_id: r.try_get("competition_id")?,
        actor: r.try_get("actor")?,
        action: AuditAction::parse(&action_name),
        action_name,
        target: r.try_get("target")?,
        reason: r.try_get("reason")?,
        details: r.try_get("details")?,
        created_at: instant(r.try_get("created_at")?),
    })
}
