//! The units file: CSV `code,name,group[,active,parent]`, UTF-8 with or
//! without BOM.

use serde::Deserialize;

use crate::competition::Competition;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub group: String,
    pub active: bool,
    pub parent: Option<String>,
}

#[derive(Deserialize)]
struct RawRow {
    code: String,
    name: String,
    group: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    parent: Option<String>,
}

pub fn is_valid_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Parses and checks every line against the competition's groups; errors are
/// listed by line number, and nothing is returned unless every line is valid.
pub fn parse_csv(text: &str, competition: &Competition) -> Result<Vec<UnitRow>, Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    match reader.headers() {
        Ok(h) => {
            for required in ["code", "name", "group"] {
                if !h.iter().any(|c| c == required) {
                    errors.push(format!("dòng 1: thiếu cột {required:?}"));
                }
            }
        }
        Err(e) => errors.push(format!("dòng 1: {e}")),
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows: Vec<UnitRow> = Vec::new();
    for (i, record) in reader.deserialize::<RawRow>().enumerate() {
        let line = i + 2;
        let raw = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("dòng {line}: {e}"));
                continue;
            }
        };
        if !is_valid_code(&raw.code) {
            errors.push(format!(
                "dòng {line}: mã đơn vị {:?} không hợp lệ",
                raw.code
            ));
        }
        if raw.name.is_empty() || raw.name.chars().count() > 200 {
            errors.push(format!("dòng {line}: tên đơn vị trống hoặc quá dài"));
        }
        if competition.group(&raw.group).is_none() {
            errors.push(format!(
                "dòng {line}: nhóm {:?} không có trong cuộc thi",
                raw.group
            ));
        }
        let active = match raw.active.as_deref().map(str::to_lowercase).as_deref() {
            None | Some("") | Some("true") | Some("1") | Some("yes") | Some("x") => true,
            Some("false") | Some("0") | Some("no") => false,
            Some(other) => {
                errors.push(format!("dòng {line}: active {other:?} không hợp lệ"));
                true
            }
        };
        if rows.iter().any(|r| r.code == raw.code) {
            errors.push(format!("dòng {line}: mã đơn vị {:?} bị trùng", raw.code));
        }
        rows.push(UnitRow {
            code: raw.code,
            name: raw.name,
            group: raw.group,
            active,
            parent: raw.parent.filter(|p| !p.is_empty()),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn competition() -> Competition {
        Competition::parse(include_str!("../data/lang-son-2025.toml")).unwrap()
    }

    #[test]
    fn the_lang_son_units_load() {
        let rows = parse_csv(include_str!("../data/lang-son-units.csv"), &competition()).unwrap();
        assert_eq!(rows.len(), 79);
        assert_eq!(rows.iter().filter(|r| r.group == "xa-phuong").count(), 65);
        assert!(
            rows.iter()
                .any(|r| r.name == "Sở Văn hóa, Thể thao và Du lịch")
        );
    }

    #[test]
    fn bad_lines_are_listed_with_their_numbers() {
        let text = "\u{feff}code,name,group\nA1,Xã A,xa-phuong\nA 2,Xã B,xa-phuong\nA1,Xã C,nope\n";
        let errors = parse_csv(text, &competition()).unwrap_err();
        assert!(errors[0].starts_with("dòng 3"), "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("dòng 4") && e.contains("nope"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("dòng 4") && e.contains("trùng"))
        );
    }
}
