//! A board ready to serve: its lines in board order with their ranks, each
//! line's JSON encoded once, and the windows people ask for — the first
//! pages pre-encoded (and pre-compressed), any other window put together
//! from the encoded lines without encoding anything again.
//!
//! A window pages over the ranked lines followed by the unranked ones, so
//! that paging through a board of 10,000 units yields every unit once;
//! without a window the body is the whole board, as the API promises.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::competition::{Board, Status};
use crate::leaderboard::{
    BoardEntry, BoardTotals, CompetitionInfo, CriterionInfo, CriterionView, Heading, Leaderboard,
    UnitRef, UnrankedEntry,
};
use crate::scoring::{self, SortKey, UnrankedReason};

/// One unit's line, encoded: what it shows and its JSON (without the rank,
/// which depends on the board).
#[derive(Debug)]
pub struct LineData {
    pub line: LineEntry,
    /// Where a ranked line stands (`None` for unranked lines and for lines
    /// of boards already made, which come ordered).
    pub key: Option<SortKey>,
    /// Counter totals of the period, when the unit reported (board totals).
    pub counters: Option<Vec<u64>>,
    /// Ranked: the entry's JSON after `{"rank":…,"rank_change":…,`.
    /// Unranked: the whole object.
    json: Box<[u8]>,
    /// Name and code folded for searching (see [`fold`]).
    folded: String,
}

#[derive(Debug, Clone)]
pub enum LineEntry {
    /// `rank` and `rank_change` are given by the board.
    Ranked(BoardEntry),
    Unranked(UnrankedEntry),
}

impl LineEntry {
    pub fn unit(&self) -> &UnitRef {
        match self {
            LineEntry::Ranked(e) => &e.unit,
            LineEntry::Unranked(u) => &u.unit,
        }
    }
}

/// A ranked entry's fields after its rank, in the order `BoardEntry` has them.
#[derive(Serialize)]
struct RankedTail<'a> {
    unit: &'a UnitRef,
    score_bp: u32,
    score: f64,
    grade: &'a Option<String>,
    days_reported: u32,
    criteria: &'a std::collections::BTreeMap<String, CriterionView>,
}

impl LineData {
    pub fn new(line: LineEntry, key: Option<SortKey>, counters: Option<Vec<u64>>) -> LineData {
        let json = match &line {
            LineEntry::Ranked(e) => {
                let tail = RankedTail {
                    unit: &e.unit,
                    score_bp: e.score_bp,
                    score: e.score,
                    grade: &e.grade,
                    days_reported: e.days_reported,
                    criteria: &e.criteria,
                };
                // `{"unit":…}` without its opening brace.
                serde_json::to_vec(&tail).map(|v| v[1..].to_vec())
            }
            LineEntry::Unranked(u) => serde_json::to_vec(u),
        }
        .unwrap_or_default()
        .into_boxed_slice();
        let unit = line.unit();
        let folded = format!("{} {}", fold(&unit.name), fold(&unit.code));
        LineData {
            line,
            key,
            counters,
            json,
            folded,
        }
    }

    pub fn code(&self) -> &str {
        &self.line.unit().code
    }

    /// Where a ranked line stands; `None` for an unranked line.
    fn standing(&self) -> Option<&SortKey> {
        match (&self.key, &self.line) {
            (Some(key), LineEntry::Ranked(_)) => Some(key),
            _ => None,
        }
    }

    /// The order of lines on a board: ranked lines best first (ties by
    /// code), then unranked lines by code.
    pub fn board_order(&self, other: &LineData) -> std::cmp::Ordering {
        match (self.standing(), other.standing()) {
            (Some(a), Some(b)) => scoring::board_order((a, self.code()), (b, other.code())),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => self.code().cmp(other.code()),
        }
    }

    pub fn reason(&self) -> Option<UnrankedReason> {
        match &self.line {
            LineEntry::Unranked(u) => Some(u.reason),
            LineEntry::Ranked(_) => None,
        }
    }
}

