//! The organiser's bulk entry of reports (SPEC §10): a CSV or XLSX file with
//! the columns `unit_code,day,<counter keys…>` (optionally `unit_name`,
//! ignored, and `note`), all or nothing.
//!
//! Every line is validated first — the figures with `report::parse`, the
//! unit, duplicates within the file, and the day window with
//! `report::check_window` as an organiser — and every bad line is reported
//! with its number. Only a file without a single bad line is written, line by
//! line through `ingest::submit` (the one write path: revisions, audit log,
//! ranking). Each line is its own transaction, so "nothing" is guaranteed for
//! bad input but not for a database that fails midway; re-running the same
//! file then completes it, since identical figures are not written twice.

use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{AppError, FieldErrors, Result};
use crate::http::ingest::{self, Submission};
use crate::report::{self, Writer};
use crate::state::{AppState, Selected};
use crate::store::{NewAudit, Unit};

/// Files above this many data lines are refused (a 10,000-unit province over
/// a week fits easily).
pub const MAX_LINES: usize = 100_000;

/// A table read from a file: the header and the data rows with their line
/// numbers as a spreadsheet shows them (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

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
    pub body: Value,
}

/// What a successful import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub lines: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub late: usize,
}

/// Reads a CSV (UTF-8, with or without BOM) or XLSX file, told apart by
/// content: an XLSX file is a ZIP archive.
pub fn read_table(bytes: &[u8]) -> Result<Table> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| AppError::BadRequest("Tệp CSV phải dùng bảng mã UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::BadRequest(format!("Không đọc được dòng tiêu đề: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            AppError::BadRequest(format!("Không đọc được tệp CSV ở dòng {line}"))
        })?;
        // The reader's position is where it began reading, before any blank
        // lines it skipped; count those so that numbers match the editor's.
        let (mut line, mut at) = record
            .position()
            .map(|p| (p.line() as usize, p.byte() as usize))
            .unwrap_or((0, usize::MAX));
        while let Some(b) = text
            .as_bytes()
            .get(at)
            .filter(|b| **b == b'\n' || **b == b'\r')
        {
            line += usize::from(*b == b'\n');
            at += 1;
        }
        rows.push((line, record.iter().map(str::to_string).collect()));
        if rows.len() > MAX_LINES {
            return Err(too_many());
        }
    }
    Ok(Table { header, rows })
}

fn too_many() -> AppError {
    AppError::BadRequest(format!("Tệp có quá nhiều dòng (tối đa {MAX_LINES})"))
}

