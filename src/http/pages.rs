//! The public pages: the live board (`/`), one unit (`/units/{code}`), the
//! event stream (`/events`) and the static assets they load.
//!
//! Pages are server-rendered and complete without JavaScript; `board.js`
//! then keeps the board current from `/events` and the leaderboard API.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::events;
use crate::chart::{self, Chart, SeriesInput};
use crate::error::{AppError, Result};
use crate::i18n::{BoardLabels, Lang, fill};
use crate::leaderboard::{self, BoardEntry, CriterionInfo, Leaderboard, Viewer};
use crate::ranking::Period;
use crate::state::{AppState, Selected};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(board_page))
        .route("/units/{code}", get(unit_page))
        .route("/events", get(events::get_events))
        .route("/static/{file}", get(static_asset))
}

// ---------------------------------------------------------------- assets

struct Asset {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    body: &'static str,
}

/// Embedded so that the binary runs from anywhere.
const ASSETS: [Asset; 3] = [
    Asset {
        stem: "app",
        extension: "css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../static/app.css"),
    },
    Asset {
        stem: "board",
        extension: "js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/board.js"),
    },
    Asset {
        stem: "forms",
        extension: "css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../static/forms.css"),
    },
];

/// Content hashes, computed once: a new build gets new URLs, so browsers
/// may cache each URL for a year.
fn fingerprints() -> &'static [String; 3] {
    static HASHES: OnceLock<[String; 3]> = OnceLock::new();
    HASHES.get_or_init(|| ASSETS.map(|a| hex::encode(&Sha256::digest(a.body.as_bytes())[..8])))
}

/// The versioned URL of an embedded asset, e.g. `/static/app.1f2e….css`.
pub fn asset_url(stem: &str) -> String {
    ASSETS
        .iter()
        .zip(fingerprints())
        .find(|(a, _)| a.stem == stem)
        .map(|(a, hash)| format!("/static/{}.{hash}.{}", a.stem, a.extension))
        .unwrap_or_default()
}

async fn static_asset(Path(file): Path<String>) -> Result<Response> {
    let not_found = || AppError::NotFound(format!("Không có tệp {file:?}"));
    let (rest, extension) = file.rsplit_once('.').ok_or_else(not_found)?;
    let (stem, hash) = rest.split_once('.').unwrap_or((rest, ""));
    let (asset, current) = ASSETS
        .iter()
        .zip(fingerprints())
        .find(|(a, _)| a.stem == stem && a.extension == extension)
        .ok_or_else(not_found)?;
    // A page rendered by an instance running another build may ask for
    // another hash: serve what this build has, but do not let it stick.
    let cache = if hash == current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.body,
    )
        .into_response())
}

// ---------------------------------------------------------------- frame

#[derive(Deserialize, Default)]
pub struct PageQuery {
    pub competition: Option<String>,
    pub board: Option<String>,
    pub lang: Option<String>,
    pub tv: Option<String>,
}

/// What every page shares: language, links that keep the viewer's choices,
/// the competition's title, assets.
pub struct Frame {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub title: String,
    pub competition_name: String,
    pub organizer: String,
    pub css: String,
    /// A second stylesheet (the forms' styles), if the page needs one.
    pub extra_css: Option<String>,
    pub js: String,
    pub home_href: String,
    pub switch_href: String,
    pub tv: bool,
}

/// The query parameters a link keeps, so that language, competition and
/// wall-screen mode survive navigation.
#[derive(Clone)]
struct Keep {
    competition: Option<String>,
    lang: Option<Lang>,
    tv: bool,
}

