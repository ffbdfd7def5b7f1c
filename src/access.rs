//! Units' access codes: issued at random (grouped base32 a person can type,
//! see [`crate::token`]), shown once, stored as a hash. The same code is
//! the unit's API bearer token and, with the unit code, its web-form login. Renewing codes — from the command line or the admin page
//! — always ends the units' web sessions, so an old code stops working at
//! once everywhere.

use chrono::{DateTime, Utc};

use crate::audit::{Audit, AuditAction};
use crate::store::{Store, Unit};
use crate::token;

/// A new access code, to be shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub token: String,
}

/// New codes for `units` (nothing stored yet).
pub fn issue<'a>(units: impl IntoIterator<Item = &'a Unit>) -> Vec<Issued> {
    units
        .into_iter()
        .map(|u| Issued {
            unit_id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            token: token::generate_access_code(),
        })
        .collect()
}

/// Stores issued codes in place of the old ones, ends those units' web
/// sessions, and records who did it. `target` names the one unit renewed,
/// if only one was.
pub async fn renew(
    store: &Store,
    competition_id: i64,
    issued: &[Issued],
    actor: &str,
    target: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    renew_with_progress(
        store,
        competition_id,
        issued,
        actor,
        target,
        now,
        &mut || {},
    )
    .await
}

/// [`renew`], calling `unit_done` as each unit's code is stored.
pub async fn renew_with_progress(
    store: &Store,
    competition_id: i64,
    issued: &[Issued],
    actor: &str,
    target: Option<&str>,
    now: DateTime<Utc>,
    unit_done: &mut (dyn FnMut() + Send),
) -> sqlx::Result<()> {
    // The hash of the canonical form: the code is found however it is typed.
    let hashes: Vec<(i64, String)> = issued
        .iter()
        .map(|i| (i.unit_id, token::lookup_hash(&i.token)))
        .collect();
    store
        .rotate_unit_tokens_with_progress(&hashes, now, unit_done)
        .await?;
    let mut audit = Audit::new(AuditAction::UnitsTokens, actor)
        .competition(competition_id)
        .details(&serde_json::json!({ "units": issued.len() }));
    audit.target = target.map(str::to_string);
    store.audit(&audit, now).await
}

/// The codes as CSV `code,token`, for the organiser to hand out.
pub fn csv(issued: &[Issued]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["code", "token"])?;
    for i in issued {
        writer.write_record([&i.code, &i.token])?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}
