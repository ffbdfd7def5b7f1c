//! The organiser's own account (`/admin/account`): changing the password
//! (which ends the organiser's other sessions), and the organisers' API
//! tokens — issued with a name and an optional expiry, listed with their
//! last use, revoked. A new token is shown once, on the answer to the form
//! that issued it; only its hash is stored.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::access::{AdminForm, AdminView};
use super::{Shell, frame, local};
use crate::audit::{Audit, AuditAction};
use crate::catalog::Selected;
use crate::error::{AppError, Result};
use crate::http::page::{Frame, Page};
use crate::i18n::{BoardLabels, Lang};
use crate::scope::Scope;
use crate::state::AppState;
use crate::{password, token};

/// The page's words, in both languages.
pub struct AccountLabels {
    title: &'static str,
    password: &'static str,
    current: &'static str,
    next: &'static str,
    again: &'static str,
    change: &'static str,
    password_hint: &'static str,
    tokens: &'static str,
    label: &'static str,
    expires: &'static str,
    days: &'static str,
    never: &'static str,
    issue: &'static str,
    id: &'static str,
    organizer: &'static str,
    created: &'static str,
    last_used: &'static str,
    state: &'static str,
    revoke: &'static str,
    new_token: &'static str,
    shown_once: &'static str,
    active: &'static str,
    expired: &'static str,
    revoked: &'static str,
    changed: &'static str,
    revoked_notice: &'static str,
    wrong_current: &'static str,
    too_short: &'static str,
    mismatch: &'static str,
    bad_label: &'static str,
    bad_expiry: &'static str,
}

const VI: AccountLabels = AccountLabels {
    title: "Tài khoản và mã API",
    password: "Đổi mật khẩu",
    current: "Mật khẩu hiện tại",
    next: "Mật khẩu mới",
    again: "Nhập lại mật khẩu mới",
    change: "Đổi mật khẩu",
    password_hint: "Đổi mật khẩu sẽ đăng xuất tài khoản này ở mọi nơi khác.",
    tokens: "Mã API của Ban tổ chức",
    label: "Tên gợi nhớ",
    expires: "Hết hạn",
    days: "ngày",
    never: "Không hết hạn",
    issue: "Cấp mã mới",
    id: "Số",
    organizer: "Tài khoản",
    created: "Tạo lúc",
    last_used: "Dùng lần cuối",
    state: "Trạng thái",
    revoke: "Thu hồi",
    new_token: "Mã API mới",
    shown_once: "Mã chỉ hiện một lần này: hãy chép và cất giữ ngay.",
    active: "Đang dùng",
    expired: "Đã hết hạn",
    revoked: "Đã thu hồi",
    changed: "Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc.",
    revoked_notice: "Đã thu hồi mã.",
    wrong_current: "Mật khẩu hiện tại không đúng.",
    too_short: "Mật khẩu mới phải có ít nhất 10 ký tự.",
    mismatch: "Hai lần nhập mật khẩu mới không khớp.",
    bad_label: "Tên gợi nhớ tối đa 100 ký tự.",
    bad_expiry: "Thời hạn không hợp lệ.",
};

const EN: AccountLabels = AccountLabels {
    title: "Account and API tokens",
    password: "Change password",
    current: "Current password",
    next: "New password",
    again: "New password again",
    change: "Change password",
    password_hint: "Changing the password signs this account out everywhere else.",
    tokens: "Organiser API tokens",
    label: "Name",
    expires: "Expires",
    days: "days",
    never: "Never",
    issue: "Issue a token",
    id: "No.",
    organizer: "Account",
    created: "Created",
    last_used: "Last used",
    state: "State",
    revoke: "Revoke",
    new_token: "New API token",
    shown_once: "The token is shown this once: copy it and keep it safe now.",
    active: "Active",
    expired: "Expired",
    revoked: "Revoked",
    changed: "Password changed; the other sessions have ended.",
    revoked_notice: "Token revoked.",
    wrong_current: "The current password is wrong.",
    too_short: "The new password needs at least 10 characters.",
    mismatch: "The two new passwords differ.",
    bad_label: "The name may have at most 100 characters.",
    bad_expiry: "Invalid expiry.",
};

fn labels(lang: Lang) -> &'static AccountLabels {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

pub struct TokenLine {
    id: i64,
    organizer: String,
    label: String,
    created: String,
    expires: String,
    last_used: String,
    state: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin_account.html")]
struct AccountPage {
    frame: Frame,
    t: &'static BoardLabels,
    l: &'static AccountLabels,
    shell: Shell,
    tokens: Vec<TokenLine>,
    new_token: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

/// What the page says after a form: a notice, a refusal (422), or the new
/// token shown once.
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
}

/// Whose API tokens an organiser sees and may revoke: a deployment-wide
/// administrator everyone's, an organiser scoped to competitions only
/// their own.
fn tokens_of<'a>(scope: &Scope, name: &'a str) -> Option<&'a str> {
    (!scope.is_deployment()).then_some(name)
}

/// The account page again, with why the form was refused.
async fn refused(state: &AppState, form: &AdminForm, refusal: &str) -> Result<Response> {
    let outcome = Outcome {
        error: Some(refusal.into()),
        ..Outcome::default()
    };
    render(
        state,
        &form.selected,
        &form.scope,
        form.shell("account"),
        outcome,
    )
    .await
}

