//! Entering or correcting a unit's figures for a day, on its behalf, with a
//! mandatory reason — also after the deadline, until the competition is
//! final. The same write path as the unit's own form.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::access::{AdminForm, AdminView};
use super::{Shell, correction_href, frame, unit_choices, unit_named};
use crate::catalog::Selected;
use crate::error::Result;
use crate::http::extract::ClientAddr;
use crate::http::page::form::{
    Choice, CounterField, Outcome, RevisionView, chosen_day, counter_labels, day_choices, prefill,
    refused, report_input, revision_views,
};
use crate::http::page::{Frame, Page, field};
use crate::http::session::Session;
use crate::i18n::{AdminLabels, BoardLabels, Lang, fill};
use crate::report::ActorKind;
use crate::state::AppState;
use crate::store::Unit;
use crate::submit::{Submission, Writer};

#[derive(Template)]
#[template(path = "admin_report.html")]
struct CorrectionPage {
    frame: Frame,
    t: &'static BoardLabels,
    a: &'static AdminLabels,
    shell: Shell,
    heading: String,
    units: Vec<Choice>,
    days: Vec<Choice>,
    unit: Option<(String, String)>,
    day: String,
    day_label: String,
    final_: bool,
    late: bool,
    fields: Vec<CounterField>,
    note: String,
    reason: String,
    reason_error: Option<String>,
    note_error: Option<String>,
    day_error: Option<String>,
    error: Option<String>,
    outcome: Option<Outcome>,
    saved_line: String,
    standing_line: String,
    revisions: Vec<RevisionView>,
    labels: Vec<String>,
}

async fn correction_page(
    state: &AppState,
    selected: &Selected,
    session: &Session,
    unit: Option<&Unit>,
    day: NaiveDate,
    lang: Lang,
) -> Result<CorrectionPage> {
    let a = lang.admin();
    let competition = &selected.record.competition;
    let now = state.now();
    let today = competition.local_date(now);
    let (fields, revisions) = match unit {
        Some(u) => {
            let fields = prefill(state.store(), selected, u, day, lang).await?;
            let revisions = state.store().unit_revisions(u.id, Some(day)).await?;
            (fields, revision_views(selected, &revisions, lang))
        }
        None => (Vec::new(), Vec::new()),
    };
    let shell = Shell::new(selected, session, "report", lang);
    let here = match unit {
        Some(u) => correction_href(selected, &u.code, day, lang),
        None => shell.href("/admin/report"),
    };
    Ok(CorrectionPage {
        frame: frame(selected, a.nav_report, lang, &here),
        t: lang.board(),
        a,
        heading: unit
            .map(|u| {
                fill(
                    a.correct_for,
                    &[
                        ("name", &u.name),
                        ("code", &u.code),
                        ("day", &lang.date(day)),
                    ],
                )
            })
            .unwrap_or_default(),
        shell,
        units: unit_choices(selected, unit.map(|u| u.code.as_str()).unwrap_or_default()),
        days: day_choices(selected, today, day, |d| {
            fill(
                a.day_option,
                &[
                    ("n", &competition.day_number(d).to_string()),
                    ("date", &lang.date(d)),
                ],
            )
        }),
        unit: unit.map(|u| (u.code.clone(), u.name.clone())),
        day: crate::day::text(day),
        day_label: lang.date(day),
        final_: selected.record.is_final(),
        late: now >= competition.deadline(day),
        fields,
        note: String::new(),
        reason: String::new(),
        reason_error: None,
        note_error: None,
        day_error: None,
        error: None,
        outcome: None,
        saved_line: String::new(),
        standing_line: String::new(),
        revisions,
        labels: counter_labels(selected, lang),
    })
}

/// What the banner after a save says.
fn saved_lines(outcome: &Outcome, a: &AdminLabels) -> (String, String) {
    let saved = if outcome.unchanged {
        a.saved_unchanged.to_string()
    } else {
        let mut line = fill(a.saved_revision, &[("n", &outcome.revision.to_string())]);
        if outcome.late {
            line = format!("{line} {}", a.saved_late);
        }
        line
    };
    let standing = &outcome.standing;
    let mut rank = match standing.rank {
        Some(r) => fill(
            a.rank_now,
            &[("rank", &r.to_string()), ("board", &standing.board)],
        ),
        None => a.unranked.to_string(),
    };
    if let Some(score) = &standing.score {
        rank = format!("{rank} · {}", fill(a.score_is, &[("score", score)]));
    }
    (saved, rank)
}

pub async fn correction_form(State(state): State<AppState>, view: AdminView) -> Result<Response> {
    let (selected, session, query) = (&view.selected, &view.session, &view.query);
    let day = chosen_day(selected, query.day.as_deref(), state.now());
    let unit = query
        .unit
        .as_deref()
        .and_then(|c| selected.unit_typed(c))
        .cloned();
    let form = correction_page(&state, selected, session, unit.as_ref(), day, view.lang).await?;
    Ok(Page::private(StatusCode::OK, form).into_response())
}

pub async fn correct(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    form: AdminForm,
) -> Result<Response> {
    let (session, selected, lang) = (&form.session, &form.selected, form.lang);
    let a = lang.admin();
    let form = &form.fields;
    let code = field(form, "unit").unwrap_or_default().trim();
    let unit = unit_named(selected, code)?.clone();
    let day = chosen_day(selected, field(form, "day"), state.now());
    let reason = field(form, "reason").unwrap_or_default().trim().to_string();
    let (report, mut fields, note) = report_input(selected, form, lang);
    let mut page_data = correction_page(&state, selected, session, Some(&unit), day, lang).await?;
    page_data.note = note;
    page_data.reason = reason.clone();
    if reason.is_empty() {
        page_data.reason_error = Some(a.need_reason_correct.into());
        page_data.error = Some(a.not_saved_reason.into());
        page_data.fields = fields;
        return Ok(Page::private(StatusCode::UNPROCESSABLE_ENTITY, page_data).into_response());
    }
    let writer = Writer::organizer(ActorKind::Organizer, &session.subject, &reason, address);
    let submission = Submission::new(unit.clone(), writer, report);
    let status = match state.submitter().submit(submission).await {
        Ok(submitted) => {
            // Show the figures as now stored, with the new revision listed.
            let fresh = correction_page(&state, selected, session, Some(&unit), day, lang).await?;
            page_data.fields = fresh.fields;
            page_data.revisions = fresh.revisions;
            let outcome = Outcome::new(&submitted, selected, lang);
            (page_data.saved_line, page_data.standing_line) = saved_lines(&outcome, a);
            page_data.outcome = Some(outcome);
            page_data.reason = String::new();
            page_data.note = String::new();
            StatusCode::OK
        }
        Err(e) => {
            let refusal = refused(e, &mut fields, a.invalid_form)?;
            page_data.day_error = refusal.day;
            page_data.note_error = refusal.note;
            page_data.error = Some(refusal.summary);
            page_data.fields = fields;
            refusal.status
        }
    };
    Ok(Page::private(status, page_data).into_response())
}
