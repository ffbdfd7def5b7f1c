//! Hostile bulk-entry files (SPEC §13): each is answered with a 4xx quickly
//! and with bounded memory — never an abort, never a panic.
//!
//! Every case runs in a child process of this test binary under an
//! address-space limit (`prlimit --as`), so that a reader which tries to
//! allocate gigabytes dies there instead of taking the test run with it. The
//! child resets its peak-memory mark just before `read_table`, reads it
//! afterwards and prints what it saw; the parent judges. The files are made
//! here, most of them as hand-built ZIP archives whose deflate streams repeat
//! one compressed chunk, so that a gigabyte costs a megabyte and no time.

use std::process::Command;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, FlushCompress};
use thidua::import::read_table;

/// Names the case a child process is to run.
const CASE_VAR: &str = "THIDUA_IMPORT_BOMB_CASE";

/// Address space a child may reserve: ample for the test harness and a
/// bounded reader, far below what any of these files would make an unbounded
/// one take.
const ADDRESS_SPACE: u64 = 2 << 30;

/// Peak resident memory that `read_table` may add while answering a file.
const PEAK_BUDGET_KIB: u64 = 32 * 1024;

/// Generous for an unoptimised build on a busy two-core machine; a reader
/// that expands the file first takes far longer (or never answers).
const TIME_BUDGET: Duration = Duration::from_secs(10);

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="So lieu" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// One entry of a hand-built archive: its content as runs of one chunk
/// repeated, and the uncompressed size its headers declare (the true one
/// unless a case lies).
struct Part {
    name: &'static str,
    runs: Vec<(Vec<u8>, u64)>,
    declared: Option<u64>,
    stored: bool,
}

impl Part {
    fn text(name: &'static str, text: &str) -> Part {
        Part::repeated(name, vec![(text.as_bytes().to_vec(), 1)])
    }

    fn repeated(name: &'static str, runs: Vec<(Vec<u8>, u64)>) -> Part {
        Part {
            name,
            runs,
            declared: None,
            stored: false,
        }
    }
}

/// A raw deflate stream of `runs`: each chunk is compressed once, ending on a
/// full flush so that its blocks stand alone, and repeated as often as the
/// content repeats; an empty final block closes the stream.
fn deflate(runs: &[(Vec<u8>, u64)]) -> (Vec<u8>, u32, u64) {
    let mut stream = Vec::new();
    let mut crc = crc32fast::Hasher::new();
    let mut size = 0;
    for (chunk, times) in runs {
        let mut compressor = Compress::new(Compression::best(), false);
        let mut block = Vec::with_capacity(chunk.len() + 1024);
        compressor
            .compress_vec(chunk, &mut block, FlushCompress::Full)
            .unwrap();
        assert_eq!(compressor.total_in(), chunk.len() as u64);
        let mut chunk_crc = crc32fast::Hasher::new();
        chunk_crc.update(chunk);
        for _ in 0..*times {
            stream.extend_from_slice(&block);
            crc.combine(&chunk_crc);
        }
        size += chunk.len() as u64 * times;
    }
    stream.extend_from_slice(&[0x03, 0x00]);
    (stream, crc.finalize(), size)
}

/// The content of `runs` as it is, uncompressed.
fn store(runs: &[(Vec<u8>, u64)]) -> (Vec<u8>, u32, u64) {
    let mut data = Vec::new();
    for (chunk, times) in runs {
        for _ in 0..*times {
            data.extend_from_slice(chunk);
        }
    }
    let size = data.len() as u64;
    (data.clone(), crc32fast::hash(&data), size)
}

