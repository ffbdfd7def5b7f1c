//! Exports of the standings (SPEC §12) for the organiser: XLSX for Excel,
//! CSV (UTF-8 with BOM, so Excel reads the diacritics), and JSON. The same
//! bytes serve the admin endpoint, the admin page and `thidua export`.
//!
//! The source is the final standings once the competition is final, else
//! the live boards as organisers see them, marked provisional ("TẠM TÍNH").
//! Unit names and every other supplied text go into cells as strings, never
//! as formulas: a name such as `=HYPERLINK(…)` stays literal text.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde_json::json;

use crate::error::{AppError, Result};
use crate::leaderboard::{self, CriterionView, Leaderboard, Viewer};
use crate::ranking::Period;
use crate::state::{AppState, Selected};
use crate::store::{ReportRow, RevisionRow};

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
    Json,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Some(ExportFormat::Xlsx),
            "csv" => Some(ExportFormat::Csv),
            "json" => Some(ExportFormat::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => XLSX_TYPE,
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
        }
    }
}

/// A finished export file.
pub struct Export {
    pub format: ExportFormat,
    /// ASCII file name, e.g. `lang-son-2025-ket-qua-chinh-thuc.xlsx`.
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Every board of a competition, as exported.
pub struct Standings {
    pub selected: Selected,
    pub is_final: bool,
    pub boards: Vec<Leaderboard>,
    pub exported_at: DateTime<Utc>,
}

impl Standings {
    fn tz(&self) -> Tz {
        self.selected.record.competition.timezone
    }

    pub fn status_label(&self) -> &'static str {
        if self.is_final {
            "KẾT QUẢ CHÍNH THỨC"
        } else {
            "TẠM TÍNH"
        }
    }

    fn exported_local(&self) -> String {
        self.exported_at
            .with_timezone(&self.tz())
            .format("%H:%M ngày %d/%m/%Y")
            .to_string()
    }

    fn dates(&self) -> String {
        let c = &self.selected.record.competition;
        format!(
            "Từ ngày {} đến ngày {}",
            c.start_date.format("%d/%m/%Y"),
            c.end_date.format("%d/%m/%Y")
        )
    }

    fn group_name(&self, code: &str) -> String {
        self.selected
            .record
            .competition
            .group(code)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| code.to_string())
    }
}

/// The whole-period board of every board of the competition.
pub async fn standings(state: &AppState, selected: &Selected) -> Result<Standings> {
    let mut boards = Vec::new();
    for board in selected.record.competition.boards() {
        let rendered =
            leaderboard::current(state, selected, &board, Period::Whole, Viewer::Organizer).await?;
        boards.push(rendered.board.clone());
    }
    Ok(Standings {
        selected: selected.clone(),
        is_final: selected.record.is_final(),
        boards,
        exported_at: state.now(),
    })
}

/// Builds an export of `selected` in `format`.
pub async fn export(state: &AppState, selected: &Selected, format: ExportFormat) -> Result<Export> {
    let standings = standings(state, selected).await?;
    let bytes = match format {
        ExportFormat::Xlsx => {
            let daily = state.store().reports(selected.record.id).await?;
            let corrections = state.store().corrections(selected.record.id).await?;
            xlsx(&standings, &daily, &corrections).map_err(|e| AppError::Internal(e.into()))?
        }
        ExportFormat::Csv => csv(&standings)?,
        ExportFormat::Json => json(&standings)?,
    };
    let kind = if standings.is_final {
        "ket-qua-chinh-thuc"
    } else {
        "tam-tinh"
    };
    Ok(Export {
        format,
        filename: format!(
            "{}-{kind}.{}",
            selected.record.competition.slug,
            format.extension()
        ),
        bytes,
    })
}

/// `thidua export --competition SLUG --format xlsx|csv|json --out FILE`.
pub async fn run_file(
    state: &AppState,
    slug: &str,
    format: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let format = ExportFormat::parse(format)
        .ok_or_else(|| anyhow::anyhow!("--format must be xlsx, csv or json, not {format:?}"))?;
    let selected = state.competition(Some(slug))?;
    let file = export(state, &selected, format)
        .await
        .map_err(|e| anyhow::anyhow!("export failed: {}", e.public_message()))?;
    std::fs::write(out, &file.bytes)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    let kind = if selected.record.is_final() {
        "final"
    } else {
        "provisional"
    };
    println!(
        "{} standings of {slug} written to {} ({} bytes)",
        kind,
        out.display(),
        file.bytes.len()
    );
    Ok(())
}

