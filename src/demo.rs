//! `thidua serve --demo`: a competition over the current week with the
//! Lạng Sơn units, earlier days filled in, and plausible figures posted for
//! today through the ingest path every few seconds.

use std::time::Duration;

use chrono::{Datelike, Duration as Days, NaiveDate, NaiveTime, TimeZone};
use serde_json::{Value, json};

use crate::competition::{Competition, CompetitionFile};
use crate::http::ingest::{self, Submission};
use crate::state::AppState;
use crate::store::{NewReport, Unit};
use crate::units;

const DEFINITION: &str = include_str!("../data/lang-son-2025.toml");
const UNITS: &str = include_str!("../data/lang-son-units.csv");

/// The demo competition for the week containing `today`, Monday to Sunday.
pub fn competition(today: NaiveDate) -> anyhow::Result<Competition> {
    let mut file = CompetitionFile::parse(DEFINITION)?;
    let monday = today - Days::days(i64::from(today.weekday().num_days_from_monday()));
    file.slug = format!("demo-{}", monday.format("%Y-%m-%d"));
    file.name = format!("{} (trình diễn)", file.name);
    file.start_date = monday;
    file.end_date = monday + Days::days(6);
    file.auto_finalize = false;
    Ok(file.validate()?)
}

/// A unit's figures for a day: its own habits plus a little noise, so that
/// the board has leaders, laggards and movement.
fn figures(unit: &Unit, day: NaiveDate, progress: f64) -> Value {
    let seed = unit
        .code
        .bytes()
        .fold(day.ordinal() as u64, |a, b| a * 31 + u64::from(b));
    let skill = 0.72 + (seed % 27) as f64 / 100.0;
    let size = 8 + (seed % 53);
    let received = ((size as f64) * progress).round() as u64;
    let part = |share: f64, noise: u64| -> u64 {
        let jitter = rand::random_range(0..=noise) as f64 / 100.0;
        ((share + jitter).min(1.0) * received as f64).floor() as u64
    };
    let fee_required = received / 3;
    let results_issued = (received * 4) / 5;
    json!({
        "received": received,
        "received_online": part(skill, 6).min(received),
        "fee_required": fee_required,
        "paid_online": ((skill - 0.1 + rand::random_range(0..=15) as f64 / 100.0).clamp(0.0, 1.0) * fee_required as f64).floor() as u64,
        "results_issued": results_issued,
        "results_signed": ((skill + 0.05).min(1.0) * results_issued as f64).floor() as u64,
    })
}

/// Creates (or refreshes) this week's demo competition and fills in the
/// days before today as if every unit had reported on time.
pub async fn load(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    let tz: chrono_tz::Tz = "Asia/Ho_Chi_Minh"
        .parse()
        .map_err(|_| anyhow::anyhow!("tz"))?;
    let today = now.with_timezone(&tz).date_naive();
    let c = competition(today)?;
    state.store().apply_competition(&c, false, now).await?;
    let record = state
        .store()
        .competition(&c.slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo competition missing"))?;
    let rows = units::parse_csv(UNITS, &c).map_err(|e| anyhow::anyhow!(e.join("; ")))?;
    state.store().import_units(record.id, &rows, now).await?;
    let units = state.store().units(record.id).await?;
    for day in c.days().filter(|d| *d < today) {
        let at = tz
            .from_local_datetime(
                &day.and_time(NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default()),
            )
            .single()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or(now);
        for unit in &units {
            // One unit in twelve forgot a day.
            if unit.code.len() % 12 == day.day0() as usize % 12 {
                continue;
            }
            let body = json!({"day": day, "counters": figures(unit, day, 1.0)});
            let valid = crate::report::parse(&c, &body, &[])?;
            state
                .store()
                .save_report(
                    &NewReport {
                        competition_id: record.id,
                        unit_id: unit.id,
                        unit_code: unit.code.clone(),
                        day,
                        counters: valid.counters,
                        note: None,
                        actor_kind: "unit",
                        actor: unit.code.clone(),
                        reason: None,
                        address: None,
                        late: false,
                        now: at,
                        idempotency: None,
                    },
                    |_| unreachable_response(),
                )
                .await?;
        }
    }
    state.reload().await?;
    tracing::info!(competition = %c.slug, units = units.len(), "demo competition loaded");
    Ok(())
}

fn unreachable_response() -> crate::store::StoredResponse {
    crate::store::StoredResponse {
        status: 200,
        body: String::new(),
    }
}

/// Every few seconds a handful of units post today's figures, growing
/// through the day, through the same path as `POST /api/v1/reports`.
pub fn spawn_reporter(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        let mut progress = 0.3f64;
        loop {
            tick.tick().await;
            let Ok(selected) = state.competition(None) else {
                continue;
            };
            if !selected.record.competition.slug.starts_with("demo-") {
                continue;
            }
            let today = selected.record.competition.local_date(state.now());
            progress = (progress + 0.02).min(1.0);
            let units: Vec<Unit> = selected.active_units().cloned().collect();
            if units.is_empty() {
                continue;
            }
            for _ in 0..4 {
                let unit = &units[rand::random_range(0..units.len())];
                let body = json!({"day": today, "counters": figures(unit, today, progress)});
                let submission = Submission::by_unit(unit.clone(), Some("demo".into()));
                if let Err(e) = ingest::submit(&state, submission, &body).await {
                    tracing::debug!(error = %e, unit = %unit.code, "demo report refused");
                }
            }
        }
    });
}
