//! Who may enter the admin area: an organiser's web session. Anonymous
//! visitors are sent to the login page; unit credentials (a unit's session
//! or bearer token) are refused with 403. Login (argon2, rate-limited per
//! account and address) and logout.

use askama::Template;
use axum::extract::{Form, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};

use super::{AdminQuery, Shell, frame, selected};
use crate::catalog::Selected;

use crate::audit::{Audit, AuditAction};
use crate::error::{AppError, Result};
use crate::http::extract::bearer;
use crate::http::page::errors::MessagePage;
use crate::http::page::form::login_page;
use crate::http::page::{Frame, Page, field, language, with_cookie};
use crate::http::session::{self, CSRF_FIELD, Kind, LoginAttempt, Session};
use crate::i18n::{AdminLabels, BoardLabels, Lang};
use crate::password;
use crate::scope::Scope;
use crate::state::AppState;
use crate::token;

/// An organiser signed in through the web, with what they may act on.
/// Anonymous visitors are sent to the login page; unit credentials (a
/// unit's session or bearer token) are refused with 403.
pub struct OrganizerSession(pub Session, pub Scope);

impl FromRequestParts<AppState> for OrganizerSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        gate(parts, state).await.map_err(|e| match e {
            Refusal::Anonymous => Redirect::to("/admin/login").into_response(),
            Refusal::Unit => denied(state).unwrap_or_else(IntoResponse::into_response),
            Refusal::Error(e) => e.into_response(),
        })
    }
}

/// An admin page: the organiser's session and the competition the query
/// names (else the current one), with the rest of the query.
pub struct AdminView {
    pub session: Session,
    /// The competitions the organiser may act on.
    pub scope: Scope,
    pub selected: Selected,
    pub query: AdminQuery,
    pub lang: Lang,
    /// The page's own path and query, for the language switch.
    pub here: String,
}

impl AdminView {
    /// What every admin page shows around its content.
    pub fn shell(&self, active: &'static str) -> Shell {
        Shell::new(&self.selected, &self.session, active, self.lang)
    }
}

impl FromRequestParts<AppState> for AdminView {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let OrganizerSession(session, scope) =
            OrganizerSession::from_request_parts(parts, state).await?;
        let query: AdminQuery = crate::http::extract::query(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let selected = selected(state, &scope, query.competition.as_deref())
            .map_err(IntoResponse::into_response)?;
        let lang = language(
            query.lang.as_deref().filter(|l| matches!(*l, "vi" | "en")),
            &parts.headers,
        );
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/admin".into());
        Ok(AdminView {
            session,
            scope,
            selected,
            query,
            lang,
            here,
        })
    }
}

/// An admin form post: the organiser's session, the form's CSRF token
/// checked, the competition the form names (else the current one), and the
/// form's fields.
pub struct AdminForm {
    pub session: Session,
    /// The competitions the organiser may act on.
    pub scope: Scope,
    pub selected: Selected,
    pub fields: Vec<(String, String)>,
    /// The form's `lang` field, else the browser's language.
    pub lang: Lang,
    /// Where the service is reached, as the browser reached it: the access
    /// letters' QR codes point there.
    pub base_url: String,
}

impl AdminForm {
    /// A field of the form, if sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }

    pub fn shell(&self, active: &'static str) -> Shell {
        Shell::new(&self.selected, &self.session, active, self.lang)
    }
}

/// The service's address as the request reached it: `Host`, over HTTPS when
/// cookies are marked secure (the service then runs behind HTTPS).
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if state.config().secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

