//! Replays every fuzz finding (`tests/fuzz/findings/<target>/<file>`) through its target's
//! check, `tactful::fuzzing::<target>`, in the normal test run: each must still fail cleanly,
//! with the outcome `tests/fuzz/findings/outcomes.txt` gives it, and never panic.

#![cfg(all(feature = "compiler", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test states its expectations by panicking"
)]

use std::collections::BTreeMap;
use std::path::Path;

use tactful::fuzzing;

type Check = fn(&[u8]) -> Result<(), &'static str>;

const TARGETS: [(&str, Check); 6] = [
    ("snapshot", fuzzing::snapshot),
    ("payload", fuzzing::payload),
    ("memory", fuzzing::memory),
    ("context", fuzzing::context),
    ("decisions", fuzzing::decisions),
    ("store", fuzzing::store),
];

#[test]
fn every_finding_fails_cleanly_with_its_recorded_outcome() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/findings");
    let outcomes: BTreeMap<String, String> = std::fs::read_to_string(dir.join("outcomes.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .map(|(file, outcome)| (file.to_string(), outcome.trim().to_string()))
        .collect();
    let mut replayed = 0;
    for (target, check) in TARGETS {
        let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = format!("{target}/{}", path.file_name().unwrap().to_string_lossy());
            let expected = outcomes
                .get(&name)
                .unwrap_or_else(|| panic!("{name} has no line in outcomes.txt"));
            let outcome = match check(&std::fs::read(&path).unwrap()) {
                Ok(()) => "ok",
                Err(code) => code,
            };
            assert_eq!(outcome, expected, "{name}");
            replayed += 1;
        }
    }
    assert_eq!(
        replayed,
        outcomes.len(),
        "outcomes.txt names a file that is not there"
    );
}

/// The checks themselves catch what they promise to: a snapshot that loads decides, memory
/// that reads is canonical, a typed refusal is reported as its code.
#[test]
fn the_checks_accept_good_input_and_report_typed_refusals() {
    let golden = include_bytes!("golden/inkwell-v1.snap");
    assert_eq!(fuzzing::snapshot(golden), Ok(()));
    assert_eq!(fuzzing::snapshot(b"TCTF"), Err("snapshot.too_short"));
    // `payload` frames as the current format (4): the format-1 body lacks the email timing,
    // the frame exploration and the place of viewed items that formats 2 to 4 appended; with
    // them (`None`s, one zero byte each) it is a format-4 payload.
    assert_eq!(fuzzing::payload(&golden[20..]), Err("snapshot.decode"));
    let mut body = golden[20..].to_vec();
    body.extend([0, 0, 0]);
    assert_eq!(fuzzing::payload(&body), Ok(()));
    assert_eq!(fuzzing::memory(b""), Ok(()));
    assert_eq!(fuzzing::memory(b"!!"), Err("memory.not_base64"));
    assert_eq!(fuzzing::context(b"{}"), Err("context.json"));
    assert_eq!(
        fuzzing::context(br#"{"surface":"cart","now":1763726400000,"shopperKey":"k"}"#),
        Ok(())
    );
    // Decide, dismiss what was shown, decide again a minute later: it stays away.
    assert_eq!(
        fuzzing::decisions(&[0, 0, 0, 1, 0, 0, 2, 1, 0, 1, 0, 0]),
        Ok(())
    );
    let store =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile/two_offers.toml"))
            .unwrap();
    assert_eq!(fuzzing::store(&store), Ok(()));
    assert_eq!(fuzzing::store(b"[store"), Err("compile"));
}
