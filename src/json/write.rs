//! Compact JSON out of anything `Serialize` that is made of structs, lists, strings, booleans,
//! integers, floats, options, unit enum variants and maps with string keys: the decision and
//! what holds it.
//!
//! The derives stay the one place that names the fields (camelCase, skipped empties); this
//! serializer only spells them. Floats are printed without a float formatter: the engine rounds
//! every number it reports to four decimals, and such a number is printed as the shortest
//! decimal that reads back as the same `f64` (`0.3537`, `-0.3`, `1.0`), which is what
//! `serde_json` prints for it too. A float with more digits gets up to 22 decimals or
//! 16 significant digits, whichever comes first, so it reads back within an ulp or two;
//! NaN, infinities and magnitudes of 2^128 or more are written as `null`. Bytes, chars and
//! data-carrying enum variants are not supported: nothing the engine writes has them.

use serde::ser::{self, Impossible, Serialize};

use super::POW10;

/// Compact JSON text of `value`.
///
/// # Panics
/// Never; a value that holds a type this writer does not support is a bug in the caller and
/// is written as `null` in its place (debug builds assert).
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut writer = Writer {
        out: Vec::with_capacity(2048),
    };
    let written = value.serialize(&mut writer);
    debug_assert!(written.is_ok(), "unsupported type in a JSON value");
    // Every byte written is ASCII or comes whole from a `&str`, so this never falls back.
    String::from_utf8(writer.out).unwrap_or_default()
}

/// Writes a whole `f64` as an integer (`1`, not `1.0`), as JavaScript's `JSON.stringify`
/// does, and any other as [`to_json`] does: for the log records, whose bytes every host must
/// give alike whether it passes them through JavaScript or not.
pub(crate) fn whole_as_integer<S: ser::Serializer>(x: &f64, out: S) -> Result<S::Ok, S::Error> {
    if libm::trunc(*x) == *x && x.abs() < TWO_POW_53 {
        // Exact: a whole number below 2^53. Negative zero is written `0`, as JavaScript does.
        out.serialize_i64(*x as i64)
    } else {
        out.serialize_f64(*x)
    }
}

/// Writes bytes, not `char`s: pushing a `char` encodes it as UTF-8 first, and at the
/// WebAssembly build's opt-level `"z"` that was a call for every comma and quote.
struct Writer {
    out: Vec<u8>,
}

/// A type the writer does not support; carries nothing, to keep formatting code out.
#[derive(Debug)]
pub(crate) struct Unsupported;

impl core::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a type JSON output does not support")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: core::fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

