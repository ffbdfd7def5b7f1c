//! Text a client sends, before it goes anywhere: the characters no page,
//! database or export can carry are refused (422, naming the field), the
//! same on SQLite and PostgreSQL.
//!
//! PostgreSQL cannot store U+0000 in `text` at all; SQLite can, so without
//! this check the two databases would answer the same request differently.
//! The other C0 control characters are refused too: XML 1.0 (XLSX exports)
//! cannot hold them and they have no place in a name, a note or a reason.
//! Tab, line feed and carriage return stay: notes and reasons have lines.

use crate::error::{AppError, FieldErrors, TEXT_REFUSED as REFUSED};

/// Whether `c` is one of the characters refused in any text.
pub fn refused(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r') && c != '\u{7f}'
}

/// Whether `s` holds a refused character.
pub fn has_refused(s: &str) -> bool {
    s.chars().any(refused)
}

/// 422 naming `field` when `value` holds a refused character.
pub fn check(field: &str, value: &str) -> Result<(), AppError> {
    if has_refused(value) {
        Err(AppError::field(field, REFUSED))
    } else {
        Ok(())
    }
}

/// Every field of a form (names and values) whose text is refused.
pub fn check_fields(fields: &[(String, String)]) -> Result<(), AppError> {
    let mut refused = FieldErrors::new();
    for (name, value) in fields {
        if has_refused(name) || has_refused(value) {
            let name: String = name.chars().filter(|c| !self::refused(*c)).collect();
            refused.insert(name, REFUSED.into());
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(refused))
    }
}

/// Every string of a JSON value (keys and values), by its path
/// (`note`, `reports.3.note`, `counters`): refused ones are a 422.
pub fn check_json(value: &serde_json::Value) -> Result<(), AppError> {
    let mut refused = FieldErrors::new();
    walk(value, &mut String::new(), &mut refused);
    if refused.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(refused))
    }
}

fn walk(value: &serde_json::Value, path: &mut String, refused: &mut FieldErrors) {
    use serde_json::Value;
    // A body is at most 64 KiB, so neither the depth nor the count of
    // strings is large; serde_json already refused nesting over 128.
    match value {
        Value::String(s) if has_refused(s) => {
            refused.insert(display(path), REFUSED.into());
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                push(path, &i.to_string());
                walk(item, path, refused);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if has_refused(key) {
                    refused.insert(display(path), REFUSED.into());
                    continue;
                }
                push(path, key);
                walk(item, path, refused);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn push(path: &mut String, segment: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(segment);
}

fn display(path: &str) -> String {
    if path.is_empty() {
        "body".into()
    } else {
        path.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::Validation { fields, .. } => fields.into_keys().collect(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn nul_and_other_controls_are_refused_by_path() {
        let body = json!({"day": "2025-10-06", "note": "a\u{0}b",
                          "reports": [{"note": "ok"}, {"note": "x\u{1b}y"}],
                          "counters": {"bad\u{0}key": 1}});
        assert_eq!(
            fields(check_json(&body).unwrap_err()),
            ["counters", "note", "reports.1.note"]
        );
    }

    #[test]
    fn lines_tabs_and_vietnamese_pass() {
        let body = json!({"note": "Dòng 1\r\n\tDòng 2 — ổn định", "n": 3});
        assert!(check_json(&body).is_ok());
        assert!(check("note", "Xã Thất Khê").is_ok());
        assert_eq!(fields(check("name", "admin\u{0}").unwrap_err()), ["name"]);
    }

    #[test]
    fn form_fields_name_the_field() {
        let form = vec![
            ("name".to_string(), "a\u{0}".to_string()),
            ("password".to_string(), "ok".to_string()),
        ];
        assert_eq!(fields(check_fields(&form).unwrap_err()), ["name"]);
    }
}
