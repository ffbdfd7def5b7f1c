//! Organiser accounts, their API tokens, and the devices they signed in
//! from.

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::{Store, instant, millis};
use crate::scope::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organizer {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
}

/// What is granted to an organiser, or withdrawn: one competition, or the
/// whole deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Deployment,
    Competition(i64),
}

/// An organiser as `thidua admin list` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizerListing {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub deployment_wide: bool,
    /// The slugs of the competitions granted to them.
    pub competitions: Vec<String>,
}

/// An organiser's API token as listed: never the secret, which only its
/// hash stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizerToken {
    pub id: i64,
    /// The organiser it acts as.
    pub organizer: String,
    /// What it is for (`export-script`, `one-stop system`…).
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl OrganizerToken {
    /// Whether the token opens the API at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// How stale a token's "last used" may get before a use writes it again:
/// one write a minute at most, not one per request.
const LAST_USE_PRECISION: Duration = Duration::minutes(1);

impl Store {
    /// Creates an organiser login, or replaces its password. Replacing
    /// ends every web session of that organiser (the old password may be
    /// what was stolen). A new organiser is deployment-wide; an existing
    /// one keeps their scope. Returns whether the organiser existed.
    pub async fn upsert_organizer(
        &self,
        name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        self.upsert_scoped_organizer(name, password_hash, None, "", now)
            .await
    }

    /// [`Store::upsert_organizer`], and with `competitions`, the organiser's
    /// scope becomes exactly those competitions (granted by `by`), in the
    /// same transaction: a new organiser is never deployment-wide for a
    /// moment.
    pub async fn upsert_scoped_organizer(
        &self,
        name: &str,
        password_hash: &str,
        competitions: Option<&[i64]>,
        by: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let mut tx = self.begin_write().await?;
        let existed = sqlx::query("SELECT id FROM organizers WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        let deployment_wide = i64::from(competitions.is_none());
        let id: i64 = sqlx::query(
            "INSERT INTO organizers (name, password_hash, created_at, deployment_wide)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash
             RETURNING id",
        )
        .bind(name)
        .bind(password_hash)
        .bind(millis(now))
        .bind(deployment_wide)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        if let Some(competitions) = competitions {
            sqlx::query("UPDATE organizers SET deployment_wide = 0 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM organizer_competitions WHERE organizer_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for competition_id in competitions {
                sqlx::query(
                    "INSERT INTO organizer_competitions (organizer_id, competition_id, granted_by, granted_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(competition_id)
                .bind(by)
                .bind(millis(now))
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("DELETE FROM sessions WHERE kind = 'organizer' AND subject = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(existed)
    }

    /// What organiser `name` may act on; nothing if there is no such
    /// organiser (a session or token outliving its account opens nothing).
    pub async fn organizer_scope(&self, name: &str) -> sqlx::Result<Scope> {
        let Some(row) = sqlx::query("SELECT id, deployment_wide FROM organizers WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(Scope::none());
        };
        if row.try_get::<i64, _>("deployment_wide")? != 0 {
            return Ok(Scope::Deployment);
        }
        let id: i64 = row.try_get("id")?;
        let ids = sqlx::query(
            "SELECT competition_id FROM organizer_competitions WHERE organizer_id = $1",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("competition_id"))
        .collect::<sqlx::Result<_>>()?;
        Ok(Scope::Competitions(ids))
    }

    /// Grants `grant` to organiser `name`; `None` if there is no such
    /// organiser, else whether anything changed.
    pub async fn grant_organizer(
        &self,
        name: &str,
        grant: Grant,
        by: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<bool>> {
        let Some(organizer) = self.organizer(name).await? else {
            return Ok(None);
        };
        let done = match grant {
            Grant::Deployment => {
                sqlx::query(
                    "UPDATE organizers SET deployment_wide = 1 WHERE id = $1 AND deployment_wide = 0",
                )
                .bind(organizer.id)
                .execute(&self.pool)
                .await?
            }
            Grant::Competition(competition_id) => {
                sqlx::query(
                    "INSERT INTO organizer_competitions (organizer_id, competition_id, granted_by, granted_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(organizer.id)
                .bind(competition_id)
                .bind(by)
                .bind(millis(now))
                .execute(&self.pool)
                .await?
            }
        };
        Ok(Some(done.rows_affected() > 0))
    }

    /// Withdraws `grant` from organiser `name`; `None` if there is no such
    /// organiser, else whether anything changed. Withdrawing the deployment
    /// leaves the organiser with the competitions granted to them.
    pub async fn withdraw_organizer(&self, name: &str, grant: Grant) -> sqlx::Result<Option<bool>> {
        let Some(organizer) = self.organizer(name).await? else {
            return Ok(None);
        };
        let done = match grant {
            Grant::Deployment => {
                sqlx::query(
                    "UPDATE organizers SET deployment_wide = 0 WHERE id = $1 AND deployment_wide <> 0",
                )
                .bind(organizer.id)
                .execute(&self.pool)
                .await?
            }
            Grant::Competition(competition_id) => {
                sqlx::query(
                    "DELETE FROM organizer_competitions WHERE organizer_id = $1 AND competition_id = $2",
                )
                .bind(organizer.id)
                .bind(competition_id)
                .execute(&self.pool)
                .await?
            }
        };
        Ok(Some(done.rows_affected() > 0))
    }

    /// Every organiser with their scope, by name.
    pub async fn organizers(&self) -> sqlx::Result<Vec<OrganizerListing>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, deployment_wide FROM organizers ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let grants = sqlx::query(
            "SELECT g.organizer_id, c.slug FROM organizer_competitions g
             JOIN competitions c ON c.id = g.competition_id ORDER BY c.slug",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                let mut competitions = Vec::new();
                for g in &grants {
                    if g.try_get::<i64, _>("organizer_id")? == id {
                        competitions.push(g.try_get("slug")?);
                    }
                }
                Ok(OrganizerListing {
                    name: r.try_get("name")?,
                    created_at: instant(r.try_get("created_at")?),
                    deployment_wide: r.try_get::<i64, _>("deployment_wide")? != 0,
                    competitions,
                })
            })
            .collect()
    }

    /// Sets an organiser's password and ends their other web sessions:
    /// every one but `keep` (the session that made the change).
    pub async fn change_organizer_password(
        &self,
        name: &str,
        password_hash: &str,
        keep: &str,
    ) -> sqlx::Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE organizers SET password_hash = $1 WHERE name = $2")
            .bind(password_hash)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM sessions WHERE kind = 'organizer' AND subject = $1 AND key_hash <> $2",
        )
        .bind(name)
        .bind(keep)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    pub async fn organizer(&self, name: &str) -> sqlx::Result<Option<Organizer>> {
        let row = sqlx::query("SELECT id, name, password_hash FROM organizers WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Organizer {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// Stores a new token of organiser `name`; `None` (nothing stored) when
    /// there is no such organiser.
    pub async fn add_organizer_token(
        &self,
        name: &str,
        token_hash: &str,
        label: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO organizer_tokens (name, token_hash, label, expires_at, created_at)
             SELECT name, $2, $3, $4, $5 FROM organizers WHERE name = $1
             RETURNING id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(label)
        .bind(expires_at.map(millis))
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("id")).transpose()
    }

    /// The organiser a token acts as, if the token is neither revoked nor
    /// expired and its organiser exists; records its use.
    pub async fn organizer_by_token_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<String>> {
        let row = sqlx::query(
            "SELECT t.id, t.name, t.last_used_at FROM organizer_tokens t
             JOIN organizers o ON o.name = t.name
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(token_hash)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let last: Option<i64> = row.try_get("last_used_at")?;
        if last.is_none_or(|at| instant(at) + LAST_USE_PRECISION <= now) {
            sqlx::query("UPDATE organizer_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(millis(now))
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        row.try_get("name").map(Some)
    }

    /// Every organiser token (of one organiser, if named), newest first.
    pub async fn organizer_tokens(&self, name: Option<&str>) -> sqlx::Result<Vec<OrganizerToken>> {
        const COLUMNS: &str =
            "SELECT id, name, label, created_at, expires_at, last_used_at, revoked_at
             FROM organizer_tokens";
        let rows = match name {
            Some(name) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{COLUMNS} WHERE name = $1 ORDER BY id DESC"
                )))
                .bind(name)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!("{COLUMNS} ORDER BY id DESC")))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter()
            .map(|r| {
                let at = |column: &str| -> sqlx::Result<Option<DateTime<Utc>>> {
                    Ok(r.try_get::<Option<i64>, _>(column)?.map(instant))
                };
                Ok(OrganizerToken {
                    id: r.try_get("id")?,
                    organizer: r.try_get("name")?,
                    label: r.try_get("label")?,
                    created_at: instant(r.try_get("created_at")?),
                    expires_at: at("expires_at")?,
                    last_used_at: at("last_used_at")?,
                    revoked_at: at("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes token `id`; the token it was, or `None` if there is no such
    /// token or it was revoked already.
    pub async fn revoke_organizer_token(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<OrganizerToken>> {
        let done = sqlx::query(
            "UPDATE organizer_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(millis(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        Ok(self
            .organizer_tokens(None)
            .await?
            .into_iter()
            .find(|t| t.id == id))
    }

    /// Remembers a browser where organiser `name` signed in.
    pub async fn add_organizer_device(
        &self,
        name: &str,
        key_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO organizer_devices (key_hash, name, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(key_hash)
        .bind(name)
        .bind(millis(now))
        .bind(millis(expires_at))
        .execute(&self.pool)
        .await?;
        if rand::random::<u8>() == 0 {
            // Now and then, forget the devices not seen for months.
            sqlx::query("DELETE FROM organizer_devices WHERE expires_at <= $1")
                .bind(millis(now))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The organiser a remembered browser signed in as, if not expired.
    pub async fn organizer_device(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<String>> {
        let row = sqlx::query(
            "SELECT name FROM organizer_devices WHERE key_hash = $1 AND expires_at > $2",
        )
        .bind(key_hash)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("name")).transpose()
    }
}
