//! The organiser's workspace (`/admin`) and the admin JSON API
//! (`/api/v1/admin/*` except export): login, the reporting-status matrix,
//! corrections on a unit's behalf with a reason, the audit log, access-code
//! rotation, units, and freeze / finalize / re-open.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{AdminAuth, ClientAddr, JsonBody};
use super::ingest::{self, Submission};
use super::pages::Frame;
use super::unit_form::{
    Choice, CounterField, MessagePage, Outcome, RevisionView, chosen_day, counter_labels,
    day_choices, field, frame, login_form, outcome, page, parse_day, prefill, readable_errors,
    refused, report_body, revision_views, selected, with_cookie,
};
use crate::error::{AppError, Result};
use crate::i18n::{BoardLabels, Lang};
use crate::leaderboard::{self, Viewer};
use crate::lifecycle;
use crate::password;
use crate::ranking::Period;
use crate::session::{self, CSRF_FIELD, Kind, Session};
use crate::state::{AppState, Selected};
use crate::store::{AuditEntry, NewAudit, Unit};
use crate::token;
use crate::units::{UnitRow, is_valid_code};

pub fn routes(state: &AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/login", get(login_screen).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/report", get(correction_form).post(correct))
        .route("/admin/audit", get(audit_page))
        .route("/admin/units", get(units_page).post(add_unit))
        .route("/admin/units/{code}", post(update_unit))
        .route("/admin/tokens", post(rotate_tokens))
        .route("/admin/competition/{action}", post(competition_action));
    // The API keeps the JSON error shape.
    let api = Router::new()
        .route("/api/v1/admin/finalize", post(api_finalize))
        .route("/api/v1/admin/freeze", post(api_freeze))
        .route("/api/v1/admin/reopen", post(api_reopen));
    readable_errors(pages, state, "/admin").merge(api)
}

// ---------------------------------------------------------------- access

/// An organiser signed in through the web. Anonymous visitors are sent to
/// the login page; unit credentials (a unit's session or bearer token) are
/// refused with 403.
pub struct Organizer(pub Session);

impl FromRequestParts<AppState> for Organizer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        gate(parts, state).await.map_err(|e| match e {
            Refusal::Anonymous => Redirect::to("/admin/login").into_response(),
            Refusal::Unit => denied(state).unwrap_or_else(IntoResponse::into_response),
            Refusal::Error(e) => e.into_response(),
        })
    }
}

enum Refusal {
    Anonymous,
    Unit,
    Error(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::Error(e)
    }
}

async fn gate(parts: &Parts, state: &AppState) -> std::result::Result<Organizer, Refusal> {
    if let Some(s) = session::current(state, &parts.headers, Kind::Admin).await? {
        return Ok(Organizer(s));
    }
    if session::current(state, &parts.headers, Kind::Unit)
        .await?
        .is_some()
    {
        return Err(Refusal::Unit);
    }
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    if let Some(t) = bearer
        && state
            .store()
            .unit_by_token_hash(&token::hash(t))
            .await
            .map_err(AppError::from)?
            .is_some()
    {
        return Err(Refusal::Unit);
    }
    Err(Refusal::Anonymous)
}

fn denied(state: &AppState) -> Result<Response> {
    let selected = state.competition(None)?;
    page(
        StatusCode::FORBIDDEN,
        &MessagePage {
            frame: frame(&selected, "Không có quyền truy cập"),
            t: Lang::Vi.board(),
            back: "/report".into(),
            heading: "Không có quyền truy cập".into(),
            message: "Trang này dành cho Ban tổ chức (Sở Nội vụ). Đơn vị báo cáo số liệu tại trang Báo cáo.".into(),
        },
    )
}

/// What every admin page shows around its content.
pub struct Shell {
    pub admin: String,
    pub csrf: String,
    pub slug: String,
    pub active: &'static str,
}

