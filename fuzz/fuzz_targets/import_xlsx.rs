//! The bulk-import reader on small XLSX workbooks built from the fuzzer's
//! bytes. A well-formed archive around a sheet, shared strings and cell
//! formats whose structure varies — cell references in and out of Excel's
//! grid, every cell type, rich text, number formats, where the sheet is
//! found — so that the fuzzer's time goes past the ZIP and XML layers into
//! what the reader and calamine make of a workbook. Any text may also go in
//! raw, unescaped, to break the XML where it matters.
#![no_main]

use std::io::{Cursor, Write};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zip::write::{SimpleFileOptions, ZipWriter};

#[derive(Arbitrary, Debug)]
struct Workbook {
    rows: Vec<Row>,
    strings: Option<Vec<Vec<Text>>>,
    announced_strings: Option<u64>,
    number_formats: Vec<(u16, Text)>,
    cell_formats: Option<Vec<Option<u16>>>,
    dimension: Option<(Reference, Option<Reference>)>,
    date1904: bool,
    deflate: bool,
    sheet_tail: Text,
    sheet_target: Target,
    extra: Vec<(Text, Vec<u8>)>,
}

#[derive(Arbitrary, Debug)]
struct Row {
    r: Option<u32>,
    cells: Vec<Cell>,
}

#[derive(Arbitrary, Debug)]
struct Cell {
    reference: Option<Reference>,
    style: Option<u16>,
    value: Value,
}

#[derive(Arbitrary, Debug)]
enum Reference {
    Grid { row: u32, column: u16 },
    Raw(Text),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Number(f64),
    NumberText(Text),
    Shared(u32),
    Inline(Vec<Text>),
    Bool(bool),
    Error(Text),
    Str(Text),
    Date(Text),
    Formula(Text, Text),
    Empty,
}