/// A line at its place on a board.
#[derive(Debug, Clone)]
pub struct Row {
    pub rank: u32,
    pub rank_change: Option<i64>,
    pub data: Arc<LineData>,
}

impl Row {
    /// The typed entry with its rank.
    pub fn entry(&self) -> Option<BoardEntry> {
        match &self.data.line {
            LineEntry::Ranked(e) => Some(BoardEntry {
                rank: self.rank,
                rank_change: self.rank_change,
                ..e.clone()
            }),
            LineEntry::Unranked(_) => None,
        }
    }
}

/// A body, and its compressed forms made once, when first asked for.
#[derive(Debug)]
pub struct Encoded {
    pub identity: Bytes,
    gzip: OnceLock<Bytes>,
    br: OnceLock<Bytes>,
}

impl Encoded {
    fn new(identity: Vec<u8>) -> Encoded {
        Encoded {
            identity: identity.into(),
            gzip: OnceLock::new(),
            br: OnceLock::new(),
        }
    }

    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
                let _ = e.write_all(&self.identity);
                e.finish().unwrap_or_default().into()
            })
            .clone()
    }

    pub fn br(&self) -> Bytes {
        self.br
            .get_or_init(|| {
                let mut out = Vec::new();
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 6,
                    ..Default::default()
                };
                let _ = brotli::BrotliCompress(&mut self.identity.as_ref(), &mut out, &params);
                out.into()
            })
            .clone()
    }
}

/// What part of a board a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    /// Everything.
    All,
    /// `limit` lines from `offset`, over the ranked lines then the unranked.
    Page { offset: usize, limit: usize },
    /// `limit` lines with the unit `code` among them, as near the middle as
    /// the board allows.
    Around { code: String, limit: usize },
    /// The lines whose name or code contains `query` (accents and case
    /// ignored), paged.
    Search {
        query: String,
        offset: usize,
        limit: usize,
    },
}

/// Windows whose bodies are made when the board is, compressed too: the
/// first pages the pages and most clients ask for.
const PREPARED: [(usize, usize); 2] = [(0, 50), (0, 100)];

/// Bodies kept while a board is current: the prepared windows, the pages
/// people open and the searches they repeat, each made once per version.
/// Bounded, so that any number of different queries costs no more memory
/// than this many.
const KEPT: usize = 64;

/// A board ready to serve.
#[derive(Debug)]
pub struct BoardView {
    pub competition: CompetitionInfo,
    pub board: Board,
    pub board_name: String,
    pub day: Option<NaiveDate>,
    pub as_of: DateTime<FixedOffset>,
    pub version: u64,
    pub status: Status,
    pub criteria: Vec<CriterionInfo>,
    pub totals: BoardTotals,
    rows: Vec<Row>,
    unranked: Vec<Arc<LineData>>,
    /// Code → place in the ranked lines followed by the unranked ones,
    /// made when first asked for: a board rebuilt ten times a second under
    /// a stream of reports is mostly never searched by unit.
    places: OnceLock<HashMap<String, usize>>,
    /// `{…,"criteria":[…],"entries":[`
    head: Vec<u8>,
    /// `"totals":{…},"total_entries":N,"total_unranked":M}`
    tail: Vec<u8>,
    /// Unique to this build: the base of every ETag the board answers with.
    tag: String,
    full: OnceLock<Arc<Encoded>>,
    /// Bodies by the name of what they show (see `kept`): the prepared
    /// windows, made with the board, and those made on request.
    kept: Mutex<HashMap<String, Arc<Encoded>>>,
}

/// The head of a board's JSON: what `Leaderboard` has before `entries`.
#[derive(Serialize)]
struct Head<'a> {
    competition: &'a CompetitionInfo,
    board: &'a Board,
    board_name: &'a str,
    day: Option<NaiveDate>,
    #[serde(with = "crate::leaderboard::seconds")]
    as_of: DateTime<FixedOffset>,
    version: u64,
    criteria: &'a [CriterionInfo],
}