/// A cell as the text a CSV would have held. Dates typed by Excel become
/// `YYYY-MM-DD`; whole numbers lose their `.0`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            // Excel's 1900 date system: serial 1 is 1900-01-01, with the
            // phantom 29/02/1900, so day 0 is 1899-12-30 for modern dates.
            let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
            base.checked_add_days(chrono::Days::new(d.as_f64().floor().max(0.0) as u64))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table> {
    let mut workbook = Xlsx::new(Cursor::new(bytes))
        .map_err(|_| AppError::BadRequest("Không đọc được tệp XLSX".into()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| AppError::BadRequest("Tệp XLSX không có trang tính nào".into()))?
        .map_err(|_| AppError::BadRequest("Không đọc được trang tính đầu tiên".into()))?;
    let first = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let mut rows = range.rows().enumerate();
    let header = match rows.next() {
        Some((_, cells)) => cells.iter().map(cell_text).collect(),
        None => Vec::new(),
    };
    let mut data = Vec::new();
    for (i, cells) in rows {
        data.push((first + i + 1, cells.iter().map(cell_text).collect()));
        if data.len() > MAX_LINES {
            return Err(too_many());
        }
    }
    Ok(Table { header, rows: data })
}

/// Checks every line against the competition at `state.now()`. Returns the
/// lines ready to write, or every problem: file-level ones (header) as
/// line 1.
pub fn validate(
    state: &AppState,
    selected: &Selected,
    table: &Table,
) -> std::result::Result<Vec<Prepared>, Vec<LineError>> {
    let competition = &selected.record.competition;
    let mut errors = Vec::new();
    let header: Vec<String> = table
        .header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
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
    let now = state.now();
    let mut prepared = Vec::new();
    let mut seen = HashSet::new();
    for (line, cells) in &table.rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| cells.get(i).map(|c| c.trim()).unwrap_or("");
        let mut problems = Vec::new();
        let code = cell(unit_col);
        let unit = match selected.unit(code) {
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
        let mut counters = Map::new();
        for key in competition.counter_keys() {
            let text = cell(col(key));
            if text.is_empty() {
                continue;
            }
            // Anything but a plain integer goes through as text so that
            // `report::parse` words the message.
            let value = match text.parse::<u64>() {
                Ok(n) => json!(n),
                Err(_) => match text.parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => json!(text),
                },
            };
            counters.insert(key.to_string(), value);
        }
        let mut body = json!({"day": cell(day_col), "counters": counters});
        if let Some(i) = note_col
            && !cell(i).is_empty()
        {
            body["note"] = json!(cell(i));
        }
        match report::parse(competition, &body, &[]) {
            Ok(valid) => {
                if let Some(unit) = unit {
                    if !seen.insert((unit.id, valid.day)) {
                        problems.push(format!(
                            "đơn vị {code} ngày {} xuất hiện nhiều lần trong tệp",
                            valid.day
                        ));
                    } else if let Err(e) =
                        report::check_window(&selected.record, valid.day, now, Writer::Organizer)
                    {
                        problems.push(describe(&e));
                    } else if problems.is_empty() {
                        prepared.push(Prepared {
                            line: *line,
                            unit: unit.clone(),
                            day: valid.day,
                            body: body.clone(),
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

/// Validates the whole file, then writes every line as `actor` with the
/// mandatory reason. Refuses the whole file if any line is bad.
pub async fn import(
    state: &AppState,
    selected: &Selected,
    bytes: &[u8],
    actor: &str,
    reason: &str,
    address: Option<String>,
) -> Result<ImportSummary> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field("reason", "Cần ghi lý do nhập số liệu"));
    }
    let reason: String = reason.chars().take(1000).collect();
    if selected.record.is_final() {
        return Err(AppError::Conflict {
            code: "competition_final",
            message: "Cuộc thi đã có kết quả chính thức, không thể thay đổi số liệu".into(),
        });
    }
    let table = read_table(bytes)?;
    let prepared = validate(state, selected, &table).map_err(|errors| refusal(&errors))?;
    let mut summary = ImportSummary {
        lines: prepared.len(),
        ..ImportSummary::default()
    };
    for line in prepared {
        let submission =
            Submission::by_organizer(line.unit, "import", actor, &reason, address.clone());
        let accepted = ingest::submit(state, submission, &line.body)
            .await
            .map_err(|e| match e {
                AppError::Unavailable(m) => AppError::Unavailable(format!(
                    "{m} (import stopped at line {}; re-run the same file to complete it)",
                    line.line
                )),
                other => other,
            })?;
        let flag = |k: &str| accepted.body.get(k).and_then(Value::as_bool) == Some(true);
        if flag("unchanged") {
            summary.unchanged += 1;
        } else if accepted.status == axum::http::StatusCode::CREATED {
            summary.created += 1;
        } else {
            summary.updated += 1;
        }
        if flag("late") {
            summary.late += 1;
        }
    }
    state
        .store()
        .audit(
            &NewAudit {
                competition_id: Some(selected.record.id),
                actor,
                action: "reports.import",
                target: Some(&selected.record.competition.slug),
                reason: Some(&reason),
                details: Some(&serde_json::to_string(&summary).unwrap_or_default()),
            },
            state.now(),
        )
        .await?;
    Ok(summary)
}

/// `thidua reports import FILE --competition SLUG --reason TEXT`: every bad
/// line on stderr, then a one-line reason; or a summary on stdout.
pub async fn run_file(
    state: &AppState,
    slug: &str,
    path: &std::path::Path,
    reason: &str,
) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let selected = state.competition(Some(slug))?;
    eprintln!("{}: validating…", path.display());
    match import(state, &selected, &bytes, "cli", reason, None).await {
        Ok(s) => {
            println!(
                "{} lines imported: {} new, {} updated, {} unchanged ({} late)",
                s.lines, s.created, s.updated, s.unchanged, s.late
            );
            Ok(())
        }
        Err(AppError::Validation { message, fields }) => {
            let mut lines: Vec<(usize, &String, &String)> = fields
                .iter()
                .map(|(k, v)| {
                    let n = k.strip_prefix("line.").and_then(|n| n.parse().ok());
                    (n.unwrap_or(0), k, v)
                })
                .collect();
            lines.sort();
            for (n, key, problem) in lines {
                if n > 0 {
                    eprintln!("line {n}: {problem}");
                } else {
                    eprintln!("{key}: {problem}");
                }
            }
            anyhow::bail!("{}: {message}", path.display())
        }
        Err(e) => anyhow::bail!("{}: {}", path.display(), e.public_message()),
    }
}

/// An XLSX template for one group (or every unit) and one day: the header
/// row the import expects, one row per active unit with its name, and a
/// sheet explaining each counter.
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

fn build_template(
    selected: &Selected,
    group: Option<&str>,
    day: NaiveDate,
) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let competition = &selected.record.competition;
    let header = Format::new().set_bold().set_background_color("#DDEBF7");
    let mut workbook = Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name("So lieu")?;
    let mut columns = vec!["unit_code", "unit_name", "day"];
    columns.extend(competition.counter_keys());
    columns.push("note");
    for (i, c) in columns.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *c, &header)?;
    }
    let day_text = day.format("%Y-%m-%d").to_string();
    let units = selected
        .active_units()
        .filter(|u| group.is_none_or(|g| u.group == g));
    for (i, unit) in units.enumerate() {
        let row = 1 + i as u32;
        ws.write_string(row, 0, &unit.code)?;
        ws.write_string(row, 1, &unit.name)?;
        // Text, not a date cell, so that no locale turns it into 06/10/2025.
        ws.write_string(row, 2, &day_text)?;
    }
    ws.set_column_width(0, 11)?;
    ws.set_column_width(1, 38)?;
    ws.set_column_width(2, 12)?;
    for i in 3..columns.len() as u16 {
        ws.set_column_width(i, 16)?;
    }
    ws.set_freeze_panes(1, 2)?;

    let help = workbook.add_worksheet();
    help.set_name("Huong dan")?;
    help.write_string_with_format(0, 0, "Cột", &header)?;
    help.write_string_with_format(0, 1, "Ý nghĩa", &header)?;
    let mut meanings: BTreeMap<usize, (String, String)> = BTreeMap::new();
    meanings.insert(0, ("unit_code".into(), "Mã đơn vị (không sửa)".into()));
    meanings.insert(
        1,
        (
            "unit_name".into(),
            "Tên đơn vị (chỉ để đối chiếu, không được nhập)".into(),
        ),
    );
    meanings.insert(2, ("day".into(), "Ngày số liệu, dạng YYYY-MM-DD".into()));
    for (i, c) in competition.counters.iter().enumerate() {
        meanings.insert(
            3 + i,
            (
                c.key.clone(),
                format!("{} (số nguyên ≥ 0, bắt buộc)", c.label),
            ),
        );
    }
    meanings.insert(
        3 + competition.counters.len(),
        ("note".into(), "Ghi chú (không bắt buộc)".into()),
    );
    for (row, (key, meaning)) in meanings.values().enumerate() {
        help.write_string(1 + row as u32, 0, key)?;
        help.write_string(1 + row as u32, 1, meaning)?;
    }
    help.set_column_width(0, 18)?;
    help.set_column_width(1, 60)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_keeps_line_numbers_and_drops_the_bom() {
        let t = read_table(
            "\u{feff}unit_code,day\r\nA,2025-10-06\r\n\r\nB,2025-10-07\r\nC,x\r\n\n\nD,y\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(t.header, ["unit_code", "day"]);
        let lines: Vec<usize> = t.rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 4, 5, 8]);
    }

    #[test]
    fn excel_cells_become_csv_text() {
        assert_eq!(cell_text(&Data::Float(12.0)), "12");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
        assert_eq!(cell_text(&Data::String(" x ".into())), "x");
        let date =
            calamine::ExcelDateTime::new(45936.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(date)), "2025-10-06");
    }

    #[test]
    fn non_utf8_csv_is_a_clear_400() {
        let e = read_table(&[b'a', 0xff, b'\n']).unwrap_err();
        assert!(matches!(e, AppError::BadRequest(_)));
    }
}
