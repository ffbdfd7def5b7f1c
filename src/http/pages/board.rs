//! The live board (`/`): one board of the current competition, its totals
//! and the units that have not reported today, server-rendered; `board.js`
//! keeps it current.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use std::sync::Arc;

use crate::boards::{BoardView, LineData, Viewer, Window};
use crate::catalog::Selected;
use crate::competition::{Board, Status};
use crate::error::{AppError, Result};
use crate::http::board_body;
use crate::http::leaderboard::{BoardQuery, parse_board};
use crate::http::page::{Frame, Keep, PageQuery, PublicView, encode};
use crate::i18n::{BoardLabels, Lang, fill};
use crate::leaderboard::{BoardEntry, CriterionInfo};
use crate::ranking::Period;
use crate::scoring::UnrankedReason;
use crate::state::AppState;

pub struct Tab {
    pub name: String,
    pub href: String,
    pub code: String,
    pub current: bool,
}

pub struct Column {
    pub key: String,
    pub label: String,
    pub target: String,
    pub target_percent: u32,
}

impl Column {
    /// A column per criterion, headed by its label and target.
    pub fn all(lang: Lang, criteria: &[CriterionInfo]) -> Vec<Column> {
        criteria
            .iter()
            .map(|c| Column {
                key: c.key.clone(),
                label: lang.pick(&c.label, c.label_en.as_deref()).to_string(),
                target: format!("{} {}%", lang.board().target, c.target_percent),
                target_percent: c.target_percent,
            })
            .collect()
    }
}

pub struct Bar {
    pub key: String,
    pub label: String,
    pub text: String,
    /// CSS width of the filled part, in percent of the bar.
    pub width: String,
    pub target_percent: u32,
    pub met: bool,
    pub applicable: bool,
}

pub struct Row {
    pub code: String,
    pub name: String,
    pub href: String,
    pub rank: u32,
    pub change_symbol: &'static str,
    pub change_number: String,
    pub change_text: String,
    pub change_class: &'static str,
    pub score: String,
    pub score_bp: u32,
    pub grade: String,
    pub grade_class: String,
    pub days: u32,
    pub bars: Vec<Bar>,
    /// The unit the viewer asked to find (`around=`).
    pub here: bool,
    /// In search results: the link to the unit's place on the board.
    pub locate: Option<String>,
}

/// A link to another page of the board.
pub struct PageLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// What part of the board the page shows and how to move through it.
pub struct Paging {
    /// "Units 51–100 of 10,000", or the search's count.
    pub summary: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// Page numbers, `None` for a gap.
    pub pages: Vec<Option<PageLink>>,
    /// The search text, shown back in the form.
    pub q: String,
    /// The code asked for with `around=`.
    pub around: String,
    /// The code asked for is not on this board.
    pub not_found: Option<String>,
    /// Set while searching or around a unit: back to the first page.
    pub whole_board: Option<String>,
}

pub struct UnitChip {
    pub code: String,
    pub name: String,
    pub href: String,
}

pub struct TotalsView {
    pub score: String,
    pub reported: String,
    pub bars: Vec<Bar>,
}

#[derive(Template)]
#[template(path = "board.html")]
pub struct BoardPage {
    pub t: &'static BoardLabels,
    pub frame: Frame,
    pub board: String,
    pub board_name: String,
    pub caption: String,
    pub tabs: Vec<Tab>,
    pub status: String,
    pub status_note: String,
    pub progress: String,
    pub updated: String,
    pub updated_iso: String,
    pub version: u64,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub totals: TotalsView,
    /// Unranked units by reason: no report at all, or no dossiers.
    pub unranked_count: usize,
    pub no_reports: Vec<UnitChip>,
    pub no_dossiers: Vec<UnitChip>,
    /// `None` outside the competition's days.
    pub missing_today: Option<Vec<UnitChip>>,
    /// How many units have not reported today (the list shows the first).
    pub missing_count: usize,
    /// "… and N more units" under a shortened list.
    pub missing_more: String,
    pub paging: Paging,
    /// Hidden fields that keep the viewer's board, language, competition.
    pub keep_fields: Vec<(String, String)>,
    pub today: String,
    pub slug: String,
    /// For search engines and link previews.
    pub description: String,
    /// Labels, unit links and grade order for `board.js`, as JSON.
    pub script_data: String,
}

