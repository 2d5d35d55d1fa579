//! A pull reader for the JSON that hosts send: the caller asks for the value it expects next.
//!
//! The messages follow `serde_json`'s wording (`unknown field`, `invalid type: map, expected a
//! string`), end with the line and column, and the error carries the path of the field being
//! read (`events[0].labl`): the key or element the reader is in when it refuses.
//!
//! Numbers have a room of their own ([`number`]): integers exactly, anything else as `f64`,
//! in time linear in the text whatever its exponent.

mod number;

use std::borrow::Cow;

/// Why JSON text was refused.
#[derive(Debug)]
pub(crate) struct JsonError {
    /// The field, as `events[0].name`; empty for the whole document.
    pub path: String,
    /// What was wrong, with its line and column.
    pub message: String,
}

/// One step of the path to the value being read.
enum Step<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

/// What a JSON value is, from its first byte.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
    /// The text ends, or holds no value here.
    Nothing,
}

/// Reads one JSON document from the front.
pub(crate) struct Reader<'a> {
    text: &'a str,
    at: usize,
    path: Vec<Step<'a>>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Reader {
            text,
            at: 0,
            path: Vec::new(),
        }
    }

    // The byte-level steps below are forced inline: the WebAssembly build is optimised for
    // size ("z"), which would otherwise make each of them a call per byte of the text (a
    // third of a Node decision's time went to reading its context).
    #[inline(always)]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    #[inline(always)]
    fn peek_byte(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek_byte() {
            self.at += 1;
        }
    }

    /// An error at the current place, naming the current path.
    pub(crate) fn error(&self, message: impl core::fmt::Display) -> JsonError {
        let before = self.text.as_bytes().get(..self.at).unwrap_or_default();
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count();
        let mut path = String::new();
        for step in &self.path {
            match step {
                Step::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Step::Index(i) => {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                }
            }
        }
        JsonError {
            path,
            message: format!("{message} at line {line} column {column}"),
        }
    }

    /// The kind of the next value, without reading it.
    pub(crate) fn peek(&mut self) -> Kind {
        self.skip_whitespace();
        match self.peek_byte() {
            Some(b'n') => Kind::Null,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b'"') => Kind::String,
            Some(b'[') => Kind::Array,
            Some(b'{') => Kind::Object,
            _ => Kind::Nothing,
        }
    }

    /// Refuses the next value for not being `expected`, in serde's words.
    pub(crate) fn invalid_type(&mut self, expected: &str) -> JsonError {
        let kind = self.peek();
        // A word that only starts like `null`, `true` or `false` (a page's `nope`) is no value
        // at all, which is the error to give.
        if matches!(kind, Kind::Null | Kind::Bool) {
            let word = match self.peek_byte() {
                Some(b'n') => "null",
                Some(b't') => "true",
                _ => "false",
            };
            let start = self.at;
            if let Err(e) = self.literal(word) {
                return e;
            }
            // A value of the wrong type is named where it starts, as every other kind is.
            self.at = start;
        }
        let found = match kind {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "sequence",
            Kind::Object => "map",
            Kind::Nothing => {
                return if self.at >= self.text.len() {
                    self.error("EOF while parsing a value")
                } else {
                    self.error("expected value")
                };
            }
        };
        self.error(format_args!("invalid type: {found}, expected {expected}"))
    }

    /// Reads `word` (`null`, `true` or `false`, whose first letter was peeked). Where the text
    /// differs, the error is `serde_json`'s: `expected ident`, at the first byte that differs
    /// (counted as read), or the end of the text.
    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        let rest = self.bytes().get(self.at..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.at += word.len();
            return Ok(());
        }
        let same = rest
            .iter()
            .zip(word.as_bytes())
            .take_while(|(a, b)| a == b)
            .count();
        if same == rest.len() {
            self.at = self.text.len();
            Err(self.error("EOF while parsing a value"))
        } else {
            self.at += same + 1;
            Err(self.error("expected ident"))
        }
    }

    /// True when the next value is `null`, which it then reads (an `Option`'s `None`).
    pub(crate) fn null(&mut self) -> Result<bool, JsonError> {
        if self.peek() == Kind::Null {
            self.literal("null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Reads a boolean.
    pub(crate) fn bool(&mut self) -> Result<bool, JsonError> {
        match (self.peek(), self.peek_byte()) {
            (Kind::Bool, Some(b't')) => self.literal("true").map(|()| true),
            (Kind::Bool, _) => self.literal("false").map(|()| false),
            _ => Err(self.invalid_type("a boolean")),
        }
    }

    /// Reads a string, unescaped.
    pub(crate) fn string(&mut self) -> Result<String, JsonError> {
        self.string_cow().map(Cow::into_owned)
    }

    fn string_cow(&mut self) -> Result<Cow<'a, str>, JsonError> {
        if self.peek() != Kind::String {
            return Err(self.invalid_type("a string"));
        }
        self.at += 1;
        let text = self.text;
        let start = self.at;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            // Skip the plain run up to the next quote, backslash or control byte at once.
            let plain = self
                .bytes()
                .get(self.at..)
                .unwrap_or_default()
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let Some(plain) = plain else {
                self.at = text.len();
                return Err(self.error("EOF while parsing a string"));
            };
            self.at += plain;
            let Some(byte) = self.peek_byte() else {
                return Err(self.error("EOF while parsing a string"));
            };
            match byte {
                b'"' => {
                    let tail = text.get(run..self.at).unwrap_or_default();
                    self.at += 1;
                    return Ok(match owned {
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(tail),
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(text.get(run..self.at).unwrap_or_default());
                    self.at += 1;
                    let c = self.escape()?;
                    owned.get_or_insert_with(String::new).push(c);
                    run = self.at;
                }
                // The run stopped here, so this is a control byte.
                _ => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
    }

    /// Reads the escape after a backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(byte) = self.peek_byte() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low one.
                    let rest = self.bytes().get(self.at..).unwrap_or_default();
                    if !rest.starts_with(b"\\u") {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid unicode code point"))?
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = self
                .peek_byte()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("invalid escape"))?;
            value = value * 16 + digit;
            self.at += 1;
        }
        Ok(value)
    }

    /// Reads an object's members, calling `member` with each key; `member` must read the value.
    pub(crate) fn object(
        &mut self,
        expected: &str,
        mut member: impl FnMut(&mut Self, &str) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.peek() != Kind::Object {
            return Err(self.invalid_type(expected));
        }
        self.at += 1;
        if self.peek_byte_after_whitespace() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Kind::String {
                return Err(if self.at >= self.text.len() {
                    self.error("EOF while parsing an object")
                } else {
                    self.error("key must be a string")
                });
            }
            let key = self.string_cow()?;
            self.path.push(Step::Key(key.clone()));
            if self.peek_byte_after_whitespace() != Some(b':') {
                return Err(self.error("expected `:`"));
            }
            self.at += 1;
            member(self, &key)?;
            self.path.pop();
            match self.peek_byte_after_whitespace() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                None => return Err(self.error("EOF while parsing an object")),
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// Reads an array's elements, calling `element` for each; `element` must read it.
    pub(crate) fn array(
        &mut self,
        expected: &str,
        mut element: impl FnMut(&mut Self) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.peek() != Kind::Array {
            return Err(self.invalid_type(expected));
        }
        self.at += 1;
        if self.peek_byte_after_whitespace() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            self.path.push(Step::Index(index));
            element(self)?;
            self.path.pop();
            index += 1;
            match self.peek_byte_after_whitespace() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                None => return Err(self.error("EOF while parsing a list")),
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// Reads an array of strings.
    pub(crate) fn strings(&mut self) -> Result<Vec<String>, JsonError> {
        let mut list = Vec::new();
        self.array("a sequence", |r| {
            list.push(r.string()?);
            Ok(())
        })?;
        Ok(list)
    }

    fn peek_byte_after_whitespace(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.peek_byte()
    }

    /// Checks that nothing but whitespace follows the document.
    pub(crate) fn end(&mut self) -> Result<(), JsonError> {
        if self.peek_byte_after_whitespace().is_some() {
            Err(self.error("trailing characters"))
        } else {
            Ok(())
        }
    }

    /// The index of `key` in `known` (at most 32 names), refusing an unknown or repeated key;
    /// `seen` holds one bit per key already read.
    pub(crate) fn field(
        &self,
        key: &str,
        known: &[&str],
        seen: &mut u32,
    ) -> Result<usize, JsonError> {
        let Some(index) = known.iter().position(|&k| k == key) else {
            return Err(self.unknown_field(key, known));
        };
        let bit = 1u32
            .checked_shl(u32::try_from(index).unwrap_or(u32::MAX))
            .unwrap_or(0);
        if *seen & bit != 0 {
            return Err(self.error(format_args!("duplicate field `{key}`")));
        }
        *seen |= bit;
        Ok(index)
    }

    /// Refuses a key the caller does not know.
    fn unknown_field(&self, key: &str, known: &[&str]) -> JsonError {
        self.not_one_of("field", key, known)
    }

    /// Refuses an object for lacking a required key; the path names the key, as `surface` or
    /// `events[0].name`, so a host can point at what to add.
    pub(crate) fn missing_field(&self, key: &str) -> JsonError {
        let mut error = self.error(format_args!("missing field `{key}`"));
        if !error.path.is_empty() {
            error.path.push('.');
        }
        error.path.push_str(key);
        error
    }

    /// Reads a string that must be one of `names`, as `parse` reads it.
    pub(crate) fn variant<T>(
        &mut self,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
    ) -> Result<T, JsonError> {
        let text = self.string_cow()?;
        parse(&text).ok_or_else(|| self.unknown_variant(&text, names))
    }

    /// Refuses a string that is not one of `known`.
    fn unknown_variant(&self, value: &str, known: &[&str]) -> JsonError {
        self.not_one_of("variant", value, known)
    }

    /// `unknown {what} `{found}`, expected one of `a`, `b``, in serde's words.
    fn not_one_of(&self, what: &str, found: &str, known: &[&str]) -> JsonError {
        let mut message = format!("unknown {what} `{found}`, expected one of ");
        for (i, name) in known.iter().enumerate() {
            if i > 0 {
                message.push_str(", ");
            }
            message.push('`');
            message.push_str(name);
            message.push('`');
        }
        self.error(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn read<T>(
        text: &str,
        f: impl FnOnce(&mut Reader<'_>) -> Result<T, JsonError>,
    ) -> Result<T, JsonError> {
        let mut r = Reader::new(text);
        let value = f(&mut r)?;
        r.end()?;
        Ok(value)
    }

    #[test]
    fn strings_unescape() {
        let s = read(r#" "a\"b\\c\/\n\u00e9\ud83d\ude00x" "#, |r| r.string()).unwrap();
        assert_eq!(s, "a\"b\\c/\né😀x");
        assert_eq!(read(r#""plain""#, |r| r.string()).unwrap(), "plain");
        for bad in [
            r#""abc"#,
            r#""\x""#,
            r#""\ud83d""#,
            r#""\u12""#,
            "\"a\u{1}b\"",
        ] {
            assert!(read(bad, |r| r.string()).is_err(), "{bad}");
        }
    }

    /// The string reader against `serde_json`'s on what a fuzzer or a page could send: any
    /// text between quotes (escapes, lone backslashes, control bytes, non-ASCII, an early end)
    /// reads to the same string or is refused by both.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn strings_read_as_serde_json_reads_them() {
        use proptest::prelude::*;
        let pieces = prop::collection::vec(
            prop_oneof![
                Just("\\".to_owned()),
                Just("\\\"".to_owned()),
                Just("\\u00e9".to_owned()),
                Just("\\ud83d\\ude00".to_owned()),
                Just("\\ud83d".to_owned()),
                Just("\\n".to_owned()),
                Just("\"".to_owned()),
                Just("\u{1}".to_owned()),
                Just("\n".to_owned()),
                "[a-zé😀 ]{0,12}",
            ],
            0..8,
        );
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        runner
            .run(&(pieces, any::<bool>()), |(pieces, closed)| {
                let mut text = format!("\"{}", pieces.concat());
                if closed {
                    text.push('"');
                }
                let ours = read(&text, |r| r.string()).ok();
                let theirs = serde_json::from_str::<String>(&text).ok();
                prop_assert_eq!(ours, theirs, "{:?}", text);
                Ok(())
            })
            .unwrap();
    }

    /// A word that only starts like `null`, `true` or `false` is refused as `serde_json`
    /// refuses it (not named as the value it resembles), wherever a value was expected.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn words_that_are_no_value_are_refused_as_serde_json_refuses_them() {
        for text in ["nope", "nul", "n", "tru", "fals", "fAlse", "nuLL", " nope "] {
            let theirs = serde_json::from_str::<bool>(text).unwrap_err().to_string();
            let ours = read(text, |r| r.bool()).unwrap_err().message;
            assert_eq!(ours, theirs, "{text:?} as a boolean");
            let ours = read(text, |r| r.string()).unwrap_err().message;
            assert_eq!(ours, theirs, "{text:?} as a string");
        }
        assert_eq!(
            read("null", |r| r.string()).unwrap_err().message,
            "invalid type: null, expected a string at line 1 column 0"
        );
        assert!(read("null ", |r| r.null()).unwrap());
    }

    #[test]
    fn paths_name_the_key_or_element() {
        let text = r#"{"a":1,"events":[{"name":"x"},{"labl":"y"}]}"#;
        let e = read(text, |r| {
            r.object("a map", |r, key| match key {
                "a" => r.i64().map(drop),
                "events" => r.array("a sequence", |r| {
                    r.object("a map", |r, key| match key {
                        "name" => r.string().map(drop),
                        _ => Err(r.unknown_field(key, &["name"])),
                    })
                }),
                _ => Err(r.unknown_field(key, &["a", "events"])),
            })
        })
        .unwrap_err();
        assert_eq!(e.path, "events[1].labl");
        assert!(
            e.message
                .starts_with("unknown field `labl`, expected one of `name`"),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("at line 1 column 38"), "{}", e.message);
    }

    #[test]
    fn syntax_errors_are_refused() {
        let object = |r: &mut Reader<'_>| r.object("a map", |r, _| r.i64().map(drop));
        for bad in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:1}",
            "{\"a\":1}x",
            "[]",
            "nul",
        ] {
            assert!(read(bad, object).is_err(), "{bad}");
        }
        assert!(read(" {\n} ", object).is_ok());
        let e = read("{\n  \"a\": 1,\n  \"b\": true\n}", object).unwrap_err();
        assert_eq!(e.path, "b");
        assert!(e.message.ends_with("line 3 column 7"), "{}", e.message);
    }
}