async fn render(
    state: &AppState,
    selected: &Selected,
    scope: &Scope,
    shell: Shell,
    outcome: Outcome,
) -> Result<Response> {
    let lang = shell.lang;
    let l = labels(lang);
    let now = state.now();
    let when = |at: Option<DateTime<Utc>>| {
        at.map(|at| local(selected, at, lang))
            .unwrap_or_else(|| "—".into())
    };
    let tokens = state
        .store()
        .organizer_tokens(tokens_of(scope, &shell.admin))
        .await?
        .into_iter()
        .map(|t| TokenLine {
            id: t.id,
            state: match (t.revoked_at, t.is_active(now)) {
                (Some(_), _) => l.revoked,
                (None, true) => l.active,
                (None, false) => l.expired,
            },
            active: t.is_active(now),
            organizer: t.organizer,
            label: t.label,
            created: when(Some(t.created_at)),
            expires: when(t.expires_at),
            last_used: when(t.last_used_at),
        })
        .collect();
    let status = if outcome.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = AccountPage {
        frame: frame(selected, l.title, lang, &shell.href("/admin/account")),
        t: lang.board(),
        l,
        shell,
        tokens,
        new_token: outcome.new_token,
        notice: outcome.notice,
        error: outcome.error,
    };
    Ok(Page::private(status, page).into_response())
}

pub async fn account_page(State(state): State<AppState>, view: AdminView) -> Result<Response> {
    let l = labels(view.lang);
    let notice = match view.query.done.as_deref() {
        Some("password") => Some(l.changed.to_string()),
        Some("revoked") => Some(l.revoked_notice.to_string()),
        _ => None,
    };
    let outcome = Outcome {
        notice,
        ..Outcome::default()
    };
    render(
        &state,
        &view.selected,
        &view.scope,
        view.shell("account"),
        outcome,
    )
    .await
}

fn done(form: &AdminForm, what: &str) -> Response {
    let to = format!(
        "{}&done={what}",
        form.shell("account").href("/admin/account")
    );
    Redirect::to(&to).into_response()
}

/// `POST /admin/account/password`: the current password, then the new one twice.
pub async fn change_password(State(state): State<AppState>, form: AdminForm) -> Result<Response> {
    let l = labels(form.lang);
    let name = form.session.subject.clone();
    // The current password is a guess like any login's: limited the same way.
    state
        .limits()
        .check_login_device(&format!("password:{}", form.session.key_hash()))
        .await?;
    let current = form.field("current").unwrap_or_default().to_string();
    let new = form.field("password").unwrap_or_default().to_string();
    let refusal = if new.chars().count() < 10 {
        Some(l.too_short)
    } else if form.field("confirm") != Some(new.as_str()) {
        Some(l.mismatch)
    } else {
        None
    };
    let stored = state
        .store()
        .organizer(&name)
        .await?
        .map(|o| o.password_hash)
        .unwrap_or_default();
    let matches = tokio::task::spawn_blocking(move || password::verify(&current, &stored))
        .await
        .unwrap_or(false);
    let refusal = refusal.or((!matches).then_some(l.wrong_current));
    if let Some(refusal) = refusal {
        return refused(&state, &form, refusal).await;
    }
    let hash = tokio::task::spawn_blocking(move || password::hash(&new))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)?;
    state
        .store()
        .change_organizer_password(&name, &hash, form.session.key_hash())
        .await?;
    let audit = Audit::new(AuditAction::OrganizerPassword, &name).target(&name);
    state.store().audit(&audit, state.now()).await?;
    Ok(done(&form, "password"))
}

/// `POST /admin/account/tokens`: a new token of the signed-in organiser.
pub async fn issue_token(State(state): State<AppState>, form: AdminForm) -> Result<Response> {
    let l = labels(form.lang);
    let label = form.field("label").unwrap_or_default().trim().to_string();
    let days = match form.field("expires_in").map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .map(Some)
            .ok_or(l.bad_expiry),
    };
    let checked = match days {
        _ if label.chars().count() > 100 => Err(l.bad_label),
        other => other,
    };
    let days = match checked {
        Ok(days) => days,
        Err(refusal) => return refused(&state, &form, refusal).await,
    };
    let now = state.now();
    let expires_at = days.map(|d| now + Duration::days(i64::from(d)));
    let secret = token::generate();
    let name = &form.session.subject;
    let id = state
        .store()
        .add_organizer_token(name, &token::hash(&secret), &label, expires_at, now)
        .await?
        .ok_or_else(|| AppError::Forbidden("Tài khoản không còn tồn tại".into()))?;
    let audit = Audit::new(AuditAction::OrganizerToken, name)
        .target(name)
        .details(&json!({"id": id, "label": label, "expires_at": expires_at}));
    state.store().audit(&audit, now).await?;
    let outcome = Outcome {
        new_token: Some(secret),
        ..Outcome::default()
    };
    render(
        &state,
        &form.selected,
        &form.scope,
        form.shell("account"),
        outcome,
    )
    .await
}

/// `POST /admin/account/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response> {
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound("Không có mã này".into()))?;
    if let Some(own) = tokens_of(&form.scope, &form.session.subject) {
        let theirs = state.store().organizer_tokens(Some(own)).await?;
        if !theirs.iter().any(|t| t.id == id) {
            return Err(AppError::NotFound("Không có mã này".into()));
        }
    }
    let revoked = state
        .store()
        .revoke_organizer_token(id, state.now())
        .await?
        .ok_or_else(|| AppError::NotFound("Không có mã đang dùng với số này".into()))?;
    let audit = Audit::new(AuditAction::OrganizerTokenRevoke, &form.session.subject)
        .target(&revoked.organizer)
        .details(&json!({"id": id, "label": revoked.label}));
    state.store().audit(&audit, state.now()).await?;
    Ok(done(&form, "revoked"))
}