fn rate(view: Option<&CriterionView>) -> Option<f64> {
    view.and_then(|v| v.rate_bp)
        .map(|bp| f64::from(bp) / 10000.0)
}

fn reason_label(reason: &str) -> &'static str {
    match reason {
        "no_reports" => "Chưa báo cáo",
        "no_dossiers" => "Không phát sinh hồ sơ",
        _ => "Chưa xếp hạng",
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`,
/// unique in the workbook.
fn sheet_name(wanted: &str, fallback: &str, taken: &mut Vec<String>) -> String {
    let clean: String = wanted
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .collect::<String>()
        .trim_matches(|c: char| c == '\'' || c.is_whitespace())
        .chars()
        .take(31)
        .collect();
    let mut name = if clean.is_empty() {
        fallback.chars().take(31).collect()
    } else {
        clean
    };
    let mut n = 2;
    while taken
        .iter()
        .any(|t| t.to_lowercase() == name.to_lowercase())
    {
        let suffix = format!(" ({n})");
        let base: String = name.chars().take(31 - suffix.chars().count()).collect();
        name = format!("{base}{suffix}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

struct Styles {
    title: Format,
    bold: Format,
    status: Format,
    header: Format,
    percent: Format,
    score: Format,
    integer: Format,
    text: Format,
}

impl Styles {
    fn new() -> Styles {
        let header = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_background_color("#DDEBF7")
            .set_border(rust_xlsxwriter::FormatBorder::Thin);
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            status: Format::new().set_bold().set_font_color("#C00000"),
            header,
            percent: Format::new().set_num_format("0.00%"),
            score: Format::new().set_num_format("0.00"),
            integer: Format::new().set_num_format("#,##0"),
            text: Format::new(),
        }
    }
}

/// Title, organiser, dates, status and export time; returns the next free row.
fn title_block(
    ws: &mut Worksheet,
    s: &Standings,
    st: &Styles,
    subtitle: &str,
) -> Result<u32, XlsxError> {
    let c = &s.selected.record.competition;
    ws.write_string_with_format(0, 0, &c.organizer, &st.bold)?;
    ws.write_string_with_format(1, 0, &c.name, &st.title)?;
    ws.write_string(2, 0, format!("{} — {}", s.dates(), subtitle))?;
    ws.write_string_with_format(3, 0, s.status_label(), &st.status)?;
    ws.write_string(4, 0, format!("Xuất lúc {}", s.exported_local()))?;
    Ok(6)
}

/// The XLSX workbook: summary, one sheet per board, daily figures, corrections.
pub fn xlsx(
    s: &Standings,
    daily: &[ReportRow],
    corrections: &[RevisionRow],
) -> Result<Vec<u8>, XlsxError> {
    let st = Styles::new();
    let c = &s.selected.record.competition;
    let mut workbook = Workbook::new();
    let mut taken = Vec::new();

    // Summary: one row per board with its totals.
    let ws = workbook.add_worksheet();
    ws.set_name(sheet_name("Tổng hợp", "Tong hop", &mut taken))?;
    let top = title_block(ws, s, &st, "Tổng hợp")?;
    let mut headers = vec![
        "Bảng xếp hạng".to_string(),
        "Số đơn vị".into(),
        "Đã báo cáo".into(),
        "Được xếp hạng".into(),
        "Chưa xếp hạng".into(),
    ];
    headers.extend(
        c.criteria
            .iter()
            .map(|k| format!("{} (toàn bảng)", k.label)),
    );
    headers.push("Điểm toàn bảng".into());
    for (col, h) in headers.iter().enumerate() {
        ws.write_string_with_format(top, col as u16, h, &st.header)?;
    }
    for (i, board) in s.boards.iter().enumerate() {
        let row = top + 1 + i as u32;
        ws.write_string(row, 0, &board.board_name)?;
        ws.write_number(row, 1, board.totals.units as f64)?;
        ws.write_number(row, 2, board.totals.reported as f64)?;
        ws.write_number(row, 3, board.entries.len() as f64)?;
        ws.write_number(row, 4, board.unranked.len() as f64)?;
        for (j, k) in c.criteria.iter().enumerate() {
            let col = 5 + j as u16;
            match board.totals.criteria.get(&k.key).and_then(|t| t.rate_bp) {
                Some(bp) => {
                    ws.write_number_with_format(row, col, f64::from(bp) / 10000.0, &st.percent)?
                }
                None => ws.write_blank(row, col, &st.text)?,
            };
        }
        let col = 5 + c.criteria.len() as u16;
        match board.totals.score {
            Some(score) => ws.write_number_with_format(row, col, score, &st.score)?,
            None => ws.write_blank(row, col, &st.text)?,
        };
    }
    ws.set_column_width(0, 28)?;
    for col in 1..headers.len() as u16 {
        ws.set_column_width(col, 16)?;
    }
    ws.set_row_height(top, 45)?;
    ws.set_freeze_panes(top + 1, 0)?;

    // One sheet per board.
    for board in &s.boards {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet_name(&board.board_name, &board.board, &mut taken))?;
        ws.set_landscape();
        ws.set_paper_size(9);
        let top = title_block(ws, s, &st, &format!("Bảng xếp hạng: {}", board.board_name))?;
        let mut headers = vec![
            "Hạng".to_string(),
            "Mã đơn vị".into(),
            "Tên đơn vị".into(),
            "Nhóm".into(),
        ];
        for k in &c.criteria {
            headers.push(format!("{} — tử số", k.label));
            headers.push(format!("{} — mẫu số", k.label));
            headers.push(format!("{} — tỷ lệ", k.label));
        }
        headers.extend(["Điểm", "Xếp loại", "Số ngày báo cáo", "Ghi chú"].map(String::from));
        for (col, h) in headers.iter().enumerate() {
            ws.write_string_with_format(top, col as u16, h, &st.header)?;
        }
        let mut row = top + 1;
        let criteria_cols = |ws: &mut Worksheet,
                             row: u32,
                             criteria: &std::collections::BTreeMap<String, CriterionView>|
         -> Result<(), XlsxError> {
            for (j, k) in c.criteria.iter().enumerate() {
                let col = 4 + 3 * j as u16;
                let view = criteria.get(&k.key);
                let (n, d) = view.map(|v| (v.numerator, v.denominator)).unwrap_or((0, 0));
                ws.write_number_with_format(row, col, n as f64, &st.integer)?;
                ws.write_number_with_format(row, col + 1, d as f64, &st.integer)?;
                match rate(view) {
                    Some(r) => ws.write_number_with_format(row, col + 2, r, &st.percent)?,
                    None => ws.write_blank(row, col + 2, &st.text)?,
                };
            }
            Ok(())
        };
        let after = 4 + 3 * c.criteria.len() as u16;
        for e in &board.entries {
            ws.write_number(row, 0, f64::from(e.rank))?;
            ws.write_string(row, 1, &e.unit.code)?;
            ws.write_string(row, 2, &e.unit.name)?;
            ws.write_string(row, 3, s.group_name(&e.unit.group))?;
            criteria_cols(ws, row, &e.criteria)?;
            ws.write_number_with_format(row, after, f64::from(e.score_bp) / 100.0, &st.score)?;
            ws.write_string(row, after + 1, e.grade.as_deref().unwrap_or(""))?;
            ws.write_number(row, after + 2, f64::from(e.days_reported))?;
            row += 1;
        }
        for u in &board.unranked {
            ws.write_string(row, 1, &u.unit.code)?;
            ws.write_string(row, 2, &u.unit.name)?;
            ws.write_string(row, 3, s.group_name(&u.unit.group))?;
            criteria_cols(ws, row, &u.criteria)?;
            ws.write_number(row, after + 2, f64::from(u.days_reported))?;
            ws.write_string(row, after + 3, reason_label(&u.reason))?;
            row += 1;
        }
        ws.set_column_width(0, 7)?;
        ws.set_column_width(1, 11)?;
        ws.set_column_width(2, 38)?;
        ws.set_column_width(3, 20)?;
        for col in 4..after {
            ws.set_column_width(col, 13)?;
        }
        ws.set_column_width(after, 9)?;
        ws.set_column_width(after + 1, 12)?;
        ws.set_column_width(after + 2, 10)?;
        ws.set_column_width(after + 3, 22)?;
        ws.set_row_height(top, 60)?;
        ws.set_freeze_panes(top + 1, 3)?;
        ws.set_repeat_rows(top, top)?;
        ws.set_print_fit_to_pages(1, 0);
    }

    let units: HashMap<i64, &crate::store::Unit> =
        s.selected.units.iter().map(|u| (u.id, u)).collect();
    let unit_cells =
        |ws: &mut Worksheet, row: u32, col: u16, unit_id: i64| -> Result<(), XlsxError> {
            let unit = units.get(&unit_id);
            ws.write_string(row, col, unit.map(|u| u.code.as_str()).unwrap_or(""))?;
            ws.write_string(row, col + 1, unit.map(|u| u.name.as_str()).unwrap_or(""))?;
            ws.write_string(
                row,
                col + 2,
                unit.map(|u| s.group_name(&u.group)).unwrap_or_default(),
            )?;
            Ok(())
        };
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&s.tz())
            .format("%d/%m/%Y %H:%M")
            .to_string()
    };

    // Daily figures: the current revision of every report.
    let ws = workbook.add_worksheet();
    ws.set_name(sheet_name("Số liệu hằng ngày", "So lieu", &mut taken))?;
    let top = title_block(ws, s, &st, "Số liệu hằng ngày")?;
    let mut headers = vec![
        "Ngày".to_string(),
        "Mã đơn vị".into(),
        "Tên đơn vị".into(),
        "Nhóm".into(),
    ];
    headers.extend(c.counters.iter().map(|k| k.label.clone()));
    headers.extend(
        [
            "Lần cập nhật",
            "Báo cáo muộn",
            "Đã hiệu chỉnh",
            "Cập nhật lúc",
        ]
        .map(String::from),
    );
    for (col, h) in headers.iter().enumerate() {
        ws.write_string_with_format(top, col as u16, h, &st.header)?;
    }
    let mut daily: Vec<&ReportRow> = daily.iter().collect();
    daily.sort_by_key(|r| (r.day, units.get(&r.unit_id).map(|u| u.code.clone())));
    for (i, r) in daily.iter().enumerate() {
        let row = top + 1 + i as u32;
        ws.write_string(row, 0, r.day.format("%d/%m/%Y").to_string())?;
        unit_cells(ws, row, 1, r.unit_id)?;
        for (j, k) in c.counters.iter().enumerate() {
            let v = r.counters.get(&k.key).copied().unwrap_or(0);
            ws.write_number_with_format(row, 4 + j as u16, v as f64, &st.integer)?;
        }
        let col = 4 + c.counters.len() as u16;
        ws.write_number(row, col, r.revision as f64)?;
        ws.write_string(row, col + 1, if r.late { "Có" } else { "" })?;
        ws.write_string(row, col + 2, if r.corrected { "Có" } else { "" })?;
        ws.write_string(row, col + 3, local(r.updated_at))?;
    }
    ws.set_column_width(0, 12)?;
    ws.set_column_width(1, 11)?;
    ws.set_column_width(2, 38)?;
    ws.set_column_width(3, 20)?;
    for col in 4..headers.len() as u16 {
        ws.set_column_width(col, 14)?;
    }
    ws.set_row_height(top, 45)?;
    ws.set_freeze_panes(top + 1, 3)?;

    // Corrections: every revision an organiser or an import wrote.
    let ws = workbook.add_worksheet();
    ws.set_name(sheet_name("Hiệu chỉnh", "Hieu chinh", &mut taken))?;
    let top = title_block(ws, s, &st, "Các lần Ban tổ chức nhập, sửa số liệu")?;
    let mut headers = vec![
        "Thời gian".to_string(),
        "Ngày số liệu".into(),
        "Mã đơn vị".into(),
        "Tên đơn vị".into(),
        "Nhóm".into(),
        "Lần".into(),
        "Người thực hiện".into(),
        "Hình thức".into(),
        "Lý do".into(),
        "Muộn".into(),
    ];
    headers.extend(c.counters.iter().map(|k| k.label.clone()));
    for (col, h) in headers.iter().enumerate() {
        ws.write_string_with_format(top, col as u16, h, &st.header)?;
    }
    for (i, v) in corrections.iter().enumerate() {
        let row = top + 1 + i as u32;
        ws.write_string(row, 0, local(v.created_at))?;
        ws.write_string(row, 1, v.day.format("%d/%m/%Y").to_string())?;
        unit_cells(ws, row, 2, v.unit_id)?;
        ws.write_number(row, 5, v.revision as f64)?;
        ws.write_string(row, 6, &v.actor)?;
        ws.write_string(
            row,
            7,
            match v.actor_kind.as_str() {
                "import" => "Nhập từ tệp",
                "admin" => "Nhập/sửa trực tiếp",
                other => other,
            },
        )?;
        ws.write_string(row, 8, v.reason.as_deref().unwrap_or(""))?;
        ws.write_string(row, 9, if v.late { "Có" } else { "" })?;
        for (j, k) in c.counters.iter().enumerate() {
            let value = v.counters.get(&k.key).copied().unwrap_or(0);
            ws.write_number_with_format(row, 10 + j as u16, value as f64, &st.integer)?;
        }
    }
    for (col, width) in [17, 12, 11, 38, 20, 6, 18, 18, 40, 7].iter().enumerate() {
        ws.set_column_width(col as u16, *width)?;
    }
    for col in 10..headers.len() as u16 {
        ws.set_column_width(col, 14)?;
    }
    ws.set_row_height(top, 45)?;
    ws.set_freeze_panes(top + 1, 0)?;

    workbook.save_to_buffer()
}

/// Text a spreadsheet would take for a formula gets a leading apostrophe
/// (the OWASP advice for CSV injection); other text is unchanged.
pub fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn percent_text(bp: Option<u32>) -> String {
    bp.map(|bp| format!("{}.{:02}", bp / 100, bp % 100))
        .unwrap_or_default()
}

/// CSV: UTF-8 with BOM, one row per unit and board, ranked units first.
pub fn csv(s: &Standings) -> Result<Vec<u8>> {
    let c = &s.selected.record.competition;
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let mut header = vec![
            "board".to_string(),
            "board_name".into(),
            "status".into(),
            "rank".into(),
            "unit_code".into(),
            "unit_name".into(),
            "group".into(),
        ];
        for k in &c.criteria {
            header.push(format!("{}_numerator", k.key));
            header.push(format!("{}_denominator", k.key));
            header.push(format!("{}_rate_percent", k.key));
        }
        header.extend(
            [
                "score",
                "score_bp",
                "grade",
                "days_reported",
                "unranked_reason",
            ]
            .map(String::from),
        );
        let fail = |e: csv::Error| AppError::Internal(e.into());
        w.write_record(&header).map_err(fail)?;
        let status = if s.is_final { "final" } else { "provisional" };
        for board in &s.boards {
            let criteria = |map: &std::collections::BTreeMap<String, CriterionView>| {
                let mut cells = Vec::new();
                for k in &c.criteria {
                    let v = map.get(&k.key);
                    cells.push(v.map(|v| v.numerator.to_string()).unwrap_or_default());
                    cells.push(v.map(|v| v.denominator.to_string()).unwrap_or_default());
                    cells.push(percent_text(v.and_then(|v| v.rate_bp)));
                }
                cells
            };
            for e in &board.entries {
                let mut row = vec![
                    board.board.clone(),
                    board.board_name.clone(),
                    status.to_string(),
                    e.rank.to_string(),
                    csv_text(&e.unit.code),
                    csv_text(&e.unit.name),
                    e.unit.group.clone(),
                ];
                row.extend(criteria(&e.criteria));
                row.push(percent_text(Some(e.score_bp)));
                row.push(e.score_bp.to_string());
                row.push(csv_text(e.grade.as_deref().unwrap_or("")));
                row.push(e.days_reported.to_string());
                row.push(String::new());
                w.write_record(&row).map_err(fail)?;
            }
            for u in &board.unranked {
                let mut row = vec![
                    board.board.clone(),
                    board.board_name.clone(),
                    status.to_string(),
                    String::new(),
                    csv_text(&u.unit.code),
                    csv_text(&u.unit.name),
                    u.unit.group.clone(),
                ];
                row.extend(criteria(&u.criteria));
                row.extend([String::new(), String::new(), String::new()]);
                row.push(u.days_reported.to_string());
                row.push(u.reason.clone());
                w.write_record(&row).map_err(fail)?;
            }
        }
        w.flush().map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(out)
}

/// JSON: the leaderboard body of every board, and whether they are final.
pub fn json(s: &Standings) -> Result<Vec<u8>> {
    let body = json!({
        "competition": s.selected.record.competition.slug,
        "final": s.is_final,
        "status": if s.is_final { "final" } else { "provisional" },
        "exported_at": s.exported_at.with_timezone(&s.tz()).to_rfc3339(),
        "boards": s.boards,
    });
    serde_json::to_vec_pretty(&body).map_err(|e| AppError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_defused_in_csv() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("Xã Thất Khê"), "Xã Thất Khê");
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(
            sheet_name("Sở, ban, ngành", "x", &mut taken),
            "Sở, ban, ngành"
        );
        assert_eq!(sheet_name("A/B:C", "x", &mut taken), "ABC");
        assert_eq!(sheet_name("abc", "x", &mut taken), "abc (2)");
        let long = sheet_name(&"Ủy ban nhân dân ".repeat(5), "x", &mut taken);
        assert!(long.chars().count() <= 31);
        assert_eq!(sheet_name("[]", "fallback", &mut taken), "fallback");
    }

    #[test]
    fn percentages_keep_two_decimals() {
        assert_eq!(percent_text(Some(9735)), "97.35");
        assert_eq!(percent_text(Some(5)), "0.05");
        assert_eq!(percent_text(None), "");
    }
}
