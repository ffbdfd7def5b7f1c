//! A batch of many units' reports from the province's information system
//! (an integration token, scoped to one competition). Every item is checked
//! with the rules of a unit's own report, the deadline included; one bad
//! item refuses the whole batch, naming each fault by index, unit and
//! field. A good batch is one transaction and one ranking write, so boards
//! change once.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{IdempotencyKey, Submitter, refused};
use crate::error::{AppError, ItemError, Result};
use crate::report::{self, ActorKind, ReportInput, Writer};
use crate::store::{BatchOutcome, BatchReceipt, Idempotency, Integration, NewReport, Unit};

/// Items one batch may carry: two days of a whole country's units.
pub const MAX_ITEMS: usize = 20_000;

/// Faults listed in a refusal; the rest are counted in its message.
const MAX_LISTED: usize = 1_000;

/// One item as the system sent it.
#[derive(Debug, Clone)]
pub enum BatchItem {
    /// A report with its unit's code under `unit`.
    Report(ReportInput),
    /// Something that is not a JSON object.
    NotAnObject,
}

impl BatchItem {
    pub fn from_json(value: serde_json::Value) -> BatchItem {
        if !value.is_object() {
            return BatchItem::NotAnObject;
        }
        serde_json::from_value(value).map_or(BatchItem::NotAnObject, BatchItem::Report)
    }
}

/// A batch to write.
#[derive(Debug, Clone)]
pub struct Batch {
    pub integration: Integration,
    pub items: Vec<BatchItem>,
    pub idempotency: Option<IdempotencyKey>,
    pub address: Option<String>,
}

/// What a committed (or replayed) batch answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BatchAccepted {
    pub competition: String,
    /// Items in the batch.
    pub reports: usize,
    /// Days reported for the first time.
    pub created: usize,
    /// Days whose figures changed (a new revision).
    pub updated: usize,
    /// Days sent again with the same figures (nothing written).
    pub unchanged: usize,
    /// False when the live ranking could not be updated: the figures are
    /// safe in the store and the boards are computed from it meanwhile.
    pub ranked: bool,
}

fn item_error(
    index: usize,
    unit: Option<&str>,
    field: &str,
    code: &str,
    message: &str,
) -> ItemError {
    ItemError {
        index,
        unit: unit.map(str::to_string),
        field: field.to_string(),
        code: code.to_string(),
        message: message.to_string(),
    }
}

/// The faults of one item from a refusal of its report.
fn item_errors(index: usize, unit: &str, e: AppError) -> Vec<ItemError> {
    match e {
        AppError::Validation { fields, .. } => fields
            .into_iter()
            .map(|(field, message)| item_error(index, Some(unit), &field, "validation", &message))
            .collect(),
        AppError::Conflict { code, message } => {
            vec![item_error(index, Some(unit), "day", code, &message)]
        }
        other => vec![item_error(
            index,
            Some(unit),
            "",
            other.code(),
            &other.public_message(),
        )],
    }
}

