//! Compiler messages that point at the source like a compiler's: `file:line:column`, the line,
//! and a caret under the offending text, each with a stable [`Code`].
//!
//! The codes are listed once, in the `codes!` table below: the enum, its strings and the
//! one-line meanings the table in `www/docs/store-file.md` repeats (a test keeps the two equal) all come from it.

use core::fmt;
use core::ops::Range;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The store does not compile.
    Error,
    /// The store compiles, but something in it is probably a mistake.
    Warning,
}

/// One message about a store or model file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code (`unknown_id`, `never_shown`, `cooldown_shorter_than_cap`...): the string
    /// of one of [`Code::ALL`].
    pub code: &'static str,
    /// What is wrong, lower-case, user values in backticks.
    pub message: String,
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The offending text.
    pub text: String,
    /// The whole source line, for display.
    #[serde(skip)]
    pub source_line: String,
    /// How many characters to underline.
    #[serde(skip)]
    pub width: usize,
}

/// Declares [`Code`] from one table: variant, stable string, one-line meaning.
macro_rules! codes {
    ($($variant:ident = $text:literal: $meaning:literal,)*) => {
        /// What a diagnostic is about. The string ([`Code::as_str`]) is stable: scripts and CI
        /// may match on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in the order `www/docs/store-file.md` lists them.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable string, as in `error[never_shown]`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }

            /// What the code means, in one line.
            #[must_use]
            pub const fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning,)* }
            }
        }
    };
}

codes! {
    Io = "io": "a store, model or included file cannot be read",
    Include = "include": "an included file cannot be read",
    Toml = "toml": "the file is not valid TOML, or has a key or value of the wrong shape",
    BadId = "bad_id": "an id or name uses characters it may not",
    Duplicate = "duplicate": "an id, fact or signal is defined twice",
    UnknownId = "unknown_id": "an item or offer id that the store does not define",
    UnknownValue = "unknown_value": "a surface, kind, frame, tier, play, stage or fact type that does not exist",
    UnknownSignal = "unknown_signal": "an event name that is neither built in nor under `[signals] extra`",
    UnknownFact = "unknown_fact": "a fact a condition reads that `[facts]` does not declare",
    UnknownName = "unknown_name": "a name in a condition that is not a fact, signal or field",
    UnknownFeature = "unknown_feature": "a model weight on a feature the engine does not compute",
    Currency = "currency": "`currency` is not an ISO 4217 code",
    Money = "money": "a price or cost that is negative or too large",
    Size = "size": "`snapshot_budget` is not a size such as `64KB`",
    Duration = "duration": "a duration that is not `30m`, `2h`, `3d`, `1w`, `0` or (in a ladder) `never`",
    LikelyMonths = "likely_months": "a cooldown or cap window of 1 to 12 minutes (`1m`), where months were likely meant",
    Range = "range": "a number outside its range: percent, fraction, strength or weight",
    Limit = "limit": "a surface shows more offers at once than the format allows",
    Cap = "cap": "a cap above what memory can count, or one with no window",
    Trigger = "trigger": "`needs_trigger = false` on `in_product`",
    Tiers = "tiers": "a tier ladder that does not ascend, or leaves out `below` before its end",
    Thresholds = "thresholds": "risk thresholds in an order that makes one of them dead",
    Plays = "plays": "kinds given to `protect`, which shows nothing",
    Cooldown = "cooldown": "a cooldown ladder that is empty, too long or shortens",
    Timing = "timing": "an email window that is not `[from, to]`, closes before it opens, or is over 365 days",
    Cost = "cost": "an offer with both `cost` and `margin`",
    Copy = "copy": "an offer with no copy for any frame",
    Template = "template": "a title, copy or note with an unknown placeholder or an unmatched brace",
    CelSyntax = "cel_syntax": "a condition that does not parse",
    CelType = "cel_type": "a condition that compares or combines values of the wrong types",
    CelUnsupported = "cel_unsupported": "CEL the engine does not evaluate (macros, regexes, other roots)",
    CelTooComplex = "cel_too_complex": "a condition too long or too deep for the engine's limits",
    NeverShown = "never_shown": "an offer, or a whole surface, that can never show",
    UnreachablePlay = "unreachable_play": "an offer shown only in plays that the model's scores can never reach",
    Contradiction = "contradiction": "conditions that contradict: `when` equals `unless`, or two rules disagree",
    NoEffect = "no_effect": "a rule, or a setting, that changes nothing",
    NeverApplies = "never_applies": "a rule whose condition is always false",
    CooldownShorterThanCap = "cooldown_shorter_than_cap": "a dismissed offer comes back before its cap window ends",
    CooldownShorterThanSession = "cooldown_shorter_than_session": "a dismissed offer can come back in the same session",
    FamilyCooldownLonger = "family_cooldown_longer": "a sibling's dismissal keeps an offer away longer than its own",
    MemoryKey = "memory_key": "two offer ids that hash to the same memory key",
    SelfNeighbour = "self_neighbour": "a model lists an item as its own neighbour",
    OverBudget = "over_budget": "the snapshot is larger than `snapshot_budget` or `--budget`",
    FormatLimit = "format_limit": "the store breaks a limit of the snapshot format",
    Internal = "internal": "a bug in tactful: please report it",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source file, kept for turning byte offsets into positions.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as given.
    pub name: String,
    /// The text.
    pub text: String,
}

