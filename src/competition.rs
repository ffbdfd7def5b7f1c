//! The competition file (TOML): parsing, validation and the calendar it implies.
//!
//! A `CompetitionFile` is what the organiser writes; `Competition` is the
//! validated form every other module works with. Validation errors name the
//! offending key so that the organiser can fix the file without guessing.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::scoring::{self, NoData};

/// The file as written, before validation. Stored as JSON beside the
/// competition so the definition can be re-read exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitionFile {
    pub slug: String,
    pub name: String,
    pub organizer: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[serde(default)]
    pub deadline: DeadlineFile,
    #[serde(default)]
    pub freeze_at: Option<String>,
    #[serde(default = "default_true")]
    pub auto_finalize: bool,
    #[serde(default)]
    pub tie_breakers: Vec<String>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub counters: Vec<Counter>,
    #[serde(default)]
    pub criteria: Vec<CriterionFile>,
    #[serde(default)]
    pub grades: Vec<GradeFile>,
}

fn default_timezone() -> String {
    "Asia/Ho_Chi_Minh".into()
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineFile {
    #[serde(default = "default_days_after")]
    pub days_after: u32,
    #[serde(default = "default_deadline_time")]
    pub time: String,
}

fn default_days_after() -> u32 {
    1
}

fn default_deadline_time() -> String {
    "09:00".into()
}

impl Default for DeadlineFile {
    fn default() -> Self {
        Self {
            days_after: default_days_after(),
            time: default_deadline_time(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    pub key: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionFile {
    pub key: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    pub numerator: String,
    pub denominator: String,
    #[serde(default = "default_target")]
    pub target_percent: u32,
    #[serde(default = "default_weight")]
    pub weight: u32,
    #[serde(default)]
    pub no_data: NoData,
}

fn default_target() -> u32 {
    100
}

fn default_weight() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeFile {
    pub min_score: f64,
    pub label: String,
}

/// A validated competition.
#[derive(Debug, Clone)]
pub struct Competition {
    pub slug: String,
    pub name: String,
    pub organizer: String,
    pub timezone: Tz,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub deadline_days_after: u32,
    pub deadline_time: NaiveTime,
    pub freeze_at: Option<DateTime<Utc>>,
    pub auto_finalize: bool,
    pub groups: Vec<Group>,
    pub counters: Vec<Counter>,
    pub criteria: Vec<Criterion>,
    /// Scoring rules derived from counters, criteria, tie-breakers and grades.
    pub rules: scoring::Rules,
    /// The file it came from, kept to detect changes and to store it.
    pub file: CompetitionFile,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub key: String,
    pub label: String,
    pub label_en: Option<String>,
    pub numerator: String,
    pub denominator: String,
    pub target_percent: u32,
    pub weight: u32,
    pub no_data: NoData,
}

/// A validation failure: the key in the file and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct DefinitionError {
    pub key: String,
    pub message: String,
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> DefinitionError {
    DefinitionError {
        key: key.into(),
        message: message.into(),
    }
}

pub fn is_valid_slug(slug: &str) -> bool {
    (1..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub fn is_valid_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl CompetitionFile {
    /// Parses TOML text. Syntax errors and unknown keys are reported with the
    /// key and line the parser saw.
    pub fn parse(text: &str) -> Result<Self, DefinitionError> {
        toml::from_str(text).map_err(|e| {
            let key = e.message().to_string();
            let span = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].lines().count().max(1);
                    format!(" (dòng {line})")
                })
                .unwrap_or_default();
            invalid("file", format!("{key}{span}"))
        })
    }

    pub fn validate(self) -> Result<Competition, DefinitionError> {
        Competition::from_file(self)
    }
}

impl Competition {
    pub fn parse(text: &str) -> Result<Self, DefinitionError> {
        CompetitionFile::parse(text)?.validate()
    }

    pub fn from_file(file: CompetitionFile) -> Result<Self, DefinitionError> {
        if !is_valid_slug(&file.slug) {
            return Err(invalid("slug", "must match [a-z0-9-]{1,64}"));
        }
        if file.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        if file.organizer.trim().is_empty() {
            return Err(invalid("organizer", "must not be empty"));
        }
        let timezone: Tz = file
            .timezone
            .parse()
            .map_err(|_| invalid("timezone", format!("unknown IANA zone {:?}", file.timezone)))?;
        if file.start_date > file.end_date {
            return Err(invalid("end_date", "must not be before start_date"));
        }
        if (file.end_date - file.start_date).num_days() + 1 > 366 {
            return Err(invalid("end_date", "a competition lasts at most 366 days"));
        }
        if file.deadline.days_after > 366 {
            return Err(invalid("deadline.days_after", "must be at most 366"));
        }
        let deadline_time = NaiveTime::parse_from_str(&file.deadline.time, "%H:%M")
            .map_err(|_| invalid("deadline.time", "must be HH:MM"))?;

        if file.groups.is_empty() {
            return Err(invalid("groups", "at least one group is required"));
        }
        for (i, g) in file.groups.iter().enumerate() {
            if !is_valid_slug(&g.code) || g.code == "all" {
                return Err(invalid(
                    format!("groups[{i}].code"),
                    "must match [a-z0-9-]{1,64} and not be \"all\"",
                ));
            }
            if g.name.trim().is_empty() {
                return Err(invalid(format!("groups[{i}].name"), "must not be empty"));
            }
            if file.groups[..i].iter().any(|o| o.code == g.code) {
                return Err(invalid(
                    format!("groups[{i}].code"),
                    format!("duplicate group {:?}", g.code),
                ));
            }
        }

        if file.counters.is_empty() {
            return Err(invalid("counters", "at least one counter is required"));
        }
        for (i, c) in file.counters.iter().enumerate() {
            if !is_valid_key(&c.key) {
                return Err(invalid(
                    format!("counters[{i}].key"),
                    "must match [a-z0-9_]{1,40}",
                ));
            }
            if c.label.trim().is_empty() {
                return Err(invalid(format!("counters[{i}].label"), "must not be empty"));
            }
            if file.counters[..i].iter().any(|o| o.key == c.key) {
                return Err(invalid(
                    format!("counters[{i}].key"),
                    format!("duplicate counter {:?}", c.key),
                ));
            }
        }
        let counter_index = |key: &str| file.counters.iter().position(|c| c.key == key);

        if file.criteria.is_empty() {
            return Err(invalid("criteria", "at least one criterion is required"));
        }
        let mut criteria = Vec::new();
        let mut rule_criteria = Vec::new();
        for (i, c) in file.criteria.iter().enumerate() {
            if !is_valid_key(&c.key) {
                return Err(invalid(
                    format!("criteria[{i}].key"),
                    "must match [a-z0-9_]{1,40}",
                ));
            }
            if file.criteria[..i].iter().any(|o| o.key == c.key) {
                return Err(invalid(
                    format!("criteria[{i}].key"),
                    format!("duplicate criterion {:?}", c.key),
                ));
            }
            if c.label.trim().is_empty() {
                return Err(invalid(format!("criteria[{i}].label"), "must not be empty"));
            }
            let numerator = counter_index(&c.numerator).ok_or_else(|| {
                invalid(
                    format!("criteria[{i}].numerator"),
                    format!("unknown counter {:?}", c.numerator),
                )
            })?;
            let denominator = counter_index(&c.denominator).ok_or_else(|| {
                invalid(
                    format!("criteria[{i}].denominator"),
                    format!("unknown counter {:?}", c.denominator),
                )
            })?;
            if numerator == denominator {
                return Err(invalid(
                    format!("criteria[{i}].denominator"),
                    "must differ from the numerator",
                ));
            }
            if !(1..=100).contains(&c.target_percent) {
                return Err(invalid(
                    format!("criteria[{i}].target_percent"),
                    "must be between 1 and 100",
                ));
            }
            if c.weight < 1 || c.weight > 1000 {
                return Err(invalid(
                    format!("criteria[{i}].weight"),
                    "must be an integer between 1 and 1000",
                ));
            }
            criteria.push(Criterion {
                key: c.key.clone(),
                label: c.label.clone(),
                label_en: c.label_en.clone(),
                numerator: c.numerator.clone(),
                denominator: c.denominator.clone(),
                target_percent: c.target_percent,
                weight: c.weight,
                no_data: c.no_data,
            });
            rule_criteria.push(scoring::CriterionRule {
                numerator,
                denominator,
                target_percent: c.target_percent,
                weight: c.weight,
                no_data: c.no_data,
            });
        }

        let mut tie_breakers = Vec::new();
        for (i, key) in file.tie_breakers.iter().enumerate() {
            let idx = counter_index(key).ok_or_else(|| {
                invalid(
                    format!("tie_breakers[{i}]"),
                    format!("unknown counter {key:?}"),
                )
            })?;
            tie_breakers.push(idx);
        }

        let mut grades = Vec::new();
        for (i, g) in file.grades.iter().enumerate() {
            let bp = g.min_score * 100.0;
            if !(0.0..=10000.0).contains(&bp) || (bp - bp.round()).abs() > 1e-6 {
                return Err(invalid(
                    format!("grades[{i}].min_score"),
                    "must be between 0 and 100 with at most two decimals",
                ));
            }
            if g.label.trim().is_empty() {
                return Err(invalid(format!("grades[{i}].label"), "must not be empty"));
            }
            grades.push(scoring::Grade {
                min_score_bp: bp.round() as u32,
                label: g.label.clone(),
            });
        }
        grades.sort_by_key(|g| std::cmp::Reverse(g.min_score_bp));

        let freeze_at = match &file.freeze_at {
            None => None,
            Some(text) => Some(parse_local_datetime(text, timezone).ok_or_else(|| {
                invalid(
                    "freeze_at",
                    "must be a datetime such as 2025-10-10T12:00:00+07:00 or 2025-10-10T12:00",
                )
            })?),
        };

        let rules = scoring::Rules {
            counters: file.counters.len(),
            criteria: rule_criteria,
            tie_breakers,
            grades,
        };
        let competition = Competition {
            slug: file.slug.clone(),
            name: file.name.clone(),
            organizer: file.organizer.clone(),
            timezone,
            start_date: file.start_date,
            end_date: file.end_date,
            deadline_days_after: file.deadline.days_after,
            deadline_time,
            freeze_at,
            auto_finalize: file.auto_finalize,
            groups: file.groups.clone(),
            counters: file.counters.clone(),
            criteria,
            rules,
            file,
        };
        if let Some(freeze) = competition.freeze_at
            && freeze < competition.day_start(competition.start_date)
        {
            return Err(invalid(
                "freeze_at",
                "must lie within or after the competition",
            ));
        }
        Ok(competition)
    }

    /// The instant figures for `day` stop being accepted from units.
    pub fn deadline(&self, day: NaiveDate) -> DateTime<Utc> {
        let date = day + Duration::days(i64::from(self.deadline_days_after));
        local_to_utc(self.timezone, date.and_time(self.deadline_time))
    }

    /// Midnight at the start of `day`, local time.
    pub fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        local_to_utc(self.timezone, day.and_time(NaiveTime::MIN))
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

    pub fn counter_keys(&self) -> impl Iterator<Item = &str> {
        self.counters.iter().map(|c| c.key.as_str())
    }

    pub fn group(&self, code: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.code == code)
    }

    /// Boards of the competition: `all`, then one per group.
    pub fn boards(&self) -> Vec<String> {
        std::iter::once("all".to_string())
            .chain(self.groups.iter().map(|g| g.code.clone()))
            .collect()
    }

    pub fn is_board(&self, board: &str) -> bool {
        board == "all" || self.group(board).is_some()
    }

    /// Changes to counters or criteria alter every score; the store refuses
    /// them once reports exist unless forced.
    pub fn scoring_differs(&self, other: &Competition) -> bool {
        self.counters != other.counters
            || self.criteria != other.criteria
            || self.rules.tie_breakers != other.rules.tie_breakers
    }
}

fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // A local time skipped by a DST change: take the instant an hour later.
        chrono::LocalResult::None => local_to_utc(tz, local + Duration::hours(1)),
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
    .map(|t| local_to_utc(tz, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LANG_SON: &str = include_str!("../data/lang-son-2025.toml");

    #[test]
    fn the_lang_son_file_is_valid() {
        let c = Competition::parse(LANG_SON).unwrap();
        assert_eq!(c.slug, "lang-son-2025");
        assert_eq!(c.counters.len(), 6);
        assert_eq!(c.criteria.len(), 3);
        assert_eq!(c.day_count(), 5);
        assert_eq!(c.rules.grades[0].min_score_bp, 9000);
        assert_eq!(c.boards(), ["all", "so-nganh", "xa-phuong"]);
        // Figures for 6/10 are accepted until 7/10 09:00 in Hà Nội = 02:00 UTC.
        let d = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap();
        assert_eq!(c.deadline(d).to_rfc3339(), "2025-10-07T02:00:00+00:00");
    }

    fn with(edit: impl Fn(&mut CompetitionFile)) -> Result<Competition, DefinitionError> {
        let mut f = CompetitionFile::parse(LANG_SON).unwrap();
        edit(&mut f);
        f.validate()
    }

    #[test]
    fn errors_name_the_offending_key() {
        type Edit = Box<dyn Fn(&mut CompetitionFile)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("slug", Box::new(|f| f.slug = "Lạng Sơn".into())),
            ("name", Box::new(|f| f.name = " ".into())),
            ("timezone", Box::new(|f| f.timezone = "Mars/Base".into())),
            (
                "end_date",
                Box::new(|f| f.end_date = f.start_date.pred_opt().unwrap()),
            ),
            ("deadline.time", Box::new(|f| f.deadline.time = "9h".into())),
            ("groups", Box::new(|f| f.groups.clear())),
            (
                "counters[1].key",
                Box::new(|f| f.counters[1].key = "received".into()),
            ),
            (
                "criteria[0].numerator",
                Box::new(|f| f.criteria[0].numerator = "x".into()),
            ),
            (
                "criteria[2].target_percent",
                Box::new(|f| f.criteria[2].target_percent = 0),
            ),
            ("criteria[1].weight", Box::new(|f| f.criteria[1].weight = 0)),
            (
                "tie_breakers[0]",
                Box::new(|f| f.tie_breakers = vec!["nope".into()]),
            ),
            (
                "grades[0].min_score",
                Box::new(|f| f.grades[0].min_score = 90.125),
            ),
            ("freeze_at", Box::new(|f| f.freeze_at = Some("soon".into()))),
        ];
        for (key, edit) in cases {
            let err = with(edit).unwrap_err();
            assert_eq!(err.key, key, "{err}");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = LANG_SON.replace("auto_finalize = true", "auto_finalise = true");
        let err = CompetitionFile::parse(&text).unwrap_err();
        assert!(err.message.contains("auto_finalise"), "{err}");
    }

    #[test]
    fn freeze_at_accepts_offset_and_local_forms() {
        let a = with(|f| f.freeze_at = Some("2025-10-10T12:00:00+07:00".into())).unwrap();
        let b = with(|f| f.freeze_at = Some("2025-10-10T12:00".into())).unwrap();
        assert_eq!(a.freeze_at, b.freeze_at);
        assert!(with(|f| f.freeze_at = Some("2025-10-01T12:00".into())).is_err());
    }
}
