//! The JSON the API answers with (and the request bodies it documents),
//! typed once for the wire and the OpenAPI description. The leaderboard and
//! the unit's history are the domain's own types
//! ([`crate::leaderboard::Leaderboard`], [`crate::unit_history::UnitHistory`]);
//! errors are [`crate::error::ErrorBody`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::competition::Status;
use crate::leaderboard::UnitRef;
use crate::report::{ActorKind, Counters};
use crate::store::{ReportRow, RevisionRow};
use crate::submit::{Standing, Submitted};

/// A day's figures. Organisers add `unit` and `reason`.
#[derive(Serialize, ToSchema)]
pub struct ReportBody {
    /// `YYYY-MM-DD`, a competition day, not in the future.
    #[schema(format = Date)]
    pub day: String,
    /// Every counter of the competition, integers 0…1,000,000,000.
    pub counters: BTreeMap<String, u64>,
    /// At most 1,000 characters.
    pub note: Option<String>,
    /// Organisers only: the unit's code.
    pub unit: Option<String>,
    /// Organisers only, mandatory for them.
    pub reason: Option<String>,
}

/// What a posted report answers: the revision written (or the unchanged
/// one), and the unit's standing after it.
#[derive(Serialize, ToSchema)]
pub struct ReportAccepted {
    pub unit: UnitRef,
    pub day: NaiveDate,
    pub revision: i64,
    /// Identical to the current revision: nothing was written.
    pub unchanged: bool,
    /// Entered by an organiser after the day's deadline.
    pub late: bool,
    pub counters: Counters,
    pub note: Option<String>,
    pub standing: Standing,
}

impl From<Submitted> for ReportAccepted {
    fn from(s: Submitted) -> Self {
        ReportAccepted {
            unit: s.unit,
            day: s.receipt.day,
            revision: s.receipt.revision,
            unchanged: s.receipt.unchanged,
            late: s.receipt.late,
            counters: s.receipt.counters,
            note: s.receipt.note,
            standing: s.standing,
        }
    }
}

/// A unit's own reports, each with every revision.
#[derive(Serialize, ToSchema)]
pub struct UnitReports {
    pub unit: UnitRef,
    pub reports: Vec<ReportView>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportView {
    pub day: NaiveDate,
    pub revision: i64,
    pub counters: Counters,
    pub late: bool,
    /// An organiser wrote one of its revisions.
    pub corrected: bool,
    pub updated_at: DateTime<Utc>,
    pub revisions: Vec<RevisionView>,
}

#[derive(Serialize, ToSchema)]
pub struct RevisionView {
    pub revision: i64,
    pub counters: Counters,
    pub note: Option<String>,
    #[schema(value_type = String)]
    pub by: ActorKind,
    pub reason: Option<String>,
    pub late: bool,
    pub created_at: DateTime<Utc>,
}

impl ReportView {
    pub fn new(report: ReportRow, revisions: &[RevisionRow]) -> ReportView {
        ReportView {
            revisions: revisions
                .iter()
                .filter(|v| v.day == report.day)
                .map(|v| RevisionView {
                    revision: v.revision,
                    counters: v.counters.clone(),
                    note: v.note.clone(),
                    by: v.writer.kind,
                    reason: v.writer.reason.clone(),
                    late: v.late,
                    created_at: v.created_at,
                })
                .collect(),
            day: report.day,
            revision: report.revision,
            counters: report.counters,
            late: report.late,
            corrected: report.corrected,
            updated_at: report.updated_at,
        }
    }
}

/// `POST /api/v1/admin/finalize`: `finalized` is false when the
/// competition already was final (a no-op).
#[derive(Serialize, ToSchema)]
pub struct Finalized {
    pub finalized: bool,
    pub status: Status,
    pub finalized_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/admin/freeze`: `frozen` is false when it already was.
#[derive(Serialize, ToSchema)]
pub struct Frozen {
    pub frozen: bool,
    pub status: Status,
}

/// `POST /api/v1/admin/reopen`: `reopened` is false when there was nothing to re-open.
#[derive(Serialize, ToSchema)]
pub struct Reopened {
    pub reopened: bool,
    pub status: Status,
}
