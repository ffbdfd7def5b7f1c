//! What makes a daily report acceptable (SPEC §5): every counter present and
//! an integer in range, no unknown keys, numerators within denominators, an
//! optional short note, and a day inside the window and before its deadline.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::competition::Competition;
use crate::error::{AppError, FieldErrors};
use crate::store::{CompetitionRecord, Counters};

pub const MAX_VALUE: u64 = 1_000_000_000;
pub const MAX_NOTE_CHARS: usize = 1000;

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

/// Checks a report body: `{"day", "counters", "note"?}` plus any of
/// `extra_keys` (fields a caller handles itself, such as an organiser's
/// `unit` and `reason`). Every problem is reported at once, by field.
pub fn parse(
    competition: &Competition,
    body: &Value,
    extra_keys: &[&str],
) -> Result<ValidReport, AppError> {
    let Some(object) = body.as_object() else {
        return Err(AppError::BadRequest(
            "Nội dung phải là một đối tượng JSON".into(),
        ));
    };
    let mut fields = FieldErrors::new();
    for key in object.keys() {
        if !["day", "counters", "note"].contains(&key.as_str())
            && !extra_keys.contains(&key.as_str())
        {
            fields.insert(key.clone(), "Trường không được hỗ trợ".into());
        }
    }
    let day = match object.get("day") {
        Some(Value::String(s)) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d.format("%Y-%m-%d").to_string() == *s => Some(d),
            _ => {
                fields.insert("day".into(), "Ngày phải có dạng YYYY-MM-DD".into());
                None
            }
        },
        Some(_) => {
            fields.insert("day".into(), "Ngày phải có dạng YYYY-MM-DD".into());
            None
        }
        None => {
            fields.insert("day".into(), "Thiếu ngày báo cáo".into());
            None
        }
    };
    let mut counters = Counters::new();
    match object.get("counters") {
        Some(Value::Object(given)) => {
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
                    None | Some(Value::Null) => {
                        fields.insert(path, format!("Thiếu \"{}\"", counter.label));
                    }
                    Some(v) => match v.as_u64() {
                        Some(n) if n <= MAX_VALUE => {
                            counters.insert(counter.key.clone(), n);
                        }
                        _ => {
                            fields.insert(
                                path,
                                format!(
                                    "\"{}\" phải là số nguyên từ 0 đến 1.000.000.000",
                                    counter.label
                                ),
                            );
                        }
                    },
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
    let note = match object.get("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= MAX_NOTE_CHARS => {
            Some(s.trim().to_string()).filter(|s| !s.is_empty())
        }
        Some(Value::String(_)) => {
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

/// Who is writing, which decides what the deadline means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    Unit,
    Organizer,
}

/// Checks the day window. Returns whether the report is late (after the
/// deadline, which only organisers may do).
pub fn check_window(
    record: &CompetitionRecord,
    day: NaiveDate,
    now: DateTime<Utc>,
    writer: Writer,
) -> Result<bool, AppError> {
    let competition = &record.competition;
    if record.is_final() {
        return Err(AppError::Conflict {
            code: "competition_final",
            message: "Cuộc thi đã có kết quả chính thức, không thể thay đổi số liệu".into(),
        });
    }
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
    if late && writer == Writer::Unit {
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
    use serde_json::json;

    fn competition() -> Competition {
        Competition::parse(include_str!("../data/lang-son-2025.toml")).unwrap()
    }

    fn body(counters: Value) -> Value {
        json!({"day": "2025-10-06", "counters": counters})
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
        let r = parse(&competition(), &body(full()), &[]).unwrap();
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
        let f = fields(parse(&competition(), &body(c), &[]).unwrap_err());
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
        let f = fields(parse(&competition(), &body(c), &[]).unwrap_err());
        assert!(f.contains_key("counters.received"));
        let long = json!({"day": "2025-10-06", "counters": full(), "note": "x".repeat(1001)});
        assert!(fields(parse(&competition(), &long, &[]).unwrap_err()).contains_key("note"));
        let ok = json!({"day": "2025-10-06", "counters": full(), "note": "ổn".repeat(500)});
        assert!(parse(&competition(), &ok, &[]).is_ok());
    }

    #[test]
    fn malformed_days_and_unknown_fields_are_refused() {
        for day in [
            json!("2025-10-6"),
            json!("06/10/2025"),
            json!(20251006),
            json!("2025-02-30"),
        ] {
            let b = json!({"day": day, "counters": full()});
            assert!(fields(parse(&competition(), &b, &[]).unwrap_err()).contains_key("day"));
        }
        let b = json!({"day": "2025-10-06", "counters": full(), "unit": "SNV"});
        assert!(fields(parse(&competition(), &b, &[]).unwrap_err()).contains_key("unit"));
        assert!(parse(&competition(), &b, &["unit"]).is_ok());
        assert!(matches!(
            parse(&competition(), &json!([1]), &[]),
            Err(AppError::BadRequest(_))
        ));
    }
}
