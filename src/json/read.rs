//! A pull reader for the JSON that hosts send: the caller asks for the value it expects next.
//!
//! The messages follow `serde_json`'s wording (`unknown field`, `invalid type: map, expected a
//! string`), end with the line and column, and the error carries the path of the field being
//! read (`events[0].labl`): the key or element the reader is in when it refuses.
//!
//! Numbers: integers are read exactly into `i64`/`u64`, and a fraction or exponent where an
//! integer is wanted is refused. Other numbers (fact values) are exact when they have at most
//! 15 significant digits and a decimal exponent within ±22, which is every number a page
//! writes in practice; longer ones are read to within a few units in the last place. A
//! number too large for `f64` is refused.

use std::borrow::Cow;

use super::POW10;

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

/// The largest decimal exponent worth scaling by: a 19-digit number times 10^400 is out of
/// `f64`'s range and times 10^-400 is zero.
const MAX_SCALED_EXPONENT: i32 = 400;

/// A number as written: sign, up to 19 significant digits, and a decimal exponent.
struct Number {
    negative: bool,
    digits: u64,
    exponent: i32,
    /// Written with a fraction or an exponent (`1.0`, `1e3`): not an integer to serde.
    fractional: bool,
    text_start: usize,
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

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek_byte(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

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
        let found = match self.peek() {
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

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        let rest = self.bytes().get(self.at..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.error("expected value"))
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
                0x00..=0x1f => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
                _ => self.at += 1,
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

    /// Reads a number's text: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<Number, JsonError> {
        if self.peek() != Kind::Number {
            return Err(self.invalid_type("a number"));
        }
        let text_start = self.at;
        let negative = self.peek_byte() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let mut digits: u64 = 0;
        let mut exponent: i32 = 0;
        let mut significant = 0u32;
        let mut push = |d: u8, exponent: &mut i32, after_point: bool| {
            if digits == 0 && d == 0 {
                if after_point {
                    *exponent -= 1;
                }
            } else if significant < 19 {
                digits = digits * 10 + u64::from(d);
                significant += 1;
                if after_point {
                    *exponent -= 1;
                }
            } else if !after_point {
                // Past 19 digits the rest only scales the number.
                *exponent = exponent.saturating_add(1);
            }
        };
        match self.peek_byte() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                while let Some(b @ b'0'..=b'9') = self.peek_byte() {
                    push(b - b'0', &mut exponent, false);
                    self.at += 1;
                }
            }
            _ => return Err(self.error("invalid number")),
        }
        let mut fractional = false;
        if self.peek_byte() == Some(b'.') {
            fractional = true;
            self.at += 1;
            if !matches!(self.peek_byte(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            while let Some(b @ b'0'..=b'9') = self.peek_byte() {
                push(b - b'0', &mut exponent, true);
                self.at += 1;
            }
        }
        if let Some(b'e' | b'E') = self.peek_byte() {
            fractional = true;
            self.at += 1;
            let minus = match self.peek_byte() {
                Some(b'-') => {
                    self.at += 1;
                    true
                }
                Some(b'+') => {
                    self.at += 1;
                    false
                }
                _ => false,
            };
            if !matches!(self.peek_byte(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            let mut written: i32 = 0;
            while let Some(b @ b'0'..=b'9') = self.peek_byte() {
                written = written
                    .saturating_mul(10)
                    .saturating_add(i32::from(b - b'0'));
                self.at += 1;
            }
            exponent = exponent.saturating_add(if minus { -written } else { written });
        }
        Ok(Number {
            negative,
            digits,
            exponent,
            fractional,
            text_start,
        })
    }

    fn number_text(&self, number: &Number) -> &'a str {
        self.text
            .get(number.text_start..self.at)
            .unwrap_or_default()
    }

    /// The integer a number spells, or why it is not one (before range checks).
    fn integer(&mut self, expected: &str) -> Result<(bool, u64), JsonError> {
        if self.peek() != Kind::Number {
            return Err(self.invalid_type(expected));
        }
        let number = self.number()?;
        let text = self.number_text(&number);
        if number.fractional {
            return Err(self.error(format_args!(
                "invalid type: floating point `{text}`, expected {expected}"
            )));
        }
        // Exact, from the text: `Number` keeps only 19 significant digits.
        let mut value: u64 = 0;
        for digit in text.bytes().filter(u8::is_ascii_digit) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit - b'0')))
                .ok_or_else(|| self.error("number out of range"))?;
        }
        Ok((number.negative, value))
    }

    /// Reads an integer that fits `i64`.
    pub(crate) fn i64(&mut self) -> Result<i64, JsonError> {
        let (negative, magnitude) = self.integer("i64")?;
        let value = if negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        };
        value.ok_or_else(|| self.error("number out of range"))
    }

    /// Reads a non-negative integer that fits `u64`.
    pub(crate) fn u64(&mut self) -> Result<u64, JsonError> {
        let text_start = self.at;
        let (negative, magnitude) = self.integer("u64")?;
        if negative && magnitude != 0 {
            let text = self.text.get(text_start..self.at).unwrap_or_default();
            return Err(self.error(format_args!(
                "invalid value: integer `{text}`, expected u64"
            )));
        }
        Ok(magnitude)
    }

    /// Reads any number as `f64`; one too large for `f64` is refused.
    pub(crate) fn f64(&mut self) -> Result<f64, JsonError> {
        let number = self.number()?;
        // digits < 2^63 is exact in f64 when below 2^53; a power of ten up to 1e22 is exact,
        // so one multiplication or division rounds once: the correctly rounded value.
        let mut value = number.digits as f64;
        // Up to 19 digits, so past ±400 the value is 0 or out of range either way; clamping
        // keeps the scaling below to a few steps whatever exponent the text claims (the reader
        // saturates it at `i32`'s range, which would otherwise be 97 million divisions).
        let mut exponent = number
            .exponent
            .clamp(-MAX_SCALED_EXPONENT, MAX_SCALED_EXPONENT);
        if number.digits != 0 {
            while exponent > 22 {
                value *= 1e22;
                exponent -= 22;
            }
            while exponent < -22 {
                value /= 1e22;
                exponent += 22;
            }
            let scale = POW10
                .get(exponent.unsigned_abs() as usize)
                .copied()
                .unwrap_or(1.0);
            value = if exponent < 0 {
                value / scale
            } else {
                value * scale
            };
        }
        if !value.is_finite() {
            return Err(self.error("number out of range"));
        }
        Ok(if number.negative { -value } else { value })
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

    /// Refuses an object for lacking a required key (the path is the object's own).
    pub(crate) fn missing_field(&self, key: &str) -> JsonError {
        self.error(format_args!("missing field `{key}`"))
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

    fn read<T>(
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

    #[test]
    fn integers_are_exact_and_bounded() {
        assert_eq!(
            read("1763726400000", |r| r.i64()).unwrap(),
            1_763_726_400_000
        );
        assert_eq!(read("-9223372036854775808", |r| r.i64()).unwrap(), i64::MIN);
        assert_eq!(read("18446744073709551615", |r| r.u64()).unwrap(), u64::MAX);
        assert_eq!(read("-0", |r| r.u64()).unwrap(), 0);
        for (bad, needle) in [
            ("9223372036854775808", "out of range"),
            ("18446744073709551616", "out of range"),
            ("1.5", "floating point `1.5`"),
            ("1e3", "floating point `1e3`"),
            ("\"1\"", "invalid type: string, expected i64"),
            ("01", "trailing characters"),
            ("-", "invalid number"),
        ] {
            let e = read(bad, |r| r.i64()).unwrap_err();
            assert!(e.message.contains(needle), "{bad}: {}", e.message);
        }
        let e = read("-5", |r| r.u64()).unwrap_err();
        assert!(
            e.message.contains("invalid value: integer `-5`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn floats_read_exactly_when_short() {
        for text in [
            "0",
            "1",
            "-0.5",
            "116.0",
            "0.3537",
            "1e22",
            "1.5e300",
            "123456789012345",
            "0.1",
            "2.5e-3",
            "1e-7",
        ] {
            let parsed: f64 = text.parse().unwrap();
            assert_eq!(read(text, |r| r.f64()).unwrap(), parsed, "{text}");
        }
        for text in [
            "1.7976931348623157e308",
            "3.14159265358979323846",
            "2.2250738585072014e-308",
        ] {
            let parsed: f64 = text.parse().unwrap();
            let read = read(text, |r| r.f64()).unwrap();
            assert!(((read - parsed) / parsed).abs() < 1e-15, "{text}: {read}");
        }
        assert!(
            read("1e400", |r| r.f64())
                .unwrap_err()
                .message
                .contains("out of range")
        );
        assert!(read("1.", |r| r.f64()).is_err());
        assert!(read("1e", |r| r.f64()).is_err());
    }

    #[test]
    fn huge_exponents_read_as_zero_or_out_of_range() {
        for text in [
            "1e-99999999999",
            "-5e-2147483648",
            "123e-401",
            "0e99999999999",
        ] {
            assert_eq!(read(text, |r| r.f64()).unwrap(), 0.0, "{text}");
        }
        for text in ["1e99999999999", "9.9e2147483647", "1e401"] {
            let e = read(text, |r| r.f64()).unwrap_err();
            assert!(e.message.contains("out of range"), "{text}: {}", e.message);
        }
        // The reading costs the same whatever the exponent: 100 of the slowest numbers a
        // context could hold took 35 s in a release build when the scaling was a loop over
        // the exponent. This bound is hundreds of times what the clamped reading takes.
        let many = format!("[{}1]", "1e-99999999999,".repeat(100));
        let started = std::time::Instant::now();
        let count = read(&many, |r| {
            let mut n = 0;
            r.array("a sequence", |r| r.f64().map(|_| n += 1))?;
            Ok(n)
        })
        .unwrap();
        assert_eq!(count, 101);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
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
