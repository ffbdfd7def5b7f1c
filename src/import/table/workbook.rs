//! Vetting an XLSX archive before calamine opens it.
//!
//! calamine trusts the file: it reserves as many shared strings as the file
//! announces, copies a cell format's font into every format, keeps whatever
//! a part inflates to, and its cell-reference arithmetic overflows on
//! references no sheet can hold. So the archive is read here first, each
//! part through a reader that fails one byte past the size the archive
//! declared for it (declared sizes are checked against the limits before
//! anything is inflated, and this reader makes the declaration binding) and
//! an XML reader whose every event is bounded. The parts calamine needs are
//! found as calamine finds them, and calamine is handed a new archive holding
//! only those, copied still compressed, with the cell formats rewritten down
//! to the number formats that tell a date from a number.
//!
//! `zip` is the archive reader calamine itself uses (the same version, so
//! the entries seen here are the entries it reads); `quick-xml` is its XML
//! reader, configured as calamine configures it, so that the events bounded
//! here are the events it will see.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Cursor, Read, Write};

use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::error::{AppError, Result};

/// Entries an archive may list. Excel writes a dozen parts, plus one per
/// sheet, drawing or picture.
const MAX_ENTRIES: usize = 10_000;

/// Each part that is read to find the others (the package's and the
/// workbook's relationships, the workbook): Excel writes a few kilobytes;
/// 1 MiB is a workbook of thousands of sheets.
const MAX_STRUCTURE_PART: u64 = 1 << 20;

/// The shared-strings part: the distinct texts of the sheet, which for a
/// bulk-entry file are unit codes and names, days and notes — ~10 MB for
/// 100,000 lines each with its own note.
const MAX_SHARED_STRINGS_PART: u64 = 32 << 20;

/// Shared strings: three distinct texts a line over 100,000 lines is
/// 300,000. calamine reserves room for as many as the part announces, so the
/// announcement is held to this too.
const MAX_SHARED_STRINGS: u64 = 1_000_000;

/// The cell-formats part, streamed and rewritten, never kept whole: Excel's
/// own ceiling of formats at ~200 bytes each is 13 MB.
const MAX_STYLES_PART: u64 = 16 << 20;

/// Cell formats: Excel's own ceiling ("unique cell formats: 65,490").
const MAX_CELL_FORMATS: usize = 65_490;

/// Custom number formats: Excel allows "between 200 and 250".
const MAX_NUMBER_FORMATS: usize = 1_000;

/// Characters of a number format code: Excel's ceiling.
const MAX_FORMAT_CODE: usize = 255;

/// The sheet, streamed: Excel writes ~40 bytes a cell, so 100,000 lines of
/// 64 filled columns is ~256 MB; real files are a fifth of that.
const MAX_SHEET_PART: u64 = 256 << 20;

/// All the parts read, together: what inflating costs in time (a second or
/// two) is bounded by this, not by how many parts there are.
const MAX_INFLATED: u64 = 256 << 20;

/// Inflated size over compressed size. XML compresses 5 to 20 times;
/// deflate's ceiling is ~1,000, reached only by repetition — a bomb. 100 is
/// the ratio Apache POI refuses below by default.
const MAX_RATIO: u64 = 100;

/// Below this inflated size a part may compress as well as it likes: a small
/// repetitive part costs nothing.
const RATIO_GRACE: u64 = 1 << 20;

/// Bytes of one XML event — a tag with its attributes, or a run of text.
/// quick-xml buffers a whole event before handing it over. The longest in a
/// real file is a cell of 8 KiB or a long list of ranges; 64 KiB is plenty.
const MAX_XML_EVENT: usize = 64 << 10;

/// Bytes of markup of one cell or one shared string, which calamine gathers
/// into one text however many runs it is split into.
const MAX_ELEMENT_XML: u64 = 64 << 10;

