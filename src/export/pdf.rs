//! The final ranking as a PDF, drawn on the server: the same document as
//! the print page (`/admin/print`) without a browser.
//!
//! [krilla] writes the PDF: it shapes text with rustybuzz, embeds and
//! subsets the fonts, so Vietnamese letters with two diacritics (ế, ộ, ữ)
//! come out as the font draws them. The fonts are DejaVu Serif Condensed
//! (Book, Bold, Italic), cut down to Latin and Vietnamese (`fonts/`, with
//! their licence and the command that cut them), about 27 KB each in the
//! binary. The layout is done here: A4 with the margins of Nghị định
//! 30/2020, the issuer beside the national heading, the place and date,
//! the title, one table per board (each board from a new page, column
//! headers repeated on every page), and the signer's block on the page of
//! the last board's last rows.

use std::sync::LazyLock;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use super::{MOTTO, NATION, Results, reason_label};
use crate::i18n::Lang;

const REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSerifCondensed-vi.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSerifCondensed-Bold-vi.ttf");
const ITALIC: &[u8] = include_bytes!("../../fonts/DejaVuSerifCondensed-Italic-vi.ttf");

/// A4 in points, and the margins of Nghị định 30/2020 (left 30 mm for
/// binding, right 15 mm, top and bottom 20 mm).
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 85.04;
const RIGHT: f32 = PAGE_WIDTH - 42.52;
const TOP: f32 = 56.69;
const BOTTOM: f32 = PAGE_HEIGHT - 56.69;
const WIDTH: f32 = RIGHT - LEFT;

/// Rows of the last board printed on the page of the signature.
const ROWS_WITH_SIGNATURE: usize = 3;
const CELL_PADDING: f32 = 3.0;

/// A font: what krilla embeds, and the shaper that measures it.
struct Face {
    font: Font,
    shaper: rustybuzz::Face<'static>,
}

impl Face {
    fn load(data: &'static [u8]) -> anyhow::Result<Face> {
        let font = Font::new(data.into(), 0)
            .ok_or_else(|| anyhow::anyhow!("the PDF font cannot be read"))?;
        let shaper = rustybuzz::Face::from_slice(data, 0)
            .ok_or_else(|| anyhow::anyhow!("the PDF font cannot be shaped"))?;
        Ok(Face { font, shaper })
    }

    /// The width of `text` at `size` points, as krilla will draw it.
    fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        let glyphs = rustybuzz::shape(&self.shaper, &[], buffer);
        let units: i32 = glyphs.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 * size / self.shaper.units_per_em().max(1) as f32
    }

    /// `text` broken into lines at most `width` points wide (a word longer
    /// than that keeps a line of its own).
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.width(&candidate, size) > width {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }
}

struct Faces {
    regular: Face,
    bold: Face,
    italic: Face,
}

/// The fonts, read once; an error names what failed instead of panicking.
static FACES: LazyLock<Result<Faces, String>> = LazyLock::new(|| {
    Ok(Faces {
        regular: Face::load(REGULAR).map_err(|e| e.to_string())?,
        bold: Face::load(BOLD).map_err(|e| e.to_string())?,
        italic: Face::load(ITALIC).map_err(|e| e.to_string())?,
    })
});

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Regular,
    Bold,
    Italic,
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Center,
    Right,
}

/// What a page holds: text at a baseline, and lines.
enum Mark {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        size: f32,
        text: String,
        red: bool,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
}

/// A column of the ranking table.
struct Column {
    header: String,
    width: f32,
    align: Align,
}