#[derive(Arbitrary, Debug)]
enum Text {
    Escaped(String),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Target {
    Relative,
    Absolute,
    Shouting,
    Backslashed,
    SharedStrings,
    Raw(Text),
}

impl Text {
    fn xml(&self) -> String {
        match self {
            Text::Escaped(s) => s
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;"),
            Text::Raw(s) => s.clone(),
        }
    }
}

fn column_name(mut column: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

impl Reference {
    fn xml(&self) -> String {
        match self {
            // Mostly inside Excel's grid and near the reader's caps, sometimes
            // just past either.
            Reference::Grid { row, column } => format!(
                "{}{}",
                column_name(u32::from(*column) % 16_400),
                row % 1_048_600
            ),
            Reference::Raw(text) => text.xml(),
        }
    }
}

fn sheet(workbook: &Workbook, strings: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    );
    if let Some((start, end)) = &workbook.dimension {
        let end = end
            .as_ref()
            .map(|e| format!(":{}", e.xml()))
            .unwrap_or_default();
        xml.push_str(&format!(r#"<dimension ref="{}{end}"/>"#, start.xml()));
    }
    xml.push_str("<sheetData>");
    for row in &workbook.rows {
        match row.r {
            Some(r) => xml.push_str(&format!(r#"<row r="{r}">"#)),
            None => xml.push_str("<row>"),
        }
        for cell in &row.cells {
            xml.push_str("<c");
            if let Some(r) = &cell.reference {
                xml.push_str(&format!(r#" r="{}""#, r.xml()));
            }
            if let Some(s) = cell.style {
                xml.push_str(&format!(r#" s="{s}""#));
            }
            let (kind, body) = match &cell.value {
                Value::Number(f) => ("", format!("<v>{f}</v>")),
                Value::NumberText(t) => ("", format!("<v>{}</v>", t.xml())),
                Value::Shared(i) => ("s", format!("<v>{}</v>", *i as usize % (strings + 2))),
                Value::Inline(runs) => (
                    "inlineStr",
                    format!(
                        "<is>{}</is>",
                        runs.iter()
                            .map(|r| format!("<r><t>{}</t></r>", r.xml()))
                            .collect::<String>()
                    ),
                ),
                Value::Bool(b) => ("b", format!("<v>{}</v>", u8::from(*b))),
                Value::Error(t) => ("e", format!("<v>{}</v>", t.xml())),
                Value::Str(t) => ("str", format!("<v>{}</v>", t.xml())),
                Value::Date(t) => ("d", format!("<v>{}</v>", t.xml())),
                Value::Formula(f, v) => ("", format!("<f>{}</f><v>{}</v>", f.xml(), v.xml())),
                Value::Empty => ("", String::new()),
            };
            if !kind.is_empty() {
                xml.push_str(&format!(r#" t="{kind}""#));
            }
            xml.push('>');
            xml.push_str(&body);
            xml.push_str("</c>");
        }
        xml.push_str("</row>");
    }
    xml.push_str(&workbook.sheet_tail.xml());
    xml.push_str("</sheetData></worksheet>");
    xml
}

fn archive(workbook: &Workbook) -> Option<Vec<u8>> {
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    let method = if workbook.deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default().compression_method(method);
    let mut part = |name: &str, content: &[u8]| -> Option<()> {
        out.start_file(name, options).ok()?;
        out.write_all(content).ok()
    };
    part(
        "_rels/.rels",
        br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    )?;
    let date1904 = if workbook.date1904 {
        r#"<workbookPr date1904="1"/>"#
    } else {
        ""
    };
    part(
        "xl/workbook.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{date1904}<sheets><sheet name="So lieu" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        )
        .as_bytes(),
    )?;
    let target = match &workbook.sheet_target {
        Target::Relative => "worksheets/sheet1.xml".to_string(),
        Target::Absolute => "/xl/worksheets/sheet1.xml".to_string(),
        Target::Shouting => "WORKSHEETS/SHEET1.XML".to_string(),
        Target::Backslashed => "worksheets\\sheet1.xml".to_string(),
        Target::SharedStrings => "sharedStrings.xml".to_string(),
        Target::Raw(t) => t.xml(),
    };
    part(
        "xl/_rels/workbook.xml.rels",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{target}"/></Relationships>"#
        )
        .as_bytes(),
    )?;
    let strings = workbook.strings.as_ref().map_or(0, Vec::len);
    if let Some(table) = &workbook.strings {
        let announced = workbook
            .announced_strings
            .map(|n| format!(r#" uniqueCount="{n}""#))
            .unwrap_or_default();
        let mut xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"{announced}>"#
        );
        for runs in table {
            xml.push_str("<si>");
            match runs.as_slice() {
                [one] => xml.push_str(&format!("<t>{}</t>", one.xml())),
                many => {
                    for run in many {
                        xml.push_str(&format!("<r><t>{}</t></r>", run.xml()));
                    }
                }
            }
            xml.push_str("</si>");
        }
        xml.push_str("</sst>");
        part("xl/sharedStrings.xml", xml.as_bytes())?;
    }
    if let Some(formats) = &workbook.cell_formats {
        let mut xml = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts>"#,
        );
        for (id, code) in &workbook.number_formats {
            xml.push_str(&format!(
                r#"<numFmt numFmtId="{id}" formatCode="{}"/>"#,
                code.xml()
            ));
        }
        xml.push_str(r#"</numFmts><fonts><font><name val="Arial"/></font></fonts><cellXfs>"#);
        for id in formats {
            match id {
                Some(id) => xml.push_str(&format!(r#"<xf numFmtId="{id}" fontId="0"/>"#)),
                None => xml.push_str("<xf/>"),
            }
        }
        xml.push_str("</cellXfs></styleSheet>");
        part("xl/styles.xml", xml.as_bytes())?;
    }
    if !matches!(workbook.sheet_target, Target::SharedStrings) {
        part(
            "xl/worksheets/sheet1.xml",
            sheet(workbook, strings).as_bytes(),
        )?;
    }
    for (name, content) in &workbook.extra {
        // A name already taken is refused by the writer; the rest go in.
        let _ = part(&name.xml(), content);
    }
    out.finish().ok().map(Cursor::into_inner)
}

fuzz_target!(|workbook: Workbook| {
    let Some(bytes) = archive(&workbook) else {
        return;
    };
    match thidua::import::read_table(&bytes) {
        Ok(table) => {
            assert!(table.rows.len() <= thidua::import::MAX_LINES);
            assert!(table.rows.windows(2).all(|w| w[0].0 < w[1].0));
        }
        Err(e) => assert!(e.status().is_client_error(), "{e:?}"),
    }
});
