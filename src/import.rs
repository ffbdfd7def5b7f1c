//! The organiser's bulk entry of reports (SPEC §10): a CSV or XLSX file with
//! the columns `unit_code,day,<counter keys…>` (optionally `unit_name`,
//! ignored, and `note`), all or nothing.
//!
//! People fill these files in, so they are read the way people write them:
//! a header may name columns by their Vietnamese labels (`Mã đơn vị`,
//! `Ngày`, a counter's label) as well as by their keys; a second header
//! row under the keys (the template's visible one) is skipped; a line with
//! no figures and no note is skipped even when its unit and day are filled
//! in (the template lists every unit, and only some are entered); days may
//! be `dd/mm/yyyy`; numbers may group thousands with dots (`1.200`).
//!
//! Every line is validated first — the figures with `report::validate`, the
//! unit, duplicates within the file, and the day window with
//! `report::check_window` as an organiser — and every bad line is reported
//! with its number. Only a file without a single bad line is written, line by
//! line through [`Submitter::submit`] (the one write path: revisions, audit
//! log, ranking). Each line is its own transaction, so "nothing" is
//! guaranteed for bad input but not for a database that fails midway;
//! re-running the same file then completes it, since identical figures are
//! not written twice.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;

use crate::audit::{Audit, AuditAction};
use crate::catalog::Selected;
use crate::competition::Competition;
use crate::error::{AppError, FieldErrors, Result};
use crate::report::{self, ActorKind, ReportInput};
use crate::store::{Store, Unit};
use crate::submit::{Submission, Submitter, Writer};

mod table;

pub use table::{MAX_LINES, Table, read_table};

/// One refused line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// A line that passed every check, ready to submit.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub line: usize,
    pub unit: Unit,
    pub day: NaiveDate,
    pub report: ReportInput,
}

/// An uploaded file and who sends it, why.
pub struct Upload<'a> {
    pub bytes: &'a [u8],
    pub actor: &'a str,
    pub reason: &'a str,
    pub address: Option<String>,
}

/// What a successful import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub lines: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub late: usize,
}

/// How far a running import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Every line checked: this many will be written.
    Total(usize),
    /// One more line written.
    Written,
}