/// A ZIP archive of deflated (or stored) parts: local headers, central
/// directory and end record, nothing more.
fn zip(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for part in parts {
        let (data, crc, size) = if part.stored {
            store(&part.runs)
        } else {
            deflate(&part.runs)
        };
        let declared = part.declared.unwrap_or(size);
        let offset = out.len() as u32;
        let name = part.name.as_bytes();
        let fields = |out: &mut Vec<u8>| {
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&if part.stored { 0u16 } else { 8 }.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // time
            out.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(declared as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra field
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fields(&mut out);
        out.extend_from_slice(name);
        out.extend_from_slice(&data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    end_of_archive(&mut out, central, parts.len());
    out
}

fn end_of_archive(out: &mut Vec<u8>, central: Vec<u8>, entries: usize) {
    let at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
}

/// A workbook of one sheet with the given parts added or replaced.
fn workbook(extra: Vec<Part>) -> Vec<u8> {
    let mut parts = vec![
        Part::text("_rels/.rels", RELS),
        Part::text("xl/workbook.xml", WORKBOOK),
        Part::text("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ];
    for part in extra {
        parts.retain(|p| p.name != part.name);
        parts.push(part);
    }
    zip(&parts)
}

fn sheet(body: &str) -> Part {
    Part::text(
        "xl/worksheets/sheet1.xml",
        &format!("{SHEET_START}{body}</worksheet>"),
    )
}

/// What the child saw, one `key=value` a field.
struct Outcome {
    fields: Vec<(String, String)>,
}

impl Outcome {
    fn get(&self, key: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {key} in the child's report"))
    }

    fn number(&self, key: &str) -> u64 {
        self.get(key).parse().unwrap()
    }
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Runs `case` in a child process and returns what it reported; or, inside
/// that child, reads the file and reports.
fn run(case: &str, file: fn() -> Vec<u8>) -> Option<Outcome> {
    if std::env::var(CASE_VAR).as_deref() == Ok(case) {
        let bytes = file();
        let resident = status_kib("VmRSS");
        // "5" resets the peak resident-set mark to the current size, so the
        // peak read below is the reader's alone, not the file's making.
        std::fs::write("/proc/self/clear_refs", "5").unwrap();
        let started = Instant::now();
        let result = read_table(&bytes);
        let ms = started.elapsed().as_millis();
        let peak = status_kib("VmHWM");
        let (status, code, rows) = match &result {
            Ok(table) => (200, "ok".to_string(), table.rows.len()),
            Err(e) => (e.status().as_u16(), e.code().to_string(), 0),
        };
        let message = match &result {
            Ok(_) => String::new(),
            Err(e) => e.public_message(),
        };
        println!(
            "\nimport-bomb status={status} code={code} rows={rows} resident_kib={resident} \
             peak_kib={peak} ms={ms} message={message}"
        );
        return None;
    }
    let output = Command::new("prlimit")
        .arg(format!("--as={ADDRESS_SPACE}"))
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args([case, "--exact", "--nocapture", "--test-threads=1"])
        .env(CASE_VAR, case)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(report) = stdout.lines().find_map(|l| l.strip_prefix("import-bomb ")) else {
        panic!(
            "{case}: the reader took the process down ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let (head, message) = report.split_once(" message=").unwrap_or((report, ""));
    let mut fields: Vec<(String, String)> = head
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    fields.push(("message".into(), message.to_string()));
    let outcome = Outcome { fields };
    let grown = outcome
        .number("peak_kib")
        .saturating_sub(outcome.number("resident_kib"));
    eprintln!("{case}: {report} (grew {grown} KiB)");
    assert!(
        grown <= PEAK_BUDGET_KIB,
        "{case}: the reader grew by {grown} KiB (budget {PEAK_BUDGET_KIB} KiB)"
    );
    assert!(
        Duration::from_millis(outcome.number("ms")) <= TIME_BUDGET,
        "{case}: took {} ms",
        outcome.get("ms")
    );
    Some(outcome)
}

/// The file must be refused with a 400 whose message names the problem.
fn refused(case: &str, file: fn() -> Vec<u8>, words: &str) {
    let Some(outcome) = run(case, file) else {
        return;
    };
    assert_eq!(outcome.get("status"), "400", "{case}");
    assert_eq!(outcome.get("code"), "bad_request", "{case}");
    assert!(
        outcome.get("message").contains(words),
        "{case}: {:?} does not mention {words:?}",
        outcome.get("message")
    );
}

fn corners() -> Vec<u8> {
    workbook(vec![sheet(
        r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>unit_code</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>"#,
    )])
}

#[test]
fn one_cell_at_a1_and_one_at_the_last_cell() {
    refused("one_cell_at_a1_and_one_at_the_last_cell", corners, "dòng");
}

fn gibibyte_of_zeros() -> Vec<u8> {
    workbook(vec![Part::repeated(
        "xl/worksheets/sheet1.xml",
        vec![(vec![0; 1 << 20], 1025)],
    )])
}

#[test]
fn a_sheet_that_inflates_beyond_a_gibibyte() {
    refused(
        "a_sheet_that_inflates_beyond_a_gibibyte",
        gibibyte_of_zeros,
        "quá lớn",
    );
}

fn millions_of_shared_strings() -> Vec<u8> {
    // Three million empty strings, stored rather than deflated: a file that
    // compresses no better than an honest one and stays under 16 MiB. No
    // count is announced; the strings must be counted.
    let strings: u64 = 3_000_000;
    let mut table = Part::repeated(
        "xl/sharedStrings.xml",
        vec![
            (
                br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#.to_vec(),
                1,
            ),
            (b"<si/>".to_vec(), strings),
            (b"</sst>".to_vec(), 1),
        ],
    );
    table.stored = true;
    workbook(vec![
        table,
        sheet(r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>"#),
    ])
}

#[test]
fn a_shared_strings_table_of_millions_of_strings() {
    refused(
        "a_shared_strings_table_of_millions_of_strings",
        millions_of_shared_strings,
        "chuỗi",
    );
}

fn trillion_shared_strings_announced() -> Vec<u8> {
    workbook(vec![
        Part::text(
            "xl/sharedStrings.xml",
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1000000000000"><si><t>unit_code</t></si></sst>"#,
        ),
        sheet(r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>"#),
    ])
}

#[test]
fn a_shared_strings_table_announcing_a_trillion_strings() {
    refused(
        "a_shared_strings_table_announcing_a_trillion_strings",
        trillion_shared_strings_announced,
        "chuỗi",
    );
}

fn million_rows_of_200_columns() -> Vec<u8> {
    workbook(vec![sheet(
        r#"<dimension ref="A1:GR1000000"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>unit_code</t></is></c><c r="GR1"><v>1</v></c></row><row r="1000000"><c r="A1000000"><v>1</v></c><c r="GR1000000"><v>1</v></c></row></sheetData>"#,
    )])
}

#[test]
fn a_sheet_of_a_million_rows_by_200_columns() {
    refused(
        "a_sheet_of_a_million_rows_by_200_columns",
        million_rows_of_200_columns,
        "cột",
    );
}

fn long_font_name_in_every_format() -> Vec<u8> {
    // Every cell format copies its font; a 60,000-letter font name copied
    // into 60,000 formats is 3.6 GB from a file of 50 kB. The letters are
    // scrambled so that the part compresses no better than an honest one.
    let mut seed = 7u32;
    let name: String = (0..60_000)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            char::from(b'a' + (seed >> 16) as u8 % 26)
        })
        .collect();
    let font = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><name val="{name}"/></font></fonts><cellXfs count="60000">"#
    );
    workbook(vec![
        Part::repeated(
            "xl/styles.xml",
            vec![
                (font.into_bytes(), 1),
                (
                    r#"<xf numFmtId="0" fontId="0"/>"#.repeat(1_000).into_bytes(),
                    60,
                ),
                (b"</cellXfs></styleSheet>".to_vec(), 1),
            ],
        ),
        sheet(
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>unit_code</t></is></c></row></sheetData>"#,
        ),
    ])
}

/// Formats carry nothing the import needs but whether a number is a date:
/// such a file is read, without its fonts.
#[test]
fn a_style_table_that_copies_a_long_font_name_into_every_format() {
    let Some(outcome) = run(
        "a_style_table_that_copies_a_long_font_name_into_every_format",
        long_font_name_in_every_format,
    ) else {
        return;
    };
    assert_eq!(outcome.get("status"), "200");
}

fn cell_reference_beyond_any_sheet() -> Vec<u8> {
    workbook(vec![sheet(
        r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>unit_code</t></is></c><c r="A99999999999"><v>1</v></c></row></sheetData>"#,
    )])
}

#[test]
fn a_cell_reference_beyond_any_sheet() {
    refused(
        "a_cell_reference_beyond_any_sheet",
        cell_reference_beyond_any_sheet,
        "ô",
    );
}

fn dimension_ending_before_it_starts() -> Vec<u8> {
    workbook(vec![sheet(
        r#"<dimension ref="C3:A1"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>unit_code</t></is></c></row></sheetData>"#,
    )])
}

#[test]
fn a_dimension_that_ends_before_it_starts() {
    refused(
        "a_dimension_that_ends_before_it_starts",
        dimension_ending_before_it_starts,
        "XLSX",
    );
}

fn csv_of_200_001_lines() -> Vec<u8> {
    // As wide as a real bulk-entry file: the line cap, not the cell cap, decides.
    let header = format!(
        "unit_code,day,{},note\n",
        (1..=6)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let line = format!("06040,2025-10-06,{},x\n", ["1"; 6].join(","));
    let mut file = header.into_bytes();
    for _ in 0..200_001 {
        file.extend_from_slice(line.as_bytes());
    }
    file
}

#[test]
fn a_csv_of_200_001_lines() {
    refused("a_csv_of_200_001_lines", csv_of_200_001_lines, "dòng");
}

fn csv_line_of_100_000_fields() -> Vec<u8> {
    let mut file = b"unit_code,day,received\n".to_vec();
    file.extend_from_slice(["1"; 100_000].join(",").as_bytes());
    file.push(b'\n');
    file
}

#[test]
fn a_csv_line_of_100_000_fields() {
    refused(
        "a_csv_line_of_100_000_fields",
        csv_line_of_100_000_fields,
        "cột",
    );
}