impl Source {
    /// A diagnostic pointing at `span` (byte offsets) in this file.
    pub fn at(
        &self,
        severity: Severity,
        code: Code,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let start = floor_char(&self.text, span.start.min(self.text.len()));
        let end = floor_char(&self.text, span.end.clamp(start, self.text.len()));
        let line_start = self
            .text
            .get(..start)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let line_end = self
            .text
            .get(start..)
            .and_then(|t| t.find('\n'))
            .map_or(self.text.len(), |i| start + i);
        let line = self
            .text
            .get(..start)
            .map_or(0, |t| t.matches('\n').count())
            + 1;
        let column = self
            .text
            .get(line_start..start)
            .map_or(0, |t| t.chars().count())
            + 1;
        let text: String = self
            .text
            .get(start..end.min(line_end).max(start))
            .unwrap_or_default()
            .to_string();
        Diagnostic {
            severity,
            code: code.as_str(),
            message: message.into(),
            file: self.name.clone(),
            line,
            column,
            width: text.chars().count().max(1),
            text,
            source_line: self
                .text
                .get(line_start..line_end)
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// An error at `span`.
    pub fn error(&self, code: Code, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.at(Severity::Error, code, span, message)
    }

    /// A warning at `span`.
    pub fn warning(
        &self,
        code: Code,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.at(Severity::Warning, code, span, message)
    }
}

fn floor_char(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{label}[{}]: {}", self.code, self.message)?;
        let gutter = self.line.to_string().len();
        writeln!(
            f,
            "{:gutter$}--> {}:{}:{}",
            "", self.file, self.line, self.column
        )?;
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {}", self.line, self.source_line)?;
        write!(
            f,
            "{:gutter$} | {}{}",
            "",
            " ".repeat(self.column - 1),
            "^".repeat(self.width)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let source = Source {
            name: "store.toml".into(),
            text: "a = 1\nwhen = 'facts.x > 1'\n".into(),
        };
        let start = source.text.find("facts.x").unwrap_or(0);
        let d = source.error(Code::UnknownFact, start..start + 7, "unknown fact `x`");
        assert_eq!((d.line, d.column, d.text.as_str()), (2, 9, "facts.x"));
        let shown = d.to_string();
        assert!(shown.contains("--> store.toml:2:9"), "{shown}");
        assert!(shown.ends_with("        ^^^^^^^"), "{shown}");
    }

    /// The docs' table of codes is this enum's table, row for row: a code added, renamed or
    /// reworded here without `www/docs/store-file.md` (or the other way round) fails.
    #[test]
    fn the_docs_list_every_code_with_its_meaning() {
        let readme = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/www/docs/store-file.md"
        ));
        let section = readme
            .split("## Diagnostic codes")
            .nth(1)
            .expect("www/docs/store-file.md has a Diagnostic codes section");
        let listed: Vec<(String, String)> = section
            .lines()
            .skip_while(|l| !l.starts_with("| code |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
                let code = cells.first().unwrap_or(&"").trim_matches('`').to_string();
                (code, cells.get(1).unwrap_or(&"").to_string())
            })
            .collect();
        let expected: Vec<(String, String)> = Code::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), c.meaning().to_string()))
            .collect();
        assert_eq!(listed, expected);
    }

    #[test]
    fn codes_are_distinct_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "`{text}` is listed twice");
            assert!(
                text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "`{text}` is not snake_case"
            );
        }
    }
}
