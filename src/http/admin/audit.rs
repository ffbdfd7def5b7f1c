//! The audit log as people read it: newest first, each line a sentence in
//! the organiser's language (a day's close says how many units did not
//! report, a correction lists the figures by their labels, units are named,
//! not just coded), filtered by action, unit, day and organiser, one page
//! at a time. Organiser sign-ins, which would crowd out everything else,
//! are left out unless asked for.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::access::AdminView;
use super::{Shell, correction_href, frame, local};
use crate::audit::{AuditAction, CLI, SYSTEM};
use crate::catalog::Selected;
use crate::error::Result;
use crate::http::page::form::Choice;
use crate::http::page::{Frame, Page, encode};
use crate::i18n::{AdminLabels, BoardLabels, Lang, fill};
use crate::report::Counters;
use crate::state::AppState;
use crate::store::{AuditEntry, AuditFilter};

/// Lines on one page of the log.
const PER_PAGE: i64 = 50;

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
    a: &'static AdminLabels,
    shell: Shell,
    q: String,
    day: String,
    logins: bool,
    actions: Vec<Choice>,
    units: Vec<Choice>,
    actors: Vec<Choice>,
    entries: Vec<AuditView>,
    summary: String,
    newer: Option<String>,
    older: Option<String>,
}

/// The details a report correction stores beside its audit line.
#[derive(Deserialize)]
struct CorrectionDetails {
    day: NaiveDate,
    revision: i64,
    counters: Counters,
}

/// A unit as the log names it: "Xã Thất Khê (06040)".
fn unit_label(selected: &Selected, code: &str) -> Option<String> {
    selected
        .unit(code)
        .map(|u| format!("{} ({})", u.name, u.code))
}

fn number(details: &Value, key: &str) -> String {
    match &details[key] {
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.len().to_string(),
        _ => "0".into(),
    }
}

fn text(details: &Value, key: &str) -> String {
    details[key].as_str().unwrap_or_default().to_string()
}

/// What an entry's stored details say, as a sentence.
fn sentence(selected: &Selected, e: &AuditEntry, lang: Lang) -> (String, Option<String>) {
    let a = lang.admin();
    let competition = &selected.record.competition;
    let raw = e.details.as_deref().unwrap_or_default();
    let details: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let day = |key: &str| {
        details[key]
            .as_str()
            .and_then(crate::day::parse)
            .map(|d| lang.date(d))
            .unwrap_or_default()
    };
    match e.action {
        Some(AuditAction::ReportCorrect) => {
            let Ok(parsed) = serde_json::from_str::<CorrectionDetails>(raw) else {
                return (String::new(), None);
            };
            let figures: Vec<String> = competition
                .counters
                .iter()
                .filter_map(|c| {
                    let v = parsed.counters.get(&c.key)?;
                    let label = lang.pick(&c.label, c.label_en.as_deref());
                    Some(format!("{label}: {v}"))
                })
                .collect();
            let text = fill(
                a.d_correction,
                &[
                    ("day", &lang.date(parsed.day)),
                    ("revision", &parsed.revision.to_string()),
                    ("figures", &figures.join("; ")),
                ],
            );
            let link = e
                .target
                .as_ref()
                .map(|code| correction_href(selected, code, parsed.day, lang));
            (text, link)
        }
        Some(AuditAction::ReportsImport) => {
            let values: Vec<(&str, String)> = ["lines", "created", "updated", "unchanged", "late"]
                .into_iter()
                .map(|k| (k, number(&details, k)))
                .collect();
            let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            (fill(a.d_import, &values), None)
        }
        Some(AuditAction::DayClose) => (
            fill(
                a.d_day_close,
                &[
                    ("day", &day("day")),
                    ("missing", &number(&details, "missing")),
                    ("late", &number(&details, "late")),
                ],
            ),
            None,
        ),
        Some(AuditAction::UnitsTokens) => (
            fill(a.d_tokens, &[("units", &number(&details, "units"))]),
            None,
        ),
        Some(AuditAction::UnitAdd) => (
            fill(
                a.d_unit_add,
                &[
                    ("name", &text(&details, "name")),
                    ("group", competition.group_name(&text(&details, "group"))),
                ],
            ),
            None,
        ),
        Some(AuditAction::UnitUpdate) => {
            let state = |v: &Value| {
                let active = if v["active"].as_bool().unwrap_or(true) {
                    a.active
                } else {
                    a.inactive
                };
                format!(
                    "{}, {}, {active}",
                    v["name"].as_str().unwrap_or_default(),
                    competition.group_name(v["group"].as_str().unwrap_or_default())
                )
            };
            (
                format!(
                    "{} → {}",
                    state(&details["before"]),
                    state(&details["after"])
                ),
                None,
            )
        }
        Some(AuditAction::OrganizerLogin) => match details["address"].as_str() {
            Some(address) => (fill(a.d_login, &[("address", address)]), None),
            None => (String::new(), None),
        },
        // Anything else that stored details: its fields, plainly.
        _ => match &details {
            Value::Object(map) => (
                map.iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => format!("{k}: {s}"),
                        other => format!("{k}: {other}"),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                None,
            ),
            _ => (String::new(), None),
        },
    }
}

