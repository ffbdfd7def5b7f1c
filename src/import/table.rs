//! Reading the organiser's bulk-entry file into a table of text cells, before
//! any line is validated — with every bound checked before the thing it
//! bounds is expanded, so that no uploaded file, however crafted, can exhaust
//! the service's memory or take the process down (SPEC §13).
//!
//! A CSV file is read twice: once to count its records and measure their
//! fields without keeping any, then to keep them. An XLSX file goes through
//! [`workbook`]: the archive is vetted part by part through readers that stop
//! at each part's limit, and only the parts the reader needs, still
//! compressed, reach calamine — whose sheet is then streamed cell by cell
//! into sparse rows, refused at the first cell beyond the line or column cap.

mod workbook;

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xlsx};
use chrono::NaiveDate;

use crate::error::{AppError, Result};

/// Data lines a file may hold: a 10,000-unit province over a week is 70,000.
pub const MAX_LINES: usize = 100_000;

/// Columns a table may have. A bulk-entry file has `unit_code`, `unit_name`,
/// `day`, one column per counter and `note`; a competition counts a handful
/// of counters (Lạng Sơn's has six), so 64 leaves room for 59.
pub const MAX_COLUMNS: usize = 64;

/// Cells in a table, counting the empty ones that a row's later cell
/// implies: 100,000 lines of 20 columns (16 counters). Each costs ~50 bytes
/// of memory, so this is what keeps the table itself under ~100 MB when the
/// line and column caps alone would allow 6.4 million.
pub const MAX_CELLS: usize = 2_000_000;

/// Bytes of one cell. The longest legitimate cell is a note of at most 1,000
/// characters (SPEC §5), 4,000 bytes of UTF-8 at worst; twice that lets an
/// over-long note through to validation, which names its line.
pub const MAX_CELL_BYTES: usize = 8 * 1024;

/// Bytes of the file itself: the HTTP import's body limit, so that the
/// command line refuses what the API refuses. A 100,000-line CSV is ~6 MB.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Bytes of text in all the cells of an XLSX table. Cells may repeat one
/// shared string, so their text can far exceed the file: 100,000 lines of a
/// long unit name, the day, a dozen counters and a short note are ~15 MB.
/// (A CSV table's text is bounded by the file.)
const MAX_TABLE_TEXT: usize = 32 << 20;