/// A body and the ETag that names it.
pub struct Body {
    pub etag: String,
    pub bytes: Bytes,
    /// Compressed forms, when the body is kept.
    pub encoded: Option<Arc<Encoded>>,
}

static BUILDS: AtomicU64 = AtomicU64::new(0);

impl BoardView {
    /// A board from its lines in board order (see [`LineData::board_order`]):
    /// ranks them and sums the totals.
    pub fn from_lines(
        heading: &Heading,
        lines: Vec<Arc<LineData>>,
        previous_ranks: Option<&HashMap<String, u32>>,
        units_on_board: usize,
    ) -> BoardView {
        let competition = heading.competition;
        let mut sums = scoring::Totals::empty(competition.counters.len());
        debug_assert!(lines.is_sorted_by(|a, b| a.board_order(b).is_le()));
        let mut reported = 0;
        let mut ranked = Vec::new();
        let mut unranked = Vec::new();
        for data in &lines {
            if let Some(c) = &data.counters {
                sums.add_counters(c);
                reported += 1;
            }
            match data.standing() {
                Some(key) => ranked.push((key, data)),
                None => unranked.push(data.clone()),
            }
        }
        let ranks = scoring::shared_ranks(ranked.iter().map(|(k, _)| *k));
        let rows = ranked
            .into_iter()
            .zip(ranks)
            .map(|((_, data), rank)| Row {
                rank,
                rank_change: previous_ranks
                    .and_then(|p| p.get(data.code()))
                    .map(|&before| i64::from(before) - i64::from(rank)),
                data: data.clone(),
            })
            .collect();
        let totals = crate::leaderboard::totals(competition, &sums, units_on_board, reported);
        BoardView::assemble(heading, rows, unranked, totals)
    }

    /// A board already made (final or frozen standings, stored as JSON).
    pub fn from_leaderboard(board: &Leaderboard) -> BoardView {
        let rows = board
            .entries
            .iter()
            .map(|e| Row {
                rank: e.rank,
                rank_change: e.rank_change,
                data: Arc::new(LineData::new(LineEntry::Ranked(e.clone()), None, None)),
            })
            .collect();
        let unranked = board
            .unranked
            .iter()
            .map(|u| Arc::new(LineData::new(LineEntry::Unranked(u.clone()), None, None)))
            .collect();
        let mut view = BoardView {
            competition: board.competition.clone(),
            board: board.board.clone(),
            board_name: board.board_name.clone(),
            day: board.day,
            as_of: board.as_of,
            version: board.version,
            status: board.competition.status,
            criteria: board.criteria.clone(),
            totals: board.totals.clone(),
            rows,
            unranked,
            places: OnceLock::new(),
            head: Vec::new(),
            tail: Vec::new(),
            tag: String::new(),
            full: OnceLock::new(),
            kept: Mutex::default(),
        };
        view.prepare();
        view
    }

    fn assemble(
        heading: &Heading,
        rows: Vec<Row>,
        unranked: Vec<Arc<LineData>>,
        totals: BoardTotals,
    ) -> BoardView {
        let mut view = BoardView {
            competition: heading.info(),
            board: heading.board.clone(),
            board_name: heading.board_name(),
            day: heading.day(),
            as_of: heading.as_of(),
            version: heading.version,
            status: heading.status,
            criteria: heading.criteria(),
            totals,
            rows,
            unranked,
            places: OnceLock::new(),
            head: Vec::new(),
            tail: Vec::new(),
            tag: String::new(),
            full: OnceLock::new(),
            kept: Mutex::default(),
        };
        view.prepare();
        view
    }

