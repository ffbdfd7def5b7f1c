//! What makes a daily report acceptable (SPEC §5): every counter present and
//! an integer in range, no unknown keys, numerators within denominators, an
//! optional short note, and a day inside the window and before its deadline.
//!
//! [`ReportInput`] is a report as a writer gave it — the API's JSON body, the
//! web form's fields, a line of an import file — with every value kept as
//! given, so that [`validate`] can name each bad one in Vietnamese at once.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::competition::{Competition, CompetitionRecord};
use crate::error::{AppError, FieldErrors};

/// Counter key → value: a report's figures, as posted and stored.
pub type Counters = BTreeMap<String, u64>;

pub const MAX_VALUE: u64 = 1_000_000_000;
pub const MAX_NOTE_CHARS: usize = 1000;

/// Who wrote a revision. Stored in `revisions.actor_kind` and shown in the
/// API as `by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// The unit itself, within the deadline.
    Unit,
    /// An organiser on the unit's behalf, with a reason, also after the deadline.
    Organizer,
    /// An organiser's bulk import, with a reason.
    Import,
    /// The province's information system, posting many units' figures in
    /// batches with an integration token; bound by the deadline like a unit.
    Integration,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Unit => "unit",
            ActorKind::Organizer => "organizer",
            ActorKind::Import => "import",
            ActorKind::Integration => "integration",
        }
    }

    pub fn parse(text: &str) -> Option<ActorKind> {
        match text {
            "unit" => Some(ActorKind::Unit),
            "organizer" => Some(ActorKind::Organizer),
            "import" => Some(ActorKind::Import),
            "integration" => Some(ActorKind::Integration),
            _ => None,
        }
    }

    /// The figures of the unit itself (its own form or API token, or the
    /// province's system on its behalf): bound by the deadline, not a
    /// correction.
    pub fn is_unit(self) -> bool {
        matches!(self, ActorKind::Unit | ActorKind::Integration)
    }

    /// An organiser's entry on a unit's behalf: allowed late, always with a
    /// reason, audited, and marks the day corrected.
    pub fn is_correction(self) -> bool {
        !self.is_unit()
    }
}

/// Who writes a revision, and why: what a write needs besides the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub kind: ActorKind,
    /// The unit's code, or the organiser's name.
    pub actor: String,
    /// Mandatory for organisers and imports.
    pub reason: Option<String>,
    /// Where the request came from, for the revision's record.
    pub address: Option<String>,
}

impl Writer {
    /// A unit writing its own figures, within the deadline.
    pub fn unit(code: &str, address: Option<String>) -> Writer {
        Writer {
            kind: ActorKind::Unit,
            actor: code.to_string(),
            reason: None,
            address,
        }
    }

    /// An organiser writing on a unit's behalf (`kind` is `Organizer` or
    /// `Import`), allowed after the deadline, always with a reason.
    pub fn organizer(kind: ActorKind, name: &str, reason: &str, address: Option<String>) -> Writer {
        Writer {
            kind,
            actor: name.to_string(),
            reason: Some(reason.chars().take(MAX_NOTE_CHARS).collect()),
            address,
        }
    }
}

/// A value as the writer gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    Null,
    /// A whole number (a JSON integer, or form text made only of digits).
    Integer(i128),
    Text(String),
    /// An object: key → value.
    Map(BTreeMap<String, Given>),
    /// Anything else: a fraction, a boolean, a list.
    Other,
    /// What a person typed into a form or a file where a number belongs,
    /// that is not one (so the message can say how to write it).
    Typed(String),
}

