//! The XLSX workbook: a summary sheet, one sheet per board, the daily
//! figures and the corrections — each sheet a document a department can
//! print, sign and file.
//!
//! Every sheet has the same frame: the issuing body and the national
//! heading, the place and date line, the title, the table (headers repeated
//! on every printed page), then "Nơi nhận" and the signer's block. Pages are
//! A4, landscape when the table is wide, scaled so that the table fits the
//! page width, with page numbers.
//!
//! The print scale is set explicitly, not "fit to one page wide": Excel
//! ignores manual page breaks under "fit to", and the breaks are what keep
//! the signer's block on the page with the table's last rows. Since every
//! row height is set here too, this module knows where each page ends and
//! breaks the pages itself.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use chrono_tz::Tz;
use rust_xlsxwriter::{
    ExcelDateTime, Format, FormatAlign, FormatBorder, FormatUnderline, Workbook, Worksheet,
    XlsxError,
};

use super::{MOTTO, NATION, Results, reason_label};
use crate::leaderboard::{CriterionView, Leaderboard};
use crate::report::ActorKind;
use crate::store::{ReportRow, RevisionRow, Unit};

/// Times New Roman is what Vietnamese administrative documents are set in;
/// LibreOffice substitutes the metric-compatible Liberation Serif.
const FONT: &str = "Times New Roman";
const FONT_SIZE: f64 = 11.0;

/// Paper and margins, in points.
const A4_SHORT: f64 = 595.3;
const A4_LONG: f64 = 841.9;
const MARGIN_LEFT_IN: f64 = 0.8;
const MARGIN_RIGHT_IN: f64 = 0.5;
const MARGIN_TOP_IN: f64 = 0.6;
const MARGIN_BOTTOM_IN: f64 = 0.7;
const MARGIN_HEADER_IN: f64 = 0.3;
const MARGIN_FOOTER_IN: f64 = 0.3;

/// Points per character of column width. Excel draws a width of one
/// character as 7 px (5.25 pt) of an 11-point font; LibreOffice as the
/// font's digit, 5.5 pt for Times New Roman. The wider one decides the
/// scale, so that both print every column on the page.
const POINTS_PER_CHAR: f64 = 5.5;
/// Excel's padding added to every column width, in characters.
const COLUMN_PADDING: f64 = 0.71;

/// Row heights in points: multiples of 0.75 pt, whole pixels for Excel.
const LINE: f64 = 15.0;
const DATA_ROW: f64 = 16.5;

/// Room kept free at the bottom of every page for rounding in the
/// spreadsheet program.
const PAGE_SLACK: f64 = 0.97;
/// Rows kept on the page with the signer's block.
const ROWS_WITH_SIGNATURE: usize = 3;
/// Excel accepts at most this many manual page breaks on a sheet.
const MAX_PAGE_BREAKS: usize = 1023;

/// A value in a table cell.
enum Cell {
    Text(String),
    Count(u64),
    /// Basis points, written as a fraction and shown as a percentage.
    Rate(Option<u32>),
    /// Basis points, shown as a score with two decimals.
    Score(u32),
    Rank(u32),
    Date(NaiveDate),
    Time(DateTime<Tz>),
    Blank,
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Blank | Cell::Rate(None) => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }
}

/// A column: its header (under a group header when `group` is set), its
/// width in characters, and whether it is left out when every cell is blank.
struct Column {
    group: Option<String>,
    header: String,
    width: f64,
    optional: bool,
    /// Long text wraps onto more lines instead of widening the column.
    wraps: bool,
}

impl Column {
    /// A column at least `width` characters wide, and wide enough for a
    /// short header on one line: "Mã đơn vị" broken after "đơn" reads badly.
    fn new(header: impl Into<String>, width: f64) -> Column {
        let header = header.into();
        let one_line = text_width(&header, FONT_SIZE * 1.1) + 1.0;
        let width = if one_line <= 12.0 {
            width.max(one_line)
        } else {
            width
        };
        Column {
            group: None,
            header,
            width,
            optional: false,
            wraps: false,
        }
    }

    fn under(mut self, group: &str) -> Column {
        self.group = Some(group.to_string());
        self
    }

    fn optional(mut self) -> Column {
        self.optional = true;
        self
    }

    fn wrapping(mut self) -> Column {
        self.wraps = true;
        self
    }
}

/// One sheet: the title lines and the table.
struct Sheet {
    name: String,
    /// Bold capitals: "KẾT QUẢ XẾP HẠNG".
    title: String,
    /// The line under the competition's name: board, dates.
    subtitle: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
    /// Shown instead of an empty table.
    empty: &'static str,
    /// Columns kept in view when scrolling sideways (rank, code, name).
    frozen_columns: u16,
}

