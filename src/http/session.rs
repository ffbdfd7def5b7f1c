//! Web sessions for organisers and unit staff, and the CSRF tokens of their
//! forms.
//!
//! The cookie holds a random 256-bit key; the database keeps only its hash.
//! Cookies are HttpOnly and SameSite=Lax (and Secure behind HTTPS); every
//! form carries the session's own CSRF token, compared in constant time.
//! Login forms, which come before any session, use a double-submit token: a
//! random cookie that the form must repeat.

use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, Method, header, request::Parts};
use chrono::{DateTime, Duration, Utc};
use subtle::ConstantTimeEq;

use super::extract::ClientAddr;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::store::SessionRow;
use crate::token;

/// The cookie that carries the login forms' double-submit token.
pub const LOGIN_COOKIE: &str = "thidua_login";

/// The cookie that marks a browser where an organiser signed in before
/// (see `limits`): its random key, stored only as a hash.
pub const DEVICE_COOKIE: &str = "thidua_device";

/// How long a browser stays known without signing in again.
pub const DEVICE_LIFETIME: Duration = Duration::days(90);

/// The form field every form sends its CSRF token in.
pub const CSRF_FIELD: &str = "csrf";

/// The header that carries the CSRF token when a session (not a bearer
/// token) calls a JSON endpoint that changes something.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Whose session: an organiser's (`/admin`) or a unit's (`/report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Organizer,
    Unit,
}

impl Kind {
    /// The cookie names are part of what browsers hold: `thidua_admin` for
    /// the admin area, `thidua_unit` for the report form.
    pub fn cookie(self) -> &'static str {
        match self {
            Kind::Organizer => "thidua_admin",
            Kind::Unit => "thidua_unit",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Organizer => "organizer",
            Kind::Unit => "unit",
        }
    }

    /// An organiser's working day; a unit's staff may keep the form open
    /// from morning to evening.
    pub fn lifetime(self) -> Duration {
        match self {
            Kind::Organizer => Duration::hours(8),
            Kind::Unit => Duration::hours(12),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub kind: Kind,
    /// The organiser's name, or the unit's code.
    pub subject: String,
    pub unit_id: Option<i64>,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
    key_hash: String,
}

impl Session {
    /// The hash of the session's key: which session this is, among the
    /// subject's others.
    pub fn key_hash(&self) -> &str {
        &self.key_hash
    }

    /// Refuses (403) a form whose CSRF token is missing or wrong.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<()> {
        if same_secret(presented, &self.csrf) {
            Ok(())
        } else {
            Err(csrf_refused())
        }
    }
}

fn csrf_refused() -> AppError {
    AppError::Forbidden(
        "Phiên làm việc không hợp lệ hoặc đã hết hạn (mã CSRF sai). Vui lòng tải lại trang và thử lại."
            .into(),
    )
}

fn same_secret(presented: Option<&str>, expected: &str) -> bool {
    match presented {
        Some(p) if !expected.is_empty() => p.as_bytes().ct_eq(expected.as_bytes()).into(),
        _ => false,
    }
}

/// A `Set-Cookie` value with the attributes every cookie of ours carries.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Duration) -> HeaderValue {
    let secure = if state.config().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        max_age.num_seconds().max(0)
    );
    // Names are ours and values are hex, so the header is always valid.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(state: &AppState, name: &str) -> HeaderValue {
    set_cookie(state, name, "", Duration::zero())
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Starts a session; returns it with the `Set-Cookie` header value.
pub async fn start(
    state: &AppState,
    kind: Kind,
    subject: &str,
    unit_id: Option<i64>,
) -> Result<(Session, HeaderValue)> {
    let key = token::generate();
    let now = state.now();
    let row = SessionRow {
        key_hash: token::hash(&key),
        kind: kind.as_str().into(),
        subject: subject.into(),
        unit_id,
        csrf: token::generate(),
        created_at: now,
        expires_at: now + kind.lifetime(),
    };
    state.store().create_session(&row).await?;
    if rand::random::<u8>() == 0 {
        // Now and then, clear out what expired.
        state.store().delete_expired_sessions(now).await?;
    }
    let cookie = set_cookie(state, kind.cookie(), &key, kind.lifetime());
    Ok((
        Session {
            kind,
            subject: row.subject,
            unit_id,
            csrf: row.csrf,
            expires_at: row.expires_at,
            key_hash: row.key_hash,
        },
        cookie,
    ))
}

