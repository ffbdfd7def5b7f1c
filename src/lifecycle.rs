//! Freeze, finalize and re-open (SPEC §7): the organiser's actions on a
//! competition's state, each recorded in the audit log. The admin pages, the
//! admin API and the scheduler all call these.

use crate::audit::{Audit, AuditAction};
use crate::boards::Boards;
use crate::catalog::{Catalog, Selected};
use crate::clock::SharedClock;
use crate::error::{AppError, Result};
use crate::store::Store;

/// The lifecycle service.
#[derive(Clone)]
pub struct Lifecycle {
    store: Store,
    catalog: Catalog,
    boards: Boards,
    clock: SharedClock,
}

impl Lifecycle {
    pub fn new(store: Store, catalog: Catalog, boards: Boards, clock: SharedClock) -> Lifecycle {
        Lifecycle {
            store,
            catalog,
            boards,
            clock,
        }
    }

    async fn record(
        &self,
        selected: &Selected,
        actor: &str,
        action: AuditAction,
        reason: Option<&str>,
    ) -> Result<()> {
        let mut audit = Audit::new(action, actor)
            .competition(selected.record.id)
            .target(&selected.record.competition.slug);
        audit.reason = reason.map(str::to_string);
        self.store.audit(&audit, self.clock.now()).await?;
        self.catalog.reload().await?;
        Ok(())
    }

    /// Freezes the public board now. Returns false if it was already frozen by hand.
    pub async fn freeze_now(&self, selected: &Selected, actor: &str) -> Result<bool> {
        let done = self
            .store
            .freeze(selected.record.id, self.clock.now())
            .await?;
        if done {
            self.record(selected, actor, AuditAction::CompetitionFreeze, None)
                .await?;
        }
        Ok(done)
    }

    /// Stores the final standings of every board, once. Finalizing twice is a
    /// no-op that returns false.
    pub async fn finalize(&self, selected: &Selected, actor: &str) -> Result<bool> {
        if selected.record.is_final() {
            return Ok(false);
        }
        let boards = self
            .boards
            .final_boards(selected)
            .await?
            .into_iter()
            .map(|(board, body)| {
                serde_json::to_string(&body)
                    .map(|json| (board.as_str().to_string(), json))
                    .map_err(|e| AppError::Internal(e.into()))
            })
            .collect::<Result<Vec<_>>>()?;
        let done = self
            .store
            .finalize(selected.record.id, &boards, self.clock.now())
            .await?;
        if done {
            self.record(selected, actor, AuditAction::CompetitionFinalize, None)
                .await?;
        }
        Ok(done)
    }

    /// Re-opens a final or frozen competition; the reason is mandatory.
    pub async fn reopen(&self, selected: &Selected, actor: &str, reason: &str) -> Result<bool> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::field("reason", "Cần ghi lý do mở lại cuộc thi"));
        }
        let done = self.store.reopen(selected.record.id).await?;
        if done {
            self.record(
                selected,
                actor,
                AuditAction::CompetitionReopen,
                Some(reason),
            )
            .await?;
        }
        Ok(done)
    }
}
