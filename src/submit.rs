//! The one write path of a daily report. The API, the unit's web form, the
//! organiser's correction, the bulk import and the demo all call
//! [`Submitter::submit`]: the figures are validated against the competition,
//! the day window is checked for the writer, the report is committed (a new
//! revision, its idempotency key and an organiser's audit line in one
//! transaction), and only then is the live ranking updated.

mod batch;

pub use batch::{Batch, BatchAccepted, BatchItem, MAX_ITEMS};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::boards::Boards;
use crate::catalog::{Catalog, Selected};
use crate::clock::SharedClock;
use crate::error::{AppError, Result};
use crate::leaderboard::{UnitRef, score_value};
use crate::ranking::RankingSync;
pub use crate::report::Writer;
use crate::report::{self, ReportInput};
use crate::scoring;
use crate::store::{CurrentReport, Idempotency, NewReport, SaveOutcome, Saved, Store, Unit};

/// A retry key: the same key from the same principal answers with the first
/// receipt instead of writing again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// `unit:ID` or `organizer:NAME`.
    pub principal: String,
    pub key: String,
}

/// One report to write.
#[derive(Debug, Clone)]
pub struct Submission {
    pub unit: Unit,
    pub writer: Writer,
    pub report: ReportInput,
    pub idempotency: Option<IdempotencyKey>,
    /// When the report was made; `None` is now. Only the demo's history of
    /// earlier days is written as of another instant.
    pub at: Option<DateTime<Utc>>,
}

impl Submission {
    pub fn new(unit: Unit, writer: Writer, report: ReportInput) -> Submission {
        Submission {
            unit,
            writer,
            report,
            idempotency: None,
            at: None,
        }
    }

    pub fn with_idempotency(mut self, key: Option<IdempotencyKey>) -> Submission {
        self.idempotency = key;
        self
    }
}

/// The unit's place on its group's board after the write. All `None` when
/// the ranking could not be updated (the report is safe in the store).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub board: String,
    pub rank: Option<u32>,
    pub score_bp: Option<u32>,
    pub score: Option<f64>,
    pub grade: Option<String>,
    pub days_reported: Option<u32>,
}

/// What a committed (or replayed) write answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub unit: UnitRef,
    pub receipt: Saved,
    pub standing: Standing,
}

/// The write path service.
#[derive(Clone)]
pub struct Submitter {
    store: Store,
    catalog: Catalog,
    sync: RankingSync,
    boards: Boards,
    clock: SharedClock,
}

fn refused(reason: &'static str) {
    metrics::counter!("thidua_reports_refused_total", "reason" => reason).increment(1);
}

impl Submitter {
    pub fn new(
        store: Store,
        catalog: Catalog,
        sync: RankingSync,
        boards: Boards,
        clock: SharedClock,
    ) -> Submitter {
        Submitter {
            store,
            catalog,
            sync,
            boards,
            clock,
        }
    }

    /// Validates and commits one report, then updates the ranking.
    #[tracing::instrument(skip_all, fields(unit = %submission.unit.code, writer = submission.writer.kind.as_str()))]
    pub async fn submit(&self, submission: Submission) -> Result<Submitted> {
        let Submission {
            unit,
            writer,
            report,
            idempotency,
            at,
        } = submission;
        let selected = self.catalog.of_unit(&unit).await?;
        let competition = &selected.record.competition;
        if let Some(reason) = &writer.reason {
            crate::text::check("reason", reason).inspect_err(|e| refused(e.code()))?;
        }
        let valid = report::validate(competition, &report).inspect_err(|e| refused(e.code()))?;
        let now = at.unwrap_or_else(|| self.clock.now());
        let late = report::check_window(&selected.record, valid.day, now, writer.kind)
            .inspect_err(|e| refused(e.code()))?;
        let new = NewReport {
            competition_id: selected.record.id,
            unit_id: unit.id,
            unit_code: unit.code.clone(),
            day: valid.day,
            idempotency: idempotency.map(|k| Idempotency {
                principal: k.principal,
                key: k.key,
                request_hash: valid.request_hash(),
            }),
            counters: valid.counters,
            note: valid.note,
            writer,
            late,
            now,
        };
        let (receipt, unit_reports) = match self.store.save_report(&new).await? {
            SaveOutcome::KeyConflict => {
                refused("idempotency_conflict");
                return Err(AppError::Conflict {
                    code: "idempotency_conflict",
                    message: "Idempotency-Key đã được dùng cho một yêu cầu khác".into(),
                });
            }
            SaveOutcome::Replay(first) => (first, None),
            SaveOutcome::Saved(saved, unit_reports) => {
                metrics::counter!("thidua_reports_accepted_total").increment(1);
                (saved, Some(unit_reports))
            }
        };
        let standing = self
            .standing(&selected, &unit, &receipt, unit_reports)
            .await;
        Ok(Submitted {
            unit: UnitRef {
                code: unit.code,
                name: unit.name,
                group: unit.group,
            },
            receipt,
            standing,
        })
    }

    async fn standing(
        &self,
        selected: &Selected,
        unit: &Unit,
        receipt: &Saved,
        unit_reports: Option<Vec<CurrentReport>>,
    ) -> Standing {
        let rules = &selected.record.competition.rules;
        let refreshed = self
            .sync
            .refresh_unit(selected, unit, receipt.day, unit_reports)
            .await;
        if refreshed.is_none() {
            // The ranking is away: boards come from the store, which has it.
            self.boards.written_aside();
        }
        let entry = refreshed.as_ref().map(|(entry, _)| entry);
        let score_bp = entry.and_then(|e| e.key.as_ref()).map(|k| k.score_bp);
        Standing {
            board: unit.group.clone(),
            rank: refreshed.as_ref().and_then(|(_, rank)| *rank),
            score_bp,
            score: score_bp.map(score_value),
            grade: score_bp
                .and_then(|bp| scoring::grade(rules, bp))
                .map(str::to_string),
            days_reported: entry.map(|e| e.totals.days_reported),
        }
    }
}