fn audit_view(selected: &Selected, e: AuditEntry, lang: Lang) -> AuditView {
    let a = lang.admin();
    let (details, link) = sentence(selected, &e, lang);
    let slug = &selected.record.competition.slug;
    let target = match e.target.as_deref() {
        None => String::new(),
        Some(t) if t == slug => a.whole_competition.into(),
        Some(t) => unit_label(selected, t).unwrap_or_else(|| t.to_string()),
    };
    AuditView {
        at: local(selected, e.created_at, lang),
        actor: actor_name(&e.actor, a),
        action: e
            .action
            .map_or_else(|| e.action_name.clone(), |x| x.label(lang).to_string()),
        target,
        reason: e.reason.unwrap_or_default(),
        details,
        link,
    }
}

fn actor_name(actor: &str, a: &AdminLabels) -> String {
    match actor {
        SYSTEM => a.actor_system.into(),
        CLI => a.actor_cli.into(),
        other => other.into(),
    }
}

pub async fn audit_page(State(state): State<AppState>, view: AdminView) -> Result<Response> {
    let (selected, lang) = (&view.selected, view.lang);
    let a = lang.admin();
    let query = &view.query;
    let competition = &selected.record.competition;
    let clean = |v: &Option<String>| -> String {
        v.as_deref()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(200)
            .collect()
    };
    let q = clean(&query.q);
    let action = clean(&query.action);
    let action = AuditAction::parse(&action)
        .map(|x| x.as_str().to_string())
        .unwrap_or_default();
    let unit = clean(&query.unit);
    let actor = clean(&query.actor);
    let day_text = clean(&query.day);
    // Typed as people write a day (dd/mm/yyyy), or as links carry it.
    let day = crate::day::parse(&day_text)
        .or_else(|| chrono::NaiveDate::parse_from_str(&day_text, "%d/%m/%Y").ok());
    let logins =
        query.logins.as_deref() == Some("1") || action == AuditAction::OrganizerLogin.as_str();
    let page: i64 = query
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let filter = AuditFilter {
        action: action.clone(),
        target: unit.clone(),
        actor: actor.clone(),
        from: day.map(|d| competition.day_start(d)),
        until: day
            .and_then(|d| d.succ_opt())
            .map(|d| competition.day_start(d)),
        logins,
        search: q.clone(),
        own_lines_of: if view.scope.is_deployment() {
            String::new()
        } else {
            view.session.subject.clone()
        },
    };
    let (entries, total) = state
        .store()
        .audit_page(selected.record.id, &filter, PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let shell = view.shell("audit");
    let link = |p: i64| {
        let mut params = vec![
            format!("competition={}", encode(&shell.slug)),
            format!("lang={}", lang.code()),
        ];
        for (k, v) in [
            ("action", &action),
            ("unit", &unit),
            ("actor", &actor),
            ("day", &day_text),
            ("q", &q),
        ] {
            if !v.is_empty() {
                params.push(format!("{k}={}", encode(v)));
            }
        }
        if logins {
            params.push("logins=1".into());
        }
        params.push(format!("page={p}"));
        format!("/admin/audit?{}", params.join("&"))
    };
    let actions = AuditAction::ALL
        .into_iter()
        .map(|x| Choice {
            value: x.as_str().into(),
            label: x.label(lang).into(),
            selected: x.as_str() == action,
        })
        .collect();
    let units = selected
        .units
        .iter()
        .map(|u| Choice {
            value: u.code.clone(),
            label: format!("{} — {}", u.code, u.name),
            selected: u.code == unit,
        })
        .collect();
    let actors = state
        .store()
        .audit_actors(selected.record.id, &filter.own_lines_of)
        .await?
        .into_iter()
        .map(|name| Choice {
            label: actor_name(&name, a),
            selected: name == actor,
            value: name,
        })
        .collect();
    let (newer, older) = (
        (page > 1).then(|| link(page - 1)),
        (page < pages).then(|| link(page + 1)),
    );
    let page_view = AuditPage {
        frame: frame(selected, a.audit_title, lang, &view.here),
        t: lang.board(),
        a,
        q,
        day: day
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        logins,
        actions,
        units,
        actors,
        entries: entries
            .into_iter()
            .map(|e| audit_view(selected, e, lang))
            .collect(),
        summary: fill(
            a.page_of,
            &[
                ("n", &page.min(pages).to_string()),
                ("pages", &pages.to_string()),
                ("count", &total.to_string()),
            ],
        ),
        newer,
        older,
        shell,
    };
    Ok(Page::private(StatusCode::OK, page_view).into_response())
}