impl Given {
    /// Form or file text: a whole number when it is one, else the text, so
    /// that validation words the message. People write thousands the
    /// Vietnamese way, so digits grouped by threes with dots (`1.200`,
    /// `1.000.000`) or spaces (`1 200`) are the number they show. A comma
    /// is the Vietnamese decimal mark, so `1,200` stays refused rather than
    /// guessed at. The JSON API never comes here: its numbers are JSON's.
    pub fn from_text(text: &str) -> Given {
        let text = text.trim();
        if let Ok(n) = text.parse::<i128>() {
            return Given::Integer(n);
        }
        match grouped_thousands(text) {
            Some(n) => Given::Integer(n),
            None => Given::Typed(text.to_string()),
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Given::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// `1.200`, `12.345.678`, `1 200`: one separator throughout (a dot, a
/// space or a no-break space), 1–3 digits, then groups of exactly three.
fn grouped_thousands(text: &str) -> Option<i128> {
    let separator = text.chars().find(|c| !c.is_ascii_digit())?;
    if !matches!(separator, '.' | ' ' | '\u{a0}' | '\u{202f}') {
        return None;
    }
    let mut groups = text.split(separator);
    let first = groups.next()?;
    let lead_ok = (1..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit());
    let mut digits = first.to_string();
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(group);
    }
    if !lead_ok {
        return None;
    }
    digits.parse().ok()
}

/// A report as a writer gave it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportInput {
    pub day: Option<Given>,
    /// A map of counter key → value, when given as one.
    pub counters: Option<Given>,
    pub note: Option<Given>,
    /// Keys a report does not have. The API takes an organiser's `unit`,
    /// `reason` and `competition` from here; validation refuses the rest.
    pub other: BTreeMap<String, Given>,
}

impl ReportInput {
    /// A report from text fields (the web form, an import line): `counters`
    /// holds the non-blank ones; a blank note is no note.
    pub fn from_text<'a>(
        day: &str,
        counters: impl IntoIterator<Item = (&'a str, &'a str)>,
        note: Option<&str>,
    ) -> ReportInput {
        ReportInput {
            day: Some(Given::Text(day.trim().to_string())),
            counters: Some(Given::Map(
                counters
                    .into_iter()
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(k, v)| (k.to_string(), Given::from_text(v)))
                    .collect(),
            )),
            note: note
                .filter(|n| !n.trim().is_empty())
                .map(|n| Given::Text(n.to_string())),
            other: BTreeMap::new(),
        }
    }

    /// Takes a field the caller handles itself (an organiser's `unit`,
    /// `reason`): its text, if it was given as text.
    pub fn take_text(&mut self, key: &str) -> Option<String> {
        match self.other.remove(key)? {
            Given::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// Reads a JSON object field by field, keeping every value as given. A body
/// that is not an object is refused here; everything else is for [`validate`].
impl<'de> Deserialize<'de> for ReportInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = ReportInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReportInput, A::Error> {
                let mut input = ReportInput::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "day" => input.day = Some(map.next_value()?),
                        "counters" => input.counters = Some(map.next_value()?),
                        "note" => input.note = Some(map.next_value()?),
                        _ => {
                            let value = map.next_value()?;
                            input.other.insert(key, value);
                        }
                    }
                }
                Ok(input)
            }
        }
        d.deserialize_map(Fields)
    }
}