/// The cell formats of a workbook.
struct Styles {
    plain: Format,
    issuer: Format,
    issuer_body: Format,
    nation: Format,
    motto: Format,
    rule: Format,
    place_date: Format,
    title: Format,
    name: Format,
    subtitle: Format,
    status_final: Format,
    status_provisional: Format,
    exported: Format,
    header: Format,
    text: Format,
    text_wrap: Format,
    count: Format,
    rate: Format,
    score: Format,
    rank: Format,
    date: Format,
    time: Format,
    empty: Format,
    recipients_title: Format,
    recipient: Format,
    signer: Format,
}

impl Styles {
    fn new() -> Styles {
        let base = Format::new().set_font_name(FONT).set_font_size(FONT_SIZE);
        let centered = base
            .clone()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter);
        let cell = base
            .clone()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        Styles {
            plain: base.clone(),
            issuer: centered.clone().set_font_size(12.0),
            issuer_body: centered.clone().set_font_size(12.0).set_bold(),
            nation: centered.clone().set_font_size(12.0).set_bold(),
            motto: centered
                .clone()
                .set_font_size(12.0)
                .set_bold()
                .set_underline(FormatUnderline::Single),
            rule: centered.clone().set_underline(FormatUnderline::Single),
            place_date: centered.clone().set_font_size(12.0).set_italic(),
            title: centered.clone().set_font_size(14.0).set_bold(),
            name: centered
                .clone()
                .set_font_size(12.0)
                .set_bold()
                .set_text_wrap(),
            subtitle: centered.clone().set_text_wrap(),
            status_final: centered.clone().set_bold(),
            status_provisional: centered.clone().set_bold().set_font_color("#C00000"),
            exported: centered.clone().set_italic().set_font_size(10.0),
            header: centered
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_border(FormatBorder::Thin)
                .set_background_color("#DDEBF7"),
            text: cell.clone(),
            text_wrap: cell.clone().set_text_wrap(),
            count: cell.clone().set_num_format("#,##0"),
            rate: cell.clone().set_num_format("0.00%"),
            score: cell.clone().set_num_format("0.00"),
            rank: cell.clone().set_align(FormatAlign::Center),
            date: cell
                .clone()
                .set_num_format("dd/mm/yyyy")
                .set_align(FormatAlign::Center),
            time: cell
                .clone()
                .set_num_format("dd/mm/yyyy hh:mm")
                .set_align(FormatAlign::Center),
            empty: centered.clone().set_italic().set_border(FormatBorder::Thin),
            recipients_title: base.clone().set_bold().set_italic(),
            recipient: base.clone().set_font_size(10.0),
            signer: centered.set_font_size(12.0).set_bold(),
        }
    }
}

/// The workbook: summary, one sheet per board, daily figures, corrections.
pub fn workbook(
    s: &Results,
    daily: &[ReportRow],
    corrections: &[RevisionRow],
) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    // Every cell not otherwise formatted, and Excel's measure of a
    // column's width, in the document's font.
    let default = Format::new().set_font_name(FONT).set_font_size(FONT_SIZE);
    workbook.set_default_format(&default, 20, 64)?;

    let units: HashMap<i64, &Unit> = s.selected.units.iter().map(|u| (u.id, u)).collect();
    let mut sheets = vec![summary(s)];
    sheets.extend(s.boards.iter().map(|b| board(s, b)));
    sheets.push(daily_figures(s, daily, &units));
    sheets.push(correction_list(s, corrections, &units));

    let mut taken = Vec::new();
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet_name(&sheet.name, "Sheet", &mut taken))?;
        write_sheet(ws, s, &styles, sheet)?;
    }
    workbook.save_to_buffer()
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

/// The columns of each criterion: the counters' totals and the rate, under
/// the criterion's name — in the words of the competition file.
fn criterion_columns(s: &Results) -> Vec<Column> {
    let c = s.competition();
    let label = |key: &str| {
        c.counters
            .iter()
            .find(|k| k.key == key)
            .map_or(key.to_string(), |k| k.label.clone())
    };
    c.criteria
        .iter()
        .flat_map(|k| {
            [
                Column::new(label(&k.denominator), 10.0).under(&k.label),
                Column::new(label(&k.numerator), 10.0).under(&k.label),
                Column::new("Tỷ lệ", 8.5).under(&k.label),
            ]
        })
        .collect()
}

fn criterion_cells(
    s: &Results,
    views: &std::collections::BTreeMap<String, CriterionView>,
) -> Vec<Cell> {
    s.competition()
        .criteria
        .iter()
        .flat_map(|k| {
            let v = views.get(&k.key);
            [
                Cell::Count(v.map_or(0, |v| v.denominator)),
                Cell::Count(v.map_or(0, |v| v.numerator)),
                Cell::Rate(v.and_then(|v| v.rate_bp)),
            ]
        })
        .collect()
}

/// Widest text of a column, in characters, within `[min, max]`.
fn fitted_width<'a>(texts: impl Iterator<Item = &'a str>, min: f64, max: f64) -> f64 {
    texts
        .map(|t| text_width(t, FONT_SIZE) + 1.5)
        .fold(min, f64::max)
        .min(max)
}