    /// Encodes the head, the tail and the prepared windows.
    fn prepare(&mut self) {
        let head = Head {
            competition: &self.competition,
            board: &self.board,
            board_name: &self.board_name,
            day: self.day,
            as_of: self.as_of,
            version: self.version,
            criteria: &self.criteria,
        };
        let mut bytes = serde_json::to_vec(&head).unwrap_or_else(|_| b"{}".to_vec());
        bytes.pop();
        bytes.extend_from_slice(b",\"entries\":[");
        self.head = bytes;
        let mut tail = b"\"totals\":".to_vec();
        let _ = serde_json::to_writer(&mut tail, &self.totals);
        let _ = write!(
            tail,
            ",\"total_entries\":{},\"total_unranked\":{}}}",
            self.rows.len(),
            self.unranked.len()
        );
        self.tail = tail;
        self.tag = format!(
            "{:x}.{:x}",
            self.version,
            BUILDS.fetch_add(1, Ordering::Relaxed)
        );
        let prepared = PREPARED
            .iter()
            .map(|&(offset, limit)| {
                let (ranked, unranked) = self.page(offset, limit);
                (
                    self.name(&Window::Page { offset, limit }),
                    Arc::new(Encoded::new(self.write(ranked, unranked))),
                )
            })
            .collect();
        self.kept = Mutex::new(prepared);
    }

