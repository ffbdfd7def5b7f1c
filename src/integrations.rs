//! Integration tokens: how the province's one-stop information system posts
//! every unit's figures in batches (`POST /api/v1/reports/batch`). An
//! organiser issues one per system and competition (command line or
//! `/admin/integrations`); it is shown once, stored as a hash, listed with
//! when it was last used, and revoked at once when no longer wanted.

use chrono::{DateTime, Utc};

use crate::audit::{Audit, AuditAction};
use crate::error::{AppError, Result};
use crate::store::Store;
use crate::token;

/// The longest name of an integration, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A new integration token, to be shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub id: i64,
    pub name: String,
    pub token: String,
}

/// Issues a token for the system `name` in a competition, recording who did.
pub async fn issue(
    store: &Store,
    competition_id: i64,
    name: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Issued> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::field(
            "name",
            format!("Tên hệ thống tích hợp cần từ 1 đến {MAX_NAME_CHARS} ký tự"),
        ));
    }
    let token = token::generate();
    let audit = Audit::new(AuditAction::IntegrationCreate, actor)
        .competition(competition_id)
        .target(name);
    let id = store
        .create_integration(competition_id, name, &token::hash(&token), &audit, now)
        .await?;
    Ok(Issued {
        id,
        name: name.to_string(),
        token,
    })
}

/// Revokes an integration of a competition; its token stops working at once.
pub async fn revoke(
    store: &Store,
    competition_id: i64,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let audit = Audit::new(AuditAction::IntegrationRevoke, actor)
        .competition(competition_id)
        .target(&format!("#{id}"));
    if store
        .revoke_integration(competition_id, id, &audit, now)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "Không có mã tích hợp #{id} đang hiệu lực trong cuộc thi này"
        )))
    }
}