impl FromRequest<AppState> for AdminForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let OrganizerSession(session, scope) =
            OrganizerSession::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let Form(fields) =
            Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(|_| {
                    AppError::BadRequest("Không đọc được nội dung biểu mẫu".into()).into_response()
                })?;
        session
            .check_csrf(field(&fields, CSRF_FIELD))
            .map_err(IntoResponse::into_response)?;
        crate::text::check_fields(&fields).map_err(IntoResponse::into_response)?;
        let selected = selected(state, &scope, field(&fields, "competition"))
            .map_err(IntoResponse::into_response)?;
        let lang = language(
            field(&fields, "lang").filter(|l| matches!(*l, "vi" | "en")),
            &headers,
        );
        Ok(AdminForm {
            session,
            scope,
            selected,
            fields,
            lang,
            base_url: base_url(state, &headers),
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

async fn gate(parts: &Parts, state: &AppState) -> std::result::Result<OrganizerSession, Refusal> {
    if let Some(s) = session::current(state, &parts.headers, Kind::Organizer).await? {
        let scope = state
            .store()
            .organizer_scope(&s.subject)
            .await
            .map_err(AppError::from)?;
        return Ok(OrganizerSession(s, scope));
    }
    if session::current(state, &parts.headers, Kind::Unit)
        .await?
        .is_some()
    {
        return Err(Refusal::Unit);
    }
    if let Some(t) = bearer(parts)
        && state
            .store()
            .unit_by_token_hash(&token::lookup_hash(t))
            .await
            .map_err(AppError::from)?
            .is_some()
    {
        return Err(Refusal::Unit);
    }
    Err(Refusal::Anonymous)
}

fn denied(state: &AppState) -> Result<Response> {
    let selected = state.catalog().competition(None)?;
    let page = MessagePage::new(
        &selected,
        "Không có quyền truy cập",
        "Trang này dành cho Ban tổ chức (Sở Nội vụ). Đơn vị báo cáo số liệu tại trang Báo cáo."
            .into(),
        "/report",
    );
    Ok(Page::private(StatusCode::FORBIDDEN, page).into_response())
}

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    frame: Frame,
    t: &'static BoardLabels,
    a: &'static AdminLabels,
    csrf: String,
    name: String,
    error: Option<String>,
}

fn organizer_login(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    error: Option<String>,
    status: StatusCode,
    lang: Lang,
) -> Result<Response> {
    let selected = state.catalog().competition(None)?;
    let a = lang.admin();
    Ok(login_page(state, headers, status, |csrf| LoginPage {
        frame: frame(&selected, a.login_title, lang, "/admin/login"),
        t: lang.board(),
        a,
        csrf,
        name: name.into(),
        error,
    }))
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

pub async fn login_screen(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Result<Response> {
    let lang = language(query.lang.as_deref(), &headers);
    if session::current(&state, &headers, Kind::Organizer)
        .await?
        .is_some()
    {
        return Ok(Redirect::to(&format!("/admin?lang={}", lang.code())).into_response());
    }
    organizer_login(&state, &headers, "", None, StatusCode::OK, lang)
}

pub async fn login(State(state): State<AppState>, attempt: LoginAttempt) -> Result<Response> {
    let (headers, address) = (&attempt.headers, &attempt.address);
    let name = attempt.field("name");
    let password = field(&attempt.fields, "password").unwrap_or_default();
    // A browser this organiser signed in from before is limited on its own
    // (see `limits`); any other attempt counts against the account and the
    // address.
    let device = match session::cookie(headers, session::DEVICE_COOKIE) {
        Some(key) => {
            let hash = token::hash(&key);
            let owner = state.store().organizer_device(&hash, state.now()).await?;
            owner.filter(|owner| owner == name).map(|_| hash)
        }
        None => None,
    };
    match &device {
        Some(hash) => state.limits().check_login_device(hash).await?,
        None => {
            state
                .limits()
                .check_login(&format!("organizer:{name}"), address.as_deref())
                .await?
        }
    }
    let user = state.store().organizer(name).await?;
    // Verify against a dummy hash for unknown names, so timing tells nothing.
    let stored = user.as_ref().map(|u| u.password_hash.as_str()).unwrap_or(
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0000000000000000000000000000000000000000000",
    );
    let password = password.to_string();
    let stored_hash = stored.to_string();
    let ok = tokio::task::spawn_blocking(move || password::verify(&password, &stored_hash))
        .await
        .unwrap_or(false);
    let chosen = Some(attempt.field("lang")).filter(|l| matches!(*l, "vi" | "en"));
    let lang = language(chosen, headers);
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(organizer = name, "organiser login refused");
        return organizer_login(
            &state,
            headers,
            name,
            Some(lang.admin().login_refused.into()),
            StatusCode::UNAUTHORIZED,
            lang,
        );
    };
    let (_, cookie) = session::start(&state, Kind::Organizer, &user.name, None).await?;
    let audit = Audit::new(AuditAction::OrganizerLogin, &user.name)
        .details(&serde_json::json!({ "address": address }));
    state.store().audit(&audit, state.now()).await?;
    let to = match chosen {
        Some(l) => format!("/admin?lang={l}"),
        None => "/admin".to_string(),
    };
    let mut response = with_cookie(Redirect::to(&to), Some(cookie));
    if device.is_none() {
        let key = token::generate();
        let now = state.now();
        state
            .store()
            .add_organizer_device(
                &user.name,
                &token::hash(&key),
                now,
                now + session::DEVICE_LIFETIME,
            )
            .await?;
        let device_cookie = session::set_cookie(
            &state,
            session::DEVICE_COOKIE,
            &key,
            session::DEVICE_LIFETIME,
        );
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, device_cookie);
    }
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    OrganizerSession(session, _): OrganizerSession,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    session.check_csrf(field(&form, CSRF_FIELD))?;
    crate::text::check_fields(&form)?;
    let cookie = session::end(&state, &session).await?;
    let lang = field(&form, "lang").filter(|l| matches!(*l, "vi" | "en"));
    let to = format!("/admin/login?lang={}", lang.unwrap_or("vi"));
    Ok(with_cookie(Redirect::to(&to), Some(cookie)))
}
