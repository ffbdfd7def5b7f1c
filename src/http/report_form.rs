//! `/report`: the web form unit staff use to post a day's figures. They sign
//! in with their unit code and access code (the unit's API token); the form
//! is generated from the competition's counters and goes through the same
//! write path as the API ([`crate::submit`]).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

use super::extract::ClientAddr;
use super::page::errors;
use super::page::form::{
    Choice, CounterField, HistoryDay, Outcome, RevisionView, StandingView, chosen_day,
    counter_labels, day_choices, history, login_page, prefill, refused, report_input,
    revision_views,
};
use super::page::{Frame, Page, field, language, with_cookie};
use super::session::{self, CSRF_FIELD, Kind, LoginAttempt, Session};
use crate::boards::Viewer;
use crate::catalog::Selected;
use crate::competition::Board;
use crate::error::{AppError, Result};
use crate::i18n::{BoardLabels, Lang, ReportLabels, fill};
use crate::ranking::Period;
use crate::state::AppState;
use crate::store::Unit;
use crate::submit::{Submission, Writer};
use crate::token;

pub fn routes(state: &AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/report", get(show).post(save))
        .route("/report/login", post(login))
        .route("/report/logout", post(logout));
    errors::readable(pages, state, "/report")
}

#[derive(Template)]
#[template(path = "report_login.html")]
pub struct LoginPage {
    pub frame: Frame,
    pub t: &'static BoardLabels,
    pub l: &'static ReportLabels,
    pub slug: String,
    pub csrf: String,
    pub code: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "report_form.html")]
pub struct FormPage {
    pub frame: Frame,
    pub t: &'static BoardLabels,
    pub l: &'static ReportLabels,
    pub unit_code_line: String,
    pub deadline_line: String,
    pub send_label: String,
    pub all_revisions_label: String,
    pub saved_line: String,
    pub unit_code: String,
    pub unit_name: String,
    pub csrf: String,
    pub days: Vec<Choice>,
    pub day: String,
    pub day_label: String,
    pub closed: bool,
    pub final_: bool,
    /// A closed day or a final competition: the figures are shown, not
    /// offered for sending.
    pub read_only: bool,
    pub fields: Vec<CounterField>,
    pub note: String,
    pub note_error: Option<String>,
    pub day_error: Option<String>,
    pub error: Option<String>,
    pub outcome: Option<Outcome>,
    pub labels: Vec<String>,
    pub history: Vec<HistoryDay>,
    pub revisions: Vec<RevisionView>,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    pub day: Option<String>,
    pub lang: Option<String>,
    pub competition: Option<String>,
    /// The unit code an access letter's QR code fills in on the login form.
    pub unit: Option<String>,
    /// After a save, the revision it wrote (the redirect's target).
    pub saved: Option<i64>,
    /// After a save, `1` when the figures were identical.
    pub unchanged: Option<String>,
}

/// The unit a live unit session belongs to, if it is still active.
async fn session_unit(state: &AppState, session: &Session) -> Result<Option<(Selected, Unit)>> {
    let Some(unit_id) = session.unit_id else {
        return Ok(None);
    };
    let found = state.catalog().unit_by_id(unit_id).await?;
    Ok(found.filter(|(_, unit)| unit.active))
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ShowQuery>,
) -> Result<Response> {
    let lang = language(query.lang.as_deref(), &headers);
    if let Some(session) = session::current(&state, &headers, Kind::Unit).await?
        && let Some((selected, unit)) = session_unit(&state, &session).await?
    {
        let day = chosen_day(&selected, query.day.as_deref(), state.now());
        let mut form = form_page(&state, &selected, &unit, &session, day, lang).await?;
        form.fields = prefill(state.store(), &selected, &unit, day, lang).await?;
        if let Some(revision) = query.saved.filter(|r| *r > 0) {
            let unchanged = query.unchanged.as_deref() == Some("1");
            let outcome =
                saved_outcome(&state, &selected, &unit, revision, unchanged, lang).await?;
            form.saved_line = saved_line(&outcome, day, lang);
            form.outcome = Some(outcome);
        }
        return Ok(Page::private(StatusCode::OK, form).into_response());
    }
    let selected = state.catalog().competition(query.competition.as_deref())?;
    // An access letter's QR code names the unit; only a plausible code is
    // put back into the page.
    let code = query
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|c| crate::units::is_valid_code(c))
        .unwrap_or_default();
    Ok(unit_login(
        &state,
        &headers,
        &selected,
        code,
        None,
        StatusCode::OK,
        lang,
    ))
}

