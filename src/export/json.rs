//! JSON: the leaderboard body of every board, as the API returns it.

use serde_json::json;

use super::Results;
use crate::error::{AppError, Result};

/// The leaderboard body of every board, and whether they are final.
pub fn json(s: &Results) -> Result<Vec<u8>> {
    let body = json!({
        "competition": s.competition().slug,
        "final": s.is_final,
        "status": if s.is_final { "final" } else { "provisional" },
        "exported_at": s.exported_at.with_timezone(&s.tz()).to_rfc3339(),
        "boards": s.boards,
    });
    serde_json::to_vec_pretty(&body).map_err(|e| AppError::Internal(e.into()))
}