/// The width of `text` in Times New Roman at `size` points, in the
/// characters (digit widths of 11-point type) column widths are counted in.
/// An estimate from the shapes of letter classes: wide enough to plan
/// columns and line wraps without the font at hand.
fn text_width(text: &str, size: f64) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            ' ' => 0.25,
            'i' | 'l' | 'j' | 't' | 'f' | 'r' | 'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 0.3,
            'm' | 'w' => 0.75,
            'M' | 'W' => 0.9,
            c if c.is_ascii_digit() => 0.5,
            c if c.is_uppercase() => 0.7,
            c if c.is_alphabetic() => 0.48,
            _ => 0.35,
        })
        .sum();
    em / 0.5 * size / FONT_SIZE
}

/// Lines that `text` takes in a column `width` characters wide.
fn lines(text: &str, width: f64, size: f64) -> usize {
    let room = (width - 1.0).max(1.0);
    let mut count = 1;
    let mut line = 0.0;
    for word in text.split_whitespace() {
        let w = text_width(word, size);
        let space = text_width(" ", size);
        if line > 0.0 && line + space + w > room {
            count += 1;
            line = w;
        } else if line > 0.0 {
            line += space + w;
        } else {
            line = w;
        }
    }
    count
}

/// The summary: one row per board with its totals.
fn summary(s: &Results) -> Sheet {
    let mut columns = vec![
        Column::new(
            "Bảng xếp hạng",
            fitted_width(s.boards.iter().map(|b| b.board_name.as_str()), 16.0, 30.0),
        ),
        Column::new("Số đơn vị", 8.0),
        Column::new("Đã báo cáo", 8.5),
        Column::new("Được xếp hạng", 9.0),
        Column::new("Chưa xếp hạng", 9.0),
    ];
    columns.extend(criterion_columns(s));
    columns.push(Column::new("Điểm chung", 8.0));
    let rows = s
        .boards
        .iter()
        .map(|b| {
            let mut row = vec![
                Cell::Text(b.board_name.clone()),
                Cell::Count(b.totals.units as u64),
                Cell::Count(b.totals.reported as u64),
                Cell::Count(b.entries.len() as u64),
                Cell::Count(b.unranked.len() as u64),
            ];
            for k in &s.competition().criteria {
                let t = b.totals.criteria.get(&k.key);
                row.push(Cell::Count(t.map_or(0, |t| t.denominator)));
                row.push(Cell::Count(t.map_or(0, |t| t.numerator)));
                row.push(Cell::Rate(t.and_then(|t| t.rate_bp)));
            }
            row.push(b.totals.score_bp.map_or(Cell::Blank, Cell::Score));
            row
        })
        .collect();
    Sheet {
        name: "Tổng hợp".into(),
        title: "TỔNG HỢP KẾT QUẢ THI ĐUA".into(),
        subtitle: s.dates(),
        columns,
        rows,
        empty: "Chưa có bảng xếp hạng",
        frozen_columns: 1,
    }
}

/// One board: its ranked units, then the unranked ones with the reason.
fn board(s: &Results, board: &Leaderboard) -> Sheet {
    let names = board
        .entries
        .iter()
        .map(|e| e.unit.name.as_str())
        .chain(board.unranked.iter().map(|u| u.unit.name.as_str()));
    let codes = board
        .entries
        .iter()
        .map(|e| e.unit.code.as_str())
        .chain(board.unranked.iter().map(|u| u.unit.code.as_str()));
    let with_group = board.board.is_all();
    let mut columns = vec![
        Column::new("Hạng", 5.5),
        Column::new("Mã đơn vị", fitted_width(codes, 7.0, 14.0)),
        Column::new("Tên đơn vị", fitted_width(names, 18.0, 36.0)).wrapping(),
    ];
    if with_group {
        let groups = s.competition().groups.iter().map(|g| g.name.as_str());
        columns.push(Column::new("Khối thi đua", fitted_width(groups, 10.0, 18.0)).wrapping());
    }
    columns.extend(criterion_columns(s));
    columns.extend([
        Column::new("Điểm", 7.0),
        Column::new("Xếp loại", 10.0),
        Column::new("Số ngày báo cáo", 8.0),
        Column::new(
            "Ghi chú",
            fitted_width(
                board.unranked.iter().map(|u| reason_label(u.reason)),
                8.0,
                22.0,
            ),
        )
        .optional()
        .wrapping(),
    ]);
    let lead = |rank: Cell, unit: &crate::leaderboard::UnitRef| {
        let mut row = vec![
            rank,
            Cell::Text(unit.code.clone()),
            Cell::Text(unit.name.clone()),
        ];
        if with_group {
            row.push(Cell::Text(s.group_name(&unit.group)));
        }
        row
    };
    let mut rows = Vec::new();
    for e in &board.entries {
        let mut row = lead(Cell::Rank(e.rank), &e.unit);
        row.extend(criterion_cells(s, &e.criteria));
        row.push(Cell::Score(e.score_bp));
        row.push(Cell::Text(e.grade.clone().unwrap_or_default()));
        row.push(Cell::Count(u64::from(e.days_reported)));
        row.push(Cell::Blank);
        rows.push(row);
    }
    for u in &board.unranked {
        let mut row = lead(Cell::Blank, &u.unit);
        row.extend(criterion_cells(s, &u.criteria));
        row.push(Cell::Blank);
        row.push(Cell::Blank);
        row.push(Cell::Count(u64::from(u.days_reported)));
        row.push(Cell::Text(reason_label(u.reason).to_string()));
        rows.push(row);
    }
    let subtitle = if with_group {
        format!("Toàn tỉnh — {}", s.dates().to_lowercase())
    } else {
        format!("{} — {}", board.board_name, s.dates().to_lowercase())
    };
    Sheet {
        name: board.board_name.clone(),
        title: "KẾT QUẢ XẾP HẠNG".into(),
        subtitle,
        columns,
        rows,
        empty: "Chưa có đơn vị nào trong bảng",
        frozen_columns: 3,
    }
}