fn shell(selected: &Selected, session: &Session, active: &'static str) -> Shell {
    Shell {
        admin: session.subject.clone(),
        csrf: session.csrf.clone(),
        slug: selected.record.competition.slug.clone(),
        active,
    }
}

async fn audit(
    state: &AppState,
    competition_id: Option<i64>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    reason: Option<&str>,
    details: Option<&str>,
) -> Result<()> {
    state
        .store()
        .audit(
            &NewAudit {
                competition_id,
                actor,
                action,
                target,
                reason,
                details,
            },
            state.now(),
        )
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    frame: Frame,
    t: &'static BoardLabels,
    csrf: String,
    name: String,
    error: Option<String>,
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response> {
    let selected = state.competition(None)?;
    login_form(state, headers, status, |csrf| LoginPage {
        frame: frame(&selected, "Đăng nhập Ban tổ chức"),
        t: Lang::Vi.board(),
        csrf,
        name: name.into(),
        error,
    })
}

async fn login_screen(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if session::current(&state, &headers, Kind::Admin)
        .await?
        .is_some()
    {
        return Ok(Redirect::to("/admin").into_response());
    }
    login_page(&state, &headers, "", None, StatusCode::OK)
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(address): ClientAddr,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session::check_login_token(&headers, field(&form, CSRF_FIELD))?;
    let name = field(&form, "name").unwrap_or_default().trim();
    let password = field(&form, "password").unwrap_or_default();
    state
        .limits()
        .check_login(&format!("admin:{name}"), address.as_deref())?;
    let user = state.store().admin_user(name).await?;
    // Verify against a dummy hash for unknown names, so timing tells nothing.
    let stored = user.as_ref().map(|u| u.password_hash.as_str()).unwrap_or(
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0000000000000000000000000000000000000000000",
    );
    let password = password.to_string();
    let stored_hash = stored.to_string();
    let ok = tokio::task::spawn_blocking(move || password::verify(&password, &stored_hash))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(admin = name, "admin login refused");
        return login_page(
            &state,
            &headers,
            name,
            Some("Tên đăng nhập hoặc mật khẩu không đúng.".into()),
            StatusCode::UNAUTHORIZED,
        );
    };
    let (_, cookie) = session::start(&state, Kind::Admin, &user.name, None).await?;
    audit(
        &state,
        None,
        &user.name,
        "admin.login",
        None,
        None,
        address.as_deref(),
    )
    .await?;
    Ok(with_cookie(Redirect::to("/admin"), Some(cookie)))
}

async fn logout(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session.check_csrf(field(&form, CSRF_FIELD))?;
    let cookie = session::end(&state, &session).await?;
    Ok(with_cookie(Redirect::to("/admin/login"), Some(cookie)))
}

// ---------------------------------------------------------------- dashboard

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    pub competition: Option<String>,
    pub group: Option<String>,
    pub q: Option<String>,
    pub unit: Option<String>,
    pub day: Option<String>,
    pub done: Option<String>,
}

/// One cell of the reporting-status matrix.
pub struct Cell {
    /// `on-time`, `late`, `corrected`, `missing`, `pending` or `future`
    /// (as CSS classes `st-…`).
    pub status: &'static str,
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

#[derive(Template)]
#[template(path = "admin_dashboard.html")]
struct DashboardPage {
    frame: Frame,
    t: &'static BoardLabels,
    shell: Shell,
    status: &'static str,
    status_label: &'static str,
    frozen_at: Option<String>,
    finalized_at: Option<String>,
    notice: Option<&'static str>,
    groups: Vec<Choice>,
    days: Vec<DayColumn>,
    rows: Vec<MatrixRow>,
    live: Vec<LiveEntry>,
    live_board: String,
    units: Vec<Choice>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "freeze" => "Đã đóng băng bảng xếp hạng công khai.",
        "finalize" => "Đã công bố kết quả chính thức; bảng xếp hạng cuối cùng đã được lưu.",
        "reopen" => "Đã mở lại cuộc thi.",
        "nothing" => "Không có gì thay đổi (trạng thái đã như vậy).",
        "reason" => "Cần ghi lý do mở lại cuộc thi.",
        "confirm" => "Cần đánh dấu ô xác nhận trước khi công bố kết quả chính thức.",
        _ => return None,
    })
}