/// Excel's grid: 1,048,576 rows of 16,384 columns (A to XFD).
const GRID_ROWS: u32 = 1 << 20;
const GRID_COLUMNS: u32 = 1 << 14;

/// A refusal raised inside a reader, carried through the I/O and XML errors
/// around it to become the 400 it is.
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

fn refusal(message: impl Into<String>) -> AppError {
    AppError::BadRequest(message.into())
}

fn broken() -> AppError {
    refusal("Không đọc được tệp XLSX")
}

fn from_io(e: &io::Error) -> AppError {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Refusal>())
        .map(|r| refusal(r.0.clone()))
        .unwrap_or_else(broken)
}

fn from_xml(e: &quick_xml::Error) -> AppError {
    match e {
        quick_xml::Error::Io(io) => from_io(io),
        _ => broken(),
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// A part's inflated bytes, counted: one byte past `left` and the read
/// fails, whatever the compressed stream holds.
struct Bounded<R> {
    inner: R,
    left: u64,
    part: String,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = usize::try_from(self.left.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        if n as u64 > self.left {
            return Err(io::Error::other(Refusal(format!(
                "Tệp XLSX bị hỏng: phần {} lớn hơn kích thước đã khai",
                self.part
            ))));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The bytes quick-xml may take for one event: it buffers a whole tag or
/// run of text before handing it over, so without this a single 200 MB text
/// node would be held at once. The count restarts at every event.
struct EventBudget<R> {
    inner: R,
    taken: usize,
}

impl<R: BufRead> Read for EventBudget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for EventBudget<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.taken > MAX_XML_EVENT {
            return Err(io::Error::other(Refusal(format!(
                "Tệp XLSX có một thẻ hoặc đoạn chữ dài quá {}",
                size(MAX_XML_EVENT as u64)
            ))));
        }
        let room = MAX_XML_EVENT + 1 - self.taken;
        let available = self.inner.fill_buf()?;
        Ok(&available[..available.len().min(room)])
    }

    fn consume(&mut self, n: usize) {
        self.taken += n;
        self.inner.consume(n);
    }
}

/// Streams a part's XML events to `visit`, with the offset just past each.
fn events(part: impl BufRead, mut visit: impl FnMut(&Event<'_>, u64) -> Result<()>) -> Result<()> {
    let mut xml = quick_xml::Reader::from_reader(EventBudget {
        inner: part,
        taken: 0,
    });
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        xml.get_mut().taken = 0;
        let event = xml.read_event_into(&mut buf).map_err(|e| from_xml(&e))?;
        if matches!(event, Event::Eof) {
            return Ok(());
        }
        visit(&event, xml.buffer_position())?;
    }
}

/// The raw value of the last attribute whose name `matches` (calamine's
/// loops keep the last). A duplicated or malformed attribute refuses the
/// file: this reader and calamine could then disagree on which counts.
fn attribute<'a>(
    e: &'a BytesStart<'_>,
    matches: impl Fn(&str) -> bool,
) -> Result<Option<Cow<'a, str>>> {
    let mut found = None;
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|_| broken())?;
        if matches(attribute.key.as_ref()) {
            found = Some(attribute.value);
        }
    }
    Ok(found)
}

fn named(name: &'static str) -> impl Fn(&str) -> bool {
    move |key| key == name
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// A cell reference within Excel's grid (`A1` … `XFD1048576`), as
/// zero-based (row, column). calamine's own parsing overflows on longer
/// ones, so nothing else is let through.
fn reference(text: &str) -> Option<(u32, u32)> {
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let digits = &text[letters..];
    if !(1..=3).contains(&letters)
        || !(1..=7).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let column = text[..letters].bytes().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    });
    let row: u32 = digits.parse().ok()?;
    ((1..=GRID_ROWS).contains(&row) && (1..=GRID_COLUMNS).contains(&column))
        .then(|| (row - 1, column - 1))
}