    /// Unique to this build of the board.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn unranked(&self) -> &[Arc<LineData>] {
        &self.unranked
    }

    /// How many lines (ranked, then unranked) the board has.
    pub fn len(&self) -> usize {
        self.rows.len() + self.unranked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The place of a unit among the ranked lines followed by the unranked.
    pub fn place(&self, code: &str) -> Option<usize> {
        self.places
            .get_or_init(|| {
                self.rows
                    .iter()
                    .map(|r| r.data.code().to_string())
                    .chain(self.unranked.iter().map(|u| u.code().to_string()))
                    .enumerate()
                    .map(|(i, code)| (code, i))
                    .collect()
            })
            .get(code)
            .copied()
    }

    /// A unit's ranked row, if it is ranked on this board.
    pub fn row(&self, code: &str) -> Option<&Row> {
        self.place(code).and_then(|i| self.rows.get(i))
    }

    /// A unit's unranked line, if it is unranked on this board.
    pub fn unranked_line(&self, code: &str) -> Option<&LineData> {
        self.place(code)
            .and_then(|i| i.checked_sub(self.rows.len()))
            .and_then(|i| self.unranked.get(i))
            .map(|u| u.as_ref())
    }

    /// The whole board, typed.
    pub fn leaderboard(&self) -> Leaderboard {
        Leaderboard {
            competition: self.competition.clone(),
            board: self.board.clone(),
            board_name: self.board_name.clone(),
            day: self.day,
            as_of: self.as_of,
            version: self.version,
            criteria: self.criteria.clone(),
            entries: self.rows.iter().filter_map(Row::entry).collect(),
            unranked: self
                .unranked
                .iter()
                .filter_map(|u| match &u.line {
                    LineEntry::Unranked(u) => Some(u.clone()),
                    LineEntry::Ranked(_) => None,
                })
                .collect(),
            totals: self.totals.clone(),
            total_entries: self.rows.len(),
        }
    }

    /// The ranked and unranked ranges of lines `[offset, offset + limit)`.
    pub fn page(&self, offset: usize, limit: usize) -> (Range<usize>, Range<usize>) {
        let r = self.rows.len();
        let u = self.unranked.len();
        let end = offset.saturating_add(limit);
        (
            offset.min(r)..end.min(r),
            offset.saturating_sub(r).min(u)..end.saturating_sub(r).min(u),
        )
    }

    /// Where a window of `limit` lines around the unit `code` starts.
    pub fn around(&self, code: &str, limit: usize) -> Option<usize> {
        let place = self.place(code)?;
        let start = place.saturating_sub(limit.saturating_sub(1) / 2);
        Some(start.min(self.len().saturating_sub(limit)))
    }

    /// The places of the lines matching a search, in board order.
    pub fn search(&self, query: &str) -> Vec<usize> {
        let query = fold(query);
        let words: Vec<&str> = query.split_whitespace().collect();
        self.rows
            .iter()
            .map(|r| r.data.as_ref())
            .chain(self.unranked.iter().map(|u| u.as_ref()))
            .enumerate()
            .filter(|(_, l)| words.iter().all(|w| l.folded.contains(w)))
            .map(|(i, _)| i)
            .collect()
    }

    fn write(&self, ranked: Range<usize>, unranked: Range<usize>) -> Vec<u8> {
        self.write_lines(
            ranked
                .map(Place::Ranked)
                .chain(unranked.map(Place::Unranked)),
        )
    }

    fn write_lines(&self, places: impl Iterator<Item = Place>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.head.len() + self.tail.len() + 4096);
        out.extend_from_slice(&self.head);
        let mut in_unranked = false;
        let mut first = true;
        for place in places {
            match place {
                Place::Ranked(i) => {
                    let Some(row) = self.rows.get(i) else {
                        continue;
                    };
                    if !first {
                        out.push(b',');
                    }
                    let _ = write!(out, "{{\"rank\":{},\"rank_change\":", row.rank);
                    match row.rank_change {
                        Some(c) => {
                            let _ = write!(out, "{c}");
                        }
                        None => out.extend_from_slice(b"null"),
                    }
                    out.push(b',');
                    out.extend_from_slice(&row.data.json);
                }
                Place::Unranked(i) => {
                    let Some(line) = self.unranked.get(i) else {
                        continue;
                    };
                    if !in_unranked {
                        out.extend_from_slice(b"],\"unranked\":[");
                        in_unranked = true;
                        first = true;
                    }
                    if !first {
                        out.push(b',');
                    }
                    out.extend_from_slice(&line.json);
                }
            }
            first = false;
        }
        if !in_unranked {
            out.extend_from_slice(b"],\"unranked\":[");
        }
        out.extend_from_slice(b"],");
        out.extend_from_slice(&self.tail);
        out
    }

    /// The lines of a window in the order they are shown: the ranked ones,
    /// then the unranked. What the JSON body of that window holds, typed,
    /// for the pages.
    pub fn lines(&self, window: &Window) -> (Vec<&Row>, Vec<&Arc<LineData>>) {
        let places = self.places(window);
        let mut ranked = Vec::new();
        let mut unranked = Vec::new();
        for place in places {
            match place {
                Place::Ranked(i) => ranked.extend(self.rows.get(i)),
                Place::Unranked(i) => unranked.extend(self.unranked.get(i)),
            }
        }
        (ranked, unranked)
    }

    /// A window's name, for its ETag and the bodies kept: made without
    /// searching, so that a kept search costs a lookup.
    fn name(&self, window: &Window) -> String {
        match window {
            Window::All => String::new(),
            Window::Page { offset, limit } => format!("p{offset}.{limit}"),
            Window::Around { code, limit } => {
                let start = self.around(code, *limit).unwrap_or(0);
                format!("a{start}.{limit}")
            }
            Window::Search {
                query,
                offset,
                limit,
            } => format!("s{}.{offset}.{limit}", short_digest(query)),
        }
    }

    /// The places of a window's lines, in the order they are shown.
    fn places(&self, window: &Window) -> Vec<Place> {
        let range = |start: usize, limit: usize| {
            let (r, u) = self.page(start, limit);
            r.map(Place::Ranked).chain(u.map(Place::Unranked)).collect()
        };
        match window {
            Window::All => (0..self.len()).map(|i| self.at(i)).collect(),
            Window::Page { offset, limit } => range(*offset, *limit),
            Window::Around { code, limit } => range(self.around(code, *limit).unwrap_or(0), *limit),
            Window::Search {
                query,
                offset,
                limit,
            } => self
                .search(query)
                .iter()
                .skip(*offset)
                .take(*limit)
                .map(|&i| self.at(i))
                .collect(),
        }
    }

    /// The body of a window, and its ETag.
    pub fn body(&self, window: &Window) -> Body {
        if *window == Window::All {
            let full = self.full.get_or_init(|| {
                Arc::new(Encoded::new(
                    self.write(0..self.rows.len(), 0..self.unranked.len()),
                ))
            });
            return Body {
                etag: format!("\"{}\"", self.tag),
                bytes: full.identity.clone(),
                encoded: Some(full.clone()),
            };
        }
        self.kept(&self.name(window), || {
            Ok::<_, std::convert::Infallible>(self.write_lines(self.places(window).into_iter()))
        })
        .unwrap_or_else(|never| match never {})
    }

    /// The body named `name` (what it shows: a window, a page with its
    /// language and parameters), made by `make` the first time this board
    /// is asked for it and kept, compressed forms too, while the board is
    /// current — up to `KEPT` bodies; beyond that each is made per request.
    pub fn kept<E>(
        &self,
        name: &str,
        make: impl FnOnce() -> std::result::Result<Vec<u8>, E>,
    ) -> std::result::Result<Body, E> {
        let etag = format!("\"{}.{}\"", self.tag, name_tag(name));
        let found = self
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        if let Some(encoded) = found {
            return Ok(Body {
                etag,
                bytes: encoded.identity.clone(),
                encoded: Some(encoded),
            });
        }
        let made = Arc::new(Encoded::new(make()?));
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= KEPT {
            return Ok(Body {
                etag,
                bytes: made.identity.clone(),
                encoded: None,
            });
        }
        let encoded = kept.entry(name.to_string()).or_insert(made).clone();
        Ok(Body {
            etag,
            bytes: encoded.identity.clone(),
            encoded: Some(encoded),
        })
    }

    fn at(&self, place: usize) -> Place {
        if place < self.rows.len() {
            Place::Ranked(place)
        } else {
            Place::Unranked(place - self.rows.len())
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Place {
    Ranked(usize),
    Unranked(usize),
}

/// A window's name as it goes into an ETag: itself when it is short and
/// plain, else a digest.
fn name_tag(name: &str) -> String {
    if name.len() <= 24 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
        name.to_string()
    } else {
        short_digest(name)
    }
}

/// A short hex digest of a text, for ETags.
fn short_digest(text: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(text.as_bytes())[..6])
}