fn unit_cells(units: &HashMap<i64, &Unit>, id: i64, s: &Results) -> [Cell; 3] {
    match units.get(&id) {
        Some(u) => [
            Cell::Text(u.code.clone()),
            Cell::Text(u.name.clone()),
            Cell::Text(s.group_name(&u.group)),
        ],
        None => [Cell::Blank, Cell::Blank, Cell::Blank],
    }
}

fn unit_columns(units: &HashMap<i64, &Unit>, s: &Results) -> [Column; 3] {
    let groups = s.competition().groups.iter().map(|g| g.name.as_str());
    [
        Column::new(
            "Mã đơn vị",
            fitted_width(units.values().map(|u| u.code.as_str()), 7.0, 14.0),
        ),
        Column::new(
            "Tên đơn vị",
            fitted_width(units.values().map(|u| u.name.as_str()), 18.0, 32.0),
        )
        .wrapping(),
        Column::new("Khối thi đua", fitted_width(groups, 10.0, 18.0)).wrapping(),
    ]
}

/// The daily figures: the current revision of every report.
fn daily_figures(s: &Results, daily: &[ReportRow], units: &HashMap<i64, &Unit>) -> Sheet {
    let c = s.competition();
    let tz = s.tz();
    let mut columns = vec![Column::new("Ngày", 10.5)];
    columns.extend(unit_columns(units, s));
    columns.extend(
        c.counters
            .iter()
            .map(|k| Column::new(k.label.clone(), 10.0).under("Số liệu trong ngày")),
    );
    columns.extend([
        Column::new("Số lần gửi", 6.5),
        Column::new("Cập nhật lúc", 15.0),
        Column::new("Ghi chú", 20.0).optional().wrapping(),
    ]);
    let mut daily: Vec<&ReportRow> = daily.iter().collect();
    daily.sort_by_key(|r| (r.day, units.get(&r.unit_id).map(|u| u.code.clone())));
    let rows = daily
        .iter()
        .map(|r| {
            let mut row = vec![Cell::Date(r.day)];
            row.extend(unit_cells(units, r.unit_id, s));
            row.extend(
                c.counters
                    .iter()
                    .map(|k| Cell::Count(r.counters.get(&k.key).copied().unwrap_or(0))),
            );
            row.push(Cell::Count(u64::try_from(r.revision).unwrap_or(0)));
            row.push(Cell::Time(r.updated_at.with_timezone(&tz)));
            let note = match (r.late, r.corrected) {
                (true, true) => "Báo cáo muộn; Ban tổ chức hiệu chỉnh",
                (true, false) => "Báo cáo muộn",
                (false, true) => "Ban tổ chức hiệu chỉnh",
                (false, false) => "",
            };
            row.push(Cell::Text(note.to_string()));
            row
        })
        .collect();
    Sheet {
        name: "Số liệu hằng ngày".into(),
        title: "SỐ LIỆU BÁO CÁO HẰNG NGÀY".into(),
        subtitle: s.dates(),
        columns,
        rows,
        empty: "Chưa có báo cáo nào",
        frozen_columns: 3,
    }
}

