//! One unit's page (`/units/{code}`): its standing, a chart of each
//! criterion's daily rate drawn on the server, its daily figures and when
//! they were revised.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::board::{Column, grade_class};
use super::reach::{self, ReachView};
use crate::boards::Viewer;
use crate::chart::{self, Chart, SeriesInput};
use crate::competition::Board;
use crate::error::Result;
use crate::http::page::{Frame, Page, PublicView, encode};
use crate::i18n::{BoardLabels, fill};
use crate::ranking::Period;
use crate::scoring::UnrankedReason;
use crate::state::AppState;
use crate::unit_history;

/// The unit's standing on its group's board.
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

pub struct RevisionLine {
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
    pub revisions: Vec<RevisionLine>,
    /// "Để đạt 100%".
    pub reach: Option<ReachView>,
    /// For the description and link previews: rank, group and score.
    pub description: String,
    pub og_title: String,
}

pub async fn unit_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    view: PublicView,
) -> Result<Response> {
    let (viewing, selected) = (&view.viewing, &view.selected);
    let (lang, keep) = (viewing.lang, &viewing.keep);
    let t = lang.board();
    let competition = &selected.record.competition;
    let detail = unit_history::history(state.store(), state.boards(), selected, &code).await?;
    let group_code = selected
        .unit(&code)
        .map(|u| u.group.clone())
        .unwrap_or_default();

    let group_name = lang
        .pick(
            detail.unit.group_name.as_deref().unwrap_or_default(),
            competition.group_name_en(&group_code),
        )
        .to_string();
    let reach = if group_code.is_empty() {
        None
    } else {
        let board = state
            .boards()
            .view(
                selected,
                &Board::from_code(&group_code),
                Period::Whole,
                Viewer::Public,
            )
            .await?;
        reach::view(lang, t, selected, &board, &code)
    };
    let description = match &detail.standing {
        Some(s) => fill(
            t.unit_description,
            &[
                ("rank", &s.rank.to_string()),
                ("group", &group_name),
                ("score", &lang.decimal(s.score_bp)),
            ],
        ),
        None => String::new(),
    };
    let standing = detail.standing.map(|s| {
        let (change, change_class) = match s.rank_change {
            Some(n) if n > 0 => (format!("▲{n}"), "up"),
            Some(n) if n < 0 => (format!("▼{}", n.unsigned_abs()), "down"),
            Some(_) => ("=".to_string(), "same"),
            None => (String::new(), "new"),
        };
        StandingView {
            rank_label: fill(t.rank_in_group, &[("group", &group_name)]),
            rank: s.rank,
            change,
            change_class,
            score: lang.decimal(s.score_bp),
            grade_class: grade_class(selected, s.grade.as_deref()),
            grade: s
                .grade
                .as_deref()
                .map(|g| lang.pick(g, competition.grade_label_en(g)).to_string())
                .unwrap_or_default(),
            days: s.days_reported,
        }
    });
    let unranked = match detail.unranked {
        Some(UnrankedReason::NoDossiers) => format!("{} ({})", t.unranked, t.reason_no_dossiers),
        Some(UnrankedReason::NoReports) => format!("{} ({})", t.unranked, t.reason_no_reports),
        None => String::new(),
    };
    let columns = Column::all(lang, &detail.criteria);
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
    let mut revisions: Vec<RevisionLine> = detail
        .revisions
        .iter()
        .map(|r| RevisionLine {
            at: lang.date_time(r.at.with_timezone(&competition.timezone)),
            iso: r.at.to_rfc3339(),
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
    let description = if description.is_empty() {
        format!("{} — {}", unranked, competition.name)
    } else {
        format!("{description} — {}", competition.name)
    };
    let og_title = detail.unit.name.clone();
    let page = UnitPage {
        t,
        reach,
        og_title,
        frame: viewing.frame(
            selected,
            format!("{} — {}", detail.unit.name, competition.name),
            &format!("/units/{}", encode(&detail.unit.code)),
            &[],
        ),
        board_href: keep.href("/", &[("board", &group_code)]),
        code: detail.unit.code,
        name: detail.unit.name,
        group: group_name,
        description,
        standing,
        unranked,
        columns,
        chart,
        days,
        revisions,
    };
    Ok(Page::public(page).into_response())
}
