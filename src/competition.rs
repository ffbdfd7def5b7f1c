//! The competition file (TOML): parsing and validation; its boards and its
//! status. The calendar it implies (days, deadlines, local time) is in
//! [`calendar`].
//!
//! A `CompetitionFile` is what the organiser writes; `Competition` is the
//! validated form every other module works with. Validation errors name the
//! offending key so that the organiser can fix the file without guessing.

pub mod calendar;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use self::calendar::{local_instant, parse_local_datetime};
use crate::scoring::{self, NoData};

/// Where a competition stands: open, its public board frozen, or final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    /// The public sees the board as it was at the freeze; reports still flow.
    Frozen,
    /// The final standings are stored and never change.
    Final,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Frozen => "frozen",
            Status::Final => "final",
        }
    }
}

/// A board of a competition: every unit (`all`), or one group's units.
/// Written as `all` or the group's code in URLs, JSON, Redis keys and SQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Board {
    All,
    Group(String),
}

impl Board {
    pub const ALL: &'static str = "all";

    /// The board a code names, whether or not a competition has that group.
    pub fn from_code(code: &str) -> Board {
        if code == Board::ALL {
            Board::All
        } else {
            Board::Group(code.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Board::All => Board::ALL,
            Board::Group(code) => code,
        }
    }

    /// Whether a unit of `group` is on this board.
    pub fn includes(&self, group: &str) -> bool {
        match self {
            Board::All => true,
            Board::Group(code) => code == group,
        }
    }

    pub fn is_all(&self) -> bool {
        *self == Board::All
    }
}

impl fmt::Display for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Board {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Board {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Board {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|code| Board::from_code(&code))
    }
}

impl utoipa::PartialSchema for Board {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("`all`, or a group's code"))
            .into()
    }
}

impl utoipa::ToSchema for Board {}

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
    /// How printed and exported documents present the organiser; never
    /// part of scoring. Omitted when absent so that stored definitions of
    /// files without it compare equal to the file re-read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentFile>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
}

/// The `[document]` table: what an administrative document of the
/// organiser carries besides the ranking (Nghị định 30/2020/NĐ-CP).
/// Every key is optional; defaults come from `organizer`.
///
/// | key | meaning | rules |
/// |---|---|---|
/// | `issuer` | the issuing body, top left: the superior body, then the organiser (`["UBND TỈNH LẠNG SƠN", "SỞ NỘI VỤ"]`) | 1–3 lines; default from `organizer` ("Sở X tỉnh Y" → `["UBND TỈNH Y", "SỞ X"]`, else the organiser in capitals) |
/// | `place` | the place in the date line ("Lạng Sơn, ngày … tháng … năm …") | default: the province or city named at the end of `organizer`, else none |
/// | `signer_title` | the signer's position (`["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]`) | 1–3 lines; default from `organizer` (a Sở → "GIÁM ĐỐC") |
/// | `signer_name` | the signer's full name, below the space to sign | default: none (written by hand) |
/// | `recipients` | "Nơi nhận" lines, each without the leading dash | at most 30; default `["Lưu: VT."]` |
///
/// A line may be written as a string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentFile {
    #[serde(
        default,
        deserialize_with = "lines",
        skip_serializing_if = "Option::is_none"
    )]
    pub issuer: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(
        default,
        deserialize_with = "lines",
        skip_serializing_if = "Option::is_none"
    )]
    pub signer_title: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lines",
        skip_serializing_if = "Option::is_none"
    )]
    pub recipients: Option<Vec<String>>,
}

/// One line as a string, or several as a list: `signer_title = "GIÁM ĐỐC"`
/// reads as naturally as the two lines of a deputy's title.
fn lines<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lines {
        One(String),
        Many(Vec<String>),
    }
    Ok(Some(match Lines::deserialize(d)? {
        Lines::One(line) => vec![line],
        Lines::Many(lines) => lines,
    }))
}

