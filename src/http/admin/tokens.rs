//! Renewing units' access codes: one unit's by default, every active
//! unit's only after a confirmation page that says how many units lose
//! their codes (mid-week that cuts off the whole province). The old codes
//! stop working at once (API and web form, whose sessions end); the new
//! ones are shown once: as printable access letters (one A4 page per unit,
//! with a QR code), as a table, or as CSV.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::access::{AdminForm, AdminView};
use super::{Shell, frame, unit_named};
use crate::access::{self, Issued};
use crate::error::{AppError, Result};
use crate::http::page::{Frame, Page};
use crate::i18n::{AdminLabels, BoardLabels, fill};
use crate::letters::{Letters, Toolbar};
use crate::state::AppState;
use crate::store::Unit;

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    frame: Frame,
    t: &'static BoardLabels,
    a: &'static AdminLabels,
    shell: Shell,
    issued: Vec<Issued>,
    csv_href: String,
}

/// A question asked before something that cannot be undone: what it will
/// do, to how many, and the boxes to tick.
pub struct Check {
    pub name: &'static str,
    pub value: String,
    pub label: String,
}

pub struct Choice {
    pub name: &'static str,
    pub value: String,
    pub label: String,
    pub danger: bool,
}

#[derive(Template)]
#[template(path = "admin_confirm.html")]
pub struct ConfirmPage {
    pub frame: Frame,
    pub t: &'static BoardLabels,
    pub a: &'static AdminLabels,
    pub shell: Shell,
    pub heading: String,
    pub error: Option<String>,
    pub warnings: Vec<String>,
    pub facts: Vec<String>,
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    pub checks: Vec<Check>,
    pub buttons: Vec<Choice>,
    pub cancel: String,
}

/// `GET /admin/tokens/all`: how many units a renewal of every code cuts
/// off, before anything happens.
pub async fn confirm_all(view: AdminView) -> Result<Response> {
    let count = view.selected.active_units().count();
    let error = (view.query.done.as_deref() == Some("confirm"))
        .then(|| view.lang.admin().renew_needs_confirm.to_string());
    let page = confirm_all_page(&view, count, error);
    Ok(Page::private(StatusCode::OK, page).into_response())
}

fn confirm_all_page(view: &AdminView, count: usize, error: Option<String>) -> ConfirmPage {
    let a = view.lang.admin();
    let shell = view.shell("dashboard");
    let units = count.to_string();
    let units = [("units", units.as_str())];
    ConfirmPage {
        frame: frame(&view.selected, a.renew_all_title, view.lang, &view.here),
        t: view.lang.board(),
        a,
        heading: a.renew_all_title.into(),
        error,
        warnings: vec![fill(a.renew_all_warning, &units)],
        facts: Vec::new(),
        action: "/admin/tokens".into(),
        hidden: vec![
            ("csrf", shell.csrf.clone()),
            ("competition", shell.slug.clone()),
            ("lang", view.lang.code().into()),
            ("scope", "all".into()),
        ],
        // The box carries the count the organiser saw.
        checks: vec![Check {
            name: "confirm",
            value: count.to_string(),
            label: fill(a.renew_all_confirm, &units),
        }],
        buttons: vec![
            Choice {
                name: "format",
                value: "letters".into(),
                label: fill(a.renew_all_letters, &units),
                danger: true,
            },
            Choice {
                name: "format",
                value: "csv".into(),
                label: a.renew_all_csv.into(),
                danger: true,
            },
        ],
        cancel: shell.href("/admin"),
        shell,
    }
}

/// `POST /admin/tokens`: one unit's code (`unit`), or every active unit's
/// (`scope=all`, with `confirm` repeating the number of units the
/// confirmation page showed — a count that changed meanwhile asks again).
pub async fn renew_codes(State(state): State<AppState>, form: AdminForm) -> Result<Response> {
    let (session, selected, lang) = (&form.session, &form.selected, form.lang);
    let a = lang.admin();
    let shell = form.shell("dashboard");
    let all = form.field("scope") == Some("all");
    let code = form.field("unit").unwrap_or_default().trim();
    let chosen: Vec<&Unit> = if all {
        let active: Vec<&Unit> = selected.active_units().collect();
        let confirmed = form
            .field("confirm")
            .and_then(|c| c.trim().parse::<usize>().ok());
        if confirmed != Some(active.len()) {
            let to = format!("{}&done=confirm", shell.href("/admin/tokens/all"));
            return Ok(Redirect::to(&to).into_response());
        }
        active
    } else if code.is_empty() {
        return Ok(
            Redirect::to(&format!("{}&done=choose-unit#renew", shell.href("/admin")))
                .into_response(),
        );
    } else {
        vec![unit_named(selected, code)?]
    };
    let issued = access::issue(chosen);
    access::renew(
        state.store(),
        selected.record.id,
        &issued,
        &session.subject,
        (!all).then_some(code),
        state.now(),
    )
    .await?;
    state.catalog().reload().await?;
    let csv = access::csv(&issued).map_err(|e| AppError::Internal(e.into()))?;
    match form.field("format") {
        Some("csv") => Ok(csv_download(selected, csv)),
        Some("page") => {
            let page = TokensPage {
                frame: frame(selected, a.issued_title, lang, &shell.href("/admin")),
                t: lang.board(),
                a,
                shell,
                issued,
                csv_href: data_link(&csv),
            };
            Ok(Page::private(StatusCode::OK, page).into_response())
        }
        _ => {
            let mut letters = Letters::new(selected, &issued, &form.base_url, state.now());
            letters.toolbar = Some(Toolbar {
                title: format!("{} ({})", a.letters_title, issued.len()),
                print_label: a.letters_print.into(),
                warning: a.issued_warning.into(),
                back_href: shell.href("/admin"),
                back_label: a.back.into(),
                csv_href: data_link(&csv),
                csv_label: a.issued_csv.into(),
            });
            Ok(Page::private(StatusCode::OK, letters).into_response())
        }
    }
}

fn csv_download(selected: &crate::catalog::Selected, csv: Vec<u8>) -> Response {
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
    response
}

/// The CSV as a `data:` link, so the page can offer it without storing the
/// codes anywhere. Codes are `[A-Za-z0-9._-]`, access codes base32 with
/// dashes: only the line breaks and commas need percent-encoding.
fn data_link(csv: &[u8]) -> String {
    let text = String::from_utf8_lossy(csv)
        .replace(',', "%2C")
        .replace('\n', "%0A");
    format!("data:text/csv;charset=utf-8,{text}")
}
