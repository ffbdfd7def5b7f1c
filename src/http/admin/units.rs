//! The competition's units: add, rename, move between groups, deactivate —
//! never delete (a unit's reports stay). Deactivating a unit ends its web
//! sessions.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::access::{AdminForm, AdminView};
use super::{Shell, frame, group_choices};
use crate::audit::{Audit, AuditAction};
use crate::catalog::Selected;
use crate::error::{AppError, Result};
use crate::http::page::form::Choice;
use crate::http::page::{Frame, Page, field};
use crate::http::session::Session;
use crate::i18n::{AdminLabels, BoardLabels, Lang};
use crate::state::AppState;
use crate::units::{UnitRow, is_valid_code};

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
    a: &'static AdminLabels,
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
    lang: Lang,
) -> Result<Response> {
    let a = lang.admin();
    let shell = Shell::new(selected, session, "units", lang);
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
    let page = UnitsPage {
        frame: frame(selected, a.nav_units, lang, &shell.href("/admin/units")),
        t: lang.board(),
        a,
        shell,
        units,
        groups: group_choices(selected, ""),
        notice,
        error,
    };
    Ok(Page::private(status, page).into_response())
}

pub async fn units_page(view: AdminView) -> Result<Response> {
    let (selected, session, query) = (&view.selected, &view.session, &view.query);
    let a = view.lang.admin();
    let notice = match query.done.as_deref() {
        Some("added") => Some(a.unit_added.to_string()),
        Some("updated") => Some(a.unit_saved.to_string()),
        _ => None,
    };
    render_units(selected, session, notice, None, view.lang)
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

pub async fn add_unit(State(state): State<AppState>, form: AdminForm) -> Result<Response> {
    let (session, selected) = (&form.session, &form.selected);
    let code = form.field("code").unwrap_or_default().trim().to_string();
    let checked = if !is_valid_code(&code) {
        Err("Mã đơn vị gồm 1–32 ký tự chữ, số, '-', '_' hoặc '.'.".to_string())
    } else if selected.unit(&code).is_some() {
        Err(format!("Đã có đơn vị mã {code}."))
    } else {
        unit_fields(selected, &form.fields)
    };
    let (name, group) = match checked {
        Ok(v) => v,
        Err(message) => return render_units(selected, session, None, Some(message), form.lang),
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
    let audit = Audit::new(AuditAction::UnitAdd, &session.subject)
        .competition(selected.record.id)
        .target(&code)
        .details(&json!({"name": name, "group": group}));
    state.store().audit(&audit, state.now()).await?;
    state.catalog().reload().await?;
    Ok(Redirect::to(&format!(
        "{}&done=added",
        form.shell("units").href("/admin/units")
    ))
    .into_response())
}

pub async fn update_unit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    form: AdminForm,
) -> Result<Response> {
    let (session, selected) = (&form.session, &form.selected);
    let unit = selected
        .unit(&code)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("Không có đơn vị mã {code:?}")))?;
    let (name, group) = match unit_fields(selected, &form.fields) {
        Ok(v) => v,
        Err(message) => return render_units(selected, session, None, Some(message), form.lang),
    };
    let active = form.field("active").is_some();
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
        let audit = Audit::new(AuditAction::UnitUpdate, &session.subject)
            .competition(selected.record.id)
            .target(&unit.code)
            .details(&json!({
                "before": {"name": unit.name, "group": unit.group, "active": unit.active},
                "after": {"name": name, "group": group, "active": active},
            }));
        state.store().audit(&audit, state.now()).await?;
        if !active {
            state.store().delete_unit_sessions(&[unit.id]).await?;
        }
        state.catalog().reload().await?;
    }
    Ok(Redirect::to(&format!(
        "{}&done=updated",
        form.shell("units").href("/admin/units")
    ))
    .into_response())
}
