//! CSV: one row per unit and board, UTF-8 with a BOM so that Excel reads the
//! diacritics.
//!
//! A spreadsheet opening a CSV splits it with the list separator of the
//! computer's regional settings and reads numbers with its decimal symbol.
//! With Vietnamese settings (`vi-VN`: decimal comma, list separator `;`) a
//! comma-separated file lands in one column and `96.43` stays text; so the
//! default file ([`CsvLocale::Vi`]) is separated by `;`, writes `96,43`, and
//! names its columns and statuses in Vietnamese. [`CsvLocale::En`] is the
//! file for English (US) settings and for software: `,`, `96.43`, and stable
//! English column keys (`board`, `unit_code`, `rank`, …, `status` =
//! `provisional`/`final`).

use std::collections::BTreeMap;

use super::{Results, reason_label};
use crate::error::{AppError, Result};
use crate::i18n::Lang;
use crate::leaderboard::CriterionView;

/// The regional settings a CSV is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvLocale {
    /// `;` between fields, decimal comma, Vietnamese headers.
    Vi,
    /// `,` between fields, decimal point, English column keys.
    En,
}

impl CsvLocale {
    pub fn parse(text: &str) -> Option<CsvLocale> {
        match text.trim().to_ascii_lowercase().as_str() {
            "vi" | "vi-vn" => Some(CsvLocale::Vi),
            "en" | "en-us" => Some(CsvLocale::En),
            _ => None,
        }
    }

    fn separator(self) -> u8 {
        match self {
            CsvLocale::Vi => b';',
            CsvLocale::En => b',',
        }
    }

    fn lang(self) -> Lang {
        match self {
            CsvLocale::Vi => Lang::Vi,
            CsvLocale::En => Lang::En,
        }
    }
}

/// Text a spreadsheet would take for a formula gets a leading apostrophe
/// (the OWASP advice for CSV injection); other text is unchanged.
pub fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Hundredths written with the locale's decimal symbol: `97,35` or `97.35`.
fn hundredths(bp: Option<u32>, locale: CsvLocale) -> String {
    bp.map(|bp| locale.lang().decimal(bp)).unwrap_or_default()
}

fn header(s: &Results, locale: CsvLocale) -> Vec<String> {
    let c = s.competition();
    let counter = |key: &str| {
        c.counters
            .iter()
            .find(|k| k.key == key)
            .map_or(key.to_string(), |k| k.label.clone())
    };
    let mut header: Vec<String> = match locale {
        CsvLocale::Vi => [
            "Bảng xếp hạng",
            "Tình trạng",
            "Hạng",
            "Mã đơn vị",
            "Tên đơn vị",
            "Khối thi đua",
        ]
        .map(String::from)
        .into(),
        CsvLocale::En => [
            "board",
            "board_name",
            "status",
            "rank",
            "unit_code",
            "unit_name",
            "group",
        ]
        .map(String::from)
        .into(),
    };
    for k in &c.criteria {
        match locale {
            CsvLocale::Vi => {
                header.push(format!("{} - {}", k.label, counter(&k.numerator)));
                header.push(format!("{} - {}", k.label, counter(&k.denominator)));
                header.push(format!("{} - Tỷ lệ (%)", k.label));
            }
            CsvLocale::En => {
                header.push(format!("{}_numerator", k.key));
                header.push(format!("{}_denominator", k.key));
                header.push(format!("{}_rate_percent", k.key));
            }
        }
    }
    let tail: &[&str] = match locale {
        CsvLocale::Vi => &["Điểm", "Xếp loại", "Số ngày báo cáo", "Ghi chú"],
        CsvLocale::En => &[
            "score",
            "score_bp",
            "grade",
            "days_reported",
            "unranked_reason",
        ],
    };
    header.extend(tail.iter().map(|h| h.to_string()));
    header
}