impl<'de> Deserialize<'de> for Given {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Given;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Given, E> {
                Ok(Given::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Given, E> {
                Ok(Given::Null)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Given, E> {
                Ok(Given::Integer(i128::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Given, E> {
                Ok(Given::Integer(i128::from(v)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Given, E> {
                Ok(Given::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Given, E> {
                Ok(Given::Other)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Given, E> {
                Ok(Given::Text(v.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Given, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Given::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Given, A::Error> {
                let mut entries = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, Given>()? {
                    entries.insert(k, v);
                }
                Ok(Given::Map(entries))
            }
        }
        d.deserialize_any(Any)
    }
}

/// A report whose figures have been checked against the competition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidReport {
    pub day: NaiveDate,
    pub counters: Counters,
    pub note: Option<String>,
}

impl ValidReport {
    /// Identifies the request for idempotency keys.
    pub fn request_hash(&self) -> String {
        let canonical = serde_json::json!({
            "day": self.day, "counters": self.counters, "note": self.note,
        });
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }

    /// Values in the competition's counter order, for scoring.
    pub fn values(&self, competition: &Competition) -> Vec<u64> {
        counter_values(competition, &self.counters)
    }
}

pub fn counter_values(competition: &Competition, counters: &Counters) -> Vec<u64> {
    competition
        .counters
        .iter()
        .map(|c| counters.get(&c.key).copied().unwrap_or(0))
        .collect()
}

/// Checks a report; every problem is reported at once, by field
/// (`day`, `counters.received_online`, `note`, or an unknown key).
pub fn validate(competition: &Competition, input: &ReportInput) -> Result<ValidReport, AppError> {
    let mut fields = FieldErrors::new();
    for key in input.other.keys() {
        fields.insert(key.clone(), "Trường không được hỗ trợ".into());
    }
    let day = match &input.day {
        None => {
            fields.insert("day".into(), "Thiếu ngày báo cáo".into());
            None
        }
        Some(given) => {
            let day = given.text().and_then(crate::day::parse);
            if day.is_none() {
                fields.insert("day".into(), "Ngày phải có dạng YYYY-MM-DD".into());
            }
            day
        }
    };
    let mut counters = Counters::new();
    match &input.counters {
        Some(Given::Map(given)) => {
            for key in given.keys() {
                if !competition.counters.iter().any(|c| &c.key == key) {
                    fields.insert(
                        format!("counters.{key}"),
                        "Chỉ tiêu không có trong cuộc thi".into(),
                    );
                }
            }
            for counter in &competition.counters {
                let path = format!("counters.{}", counter.key);
                match given.get(&counter.key) {
                    None | Some(Given::Null) => {
                        fields.insert(path, format!("Thiếu \"{}\"", counter.label));
                    }
                    Some(Given::Integer(n)) if (0..=i128::from(MAX_VALUE)).contains(n) => {
                        counters.insert(counter.key.clone(), *n as u64);
                    }
                    Some(Given::Typed(_)) => {
                        fields.insert(
                            path,
                            format!(
                                "\"{}\" phải là số nguyên từ 0 đến 1.000.000.000, viết liền (1200) \
                                 hoặc tách hàng nghìn bằng dấu chấm (1.200); không dùng dấu phẩy",
                                counter.label
                            ),
                        );
                    }
                    Some(_) => {
                        fields.insert(
                            path,
                            format!(
                                "\"{}\" phải là số nguyên từ 0 đến 1.000.000.000",
                                counter.label
                            ),
                        );
                    }
                }
            }
        }
        Some(_) => {
            fields.insert(
                "counters".into(),
                "Số liệu phải là một đối tượng JSON".into(),
            );
        }
        None => {
            fields.insert("counters".into(), "Thiếu số liệu".into());
        }
    }
    for criterion in &competition.criteria {
        let (Some(n), Some(d)) = (
            counters.get(&criterion.numerator),
            counters.get(&criterion.denominator),
        ) else {
            continue;
        };
        if n > d {
            let label = |key: &str| {
                competition
                    .counters
                    .iter()
                    .find(|c| c.key == key)
                    .map(|c| c.label.clone())
                    .unwrap_or_default()
            };
            fields
                .entry(format!("counters.{}", criterion.numerator))
                .or_insert(format!(
                    "{} không được lớn hơn {}",
                    label(&criterion.numerator),
                    lowercase_first(&label(&criterion.denominator))
                ));
        }
    }
    let note = match &input.note {
        None | Some(Given::Null) => None,
        Some(Given::Text(s)) if crate::text::has_refused(s) => {
            fields.insert("note".into(), crate::error::TEXT_REFUSED.into());
            None
        }
        Some(Given::Text(s)) if s.chars().count() <= MAX_NOTE_CHARS => {
            Some(s.trim().to_string()).filter(|s| !s.is_empty())
        }
        Some(Given::Text(_)) => {
            fields.insert("note".into(), "Ghi chú tối đa 1.000 ký tự".into());
            None
        }
        Some(_) => {
            fields.insert("note".into(), "Ghi chú phải là chuỗi ký tự".into());
            None
        }
    };
    match day {
        Some(day) if fields.is_empty() => Ok(ValidReport {
            day,
            counters,
            note,
        }),
        _ => Err(AppError::validation(fields)),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Refuses every write once the competition's result is official.
pub fn check_not_final(record: &CompetitionRecord) -> Result<(), AppError> {
    if record.is_final() {
        return Err(AppError::Conflict {
            code: "competition_final",
            message: "Cuộc thi đã có kết quả chính thức, không thể thay đổi số liệu".into(),
        });
    }
    Ok(())
}

/// Checks the day window for a writer. Returns whether the report is late
/// (after the deadline, which only organisers may do).
pub fn check_window(
    record: &CompetitionRecord,
    day: NaiveDate,
    now: DateTime<Utc>,
    kind: ActorKind,
) -> Result<bool, AppError> {
    let competition = &record.competition;
    check_not_final(record)?;
    if !competition.contains(day) {
        return Err(AppError::field(
            "day",
            format!(
                "Ngày phải nằm trong thời gian thi đua ({} – {})",
                competition.start_date.format("%d/%m/%Y"),
                competition.end_date.format("%d/%m/%Y")
            ),
        ));
    }
    if day > competition.local_date(now) {
        return Err(AppError::field("day", "Chưa đến ngày này"));
    }
    let late = now >= competition.deadline(day);
    if late && kind.is_unit() {
        return Err(AppError::Conflict {
            code: "day_closed",
            message: format!(
                "Đã hết hạn báo cáo số liệu ngày {} (hạn chót {})",
                day.format("%d/%m/%Y"),
                competition
                    .deadline(day)
                    .with_timezone(&competition.timezone)
                    .format("%H:%M %d/%m/%Y")
            ),
        });
    }
    Ok(late)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn competition() -> Competition {
        Competition::parse(include_str!("../data/lang-son-2025.toml")).unwrap()
    }

    fn input(body: Value) -> ReportInput {
        serde_json::from_value(body).unwrap()
    }

    fn body(counters: Value) -> ReportInput {
        input(json!({"day": "2025-10-06", "counters": counters}))
    }

    fn full() -> Value {
        json!({"received": 10, "received_online": 9, "fee_required": 4,
               "paid_online": 4, "results_issued": 8, "results_signed": 8})
    }

    fn fields(e: AppError) -> FieldErrors {
        match e {
            AppError::Validation { fields, .. } => fields,
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_report_is_valid() {
        let r = validate(&competition(), &body(full())).unwrap();
        assert_eq!(r.counters["received_online"], 9);
        assert_eq!(r.values(&competition()), vec![10, 9, 4, 4, 8, 8]);
    }

    #[test]
    fn every_problem_is_named_by_field() {
        let mut c = full();
        c["received_online"] = json!(11);
        c["paid_online"] = json!(-1);
        c["results_signed"] = json!(1.5);
        c.as_object_mut().unwrap().remove("fee_required");
        c["recieved"] = json!(3);
        let f = fields(validate(&competition(), &body(c)).unwrap_err());
        assert_eq!(
            f["counters.received_online"],
            "Số hồ sơ tiếp nhận trực tuyến không được lớn hơn tổng số hồ sơ tiếp nhận"
        );
        for key in ["paid_online", "results_signed", "fee_required", "recieved"] {
            assert!(f.contains_key(&format!("counters.{key}")), "{key}: {f:?}");
        }
    }

    #[test]
    fn values_above_a_billion_and_long_notes_are_refused() {
        let mut c = full();
        c["received"] = json!(1_000_000_001u64);
        let f = fields(validate(&competition(), &body(c)).unwrap_err());
        assert!(f.contains_key("counters.received"));
        let long = json!({"day": "2025-10-06", "counters": full(), "note": "x".repeat(1001)});
        assert!(fields(validate(&competition(), &input(long)).unwrap_err()).contains_key("note"));
        let ok = json!({"day": "2025-10-06", "counters": full(), "note": "ổn".repeat(500)});
        assert!(validate(&competition(), &input(ok)).is_ok());
    }

    #[test]
    fn the_api_json_stays_strict_about_numbers() {
        let mut c = full();
        c["received"] = json!("1.200");
        let f = fields(validate(&competition(), &body(c)).unwrap_err());
        assert!(!f["counters.received"].contains("1.200"), "{f:?}");
    }

    #[test]
    fn malformed_days_and_unknown_fields_are_refused() {
        for day in [
            json!("2025-10-6"),
            json!("06/10/2025"),
            json!(20251006),
            json!("2025-02-30"),
        ] {
            let b = input(json!({"day": day, "counters": full()}));
            assert!(fields(validate(&competition(), &b).unwrap_err()).contains_key("day"));
        }
        let mut b = input(json!({"day": "2025-10-06", "counters": full(), "unit": "SNV"}));
        assert!(fields(validate(&competition(), &b).unwrap_err()).contains_key("unit"));
        assert_eq!(b.take_text("unit"), Some("SNV".into()));
        assert!(validate(&competition(), &b).is_ok());
        assert!(serde_json::from_value::<ReportInput>(json!([1])).is_err());
    }

    #[test]
    fn form_text_is_read_as_the_api_reads_json() {
        let fields_of = |value: &str| {
            let form = ReportInput::from_text(
                "2025-10-06",
                [
                    ("received", value),
                    ("received_online", "0"),
                    ("fee_required", "0"),
                    ("paid_online", "0"),
                    ("results_issued", "0"),
                    ("results_signed", "0"),
                ],
                Some("  "),
            );
            validate(&competition(), &form)
        };
        let ok = fields_of(" 12 ").unwrap();
        assert_eq!((ok.counters["received"], ok.note), (12, None));
        for (typed, value) in [
            ("1.200", 1200),
            ("1 200", 1200),
            ("1\u{a0}200", 1200),
            ("1.000.000.000", 1_000_000_000),
            ("999", 999),
        ] {
            let ok = fields_of(typed).unwrap();
            assert_eq!(ok.counters["received"], value, "{typed}");
        }
        for bad in [
            "1.5",
            "-3",
            "mười",
            "1000000001",
            "1,200",
            "1.20",
            "1.2000",
            "1.200 300",
            "12.34.567",
            ".200",
            "1.000.000.001",
        ] {
            let f = fields(fields_of(bad).unwrap_err());
            assert!(f.contains_key("counters.received"), "{bad}: {f:?}");
        }
        let f = fields(fields_of("1,200").unwrap_err());
        assert!(f["counters.received"].contains("1.200"), "{f:?}");
        let f = fields(fields_of("").unwrap_err());
        assert!(f["counters.received"].starts_with("Thiếu"), "{f:?}");
    }
}