/// The validated `[document]` table, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub issuer: Vec<String>,
    pub place: Option<String>,
    pub signer_title: Vec<String>,
    pub signer_name: Option<String>,
    pub recipients: Vec<String>,
}

impl Document {
    fn from_file(
        file: Option<&DocumentFile>,
        organizer: &str,
    ) -> Result<Document, DefinitionError> {
        let empty = DocumentFile::default();
        let file = file.unwrap_or(&empty);
        let organizer = organizer.trim();
        let (body, region) = split_region(organizer);
        let issuer = match &file.issuer {
            Some(lines) => checked_lines("document.issuer", lines, 1..=3)?,
            None => match region {
                Some((kind, name)) => vec![
                    format!("UBND {kind} {name}").to_uppercase(),
                    body.to_uppercase(),
                ],
                None => vec![organizer.to_uppercase()],
            },
        };
        let place = match &file.place {
            Some(place) => Some(checked_line("document.place", place)?),
            None => region.map(|(_, name)| name.to_string()),
        };
        let signer_title = match &file.signer_title {
            Some(lines) => checked_lines("document.signer_title", lines, 1..=3)?,
            None => vec![default_signer_title(body).to_string()],
        };
        let signer_name = match &file.signer_name {
            Some(name) => Some(checked_line("document.signer_name", name)?),
            None => None,
        };
        let recipients = match &file.recipients {
            Some(lines) => checked_lines("document.recipients", lines, 0..=30)?,
            None => vec!["Lưu: VT.".to_string()],
        };
        Ok(Document {
            issuer,
            place,
            signer_title,
            signer_name,
            recipients,
        })
    }

    /// The date line: "Lạng Sơn, ngày 06 tháng 10 năm 2025".
    pub fn place_and_date(&self, day: NaiveDate) -> String {
        let date = administrative_date(day);
        match &self.place {
            Some(place) => format!("{place}, ngày {date}"),
            None => format!("Ngày {date}"),
        }
    }
}

/// "06 tháng 10 năm 2025": Nghị định 30/2020 writes days below 10 and the
/// months January and February with a leading zero, other months without.
pub fn administrative_date(day: NaiveDate) -> String {
    let month = if day.month() < 3 {
        format!("{:02}", day.month())
    } else {
        day.month().to_string()
    };
    format!("{:02} tháng {month} năm {}", day.day(), day.year())
}

/// "Sở Nội vụ tỉnh Lạng Sơn" → ("Sở Nội vụ", Some(("tỉnh", "Lạng Sơn"))):
/// the body and the province or city it belongs to, when the name says.
fn split_region(organizer: &str) -> (&str, Option<(&str, &str)>) {
    for kind in ["thành phố", "tỉnh"] {
        let marker = format!(" {kind} ");
        if let Some(at) = organizer.rfind(&marker) {
            let name = organizer[at + marker.len()..].trim();
            let body = organizer[..at].trim();
            if !name.is_empty() && !body.is_empty() {
                return (body, Some((kind, name)));
            }
        }
    }
    (organizer, None)
}

/// The position that signs for a body of this kind (Nghị định 30/2020,
/// Phụ lục I): the head of a department, of a committee, of a board.
fn default_signer_title(body: &str) -> &'static str {
    let lower = body.to_lowercase();
    if lower.starts_with("sở ") {
        "GIÁM ĐỐC"
    } else if lower.starts_with("ủy ban")
        || lower.starts_with("uỷ ban")
        || lower.starts_with("ubnd")
    {
        "CHỦ TỊCH"
    } else if lower.starts_with("ban ") {
        "TRƯỞNG BAN"
    } else if lower.starts_with("bộ ") {
        "BỘ TRƯỞNG"
    } else {
        "THỦ TRƯỞNG CƠ QUAN"
    }
}

const DOCUMENT_LINE_MAX: usize = 200;