/// Lays the document out page by page.
struct Layout<'f> {
    faces: &'f Faces,
    pages: Vec<Vec<Mark>>,
    /// The top of the free space on the current page.
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(faces: &'f Faces) -> Layout<'f> {
        Layout {
            faces,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn face(&self, style: Style) -> &'f Face {
        match style {
            Style::Regular => &self.faces.regular,
            Style::Bold => &self.faces.bold,
            Style::Italic => &self.faces.italic,
        }
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    /// A new page; its number centred in the top margin from the second
    /// page on (Nghị định 30/2020).
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        let number = self.pages.len().to_string();
        self.text_in(
            (LEFT, WIDTH),
            TOP - 22.0,
            &number,
            Style::Regular,
            11.0,
            Align::Center,
        );
    }

    fn room(&self) -> f32 {
        BOTTOM - self.y
    }

    /// One line of text in a box `(x, width)` with its baseline at `baseline`.
    fn text_in(
        &mut self,
        (x, width): (f32, f32),
        baseline: f32,
        text: &str,
        style: Style,
        size: f32,
        align: Align,
    ) {
        self.text_marked((x, width), baseline, text, (style, size), align, false);
    }

    fn text_marked(
        &mut self,
        (x, width): (f32, f32),
        baseline: f32,
        text: &str,
        (style, size): (Style, f32),
        align: Align,
        red: bool,
    ) {
        let measured = self.face(style).width(text, size);
        let x = match align {
            Align::Left => x,
            Align::Center => x + (width - measured) / 2.0,
            Align::Right => x + width - measured,
        };
        self.mark(Mark::Text {
            x,
            baseline,
            style,
            size,
            text: text.to_string(),
            red,
        });
    }

    /// Wrapped lines in a box from the current position; returns the
    /// height used.
    fn paragraph(
        &mut self,
        (x, width): (f32, f32),
        text: &str,
        (style, size): (Style, f32),
        align: Align,
        red: bool,
    ) -> f32 {
        let leading = size * 1.3;
        let lines = self.face(style).wrap(text, size, width);
        for (i, line) in lines.iter().enumerate() {
            let baseline = self.y + size + i as f32 * leading;
            self.text_marked((x, width), baseline, line, (style, size), align, red);
        }
        lines.len() as f32 * leading
    }

    fn rule(&mut self, from: (f32, f32), to: (f32, f32), width: f32) {
        self.mark(Mark::Line { from, to, width });
    }
}

/// The PDF of the ranking of every board.
pub fn ranking(s: &Results) -> anyhow::Result<Vec<u8>> {
    let faces = FACES
        .as_ref()
        .map_err(|e| anyhow::anyhow!("PDF fonts: {e}"))?;
    let mut layout = Layout::new(faces);
    letterhead(&mut layout, s);
    let last_board = s.boards.len().saturating_sub(1);
    for (b, board) in s.boards.iter().enumerate() {
        if b > 0 {
            layout.new_page();
        }
        table(&mut layout, s, board, b == last_board);
    }
    if s.boards.is_empty() {
        signature(&mut layout, s);
    }
    render(&layout.pages, faces, s)
}

/// The issuer beside the national heading, the place and date, the title.
fn letterhead(l: &mut Layout, s: &Results) {
    let doc = s.document();
    let left = (LEFT, WIDTH * 0.42);
    let right = (LEFT + WIDTH * 0.42, WIDTH * 0.58);
    let top = l.y;
    let mut y_left = top;
    for (i, line) in doc.issuer.iter().enumerate() {
        let style = if i + 1 == doc.issuer.len() {
            Style::Bold
        } else {
            Style::Regular
        };
        l.y = y_left;
        y_left += l.paragraph(left, line, (style, 12.0), Align::Center, false);
    }
    // A rule a third as long as the issuing body's name, under it.
    let rule = l
        .face(Style::Bold)
        .width(doc.issuer.last().map_or("", |t| t), 12.0)
        / 3.0;
    let mid = left.0 + left.1 / 2.0;
    l.rule(
        (mid - rule / 2.0, y_left + 3.0),
        (mid + rule / 2.0, y_left + 3.0),
        0.6,
    );
    l.y = top;
    let mut y_right = top + l.paragraph(right, NATION, (Style::Bold, 12.0), Align::Center, false);
    l.y = y_right;
    y_right += l.paragraph(right, MOTTO, (Style::Bold, 12.5), Align::Center, false);
    // As long as the motto (Nghị định 30/2020).
    let motto = l.face(Style::Bold).width(MOTTO, 12.5);
    let mid = right.0 + right.1 / 2.0;
    l.rule(
        (mid - motto / 2.0, y_right + 3.0),
        (mid + motto / 2.0, y_right + 3.0),
        0.6,
    );
    l.y = y_left.max(y_right) + 12.0;
    l.y += l.paragraph(
        right,
        &s.place_and_date(),
        (Style::Italic, 12.5),
        Align::Center,
        false,
    );
    l.y += 14.0;
    l.y += l.paragraph(
        (LEFT, WIDTH),
        "KẾT QUẢ XẾP HẠNG",
        (Style::Bold, 14.0),
        Align::Center,
        false,
    );
    l.y += l.paragraph(
        (LEFT, WIDTH),
        &s.competition().name,
        (Style::Bold, 12.5),
        Align::Center,
        false,
    );
    l.y += l.paragraph(
        (LEFT, WIDTH),
        &s.dates(),
        (Style::Regular, 12.0),
        Align::Center,
        false,
    );
    l.y += 2.0;
    l.y += l.paragraph(
        (LEFT, WIDTH),
        s.status_label(),
        (Style::Bold, 12.0),
        Align::Center,
        !s.is_final,
    );
    l.y += l.paragraph(
        (LEFT, WIDTH),
        &s.exported_line(),
        (Style::Italic, 9.5),
        Align::Center,
        false,
    );
    l.y += 8.0;
}

fn columns(s: &Results) -> Vec<Column> {
    let criteria = &s.competition().criteria;
    let rate = 60.0;
    let fixed = 30.0 + rate * criteria.len() as f32 + 42.0 + 56.0;
    let mut columns = vec![
        Column {
            header: "Hạng".into(),
            width: 30.0,
            align: Align::Center,
        },
        Column {
            header: "Đơn vị".into(),
            width: (WIDTH - fixed).max(90.0),
            align: Align::Left,
        },
    ];
    columns.extend(criteria.iter().map(|c| Column {
        header: c.label.clone(),
        width: rate,
        align: Align::Right,
    }));
    columns.push(Column {
        header: "Điểm".into(),
        width: 42.0,
        align: Align::Right,
    });
    columns.push(Column {
        header: "Xếp loại".into(),
        width: 56.0,
        align: Align::Left,
    });
    columns
}

const BODY: f32 = 10.0;
const HEAD: f32 = 9.0;

/// The height of a row of `cells` in `columns`.
fn row_height(
    l: &Layout,
    columns: &[Column],
    cells: &[String],
    (style, size): (Style, f32),
) -> f32 {
    let lines = columns
        .iter()
        .zip(cells)
        .map(|(c, t)| {
            l.face(style)
                .wrap(t, size, c.width - 2.0 * CELL_PADDING)
                .len()
        })
        .max()
        .unwrap_or(1);
    lines as f32 * size * 1.3 + 2.0 * CELL_PADDING
}

/// Draws a row of cells with its borders at the current position.
fn row(
    l: &mut Layout,
    columns: &[Column],
    cells: &[String],
    (style, size): (Style, f32),
    header: bool,
) {
    let height = row_height(l, columns, cells, (style, size));
    let top = l.y;
    let mut x = LEFT;
    for (c, text) in columns.iter().zip(cells) {
        let lines = l.face(style).wrap(text, size, c.width - 2.0 * CELL_PADDING);
        let block = lines.len() as f32 * size * 1.3;
        // Centred vertically, like the spreadsheet's cells.
        let first = top + (height - block) / 2.0 + size;
        let align = if header { Align::Center } else { c.align };
        for (i, line) in lines.iter().enumerate() {
            l.text_in(
                (x + CELL_PADDING, c.width - 2.0 * CELL_PADDING),
                first + i as f32 * size * 1.3 - size * 0.15,
                line,
                style,
                size,
                align,
            );
        }
        l.rule((x, top), (x, top + height), 0.5);
        x += c.width;
    }
    l.rule((x, top), (x, top + height), 0.5);
    l.rule((LEFT, top), (x, top), 0.5);
    l.rule((LEFT, top + height), (x, top + height), 0.5);
    l.y += height;
}

/// One line spanning the table's width, with borders.
fn spanning_row(l: &mut Layout, columns: &[Column], text: &str) -> f32 {
    let width: f32 = columns.iter().map(|c| c.width).sum();
    let top = l.y;
    l.y += CELL_PADDING;
    let used = l.paragraph(
        (LEFT + CELL_PADDING, width - 2.0 * CELL_PADDING),
        text,
        (Style::Regular, BODY),
        Align::Left,
        false,
    );
    let height = used + 2.0 * CELL_PADDING;
    l.y = top + height;
    l.rule((LEFT, top), (LEFT + width, top), 0.5);
    l.rule((LEFT, top + height), (LEFT + width, top + height), 0.5);
    l.rule((LEFT, top), (LEFT, top + height), 0.5);
    l.rule((LEFT + width, top), (LEFT + width, top + height), 0.5);
    height
}

fn spanning_height(l: &Layout, columns: &[Column], text: &str) -> f32 {
    let width: f32 = columns.iter().map(|c| c.width).sum();
    let lines = l
        .face(Style::Regular)
        .wrap(text, BODY, width - 2.0 * CELL_PADDING)
        .len();
    lines as f32 * BODY * 1.3 + 2.0 * CELL_PADDING
}

/// A board: its name, its table under headers repeated on every page, the
/// unranked units; on the last board, the signature with the last rows.
fn table(l: &mut Layout, s: &Results, board: &crate::leaderboard::Leaderboard, last: bool) {
    let lang = Lang::Vi;
    let columns = columns(s);
    let headers: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
    let header_height = row_height(l, &columns, &headers, (Style::Bold, HEAD));
    let rows: Vec<Vec<String>> = board
        .entries
        .iter()
        .map(|e| {
            let mut cells = vec![e.rank.to_string(), e.unit.name.clone()];
            cells.extend(s.competition().criteria.iter().map(|c| {
                e.criteria
                    .get(&c.key)
                    .and_then(|v| v.rate_bp)
                    .map_or_else(|| "—".to_string(), |bp| lang.percent(bp))
            }));
            cells.push(lang.decimal(e.score_bp));
            cells.push(e.grade.clone().unwrap_or_default());
            cells
        })
        .collect();
    let unranked = (!board.unranked.is_empty()).then(|| {
        let names: Vec<String> = board
            .unranked
            .iter()
            .map(|u| {
                format!(
                    "{} ({})",
                    u.unit.name,
                    reason_label(u.reason).to_lowercase()
                )
            })
            .collect();
        format!("Chưa xếp hạng: {}", names.join("; "))
    });
    let heights: Vec<f32> = rows
        .iter()
        .map(|r| row_height(l, &columns, r, (Style::Regular, BODY)))
        .collect();
    let tail_from = if last {
        rows.len().saturating_sub(ROWS_WITH_SIGNATURE)
    } else {
        rows.len()
    };
    let after_rows = unranked
        .as_ref()
        .map_or(0.0, |u| spanning_height(l, &columns, u))
        + if last { signature_height(l, s) } else { 0.0 };
    let tail: f32 = heights[tail_from..].iter().sum::<f32>() + after_rows;

    // The board's name stays with the header and a first row.
    let name_height = 13.0 * 1.3 + 4.0;
    if l.room() < name_height + header_height + heights.first().copied().unwrap_or(0.0) {
        l.new_page();
    }
    l.y += l.paragraph(
        (LEFT, WIDTH),
        &board.board_name,
        (Style::Bold, 12.0),
        Align::Left,
        false,
    ) + 4.0;
    row(l, &columns, &headers, (Style::Bold, HEAD), true);
    for (i, cells) in rows.iter().enumerate() {
        let needed = if i == tail_from { tail } else { heights[i] };
        if l.room() < needed {
            l.new_page();
            row(l, &columns, &headers, (Style::Bold, HEAD), true);
        }
        row(l, &columns, cells, (Style::Regular, BODY), false);
    }
    if let Some(text) = &unranked {
        let needed = spanning_height(l, &columns, text)
            + if last && tail_from >= rows.len() {
                signature_height(l, s)
            } else {
                0.0
            };
        if l.room() < needed {
            l.new_page();
            row(l, &columns, &headers, (Style::Bold, HEAD), true);
        }
        spanning_row(l, &columns, text);
    }
    if last {
        signature(l, s);
    }
}

fn recipient_lines(l: &Layout, s: &Results) -> Vec<String> {
    s.document()
        .recipients
        .iter()
        .flat_map(|r| {
            l.face(Style::Regular)
                .wrap(&format!("- {r}"), 10.5, WIDTH * 0.5 - 6.0)
        })
        .collect()
}

fn signature_height(l: &Layout, s: &Results) -> f32 {
    let doc = s.document();
    let left = 12.0 * 1.3 + recipient_lines(l, s).len() as f32 * 10.5 * 1.3;
    let right = doc.signer_title.len() as f32 * 12.5 * 1.3
        + 80.0
        + if doc.signer_name.is_some() {
            12.5 * 1.3
        } else {
            0.0
        };
    16.0 + left.max(right)
}

/// "Nơi nhận" (left) beside the signer's title, room to sign and seal
/// (about 3 cm), and the name (right).
fn signature(l: &mut Layout, s: &Results) {
    if l.room() < signature_height(l, s) {
        l.new_page();
    }
    let doc = s.document();
    l.y += 16.0;
    let top = l.y;
    let left = (LEFT, WIDTH * 0.5);
    let right = (LEFT + WIDTH * 0.5, WIDTH * 0.5);
    l.y += l.paragraph(left, "Nơi nhận:", (Style::Bold, 12.0), Align::Left, false);
    for line in recipient_lines(l, s) {
        l.y += l.paragraph(left, &line, (Style::Regular, 10.5), Align::Left, false);
    }
    let bottom_left = l.y;
    l.y = top;
    for line in &doc.signer_title {
        l.y += l.paragraph(right, line, (Style::Bold, 12.5), Align::Center, false);
    }
    l.y += 80.0;
    if let Some(name) = &doc.signer_name {
        l.y += l.paragraph(right, name, (Style::Bold, 12.5), Align::Center, false);
    }
    l.y = l.y.max(bottom_left);
}

/// Writes the laid-out pages with krilla.
fn render(pages: &[Vec<Mark>], faces: &Faces, s: &Results) -> anyhow::Result<Vec<u8>> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{} — {}", s.status_label(), s.competition().name))
            .creator(s.competition().organizer.clone())
            .language("vi".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| anyhow::anyhow!("invalid page size"))?;
    for marks in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Text {
                    x,
                    baseline,
                    style,
                    size,
                    text,
                    red,
                } => {
                    let color = if *red {
                        rgb::Color::new(176, 0, 0)
                    } else {
                        rgb::Color::new(0, 0, 0)
                    };
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: color.into(),
                        ..Fill::default()
                    }));
                    let face = match style {
                        Style::Regular => &faces.regular,
                        Style::Bold => &faces.bold,
                        Style::Italic => &faces.italic,
                    };
                    surface.draw_text(
                        Point::from_xy(*x, *baseline),
                        face.font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::LeftToRight,
                    );
                }
                Mark::Line { from, to, width } => {
                    let mut path = PathBuilder::new();
                    path.move_to(from.0, from.1);
                    path.line_to(to.0, to.1);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            width: *width,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| anyhow::anyhow!("the PDF cannot be written: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces() -> &'static Faces {
        FACES.as_ref().unwrap()
    }

    #[test]
    fn the_fonts_have_every_vietnamese_letter() {
        let letters = "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯưẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ";
        for face in [&faces().regular, &faces().bold, &faces().italic] {
            for c in letters.chars() {
                assert!(face.shaper.glyph_index(c).is_some(), "no glyph for {c:?}");
            }
        }
    }

    #[test]
    fn text_wraps_within_its_width() {
        let face = &faces().regular;
        let text = "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng - Lạng Sơn";
        let lines = face.wrap(text, 10.0, 120.0);
        assert!(lines.len() >= 2, "{lines:?}");
        for line in &lines {
            assert!(face.width(line, 10.0) <= 120.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
        assert_eq!(face.wrap("Xã Thất Khê", 10.0, 300.0), ["Xã Thất Khê"]);
    }
}
