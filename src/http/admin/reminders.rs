//! The daily reminder's lists, where the organiser works: the units that
//! have not reported today (as it stands now) and, for each day whose
//! reminder ran, the units it named — with whether each has reported
//! since, and whether the list reached the webhook. Without a webhook this
//! page is the only place the reminder goes.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::access::AdminView;
use super::{Shell, correction_href, frame, local};
use crate::catalog::Selected;
use crate::error::Result;
use crate::http::page::{Frame, Page};
use crate::i18n::{AdminLabels, BoardLabels, Lang, fill};
use crate::state::AppState;
use crate::store::Unit;

pub struct MissingUnit {
    pub code: String,
    pub name: String,
    pub group: String,
    pub reported_since: bool,
    pub href: String,
}

pub struct ReminderView {
    pub heading: String,
    pub delivery: String,
    pub failed: bool,
    pub units: Vec<MissingUnit>,
}

#[derive(Template)]
#[template(path = "admin_reminders.html")]
struct RemindersPage {
    frame: Frame,
    t: &'static BoardLabels,
    a: &'static AdminLabels,
    shell: Shell,
    lead: String,
    today_heading: Option<String>,
    today: Vec<MissingUnit>,
    reminders: Vec<ReminderView>,
}

fn missing_unit(
    selected: &Selected,
    unit: &Unit,
    day: chrono::NaiveDate,
    reported_since: bool,
    lang: Lang,
) -> MissingUnit {
    MissingUnit {
        code: unit.code.clone(),
        name: unit.name.clone(),
        group: selected
            .record
            .competition
            .group_name(&unit.group)
            .to_string(),
        reported_since,
        href: correction_href(selected, &unit.code, day, lang),
    }
}

pub async fn reminders_page(State(state): State<AppState>, view: AdminView) -> Result<Response> {
    let (selected, lang) = (&view.selected, view.lang);
    let a = lang.admin();
    let competition = &selected.record.competition;
    let id = selected.record.id;
    let now = state.now();
    let today = competition.local_date(now);
    let by_code: HashMap<&str, &Unit> = selected
        .units
        .iter()
        .map(|u| (u.code.as_str(), u))
        .collect();
    let store = state.store();
    let reported = |day| async move {
        store.day_reports(id, day).await.map(|r| {
            r.into_iter()
                .map(|(unit, _)| unit)
                .collect::<HashSet<i64>>()
        })
    };
    let (today_heading, today_missing) = if competition.contains(today) {
        let done = reported(today).await?;
        let missing = selected
            .active_units()
            .filter(|u| !done.contains(&u.id))
            .map(|u| missing_unit(selected, u, today, false, lang))
            .collect();
        (
            Some(fill(a.today_missing, &[("day", &lang.date(today))])),
            missing,
        )
    } else {
        (None, Vec::new())
    };
    let mut reminders = Vec::new();
    for reminder in state.store().reminders(id).await? {
        let done = reported(reminder.day).await?;
        let units = reminder
            .missing
            .iter()
            .filter_map(|code| by_code.get(code.as_str()))
            .map(|u| missing_unit(selected, u, reminder.day, done.contains(&u.id), lang))
            .collect();
        let (delivery, failed) = match reminder.delivery.as_deref() {
            Some("sent") => (a.delivery_sent.to_string(), false),
            Some("no webhook") => (a.delivery_none.to_string(), false),
            Some(other) => (
                fill(
                    a.delivery_failed,
                    &[("error", other.strip_prefix("failed: ").unwrap_or(other))],
                ),
                true,
            ),
            None => (a.delivery_pending.to_string(), false),
        };
        reminders.push(ReminderView {
            heading: fill(
                a.reminder_of,
                &[
                    ("day", &lang.date(reminder.day)),
                    ("time", &local(selected, reminder.created_at, lang)),
                    ("count", &reminder.missing.len().to_string()),
                ],
            ),
            delivery,
            failed,
            units,
        });
    }
    let page = RemindersPage {
        frame: frame(selected, a.reminders_title, lang, &view.here),
        t: lang.board(),
        a,
        shell: view.shell("reminders"),
        lead: fill(a.reminders_lead, &[("time", &state.config().reminder_at)]),
        today_heading,
        today: today_missing,
        reminders,
    };
    Ok(Page::private(StatusCode::OK, page).into_response())
}