fn checked_line(key: &str, line: &str) -> Result<String, DefinitionError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(invalid(key, "must not be empty"));
    }
    if line.chars().count() > DOCUMENT_LINE_MAX {
        return Err(invalid(
            key,
            format!("must be at most {DOCUMENT_LINE_MAX} characters"),
        ));
    }
    Ok(line.to_string())
}

fn checked_lines(
    key: &str,
    lines: &[String],
    count: std::ops::RangeInclusive<usize>,
) -> Result<Vec<String>, DefinitionError> {
    if !count.contains(&lines.len()) {
        return Err(invalid(
            key,
            format!("must have {} to {} lines", count.start(), count.end()),
        ));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| checked_line(&format!("{key}[{i}]"), line))
        .collect()
}

/// A competition as stored, with the state the organiser controls.
#[derive(Debug, Clone)]
pub struct CompetitionRecord {
    pub id: i64,
    pub competition: Arc<Competition>,
    /// Frozen by hand ("freeze now"), besides the file's `freeze_at`.
    pub frozen_at: Option<DateTime<Utc>>,
    pub finalized_at: Option<DateTime<Utc>>,
}

impl CompetitionRecord {
    /// The instant the public board froze, if it has.
    pub fn freeze_instant(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        [self.competition.freeze_at, self.frozen_at]
            .into_iter()
            .flatten()
            .filter(|t| *t <= now)
            .min()
    }

    pub fn is_final(&self) -> bool {
        self.finalized_at.is_some()
    }

    pub fn status(&self, now: DateTime<Utc>) -> Status {
        if self.is_final() {
            Status::Final
        } else if self.freeze_instant(now).is_some() {
            Status::Frozen
        } else {
            Status::Open
        }
    }
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
    /// How documents present the organiser: heading, place, signer.
    pub document: Document,
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
            if !is_valid_slug(&g.code) || g.code == Board::ALL {
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

        let document = Document::from_file(file.document.as_ref(), &file.organizer)?;

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
            document,
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

    pub fn counter_keys(&self) -> impl Iterator<Item = &str> {
        self.counters.iter().map(|c| c.key.as_str())
    }

    pub fn group(&self, code: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.code == code)
    }

    /// Boards of the competition: `all`, then one per group.
    pub fn boards(&self) -> Vec<Board> {
        std::iter::once(Board::All)
            .chain(self.groups.iter().map(|g| Board::Group(g.code.clone())))
            .collect()
    }

    /// The board `code` names, if the competition has it.
    pub fn board(&self, code: &str) -> Option<Board> {
        let board = Board::from_code(code);
        match &board {
            Board::All => Some(board),
            Board::Group(g) => self.group(g).map(|_| board),
        }
    }

    /// A group's name, or the code of a board the competition does not have.
    /// The `all` board's name depends on the language (`i18n`).
    pub fn group_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.group(code).map_or(code, |g| g.name.as_str())
    }

    /// A group's name in English when the file gives one.
    pub fn group_name_en(&self, code: &str) -> Option<&str> {
        self.group(code).and_then(|g| g.label_en.as_deref())
    }

    /// A grade's label in English when the file gives one.
    pub fn grade_label_en(&self, label: &str) -> Option<&str> {
        self.file
            .grades
            .iter()
            .find(|g| g.label == label)
            .and_then(|g| g.label_en.as_deref())
    }

    /// Whether anything but the `[document]` table differs: the heading and
    /// the signer of printed documents change no board.
    pub fn differs_beyond_document(&self, other: &Competition) -> bool {
        let mut mine = self.file.clone();
        let mut theirs = other.file.clone();
        mine.document = None;
        theirs.document = None;
        mine != theirs
    }

    /// Changes to counters or criteria alter every score; the store refuses
    /// them once reports exist unless forced. The `[document]` table is
    /// never part of it.
    pub fn scoring_differs(&self, other: &Competition) -> bool {
        self.counters != other.counters
            || self.criteria != other.criteria
            || self.rules.tie_breakers != other.rules.tie_breakers
    }
}

#[cfg(test)]
mod tests;