impl Keep {
    fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, String)> =
            extra.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if let Some(c) = &self.competition {
            params.push(("competition", c.clone()));
        }
        if let Some(l) = self.lang {
            params.push(("lang", l.code().to_string()));
        }
        if self.tv {
            params.push(("tv", "1".into()));
        }
        if params.is_empty() {
            return path.to_string();
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("{path}?{}", query.join("&"))
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Viewing {
    lang: Lang,
    keep: Keep,
}

fn viewing(query: &PageQuery, headers: &HeaderMap) -> Viewing {
    let explicit = query.lang.as_deref().filter(|l| matches!(*l, "vi" | "en"));
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(explicit, accept);
    let competition = query.competition.clone().filter(|c| !c.is_empty());
    Viewing {
        lang,
        keep: Keep {
            competition,
            lang: explicit.map(|_| lang),
            tv: query.tv.as_deref().is_some_and(|v| v == "1" || v == "true"),
        },
    }
}

fn frame(
    viewing: &Viewing,
    selected: &Selected,
    title: String,
    here: &str,
    here_extra: &[(&str, &str)],
) -> Frame {
    let competition = &selected.record.competition;
    let mut other = viewing.keep.clone();
    other.lang = Some(viewing.lang.other());
    Frame {
        lang: viewing.lang.code(),
        other_lang: viewing.lang.other().code(),
        title,
        competition_name: competition.name.clone(),
        organizer: competition.organizer.clone(),
        css: asset_url("app"),
        extra_css: None,
        js: asset_url("board"),
        home_href: viewing.keep.href("/", &[]),
        switch_href: other.href(here, here_extra),
        tv: viewing.keep.tv,
    }
}

fn html(page: impl Template) -> Result<Response> {
    let body = page.render().map_err(|e| AppError::Internal(e.into()))?;
    let mut response = Html(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-language"));
    Ok(response)
}

fn local_time(at: &str, tz: Tz) -> Option<DateTime<Tz>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&tz))
}

// ---------------------------------------------------------------- board

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
    pub today: String,
    pub slug: String,
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