fn local(selected: &Selected, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&selected.record.competition.timezone)
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

async fn dashboard(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Query(query): Query<AdminQuery>,
) -> Result<Response> {
    let selected = selected(&state, query.competition.as_deref())?;
    let competition = &selected.record.competition;
    let now = state.now();
    let today = competition.local_date(now);
    let group = query
        .group
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
            label: d.format("%d/%m").to_string(),
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
                    let (status, label) = match by_cell.get(&(u.id, *d)) {
                        Some(r) if r.corrected => ("corrected", "Đã sửa"),
                        Some(r) if r.late => ("late", "Trễ hạn"),
                        Some(_) => ("on-time", "Đúng hạn"),
                        None if now >= competition.deadline(*d) => ("missing", "Thiếu"),
                        None if *d <= today => ("pending", "Chưa nộp"),
                        None => ("future", ""),
                    };
                    match status {
                        "missing" => column.missing += 1,
                        "pending" | "future" => {}
                        _ => column.reported += 1,
                    }
                    Cell {
                        status,
                        label,
                        href: correction_href(&selected, &u.code, *d),
                    }
                })
                .collect(),
        })
        .collect();
    let board = if group.is_empty() { "all" } else { &group };
    let live =
        leaderboard::current(&state, &selected, board, Period::Whole, Viewer::Organizer).await?;
    let live_entries = live
        .board
        .entries
        .iter()
        .take(10)
        .map(|e| LiveEntry {
            rank: e.rank.to_string(),
            name: e.unit.name.clone(),
            score: format!("{},{:02}", e.score_bp / 100, e.score_bp % 100),
        })
        .collect();
    let mut groups = vec![Choice {
        value: String::new(),
        label: "Tất cả".into(),
        selected: group.is_empty(),
    }];
    groups.extend(group_choices(&selected, &group));
    let status = selected.record.status(now);
    page(
        StatusCode::OK,
        &DashboardPage {
            frame: frame(&selected, "Quản trị"),
            t: Lang::Vi.board(),
            shell: shell(&selected, &session, "dashboard"),
            status,
            status_label: match status {
                "final" => "Đã có kết quả chính thức",
                "frozen" => "Bảng công khai đang đóng băng",
                _ => "Đang diễn ra",
            },
            frozen_at: selected
                .record
                .freeze_instant(now)
                .map(|t| local(&selected, t)),
            finalized_at: selected.record.finalized_at.map(|t| local(&selected, t)),
            notice: notice(query.done.as_deref()),
            groups,
            days: columns,
            rows,
            live: live_entries,
            live_board: live.board.board_name.clone(),
            units: unit_choices(&selected, ""),
        },
    )
}

fn group_choices(selected: &Selected, chosen: &str) -> Vec<Choice> {
    selected
        .record
        .competition
        .groups
        .iter()
        .map(|g| Choice {
            value: g.code.clone(),
            label: g.name.clone(),
            selected: g.code == chosen,
        })
        .collect()
}

/// The unit a form's `unit` field names.
fn unit_named<'a>(selected: &'a Selected, code: &str) -> Result<&'a Unit> {
    selected
        .unit(code)
        .ok_or_else(|| AppError::field("unit", format!("Không có đơn vị mã {code:?}")))
}

fn unit_choices(selected: &Selected, chosen: &str) -> Vec<Choice> {
    selected
        .active_units()
        .map(|u| Choice {
            value: u.code.clone(),
            label: format!("{} — {}", u.code, u.name),
            selected: u.code == chosen,
        })
        .collect()
}

// ---------------------------------------------------------------- corrections