/// The archive as the zip crate lists it, entries by the name calamine
/// looks them up by (ASCII-lowercased, `\` as `/`).
struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    names: HashMap<String, usize>,
    inflated: u64,
}

fn lookup_key(path: &str) -> String {
    path.replace('\\', "/").to_ascii_lowercase()
}

impl<'a> Archive<'a> {
    fn open(bytes: &'a [u8]) -> Result<Archive<'a>> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| broken())?;
        if zip.len() > MAX_ENTRIES {
            return Err(refusal(format!(
                "Tệp XLSX có quá nhiều phần (tối đa {MAX_ENTRIES})"
            )));
        }
        let mut names = HashMap::new();
        for index in 0..zip.len() {
            let name = zip
                .name_for_index(index)
                .and_then(|n| n.ok())
                .ok_or_else(broken)?;
            // Two entries that calamine cannot tell apart: which one it
            // reads is not for this reader to guess.
            if names.insert(lookup_key(&name), index).is_some() {
                return Err(broken());
            }
        }
        Ok(Archive {
            zip,
            names,
            inflated: 0,
        })
    }

    fn find(&self, path: &str) -> Option<usize> {
        self.names.get(&lookup_key(path)).copied()
    }

    /// Streams one part's XML to `visit`. The part's declared size is held
    /// to `limit`, to the compression ratio and to what is left of the
    /// total before a byte is inflated; the reader then holds the part to
    /// its declaration.
    fn scan(
        &mut self,
        index: usize,
        limit: u64,
        visit: impl FnMut(&Event<'_>, u64) -> Result<()>,
    ) -> Result<()> {
        let file = self.zip.by_index(index).map_err(|_| broken())?;
        let part = file.name().map_err(|_| broken())?.into_owned();
        let declared = file.size();
        if declared > limit {
            return Err(refusal(format!(
                "Tệp XLSX quá lớn khi giải nén: phần {part} vượt quá {}",
                size(limit)
            )));
        }
        if declared
            > file
                .compressed_size()
                .saturating_mul(MAX_RATIO)
                .max(RATIO_GRACE)
        {
            return Err(refusal(format!(
                "Tệp XLSX nén bất thường: phần {part} nở ra hơn {MAX_RATIO} lần"
            )));
        }
        if declared > MAX_INFLATED - self.inflated {
            return Err(refusal(format!(
                "Tệp XLSX quá lớn khi giải nén: các phần vượt quá {}",
                size(MAX_INFLATED)
            )));
        }
        self.inflated += declared;
        let bounded = Bounded {
            inner: file,
            left: declared,
            part,
        };
        events(BufReader::new(bounded), visit)
    }
}

/// The parts calamine reads, found as it finds them.
struct Layout {
    package_relationships: usize,
    workbook: usize,
    workbook_relationships: usize,
    sheet: usize,
    shared_strings: Option<usize>,
    styles: Option<usize>,
}