impl Writer {
    fn string(&mut self, s: &str) {
        self.out.push(b'"');
        if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            self.out.extend_from_slice(s.as_bytes());
            self.out.push(b'"');
            return;
        }
        let mut run = 0;
        for (i, byte) in s.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            self.out
                .extend_from_slice(s.get(run..i).unwrap_or_default().as_bytes());
            if escape.is_empty() {
                self.out.extend_from_slice(b"\\u00");
                for nibble in [byte >> 4, byte & 0xf] {
                    let digit = b"0123456789abcdef".get(usize::from(nibble));
                    self.out.push(digit.copied().unwrap_or(b'0'));
                }
            } else {
                self.out.extend_from_slice(escape.as_bytes());
            }
            run = i + 1;
        }
        self.out
            .extend_from_slice(s.get(run..).unwrap_or_default().as_bytes());
        self.out.push(b'"');
    }

    fn unsigned(&mut self, mut n: u128) {
        let mut digits = [0u8; 39];
        let mut at = digits.len();
        loop {
            at -= 1;
            if let Some(slot) = digits.get_mut(at) {
                *slot = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.ascii(digits.get(at..).unwrap_or_default());
    }

    /// Appends ASCII digits and signs.
    fn ascii(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn signed(&mut self, n: i64) {
        if n < 0 {
            self.out.push(b'-');
        }
        self.unsigned(u128::from(n.unsigned_abs()));
    }

    fn float(&mut self, x: f64) {
        let Some(Spelled { negative, number }) = spell(x) else {
            self.out.extend_from_slice(b"null");
            return;
        };
        if negative {
            self.out.push(b'-');
        }
        match number {
            Number::Whole(whole) => {
                self.unsigned(whole);
                self.out.extend_from_slice(b".0");
            }
            Number::Decimal { digits, places } => self.decimal(digits, places),
        }
    }

    /// `digits` with a decimal point `places` from the right, and at least one decimal.
    fn decimal(&mut self, digits: u64, places: usize) {
        let mut text = [b'0'; 48];
        let mut at = text.len();
        let mut n = digits;
        let mut written = 0;
        while n > 0 || written <= places {
            at -= 1;
            if let Some(slot) = text.get_mut(at) {
                *slot = b'0' + (n % 10) as u8;
            }
            n /= 10;
            written += 1;
        }
        let (integer, fraction) = text
            .get(at..)
            .unwrap_or_default()
            .split_at(written - places);
        self.ascii(integer);
        self.out.push(b'.');
        self.ascii(if fraction.is_empty() { b"0" } else { fraction });
    }
}

/// How [`Writer::float`] spells a finite float: its sign, and its magnitude.
struct Spelled {
    negative: bool,
    number: Number,
}

/// A whole number past 2^53 (written with `.0`), or `digits` with a decimal point `places`
/// from the right.
enum Number {
    Whole(u128),
    Decimal { digits: u64, places: usize },
}

/// `None` for what is written `null`: NaN, the infinities and magnitudes of 2^128 or more.
fn spell(x: f64) -> Option<Spelled> {
    if !x.is_finite() || x.abs() >= TWO_POW_128 {
        return None;
    }
    let negative = x.is_sign_negative();
    let x = x.abs();
    if x >= TWO_POW_53 {
        // Every f64 this large is an integer, exactly representable in u128.
        let number = Number::Whole(x as u128);
        return Some(Spelled { negative, number });
    }
    // The fewest decimals that read back as `x`, while the scaled value stays exact; past
    // that, the most decimals that fit.
    let mut places = 0usize;
    let mut scaled = x;
    loop {
        let rounded = libm::round(scaled);
        let scale = POW10.get(places).copied().unwrap_or(1.0);
        let next = POW10.get(places + 1).map(|&p| x * p);
        match next {
            Some(next) if rounded / scale != x && next < TWO_POW_53 => {
                places += 1;
                scaled = next;
            }
            _ => {
                let number = Number::Decimal {
                    digits: rounded as u64,
                    places,
                };
                break Some(Spelled { negative, number });
            }
        }
    }
}

/// The number a reader of [`to_json`]'s text gets for the float `x` (`JSON.parse` included):
/// `None` where the text is `null`. Exact: the digits are below 2^53 and the power of ten
/// at most 10^22, both exact in `f64`, so their quotient is the nearest `f64` to the decimal,
/// which is what a correct reader returns for it. For the JavaScript glue, which builds a
/// decision from numbers rather than from its text (`crate::wasm`).
#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))]
pub(crate) fn float_as_read(x: f64) -> Option<f64> {
    let Spelled { negative, number } = spell(x)?;
    let magnitude = match number {
        Number::Whole(whole) => whole as f64,
        Number::Decimal { digits, places } => {
            digits as f64 / POW10.get(places).copied().unwrap_or(1.0)
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// [`float_as_read`] for a number written by [`whole_as_integer`].
#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))]
pub(crate) fn whole_as_read(x: f64) -> Option<f64> {
    if libm::trunc(x) == x && x.abs() < TWO_POW_53 {
        Some(x as i64 as f64)
    } else {
        float_as_read(x)
    }
}

const TWO_POW_53: f64 = 9_007_199_254_740_992.0;
const TWO_POW_128: f64 = 340_282_366_920_938_463_463_374_607_431_768_211_456.0;

/// A list or struct being written: whether a comma is due before the next entry.
struct Compound<'w> {
    writer: &'w mut Writer,
    first: bool,
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !self.first {
            self.writer.out.push(b',');
        }
        self.first = false;
    }
}

impl<'w> ser::Serializer for &'w mut Writer {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Compound<'w>;
    type SerializeTuple = Compound<'w>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Compound<'w>;
    type SerializeStruct = Compound<'w>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.signed(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.unsigned(u128::from(v));
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        self.float(v);
        Ok(())
    }
    fn serialize_char(self, _: char) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'w>, Unsupported> {
        self.out.push(b'[');
        Ok(Compound {
            writer: self,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'w>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'w>, Unsupported> {
        self.out.push(b'{');
        Ok(Compound {
            writer: self,
            first: true,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'w>, Unsupported> {
        self.out.push(b'{');
        Ok(Compound {
            writer: self,
            first: true,
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.comma();
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.writer.out.push(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Unsupported> {
        ser::SerializeSeq::end(self)
    }
}

/// A map with string keys (a context's facts), written as an object.
impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        self.comma();
        key.serialize(&mut *self.writer)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.writer.out.push(b'}');
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.comma();
        // A field name is a Rust identifier in camelCase: nothing in it needs escaping.
        self.writer.out.push(b'"');
        self.writer.out.extend_from_slice(key.as_bytes());
        self.writer.out.extend_from_slice(b"\":");
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.writer.out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(x: f64) -> String {
        to_json(&x)
    }

    #[test]
    fn four_decimal_numbers_print_as_serde_json_prints_them() {
        for x in [
            0.3537,
            -0.3,
            1.0,
            0.0,
            -0.0,
            15.1941,
            0.104,
            0.6925,
            1e-4,
            123_456.789,
            4900.0,
            0.1 + 0.2,
        ] {
            let x = libm::round(x * 10_000.0) / 10_000.0;
            assert_eq!(float(x), serde_json::to_string(&x).unwrap(), "{x}");
        }
    }

    #[test]
    fn a_float_as_read_is_what_its_text_reads_back_as() {
        #[derive(serde::Serialize)]
        struct Whole(#[serde(serialize_with = "whole_as_integer")] f64);
        let read = |text: String| (text != "null").then(|| text.parse::<f64>().unwrap());
        let same = |a: Option<f64>, b: Option<f64>| a.map(f64::to_bits) == b.map(f64::to_bits);
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut xs = vec![
            0.0,
            -0.0,
            0.3537,
            -0.3,
            1.0,
            15.1941,
            1.0 / 3.0,
            1e-9,
            9.5e15,
            3.0e38,
            4e38,
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE,
        ];
        for _ in 0..20_000 {
            // A spread of magnitudes and digits: random bits, and four-decimal roundings.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let x = f64::from_bits(state >> 2 | 0x3000_0000_0000_0000);
            xs.push(x);
            xs.push(libm::round(x * 10_000.0) / 10_000.0);
            xs.push(-x * 1e9);
        }
        for x in xs {
            assert!(
                same(float_as_read(x), read(float(x))),
                "{x:e}: {}",
                float(x)
            );
            let whole = to_json(&Whole(x));
            assert!(
                same(whole_as_read(x), read(whole.clone())),
                "{x:e}: {whole}"
            );
            assert!(same(
                whole_as_read(libm::trunc(x)),
                read(to_json(&Whole(libm::trunc(x))))
            ));
        }
    }

    #[test]
    fn any_float_reads_back_close_and_non_finite_is_null() {
        for x in [
            1.0 / 3.0,
            -2.0 / 7.0,
            1e-9,
            12_345.678_901_234,
            9.5e15,
            3.0e38,
        ] {
            let back: f64 = float(x).parse().unwrap();
            assert!(((back - x) / x).abs() < 1e-14, "{x} -> {}", float(x));
        }
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300 * 1e10,
            4e38,
        ] {
            assert_eq!(float(x), "null");
        }
    }

    #[test]
    fn strings_and_structs_are_compact_json() {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Shape<'a> {
            text: &'a str,
            list: Vec<u64>,
            maybe: Option<i64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<i64>,
            flag: bool,
        }
        let shape = Shape {
            text: "a \"quote\" \\ \n\t\u{1} é <img src=x>",
            list: vec![0, 18_446_744_073_709_551_615],
            maybe: Some(-9_223_372_036_854_775_808),
            skipped: None,
            flag: false,
        };
        assert_eq!(to_json(&shape), serde_json::to_string(&shape).unwrap());
        assert_eq!(
            to_json(&Option::<i64>::None),
            serde_json::to_string(&Option::<i64>::None).unwrap()
        );
    }

    #[test]
    fn whole_numbers_of_a_record_are_written_as_javascript_writes_them() {
        #[derive(serde::Serialize)]
        struct Record {
            #[serde(serialize_with = "whole_as_integer")]
            a: f64,
            #[serde(serialize_with = "whole_as_integer")]
            b: f64,
            #[serde(serialize_with = "whole_as_integer")]
            c: f64,
            #[serde(serialize_with = "whole_as_integer")]
            d: f64,
            #[serde(serialize_with = "whole_as_integer")]
            e: f64,
        }
        let record = Record {
            a: 1.0,
            b: -0.0,
            c: 0.3537,
            d: -42.0,
            e: 1e300,
        };
        // What `JSON.stringify` writes for the same numbers (1e300 is past 2^53: a float, null
        // here as for any magnitude of 2^128 or more).
        assert_eq!(
            to_json(&record),
            r#"{"a":1,"b":0,"c":0.3537,"d":-42,"e":null}"#
        );
    }

    #[test]
    fn maps_with_string_keys_are_objects_in_key_order() {
        let mut facts = std::collections::BTreeMap::new();
        facts.insert("plan", "monthly");
        facts.insert("b\"q", "x");
        assert_eq!(to_json(&facts), serde_json::to_string(&facts).unwrap());
        assert_eq!(
            to_json(&std::collections::BTreeMap::<String, u8>::new()),
            "{}"
        );
    }
}
