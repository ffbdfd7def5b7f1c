//! Bulk entry from a file, in the admin area: the template of a group and
//! a day to download, and the filled file to upload with a reason. The
//! upload is the same all-or-nothing import as the API and the command
//! line ([`crate::import`]); a refused file lists every bad line on the
//! page, a written one answers with a redirect (reloading never imports
//! twice) to its summary.

use askama::Template;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::access::{AdminView, OrganizerSession};
use super::{Shell, frame, group_choices, selected};
use crate::catalog::Selected;
use crate::error::{AppError, Result};
use crate::http::exports::IMPORT_LIMIT;
use crate::http::extract::ClientAddr;
use crate::http::page::form::{Choice, day_choices};
use crate::http::page::{Frame, Page, language};
use crate::http::session::CSRF_FIELD;
use crate::i18n::{AdminLabels, BoardLabels, Lang, fill};
use crate::import::{self, Upload};
use crate::state::AppState;

/// One refused line, as the page lists it.
pub struct LineView {
    pub line: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "admin_import.html")]
struct ImportPage {
    frame: Frame,
    t: &'static BoardLabels,
    a: &'static AdminLabels,
    shell: Shell,
    groups: Vec<Choice>,
    days: Vec<Choice>,
    done: Option<String>,
    error: Option<String>,
    lines: Vec<LineView>,
    reason: String,
    board_href: String,
}

fn page(state: &AppState, selected: &Selected, shell: Shell, lang: Lang, here: &str) -> ImportPage {
    let a = lang.admin();
    let competition = &selected.record.competition;
    let now = state.now();
    let today = competition.local_date(now).min(competition.end_date);
    let mut groups = vec![Choice {
        value: "all".into(),
        label: a.all_groups.into(),
        selected: false,
    }];
    groups.extend(group_choices(selected, ""));
    if let Some(first) = groups.get_mut(1) {
        first.selected = true;
    }
    ImportPage {
        frame: frame(selected, a.import_title, lang, here),
        t: lang.board(),
        a,
        groups,
        days: day_choices(selected, today, competition.day_for(now), |d| {
            fill(
                a.day_option,
                &[
                    ("n", &competition.day_number(d).to_string()),
                    ("date", &lang.date(d)),
                ],
            )
        }),
        done: None,
        error: None,
        lines: Vec::new(),
        reason: String::new(),
        board_href: format!("/?competition={}&lang={}", competition.slug, lang.code()),
        shell,
    }
}

pub async fn import_page(State(state): State<AppState>, view: AdminView) -> Result<Response> {
    let (selected, lang) = (&view.selected, view.lang);
    let a = lang.admin();
    let mut body = page(&state, selected, view.shell("import"), lang, &view.here);
    let q = &view.query;
    if let (Some(lines), Some(created), Some(updated), Some(unchanged), Some(late)) =
        (q.lines, q.created, q.updated, q.unchanged, q.late)
    {
        let values = [lines, created, updated, unchanged, late].map(|n| n.to_string());
        body.done = Some(fill(
            a.import_done,
            &[
                ("lines", &values[0]),
                ("created", &values[1]),
                ("updated", &values[2]),
                ("unchanged", &values[3]),
                ("late", &values[4]),
            ],
        ));
    }
    Ok(Page::private(StatusCode::OK, body).into_response())
}

/// The uploaded form: its file, reason and the fields every admin form has.
#[derive(Default)]
struct UploadForm {
    csrf: String,
    competition: String,
    lang: String,
    reason: String,
    file: Vec<u8>,
}

async fn read_form(mut multipart: Multipart) -> Result<UploadForm> {
    // Over the limit is 413 whether the file or a field after it crossed it.
    let refused = |e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge {
            limit: IMPORT_LIMIT,
        },
        StatusCode::REQUEST_TIMEOUT => AppError::RequestTimeout,
        _ => AppError::BadRequest("Không đọc được tệp gửi lên".into()),
    };
    let mut form = UploadForm::default();
    while let Some(field) = multipart.next_field().await.map_err(refused)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            form.file = field.bytes().await.map_err(refused)?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(refused)?;
        crate::text::check(&name, &text)?;
        match name.as_str() {
            CSRF_FIELD => form.csrf = text,
            "competition" => form.competition = text,
            "lang" => form.lang = text,
            "reason" => form.reason = text,
            _ => {}
        }
    }
    Ok(form)
}

/// `POST /admin/import` (multipart): checks the whole file, writes it or
/// lists every bad line.
pub async fn upload(
    State(state): State<AppState>,
    OrganizerSession(session, scope): OrganizerSession,
    ClientAddr(address): ClientAddr,
    request: Request,
) -> Result<Response> {
    let headers = request.headers().clone();
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| AppError::BadRequest("Biểu mẫu phải gửi dạng multipart/form-data".into()))?;
    let form = read_form(multipart).await?;
    session.check_csrf(Some(&form.csrf))?;
    let lang = language(
        Some(form.lang.as_str()).filter(|l| matches!(*l, "vi" | "en")),
        &headers,
    );
    let a = lang.admin();
    let selected = selected(&state, &scope, Some(&form.competition))?;
    let shell = Shell::new(&selected, &session, "import", lang);
    let here = shell.href("/admin/import");
    let mut body = page(&state, &selected, shell, lang, &here);
    body.reason = form.reason.trim().to_string();
    let refuse = |mut body: ImportPage, status: StatusCode, error: String| {
        body.error = Some(error);
        Ok(Page::private(status, body).into_response())
    };
    if form.file.is_empty() {
        return refuse(body, StatusCode::UNPROCESSABLE_ENTITY, a.no_file.into());
    }
    if body.reason.is_empty() {
        return refuse(body, StatusCode::UNPROCESSABLE_ENTITY, a.need_reason.into());
    }
    let upload = Upload {
        bytes: &form.file,
        actor: &session.subject,
        reason: &body.reason,
        address,
    };
    match import::import(
        state.submitter(),
        state.store(),
        &selected,
        upload,
        state.now(),
    )
    .await
    {
        Ok(s) => {
            let to = format!(
                "{}&lines={}&created={}&updated={}&unchanged={}&late={}",
                body.shell.href("/admin/import"),
                s.lines,
                s.created,
                s.updated,
                s.unchanged,
                s.late
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(AppError::Validation { message, fields }) => {
            let mut lines: Vec<(usize, String)> = fields
                .into_iter()
                .map(|(k, v)| {
                    let n = k
                        .strip_prefix("line.")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    (n, v)
                })
                .collect();
            lines.sort();
            body.lines = lines
                .into_iter()
                .map(|(n, message)| LineView {
                    line: fill(a.line_n, &[("n", &n.to_string())]),
                    message,
                })
                .collect();
            let error = if body.lines.is_empty() {
                message
            } else {
                format!("{message} {}", a.import_refused)
            };
            refuse(body, StatusCode::UNPROCESSABLE_ENTITY, error)
        }
        Err(
            e @ (AppError::BadRequest(_)
            | AppError::Conflict { .. }
            | AppError::PayloadTooLarge { .. }),
        ) => {
            let status = e.status();
            refuse(body, status, e.public_message())
        }
        Err(e) => Err(e),
    }
}
