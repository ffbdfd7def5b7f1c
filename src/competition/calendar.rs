//! The calendar a competition implies: its days, each day's deadline, and
//! local dates and times in the competition's time zone. Instants are UTC;
//! every local time is read in the competition's `timezone`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::Competition;

impl Competition {
    /// The instant figures for `day` stop being accepted from units.
    pub fn deadline(&self, day: NaiveDate) -> DateTime<Utc> {
        let date = day + Duration::days(i64::from(self.deadline_days_after));
        local_instant(self.timezone, date.and_time(self.deadline_time))
    }

    /// Midnight at the start of `day`, local time.
    pub fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        local_instant(self.timezone, day.and_time(NaiveTime::MIN))
    }

    /// `time` on `day`, local time.
    pub fn at(&self, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        local_instant(self.timezone, day.and_time(time))
    }

    pub fn local_date(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.timezone).date_naive()
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start_date
            .iter_days()
            .take_while(move |d| *d <= self.end_date)
    }

    pub fn day_count(&self) -> u32 {
        ((self.end_date - self.start_date).num_days() + 1) as u32
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start_date <= day && day <= self.end_date
    }

    /// 1-based position of `day` within the competition, e.g. 3 for "Ngày 3/5".
    pub fn day_number(&self, day: NaiveDate) -> u32 {
        ((day - self.start_date).num_days() + 1) as u32
    }

    /// Today's local date kept within the competition's days: the day a form
    /// or a template opens on.
    pub fn day_for(&self, now: DateTime<Utc>) -> NaiveDate {
        self.local_date(now).clamp(self.start_date, self.end_date)
    }

    /// The days units may still report at `now`: begun, deadline not passed.
    /// The live ranking keeps boards for these days; a closed day's board
    /// changes only by an organiser's correction and is read from the store.
    pub fn open_days(&self, now: DateTime<Utc>) -> impl Iterator<Item = NaiveDate> + '_ {
        let today = self.local_date(now);
        self.days()
            .filter(move |d| *d <= today && now < self.deadline(*d))
    }

    pub fn is_open_day(&self, day: NaiveDate, now: DateTime<Utc>) -> bool {
        self.contains(day) && day <= self.local_date(now) && now < self.deadline(day)
    }

    /// The last deadline: after it the competition can be finalized automatically.
    pub fn last_deadline(&self) -> DateTime<Utc> {
        self.deadline(self.end_date)
    }

    pub fn is_frozen_at(&self, now: DateTime<Utc>) -> bool {
        self.freeze_at.is_some_and(|f| now >= f)
    }

    /// Open now: between the first day's start and the last deadline.
    pub fn is_running_at(&self, now: DateTime<Utc>) -> bool {
        self.day_start(self.start_date) <= now && now < self.last_deadline()
    }
}

/// The instant of a local date and time in `tz`. An ambiguous time (the
/// hour repeated when clocks go back) is its first occurrence; a time that
/// does not exist (skipped when clocks go forward) is the instant an hour
/// later.
pub fn local_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => tz
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| local.and_utc()),
    }
}

/// Accepts RFC 3339 with an offset, or a local datetime without one
/// (`2025-10-10T12:00[:00]`, also with a space) interpreted in `tz`.
pub fn parse_local_datetime(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .filter(|t| t.year() > 1900)
    .map(|t| local_instant(tz, t))
}