/// Every revision an organiser or an import wrote.
fn correction_list(s: &Results, corrections: &[RevisionRow], units: &HashMap<i64, &Unit>) -> Sheet {
    let c = s.competition();
    let tz = s.tz();
    let [code, name, group] = unit_columns(units, s);
    let mut columns = vec![
        Column::new("Thời gian", 15.0),
        Column::new("Ngày số liệu", 10.5),
        code,
        name,
        group.optional(),
        Column::new("Lần", 5.0),
        Column::new("Người thực hiện", 14.0).wrapping(),
        Column::new("Hình thức", 12.0).wrapping(),
        Column::new("Lý do", 26.0).wrapping(),
        Column::new("Sau hạn", 7.0).optional(),
    ];
    columns.extend(
        c.counters
            .iter()
            .map(|k| Column::new(k.label.clone(), 10.0).under("Số liệu sau khi sửa")),
    );
    let rows = corrections
        .iter()
        .map(|v| {
            let mut row = vec![
                Cell::Time(v.created_at.with_timezone(&tz)),
                Cell::Date(v.day),
            ];
            row.extend(unit_cells(units, v.unit_id, s));
            row.push(Cell::Count(u64::try_from(v.revision).unwrap_or(0)));
            row.push(Cell::Text(v.writer.actor.clone()));
            row.push(Cell::Text(
                match v.writer.kind {
                    ActorKind::Import => "Nhập từ tệp",
                    ActorKind::Organizer => "Nhập, sửa trực tiếp",
                    ActorKind::Unit => "Đơn vị báo cáo",
                    ActorKind::Integration => "Hệ thống một cửa của tỉnh",
                }
                .to_string(),
            ));
            row.push(Cell::Text(v.writer.reason.clone().unwrap_or_default()));
            row.push(Cell::Text(if v.late { "Có" } else { "" }.to_string()));
            row.extend(
                c.counters
                    .iter()
                    .map(|k| Cell::Count(v.counters.get(&k.key).copied().unwrap_or(0))),
            );
            row
        })
        .collect();
    Sheet {
        name: "Hiệu chỉnh".into(),
        title: "CÁC LẦN BAN TỔ CHỨC NHẬP, SỬA SỐ LIỆU".into(),
        subtitle: s.dates(),
        columns,
        rows,
        empty: "Ban tổ chức chưa nhập, sửa số liệu nào",
        frozen_columns: 0,
    }
}

/// Leaves out optional columns with nothing in them: a column of blanks is
/// paper wasted on every page.
fn drop_blank_columns(sheet: &mut Sheet) {
    let keep: Vec<bool> = (0..sheet.columns.len())
        .map(|i| {
            !sheet.columns[i].optional
                || sheet
                    .rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(|c| !c.is_blank()))
        })
        .collect();
    let mut i = 0;
    sheet.columns.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    for row in &mut sheet.rows {
        let mut i = 0;
        row.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
}

/// How a sheet goes on paper: orientation and scale.
struct Paper {
    landscape: bool,
    /// Percent, 10–100.
    scale: u16,
}

impl Paper {
    /// Portrait when the table fits it at 90% or more, else landscape; the
    /// scale that fits every column in the width.
    fn for_width(chars: f64) -> Paper {
        let needed = chars * POINTS_PER_CHAR * 1.02;
        let margins = (MARGIN_LEFT_IN + MARGIN_RIGHT_IN) * 72.0;
        let fit = |page: f64| ((page - margins) / needed * 100.0).floor().min(100.0);
        let portrait = fit(A4_SHORT);
        let (landscape, scale) = if portrait >= 90.0 {
            (false, portrait)
        } else {
            (true, fit(A4_LONG))
        };
        Paper {
            landscape,
            scale: scale.clamp(10.0, 100.0) as u16,
        }
    }

    #[cfg(test)]
    fn width(&self) -> f64 {
        let (page, margins) = (
            if self.landscape { A4_LONG } else { A4_SHORT },
            (MARGIN_LEFT_IN + MARGIN_RIGHT_IN) * 72.0,
        );
        (page - margins) / (f64::from(self.scale) / 100.0)
    }

    /// The height of the printable area, in the sheet's unscaled points.
    fn height(&self) -> f64 {
        let page = if self.landscape { A4_SHORT } else { A4_LONG };
        (page - (MARGIN_TOP_IN + MARGIN_BOTTOM_IN) * 72.0) / (f64::from(self.scale) / 100.0)
    }
}

/// Writes a text across columns `first..=last` of `row`: merged when it
/// spans several.
fn span(
    ws: &mut Worksheet,
    row: u32,
    (first, last): (u16, u16),
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if first == last {
        ws.write_string_with_format(row, first, text, format)?;
    } else {
        ws.merge_range(row, first, row, last, text, format)?;
    }
    Ok(())
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    column: &Column,
    st: &Styles,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(text) => {
            let format = if column.wraps {
                &st.text_wrap
            } else {
                &st.text
            };
            ws.write_string_with_format(row, col, text, format)?;
        }
        Cell::Count(n) => {
            ws.write_number_with_format(row, col, *n as f64, &st.count)?;
        }
        Cell::Rate(Some(bp)) => {
            ws.write_number_with_format(row, col, f64::from(*bp) / 10000.0, &st.rate)?;
        }
        Cell::Score(bp) => {
            ws.write_number_with_format(row, col, f64::from(*bp) / 100.0, &st.score)?;
        }
        Cell::Rank(rank) => {
            ws.write_number_with_format(row, col, f64::from(*rank), &st.rank)?;
        }
        Cell::Date(day) => {
            let date = ExcelDateTime::from_ymd(
                u16::try_from(day.year()).unwrap_or(1900),
                day.month() as u8,
                day.day() as u8,
            )?;
            ws.write_datetime_with_format(row, col, &date, &st.date)?;
        }
        Cell::Time(at) => {
            let time = ExcelDateTime::from_ymd(
                u16::try_from(at.year()).unwrap_or(1900),
                at.month() as u8,
                at.day() as u8,
            )?
            .and_hms(at.hour() as u16, at.minute() as u8, at.second())?;
            ws.write_datetime_with_format(row, col, &time, &st.time)?;
        }
        Cell::Rate(None) | Cell::Blank => {
            ws.write_blank(row, col, &st.text)?;
        }
    }
    Ok(())
}

