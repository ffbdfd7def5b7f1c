//! `/report`: the web form unit staff use to post a day's figures. They sign
//! in with their unit code and access code (the unit's API token); the form
//! is generated from the competition's counters and goes through the same
//! write path as the API (`ingest::submit`).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::extract::ClientAddr;
use super::ingest::{self, Submission};
use super::pages::{Frame, asset_url};
use crate::competition::Counter;
use crate::error::{AppError, ErrorDetails, FieldErrors, Result};
use crate::i18n::{BoardLabels, Lang, ReportLabels, fill};
use crate::session::{self, CSRF_FIELD, Kind, Session};
use crate::state::{AppState, Selected};
use crate::store::{ReportRow, RevisionRow, Unit};
use crate::token;

pub fn routes(state: &AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/report", get(show).post(save))
        .route("/report/login", post(login))
        .route("/report/logout", post(logout));
    readable_errors(pages, state, "/report")
}

pub(crate) fn frame(selected: &Selected, title: &str) -> Frame {
    let switch = format!("/?competition={}&lang=en", selected.record.competition.slug);
    frame_in(selected, title, Lang::Vi, switch)
}

/// A frame in `lang` whose language switch leads to `switch_href`.
pub(crate) fn frame_in(selected: &Selected, title: &str, lang: Lang, switch_href: String) -> Frame {
    let competition = &selected.record.competition;
    Frame {
        lang: lang.code(),
        title: format!("{title} — {}", competition.name),
        competition_name: competition.name.clone(),
        organizer: competition.organizer.clone(),
        css: asset_url("app"),
        extra_css: Some(asset_url("forms")),
        js: String::new(),
        home_href: format!("/?competition={}", competition.slug),
        switch_href,
        other_lang: lang.other().code(),
        tv: false,
    }
}

/// Renders a page that must never be cached (it carries a CSRF token, and
/// sometimes access codes).
pub(crate) fn page(status: StatusCode, template: &impl Template) -> Result<Response> {
    let html = template
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    let mut response = (status, axum::response::Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Template)]
#[template(path = "admin_message.html")]
pub(crate) struct MessagePage {
    pub frame: Frame,
    pub t: &'static BoardLabels,
    pub heading: String,
    pub message: String,
    pub back: String,
}

/// Answers the refused requests of HTML pages with a page people can read
/// (and act on), with the status code the API would give and a link back
/// to `back`; 5xx stay as the API gives them.
pub(crate) fn readable_errors(
    pages: Router<AppState>,
    state: &AppState,
    back: &'static str,
) -> Router<AppState> {
    pages.layer(middleware::map_response_with_state(
        (state.clone(), back),
        readable,
    ))
}

