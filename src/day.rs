//! A competition day as text: `YYYY-MM-DD` on the wire, in files, in links
//! and in the database. The one parser every entry point uses, so that a day
//! accepted by the API is accepted by the form, the import and the store
//! alike. People read days as `dd/mm/yyyy` through [`crate::i18n::Lang::date`].

use chrono::NaiveDate;

/// A day written `YYYY-MM-DD` (surrounding spaces ignored). Anything else —
/// `2025-10-6`, `06/10/2025`, `2025-02-30` — is not a day.
pub fn parse(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    (text.len() == 10 && text == day.format("%Y-%m-%d").to_string()).then_some(day)
}

/// The `YYYY-MM-DD` text of a day.
pub fn text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_form_is_a_day() {
        let d = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap();
        assert_eq!(parse("2025-10-06"), Some(d));
        assert_eq!(parse(" 2025-10-06 "), Some(d));
        for bad in [
            "2025-10-6",
            "06/10/2025",
            "2025-02-30",
            "20251006",
            "",
            "+2025-10-06",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(text(d), "2025-10-06");
    }
}