/// Splits `count` columns of `widths` into a left block of about 40% of
/// the width (the issuer, "Nơi nhận") and the right block (the national
/// heading, the signer). Both blocks hold at least one column.
fn blocks(widths: &[f64]) -> ((u16, u16), (u16, u16)) {
    let n = widths.len() as u16;
    if n < 2 {
        return ((0, 0), (0, 0));
    }
    let total: f64 = widths.iter().sum();
    let mut acc = 0.0;
    let mut split = 1;
    for (i, w) in widths.iter().enumerate() {
        acc += w;
        if acc >= total * 0.4 {
            split = (i + 1).clamp(1, widths.len() - 1) as u16;
            break;
        }
    }
    ((0, split - 1), (split, n - 1))
}

/// Writes one sheet: heading, table, signature, page setup.
fn write_sheet(
    ws: &mut Worksheet,
    s: &Results,
    st: &Styles,
    mut sheet: Sheet,
) -> Result<(), XlsxError> {
    drop_blank_columns(&mut sheet);
    let doc = s.document();
    let columns = &sheet.columns;
    let n = columns.len() as u16;
    let last = n.saturating_sub(1);
    let widths: Vec<f64> = columns.iter().map(|c| c.width).collect();
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    let total_chars: f64 = widths.iter().map(|w| w + COLUMN_PADDING).sum();
    let paper = Paper::for_width(total_chars);
    let (left, right) = blocks(&widths);
    let left_chars: f64 = widths[left.0 as usize..=left.1 as usize].iter().sum();
    let right_chars: f64 = widths[right.0 as usize..].iter().sum();
    let all_chars: f64 = widths.iter().sum();
    // Heights of rows, to break the pages.
    let mut rows = Rows::default();

    // The issuing body (top left) beside the national heading (top right).
    let issuer_lines = doc.issuer.len();
    let heading_lines = issuer_lines.max(2);
    for i in 0..heading_lines {
        let issuer_height = doc
            .issuer
            .get(i)
            .map_or(1, |t| lines(t, left_chars, 12.0 * 1.1));
        let r = rows.put(ws, LINE.max(LINE * issuer_height as f64) + 1.5)?;
        if let Some(text) = doc.issuer.get(i) {
            let format = if i + 1 == issuer_lines {
                &st.issuer_body
            } else {
                &st.issuer
            };
            let format = format.clone().set_text_wrap();
            span(ws, r, left, text, &format)?;
        }
        match i {
            0 => span(ws, r, right, NATION, &st.nation)?,
            1 => span(ws, r, right, MOTTO, &st.motto)?,
            _ => {}
        }
    }
    // The short rule under the issuer (a third of its last line, Nghị định
    // 30/2020): underlined spaces, which Excel and LibreOffice both draw.
    let rule_len = doc
        .issuer
        .last()
        .map_or(6, |t| (t.chars().count() / 3).clamp(4, 16));
    let r = rows.put(ws, LINE)?;
    span(ws, r, left, &" ".repeat(rule_len * 2), &st.rule)?;
    let r = rows.put(ws, LINE + 3.0)?;
    span(ws, r, right, &s.place_and_date(), &st.place_date)?;
    rows.put(ws, LINE / 2.0)?;

    // The title, the competition, the board and dates, the status.
    let r = rows.put(ws, 21.0)?;
    span(ws, r, (0, last), &sheet.title, &st.title)?;
    let name = &s.competition().name;
    let r = rows.put(ws, 18.0 * lines(name, all_chars * 0.9, 12.0 * 1.1) as f64)?;
    span(ws, r, (0, last), name, &st.name)?;
    let r = rows.put(
        ws,
        LINE * lines(&sheet.subtitle, all_chars * 0.9, FONT_SIZE) as f64,
    )?;
    span(ws, r, (0, last), &sheet.subtitle, &st.subtitle)?;
    let status = if s.is_final {
        &st.status_final
    } else {
        &st.status_provisional
    };
    let r = rows.put(ws, LINE + 1.5)?;
    span(ws, r, (0, last), s.status_label(), status)?;
    let r = rows.put(ws, LINE)?;
    span(ws, r, (0, last), &s.exported_line(), &st.exported)?;
    rows.put(ws, LINE / 2.0)?;
    let heading_end = rows.next();

    // The column headers: a group's name over its columns, the others
    // spanning both header rows.
    let grouped = columns.iter().any(|c| c.group.is_some());
    let header_rows: u32 = if grouped { 2 } else { 1 };
    let header_top = rows.next();
    let sub_height = columns
        .iter()
        .map(|c| lines(&c.header, c.width, FONT_SIZE * 1.1))
        .max()
        .unwrap_or(1);
    if grouped {
        let group_height = columns
            .iter()
            .filter_map(|c| c.group.as_ref().map(|g| (g, c.width)))
            .map(|(g, w)| {
                let span_width: f64 = columns
                    .iter()
                    .filter(|o| o.group.as_ref() == Some(g))
                    .map(|o| o.width)
                    .sum();
                lines(g, span_width.max(w), FONT_SIZE * 1.1)
            })
            .max()
            .unwrap_or(1);
        rows.put(ws, LINE * group_height as f64 + 3.0)?;
    }
    rows.put(ws, LINE * sub_height as f64 + 3.0)?;
    let mut col = 0u16;
    while col < n {
        let c = &columns[col as usize];
        match &c.group {
            Some(group) if grouped => {
                let mut end = col;
                while end + 1 < n && columns[(end + 1) as usize].group.as_ref() == Some(group) {
                    end += 1;
                }
                span(ws, header_top, (col, end), group, &st.header)?;
                for k in col..=end {
                    ws.write_string_with_format(
                        header_top + 1,
                        k,
                        &columns[k as usize].header,
                        &st.header,
                    )?;
                }
                col = end + 1;
            }
            _ => {
                if header_rows == 2 {
                    ws.merge_range(header_top, col, header_top + 1, col, &c.header, &st.header)?;
                } else {
                    ws.write_string_with_format(header_top, col, &c.header, &st.header)?;
                }
                col += 1;
            }
        }
    }
    let first_data = rows.next();

    // The table.
    if sheet.rows.is_empty() {
        let r = rows.put(ws, DATA_ROW)?;
        span(ws, r, (0, last), sheet.empty, &st.empty)?;
    }
    for cells in &sheet.rows {
        let height = cells
            .iter()
            .zip(columns)
            .filter(|(_, c)| c.wraps)
            .map(|(cell, c)| match cell {
                Cell::Text(t) => lines(t, c.width, FONT_SIZE),
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        let r = rows.put(ws, DATA_ROW.max(LINE * height as f64 + 1.5))?;
        for (i, (cell, column)) in cells.iter().zip(columns).enumerate() {
            write_cell(ws, r, i as u16, cell, column, st)?;
        }
    }
    let table_end = rows.next();

    // "Nơi nhận" (bottom left) beside the signer's block (bottom right):
    // the position, room to sign and seal, the name.
    rows.put(ws, LINE)?;
    let signature_top = rows.next();
    let mut left_lines: Vec<(String, &Format)> =
        vec![("Nơi nhận:".to_string(), &st.recipients_title)];
    left_lines.extend(
        doc.recipients
            .iter()
            .map(|r| (format!("- {r}"), &st.recipient)),
    );
    let mut right_lines: Vec<(String, &Format, f64)> = doc
        .signer_title
        .iter()
        .map(|t| (t.clone(), &st.signer, LINE + 1.5))
        .collect();
    // About 3 cm for the signature and the seal.
    for _ in 0..5 {
        right_lines.push((String::new(), &st.plain, LINE));
    }
    if let Some(name) = &doc.signer_name {
        right_lines.push((name.clone(), &st.signer, LINE + 1.5));
    }
    let signature_rows = left_lines.len().max(right_lines.len());
    for i in 0..signature_rows {
        let left_text = left_lines.get(i);
        let right_text = right_lines.get(i);
        let left_height = left_text.map_or(LINE, |(t, _)| LINE * lines(t, left_chars, 10.0) as f64);
        let right_height = right_text.map_or(LINE, |(t, _, h)| {
            h.max(LINE * lines(t, right_chars, 12.0 * 1.1) as f64)
        });
        let r = rows.put(ws, left_height.max(right_height))?;
        if let Some((text, format)) = left_text {
            let format = (*format)
                .clone()
                .set_text_wrap()
                .set_align(FormatAlign::Top);
            span(ws, r, left, text, &format)?;
        }
        if let Some((text, format, _)) = right_text
            && !text.is_empty()
        {
            let format = (*format).clone().set_text_wrap();
            span(ws, r, right, text, &format)?;
        }
    }
    let end = rows.next();

    // Page setup.
    ws.set_paper_size(9);
    if paper.landscape {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    ws.set_margins(
        MARGIN_LEFT_IN,
        MARGIN_RIGHT_IN,
        MARGIN_TOP_IN,
        MARGIN_BOTTOM_IN,
        MARGIN_HEADER_IN,
        MARGIN_FOOTER_IN,
    );
    ws.set_print_scale(paper.scale);
    ws.set_print_center_horizontally(true);
    ws.set_repeat_rows(header_top, header_top + header_rows - 1)?;
    ws.set_footer(format!("&C&\"{FONT},Regular\"&10Trang &P/&N"));
    ws.set_header_footer_scale_with_doc(false);
    ws.set_freeze_panes(first_data, sheet.frozen_columns.min(last))?;

    let breaks = page_breaks(
        &rows.heights,
        &paper,
        PageParts {
            heading_end,
            header: (header_top, first_data),
            table: (first_data, table_end),
            signature: (signature_top - 1, end),
        },
    );
    if !breaks.is_empty() && breaks.len() <= MAX_PAGE_BREAKS {
        ws.set_page_breaks(&breaks)?;
    }
    Ok(())
}

/// The rows written so far and their heights, to break the pages.
#[derive(Default)]
struct Rows {
    heights: Vec<f64>,
}

impl Rows {
    fn next(&self) -> u32 {
        self.heights.len() as u32
    }

    /// Starts the next row at `height` points; returns its number.
    fn put(&mut self, ws: &mut Worksheet, height: f64) -> Result<u32, XlsxError> {
        let row = self.next();
        ws.set_row_height(row, height)?;
        self.heights.push(height);
        Ok(row)
    }
}

/// Row ranges (`start..end`) of a sheet's parts.
struct PageParts {
    heading_end: u32,
    header: (u32, u32),
    table: (u32, u32),
    signature: (u32, u32),
}

/// The rows that start a new page: as many table rows on a page as fit
/// under the repeated header, and the signer's block on the page with the
/// table's last rows — never alone on a page of its own.
fn page_breaks(heights: &[f64], paper: &Paper, parts: PageParts) -> Vec<u32> {
    let height =
        |range: (u32, u32)| -> f64 { heights[range.0 as usize..range.1 as usize].iter().sum() };
    let room = paper.height() * PAGE_SLACK;
    let header = height(parts.header);
    let signature = height(parts.signature);
    let (first, end) = parts.table;
    let tail_from = end.saturating_sub(ROWS_WITH_SIGNATURE as u32).max(first);
    let tail = height((tail_from, end)) + signature;
    let mut breaks = Vec::new();
    let mut used = height((0, parts.heading_end)) + header;
    let mut on_page = 0;
    for row in first..end {
        let h = heights[row as usize];
        // The last rows go together with the signer's block.
        let needed = if row == tail_from { tail } else { h };
        if used + needed > room && on_page > 0 {
            breaks.push(row);
            used = header;
            on_page = 0;
        }
        used += h;
        on_page += 1;
    }
    if used + signature > room && on_page == 0 {
        breaks.push(parts.signature.0);
    }
    breaks
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_narrow_table_is_portrait_and_a_wide_one_landscape_within_the_page() {
        let narrow = Paper::for_width(60.0);
        assert!(!narrow.landscape);
        assert_eq!(narrow.scale, 100);
        let wide = Paper::for_width(170.0);
        assert!(wide.landscape);
        assert!(wide.scale < 100);
        // Every column fits the printable width at that scale.
        assert!(170.0 * POINTS_PER_CHAR <= wide.width());
    }

    #[test]
    fn the_signature_never_stands_alone_on_a_page() {
        let paper = Paper {
            landscape: false,
            scale: 100,
        };
        let per_page = (paper.height() * PAGE_SLACK / DATA_ROW).floor() as usize;
        // For every table length around a page's worth, the last page holds
        // the signer's block and the table's last rows.
        for rows in 1..3 * per_page {
            let mut heights = vec![LINE; 10];
            heights.extend(std::iter::repeat_n(DATA_ROW, rows));
            heights.extend(std::iter::repeat_n(LINE, 9));
            let end = 10 + rows as u32;
            let parts = PageParts {
                heading_end: 8,
                header: (8, 10),
                table: (10, end),
                signature: (end, end + 9),
            };
            let breaks = page_breaks(&heights, &paper, parts);
            let last_break = breaks.last().copied().unwrap_or(0);
            assert!(
                last_break < end,
                "{rows} rows: the signature starts a page of its own ({breaks:?})"
            );
            let from = last_break.max(10);
            assert!(end - from >= (rows as u32).min(ROWS_WITH_SIGNATURE as u32));
            // And no page holds more than fits.
            let mut starts = vec![0];
            starts.extend(&breaks);
            starts.push(end + 9);
            for pair in starts.windows(2) {
                let repeated: f64 = if pair[0] == 0 { 0.0 } else { 2.0 * LINE };
                let used: f64 = heights[pair[0] as usize..pair[1] as usize]
                    .iter()
                    .sum::<f64>()
                    + repeated;
                assert!(used <= paper.height(), "{rows} rows: a page of {used} pt");
            }
        }
    }

    #[test]
    fn long_text_wraps_onto_lines() {
        assert_eq!(lines("Xã Thất Khê", 20.0, FONT_SIZE), 1);
        assert!(
            lines(
                "Trung tâm Phục vụ hành chính công tỉnh Lạng Sơn",
                20.0,
                FONT_SIZE
            ) >= 2
        );
    }
}
