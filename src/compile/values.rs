//! The small values every pass reads: durations, money, sizes, ids, names from a fixed
//! vocabulary, and conditions. Each reader reports its own error at the value's position and
//! returns `None` (or a neutral value), so a pass goes on and finds the next problem.

use toml::Spanned;

use super::scope::Scope;
use super::{Builder, Code, FileId, cel, store};
use crate::snapshot::wire::{Minutes, NEVER};
use crate::template::{Placeholder, TemplateError};

/// Parses "30m", "2h", "3d", "1w", "0" or "never" into minutes.
pub(super) fn parse_duration(text: &str, allow_never: bool) -> Result<Minutes, String> {
    let text = text.trim();
    if text == "never" {
        return if allow_never {
            Ok(NEVER)
        } else {
            Err("`never` is only allowed in a cooldown ladder".into())
        };
    }
    if text == "0" {
        return Ok(0);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u32 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `30m`, `2h`, `3d` or `1w`"))?;
    let per = match unit {
        "m" => 1,
        "h" => 60,
        "d" => 24 * 60,
        "w" => 7 * 24 * 60,
        _ => {
            return Err(format!(
                "`{text}` has unit `{unit}`; use `m`, `h`, `d` or `w`"
            ));
        }
    };
    n.checked_mul(per)
        .filter(|&m| m < NEVER)
        .ok_or_else(|| format!("`{text}` is too long"))
}

pub(super) fn parse_bytes(size: &store::ByteSize) -> Result<u64, String> {
    match size {
        store::ByteSize::Bytes(n) => Ok(*n),
        store::ByteSize::Text(text) => {
            let t = text.trim().to_ascii_uppercase();
            let (number, per) = if let Some(n) = t.strip_suffix("KB") {
                (n, 1024)
            } else if let Some(n) = t.strip_suffix("MB") {
                (n, 1024 * 1024)
            } else if let Some(n) = t.strip_suffix('B') {
                (n, 1)
            } else {
                (t.as_str(), 1)
            };
            number
                .trim()
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(per))
                .ok_or_else(|| format!("`{text}` is not a size such as `64KB` or `2MB`"))
        }
    }
}

/// A name that may be used as an id: letters, digits, `-`, `_`, `.`, `:`, `/`.
pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
}

/// The one of `known` nearest `wanted` when it is near enough to be a typo: an edit distance
/// of at most a third of `wanted`'s length, and at least 2. The compiler's and the CLI's
/// "did you mean" both come from here.
pub fn nearest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let near = (wanted.chars().count() / 3).max(2);
    known
        .into_iter()
        .map(|k| (strsim::levenshtein(wanted, k), k))
        .filter(|&(distance, _)| distance <= near)
        .min()
        .map(|(_, k)| k)
}

/// `" (did you mean `x`?)"` for the [`nearest`] of `known`, else nothing.
pub(super) fn did_you_mean<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(wanted, known).map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"))
}

