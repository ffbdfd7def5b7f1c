//! The dashboard: the competition's state and the reporting-status matrix
//! (units × days: on time, late, corrected, missing), with the live top ten.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::access::AdminView;
use super::{Shell, correction_href, frame, group_choices, local, unit_choices};
use crate::boards::Viewer;
use crate::competition::{Board, Status};
use crate::error::Result;
use crate::http::page::form::Choice;
use crate::http::page::{Frame, Page};
use crate::i18n::{AdminLabels, BoardLabels, fill};
use crate::ranking::Period;
use crate::state::AppState;
use crate::store::Unit;

/// One cell of the reporting-status matrix.
pub struct Cell {
    /// `on-time`, `late`, `corrected`, `missing`, `pending` or `future`
    /// (as CSS classes `st-…`).
    pub status: &'static str,
    /// A symbol a narrow screen can show in a small square.
    pub symbol: &'static str,
    pub label: &'static str,
    pub href: String,
}

pub struct MatrixRow {
    pub code: String,
    pub name: String,
    pub cells: Vec<Cell>,
}

pub struct DayColumn {
    pub label: String,
    pub reported: usize,
    pub missing: usize,
}

pub struct LiveEntry {
    pub rank: String,
    pub name: String,
    pub score: String,
}

/// One entry of the matrix's legend.
pub struct Legend {
    pub status: &'static str,
    pub symbol: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "admin_dashboard.html")]
struct DashboardPage {
    frame: Frame,
    t: &'static BoardLabels,
    a: &'static AdminLabels,
    shell: Shell,
    /// `open`, `frozen` or `final`, for the template's conditions.
    status: &'static str,
    status_label: &'static str,
    frozen_at: Option<String>,
    finalized_at: Option<String>,
    notice: Option<&'static str>,
    groups: Vec<Choice>,
    days: Vec<DayColumn>,
    rows: Vec<MatrixRow>,
    legend: Vec<Legend>,
    live: Vec<LiveEntry>,
    live_title: String,
    units: Vec<Choice>,
    /// The competitions the organiser answers for, to switch between them
    /// (shown when there is more than one).
    competitions: Vec<Choice>,
}

fn notice(done: Option<&str>, a: &'static AdminLabels) -> Option<&'static str> {
    Some(match done? {
        "freeze" => a.done_freeze,
        "finalize" => a.done_finalize,
        "reopen" => a.done_reopen,
        "nothing" => a.done_nothing,
        "reason" => a.done_reason,
        "choose-unit" => a.renew_choose_unit,
        _ => return None,
    })
}

/// A cell's status, the symbol a phone shows for it, and its words.
fn status_of(status: &'static str, a: &'static AdminLabels) -> (&'static str, &'static str) {
    match status {
        "on-time" => ("✓", a.st_on_time),
        "late" => ("!", a.st_late),
        "corrected" => ("✎", a.st_corrected),
        "missing" => ("✗", a.st_missing),
        "pending" => ("·", a.st_pending),
        _ => ("", ""),
    }
}

pub async fn dashboard(State(state): State<AppState>, view: AdminView) -> Result<Response> {
    let (selected, lang) = (&view.selected, view.lang);
    let a = lang.admin();
    let query = &view.query;
    let competition = &selected.record.competition;
    let now = state.now();
    let today = competition.local_date(now);
    let group = query
        .group
        .clone()
        .filter(|g| competition.groups.iter().any(|x| &x.code == g))
        .unwrap_or_default();
    let reports = state.store().reports(selected.record.id).await?;
    let by_cell: HashMap<(i64, NaiveDate), _> =
        reports.iter().map(|r| ((r.unit_id, r.day), r)).collect();
    let days: Vec<NaiveDate> = competition.days().collect();
    let units: Vec<&Unit> = selected
        .active_units()
        .filter(|u| group.is_empty() || u.group == group)
        .collect();
    let mut columns: Vec<DayColumn> = days
        .iter()
        .map(|d| DayColumn {
            label: lang.short_date(*d),
            reported: 0,
            missing: 0,
        })
        .collect();
    let rows = units
        .iter()
        .map(|u| MatrixRow {
            code: u.code.clone(),
            name: u.name.clone(),
            cells: days
                .iter()
                .zip(columns.iter_mut())
                .map(|(d, column)| {
                    let status = match by_cell.get(&(u.id, *d)) {
                        Some(r) if r.corrected => "corrected",
                        Some(r) if r.late => "late",
                        Some(_) => "on-time",
                        None if now >= competition.deadline(*d) => "missing",
                        None if *d <= today => "pending",
                        None => "future",
                    };
                    match status {
                        "missing" => column.missing += 1,
                        "pending" | "future" => {}
                        _ => column.reported += 1,
                    }
                    let (symbol, label) = status_of(status, a);
                    Cell {
                        status,
                        symbol,
                        label,
                        href: correction_href(selected, &u.code, *d, lang),
                    }
                })
                .collect(),
        })
        .collect();
    let board = if group.is_empty() {
        Board::All
    } else {
        Board::Group(group.clone())
    };
    let live = state
        .boards()
        .view(selected, &board, Period::Whole, Viewer::Organizer)
        .await?;
    let live_entries = live
        .rows()
        .iter()
        .take(10)
        .filter_map(|row| row.entry())
        .map(|e| LiveEntry {
            rank: e.rank.to_string(),
            name: e.unit.name,
            score: lang.decimal(e.score_bp),
        })
        .collect();
    let mut groups = vec![Choice {
        value: String::new(),
        label: a.all_groups.into(),
        selected: group.is_empty(),
    }];
    groups.extend(group_choices(selected, &group));
    let status = selected.record.status(now);
    let legend = ["on-time", "late", "corrected", "missing", "pending"]
        .into_iter()
        .map(|status| {
            let (symbol, label) = status_of(status, a);
            Legend {
                status,
                symbol,
                label,
            }
        })
        .collect();
    let page = DashboardPage {
        frame: frame(selected, a.nav_dashboard, lang, &view.here),
        t: lang.board(),
        a,
        shell: view.shell("dashboard"),
        status: status.as_str(),
        status_label: match status {
            Status::Final => a.status_final,
            Status::Frozen => a.status_frozen,
            Status::Open => a.status_open,
        },
        frozen_at: selected
            .record
            .freeze_instant(now)
            .map(|t| fill(a.frozen_at, &[("time", &local(selected, t, lang))])),
        finalized_at: selected
            .record
            .finalized_at
            .map(|t| fill(a.final_at, &[("time", &local(selected, t, lang))])),
        notice: notice(query.done.as_deref(), a),
        groups,
        days: columns,
        rows,
        legend,
        live: live_entries,
        live_title: fill(
            a.live_title,
            &[(
                "board",
                if group.is_empty() {
                    a.all_groups
                } else {
                    &live.board_name
                },
            )],
        ),
        units: unit_choices(selected, ""),
        competitions: state
            .catalog()
            .all_for(&view.scope)
            .iter()
            .map(|c| Choice {
                value: c.record.competition.slug.clone(),
                label: c.record.competition.name.clone(),
                selected: c.record.id == selected.record.id,
            })
            .collect(),
    };
    Ok(Page::private(StatusCode::OK, page).into_response())
}
