//! `tactful::fuzzing::context`: see that module for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tactful::fuzzing::context(data);
});