/// The names of a vocabulary, for "expected one of ..." messages.
pub(super) fn names_of<T: Copy + core::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Minutes as the store file writes them: `never`, `3d`, `2h`, `30m`.
pub(super) fn minutes(m: Minutes) -> String {
    if m == NEVER {
        "never".into()
    } else if m % (24 * 60) == 0 {
        format!("{}d", m / (24 * 60))
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

/// A compiled condition and its source text, for the contradiction checks.
pub(super) struct Condition {
    pub program: u32,
    pub constant: Option<bool>,
    pub text: String,
}

/// A value of the wrong type, said in words: serde says "invalid type: string \"20\", expected
/// u8"; a store author needs "`discount` is a whole percent, such as 20". `None` for any other
/// message, which is shown as the TOML reader wrote it.
fn in_words(message: &str, key: Option<&str>) -> Option<String> {
    let (found, expected) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?
        .split_once(", expected ")?;
    let wanted = match key {
        Some("discount") => "a whole percent from 0 to 100, such as 20",
        Some("max") => "a whole number of impressions, such as 3",
        Some("limit" | "per_session" | "per_day" | "daily_cap") => "a whole number, such as 2",
        Some("price" | "cost") => "an amount in the store's currency, such as 12.50",
        Some("offer_viewed") => "one of \"last\", \"never\" or \"as_ranked\"",
        Some(
            "margin" | "strength" | "weight" | "attach" | "protect_risk" | "assist_risk"
            | "assist_readiness" | "commit_readiness" | "price_sensitive" | "exploration",
        ) => "a number from 0 to 1, such as 0.9",
        _ => match expected {
            "u8" => "a whole number from 0 to 255",
            "u16" => "a whole number from 0 to 65,535",
            "u32" | "u64" => "a whole number, such as 30",
            "f32" | "f64" => "a number, such as 12.5",
            "a boolean" => "`true` or `false`",
            "a string" => "text in quotes",
            "a sequence" => "a list in brackets, such as [\"a\", \"b\"]",
            _ => return None,
        },
    };
    // serde names the kind, then the value: `string "20"`, `integer `300``. Only the kind is
    // reworded, so a value that happens to read "integer" stays as written.
    let found = [
        ("floating point ", "the number "),
        ("integer ", "the number "),
        ("string ", "the text "),
    ]
    .iter()
    .find_map(|(kind, words)| {
        found
            .strip_prefix(kind)
            .map(|value| format!("{words}{}", value.trim_matches('`')))
    })
    .unwrap_or_else(|| found.replace('`', ""));
    Some(match key {
        Some(key) => format!("`{key}` is {wanted}, not {found}"),
        None => format!("expected {wanted}, not {found}"),
    })
}

/// The key of the `key = value` whose value starts at `at`: the last bare key before an `=` on
/// that line (inline tables have several).
fn key_before(text: &str, at: usize) -> Option<&str> {
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let before = text.get(line_start..at)?.trim_end().strip_suffix('=')?;
    let key = before.rsplit(['{', ',']).next()?.trim().trim_matches('"');
    (!key.is_empty()).then_some(key)
}

impl Builder {
    pub(super) fn parse<T: serde::de::DeserializeOwned>(&mut self, file: FileId) -> Option<T> {
        let text = self.source(file).text.clone();
        match toml::from_str::<T>(&text) {
            Ok(value) => Some(value),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = e.message().trim_end_matches('\n');
                let message = in_words(message, key_before(&text, span.start))
                    .unwrap_or_else(|| message.to_string());
                self.error(file, Code::Toml, span, message);
                None
            }
        }
    }

    pub(super) fn duration(
        &mut self,
        file: FileId,
        text: &Spanned<String>,
        allow_never: bool,
    ) -> Option<Minutes> {
        parse_duration(text.get_ref(), allow_never)
            .map_err(|m| self.error(file, Code::Duration, text.span(), m))
            .ok()
    }

    /// A cooldown or cap window: a duration that is usually days or weeks, so `1m` to `12m`
    /// (minutes, as everywhere in tactful) draws a warning that months were likely meant.
    pub(super) fn long_duration(
        &mut self,
        file: FileId,
        text: &Spanned<String>,
        allow_never: bool,
    ) -> Option<Minutes> {
        let minutes = self.duration(file, text, allow_never)?;
        let written = text.get_ref().trim();
        if written.ends_with('m') && (1..=12).contains(&minutes) {
            self.warning(
                file,
                Code::LikelyMonths,
                text.span(),
                format!(
                    "`{written}` is {minutes} minute{}: for months write days, such as `{}d`",
                    if minutes == 1 { "" } else { "s" },
                    minutes * 30
                ),
            );
        }
        Some(minutes)
    }

    pub(super) fn money(&mut self, file: FileId, value: &Spanned<f64>, digits: u8) -> u64 {
        let amount = *value.get_ref();
        if !(0.0..1e12).contains(&amount) {
            self.error(
                file,
                Code::Money,
                value.span(),
                format!("`{amount}` is not a price: use a non-negative amount in major units"),
            );
            return 0;
        }
        libm::round(amount * libm::pow(10.0, f64::from(digits))) as u64
    }

    pub(super) fn vocab<T>(
        &mut self,
        file: FileId,
        text: &Spanned<String>,
        parse: fn(&str) -> Option<T>,
        what: &str,
        all: &str,
    ) -> Option<T> {
        let found = parse(text.get_ref());
        if found.is_none() {
            self.error(
                file,
                Code::UnknownValue,
                text.span(),
                format!(
                    "`{}` is not a {what}{}; expected one of {all}",
                    text.get_ref(),
                    did_you_mean(text.get_ref(), all.split(", "))
                ),
            );
        }
        found
    }

    /// A copy template (template.rs), returned as written: an error at the offending brace
    /// when it is malformed, with the placeholders it may use.
    pub(super) fn template(&mut self, file: FileId, text: &Spanned<String>, what: &str) -> String {
        let written = text.get_ref();
        if let Err(error) = crate::template::check(written) {
            let name =
                |at: usize, length: usize| written.get(at + 1..at + length - 1).unwrap_or("");
            let names = || Placeholder::ALL.iter().map(|p| p.name());
            let listed = names().map(|n| format!("{{{n}}}")).collect::<Vec<_>>();
            let (at, width, message) = match &error {
                TemplateError::Unknown { at, length } => (
                    *at,
                    *length,
                    format!(
                        "{what} uses `{{{}}}`, which is not a placeholder{}; the placeholders are {}",
                        name(*at, *length),
                        did_you_mean(name(*at, *length), names()),
                        listed.join(", ")
                    ),
                ),
                TemplateError::Unclosed { at } => (
                    *at,
                    1,
                    format!(
                        "{what} opens a placeholder with `{{` and never closes it; write `{{{{` for a brace"
                    ),
                ),
                TemplateError::StrayClose { at } => (
                    *at,
                    1,
                    format!("{what} has a `}}` that closes nothing; write `}}}}` for a brace"),
                ),
            };
            let span = self.span_in_string(file, text, at, width);
            self.error(file, Code::Template, span, message);
        }
        written.clone()
    }

    /// Where byte `at` of a string value lies in its file: found by searching the value's raw
    /// source for the text from `at` on, so escapes and multi-line quotes before it do not shift
    /// it; the whole value when it cannot be found.
    fn span_in_string(
        &self,
        file: FileId,
        text: &Spanned<String>,
        at: usize,
        width: usize,
    ) -> core::ops::Range<usize> {
        let value = text.span();
        let wanted = text.get_ref().get(at..at + width);
        let raw = self.source(file).text.get(value.clone());
        match (raw, wanted) {
            (Some(raw), Some(wanted)) => raw
                .find(wanted)
                .map_or(value.clone(), |i| value.start + i..value.start + i + width),
            _ => value,
        }
    }

    pub(super) fn condition(
        &mut self,
        file: FileId,
        text: &Spanned<String>,
        scope: &mut Scope,
    ) -> Option<Condition> {
        match cel::lower(text.get_ref(), scope) {
            Ok(lowered) => {
                scope.programs.push(lowered.program);
                Some(Condition {
                    program: (scope.programs.len() - 1) as u32,
                    constant: lowered.constant,
                    text: text.get_ref().trim().to_string(),
                })
            }
            Err(e) => {
                let span = text.span();
                let raw = self.source(file).text.get(span.clone()).unwrap_or_default();
                let quote = if raw.starts_with("'''") || raw.starts_with("\"\"\"") {
                    3
                } else {
                    1
                };
                let expr = text.get_ref();
                let byte = |chars: usize| {
                    expr.char_indices()
                        .nth(chars)
                        .map_or(expr.len(), |(b, _)| b)
                };
                let start = span.start + quote + byte(e.span.0);
                let end = span.start + quote + byte(e.span.1);
                self.error(file, e.code, start..end.max(start + 1), e.message);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_types_are_said_in_words_and_the_value_as_written() {
        let said = |message: &str, key| in_words(message, key);
        assert_eq!(
            said(
                r#"invalid type: string "20", expected u8"#,
                Some("discount")
            )
            .as_deref(),
            Some(r#"`discount` is a whole percent from 0 to 100, such as 20, not the text "20""#)
        );
        assert_eq!(
            said(
                "invalid value: integer `300`, expected u8",
                Some("discount")
            )
            .as_deref(),
            Some("`discount` is a whole percent from 0 to 100, such as 20, not the number 300")
        );
        // Only serde's name of the kind is reworded, never the value.
        assert_eq!(
            said(
                r#"invalid type: string "an integer string", expected a boolean"#,
                None
            )
            .as_deref(),
            Some(r#"expected `true` or `false`, not the text "an integer string""#)
        );
        assert_eq!(said("duplicate key", None), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m", false), Ok(30));
        assert_eq!(parse_duration("2h", false), Ok(120));
        assert_eq!(parse_duration("3d", false), Ok(3 * 1440));
        assert_eq!(parse_duration("1w", true), Ok(7 * 1440));
        assert_eq!(parse_duration("never", true), Ok(NEVER));
        assert!(parse_duration("never", false).is_err());
        assert!(parse_duration("3 days", false).is_err());
        assert!(parse_duration("d", false).is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(
            parse_bytes(&store::ByteSize::Text("64KB".into())),
            Ok(65_536)
        );
        assert_eq!(parse_bytes(&store::ByteSize::Bytes(10)), Ok(10));
        assert!(parse_bytes(&store::ByteSize::Text("lots".into())).is_err());
        assert!(parse_bytes(&store::ByteSize::Text("99999999999999999MB".into())).is_err());
    }
}
