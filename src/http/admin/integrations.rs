//! The province's information systems allowed to post batches of reports:
//! issue a token (shown once, on the answer to the form), see when each
//! was last used, revoke one.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::access::{AdminForm, AdminView};
use super::{Shell, frame, local};
use crate::catalog::Selected;
use crate::error::{AppError, Result};
use crate::http::page::{Frame, Page};
use crate::http::session::Session;
use crate::i18n::{AdminLabels, BoardLabels, Lang};
use crate::integrations::{self, Issued, MAX_NAME_CHARS};
use crate::state::AppState;

pub struct IntegrationView {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub created_by: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_integrations.html")]
struct IntegrationsPage {
    frame: Frame,
    t: &'static BoardLabels,
    a: &'static AdminLabels,
    shell: Shell,
    integrations: Vec<IntegrationView>,
    issued: Option<Issued>,
    notice: Option<String>,
    error: Option<String>,
    max_name: usize,
}

async fn render(
    state: &AppState,
    selected: &Selected,
    session: &Session,
    lang: Lang,
    issued: Option<Issued>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response> {
    let a = lang.admin();
    let shell = Shell::new(selected, session, "integrations", lang);
    let integrations = state
        .store()
        .integrations(selected.record.id)
        .await?
        .into_iter()
        .map(|i| IntegrationView {
            id: i.id,
            name: i.name,
            created: local(selected, i.created_at, lang),
            created_by: i.created_by,
            last_used: i.last_used_at.map(|t| local(selected, t, lang)),
            revoked: i.revoked_at.map(|t| local(selected, t, lang)),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = IntegrationsPage {
        frame: frame(
            selected,
            a.nav_integrations,
            lang,
            &shell.href("/admin/integrations"),
        ),
        t: lang.board(),
        a,
        shell,
        integrations,
        issued,
        notice,
        error,
        max_name: MAX_NAME_CHARS,
    };
    Ok(Page::private(status, page).into_response())
}

/// `GET /admin/integrations`.
pub async fn integrations_page(State(state): State<AppState>, view: AdminView) -> Result<Response> {
    let a = view.lang.admin();
    let notice = match view.query.done.as_deref() {
        Some("revoked") => Some(a.integration_revoked.to_string()),
        _ => None,
    };
    render(
        &state,
        &view.selected,
        &view.session,
        view.lang,
        None,
        notice,
        None,
    )
    .await
}

/// `POST /admin/integrations`: issue a token (`name`), shown on the answer
/// only; or revoke one (`revoke` = its id), then back to the list.
pub async fn change(State(state): State<AppState>, form: AdminForm) -> Result<Response> {
    let (session, selected, lang) = (&form.session, &form.selected, form.lang);
    let id = selected.record.id;
    if let Some(revoke) = form.field("revoke") {
        let target = revoke
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::BadRequest("Mã tích hợp không hợp lệ".into()))?;
        integrations::revoke(state.store(), id, target, &session.subject, state.now()).await?;
        let shell = form.shell("integrations");
        let to = format!("{}&done=revoked", shell.href("/admin/integrations"));
        return Ok(Redirect::to(&to).into_response());
    }
    let name = form.field("name").unwrap_or_default();
    match integrations::issue(state.store(), id, name, &session.subject, state.now()).await {
        Ok(issued) => render(&state, selected, session, lang, Some(issued), None, None).await,
        Err(AppError::Validation { fields, .. }) => {
            let error = fields.into_values().next();
            render(&state, selected, session, lang, None, None, error).await
        }
        Err(e) => Err(e),
    }
}