#[derive(Template)]
#[template(path = "admin_report.html")]
struct CorrectionPage {
    frame: Frame,
    t: &'static BoardLabels,
    shell: Shell,
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
    revisions: Vec<RevisionView>,
    labels: Vec<String>,
}

/// Where the organiser enters or corrects a unit's figures for a day.
fn correction_href(selected: &Selected, code: &str, day: NaiveDate) -> String {
    format!(
        "/admin/report?competition={}&unit={code}&day={day}",
        selected.record.competition.slug
    )
}

async fn correction_page(
    state: &AppState,
    selected: &Selected,
    session: &Session,
    unit: Option<&Unit>,
    day: NaiveDate,
) -> Result<CorrectionPage> {
    let competition = &selected.record.competition;
    let now = state.now();
    let today = competition.local_date(now);
    let (fields, revisions) = match unit {
        Some(u) => {
            let fields = prefill(state, selected, u, day, Lang::Vi).await?;
            let revisions = state.store().unit_revisions(u.id, Some(day)).await?;
            (fields, revision_views(selected, &revisions, Lang::Vi))
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(CorrectionPage {
        frame: frame(selected, "Nhập/sửa số liệu"),
        t: Lang::Vi.board(),
        shell: shell(selected, session, "report"),
        units: unit_choices(selected, unit.map(|u| u.code.as_str()).unwrap_or_default()),
        days: day_choices(selected, today, day, |d| {
            format!(
                "Ngày {} — {}",
                competition.day_number(d),
                d.format("%d/%m/%Y")
            )
        }),
        unit: unit.map(|u| (u.code.clone(), u.name.clone())),
        day: day.format("%Y-%m-%d").to_string(),
        day_label: day.format("%d/%m/%Y").to_string(),
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
        revisions,
        labels: counter_labels(selected, Lang::Vi),
    })
}

async fn correction_form(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Query(query): Query<AdminQuery>,
) -> Result<Response> {
    let selected = selected(&state, query.competition.as_deref())?;
    let day = chosen_day(&selected, query.day.as_deref(), state.now());
    let unit = query
        .unit
        .as_deref()
        .and_then(|c| selected.unit(c))
        .cloned();
    let form = correction_page(&state, &selected, &session, unit.as_ref(), day).await?;
    page(StatusCode::OK, &form)
}

async fn correct(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    ClientAddr(address): ClientAddr,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session.check_csrf(field(&form, CSRF_FIELD))?;
    let selected = selected(&state, field(&form, "competition"))?;
    let code = field(&form, "unit").unwrap_or_default().trim();
    let unit = unit_named(&selected, code)?.clone();
    let day = chosen_day(&selected, field(&form, "day"), state.now());
    let reason = field(&form, "reason")
        .unwrap_or_default()
        .trim()
        .to_string();
    let (body, mut fields, note) = report_body(&selected, &form, Lang::Vi);
    let mut page_data = correction_page(&state, &selected, &session, Some(&unit), day).await?;
    page_data.note = note;
    page_data.reason = reason.clone();
    if reason.is_empty() {
        page_data.reason_error = Some("Cần ghi lý do nhập/sửa số liệu".into());
        page_data.error = Some("Chưa lưu: cần ghi lý do.".into());
        page_data.fields = fields;
        return page(StatusCode::UNPROCESSABLE_ENTITY, &page_data);
    }
    let submission =
        Submission::by_organizer(unit.clone(), "admin", &session.subject, &reason, address);
    let status = match ingest::submit(&state, submission, &body).await {
        Ok(accepted) => {
            // Show the figures as now stored, with the new revision listed.
            let fresh = correction_page(&state, &selected, &session, Some(&unit), day).await?;
            page_data.fields = fresh.fields;
            page_data.revisions = fresh.revisions;
            page_data.outcome = Some(outcome(&accepted.body, &selected, Lang::Vi));
            page_data.reason = String::new();
            page_data.note = String::new();
            StatusCode::OK
        }
        Err(e) => {
            let invalid = "Số liệu chưa hợp lệ, vui lòng sửa các ô được đánh dấu.";
            let refusal = refused(e, &mut fields, invalid)?;
            page_data.day_error = refusal.day;
            page_data.note_error = refusal.note;
            page_data.error = Some(refusal.summary);
            page_data.fields = fields;
            refusal.status
        }
    };
    page(status, &page_data)
}

// ---------------------------------------------------------------- audit log

pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub details: String,
    /// The correction page of the day a report entry concerns, where every
    /// revision (old and new figures) is listed.
    pub link: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    frame: Frame,
    t: &'static BoardLabels,
    shell: Shell,
    q: String,
    entries: Vec<AuditView>,
}

fn action_label(action: &str) -> String {
    match action {
        "report.correct" => "Nhập/sửa số liệu thay đơn vị",
        "reports.import" => "Nhập số liệu hàng loạt",
        "competition.freeze" => "Đóng băng bảng công khai",
        "competition.finalize" => "Công bố kết quả chính thức",
        "competition.reopen" => "Mở lại cuộc thi",
        "competition.apply" => "Cập nhật cuộc thi",
        "units.tokens" => "Cấp lại mã truy cập",
        "units.import" => "Nạp danh sách đơn vị",
        "unit.add" => "Thêm đơn vị",
        "unit.update" => "Sửa thông tin đơn vị",
        "admin.login" => "Đăng nhập quản trị",
        other => return other.to_string(),
    }
    .to_string()
}

/// An audit entry as people read it: a report correction's figures by
/// their labels, with a link to every revision of that day.
fn audit_view(selected: &Selected, e: AuditEntry) -> AuditView {
    let competition = &selected.record.competition;
    let mut details = e.details.clone().unwrap_or_default();
    let mut link = None;
    if e.action == "report.correct"
        && let Some(parsed) = e
            .details
            .as_deref()
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
        && let Some(day) = parse_day(parsed["day"].as_str())
    {
        let figures: Vec<String> = competition
            .counters
            .iter()
            .filter_map(|c| {
                let v = parsed["counters"][&c.key].as_u64()?;
                Some(format!("{}: {v}", c.label))
            })
            .collect();
        details = format!(
            "Ngày {}, lần cập nhật {} — {}",
            day.format("%d/%m/%Y"),
            parsed["revision"].as_i64().unwrap_or_default(),
            figures.join("; ")
        );
        link = e
            .target
            .as_ref()
            .map(|code| correction_href(selected, code, day));
    }
    AuditView {
        at: local(selected, e.created_at),
        actor: e.actor,
        action: action_label(&e.action),
        target: e.target.unwrap_or_default(),
        reason: e.reason.unwrap_or_default(),
        details,
        link,
    }
}

async fn audit_page(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Query(query): Query<AdminQuery>,
) -> Result<Response> {
    let selected = selected(&state, query.competition.as_deref())?;
    let q: String = query
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(200)
        .collect();
    let entries = state
        .store()
        .audit_log(selected.record.id, &q, 500)
        .await?
        .into_iter()
        .map(|e: AuditEntry| audit_view(&selected, e))
        .collect();
    page(
        StatusCode::OK,
        &AuditPage {
            frame: frame(&selected, "Nhật ký thay đổi"),
            t: Lang::Vi.board(),
            shell: shell(&selected, &session, "audit"),
            q,
            entries,
        },
    )
}

// ---------------------------------------------------------------- units

pub struct UnitView {
    pub code: String,
    pub name: String,
    pub groups: Vec<Choice>,
    pub active: bool,
    pub has_token: bool,
}

#[derive(Template)]
#[template(path = "admin_units.html")]
struct UnitsPage {
    frame: Frame,
    t: &'static BoardLabels,
    shell: Shell,
    units: Vec<UnitView>,
    groups: Vec<Choice>,
    notice: Option<String>,
    error: Option<String>,
}

/// The units page; with an `error`, the form it answers was refused (422).
fn render_units(
    selected: &Selected,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response> {
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let units = selected
        .units
        .iter()
        .map(|u| UnitView {
            code: u.code.clone(),
            name: u.name.clone(),
            groups: group_choices(selected, &u.group),
            active: u.active,
            has_token: u.has_token,
        })
        .collect();
    page(
        status,
        &UnitsPage {
            frame: frame(selected, "Đơn vị"),
            t: Lang::Vi.board(),
            shell: shell(selected, session, "units"),
            units,
            groups: group_choices(selected, ""),
            notice,
            error,
        },
    )
}

async fn units_page(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Query(query): Query<AdminQuery>,
) -> Result<Response> {
    let selected = selected(&state, query.competition.as_deref())?;
    let notice = match query.done.as_deref() {
        Some("added") => Some("Đã thêm đơn vị.".to_string()),
        Some("updated") => Some("Đã lưu thông tin đơn vị.".to_string()),
        _ => None,
    };
    render_units(&selected, &session, notice, None)
}

/// Checks a unit's name and group from a form.
fn unit_fields(selected: &Selected, form: &[(String, String)]) -> Result<(String, String), String> {
    let name = field(form, "name").unwrap_or_default().trim().to_string();
    let group = field(form, "group").unwrap_or_default().trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("Tên đơn vị không được để trống và tối đa 200 ký tự.".into());
    }
    if selected.record.competition.group(&group).is_none() {
        return Err("Khối/nhóm không có trong cuộc thi.".into());
    }
    Ok((name, group))
}

async fn add_unit(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session.check_csrf(field(&form, CSRF_FIELD))?;
    let selected = selected(&state, field(&form, "competition"))?;
    let code = field(&form, "code").unwrap_or_default().trim().to_string();
    let checked = if !is_valid_code(&code) {
        Err("Mã đơn vị gồm 1–32 ký tự chữ, số, '-', '_' hoặc '.'.".to_string())
    } else if selected.unit(&code).is_some() {
        Err(format!("Đã có đơn vị mã {code}."))
    } else {
        unit_fields(&selected, &form)
    };
    let (name, group) = match checked {
        Ok(v) => v,
        Err(message) => return render_units(&selected, &session, None, Some(message)),
    };
    let row = UnitRow {
        code: code.clone(),
        name: name.clone(),
        group: group.clone(),
        active: true,
        parent: None,
    };
    state
        .store()
        .import_units(selected.record.id, &[row], state.now())
        .await?;
    let details = json!({"name": name, "group": group}).to_string();
    audit(
        &state,
        Some(selected.record.id),
        &session.subject,
        "unit.add",
        Some(&code),
        None,
        Some(&details),
    )
    .await?;
    state.reload().await?;
    Ok(Redirect::to(&format!(
        "/admin/units?competition={}&done=added",
        selected.record.competition.slug
    ))
    .into_response())
}

async fn update_unit(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Path(code): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session.check_csrf(field(&form, CSRF_FIELD))?;
    let selected = selected(&state, field(&form, "competition"))?;
    let unit = selected
        .unit(&code)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("Không có đơn vị mã {code:?}")))?;
    let (name, group) = match unit_fields(&selected, &form) {
        Ok(v) => v,
        Err(message) => return render_units(&selected, &session, None, Some(message)),
    };
    let active = field(&form, "active").is_some();
    let row = UnitRow {
        code: unit.code.clone(),
        name: name.clone(),
        group: group.clone(),
        active,
        parent: unit.parent.clone(),
    };
    let summary = state
        .store()
        .import_units(selected.record.id, &[row], state.now())
        .await?;
    if summary.updated > 0 {
        let details = json!({
            "before": {"name": unit.name, "group": unit.group, "active": unit.active},
            "after": {"name": name, "group": group, "active": active},
        })
        .to_string();
        audit(
            &state,
            Some(selected.record.id),
            &session.subject,
            "unit.update",
            Some(&unit.code),
            None,
            Some(&details),
        )
        .await?;
        if !active {
            state.store().delete_unit_sessions(&[unit.id]).await?;
        }
        state.reload().await?;
    }
    Ok(Redirect::to(&format!(
        "/admin/units?competition={}&done=updated",
        selected.record.competition.slug
    ))
    .into_response())
}

