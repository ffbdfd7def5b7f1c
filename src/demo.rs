//! `thidua serve --demo`: a competition over the current week with the
//! Lạng Sơn units, earlier days filled in, and plausible figures posted for
//! today through the ingest path every few seconds. `--demo national` does
//! the same for the 3,321 communes and wards of the 34 provinces, a board
//! per province.

use std::time::Duration;

use chrono::{Datelike, Duration as Days, NaiveDate, NaiveTime};

use crate::catalog::Catalog;
use crate::competition::{Competition, CompetitionFile};
use crate::report::ReportInput;
use crate::store::{Store, Unit};
use crate::submit::{Submission, Submitter, Writer};
use crate::units;

const DEFINITION: &str = include_str!("../data/lang-son-2025.toml");
const UNITS: &str = include_str!("../data/lang-son-units.csv");
const PROVINCES: &str = include_str!("../data/vietnam-provinces-2025.csv");
const COMMUNES: &str = include_str!("../data/vietnam-communes-2025.csv");

/// Which demo to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Demo {
    /// The 79 units of Lạng Sơn.
    LangSon,
    /// The 3,321 communes and wards of Vietnam's 34 provinces.
    National,
}

impl Demo {
    fn units(self) -> &'static str {
        match self {
            Demo::LangSon => UNITS,
            Demo::National => COMMUNES,
        }
    }
}

/// The provinces as competition groups: `(group code, name)`.
fn provinces() -> anyhow::Result<Vec<crate::competition::Group>> {
    let mut reader = csv::Reader::from_reader(PROVINCES.as_bytes());
    let mut groups = Vec::new();
    for record in reader.records() {
        let record = record?;
        groups.push(crate::competition::Group {
            code: record.get(2).unwrap_or_default().to_string(),
            name: record.get(1).unwrap_or_default().to_string(),
            label_en: None,
        });
    }
    Ok(groups)
}

/// The demo competition for the week containing `today`, Monday to Sunday.
pub fn competition(today: NaiveDate) -> anyhow::Result<Competition> {
    competition_of(Demo::LangSon, today)
}

/// A demo's competition for the week containing `today`.
pub fn competition_of(demo: Demo, today: NaiveDate) -> anyhow::Result<Competition> {
    let mut file = CompetitionFile::parse(DEFINITION)?;
    let monday = today - Days::days(i64::from(today.weekday().num_days_from_monday()));
    file.slug = format!("demo-{}", monday.format("%Y-%m-%d"));
    // The file is the 2025 week; the demo runs in the current one.
    let name = file
        .name
        .replace("năm 2025", &format!("năm {}", monday.year()));
    file.name = format!("{name} (trình diễn)");
    if demo == Demo::National {
        file.slug = format!("demo-toan-quoc-{}", monday.format("%Y-%m-%d"));
        file.name = format!(
            "Tuần lễ thi đua thực hiện dịch vụ công trực tuyến toàn quốc năm {} (trình diễn)",
            monday.year()
        );
        file.organizer = "Bộ Nội vụ".into();
        file.groups = provinces()?;
    }
    file.start_date = monday;
    file.end_date = monday + Days::days(6);
    file.auto_finalize = false;
    Ok(file.validate()?)
}

/// A unit's figures for a day: its own habits plus a little noise, so that
/// the board has leaders, laggards and movement.
fn figures(unit: &Unit, day: NaiveDate, progress: f64) -> ReportInput {
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
    let paid_online = ((skill - 0.1 + rand::random_range(0..=15) as f64 / 100.0).clamp(0.0, 1.0)
        * fee_required as f64)
        .floor() as u64;
    let values = [
        ("received", received),
        ("received_online", part(skill, 6).min(received)),
        ("fee_required", fee_required),
        ("paid_online", paid_online),
        ("results_issued", results_issued),
        (
            "results_signed",
            ((skill + 0.05).min(1.0) * results_issued as f64).floor() as u64,
        ),
    ]
    .map(|(key, value)| (key, value.to_string()));
    ReportInput::from_text(
        &crate::day::text(day),
        values.iter().map(|(k, v)| (*k, v.as_str())),
        None,
    )
}

/// Creates (or refreshes) this week's demo competition and fills in the
/// days before today as if every unit had reported on time.
pub async fn load(
    demo: Demo,
    store: &Store,
    catalog: &Catalog,
    submitter: &Submitter,
) -> anyhow::Result<String> {
    let now = catalog.now();
    let tz: chrono_tz::Tz = "Asia/Ho_Chi_Minh"
        .parse()
        .map_err(|_| anyhow::anyhow!("tz"))?;
    let today = now.with_timezone(&tz).date_naive();
    let c = competition_of(demo, today)?;
    store.apply_competition(&c, false, now).await?;
    let record = store
        .competition(&c.slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo competition missing"))?;
    let rows = units::parse_csv(demo.units(), &c).map_err(|e| anyhow::anyhow!(e.join("; ")))?;
    store.import_units(record.id, &rows, now).await?;
    catalog.reload().await?;
    let units = store.units(record.id).await?;
    let five_pm = NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN);
    for day in c.days().filter(|d| *d < today) {
        for (i, unit) in units.iter().enumerate() {
            // One unit in twelve forgot each day.
            if (i + day.day0() as usize).is_multiple_of(12) {
                continue;
            }
            let mut submission = Submission::new(
                unit.clone(),
                Writer::unit(&unit.code, None),
                figures(unit, day, 1.0),
            );
            submission.at = Some(c.at(day, five_pm));
            submitter.submit(submission).await?;
        }
    }
    tracing::info!(competition = %c.slug, units = units.len(), "demo competition loaded");
    Ok(c.slug)
}

/// Every few seconds a handful of units post today's figures, growing
/// through the day, through the same path as `POST /api/v1/reports`.
pub fn spawn_reporter(catalog: Catalog, submitter: Submitter, slug: String) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        let mut progress = 0.3f64;
        loop {
            tick.tick().await;
            let Ok(selected) = catalog.competition(Some(&slug)) else {
                continue;
            };
            let today = selected.record.competition.local_date(catalog.now());
            progress = (progress + 0.02).min(1.0);
            let units: Vec<Unit> = selected.active_units().cloned().collect();
            if units.is_empty() {
                continue;
            }
            // About one unit in a hundred each time, so that a national
            // board moves as visibly as a provincial one.
            for _ in 0..4 + units.len() / 100 {
                let unit = &units[rand::random_range(0..units.len())];
                let submission = Submission::new(
                    unit.clone(),
                    Writer::unit(&unit.code, Some("demo".into())),
                    figures(unit, today, progress),
                );
                if let Err(e) = submitter.submit(submission).await {
                    tracing::debug!(error = %e, unit = %unit.code, "demo report refused");
                }
            }
        }
    });
}