/// Checks every line against the competition at `now`. Returns the lines
/// ready to write, or every problem: file-level ones (header) as line 1.
pub fn validate(
    selected: &Selected,
    table: &Table,
    now: DateTime<Utc>,
) -> std::result::Result<Vec<Prepared>, Vec<LineError>> {
    let competition = &selected.record.competition;
    let mut errors = Vec::new();
    let header: Vec<String> = table
        .header
        .iter()
        .map(|h| column_key(competition, h))
        .collect();
    // The template's visible header, under the hidden row of keys.
    let second_header = table.rows.first().is_some_and(|(_, cells)| {
        cells.iter().any(|c| !c.trim().is_empty())
            && cells.iter().enumerate().all(|(i, c)| {
                c.trim().is_empty() || header.get(i) == Some(&column_key(competition, c))
            })
    });
    let rows = &table.rows[usize::from(second_header)..];
    let position = |name: &str| header.iter().position(|h| h == name);
    let mut header_problems = Vec::new();
    for required in ["unit_code", "day"] {
        if position(required).is_none() {
            header_problems.push(format!("thiếu cột {required}"));
        }
    }
    for key in competition.counter_keys() {
        if position(key).is_none() {
            header_problems.push(format!("thiếu cột {key}"));
        }
    }
    let mut seen_columns = HashSet::new();
    for h in &header {
        let known = ["unit_code", "unit_name", "day", "note"].contains(&h.as_str())
            || competition.counter_keys().any(|k| k == h);
        if h.is_empty() {
            continue;
        }
        if !known {
            header_problems.push(format!("cột {h:?} không có trong cuộc thi"));
        } else if !seen_columns.insert(h.clone()) {
            header_problems.push(format!("cột {h:?} bị lặp"));
        }
    }
    if !header_problems.is_empty() {
        return Err(vec![LineError {
            line: 1,
            message: format!("Dòng tiêu đề: {}", header_problems.join("; ")),
        }]);
    }
    let col = |name: &str| position(name).unwrap_or(usize::MAX);
    let (unit_col, day_col, note_col) = (col("unit_code"), col("day"), position("note"));
    let mut prepared = Vec::new();
    let mut seen = HashSet::new();
    let figure_columns: Vec<usize> = competition
        .counter_keys()
        .map(col)
        .chain(note_col)
        .collect();
    for (line, cells) in rows {
        let cell = |i: usize| cells.get(i).map(|c| c.trim()).unwrap_or("");
        // Nothing entered on this line: a unit the organiser had no figures for.
        if figure_columns.iter().all(|i| cell(*i).is_empty()) {
            continue;
        }
        let mut problems = Vec::new();
        let code = cell(unit_col);
        let unit = match selected.unit_typed(code) {
            Some(u) if u.active => Some(u),
            Some(_) => {
                problems.push(format!("đơn vị {code} đã ngừng hoạt động"));
                None
            }
            None if code.is_empty() => {
                problems.push("thiếu mã đơn vị (unit_code)".into());
                None
            }
            None => {
                problems.push(format!("không có đơn vị mã {code:?}"));
                None
            }
        };
        let report = ReportInput::from_text(
            &iso_day(cell(day_col)),
            competition.counter_keys().map(|key| (key, cell(col(key)))),
            note_col.map(cell),
        );
        match report::validate(competition, &report) {
            Ok(valid) => {
                if let Some(unit) = unit {
                    if !seen.insert((unit.id, valid.day)) {
                        problems.push(format!(
                            "đơn vị {code} ngày {} xuất hiện nhiều lần trong tệp",
                            valid.day
                        ));
                    } else if let Err(e) =
                        report::check_window(&selected.record, valid.day, now, ActorKind::Import)
                    {
                        problems.push(describe(&e));
                    } else if problems.is_empty() {
                        prepared.push(Prepared {
                            line: *line,
                            unit: unit.clone(),
                            day: valid.day,
                            report,
                        });
                    }
                }
            }
            Err(e) => problems.push(describe(&e)),
        }
        if !problems.is_empty() {
            errors.push(LineError {
                line: *line,
                message: problems.join("; "),
            });
        }
    }
    if prepared.is_empty() && errors.is_empty() {
        errors.push(LineError {
            line: 1,
            message: "Tệp không có dòng số liệu nào".into(),
        });
    }
    if errors.is_empty() {
        Ok(prepared)
    } else {
        Err(errors)
    }
}

/// The key a header cell names: a column key as it is, else a column's
/// Vietnamese (or English) label, in any case; anything else lowercased,
/// for the message that refuses it.
fn column_key(competition: &Competition, cell: &str) -> String {
    let text = cell.trim().trim_start_matches('\u{feff}').trim();
    let lower = text.to_lowercase();
    if FIXED_COLUMNS.iter().any(|(key, _)| *key == lower)
        || competition.counter_keys().any(|k| k == lower)
    {
        return lower;
    }
    let same = |label: &str| label.trim().to_lowercase() == lower;
    if let Some((key, _)) = FIXED_COLUMNS.iter().find(|(_, label)| same(label)) {
        return (*key).to_string();
    }
    competition
        .counters
        .iter()
        .find(|c| same(&c.label) || c.label_en.as_deref().is_some_and(same))
        .map(|c| c.key.clone())
        .unwrap_or(lower)
}

/// The columns every file has besides the counters, with the Vietnamese
/// header the template shows for each.
const FIXED_COLUMNS: [(&str, &str); 4] = [
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Tên đơn vị"),
    ("day", "Ngày"),
    ("note", "Ghi chú"),
];

/// `dd/mm/yyyy` (how Vietnamese write a day, and how the template shows
/// it) as `YYYY-MM-DD`; anything else as it is, for validation to judge.
fn iso_day(text: &str) -> String {
    chrono::NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .ok()
        .filter(|_| text.len() >= 8)
        .map(crate::day::text)
        .unwrap_or_else(|| text.to_string())
}