fn bar(
    lang: Lang,
    t: &BoardLabels,
    info: &CriterionInfo,
    rate_bp: Option<u32>,
    applicable: bool,
) -> Bar {
    let label = lang.pick(&info.label, info.label_en.as_deref()).to_string();
    match rate_bp {
        Some(bp) if applicable || bp > 0 => Bar {
            key: info.key.clone(),
            label,
            text: lang.percent(bp),
            width: format!("{:.2}", f64::from(bp.min(10_000)) / 100.0),
            target_percent: info.target_percent,
            met: bp >= info.target_percent * 100,
            applicable: true,
        },
        _ => Bar {
            key: info.key.clone(),
            label,
            text: t.no_dossiers_rate.to_string(),
            width: "0".into(),
            target_percent: info.target_percent,
            met: false,
            applicable: false,
        },
    }
}

pub fn grade_class(selected: &Selected, grade: Option<&str>) -> String {
    let grades = &selected.record.competition.rules.grades;
    grade
        .and_then(|g| grades.iter().position(|x| x.label == g))
        .map(|i| format!("grade-{}", i.min(4)))
        .unwrap_or_default()
}

fn row(
    lang: Lang,
    t: &BoardLabels,
    keep: &Keep,
    selected: &Selected,
    criteria: &[CriterionInfo],
    e: &BoardEntry,
) -> Row {
    let (change_symbol, change_class, change_number, change_text) = match e.rank_change {
        Some(n) if n > 0 => (
            "▲",
            "up",
            n.to_string(),
            fill(t.rank_up, &[("n", &n.to_string())]),
        ),
        Some(n) if n < 0 => {
            let n = n.unsigned_abs().to_string();
            ("▼", "down", n.clone(), fill(t.rank_down, &[("n", &n)]))
        }
        Some(_) => ("=", "same", String::new(), t.rank_same.to_string()),
        None => ("", "new", String::new(), t.rank_new.to_string()),
    };
    Row {
        code: e.unit.code.clone(),
        name: e.unit.name.clone(),
        href: keep.href(&format!("/units/{}", encode(&e.unit.code)), &[]),
        rank: e.rank,
        change_symbol,
        change_number,
        change_text,
        change_class,
        score: lang.decimal(e.score_bp),
        score_bp: e.score_bp,
        grade: e
            .grade
            .as_deref()
            .map(|g| {
                let en = selected.record.competition.grade_label_en(g);
                lang.pick(g, en).to_string()
            })
            .unwrap_or_default(),
        grade_class: grade_class(selected, e.grade.as_deref()),
        days: e.days_reported,
        here: false,
        locate: None,
        bars: criteria
            .iter()
            .map(|c| {
                let view = e.criteria.get(&c.key);
                bar(
                    lang,
                    t,
                    c,
                    view.and_then(|v| v.rate_bp),
                    view.is_some_and(|v| v.applicable),
                )
            })
            .collect(),
    }
}

fn board_name(lang: Lang, selected: &Selected, board: &BoardView) -> String {
    let competition = &selected.record.competition;
    match &board.board {
        Board::All => lang.board().all_units.to_string(),
        Board::Group(g) => lang
            .pick(&board.board_name, competition.group_name_en(g))
            .to_string(),
    }
}

/// Rows a page of the board shows.
pub const PAGE: usize = 50;
/// Rows a page shows on a wall screen, which pages by itself.
pub const TV_PAGE: usize = 10;
/// Seconds a wall screen shows each page (`?every=` to change).
const TV_SECONDS: u32 = 12;
/// Units listed by name under "not reported today" before "… and N more".
const MISSING_SHOWN: usize = 100;

/// The window `/` shows: a page, the neighbourhood of a unit, or a search,
/// in the same terms as the JSON API so that `board.js` asks for the same.
fn page_window(query: &PageQuery, size: usize) -> Result<Window> {
    BoardQuery {
        limit: Some(size.to_string()),
        offset: query.offset.clone(),
        around: query.around.clone(),
        q: query.q.clone(),
        ..BoardQuery::default()
    }
    .window()
}

/// Page numbers to link: the first, the last and two either side of the
/// current one, `None` where numbers are skipped.
fn page_numbers(current: usize, count: usize) -> Vec<Option<usize>> {
    let mut out: Vec<Option<usize>> = Vec::new();
    for n in 0..count {
        let near = n + 2 >= current && n <= current + 2;
        if n == 0 || n + 1 == count || near {
            out.push(Some(n));
        } else if out.last().is_some_and(Option::is_some) {
            out.push(None);
        }
    }
    out
}