fn grade_class(selected: &Selected, grade: Option<&str>) -> String {
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
        grade: e.grade.clone().unwrap_or_default(),
        grade_class: grade_class(selected, e.grade.as_deref()),
        days: e.days_reported,
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

fn board_name(lang: Lang, board: &Leaderboard) -> String {
    if board.board == "all" {
        lang.board().all_units.to_string()
    } else {
        board.board_name.clone()
    }
}

pub async fn board_page(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let viewing = viewing(&query, &headers);
    let (lang, keep) = (viewing.lang, &viewing.keep);
    let t = lang.board();
    let selected = state.competition(keep.competition.as_deref())?;
    let competition = &selected.record.competition;
    let code = query
        .board
        .as_deref()
        .filter(|b| !b.is_empty())
        .unwrap_or("all");
    let rendered =
        leaderboard::current(&state, &selected, code, Period::Whole, Viewer::Public).await?;
    let board = &rendered.board;
    let tz = competition.timezone;
    let now = state.now();
    let today = competition.local_date(now);

    let tabs = std::iter::once(("all".to_string(), t.all_units.to_string()))
        .chain(
            competition
                .groups
                .iter()
                .map(|g| (g.code.clone(), g.name.clone())),
        )
        .map(|(c, name)| Tab {
            href: keep.href("/", &[("board", &c)]),
            current: c == board.board,
            code: c,
            name,
        })
        .collect();
    let progress = if today < competition.start_date {
        fill(t.starts_on, &[("date", &lang.date(competition.start_date))])
    } else if today > competition.end_date || board.competition.status == "final" {
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
    let as_of = local_time(&board.as_of, tz);
    let updated = as_of.map(|a| lang.date_time(a)).unwrap_or_default();
    let status_note = match board.competition.status.as_str() {
        "final" => t.final_note.to_string(),
        "frozen" => fill(t.frozen_note, &[("time", &updated)]),
        _ => String::new(),
    };
    let chip = |code: &str, name: &str| UnitChip {
        code: code.to_string(),
        name: name.to_string(),
        href: keep.href(&format!("/units/{}", encode(code)), &[]),
    };
    let (no_dossiers, no_reports): (Vec<_>, Vec<_>) = board
        .unranked
        .iter()
        .partition(|u| u.reason == "no_dossiers");
    let no_reports: Vec<UnitChip> = no_reports
        .iter()
        .map(|u| chip(&u.unit.code, &u.unit.name))
        .collect();
    let no_dossiers: Vec<UnitChip> = no_dossiers
        .iter()
        .map(|u| chip(&u.unit.code, &u.unit.name))
        .collect();
    let missing_today = if competition.contains(today) && board.competition.status != "final" {
        let day = leaderboard::current(&state, &selected, code, Period::Day(today), Viewer::Public)
            .await?;
        Some(
            day.board
                .unranked
                .iter()
                .filter(|u| u.reason == "no_reports")
                .map(|u| chip(&u.unit.code, &u.unit.name))
                .collect(),
        )
    } else {
        None
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
    let columns = board
        .criteria
        .iter()
        .map(|c| Column {
            key: c.key.clone(),
            label: lang.pick(&c.label, c.label_en.as_deref()).to_string(),
            target: format!("{} {}%", t.target, c.target_percent),
            target_percent: c.target_percent,
        })
        .collect();
    let rows: Vec<Row> = board
        .entries
        .iter()
        .map(|e| row(lang, t, keep, &selected, &board.criteria, e))
        .collect();
    let name = board_name(lang, board);
    // Unit links are the same path with the viewer's query: sending the
    // suffix once, not a link per unit, keeps the page small at 10,000 units.
    let unit_query = keep
        .href("/", &[])
        .strip_prefix('/')
        .unwrap_or_default()
        .to_string();
    let script_data = json!({
        "lang": lang.code(),
        "slug": competition.slug,
        "competition": keep.competition,
        "board": board.board,
        "status": board.competition.status,
        "today": missing_today.as_ref().map(|_| today.to_string()),
        "version": board.version,
        "grades": competition.rules.grades.iter().map(|g| &g.label).collect::<Vec<_>>(),
        "unit_query": unit_query,
        "boards": competition.boards().iter().map(|b| {
            let name = if b == "all" { t.all_units.to_string() } else { competition.group(b).map(|g| g.name.clone()).unwrap_or_default() };
            json!({"code": b, "name": name, "caption": fill(t.table_caption, &[("board", &name)])})
        }).collect::<Vec<_>>(),
        "criteria": board.criteria.iter().map(|c| json!({"key": c.key, "target": c.target_percent, "label": lang.pick(&c.label, c.label_en.as_deref())})).collect::<Vec<_>>(),
        "t": {
            "rank_up": t.rank_up, "rank_down": t.rank_down, "rank_same": t.rank_same,
            "rank_new": t.rank_new, "no_dossiers_rate": t.no_dossiers_rate,
            "reason_no_reports": t.reason_no_reports, "reason_no_dossiers": t.reason_no_dossiers,
            "reported_count": t.reported_count, "updated_announcement": t.updated_announcement,
            "live": t.live, "live_offline": t.live_offline, "all_reported_today": t.all_reported_today,
            "no_match": t.no_match,
        },
    })
    .to_string();
    let page = BoardPage {
        t,
        frame: frame(
            &viewing,
            &selected,
            format!("{} — {}", t.board_title, competition.name),
            "/",
            &[("board", code)],
        ),
        caption: fill(t.table_caption, &[("board", &name)]),
        board: board.board.clone(),
        board_name: name,
        tabs,
        status: board.competition.status.clone(),
        status_note,
        progress,
        updated,
        updated_iso: board.as_of.clone(),
        version: board.version,
        columns,
        rows,
        totals,
        unranked_count: board.unranked.len(),
        no_reports,
        no_dossiers,
        missing_today,
        today: today.to_string(),
        slug: competition.slug.clone(),
        script_data,
    };
    html(page)
}

// ---------------------------------------------------------------- unit

/// The parts of `public::unit_detail`'s JSON this page shows.
#[derive(Deserialize)]
struct Detail {
    unit: DetailUnit,
    standing: Option<DetailStanding>,
    unranked: Option<String>,
    criteria: Vec<CriterionInfo>,
    days: Vec<DetailDay>,
    revisions: Vec<DetailRevision>,
}

#[derive(Deserialize)]
struct DetailUnit {
    code: String,
    name: String,
    group_name: Option<String>,
}

#[derive(Deserialize)]
struct DetailStanding {
    rank: u32,
    rank_change: Option<i64>,
    score_bp: u32,
    grade: Option<String>,
    days_reported: u32,
}

#[derive(Deserialize)]
struct DetailDay {
    day: NaiveDate,
    reported: bool,
    #[serde(default)]
    criteria: BTreeMap<String, DetailRate>,
    rank: Option<u32>,
    score_bp: Option<u32>,
    late: Option<bool>,
    corrected: Option<bool>,
}

#[derive(Deserialize)]
struct DetailRate {
    numerator: u64,
    denominator: u64,
    rate_bp: Option<u32>,
}

#[derive(Deserialize)]
struct DetailRevision {
    day: NaiveDate,
    revision: i64,
    at: String,
    corrected: bool,
}

pub struct StandingView {
    pub rank_label: String,
    pub rank: u32,
    pub change: String,
    pub change_class: &'static str,
    pub score: String,
    pub grade: String,
    pub grade_class: String,
    pub days: u32,
}

pub struct DayCell {
    pub label: String,
    pub rate: String,
    pub fraction: String,
}

pub struct DayRow {
    pub date: String,
    pub iso: String,
    pub reported: bool,
    pub cells: Vec<DayCell>,
    pub rank: String,
    pub score: String,
    pub flags: String,
}

pub struct RevisionRow {
    pub at: String,
    pub iso: String,
    pub day: String,
    pub revision: i64,
    pub by: &'static str,
}

#[derive(Template)]
#[template(path = "unit.html")]
pub struct UnitPage {
    pub t: &'static BoardLabels,
    pub frame: Frame,
    pub code: String,
    pub name: String,
    pub group: String,
    pub board_href: String,
    pub standing: Option<StandingView>,
    pub unranked: String,
    pub columns: Vec<Column>,
    pub chart: Chart,
    pub days: Vec<DayRow>,
    pub revisions: Vec<RevisionRow>,
}

pub async fn unit_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let viewing = viewing(&query, &headers);
    let (lang, keep) = (viewing.lang, &viewing.keep);
    let t = lang.board();
    let selected = state.competition(keep.competition.as_deref())?;
    let competition = &selected.record.competition;
    let value = super::public::unit_detail(&state, keep.competition.as_deref(), &code).await?;
    let detail: Detail = serde_json::from_value(value).map_err(|e| AppError::Internal(e.into()))?;
    let tz = competition.timezone;
    let group_code = selected
        .unit(&code)
        .map(|u| u.group.clone())
        .unwrap_or_default();

    let standing = detail.standing.map(|s| {
        let (change, change_class) = match s.rank_change {
            Some(n) if n > 0 => (format!("▲{n}"), "up"),
            Some(n) if n < 0 => (format!("▼{}", n.unsigned_abs()), "down"),
            Some(_) => ("=".to_string(), "same"),
            None => (String::new(), "new"),
        };
        StandingView {
            rank_label: fill(
                t.rank_in_group,
                &[(
                    "group",
                    detail.unit.group_name.as_deref().unwrap_or_default(),
                )],
            ),
            rank: s.rank,
            change,
            change_class,
            score: lang.decimal(s.score_bp),
            grade_class: grade_class(&selected, s.grade.as_deref()),
            grade: s.grade.unwrap_or_default(),
            days: s.days_reported,
        }
    });
    let unranked = match detail.unranked.as_deref() {
        Some("no_dossiers") => format!("{} ({})", t.unranked, t.reason_no_dossiers),
        Some(_) => format!("{} ({})", t.unranked, t.reason_no_reports),
        None => String::new(),
    };
    let columns: Vec<Column> = detail
        .criteria
        .iter()
        .map(|c| Column {
            key: c.key.clone(),
            label: lang.pick(&c.label, c.label_en.as_deref()).to_string(),
            target: format!("{} {}%", t.target, c.target_percent),
            target_percent: c.target_percent,
        })
        .collect();
    let dates: Vec<NaiveDate> = competition.days().collect();
    let inputs: Vec<SeriesInput> = detail
        .criteria
        .iter()
        .map(|c| SeriesInput {
            label: lang.pick(&c.label, c.label_en.as_deref()).to_string(),
            rates_bp: dates
                .iter()
                .map(|d| {
                    detail
                        .days
                        .iter()
                        .find(|x| x.day == *d)
                        .and_then(|x| x.criteria.get(&c.key))
                        .and_then(|r| r.rate_bp)
                })
                .collect(),
        })
        .collect();
    let chart = chart::build(lang, &dates, &inputs);
    let days = detail
        .days
        .iter()
        .map(|d| {
            let mut flags = Vec::new();
            if d.late == Some(true) {
                flags.push(t.late);
            }
            if d.corrected == Some(true) {
                flags.push(t.corrected);
            }
            DayRow {
                date: lang.date(d.day),
                iso: d.day.to_string(),
                reported: d.reported,
                cells: detail
                    .criteria
                    .iter()
                    .map(|c| match d.criteria.get(&c.key) {
                        Some(r) => DayCell {
                            label: lang.pick(&c.label, c.label_en.as_deref()).to_string(),
                            rate: r
                                .rate_bp
                                .map(|bp| lang.percent(bp))
                                .unwrap_or_else(|| "—".into()),
                            fraction: format!("{}/{}", r.numerator, r.denominator),
                        },
                        None => DayCell {
                            label: lang.pick(&c.label, c.label_en.as_deref()).to_string(),
                            rate: "—".into(),
                            fraction: String::new(),
                        },
                    })
                    .collect(),
                rank: d.rank.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                score: d
                    .score_bp
                    .map(|bp| lang.decimal(bp))
                    .unwrap_or_else(|| "—".into()),
                flags: flags.join(", "),
            }
        })
        .collect();
    let mut revisions: Vec<RevisionRow> = detail
        .revisions
        .iter()
        .map(|r| RevisionRow {
            at: local_time(&r.at, tz)
                .map(|a| lang.date_time(a))
                .unwrap_or_else(|| r.at.clone()),
            iso: r.at.clone(),
            day: lang.date(r.day),
            revision: r.revision,
            by: if r.corrected {
                t.by_organizer
            } else {
                t.by_unit
            },
        })
        .collect();
    revisions.sort_by(|a, b| b.iso.cmp(&a.iso));
    let page = UnitPage {
        t,
        frame: frame(
            &viewing,
            &selected,
            format!("{} — {}", detail.unit.name, competition.name),
            &format!("/units/{}", encode(&detail.unit.code)),
            &[],
        ),
        board_href: keep.href("/", &[("board", &group_code)]),
        code: detail.unit.code,
        name: detail.unit.name,
        group: detail.unit.group_name.unwrap_or_default(),
        standing,
        unranked,
        columns,
        chart,
        days,
        revisions,
    };
    html(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_viewers_choices_and_encode_values() {
        let keep = Keep {
            competition: Some("lang-son-2025".into()),
            lang: Some(Lang::En),
            tv: true,
        };
        assert_eq!(
            keep.href("/", &[("board", "xa-phuong")]),
            "/?board=xa-phuong&competition=lang-son-2025&lang=en&tv=1"
        );
        let bare = Keep {
            competition: None,
            lang: None,
            tv: false,
        };
        assert_eq!(bare.href("/units/06040", &[]), "/units/06040");
        assert_eq!(encode("a b/đ"), "a%20b%2F%C4%91");
    }

    #[test]
    fn assets_have_stable_fingerprinted_urls() {
        let css = asset_url("app");
        assert!(
            css.starts_with("/static/app.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css, asset_url("app"));
        assert_eq!(css.len(), "/static/app..css".len() + 16);
    }
}