async fn readable(
    State((state, back)): State<(AppState, &'static str)>,
    response: Response,
) -> Response {
    let status = response.status();
    let Some(error) = response.extensions().get::<ErrorDetails>().cloned() else {
        return response;
    };
    if status.is_server_error() {
        return response;
    }
    let Ok(selected) = state.competition(None) else {
        return response;
    };
    let heading = match status {
        StatusCode::UNAUTHORIZED => "Cần đăng nhập lại",
        StatusCode::FORBIDDEN => "Không được phép",
        StatusCode::NOT_FOUND => "Không tìm thấy",
        StatusCode::TOO_MANY_REQUESTS => "Quá nhiều lần thử",
        _ => "Không thực hiện được",
    };
    let message = if error.code == "validation" {
        error.fields.into_values().collect::<Vec<_>>().join(" ")
    } else {
        error.message
    };
    let rendered = page(
        status,
        &MessagePage {
            frame: frame(&selected, heading),
            t: Lang::Vi.board(),
            heading: heading.into(),
            message,
            back: back.into(),
        },
    );
    match rendered {
        Ok(mut page) => {
            if let Some(secs) = error.retry_after {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            page
        }
        Err(_) => response,
    }
}

/// The competition a request names (`?competition=` or a form's hidden
/// field), else the current one.
pub(crate) fn selected(state: &AppState, slug: Option<&str>) -> Result<Selected> {
    state.competition(slug.filter(|s| !s.is_empty()))
}

/// A login page. Its form carries the login token, which is also set as a
/// cookie when the browser has none yet.
pub(crate) fn login_form<T: Template>(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    form: impl FnOnce(String) -> T,
) -> Result<Response> {
    let (csrf, cookie) = session::login_token(state, headers);
    Ok(with_cookie(page(status, &form(csrf))?, cookie))
}

/// `response`, setting `cookie` if there is one.
pub(crate) fn with_cookie(response: impl IntoResponse, cookie: Option<HeaderValue>) -> Response {
    let mut response = response.into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `?lang=` (or a form's `lang` field), else the browser's language.
pub(crate) fn language(explicit: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(explicit, accept)
}

/// The value of a form field, if sent.
pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// One counter of the form: its label, what is in the box, what is wrong.
pub struct CounterField {
    pub key: String,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

impl CounterField {
    fn new(counter: &Counter, lang: Lang, value: String) -> Self {
        CounterField {
            key: counter.key.clone(),
            label: lang
                .pick(&counter.label, counter.label_en.as_deref())
                .to_string(),
            value,
            error: None,
        }
    }
}

/// The counters' labels, in the competition's order (history columns).
pub(crate) fn counter_labels(selected: &Selected, lang: Lang) -> Vec<String> {
    selected
        .record
        .competition
        .counters
        .iter()
        .map(|c| lang.pick(&c.label, c.label_en.as_deref()).to_string())
        .collect()
}

/// One option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The competition's days up to `today`, `chosen` selected.
pub(crate) fn day_choices(
    selected: &Selected,
    today: NaiveDate,
    chosen: NaiveDate,
    label: impl Fn(NaiveDate) -> String,
) -> Vec<Choice> {
    selected
        .record
        .competition
        .days()
        .filter(|d| *d <= today)
        .map(|d| Choice {
            value: d.format("%Y-%m-%d").to_string(),
            label: label(d),
            selected: d == chosen,
        })
        .collect()
}

/// The day a form or link names, else today's, kept within the
/// competition's days.
pub(crate) fn chosen_day(
    selected: &Selected,
    text: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> NaiveDate {
    parse_day(text).unwrap_or_else(|| {
        let c = &selected.record.competition;
        c.local_date(now).clamp(c.start_date, c.end_date)
    })
}

pub(crate) fn parse_day(text: Option<&str>) -> Option<NaiveDate> {
    text.and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
}

/// One day of the unit's history.
pub struct HistoryDay {
    pub day: String,
    pub values: Vec<u64>,
    pub revision: i64,
    pub late: bool,
    pub corrected: bool,
}

/// One revision, for the history's detail.
pub struct RevisionView {
    pub day: String,
    pub revision: i64,
    pub by: String,
    pub at: String,
    pub values: Vec<u64>,
    pub note: String,
    pub reason: String,
}

/// The unit's standing after a save.
pub struct StandingView {
    pub rank: Option<u64>,
    pub board: String,
    pub score: Option<String>,
    pub grade: Option<String>,
    pub days_reported: u64,
}

/// What a save answered.
pub struct Outcome {
    pub revision: i64,
    pub unchanged: bool,
    pub late: bool,
    pub standing: StandingView,
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
}

/// The unit a live unit session belongs to, if it is still active.
async fn session_unit(state: &AppState, session: &Session) -> Result<Option<(Selected, Unit)>> {
    let Some(unit_id) = session.unit_id else {
        return Ok(None);
    };
    let find = || {
        let catalog = state.catalog();
        catalog.units.iter().find_map(|(competition_id, units)| {
            let unit = units.iter().find(|u| u.id == unit_id)?.clone();
            let selected = state.competition_by_id(*competition_id)?;
            Some((selected, unit))
        })
    };
    let found = match find() {
        Some(found) => Some(found),
        None => {
            state.reload().await?;
            find()
        }
    };
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
        form.fields = prefill(&state, &selected, &unit, day, lang).await?;
        return page(StatusCode::OK, &form);
    }
    let selected = state.competition(query.competition.as_deref())?;
    login_page(&state, &headers, &selected, "", None, StatusCode::OK, lang)
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    selected: &Selected,
    code: &str,
    error: Option<String>,
    status: StatusCode,
    lang: Lang,
) -> Result<Response> {
    let l = lang.report();
    login_form(state, headers, status, |csrf| LoginPage {
        frame: frame_in(
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

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(address): ClientAddr,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session::check_login_token(&headers, field(&form, CSRF_FIELD))?;
    let lang = language(field(&form, "lang"), &headers);
    let code = field(&form, "code").unwrap_or_default().trim();
    let access = field(&form, "access_code").unwrap_or_default().trim();
    state
        .limits()
        .check_login(&format!("unit:{code}"), address.as_deref())?;
    let selected = selected(&state, field(&form, "competition"))?;
    let unit = selected.unit(code).filter(|u| u.active).cloned();
    let stored = match &unit {
        Some(u) => state.store().unit_token_hash(u.id).await?,
        None => None,
    };
    // Hash even for an unknown code, so that timing does not tell codes apart.
    let matches = token::matches(access, stored.as_deref().unwrap_or(""));
    let (Some(unit), true) = (unit, matches && stored.is_some()) else {
        tracing::info!(unit = code, "unit login refused");
        return login_page(
            &state,
            &headers,
            &selected,
            code,
            Some(lang.report().login_refused.into()),
            StatusCode::UNAUTHORIZED,
            lang,
        );
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

/// Reads the form's figures into a report body for `report::parse`: blank
/// boxes are missing values, anything else that is not a whole number is
/// passed on as text so that the message names the field.
pub(crate) fn report_body(
    selected: &Selected,
    form: &[(String, String)],
    lang: Lang,
) -> (Value, Vec<CounterField>, String) {
    let competition = &selected.record.competition;
    let mut counters = Map::new();
    let mut fields = Vec::new();
    for counter in &competition.counters {
        let raw = field(form, &format!("counters.{}", counter.key))
            .unwrap_or_default()
            .trim()
            .to_string();
        if !raw.is_empty() {
            let value = raw
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(raw.clone()));
            counters.insert(counter.key.clone(), value);
        }
        fields.push(CounterField::new(counter, lang, raw));
    }
    let note = field(form, "note").unwrap_or_default().to_string();
    let mut body = json!({
        "day": field(form, "day").unwrap_or_default().trim(),
        "counters": counters,
    });
    if !note.trim().is_empty() {
        body["note"] = Value::String(note.clone());
    }
    (body, fields, note)
}

/// What a refused report shows on its form.
pub(crate) struct Refused {
    pub status: StatusCode,
    pub day: Option<String>,
    pub note: Option<String>,
    /// The line above the form.
    pub summary: String,
}

/// How a form shows a refusal of `ingest::submit`: validation messages next
/// to their fields (`invalid_form` above them when all found a field), a
/// conflict (day closed, competition final) above the form. Any other
/// error is not the form's to show.
pub(crate) fn refused(
    error: AppError,
    fields: &mut [CounterField],
    invalid_form: &str,
) -> Result<Refused> {
    let status = error.status();
    match error {
        AppError::Validation { fields: errors, .. } => {
            let (day, note, other) = place_errors(fields, &errors);
            let summary = if other.is_empty() {
                invalid_form.into()
            } else {
                other.join(" ")
            };
            Ok(Refused {
                status,
                day,
                note,
                summary,
            })
        }
        AppError::Conflict { message, .. } => Ok(Refused {
            status,
            day: None,
            note: None,
            summary: message,
        }),
        other => Err(other),
    }
}

/// Puts validation messages next to their fields; returns the ones that
/// belong to no field of the form.
fn place_errors(
    fields: &mut [CounterField],
    errors: &FieldErrors,
) -> (Option<String>, Option<String>, Vec<String>) {
    let mut day = None;
    let mut note = None;
    let mut other = Vec::new();
    for (path, message) in errors {
        if path == "day" {
            day = Some(message.clone());
        } else if path == "note" {
            note = Some(message.clone());
        } else if let Some(f) = path
            .strip_prefix("counters.")
            .and_then(|key| fields.iter_mut().find(|f| f.key == key))
        {
            f.error = Some(message.clone());
        } else {
            other.push(message.clone());
        }
    }
    (day, note, other)
}

pub(crate) fn outcome(body: &Value, selected: &Selected, lang: Lang) -> Outcome {
    let standing = &body["standing"];
    let board = standing["board"].as_str().unwrap_or_default();
    let board = selected
        .record
        .competition
        .groups
        .iter()
        .find(|g| g.code == board)
        .map(|g| g.name.clone())
        .unwrap_or_else(|| board.to_string());
    Outcome {
        revision: body["revision"].as_i64().unwrap_or_default(),
        unchanged: body["unchanged"].as_bool().unwrap_or(false),
        late: body["late"].as_bool().unwrap_or(false),
        standing: StandingView {
            rank: standing["rank"].as_u64(),
            board,
            score: standing["score_bp"]
                .as_u64()
                .and_then(|bp| u32::try_from(bp).ok())
                .map(|bp| lang.decimal(bp)),
            grade: standing["grade"].as_str().map(str::to_string),
            days_reported: standing["days_reported"].as_u64().unwrap_or_default(),
        },
    }
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
    state.limits().check_ingest(&format!("unit:{}", unit.id))?;
    let (body, mut fields, note) = report_body(&selected, &form, lang);
    let day = chosen_day(&selected, body["day"].as_str(), state.now());
    let submission = Submission::by_unit(unit.clone(), address);
    let result = ingest::submit(&state, submission, &body).await;
    let mut form_page = form_page(&state, &selected, &unit, &session, day, lang).await?;
    form_page.note = note;
    let status = match result {
        Ok(accepted) => {
            let saved = outcome(&accepted.body, &selected, lang);
            let l = lang.report();
            let day_text = lang.date(day);
            form_page.saved_line = if saved.unchanged {
                format!(
                    "{} — {}",
                    fill(l.unchanged, &[("day", &day_text)]),
                    l.unchanged_note
                )
            } else {
                format!(
                    "{} {}",
                    fill(l.saved, &[("day", &day_text)]),
                    fill(l.revision_n, &[("n", &saved.revision.to_string())])
                )
            };
            form_page.outcome = Some(saved);
            form_page.fields = prefill(&state, &selected, &unit, day, lang).await?;
            form_page.note = String::new();
            StatusCode::OK
        }
        Err(e) => {
            let refusal = refused(e, &mut fields, lang.report().invalid_form)?;
            form_page.day_error = refusal.day;
            form_page.note_error = refusal.note;
            form_page.error = Some(refusal.summary);
            form_page.fields = fields;
            refusal.status
        }
    };
    page(status, &form_page)
}

/// The boxes filled with the day's current figures, or empty.
pub(crate) async fn prefill(
    state: &AppState,
    selected: &Selected,
    unit: &Unit,
    day: NaiveDate,
    lang: Lang,
) -> Result<Vec<CounterField>> {
    let reports = state.store().unit_reports(unit.id).await?;
    let current = reports.iter().find(|r| r.day == day);
    Ok(selected
        .record
        .competition
        .counters
        .iter()
        .map(|c| {
            let value = current
                .and_then(|r| r.counters.get(&c.key))
                .map(u64::to_string)
                .unwrap_or_default();
            CounterField::new(c, lang, value)
        })
        .collect())
}

pub(crate) fn history(selected: &Selected, reports: &[ReportRow], lang: Lang) -> Vec<HistoryDay> {
    let competition = &selected.record.competition;
    reports
        .iter()
        .map(|r| HistoryDay {
            day: lang.date(r.day),
            values: crate::report::counter_values(competition, &r.counters),
            revision: r.revision,
            late: r.late,
            corrected: r.corrected,
        })
        .collect()
}

pub(crate) fn revision_views(
    selected: &Selected,
    revisions: &[RevisionRow],
    lang: Lang,
) -> Vec<RevisionView> {
    let competition = &selected.record.competition;
    let l = lang.report();
    revisions
        .iter()
        .rev()
        .map(|v| RevisionView {
            day: lang.date(v.day),
            revision: v.revision,
            by: if v.actor_kind == "unit" {
                l.by_unit.into()
            } else {
                fill(l.by_organizer, &[("name", &v.actor)])
            },
            at: lang.date_time(v.created_at.with_timezone(&competition.timezone)),
            values: crate::report::counter_values(competition, &v.counters),
            note: v.note.clone().unwrap_or_default(),
            reason: v.reason.clone().unwrap_or_default(),
        })
        .collect()
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
        frame: frame_in(
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
        day: day.format("%Y-%m-%d").to_string(),
        day_label,
        closed,
        final_: selected.record.is_final(),
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
