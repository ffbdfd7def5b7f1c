//! The bulk-import reader on arbitrary bytes, CSV or XLSX: every input is a
//! table or a 4xx refusal — never a panic, an abort or a runaway allocation
//! (libFuzzer's -rss_limit_mb and -malloc_limit_mb catch the last two).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = thidua::import::read_table(data) {
        assert!(e.status().is_client_error(), "{e:?}");
    }
});
