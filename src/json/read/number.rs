//! Numbers, read where the caller expects them: integers exactly into `i64`/`u64` (a fraction
//! or exponent refused), anything else as `f64`.
//!
//! Only 19 significant digits and a saturated decimal exponent are kept while scanning, so the
//! scan is linear in the text; the value is then scaled by exact powers of ten, at most a few
//! steps whatever the exponent claims. A number with at most 15 significant digits and an
//! exponent within ±22 (every number a page writes in practice) is correctly rounded; a longer
//! one is within a few units in the last place.

use super::super::POW10;
use super::{JsonError, Kind, Reader};

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
}

#[cfg(test)]
mod tests {
    use super::super::tests::read;

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
}