/// What the page after a save shows: the revision written and the unit's
/// standing as the live board has it now (the organisers' view, as the
/// answer to the save itself gave it).
async fn saved_outcome(
    state: &AppState,
    selected: &Selected,
    unit: &Unit,
    revision: i64,
    unchanged: bool,
    lang: Lang,
) -> Result<Outcome> {
    let board = Board::Group(unit.group.clone());
    // The save was acknowledged a moment ago: wait (briefly) for the boards
    // to show it before reading the unit's place.
    state
        .boards()
        .settled(&selected.record.competition.slug)
        .await;
    let live = state
        .boards()
        .view(selected, &board, Period::Whole, Viewer::Organizer)
        .await?;
    let entry = live.row(&unit.code).and_then(|row| row.entry());
    let entry = entry.as_ref();
    Ok(Outcome {
        revision,
        unchanged,
        late: false,
        standing: StandingView {
            rank: entry.map(|e| u64::from(e.rank)),
            board: selected
                .record
                .competition
                .group_name(&unit.group)
                .to_string(),
            score: entry.map(|e| lang.decimal(e.score_bp)),
            grade: entry.and_then(|e| e.grade.clone()),
            days_reported: entry
                .map(|e| u64::from(e.days_reported))
                .unwrap_or_default(),
        },
    })
}

fn saved_line(outcome: &Outcome, day: NaiveDate, lang: Lang) -> String {
    let l = lang.report();
    let day_text = lang.date(day);
    if outcome.unchanged {
        format!(
            "{} — {}",
            fill(l.unchanged, &[("day", &day_text)]),
            l.unchanged_note
        )
    } else {
        format!(
            "{} {}",
            fill(l.saved, &[("day", &day_text)]),
            fill(l.revision_n, &[("n", &outcome.revision.to_string())])
        )
    }
}

fn unit_login(
    state: &AppState,
    headers: &HeaderMap,
    selected: &Selected,
    code: &str,
    error: Option<String>,
    status: StatusCode,
    lang: Lang,
) -> Response {
    let l = lang.report();
    login_page(state, headers, status, |csrf| LoginPage {
        frame: Frame::form(
            selected,
            l.login_title,
            lang,
            format!("/report?lang={}", lang.other().code()),
        ),
        t: lang.board(),
        l,
        slug: selected.record.competition.slug.clone(),
        csrf,
        code: code.into(),
        error,
    })
}

async fn login(State(state): State<AppState>, attempt: LoginAttempt) -> Result<Response> {
    let (headers, address) = (&attempt.headers, &attempt.address);
    let lang = language(Some(attempt.field("lang")), headers);
    let code = attempt.field("code");
    let access = attempt.field("access_code");
    // Codes are typed in any case: tries on "snv" and "SNV" count together.
    state
        .limits()
        .check_login(&format!("unit:{}", code.to_uppercase()), address.as_deref())
        .await?;
    let slug = Some(attempt.field("competition")).filter(|s| !s.is_empty());
    let selected = state.catalog().competition(slug)?;
    let unit = selected.unit_typed(code).filter(|u| u.active).cloned();
    let stored = match &unit {
        Some(u) => state.store().unit_token_hash(u.id).await?,
        None => None,
    };
    // Hash even for an unknown code, so that timing does not tell codes apart.
    let matches = token::matches(access, stored.as_deref().unwrap_or(""));
    let (Some(unit), true) = (unit, matches && stored.is_some()) else {
        tracing::info!(unit = code, "unit login refused");
        return Ok(unit_login(
            &state,
            headers,
            &selected,
            code,
            Some(lang.report().login_refused.into()),
            StatusCode::UNAUTHORIZED,
            lang,
        ));
    };
    let (_, cookie) = session::start(&state, Kind::Unit, &unit.code, Some(unit.id)).await?;
    let to = format!("/report?lang={}", lang.code());
    Ok(with_cookie(Redirect::to(&to), Some(cookie)))
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let lang = language(field(&form, "lang"), &headers);
    let mut cookie = None;
    if let Some(session) = session::current(&state, &headers, Kind::Unit).await? {
        session.check_csrf(field(&form, CSRF_FIELD))?;
        cookie = Some(session::end(&state, &session).await?);
    }
    let to = format!("/report?lang={}", lang.code());
    Ok(with_cookie(Redirect::to(&to), cookie))
}

