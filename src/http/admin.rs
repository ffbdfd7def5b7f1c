//! The organiser's workspace (`/admin`) and the organiser's JSON API
//! (`/api/v1/admin/finalize|freeze|reopen`). One room a module:
//! [`access`] (who may enter, login, logout), [`matrix`] (the
//! reporting-status matrix, the dashboard), [`corrections`] (entering a
//! unit's figures with a reason), [`import`] (bulk entry from a file),
//! [`reminders`] (the daily reminder's lists), [`audit`] (the audit log),
//! [`units`], [`tokens`] (access-code renewal and the printable access
//! letters), [`integrations`] (the province system's batch tokens),
//! [`lifecycle`] (freeze, finalize, re-open from the page), [`account`]
//! (the organiser's password and the API tokens) and [`api`] (the same
//! over JSON).
//!
//! Every admin page speaks Vietnamese or English (`?lang=`, a form's `lang`
//! field, else the browser's language); links and redirects keep the
//! choice, and the language switch leads to the same page.

pub mod access;
pub mod account;
pub mod api;
pub mod audit;
pub mod corrections;
pub mod import;
pub mod integrations;
pub mod lifecycle;
pub mod matrix;
pub mod reminders;
pub mod tokens;
pub mod units;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::page::errors;
use super::page::form::Choice;
use super::session::Session;
use crate::catalog::Selected;
use crate::error::{AppError, Result};
use crate::http::exports::IMPORT_LIMIT;
use crate::http::page::{Frame, encode};
use crate::i18n::{AdminLabels, Lang};
use crate::scope::Scope;
use crate::state::AppState;
use crate::store::Unit;

/// The admin pages; refusals are readable pages linking back to `/admin`.
pub fn routes(state: &AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/admin", get(matrix::dashboard))
        .route(
            "/admin/login",
            get(access::login_screen).post(access::login),
        )
        .route("/admin/logout", post(access::logout))
        .route(
            "/admin/report",
            get(corrections::correction_form).post(corrections::correct),
        )
        .route("/admin/audit", get(audit::audit_page))
        .route("/admin/account", get(account::account_page))
        .route("/admin/account/password", post(account::change_password))
        .route("/admin/account/tokens", post(account::issue_token))
        .route(
            "/admin/account/tokens/{id}/revoke",
            post(account::revoke_token),
        )
        .route("/admin/units", get(units::units_page).post(units::add_unit))
        .route("/admin/units/{code}", post(units::update_unit))
        .route("/admin/tokens", post(tokens::renew_codes))
        .route(
            "/admin/integrations",
            get(integrations::integrations_page).post(integrations::change),
        )
        .route("/admin/tokens/all", get(tokens::confirm_all))
        .route("/admin/finalize", get(lifecycle::confirm_finalize))
        .route("/admin/reminders", get(reminders::reminders_page))
        .route(
            "/admin/import",
            get(import::import_page)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route(
            "/admin/competition/{action}",
            post(lifecycle::competition_action),
        );
    errors::readable(pages, state, "/admin")
}

/// The query parameters of the admin pages.
#[derive(Deserialize, Default)]
pub struct AdminQuery {
    pub competition: Option<String>,
    pub group: Option<String>,
    pub q: Option<String>,
    pub unit: Option<String>,
    pub day: Option<String>,
    pub done: Option<String>,
    pub lang: Option<String>,
    /// The audit log's filters and page.
    pub action: Option<String>,
    pub actor: Option<String>,
    pub logins: Option<String>,
    pub page: Option<String>,
    /// The import's summary, after its redirect.
    pub lines: Option<usize>,
    pub created: Option<usize>,
    pub updated: Option<usize>,
    pub unchanged: Option<usize>,
    pub late: Option<usize>,
}

/// What every admin page shows around its content: who is signed in, the
/// form token, the competition, the page's place in the menu, and the
/// language with its labels.
pub struct Shell {
    pub admin: String,
    pub csrf: String,
    pub slug: String,
    pub active: &'static str,
    pub lang: Lang,
    pub a: &'static AdminLabels,
}

impl Shell {
    pub fn new(selected: &Selected, session: &Session, active: &'static str, lang: Lang) -> Shell {
        Shell {
            admin: session.subject.clone(),
            csrf: session.csrf.clone(),
            slug: selected.record.competition.slug.clone(),
            active,
            lang,
            a: lang.admin(),
        }
    }

    /// `competition=…&lang=…`: what every admin link keeps.
    pub fn keep(&self) -> String {
        format!(
            "competition={}&lang={}",
            encode(&self.slug),
            self.lang.code()
        )
    }

    /// An admin path with the kept parameters.
    pub fn href(&self, path: &str) -> String {
        format!("{path}?{}", self.keep())
    }
}

/// An admin page's frame in `lang`, whose language switch leads to
/// `here` (the page's own path and query) in the other language.
pub fn frame(selected: &Selected, title: &str, lang: Lang, here: &str) -> Frame {
    Frame::form(selected, title, lang, switch_language(here, lang.other()))
}

/// `here` with its `lang` parameter set to `lang`.
pub fn switch_language(here: &str, lang: Lang) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang=") && !p.starts_with("done="))
        .collect();
    let lang = format!("lang={}", lang.code());
    params.push(&lang);
    format!("{path}?{}", params.join("&"))
}

/// The competition a query or form names, else the current one among the
/// organiser's; 403 if it is not within their `scope`.
pub fn selected(state: &AppState, scope: &Scope, slug: Option<&str>) -> Result<Selected> {
    state
        .catalog()
        .competition_for(scope, slug.filter(|s| !s.is_empty()))
}

/// An instant as the admin pages write it (`HH:MM dd/mm/yyyy` in
/// Vietnamese), local time.
pub fn local(selected: &Selected, at: DateTime<Utc>, lang: Lang) -> String {
    lang.date_time(at.with_timezone(&selected.record.competition.timezone))
}

pub fn group_choices(selected: &Selected, chosen: &str) -> Vec<Choice> {
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
pub fn unit_named<'a>(selected: &'a Selected, code: &str) -> Result<&'a Unit> {
    selected
        .unit(code)
        .ok_or_else(|| AppError::field("unit", format!("Không có đơn vị mã {code:?}")))
}

pub fn unit_choices(selected: &Selected, chosen: &str) -> Vec<Choice> {
    selected
        .active_units()
        .map(|u| Choice {
            value: u.code.clone(),
            label: format!("{} — {}", u.code, u.name),
            selected: u.code == chosen,
        })
        .collect()
}

/// Where the organiser enters or corrects a unit's figures for a day.
pub fn correction_href(selected: &Selected, code: &str, day: NaiveDate, lang: Lang) -> String {
    format!(
        "/admin/report?competition={}&unit={}&day={day}&lang={}",
        encode(&selected.record.competition.slug),
        encode(code),
        lang.code()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_switch_stays_on_the_page() {
        assert_eq!(
            switch_language(
                "/admin/audit?competition=x&unit=SNV&lang=vi&done=1",
                Lang::En
            ),
            "/admin/audit?competition=x&unit=SNV&lang=en"
        );
        assert_eq!(switch_language("/admin", Lang::Vi), "/admin?lang=vi");
    }
}