impl Submitter {
    /// Validates every item, then commits all of them in one transaction
    /// and updates the ranking once; or writes nothing and lists the faults.
    #[tracing::instrument(skip_all, fields(integration = batch.integration.id, items = batch.items.len()))]
    pub async fn submit_batch(&self, batch: Batch) -> Result<BatchAccepted> {
        let Batch {
            integration,
            items,
            idempotency,
            address,
        } = batch;
        let selected = self
            .catalog
            .competition_by_id(integration.competition_id)
            .ok_or_else(|| AppError::NotFound("Không tìm thấy cuộc thi của mã tích hợp".into()))?;
        let record = &selected.record;
        let competition = &record.competition;
        if items.is_empty() {
            return Err(AppError::field("reports", "Lô báo cáo không có mục nào"));
        }
        if items.len() > MAX_ITEMS {
            return Err(AppError::field(
                "reports",
                format!("Một lô có tối đa {MAX_ITEMS} mục; hãy chia thành nhiều lô"),
            ));
        }
        // The same answer as a unit's report: nothing can change now.
        report::check_not_final(record)?;
        let now = self.clock.now();
        let writer = Writer {
            kind: ActorKind::Integration,
            actor: integration.name.clone(),
            reason: None,
            address,
        };
        // Ten thousand items are checked off the runtime's workers.
        let (mut faults, reports, hasher) = crate::cpu::heavy(|| {
            let mut faults = Vec::new();
            let mut reports: Vec<NewReport> = Vec::with_capacity(items.len());
            let mut first_of: HashMap<(i64, NaiveDate), usize> = HashMap::new();
            let mut hasher = Sha256::new();
            for (index, item) in items.into_iter().enumerate() {
                let mut input = match item {
                    BatchItem::Report(input) => input,
                    BatchItem::NotAnObject => {
                        faults.push(item_error(
                            index,
                            None,
                            "",
                            "validation",
                            "Mỗi mục phải là một đối tượng JSON",
                        ));
                        continue;
                    }
                };
                let Some(code) = input.take_text("unit").map(|c| c.trim().to_string()) else {
                    faults.push(item_error(
                        index,
                        None,
                        "unit",
                        "validation",
                        "Thiếu mã đơn vị (unit), dạng chuỗi",
                    ));
                    continue;
                };
                let unit: &Unit = match selected.unit(&code) {
                    Some(unit) if unit.active => unit,
                    Some(_) => {
                        faults.push(item_error(
                            index,
                            Some(&code),
                            "unit",
                            "inactive_unit",
                            "Đơn vị không còn tham gia cuộc thi",
                        ));
                        continue;
                    }
                    None => {
                        faults.push(item_error(
                            index,
                            Some(&code),
                            "unit",
                            "unknown_unit",
                            &format!("Cuộc thi không có đơn vị mã {code:?}"),
                        ));
                        continue;
                    }
                };
                let valid = match report::validate(competition, &input) {
                    Ok(valid) => valid,
                    Err(e) => {
                        faults.extend(item_errors(index, &code, e));
                        continue;
                    }
                };
                let late =
                    match report::check_window(record, valid.day, now, ActorKind::Integration) {
                        Ok(late) => late,
                        Err(e) => {
                            faults.extend(item_errors(index, &code, e));
                            continue;
                        }
                    };
                if let Some(first) = first_of.insert((unit.id, valid.day), index) {
                    faults.push(item_error(
                        index,
                        Some(&code),
                        "day",
                        "duplicate",
                        &format!("Đơn vị và ngày này đã có ở mục reports[{first}]"),
                    ));
                    continue;
                }
                hasher.update(unit.code.as_bytes());
                hasher.update([0]);
                hasher.update(valid.request_hash().as_bytes());
                reports.push(NewReport {
                    competition_id: record.id,
                    unit_id: unit.id,
                    unit_code: unit.code.clone(),
                    day: valid.day,
                    counters: valid.counters,
                    note: valid.note,
                    writer: writer.clone(),
                    late,
                    now,
                    idempotency: None,
                });
            }
            (faults, reports, hasher)
        });
        if !faults.is_empty() {
            refused("batch_invalid");
            faults.truncate(MAX_LISTED);
            return Err(AppError::Items(faults));
        }
        let key = idempotency.map(|k| Idempotency {
            principal: k.principal,
            key: k.key,
            request_hash: hex::encode(hasher.finalize()),
        });
        let (receipt, ranked) = match self.store.save_batch(&reports, key.as_ref(), now).await? {
            BatchOutcome::KeyConflict => {
                refused("idempotency_conflict");
                return Err(AppError::Conflict {
                    code: "idempotency_conflict",
                    message: "Idempotency-Key đã được dùng cho một lô khác".into(),
                });
            }
            BatchOutcome::Replay(first) => (first, true),
            BatchOutcome::Saved(saved, receipt, unit_reports) => {
                metrics::counter!("thidua_reports_accepted_total")
                    .increment(receipt.reports as u64);
                // Units whose figures changed, with the days that did.
                let mut days: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
                for (report, s) in reports.iter().zip(&saved) {
                    if !s.unchanged {
                        days.entry(report.unit_id).or_default().push(report.day);
                    }
                }
                let changed: Vec<(&Unit, Vec<NaiveDate>)> = selected
                    .active_units()
                    .filter_map(|u| days.remove(&u.id).map(|d| (u, d)))
                    .collect();
                let ranked = self
                    .sync
                    .refresh_units(&selected, &changed, &unit_reports)
                    .await;
                if !ranked {
                    self.boards.written_aside();
                }
                (receipt, ranked)
            }
        };
        let BatchReceipt {
            reports,
            created,
            updated,
            unchanged,
        } = receipt;
        Ok(BatchAccepted {
            competition: competition.slug.clone(),
            reports,
            created,
            updated,
            unchanged,
            ranked,
        })
    }
}
