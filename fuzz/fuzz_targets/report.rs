//! A daily report (SPEC §5) as the API receives it, on arbitrary bytes: the
//! body is read as `ReportInput` and validated against the Lạng Sơn
//! competition. Every input is either a valid report or a refusal naming
//! fields, never a panic — and a valid one respects every rule.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use thidua::competition::Competition;
use thidua::report::{self, ReportInput};

static COMPETITION: LazyLock<Competition> = LazyLock::new(|| {
    Competition::parse(include_str!("../../data/lang-son-2025.toml")).expect("the example file")
});

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<ReportInput>(data) else {
        return;
    };
    if let Ok(valid) = report::validate(&COMPETITION, &input) {
        assert_eq!(valid.counters.len(), COMPETITION.counters.len());
        assert!(valid.counters.values().all(|v| *v <= report::MAX_VALUE));
        for c in &COMPETITION.criteria {
            assert!(valid.counters[&c.numerator] <= valid.counters[&c.denominator]);
        }
        assert!(valid.note.as_ref().is_none_or(|n| n.chars().count() <= report::MAX_NOTE_CHARS));
    }
    // The form's path: the same text read field by field.
    if let Ok(text) = std::str::from_utf8(data) {
        let mut parts = text.split('\n');
        let day = parts.next().unwrap_or_default();
        let keys: Vec<&str> = COMPETITION.counter_keys().collect();
        let values: Vec<&str> = parts.by_ref().take(keys.len()).collect();
        let note = parts.next();
        let form = ReportInput::from_text(day, keys.into_iter().zip(values), note);
        let _ = report::validate(&COMPETITION, &form);
    }
});