/// A table read from a file: the header and the data rows with their line
/// numbers as a spreadsheet shows them (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads a CSV (UTF-8, with or without BOM) or XLSX file, told apart by
/// content: an XLSX file is a ZIP archive.
pub fn read_table(bytes: &[u8]) -> Result<Table> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::BadRequest(format!(
            "Tệp quá lớn (tối đa {} MiB)",
            MAX_FILE_BYTES >> 20
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

fn too_many() -> AppError {
    AppError::BadRequest(format!("Tệp có quá nhiều dòng (tối đa {MAX_LINES})"))
}

fn too_many_cells() -> AppError {
    AppError::BadRequest(format!("Tệp có quá nhiều ô (tối đa {MAX_CELLS})"))
}

fn too_wide(line: usize) -> AppError {
    AppError::BadRequest(format!(
        "Dòng {line} có quá nhiều cột (tối đa {MAX_COLUMNS})"
    ))
}

fn too_long(line: usize, column: usize) -> AppError {
    AppError::BadRequest(format!(
        "Ô ở dòng {line}, cột {column} quá dài (tối đa {MAX_CELL_BYTES} byte)"
    ))
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

fn unreadable_line(e: &csv::Error) -> AppError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    AppError::BadRequest(format!("Không đọc được tệp CSV ở dòng {line}"))
}

/// Refuses a record with more fields, or a longer field, than any table
/// needs.
fn measure(record: &csv::ByteRecord, line: usize) -> Result<()> {
    if record.len() > MAX_COLUMNS {
        return Err(too_wide(line));
    }
    match record.iter().position(|f| f.len() > MAX_CELL_BYTES) {
        Some(column) => Err(too_long(line, column + 1)),
        None => Ok(()),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| AppError::BadRequest("Tệp CSV phải dùng bảng mã UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    // First pass: one reused record, nothing kept, so that a file of too
    // many lines or too wide a line is refused before any of it is stored.
    let mut reader = csv_reader(text);
    let mut record = csv::ByteRecord::new();
    let header_error =
        |e: csv::Error| AppError::BadRequest(format!("Không đọc được dòng tiêu đề: {e}"));
    measure(reader.byte_headers().map_err(header_error)?, 1)?;
    let (mut records, mut cells) = (0, 0);
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| unreadable_line(&e))?
    {
        records += 1;
        if records > MAX_LINES {
            return Err(too_many());
        }
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        measure(&record, line)?;
        cells += record.len();
        if cells > MAX_CELLS {
            return Err(too_many_cells());
        }
    }

    let mut reader = csv_reader(text);
    let header: Vec<String> = reader
        .headers()
        .map_err(header_error)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::with_capacity(records);
    for record in reader.records() {
        let record = record.map_err(|e| unreadable_line(&e))?;
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
    }
    Ok(Table { header, rows })
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

/// The text of a cell's value as stored, before it is copied: what the
/// cell caps are checked against.
fn stored_len(value: &DataRef<'_>) -> usize {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
        DataRef::SharedString(s) => s.len(),
        _ => 0,
    }
}

/// The cells of a sheet as they stream in: rows by index, each row's cells
/// by column, every bound checked before a cell is kept.
struct SparseSheet {
    rows: BTreeMap<u32, Vec<String>>,
    first_column: usize,
    cells: usize,
    text: usize,
}

impl SparseSheet {
    fn new() -> SparseSheet {
        SparseSheet {
            rows: BTreeMap::new(),
            first_column: usize::MAX,
            cells: 0,
            text: 0,
        }
    }

    fn put(&mut self, (row, column): (u32, u32), value: DataRef<'_>) -> Result<()> {
        let (line, col) = (row as usize + 1, column as usize);
        // The header may sit on the first row, so data lines reach
        // MAX_LINES + 1.
        if line > MAX_LINES + 1 {
            return Err(too_many());
        }
        if col >= MAX_COLUMNS {
            return Err(too_wide(line));
        }
        let len = stored_len(&value);
        if len > MAX_CELL_BYTES {
            return Err(too_long(line, col + 1));
        }
        self.text += len;
        if self.text > MAX_TABLE_TEXT {
            return Err(AppError::BadRequest(format!(
                "Tệp có quá nhiều chữ (tối đa {} MiB trong các ô)",
                MAX_TABLE_TEXT >> 20
            )));
        }
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= col {
            self.cells += col + 1 - cells.len();
            if self.cells > MAX_CELLS {
                return Err(too_many_cells());
            }
            cells.resize(col + 1, String::new());
        }
        cells[col] = cell_text(&Data::from(value));
        self.first_column = self.first_column.min(col);
        Ok(())
    }

    /// The table as the old dense reading gave it: the header is the first
    /// row holding a value, and columns start at the first column holding
    /// one.
    fn into_table(self) -> Table {
        let first_column = self.first_column;
        let mut rows = self.rows.into_iter().map(|(row, mut cells)| {
            cells.drain(..first_column.min(cells.len()));
            (row as usize + 1, cells)
        });
        let header = rows.next().map(|(_, cells)| cells).unwrap_or_default();
        Table {
            header,
            rows: rows.collect(),
        }
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table> {
    let vetted = workbook::vet(bytes)?;
    let broken = || AppError::BadRequest("Không đọc được tệp XLSX".into());
    let mut workbook = Xlsx::new(Cursor::new(vetted)).map_err(|_| broken())?;
    let first = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| AppError::BadRequest("Tệp XLSX không có trang tính nào".into()))?;
    let unreadable = || AppError::BadRequest("Không đọc được trang tính đầu tiên".into());
    let mut cells = workbook
        .worksheet_cells_reader(&first)
        .map_err(|_| unreadable())?;
    let mut sheet = SparseSheet::new();
    while let Some(cell) = cells.next_cell().map_err(|_| unreadable())? {
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        sheet.put(cell.get_position(), value.clone())?;
    }
    Ok(sheet.into_table())
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

    fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (row, column, text) in cells {
            sheet.write_string(*row, *column, *text).unwrap();
        }
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_reads_as_the_spreadsheet_shows_it() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        // The table starts at B3, with a blank line inside it.
        for (i, h) in ["unit_code", "day", "received", "note"].iter().enumerate() {
            sheet.write_string(2, 1 + i as u16, *h).unwrap();
        }
        sheet.write_string(3, 1, "06040").unwrap();
        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 10, 6).unwrap();
        sheet.write_datetime_with_format(3, 2, &day, &date).unwrap();
        sheet.write_number(3, 3, 12.0).unwrap();
        sheet.write_string(3, 4, " Đã kiểm tra ").unwrap();
        sheet.write_string(5, 1, "SNV").unwrap();
        sheet.write_string(5, 2, "2025-10-07").unwrap();
        sheet.write_number(5, 3, 1.5).unwrap();
        let t = read_table(&workbook.save_to_buffer().unwrap()).unwrap();
        assert_eq!(t.header, ["unit_code", "day", "received", "note"]);
        assert_eq!(
            t.rows,
            [
                (
                    4,
                    vec![
                        "06040".into(),
                        "2025-10-06".into(),
                        "12".into(),
                        "Đã kiểm tra".into()
                    ]
                ),
                (6, vec!["SNV".into(), "2025-10-07".into(), "1.5".into()]),
            ]
        );
    }

    #[test]
    fn xlsx_caps_lines_and_columns_at_the_first_cell_beyond() {
        let last_column = (MAX_COLUMNS - 1) as u16;
        let t = read_table(&xlsx(&[(0, 0, "unit_code"), (1, last_column, "x")])).unwrap();
        assert_eq!(t.rows[0].1.len(), MAX_COLUMNS);
        let e = read_table(&xlsx(&[(0, 0, "unit_code"), (1, last_column + 1, "x")]));
        assert!(matches!(e, Err(AppError::BadRequest(m)) if m.contains("cột")));

        let last_line = MAX_LINES as u32;
        let t = read_table(&xlsx(&[(0, 0, "unit_code"), (last_line, 0, "x")])).unwrap();
        assert_eq!(t.rows[0].0, MAX_LINES + 1);
        let e = read_table(&xlsx(&[(0, 0, "unit_code"), (last_line + 1, 0, "x")]));
        assert!(matches!(e, Err(AppError::BadRequest(m)) if m.contains("dòng")));
    }

    #[test]
    fn csv_caps_lines_cells_fields_and_field_length() {
        let mut file = String::from("unit_code,day\n");
        file.push_str(&"A,2025-10-06\n".repeat(MAX_LINES));
        assert_eq!(read_table(file.as_bytes()).unwrap().rows.len(), MAX_LINES);
        file.push_str("A,2025-10-06\n");
        let e = read_table(file.as_bytes());
        assert!(matches!(e, Err(AppError::BadRequest(m)) if m.contains("dòng")));

        let wide = format!("unit_code\n{}\n", ["1"; MAX_COLUMNS + 1].join(","));
        let e = read_table(wide.as_bytes());
        assert!(matches!(e, Err(AppError::BadRequest(m)) if m.contains("Dòng 2")));

        let crowded = format!(
            "unit_code\n{}",
            format!("{}\n", ["1"; 51].join(",")).repeat(40_000)
        );
        let e = read_table(crowded.as_bytes());
        assert!(matches!(e, Err(AppError::BadRequest(m)) if m.contains("ô")));

        let long = format!("unit_code,note\nA,{}\n", "x".repeat(MAX_CELL_BYTES + 1));
        let e = read_table(long.as_bytes());
        assert!(matches!(e, Err(AppError::BadRequest(m)) if m.contains("dòng 2, cột 2")));
    }

    #[test]
    fn a_file_beyond_the_upload_limit_is_refused_unread() {
        let e = read_table(&vec![b'a'; MAX_FILE_BYTES + 1]);
        assert!(matches!(e, Err(AppError::BadRequest(m)) if m.contains("16 MiB")));
    }

    /// Java's `ZipOutputStream` (and every streaming writer) puts sizes in
    /// data descriptors after each entry rather than in its header; such a
    /// workbook, from a provincial system's export, reads the same.
    #[test]
    fn xlsx_from_a_streaming_zip_writer_reads_the_same() {
        use std::io::{Read, Write};
        let original = xlsx(&[(0, 0, "unit_code"), (0, 1, "day"), (1, 0, "06040")]);
        let mut archive = zip::ZipArchive::new(Cursor::new(&original)).unwrap();
        let mut streamed = zip::ZipWriter::new_stream(Vec::new());
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            let options = zip::write::SimpleFileOptions::default();
            streamed.start_file(entry.name().unwrap(), options).unwrap();
            streamed.write_all(&content).unwrap();
        }
        let streamed = streamed.finish().unwrap().into_inner();
        assert_eq!(
            read_table(&streamed).unwrap(),
            read_table(&original).unwrap()
        );
    }
}
