//! The figures form shared by a unit's `/report` and the organiser's
//! correction page: one box per counter, the choice of day, the refusals
//! placed next to their fields, the answer after saving, and the history of
//! the unit's days and revisions.

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Page, field, with_cookie};
use crate::catalog::Selected;
use crate::competition::Counter;
use crate::error::{AppError, FieldErrors, Result};
use crate::http::session;
use crate::i18n::{Lang, fill};
use crate::report::{ReportInput, counter_values};
use crate::state::AppState;
use crate::store::{ReportRow, RevisionRow, Store, Unit};
use crate::submit::Submitted;

/// One counter of the form: its label, what is in the box, what is wrong.
pub struct CounterField {
    pub key: String,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

impl CounterField {
    fn new(counter: &Counter, lang: Lang, value: String) -> Self {
        CounterField {
            key: counter.key.clone(),
            label: lang
                .pick(&counter.label, counter.label_en.as_deref())
                .to_string(),
            value,
            error: None,
        }
    }
}

/// The counters' labels, in the competition's order (history columns).
pub fn counter_labels(selected: &Selected, lang: Lang) -> Vec<String> {
    selected
        .record
        .competition
        .counters
        .iter()
        .map(|c| lang.pick(&c.label, c.label_en.as_deref()).to_string())
        .collect()
}

/// One option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The competition's days up to `today`, `chosen` selected.
pub fn day_choices(
    selected: &Selected,
    today: NaiveDate,
    chosen: NaiveDate,
    label: impl Fn(NaiveDate) -> String,
) -> Vec<Choice> {
    selected
        .record
        .competition
        .days()
        .filter(|d| *d <= today)
        .map(|d| Choice {
            value: crate::day::text(d),
            label: label(d),
            selected: d == chosen,
        })
        .collect()
}

/// The day a form or link names, else today's, kept within the
/// competition's days.
pub fn chosen_day(selected: &Selected, text: Option<&str>, now: DateTime<Utc>) -> NaiveDate {
    text.and_then(crate::day::parse)
        .unwrap_or_else(|| selected.record.competition.day_for(now))
}

/// Reads the form's figures: the report to submit, the boxes as typed (to
/// show them again if refused) and the note.
pub fn report_input(
    selected: &Selected,
    form: &[(String, String)],
    lang: Lang,
) -> (ReportInput, Vec<CounterField>, String) {
    let competition = &selected.record.competition;
    let typed: Vec<(String, String)> = competition
        .counters
        .iter()
        .map(|c| {
            let raw = field(form, &format!("counters.{}", c.key))
                .unwrap_or_default()
                .trim()
                .to_string();
            (c.key.clone(), raw)
        })
        .collect();
    let note = field(form, "note").unwrap_or_default().to_string();
    let report = ReportInput::from_text(
        field(form, "day").unwrap_or_default(),
        typed.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        Some(&note),
    );
    let fields = competition
        .counters
        .iter()
        .zip(typed)
        .map(|(c, (_, raw))| CounterField::new(c, lang, raw))
        .collect();
    (report, fields, note)
}

/// What a refused report shows on its form.
pub struct Refused {
    pub status: StatusCode,
    pub day: Option<String>,
    pub note: Option<String>,
    /// The line above the form.
    pub summary: String,
}

/// How a form shows a refusal of the write path: validation messages next
/// to their fields (`invalid_form` above them when all found a field), a
/// conflict (day closed, competition final) above the form. Any other
/// error is not the form's to show.
pub fn refused(
    error: AppError,
    fields: &mut [CounterField],
    invalid_form: &str,
) -> Result<Refused> {
    let status = error.status();
    match error {
        AppError::Validation { fields: errors, .. } => {
            let (day, note, other) = place_errors(fields, &errors);
            let summary = if other.is_empty() {
                invalid_form.into()
            } else {
                other.join(" ")
            };
            Ok(Refused {
                status,
                day,
                note,
                summary,
            })
        }
        AppError::Conflict { message, .. } => Ok(Refused {
            status,
            day: None,
            note: None,
            summary: message,
        }),
        other => Err(other),
    }
}

/// Puts validation messages next to their fields; returns the ones that
/// belong to no field of the form.
fn place_errors(
    fields: &mut [CounterField],
    errors: &FieldErrors,
) -> (Option<String>, Option<String>, Vec<String>) {
    let mut day = None;
    let mut note = None;
    let mut other = Vec::new();
    for (path, message) in errors {
        if path == "day" {
            day = Some(message.clone());
        } else if path == "note" {
            note = Some(message.clone());
        } else if let Some(f) = path
            .strip_prefix("counters.")
            .and_then(|key| fields.iter_mut().find(|f| f.key == key))
        {
            f.error = Some(message.clone());
        } else {
            other.push(message.clone());
        }
    }
    (day, note, other)
}

/// The unit's standing after a save, as the form shows it.
pub struct StandingView {
    pub rank: Option<u64>,
    pub board: String,
    pub score: Option<String>,
    pub grade: Option<String>,
    pub days_reported: u64,
}

/// What a save answered.
pub struct Outcome {
    pub revision: i64,
    pub unchanged: bool,
    pub late: bool,
    pub standing: StandingView,
}

impl Outcome {
    pub fn new(submitted: &Submitted, selected: &Selected, lang: Lang) -> Outcome {
        let standing = &submitted.standing;
        Outcome {
            revision: submitted.receipt.revision,
            unchanged: submitted.receipt.unchanged,
            late: submitted.receipt.late,
            standing: StandingView {
                rank: standing.rank.map(u64::from),
                board: selected
                    .record
                    .competition
                    .group_name(&standing.board)
                    .to_string(),
                score: standing.score_bp.map(|bp| lang.decimal(bp)),
                grade: standing.grade.clone(),
                days_reported: standing.days_reported.map(u64::from).unwrap_or_default(),
            },
        }
    }
}

/// The boxes filled with the day's current figures, or empty.
pub async fn prefill(
    store: &Store,
    selected: &Selected,
    unit: &Unit,
    day: NaiveDate,
    lang: Lang,
) -> Result<Vec<CounterField>> {
    let reports = store.unit_reports(unit.id).await?;
    let current = reports.iter().find(|r| r.day == day);
    Ok(selected
        .record
        .competition
        .counters
        .iter()
        .map(|c| {
            let value = current
                .and_then(|r| r.counters.get(&c.key))
                .map(u64::to_string)
                .unwrap_or_default();
            CounterField::new(c, lang, value)
        })
        .collect())
}

/// One day of the unit's history.
pub struct HistoryDay {
    pub day: String,
    pub values: Vec<u64>,
    pub revision: i64,
    pub late: bool,
    pub corrected: bool,
}

pub fn history(selected: &Selected, reports: &[ReportRow], lang: Lang) -> Vec<HistoryDay> {
    let competition = &selected.record.competition;
    reports
        .iter()
        .map(|r| HistoryDay {
            day: lang.date(r.day),
            values: counter_values(competition, &r.counters),
            revision: r.revision,
            late: r.late,
            corrected: r.corrected,
        })
        .collect()
}

/// One revision, for the history's detail.
pub struct RevisionView {
    pub day: String,
    pub revision: i64,
    pub by: String,
    pub at: String,
    pub values: Vec<u64>,
    pub note: String,
    pub reason: String,
}

/// Revisions newest first, with who wrote them.
pub fn revision_views(
    selected: &Selected,
    revisions: &[RevisionRow],
    lang: Lang,
) -> Vec<RevisionView> {
    let competition = &selected.record.competition;
    let l = lang.report();
    revisions
        .iter()
        .rev()
        .map(|v| RevisionView {
            day: lang.date(v.day),
            revision: v.revision,
            by: if v.writer.kind.is_unit() {
                l.by_unit.into()
            } else {
                fill(l.by_organizer, &[("name", &v.writer.actor)])
            },
            at: lang.date_time(v.created_at.with_timezone(&competition.timezone)),
            values: counter_values(competition, &v.counters),
            note: v.note.clone().unwrap_or_default(),
            reason: v.writer.reason.clone().unwrap_or_default(),
        })
        .collect()
}

/// A login page. Its form carries the login token, which is also set as a
/// cookie when the browser has none yet.
pub fn login_page<T: Template>(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    form: impl FnOnce(String) -> T,
) -> Response {
    let (csrf, cookie) = session::login_token(state, headers);
    with_cookie(Page::private(status, form(csrf)), cookie)
}