/// The live session of `kind` the request's cookie names, if any.
pub async fn current(state: &AppState, headers: &HeaderMap, kind: Kind) -> Result<Option<Session>> {
    let Some(key) = cookie(headers, kind.cookie()) else {
        return Ok(None);
    };
    let Some(row) = state
        .store()
        .session(&token::hash(&key), state.now())
        .await?
    else {
        return Ok(None);
    };
    if row.kind != kind.as_str() {
        return Ok(None);
    }
    Ok(Some(Session {
        kind,
        subject: row.subject,
        unit_id: row.unit_id,
        csrf: row.csrf,
        expires_at: row.expires_at,
        key_hash: row.key_hash,
    }))
}

/// Ends a session; returns the `Set-Cookie` value that clears its cookie.
pub async fn end(state: &AppState, session: &Session) -> Result<HeaderValue> {
    state.store().delete_session(&session.key_hash).await?;
    Ok(clear_cookie(state, session.kind.cookie()))
}

/// The login form's double-submit token: the one the browser already holds,
/// or a new one with the `Set-Cookie` value that gives it.
pub fn login_token(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, LOGIN_COOKIE).filter(|v| v.len() == 64) {
        Some(t) => (t, None),
        None => {
            let t = token::generate();
            let cookie = set_cookie(state, LOGIN_COOKIE, &t, Duration::hours(12));
            (t, Some(cookie))
        }
    }
}

/// Refuses (403) a login form whose token does not repeat its cookie.
pub fn check_login_token(headers: &HeaderMap, presented: Option<&str>) -> Result<()> {
    match cookie(headers, LOGIN_COOKIE) {
        Some(expected) if same_secret(presented, &expected) => Ok(()),
        _ => Err(csrf_refused()),
    }
}

/// A posted login form whose double-submit token matched: its fields, the
/// request's headers and the client's address (for the rate limits).
pub struct LoginAttempt {
    pub fields: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub address: Option<String>,
}

impl LoginAttempt {
    /// A field of the form, trimmed, or empty.
    pub fn field(&self, name: &str) -> &str {
        crate::http::page::field(&self.fields, name)
            .unwrap_or_default()
            .trim()
    }
}

impl<S: Send + Sync> FromRequest<S> for LoginAttempt {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let (mut parts, body) = req.into_parts();
        let ClientAddr(address) = ClientAddr::from_request_parts(&mut parts, state)
            .await
            .unwrap_or(ClientAddr(None));
        let headers = parts.headers.clone();
        let Form(fields) =
            Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(|_| AppError::BadRequest("Không đọc được nội dung biểu mẫu".into()))?;
        check_login_token(&headers, crate::http::page::field(&fields, CSRF_FIELD))?;
        crate::text::check_fields(&fields)?;
        Ok(LoginAttempt {
            fields,
            headers,
            address,
        })
    }
}

/// An organiser signed in through the web, for endpoints that also take an
/// admin bearer token (exports, finalize). A request that changes something
/// must repeat the session's CSRF token in the `X-CSRF-Token` header, so a
/// page on another site cannot drive it with the organiser's cookie.
pub async fn organizer_from_request(parts: &Parts, state: &AppState) -> Result<Option<String>> {
    let Some(session) = current(state, &parts.headers, Kind::Organizer).await? else {
        if current(state, &parts.headers, Kind::Unit).await?.is_some() {
            return Err(AppError::Forbidden(
                "Chức năng này dành cho Ban tổ chức".into(),
            ));
        }
        return Ok(None);
    };
    if parts.method != Method::GET && parts.method != Method::HEAD {
        let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        session.check_csrf(presented)?;
    }
    Ok(Some(session.subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; thidua_admin_x=2; thidua_admin=abc"),
        );
        assert_eq!(cookie(&headers, "thidua_admin").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "thidua_unit"), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(Some("abc"), "abc"));
        assert!(!same_secret(Some("ab"), "abc"));
        assert!(!same_secret(None, "abc"));
        assert!(!same_secret(Some(""), ""));
    }
}