/// CSV: UTF-8 with BOM, one row per unit and board, ranked units first.
pub fn csv(s: &Results, locale: CsvLocale) -> Result<Vec<u8>> {
    let c = s.competition();
    let mut out = Vec::from("\u{feff}".as_bytes());
    let fail = |e: ::csv::Error| AppError::Internal(e.into());
    {
        let mut w = ::csv::WriterBuilder::new()
            .delimiter(locale.separator())
            .from_writer(&mut out);
        w.write_record(header(s, locale)).map_err(fail)?;
        let status = match (locale, s.is_final) {
            (CsvLocale::Vi, true) => "Chính thức",
            (CsvLocale::Vi, false) => "Tạm tính",
            (CsvLocale::En, true) => "final",
            (CsvLocale::En, false) => "provisional",
        };
        let criteria = |map: &BTreeMap<String, CriterionView>| {
            let mut cells = Vec::new();
            for k in &c.criteria {
                let v = map.get(&k.key);
                cells.push(v.map(|v| v.numerator.to_string()).unwrap_or_default());
                cells.push(v.map(|v| v.denominator.to_string()).unwrap_or_default());
                cells.push(hundredths(v.and_then(|v| v.rate_bp), locale));
            }
            cells
        };
        for board in &s.boards {
            let lead = |rank: String, code: &str, name: &str, group: &str| -> Vec<String> {
                match locale {
                    CsvLocale::Vi => vec![
                        csv_text(&board.board_name),
                        status.to_string(),
                        rank,
                        csv_text(code),
                        csv_text(name),
                        csv_text(&s.group_name(group)),
                    ],
                    CsvLocale::En => vec![
                        board.board.to_string(),
                        csv_text(&board.board_name),
                        status.to_string(),
                        rank,
                        csv_text(code),
                        csv_text(name),
                        group.to_string(),
                    ],
                }
            };
            for e in &board.entries {
                let mut row = lead(
                    e.rank.to_string(),
                    &e.unit.code,
                    &e.unit.name,
                    &e.unit.group,
                );
                row.extend(criteria(&e.criteria));
                row.push(hundredths(Some(e.score_bp), locale));
                if locale == CsvLocale::En {
                    row.push(e.score_bp.to_string());
                }
                row.push(csv_text(e.grade.as_deref().unwrap_or("")));
                row.push(e.days_reported.to_string());
                row.push(String::new());
                w.write_record(&row).map_err(fail)?;
            }
            for u in &board.unranked {
                let mut row = lead(String::new(), &u.unit.code, &u.unit.name, &u.unit.group);
                row.extend(criteria(&u.criteria));
                row.push(String::new());
                if locale == CsvLocale::En {
                    row.push(String::new());
                }
                row.push(String::new());
                row.push(u.days_reported.to_string());
                row.push(match locale {
                    CsvLocale::Vi => reason_label(u.reason).to_string(),
                    CsvLocale::En => u.reason.as_str().to_string(),
                });
                w.write_record(&row).map_err(fail)?;
            }
        }
        w.flush().map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_defused_in_csv() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("Xã Thất Khê"), "Xã Thất Khê");
    }

    #[test]
    fn hundredths_keep_two_decimals_in_the_locales_symbol() {
        assert_eq!(hundredths(Some(9735), CsvLocale::En), "97.35");
        assert_eq!(hundredths(Some(5), CsvLocale::En), "0.05");
        assert_eq!(hundredths(Some(9643), CsvLocale::Vi), "96,43");
        assert_eq!(hundredths(Some(10000), CsvLocale::Vi), "100,00");
        assert_eq!(hundredths(None, CsvLocale::Vi), "");
    }

    #[test]
    fn locales_are_named_as_people_write_them() {
        assert_eq!(CsvLocale::parse("VI"), Some(CsvLocale::Vi));
        assert_eq!(CsvLocale::parse("en-US"), Some(CsvLocale::En));
        assert_eq!(CsvLocale::parse("fr"), None);
    }
}