fn describe(e: &AppError) -> String {
    match e {
        AppError::Validation { fields, .. } => fields
            .iter()
            .map(|(field, message)| {
                let field = field.strip_prefix("counters.").unwrap_or(field);
                format!("{field}: {message}")
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.public_message(),
    }
}

/// The refusal of a file with bad lines: 422, one field per line
/// (`line.7`), nothing written.
pub fn refusal(errors: &[LineError]) -> AppError {
    let fields: FieldErrors = errors
        .iter()
        .map(|e| (format!("line.{}", e.line), e.message.clone()))
        .collect();
    AppError::Validation {
        message: format!(
            "Tệp có {} dòng lỗi; không dòng nào được ghi. Sửa các dòng sau rồi nhập lại.",
            errors.len()
        ),
        fields,
    }
}

/// Validates the whole file, then writes every line as the uploading
/// organiser, with the mandatory reason. Refuses the whole file if any line
/// is bad.
pub async fn import(
    submitter: &Submitter,
    store: &Store,
    selected: &Selected,
    upload: Upload<'_>,
    now: DateTime<Utc>,
) -> Result<ImportSummary> {
    import_with_progress(submitter, store, selected, upload, now, &mut |_| {}).await
}

/// [`import`], telling `progress` first how many lines will be written
/// (`Progress::Total`), then after each line written (for the command
/// line's progress bar).
pub async fn import_with_progress(
    submitter: &Submitter,
    store: &Store,
    selected: &Selected,
    upload: Upload<'_>,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportSummary> {
    let reason = upload.reason.trim();
    crate::text::check("reason", reason)?;
    if reason.is_empty() {
        return Err(AppError::field("reason", "Cần ghi lý do nhập số liệu"));
    }
    if selected.record.is_final() {
        return Err(AppError::Conflict {
            code: "competition_final",
            message: "Cuộc thi đã có kết quả chính thức, không thể thay đổi số liệu".into(),
        });
    }
    let prepared = crate::cpu::heavy(|| {
        let table = read_table(upload.bytes)?;
        validate(selected, &table, now).map_err(|errors| refusal(&errors))
    })?;
    let writer = Writer::organizer(ActorKind::Import, upload.actor, reason, upload.address);
    let mut summary = ImportSummary {
        lines: prepared.len(),
        ..ImportSummary::default()
    };
    progress(Progress::Total(prepared.len()));
    for line in prepared {
        let submitted = submitter
            .submit(Submission::new(line.unit, writer.clone(), line.report))
            .await
            .map_err(|e| match e {
                AppError::Unavailable(m) => AppError::Unavailable(format!(
                    "{m} (import stopped at line {}; re-run the same file to complete it)",
                    line.line
                )),
                other => other,
            })?;
        let receipt = submitted.receipt;
        if receipt.unchanged {
            summary.unchanged += 1;
        } else if receipt.created {
            summary.created += 1;
        } else {
            summary.updated += 1;
        }
        if receipt.late {
            summary.late += 1;
        }
        progress(Progress::Written);
    }
    let audit = Audit::new(AuditAction::ReportsImport, &writer.actor)
        .competition(selected.record.id)
        .target(&selected.record.competition.slug)
        .reason(writer.reason.as_deref().unwrap_or(reason))
        .details(&summary);
    store.audit(&audit, now).await?;
    Ok(summary)
}

/// An XLSX template for one group (or every unit) and one day: a sheet
/// "Số liệu" whose visible header names each column in Vietnamese (the
/// counters by their labels) above a hidden row of column keys, so the
/// file stays machine-readable; one row per active unit with its code, name
/// and the day; and a sheet "Hướng dẫn" explaining each column.
pub fn template(selected: &Selected, group: Option<&str>, day: NaiveDate) -> Result<Vec<u8>> {
    let competition = &selected.record.competition;
    if let Some(g) = group
        && competition.group(g).is_none()
    {
        return Err(AppError::NotFound(format!("Không có nhóm {g:?}")));
    }
    if !competition.contains(day) {
        return Err(AppError::field("day", "Ngày không thuộc thời gian thi đua"));
    }
    build_template(selected, group, day).map_err(|e| AppError::Internal(e.into()))
}

/// The template's columns: key, Vietnamese header, what to write.
fn template_columns(competition: &Competition) -> Vec<(String, String, String)> {
    let mut columns = vec![
        (
            "unit_code".to_string(),
            "Mã đơn vị".to_string(),
            "Mã đơn vị (không sửa)".to_string(),
        ),
        (
            "unit_name".into(),
            "Tên đơn vị".into(),
            "Tên đơn vị (chỉ để đối chiếu, không được nhập)".into(),
        ),
        (
            "day".into(),
            "Ngày".into(),
            "Ngày của số liệu, dạng dd/mm/yyyy (ví dụ 06/10/2025)".into(),
        ),
    ];
    for c in &competition.counters {
        columns.push((
            c.key.clone(),
            c.label.clone(),
            format!(
                "{} — số nguyên từ 0, viết liền (1200) hoặc có dấu chấm hàng nghìn (1.200); bắt buộc khi nhập dòng đó",
                c.label
            ),
        ));
    }
    columns.push((
        "note".into(),
        "Ghi chú".into(),
        "Ghi chú (không bắt buộc, tối đa 1.000 ký tự)".into(),
    ));
    columns
}

fn build_template(
    selected: &Selected,
    group: Option<&str>,
    day: NaiveDate,
) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let competition = &selected.record.competition;
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top)
        .set_background_color("#DDEBF7");
    let keys = Format::new().set_font_color("#808080");
    let text = Format::new().set_num_format("@");
    let columns = template_columns(competition);
    let mut workbook = Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name("Số liệu")?;
    for (i, (key, label, _)) in columns.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, key, &keys)?;
        ws.write_string_with_format(1, i as u16, label, &header)?;
    }
    // The keys stay in the file for the import (and any script) to read;
    // people see the Vietnamese header.
    ws.set_row_hidden(0)?;
    ws.set_row_height(1, 48)?;
    let day_text = day.format("%d/%m/%Y").to_string();
    let units = selected
        .active_units()
        .filter(|u| group.is_none_or(|g| u.group == g));
    for (i, unit) in units.enumerate() {
        let row = 2 + i as u32;
        ws.write_string_with_format(row, 0, &unit.code, &text)?;
        ws.write_string(row, 1, &unit.name)?;
        // Text, not a date cell, so that no locale turns it into 10/06/2025.
        ws.write_string_with_format(row, 2, &day_text, &text)?;
    }
    ws.set_column_width(0, 11)?;
    ws.set_column_width(1, 38)?;
    ws.set_column_width(2, 12)?;
    for i in 3..columns.len() as u16 {
        ws.set_column_width(i, 18)?;
    }
    ws.set_freeze_panes(2, 2)?;

    let help = workbook.add_worksheet();
    help.set_name("Hướng dẫn")?;
    let lines = [
        format!(
            "{} — mẫu nhập số liệu ngày {}",
            competition.name, day_text
        ),
        "Điền số liệu của các đơn vị cần nhập; dòng nào để trống toàn bộ số liệu thì được bỏ qua.".into(),
        "Cả tệp được kiểm tra trước: nếu có dòng sai, không dòng nào được ghi và mọi dòng sai được liệt kê.".into(),
        "Dòng 1 (ẩn) giữ mã cột để máy đọc tệp: không xoá, không sửa.".into(),
    ];
    for (row, line) in lines.iter().enumerate() {
        help.write_string(row as u32, 0, line)?;
    }
    let first = lines.len() as u32 + 1;
    help.write_string_with_format(first, 0, "Cột", &header)?;
    help.write_string_with_format(first, 1, "Mã cột", &header)?;
    help.write_string_with_format(first, 2, "Cách ghi", &header)?;
    for (i, (key, label, meaning)) in columns.iter().enumerate() {
        let row = first + 1 + i as u32;
        help.write_string(row, 0, label)?;
        help.write_string(row, 1, key)?;
        help.write_string(row, 2, meaning)?;
    }
    help.set_column_width(0, 40)?;
    help.set_column_width(1, 18)?;
    help.set_column_width(2, 90)?;
    workbook.save_to_buffer()
}