pub async fn board_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    view: PublicView,
) -> Result<Response> {
    let PublicView {
        viewing,
        selected,
        query,
    } = view;
    let (lang, keep) = (viewing.lang, &viewing.keep);
    let t = lang.board();
    let competition = &selected.record.competition;
    let chosen = parse_board(query.board.as_deref());
    let code = chosen.as_str();
    let view = state
        .boards()
        .view(&selected, &chosen, Period::Whole, Viewer::Public)
        .await?;
    // A board that fits on two pages is shown whole.
    let size = if keep.tv {
        TV_PAGE
    } else if view.len() <= 2 * PAGE {
        2 * PAGE
    } else {
        PAGE
    };
    let mut window = page_window(&query, size)?;
    let mut not_found = None;
    if let Window::Around { code, .. } = &window
        && view.place(code).is_none()
    {
        not_found = Some(fill(t.not_on_board, &[("code", code)]));
        window = Window::Page {
            offset: 0,
            limit: size,
        };
    }
    let tz = competition.timezone;
    let today = competition.local_date(state.now());
    let day = if competition.contains(today) && view.competition.status != Status::Final {
        Some(
            state
                .boards()
                .view(&selected, &chosen, Period::Day(today), Viewer::Public)
                .await?,
        )
    } else {
        None
    };
    let every = query
        .every
        .as_deref()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(TV_SECONDS)
        .clamp(3, 600);
    // Everything the page depends on besides this board: it is made once
    // per version of the board (and of today's) and kept.
    let name = format!(
        "page {} {} {window:?} {not_found:?} {every} {today} {}",
        lang.code(),
        keep.href("/", &[("board", code)]),
        day.as_ref().map_or("", |d| d.tag()),
    );
    let board = view.as_ref();
    let body = board.kept(&name, || {

    let tabs = std::iter::once((Board::ALL.to_string(), t.all_units.to_string()))
        .chain(competition.groups.iter().map(|g| {
            let name = lang.pick(&g.name, g.label_en.as_deref()).to_string();
            (g.code.clone(), name)
        }))
        .map(|(c, name)| Tab {
            href: keep.href("/", &[("board", &c)]),
            current: board.board == c.as_str(),
            code: c,
            name,
        })
        .collect();
    let progress = if today < competition.start_date {
        fill(t.starts_on, &[("date", &lang.date(competition.start_date))])
    } else if today > competition.end_date || board.competition.status == Status::Final {
        t.finished.to_string()
    } else {
        fill(
            t.day_of,
            &[
                ("n", &competition.day_number(today).to_string()),
                ("total", &competition.day_count().to_string()),
            ],
        )
    };
    let updated = lang.date_time(board.as_of.with_timezone(&tz));
    let status_note = match board.competition.status {
        Status::Final => t.final_note.to_string(),
        Status::Frozen => fill(t.frozen_note, &[("time", &updated)]),
        Status::Open => String::new(),
    };
    let chip = |code: &str, name: &str| UnitChip {
        code: code.to_string(),
        name: name.to_string(),
        href: keep.href(&format!("/units/{}", encode(code)), &[]),
    };
    let (ranked_lines, unranked_lines) = board.lines(&window);
    let (no_dossiers, no_reports): (Vec<&Arc<LineData>>, Vec<&Arc<LineData>>) = unranked_lines
        .iter()
        .partition(|u| u.reason() == Some(UnrankedReason::NoDossiers));
    let no_reports: Vec<UnitChip> = no_reports
        .iter()
        .map(|u| chip(u.code(), &u.line.unit().name))
        .collect();
    let no_dossiers: Vec<UnitChip> = no_dossiers
        .iter()
        .map(|u| chip(u.code(), &u.line.unit().name))
        .collect();
    let mut day_ranked = 0;
    let (missing_today, missing_count) =
        if let Some(day) = &day {
            let missing: Vec<_> = day
                .unranked()
                .iter()
                .filter(|u| u.reason() == Some(UnrankedReason::NoReports))
                .collect();
            let count = missing.len();
            day_ranked = day.rows().len();
            (
                Some(
                    missing
                        .iter()
                        .take(MISSING_SHOWN)
                        .map(|u| chip(u.code(), &u.line.unit().name))
                        .collect(),
                ),
                count,
            )
        } else {
            (None, 0)
        };
    let missing_more = if missing_count > MISSING_SHOWN {
        fill(
            t.more_units,
            &[("n", &lang.count(missing_count - MISSING_SHOWN))],
        )
    } else {
        String::new()
    };
    let totals = TotalsView {
        score: board
            .totals
            .score_bp
            .map(|bp| lang.decimal(bp))
            .unwrap_or_else(|| "—".into()),
        reported: fill(
            t.reported_count,
            &[
                ("reported", &board.totals.reported.to_string()),
                ("units", &board.totals.units.to_string()),
            ],
        ),
        bars: board
            .criteria
            .iter()
            .map(|c| {
                let view = board.totals.criteria.get(&c.key);
                bar(
                    lang,
                    t,
                    c,
                    view.and_then(|v| v.rate_bp),
                    view.is_some_and(|v| v.denominator > 0),
                )
            })
            .collect(),
    };
    let columns = Column::all(lang, &board.criteria);
    let here = match &window {
        Window::Around { code, .. } => Some(code.as_str()),
        _ => None,
    };
    let board_link = |extra: &[(&str, &str)]| {
        let mut params = vec![("board", code)];
        params.extend_from_slice(extra);
        keep.href("/", &params)
    };
    let rows: Vec<Row> = ranked_lines
        .iter()
        .filter_map(|r| r.entry())
        .map(|e| {
            let mut row = row(lang, t, keep, &selected, &board.criteria, &e);
            row.here = here == Some(e.unit.code.as_str());
            if matches!(window, Window::Search { .. }) {
                row.locate = Some(format!("{}#here", board_link(&[("around", &e.unit.code)])));
            }
            row
        })
        .collect();
    let paging = paging(lang, t, &window, board, size, not_found, &board_link);
    let name = board_name(lang, &selected, board);
    // Unit links are the same path with the viewer's query: sending the
    // suffix once, not a link per unit, keeps the page small at 10,000 units.
    let unit_query = keep
        .href("/", &[])
        .strip_prefix('/')
        .unwrap_or_default()
        .to_string();
    let window_json = match &window {
        Window::Around { code, limit } => json!({"around": code, "limit": limit}),
        Window::Search {
            query,
            offset,
            limit,
        } => json!({"q": query, "offset": offset, "limit": limit}),
        Window::Page { offset, limit } => json!({"offset": offset, "limit": limit}),
        Window::All => json!({}),
    };
    let script_data = json!({
        "lang": lang.code(),
        "slug": competition.slug,
        "competition": keep.competition,
        "board": board.board,
        "status": board.competition.status,
        "today": missing_today.as_ref().map(|_| today.to_string()),
        "missing_shown": MISSING_SHOWN,
        "day_ranked": day_ranked,
        "version": board.version,
        "window": window_json,
        "page": size,
        "tv_every": every,
        "lines": board.len(),
        "grades": competition.rules.grades.iter().map(|g| &g.label).collect::<Vec<_>>(),
        "grade_names": competition.rules.grades.iter().map(|g| lang.pick(&g.label, competition.grade_label_en(&g.label))).collect::<Vec<_>>(),
        "unit_query": unit_query,
        "boards": competition.boards().iter().map(|b| {
            let name = match b {
                Board::All => t.all_units.to_string(),
                Board::Group(g) => lang
                    .pick(competition.group_name(g), competition.group_name_en(g))
                    .to_string(),
            };
            json!({"code": b, "name": name, "caption": fill(t.table_caption, &[("board", &name)])})
        }).collect::<Vec<_>>(),
        "criteria": board.criteria.iter().map(|c| json!({"key": c.key, "target": c.target_percent, "label": lang.pick(&c.label, c.label_en.as_deref())})).collect::<Vec<_>>(),
        "t": {
            "rank_up": t.rank_up, "rank_down": t.rank_down, "rank_same": t.rank_same,
            "rank_new": t.rank_new, "no_dossiers_rate": t.no_dossiers_rate,
            "reason_no_reports": t.reason_no_reports, "reason_no_dossiers": t.reason_no_dossiers,
            "reported_count": t.reported_count, "updated_announcement": t.updated_announcement,
            "live": t.live, "live_offline": t.live_offline, "all_reported_today": t.all_reported_today,
            "no_match": t.no_match, "more_units": t.more_units, "showing": t.showing,
        },
    })
    .to_string();
    let title = match board.competition.status {
        Status::Final => format!("{} — {}", t.final_results, competition.name),
        Status::Frozen => format!("{} ({}) — {}", t.board_title, t.frozen, competition.name),
        Status::Open => format!("{} — {}", t.board_title, competition.name),
    };
    let mut keep_fields = vec![("board".to_string(), code.to_string())];
    if let Some(c) = &keep.competition {
        keep_fields.push(("competition".into(), c.clone()));
    }
    if let Some(l) = keep.lang {
        keep_fields.push(("lang".into(), l.code().to_string()));
    }
    if keep.tv {
        keep_fields.push(("tv".into(), "1".into()));
    }
    let description = format!(
        "{} — {}: {}. {}",
        t.board_title, name, totals.reported, competition.name
    );
    let page = BoardPage {
        t,
        description,
        frame: viewing.frame(&selected, title, "/", &[("board", code)]),
        caption: fill(t.table_caption, &[("board", &name)]),
        board: board.board.to_string(),
        board_name: name,
        tabs,
        status: board.competition.status.as_str().to_string(),
        status_note,
        progress,
        updated,
        updated_iso: board.as_of.to_rfc3339(),
        version: board.version,
        columns,
        rows,
        totals,
        unranked_count: board.unranked().len(),
        no_reports,
        no_dossiers,
        missing_today,
        missing_count,
        missing_more,
        paging,
        keep_fields,
        today: today.to_string(),
        slug: competition.slug.clone(),
        script_data,
    };
    page.render()
        .map(String::into_bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))
    })?;
    Ok(board_body::answer(
        &headers,
        body,
        "text/html; charset=utf-8",
        "accept-encoding, accept-language",
    ))
}

