//! Compiler messages that point at the source like a compiler's: `file:line:column`, the line,
//! and a caret under the offending text.

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
    /// A stable code (`unknown_id`, `never_shown`, `cooldown_shorter_than_cap`...).
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
        code: &'static str,
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
            code,
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
    pub fn error(
        &self,
        code: &'static str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.at(Severity::Error, code, span, message)
    }

    /// A warning at `span`.
    pub fn warning(
        &self,
        code: &'static str,
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
        let d = source.error("unknown_fact", start..start + 7, "unknown fact `x`");
        assert_eq!((d.line, d.column, d.text.as_str()), (2, 9, "facts.x"));
        let shown = d.to_string();
        assert!(shown.contains("--> store.toml:2:9"), "{shown}");
        assert!(shown.ends_with("        ^^^^^^^"), "{shown}");
    }
}