/// Text folded for searching: lower case, Vietnamese diacritics removed
/// (`Xã Thất Khê` → `xa that khe`), `đ` read as `d`.
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'ả' | 'ã' | 'ạ' | 'ă' | 'ằ' | 'ắ' | 'ẳ' | 'ẵ' | 'ặ' | 'â' | 'ầ' | 'ấ'
            | 'ẩ' | 'ẫ' | 'ậ' => 'a',
            'è' | 'é' | 'ẻ' | 'ẽ' | 'ẹ' | 'ê' | 'ề' | 'ế' | 'ể' | 'ễ' | 'ệ' => {
                'e'
            }
            'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 'i',
            'ò' | 'ó' | 'ỏ' | 'õ' | 'ọ' | 'ô' | 'ồ' | 'ố' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ờ' | 'ớ'
            | 'ở' | 'ỡ' | 'ợ' => 'o',
            'ù' | 'ú' | 'ủ' | 'ũ' | 'ụ' | 'ư' | 'ừ' | 'ứ' | 'ử' | 'ữ' | 'ự' => {
                'u'
            }
            'ỳ' | 'ý' | 'ỷ' | 'ỹ' | 'ỵ' => 'y',
            'đ' => 'd',
            other => other,
        })
        // Combining marks, for text written in decomposed form.
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_accents_and_case() {
        assert_eq!(fold("Xã Thất Khê"), "xa that khe");
        assert_eq!(fold("ĐỒNG ĐĂNG"), "dong dang");
        assert_eq!(fold("Phường Đông Kinh"), "phuong dong kinh");
        // Decomposed: "ê" as "e" + circumflex + acute.
        assert_eq!(fold("Khe\u{302}\u{301}"), "khe");
    }
}