/// A link to this board with some parameters.
type BoardLink<'a> = dyn Fn(&[(&str, &str)]) -> String + 'a;

/// Where the window sits on the board and the links to the other pages.
fn paging(
    lang: Lang,
    t: &BoardLabels,
    window: &Window,
    board: &BoardView,
    size: usize,
    not_found: Option<String>,
    link: &BoardLink,
) -> Paging {
    let (start, total, q, around) = match window {
        Window::Search { query, offset, .. } => {
            (*offset, board.search(query).len(), query.as_str(), "")
        }
        Window::Around { code, limit } => (
            board.around(code, *limit).unwrap_or(0),
            board.len(),
            "",
            code.as_str(),
        ),
        Window::Page { offset, .. } => (*offset, board.len(), "", ""),
        Window::All => (0, board.len(), "", ""),
    };
    let at = |offset: usize| {
        let offset = offset.to_string();
        if q.is_empty() {
            link(&[("offset", &offset)])
        } else {
            link(&[("q", q), ("offset", &offset)])
        }
    };
    let summary = if q.is_empty() {
        fill(
            t.showing,
            &[
                ("from", &lang.count((start + 1).min(total))),
                ("to", &lang.count((start + size).min(total))),
                ("total", &lang.count(total)),
            ],
        )
    } else {
        fill(t.search_results, &[("query", q), ("n", &lang.count(total))])
    };
    let count = total.div_ceil(size);
    let current = start.div_ceil(size);
    let pages = if count > 1 {
        page_numbers(current, count)
            .into_iter()
            .map(|n| {
                n.map(|n| PageLink {
                    label: lang.count(n + 1),
                    href: at(n * size),
                    current: start == n * size,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Paging {
        summary,
        previous: (start > 0).then(|| at(start.saturating_sub(size))),
        next: (start + size < total).then(|| at(start + size)),
        pages,
        q: q.to_string(),
        around: around.to_string(),
        not_found,
        whole_board: (!q.is_empty() || !around.is_empty()).then(|| link(&[])),
    }
}

#[cfg(test)]
mod tests {
    use super::page_numbers;

    #[test]
    fn page_numbers_keep_the_ends_and_the_neighbourhood() {
        assert_eq!(page_numbers(0, 1), vec![Some(0)]);
        assert_eq!(
            page_numbers(0, 200),
            vec![Some(0), Some(1), Some(2), None, Some(199)]
        );
        assert_eq!(
            page_numbers(100, 200),
            vec![
                Some(0),
                None,
                Some(98),
                Some(99),
                Some(100),
                Some(101),
                Some(102),
                None,
                Some(199)
            ]
        );
        assert_eq!(
            page_numbers(4, 6),
            vec![Some(0), None, Some(2), Some(3), Some(4), Some(5)]
        );
    }
}