async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(address): ClientAddr,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let Some(session) = session::current(&state, &headers, Kind::Unit).await? else {
        return Err(AppError::Unauthorized(
            "Phiên làm việc đã hết hạn, vui lòng đăng nhập lại".into(),
        ));
    };
    session.check_csrf(field(&form, CSRF_FIELD))?;
    let lang = language(field(&form, "lang"), &headers);
    let Some((selected, unit)) = session_unit(&state, &session).await? else {
        return Err(AppError::Forbidden("Đơn vị không còn hoạt động".into()));
    };
    state
        .limits()
        .check_ingest(&format!("unit:{}", unit.id))
        .await?;
    let (report, mut fields, note) = report_input(&selected, &form, lang);
    let day = chosen_day(&selected, field(&form, "day"), state.now());
    let writer = Writer::unit(&unit.code, address);
    let result = state
        .submitter()
        .submit(Submission::new(unit.clone(), writer, report))
        .await;
    match result {
        // POST-redirect-GET: reloading the answer must not send the figures again.
        Ok(submitted) => {
            let receipt = &submitted.receipt;
            let mut to = format!(
                "/report?lang={}&day={day}&saved={}",
                lang.code(),
                receipt.revision
            );
            if receipt.unchanged {
                to.push_str("&unchanged=1");
            }
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let mut form_page = form_page(&state, &selected, &unit, &session, day, lang).await?;
            let refusal = refused(e, &mut fields, lang.report().invalid_form)?;
            form_page.note = note;
            form_page.day_error = refusal.day;
            form_page.note_error = refusal.note;
            form_page.error = Some(refusal.summary);
            form_page.fields = fields;
            Ok(Page::private(refusal.status, form_page).into_response())
        }
    }
}

async fn form_page(
    state: &AppState,
    selected: &Selected,
    unit: &Unit,
    session: &Session,
    day: NaiveDate,
    lang: Lang,
) -> Result<FormPage> {
    let competition = &selected.record.competition;
    let l = lang.report();
    let now = state.now();
    let today = competition.local_date(now);
    let days = day_choices(selected, today, day, |d| {
        fill(
            l.day_option,
            &[
                ("n", &competition.day_number(d).to_string()),
                ("total", &competition.day_count().to_string()),
                ("date", &lang.date(d)),
            ],
        )
    });
    let reports = state.store().unit_reports(unit.id).await?;
    let revisions = state.store().unit_revisions(unit.id, None).await?;
    let deadline = competition.deadline(day);
    let closed = now >= deadline;
    let day_label = lang.date(day);
    let deadline_text = lang.date_time(deadline.with_timezone(&competition.timezone));
    let values = [
        ("day", day_label.as_str()),
        ("deadline", deadline_text.as_str()),
    ];
    Ok(FormPage {
        frame: Frame::form(
            selected,
            l.form_title,
            lang,
            format!("/report?lang={}&day={day}", lang.other().code()),
        ),
        t: lang.board(),
        l,
        unit_code_line: fill(l.unit_code_line, &[("code", &unit.code)]),
        deadline_line: fill(
            if closed {
                l.closed_notice
            } else {
                l.deadline_hint
            },
            &values,
        ),
        send_label: fill(l.send, &[("day", &day_label)]),
        all_revisions_label: fill(l.all_revisions, &[("n", &revisions.len().to_string())]),
        saved_line: String::new(),
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        csrf: session.csrf.clone(),
        days,
        day: crate::day::text(day),
        day_label,
        closed,
        final_: selected.record.is_final(),
        read_only: closed || selected.record.is_final(),
        fields: Vec::new(),
        note: String::new(),
        note_error: None,
        day_error: None,
        error: None,
        outcome: None,
        labels: counter_labels(selected, lang),
        history: history(selected, &reports, lang),
        revisions: revision_views(selected, &revisions, lang),
    })
}
