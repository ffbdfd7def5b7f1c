//! A competition day as text: `YYYY-MM-DD` on the wire, in files, in links
//! and in the database. The one parser every entry point uses, so that a day
//! accepted by the API is accepted by the form, the import and the store
//! alike. People read days as `dd/mm/yyyy` through [`crate::i18n::Lang::date`].

use chrono::{Datelike, NaiveDate};

/// A day written `YYYY-MM-DD` (surrounding spaces ignored). Anything else —
/// `2025-10-6`, `06/10/2025`, `2025-02-30` — is not a day.
pub fn parse(text: &str) -> Option<NaiveDate> {
    // Read by hand: a rebuild reads a day for each of 300,000 reports, and
    // a format string is parsed on every call of chrono's parser.
    let bytes = text.trim().as_bytes();
    let shape = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10))
}

/// The `YYYY-MM-DD` text of a day.
pub fn text(day: NaiveDate) -> String {
    if (0..=9999).contains(&day.year()) {
        format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
    } else {
        day.format("%Y-%m-%d").to_string()
    }
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

    /// The same answers as chrono's `%Y-%m-%d` with a round-trip check,
    /// what these functions were before they were written by hand.
    #[test]
    fn agrees_with_chrono() {
        let chrono_parse = |text: &str| {
            let text = text.trim();
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            (text.len() == 10 && text == day.format("%Y-%m-%d").to_string()).then_some(day)
        };
        let mut day = NaiveDate::from_ymd_opt(1999, 1, 1).unwrap();
        while day.year() < 2041 {
            let written = text(day);
            assert_eq!(written, day.format("%Y-%m-%d").to_string());
            assert_eq!(parse(&written), Some(day));
            day = day.succ_opt().unwrap();
        }
        for edge in [(0, 1, 1), (9999, 12, 31), (-1, 1, 1), (10000, 1, 1)] {
            let day = NaiveDate::from_ymd_opt(edge.0, edge.1, edge.2).unwrap();
            let written = text(day);
            assert_eq!(written, day.format("%Y-%m-%d").to_string());
            assert_eq!(parse(&written), chrono_parse(&written), "{written}");
        }
        for odd in [
            "2025-13-01",
            "2025-00-10",
            "2025-12-32",
            "2024-02-29",
            "2023-02-29",
            "2025-1a-01",
            "2025_10_06",
            "２025-10-06",
            "2025-10-06\n",
            "\t2025-10-06",
            "-025-10-06",
            "2025--10-6",
        ] {
            assert_eq!(parse(odd), chrono_parse(odd), "{odd:?}");
        }
    }
}
