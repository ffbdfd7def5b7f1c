//! Freeze, finalize and re-open from the dashboard's buttons. Finalizing
//! goes through a confirmation page that says how many units' standings
//! become final, and — before the last deadline — that the week is not
//! over, with a second box to tick.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::access::{AdminForm, AdminView};
use super::frame;
use super::tokens::{Check, Choice, ConfirmPage};
use crate::catalog::Selected;
use crate::error::{AppError, Result};
use crate::http::page::Page;
use crate::i18n::{Lang, fill};
use crate::state::AppState;

pub async fn competition_action(
    State(state): State<AppState>,
    Path(action): Path<String>,
    form: AdminForm,
) -> Result<Response> {
    let selected = &form.selected;
    let lang = form.lang;
    let actor = form.session.subject.as_str();
    let reason = form.field("reason").unwrap_or_default().trim();
    let lifecycle = state.lifecycle();
    let early = state.now() < selected.record.competition.last_deadline();
    let done = match action.as_str() {
        "freeze" => lifecycle.freeze_now(selected, actor).await?,
        "finalize"
            if form.field("confirm").is_none() || (early && form.field("early").is_none()) =>
        {
            return Ok(to(selected, lang, "/admin/finalize", "confirm"));
        }
        "finalize" => lifecycle.finalize(selected, actor).await?,
        "reopen" if reason.is_empty() => return Ok(to(selected, lang, "/admin", "reason")),
        "reopen" => lifecycle.reopen(selected, actor, reason).await?,
        _ => return Err(AppError::NotFound("Không có thao tác này".into())),
    };
    Ok(to(
        selected,
        lang,
        "/admin",
        if done { &action } else { "nothing" },
    ))
}

/// To an admin page, saying what happened.
fn to(selected: &Selected, lang: Lang, path: &str, done: &str) -> Response {
    Redirect::to(&format!(
        "{path}?competition={}&lang={}&done={done}",
        selected.record.competition.slug,
        lang.code()
    ))
    .into_response()
}

/// `GET /admin/finalize`: what publishing the final results fixes, and
/// whether the week is over yet.
pub async fn confirm_finalize(State(state): State<AppState>, view: AdminView) -> Result<Response> {
    let (selected, lang) = (&view.selected, view.lang);
    if selected.record.is_final() {
        return Ok(to(selected, lang, "/admin", "nothing"));
    }
    let a = lang.admin();
    let competition = &selected.record.competition;
    let now = state.now();
    let units = selected.active_units().count();
    let boards = competition.groups.len() + 1;
    let mut warnings = Vec::new();
    let mut checks = vec![Check {
        name: "confirm",
        value: "1".into(),
        label: a.finalize_confirm.into(),
    }];
    if now < competition.last_deadline() {
        let today = competition
            .local_date(now)
            .clamp(competition.start_date, competition.end_date);
        let left = competition
            .days()
            .filter(|d| now < competition.deadline(*d))
            .count();
        let deadline = lang.date_time(
            competition
                .last_deadline()
                .with_timezone(&competition.timezone),
        );
        warnings.push(fill(
            a.finalize_early,
            &[
                ("n", &competition.day_number(today).to_string()),
                ("total", &competition.day_count().to_string()),
                ("deadline", &deadline),
                ("left", &left.to_string()),
            ],
        ));
        checks.push(Check {
            name: "early",
            value: "1".into(),
            label: a.finalize_confirm_early.into(),
        });
    }
    let mut facts = vec![fill(
        a.finalize_units,
        &[
            ("units", &units.to_string()),
            ("boards", &boards.to_string()),
        ],
    )];
    let today = competition.local_date(now);
    if competition.contains(today) {
        let reported: HashSet<i64> = state
            .store()
            .day_reports(selected.record.id, today)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
        let missing = selected
            .active_units()
            .filter(|u| !reported.contains(&u.id))
            .count();
        if missing > 0 {
            facts.push(fill(
                a.finalize_missing_today,
                &[
                    ("missing", &missing.to_string()),
                    ("day", &lang.date(today)),
                ],
            ));
        }
    }
    let shell = view.shell("dashboard");
    let error = (view.query.done.as_deref() == Some("confirm"))
        .then(|| a.finalize_needs_confirm.to_string());
    let page = ConfirmPage {
        frame: frame(selected, a.finalize_title, lang, &view.here),
        t: lang.board(),
        a,
        heading: a.finalize_title.into(),
        error,
        warnings,
        facts,
        action: "/admin/competition/finalize".into(),
        hidden: vec![
            ("csrf", shell.csrf.clone()),
            ("competition", shell.slug.clone()),
            ("lang", lang.code().into()),
        ],
        checks,
        buttons: vec![Choice {
            name: "go",
            value: "1".into(),
            label: a.finalize_submit.into(),
            danger: true,
        }],
        cancel: shell.href("/admin"),
        shell,
    };
    Ok(Page::private(StatusCode::OK, page).into_response())
}
