//! The competition file (SPEC §3) on arbitrary text: every input is either a
//! competition or a refusal, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = thidua::competition::Competition::parse(text);
    }
});
