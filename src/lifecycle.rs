//! Freeze, finalize and re-open (SPEC §7): the organiser's actions on a
//! competition's state, each recorded in the audit log.

use crate::error::{AppError, Result};
use crate::leaderboard;
use crate::state::{AppState, Selected};
use crate::store::NewAudit;

async fn audit(
    state: &AppState,
    selected: &Selected,
    actor: &str,
    action: &str,
    reason: Option<&str>,
) -> Result<()> {
    state
        .store()
        .audit(
            &NewAudit {
                competition_id: Some(selected.record.id),
                actor,
                action,
                target: Some(&selected.record.competition.slug),
                reason,
                details: None,
            },
            state.now(),
        )
        .await?;
    Ok(())
}

/// Freezes the public board now. Returns false if it was already frozen by hand.
pub async fn freeze_now(state: &AppState, selected: &Selected, actor: &str) -> Result<bool> {
    let done = state
        .store()
        .freeze(selected.record.id, state.now())
        .await?;
    if done {
        audit(state, selected, actor, "competition.freeze", None).await?;
        state.reload().await?;
    }
    Ok(done)
}

/// Stores the final standings of every board, once. Finalizing twice is a
/// no-op that returns false.
pub async fn finalize(state: &AppState, selected: &Selected, actor: &str) -> Result<bool> {
    if selected.record.is_final() {
        return Ok(false);
    }
    let boards = leaderboard::final_boards(state, selected).await?;
    let done = state
        .store()
        .finalize(selected.record.id, &boards, state.now())
        .await?;
    if done {
        audit(state, selected, actor, "competition.finalize", None).await?;
        state.reload().await?;
    }
    Ok(done)
}

/// Re-opens a final or frozen competition; the reason is mandatory.
pub async fn reopen(
    state: &AppState,
    selected: &Selected,
    actor: &str,
    reason: &str,
) -> Result<bool> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field("reason", "Cần ghi lý do mở lại cuộc thi"));
    }
    let done = state.store().reopen(selected.record.id).await?;
    if done {
        audit(state, selected, actor, "competition.reopen", Some(reason)).await?;
        state.reload().await?;
    }
    Ok(done)
}