// ---------------------------------------------------------------- tokens

pub struct IssuedToken {
    pub code: String,
    pub name: String,
    pub token: String,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    frame: Frame,
    t: &'static BoardLabels,
    shell: Shell,
    issued: Vec<IssuedToken>,
    csv_href: String,
}

fn tokens_csv(issued: &[IssuedToken]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(e.into());
    writer.write_record(["code", "token"]).map_err(internal)?;
    for t in issued {
        writer.write_record([&t.code, &t.token]).map_err(internal)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
}

/// Rotates one unit's access code, or every active unit's: the old codes
/// stop working at once (API and web form), the new ones are shown once.
async fn rotate_tokens(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session.check_csrf(field(&form, CSRF_FIELD))?;
    let selected = selected(&state, field(&form, "competition"))?;
    let code = field(&form, "unit").unwrap_or_default().trim();
    let chosen: Vec<&Unit> = if code.is_empty() {
        selected.active_units().collect()
    } else {
        vec![unit_named(&selected, code)?]
    };
    let issued: Vec<IssuedToken> = chosen
        .iter()
        .map(|u| IssuedToken {
            code: u.code.clone(),
            name: u.name.clone(),
            token: token::generate(),
        })
        .collect();
    let hashes: Vec<(String, String)> = issued
        .iter()
        .map(|t| (t.code.clone(), token::hash(&t.token)))
        .collect();
    state
        .store()
        .set_unit_tokens(selected.record.id, &hashes, state.now())
        .await?;
    let ids: Vec<i64> = chosen.iter().map(|u| u.id).collect();
    state.store().delete_unit_sessions(&ids).await?;
    audit(
        &state,
        Some(selected.record.id),
        &session.subject,
        "units.tokens",
        (!code.is_empty()).then_some(code),
        None,
        Some(&format!("{} mã truy cập mới", issued.len())),
    )
    .await?;
    state.reload().await?;
    let csv = tokens_csv(&issued)?;
    if field(&form, "format") == Some("csv") {
        let filename = format!(
            "attachment; filename=\"ma-truy-cap-{}.csv\"",
            selected.record.competition.slug
        );
        let mut response = (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            csv,
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&filename) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(response);
    }
    // Codes are `[A-Za-z0-9._-]` and tokens hex: the CSV needs no escaping
    // beyond percent-encoding its line breaks and commas for a data: link.
    let text = String::from_utf8_lossy(&csv)
        .replace(',', "%2C")
        .replace('\n', "%0A");
    page(
        StatusCode::OK,
        &TokensPage {
            frame: frame(&selected, "Mã truy cập mới"),
            t: Lang::Vi.board(),
            shell: shell(&selected, &session, "dashboard"),
            issued,
            csv_href: format!("data:text/csv;charset=utf-8,{text}"),
        },
    )
}

// ---------------------------------------------------------------- lifecycle

async fn competition_action(
    State(state): State<AppState>,
    Organizer(session): Organizer,
    Path(action): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session.check_csrf(field(&form, CSRF_FIELD))?;
    let selected = selected(&state, field(&form, "competition"))?;
    let actor = session.subject.as_str();
    let reason = field(&form, "reason").unwrap_or_default().trim();
    let done = match action.as_str() {
        "freeze" => lifecycle::freeze_now(&state, &selected, actor).await?,
        "finalize" if field(&form, "confirm").is_none() => {
            return Ok(back(&selected, "confirm"));
        }
        "finalize" => lifecycle::finalize(&state, &selected, actor).await?,
        "reopen" if reason.is_empty() => return Ok(back(&selected, "reason")),
        "reopen" => lifecycle::reopen(&state, &selected, actor, reason).await?,
        _ => return Err(AppError::NotFound("Không có thao tác này".into())),
    };
    Ok(back(&selected, if done { &action } else { "nothing" }))
}

fn back(selected: &Selected, done: &str) -> Response {
    Redirect::to(&format!(
        "/admin?competition={}&done={done}",
        selected.record.competition.slug
    ))
    .into_response()
}

#[derive(Deserialize, Default)]
pub struct CompetitionQuery {
    pub competition: Option<String>,
}

/// `POST /api/v1/admin/finalize`: `{"finalized": true}` when this call
/// finalized the competition, `false` when it already was (a no-op).
#[utoipa::path(
    post,
    path = "/api/v1/admin/finalize",
    params(("competition" = Option<String>, Query)),
    responses(
        (status = 200, description = "Done, or already so (a no-op)"),
        (status = 401, body = super::openapi::ErrorBody), (status = 403, body = super::openapi::ErrorBody), (status = 404, body = super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn api_finalize(
    State(state): State<AppState>,
    AdminAuth(name): AdminAuth,
    Query(query): Query<CompetitionQuery>,
) -> Result<Json<Value>> {
    let selected = selected(&state, query.competition.as_deref())?;
    let done = lifecycle::finalize(&state, &selected, &name).await?;
    let selected = state.competition(Some(&selected.record.competition.slug))?;
    Ok(Json(json!({
        "finalized": done,
        "status": selected.record.status(state.now()),
        "finalized_at": selected.record.finalized_at,
    })))
}

/// `POST /api/v1/admin/freeze`: freezes the public board now.
#[utoipa::path(
    post,
    path = "/api/v1/admin/freeze",
    params(("competition" = Option<String>, Query)),
    responses(
        (status = 200, description = "Done, or already so (a no-op)"),
        (status = 401, body = super::openapi::ErrorBody), (status = 403, body = super::openapi::ErrorBody), (status = 404, body = super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn api_freeze(
    State(state): State<AppState>,
    AdminAuth(name): AdminAuth,
    Query(query): Query<CompetitionQuery>,
) -> Result<Json<Value>> {
    let selected = selected(&state, query.competition.as_deref())?;
    let done = lifecycle::freeze_now(&state, &selected, &name).await?;
    let selected = state.competition(Some(&selected.record.competition.slug))?;
    Ok(Json(json!({
        "frozen": done,
        "status": selected.record.status(state.now()),
    })))
}

/// `POST /api/v1/admin/reopen` with `{"reason": "…"}` (mandatory).
#[utoipa::path(
    post,
    path = "/api/v1/admin/reopen",
    params(("competition" = Option<String>, Query)),
    request_body(content = Object, description = "{\"reason\": \"…\"}, mandatory"),
    responses(
        (status = 200, description = "Done, or already so (a no-op)"),
        (status = 401, body = super::openapi::ErrorBody), (status = 403, body = super::openapi::ErrorBody), (status = 404, body = super::openapi::ErrorBody), (status = 422, body = super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn api_reopen(
    State(state): State<AppState>,
    AdminAuth(name): AdminAuth,
    Query(query): Query<CompetitionQuery>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>> {
    let reason = body
        .get("reason")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| AppError::field("reason", "Cần ghi lý do mở lại cuộc thi"))?;
    if reason.chars().count() > 1000 {
        return Err(AppError::field("reason", "Lý do tối đa 1.000 ký tự"));
    }
    let selected = selected(&state, query.competition.as_deref())?;
    let done = lifecycle::reopen(&state, &selected, &name, reason).await?;
    let selected = state.competition(Some(&selected.record.competition.slug))?;
    Ok(Json(json!({
        "reopened": done,
        "status": selected.record.status(state.now()),
    })))
}