/// Follows the package's relationships to the workbook and the workbook's
/// to its first sheet, reading each as calamine does (`Xlsx::new`,
/// `read_package_relationships`, `read_relationships`, `read_workbook`).
fn layout(archive: &mut Archive<'_>) -> Result<Layout> {
    let package_relationships = archive.find("_rels/.rels").ok_or_else(broken)?;
    let mut document = None;
    let mut inside = false;
    archive.scan(package_relationships, MAX_STRUCTURE_PART, |event, _| {
        if let Event::Start(e) = event {
            match local(e).as_str() {
                "Relationships" => inside = true,
                "Relationship" if inside => {
                    let kind = attribute(e, named("Type"))?;
                    if kind.is_some_and(|k| k.ends_with("/relationships/officeDocument"))
                        && let Some(target) = attribute(e, named("Target"))?
                    {
                        let target = quick_xml::escape::unescape(&target).map_err(|_| broken())?;
                        document = Some(target.into_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(())
    })?;
    let document = document.ok_or_else(broken)?;
    let (directory, name) = match document.rfind('/') {
        Some(i) => document.split_at(i + 1),
        None => ("", document.as_str()),
    };
    let directory = directory.strip_prefix('/').unwrap_or(directory);
    let name = if name.is_empty() {
        "workbook.xml"
    } else {
        name
    };

    let workbook_relationships = archive
        .find(&format!("{directory}_rels/{name}.rels"))
        .ok_or_else(broken)?;
    let mut targets = HashMap::new();
    archive.scan(workbook_relationships, MAX_STRUCTURE_PART, |event, _| {
        if let Event::Start(e) = event
            && local(e) == "Relationship"
            && let Some(id) = attribute(e, named("Id"))?
        {
            let target = attribute(e, named("Target"))?.unwrap_or_default();
            targets.insert(id.into_owned(), target.into_owned());
        }
        Ok(())
    })?;

    let workbook = archive
        .find(&format!("{directory}{name}"))
        .ok_or_else(broken)?;
    let mut first_sheet = None;
    archive.scan(workbook, MAX_STRUCTURE_PART, |event, _| {
        if let Event::Start(e) = event
            && first_sheet.is_none()
            && local(e) == "sheet"
        {
            let id = attribute(e, |key| key == "id" || key.ends_with(":id"))?.unwrap_or_default();
            first_sheet = Some(targets.get(id.as_ref()).cloned().ok_or_else(broken)?);
        }
        Ok(())
    })?;
    let target = first_sheet.ok_or_else(|| refusal("Tệp XLSX không có trang tính nào"))?;
    let sheet_path = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("{directory}{target}"),
    };
    let sheet = archive.find(&sheet_path).ok_or_else(broken)?;
    let layout = Layout {
        package_relationships,
        workbook,
        workbook_relationships,
        sheet,
        shared_strings: archive.find(&format!("{directory}sharedStrings.xml")),
        styles: archive.find(&format!("{directory}styles.xml")),
    };
    // One entry in two roles would be vetted for one and read for the other.
    let mut roles: Vec<usize> = [
        Some(layout.package_relationships),
        Some(layout.workbook),
        Some(layout.workbook_relationships),
        Some(layout.sheet),
        layout.shared_strings,
        layout.styles,
    ]
    .into_iter()
    .flatten()
    .collect();
    let count = roles.len();
    roles.sort_unstable();
    roles.dedup();
    if roles.len() != count {
        return Err(broken());
    }
    Ok(layout)
}

/// Bounds the markup of one element (a cell, a shared string), which
/// calamine gathers into one text whatever number of runs it is split in.
#[derive(Default)]
struct ElementSpan {
    started: Option<u64>,
}

impl ElementSpan {
    fn start(&mut self, at: u64) {
        self.started = Some(at);
    }

    fn end(&mut self, at: u64, what: &str) -> Result<()> {
        match self.started.take() {
            Some(start) if at.saturating_sub(start) > MAX_ELEMENT_XML => Err(refusal(format!(
                "Tệp XLSX có {what} dài quá {}",
                size(MAX_ELEMENT_XML)
            ))),
            _ => Ok(()),
        }
    }
}

fn vet_shared_strings(archive: &mut Archive<'_>, index: usize) -> Result<()> {
    let too_many = || {
        refusal(format!(
            "Tệp XLSX có quá nhiều chuỗi dùng chung (tối đa {MAX_SHARED_STRINGS})"
        ))
    };
    let mut strings = 0;
    let mut span = ElementSpan::default();
    archive.scan(index, MAX_SHARED_STRINGS_PART, |event, at| {
        match event {
            Event::Start(e) if local(e) == "sst" => {
                if let Some(announced) = attribute(e, named("uniqueCount"))? {
                    let plain = !announced.is_empty()
                        && announced.len() <= 20
                        && announced.bytes().all(|b| b.is_ascii_digit());
                    if !plain {
                        return Err(broken());
                    }
                    if announced
                        .parse::<u64>()
                        .map_or(true, |n| n > MAX_SHARED_STRINGS)
                    {
                        return Err(too_many());
                    }
                }
            }
            Event::Start(e) if local(e) == "si" => {
                strings += 1;
                if strings > MAX_SHARED_STRINGS {
                    return Err(too_many());
                }
                span.start(at);
            }
            Event::End(e) if e.local_name().as_ref() == "si" => span.end(at, "một chuỗi")?,
            _ => {}
        }
        Ok(())
    })
}

fn vet_sheet(archive: &mut Archive<'_>, index: usize) -> Result<()> {
    let invalid = |text: &str| refusal(format!("Tệp XLSX có địa chỉ ô không hợp lệ: {text:.20}"));
    let mut span = ElementSpan::default();
    archive.scan(index, MAX_SHEET_PART, |event, at| {
        match event {
            Event::Start(e) => match local(e).as_str() {
                "c" => {
                    if let Some(r) = attribute(e, named("r"))?
                        && reference(&r).is_none()
                    {
                        return Err(invalid(&r));
                    }
                    span.start(at);
                }
                "row" => {
                    if let Some(r) = attribute(e, named("r"))? {
                        let valid = r.len() <= 7
                            && r.bytes().all(|b| b.is_ascii_digit())
                            && r.parse::<u32>().is_ok_and(|n| (1..=GRID_ROWS).contains(&n));
                        if !valid {
                            return Err(invalid(&r));
                        }
                    }
                }
                "dimension" => {
                    let area = attribute(e, named("ref"))?.unwrap_or_default();
                    let corners: Option<Vec<(u32, u32)>> = area.split(':').map(reference).collect();
                    let ordered = match corners.as_deref() {
                        Some([_]) => true,
                        Some([(r1, c1), (r2, c2)]) => r1 <= r2 && c1 <= c2,
                        _ => false,
                    };
                    if !ordered {
                        return Err(refusal(format!(
                            "Tệp XLSX bị hỏng: vùng dữ liệu {area:.40} không hợp lệ"
                        )));
                    }
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "c" => span.end(at, "một ô")?,
            _ => {}
        }
        Ok(())
    })
}

/// The cell formats reduced to what the import reads from them — which
/// number format each uses, so that a date cell reads as a date — as a new
/// part. Fonts, fills and borders, which calamine would copy into every
/// format, are left behind.
fn rewrite_styles(archive: &mut Archive<'_>, index: usize) -> Result<Vec<u8>> {
    let mut number_formats: Vec<(String, String)> = Vec::new();
    let mut cell_formats: Vec<Option<String>> = Vec::new();
    let (mut in_number_formats, mut in_cell_formats) = (false, false);
    let format_id = |id: Cow<'_, str>| -> Result<String> {
        if id.is_empty() || id.len() > 10 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(broken());
        }
        Ok(id.into_owned())
    };
    archive.scan(index, MAX_STYLES_PART, |event, _| {
        match event {
            Event::Start(e) => match local(e).as_str() {
                "numFmts" => in_number_formats = true,
                "cellXfs" => in_cell_formats = true,
                "numFmt" if in_number_formats => {
                    if let (Some(id), Some(code)) = (
                        attribute(e, named("numFmtId"))?,
                        attribute(e, named("formatCode"))?,
                    ) {
                        let code = quick_xml::escape::unescape(&code).map_err(|_| broken())?;
                        if code.chars().count() > MAX_FORMAT_CODE
                            || number_formats.len() >= MAX_NUMBER_FORMATS
                        {
                            return Err(refusal("Tệp XLSX có quá nhiều định dạng số"));
                        }
                        number_formats.push((format_id(id)?, code.into_owned()));
                    }
                }
                "xf" if in_cell_formats => {
                    if cell_formats.len() >= MAX_CELL_FORMATS {
                        return Err(refusal(format!(
                            "Tệp XLSX có quá nhiều định dạng ô (tối đa {MAX_CELL_FORMATS})"
                        )));
                    }
                    let id = attribute(e, named("numFmtId"))?
                        .map(format_id)
                        .transpose()?;
                    cell_formats.push(id);
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "numFmts" => in_number_formats = false,
                "cellXfs" => in_cell_formats = false,
                _ => {}
            },
            _ => {}
        }
        Ok(())
    })?;
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts>"#,
    );
    for (id, code) in &number_formats {
        xml.push_str(&format!(
            r#"<numFmt numFmtId="{id}" formatCode="{}"/>"#,
            quick_xml::escape::escape(code.as_str())
        ));
    }
    xml.push_str("</numFmts><cellXfs>");
    for id in &cell_formats {
        match id {
            Some(id) => xml.push_str(&format!(r#"<xf numFmtId="{id}"/>"#)),
            None => xml.push_str("<xf/>"),
        }
    }
    xml.push_str("</cellXfs></styleSheet>");
    Ok(xml.into_bytes())
}

/// Vets the archive and returns the one calamine may open: the parts it
/// needs, each vetted, copied still compressed; the cell formats rewritten.
pub(super) fn vet(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut archive = Archive::open(bytes)?;
    let layout = layout(&mut archive)?;
    if let Some(index) = layout.shared_strings {
        vet_shared_strings(&mut archive, index)?;
    }
    vet_sheet(&mut archive, layout.sheet)?;
    let styles = match layout.styles {
        Some(index) => Some((index, rewrite_styles(&mut archive, index)?)),
        None => None,
    };

    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    let copied = [
        Some(layout.package_relationships),
        Some(layout.workbook_relationships),
        Some(layout.workbook),
        layout.shared_strings,
        Some(layout.sheet),
    ];
    for index in copied.into_iter().flatten() {
        let file = archive.zip.by_index_raw(index).map_err(|_| broken())?;
        out.raw_copy_file(file).map_err(|_| broken())?;
    }
    if let Some((index, xml)) = styles {
        let name = archive
            .zip
            .name_for_index(index)
            .and_then(|n| n.ok())
            .ok_or_else(broken)?
            .into_owned();
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        out.start_file(name, stored).map_err(|_| broken())?;
        out.write_all(&xml).map_err(|_| broken())?;
    }
    Ok(out.finish().map_err(|_| broken())?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_stay_within_the_grid() {
        assert_eq!(reference("A1"), Some((0, 0)));
        assert_eq!(reference("xfd1048576"), Some((1_048_575, 16_383)));
        for outside in [
            "",
            "A",
            "1",
            "A0",
            "XFE1",
            "A1048577",
            "AAAA1",
            "A12345678",
            "A1B",
        ] {
            assert_eq!(reference(outside), None, "{outside}");
        }
    }

    #[test]
    fn a_part_cannot_inflate_past_its_declaration() {
        let mut part = Bounded {
            inner: io::repeat(0),
            left: 1000,
            part: "xl/worksheets/sheet1.xml".into(),
        };
        let mut sink = Vec::new();
        let e = part.read_to_end(&mut sink).unwrap_err();
        assert!(sink.len() <= 1000);
        assert!(matches!(from_io(&e), AppError::BadRequest(m) if m.contains("khai")));
    }

    #[test]
    fn one_event_cannot_outgrow_its_budget() {
        let text = format!("<a>{}</a>", "x".repeat(MAX_XML_EVENT + 10));
        let e = events(text.as_bytes(), |_, _| Ok(())).unwrap_err();
        assert!(matches!(e, AppError::BadRequest(m) if m.contains("dài quá")));
        let text = format!("<a>{}</a>", "x".repeat(MAX_XML_EVENT - 10));
        events(text.as_bytes(), |_, _| Ok(())).unwrap();
    }
}
