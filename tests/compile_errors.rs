//! The store-file error cases in `tests/compile/`, one test per file: adding a case is adding
//! a file.
//!
//! Each file is a store file whose leading comment says what it shows and what the compiler
//! must say about it:
//!
//! ```toml
//! # An offer requires an item the store does not have.
//! # expect: error[unknown_id] 25:13 unknown item `ghost` in `requires`
//! # options: budget=100            (optional: the command line's `--budget`)
//! # model: models/no-weights.toml   (optional: a model file, relative to `tests/compile/`)
//! ```
//!
//! Every `expect` line must be matched by a diagnostic of that severity and code, at that
//! `line:column` of the file, whose message contains the rest of the line, and which renders
//! as `error[code]: ...` pointing at `file:line:column`. With an `error` expected the store
//! must not compile; with only warnings expected it must compile; `# expect: clean` means it
//! compiles with no warning at all. Positions count the comment lines, so they are what an
//! editor shows.

#![allow(
    clippy::panic,
    reason = "a harness that cannot find its cases says so by panicking"
)]

#[cfg(all(feature = "compiler", not(target_arch = "wasm32")))]
fn main() -> std::process::ExitCode {
    harness::main()
}

#[cfg(not(all(feature = "compiler", not(target_arch = "wasm32"))))]
fn main() {}

#[cfg(all(feature = "compiler", not(target_arch = "wasm32")))]
mod harness {
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;

    use libtest_mimic::{Arguments, Failed, Trial};
    use tactful::compile::{Diagnostic, Options, Severity, compile_paths};

    /// One `# expect:` line.
    struct Expected {
        severity: Severity,
        code: String,
        line: usize,
        column: usize,
        message: String,
    }

    pub fn main() -> ExitCode {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no case files in {}", dir.display());
        let trials = files
            .into_iter()
            .map(|path| {
                let name = path
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                Trial::test(name, move || run(&path))
            })
            .collect();
        libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
    }

    fn run(path: &Path) -> Result<(), Failed> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (expected, clean, options, model) = header(&text)?;
        if expected.is_empty() && !clean {
            return Err("the file has no `# expect:` line".into());
        }
        let model = model.map(|m| path.with_file_name(m));
        let outcome = compile_paths(path, model.as_deref(), &options);
        let must_fail = expected.iter().any(|e| e.severity == Severity::Error);
        let diagnostics = match (outcome, must_fail) {
            (Ok(compiled), false) => compiled.warnings,
            (Err(diagnostics), true) => diagnostics,
            (Ok(compiled), true) => {
                return Err(format!(
                    "expected an error, but it compiled with {:#?}",
                    compiled.warnings
                )
                .into());
            }
            (Err(diagnostics), false) => {
                return Err(format!("expected it to compile, but: {}", show(&diagnostics)).into());
            }
        };
        if clean && !diagnostics.is_empty() {
            return Err(format!("expected no warning, got: {}", show(&diagnostics)).into());
        }
        for e in &expected {
            let found = diagnostics.iter().find(|d| {
                d.severity == e.severity
                    && d.code == e.code
                    && (d.line, d.column) == (e.line, e.column)
            });
            let Some(found) = found else {
                return Err(format!(
                    "no {:?}[{}] at {}:{}; the compiler said: {}",
                    e.severity,
                    e.code,
                    e.line,
                    e.column,
                    show(&diagnostics)
                )
                .into());
            };
            if !found.message.contains(&e.message) {
                return Err(format!(
                    "[{}]: {:?} does not contain {:?}",
                    e.code, found.message, e.message
                )
                .into());
            }
            let shown = found.to_string();
            let label = if e.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            let at = format!("--> {}:{}:{}", path.display(), e.line, e.column);
            if !shown.starts_with(&format!("{label}[{}]: ", e.code)) || !shown.contains(&at) {
                return Err(format!("rendered as:\n{shown}").into());
            }
        }
        Ok(())
    }

    /// The `# expect:` lines, whether `# expect: clean` was given, the options and the model.
    fn header(text: &str) -> Result<(Vec<Expected>, bool, Options, Option<String>), Failed> {
        let mut expected = Vec::new();
        let mut clean = false;
        let mut options = Options::default();
        let mut model = None;
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            if let Some(rest) = line.strip_prefix("# model: ") {
                model = Some(rest.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("# options: ") {
                let budget = rest
                    .strip_prefix("budget=")
                    .and_then(|b| b.trim().parse().ok());
                options.budget = Some(budget.ok_or_else(|| format!("unknown option `{rest}`"))?);
            } else if line == "# expect: clean" {
                clean = true;
            } else if let Some(rest) = line.strip_prefix("# expect: ") {
                expected.push(expectation(rest).ok_or_else(|| format!("cannot read `{line}`"))?);
            }
        }
        Ok((expected, clean, options, model))
    }

    /// `error[code] line:column message`.
    fn expectation(text: &str) -> Option<Expected> {
        let (label, rest) = text.split_once('[')?;
        let (code, rest) = rest.split_once("] ")?;
        let (at, message) = rest.split_once(' ')?;
        let (line, column) = at.split_once(':')?;
        Some(Expected {
            severity: match label {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                _ => return None,
            },
            code: code.to_string(),
            line: line.parse().ok()?,
            column: column.parse().ok()?,
            message: message.to_string(),
        })
    }

    fn show(diagnostics: &[Diagnostic]) -> String {
        diagnostics.iter().map(|d| format!("\n{d}")).collect()
    }
}
