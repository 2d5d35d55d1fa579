//! postcard's encoding read by hand: the primitives the snapshot payload (`snapshot/decode.rs`)
//! and memory (`memory/encoding.rs`) are made of.
//!
//! postcard with serde's derived `Deserialize` read these formats until 0.3; their visitors,
//! monomorphised for every wire type, and postcard's deserializer were 3.2 KB of the gzipped
//! wasm module, which this reader replaces (`www/docs/numbers.md`). It accepts exactly what
//! postcard 1.x accepts for the types tactful writes (tests compare the two:
//! `fuzzing::payload_readers_agree`, `fuzzing::memory_body_readers_agree`):
//! - `u8` is one byte; `u16`, `u32`, `u64` and lengths are LEB128 varints of at most
//!   `ceil(bits / 7)` bytes whose last byte carries no bit beyond the type (a longer encoding
//!   of a small value is accepted, as postcard does);
//! - `bool` is the byte 0 or 1, an `Option` a 0 or 1 byte before its value, an enum its
//!   variant's position (a `u32` varint) before the variant's fields;
//! - `f32` and `f64` are little-endian IEEE 754;
//! - strings and byte strings are a length and the bytes; strings must be UTF-8.
//!
//! Untrusted bytes can claim any length, so a length larger than the bytes left is refused
//! before anything is allocated (every element takes at least one byte), and a list reserves
//! at most [`RESERVE_BYTES`] ahead of the elements it has actually read.
//!
//! Errors are the detail of the caller's error type: what was wrong, and at which byte.

/// The most a list reserves before reading its elements (serde's own caution for postcard).
pub(crate) const RESERVE_BYTES: usize = 1 << 20;

/// What went wrong, and where: the `detail` of `SnapshotError::Decode` or of a corrupt memory.
pub(crate) type ReadResult<T> = Result<T, String>;

/// A cursor over postcard bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// An error naming `what` and the byte it was read at.
    pub(crate) fn fail(&self, what: impl core::fmt::Display) -> String {
        format!("{what} at byte {}", self.at)
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> ReadResult<()> {
        match self.left() {
            0 => Ok(()),
            left => Err(format!("bytes left after the end: {left}")),
        }
    }

    fn left(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    fn take(&mut self, n: usize) -> ReadResult<&'a [u8]> {
        let taken = self
            .bytes
            .get(self.at..)
            .and_then(|rest| rest.get(..n))
            .ok_or_else(|| self.fail("the bytes end early"))?;
        self.at += n;
        Ok(taken)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> ReadResult<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> ReadResult<u8> {
        let byte = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| self.fail("the bytes end early"))?;
        self.at += 1;
        Ok(byte)
    }

    /// A varint of a `bits`-wide integer, as postcard checks it.
    #[inline]
    fn varint(&mut self, bits: u32) -> ReadResult<u64> {
        // Most numbers in a snapshot fit one byte.
        if let Some(&byte) = self.bytes.get(self.at).filter(|&&b| b < 0x80) {
            self.at += 1;
            return Ok(u64::from(byte));
        }
        self.long_varint(bits)
    }

    /// A varint longer than a byte, read from the bytes left as one slice rather than by a
    /// checked read per byte: under Node, 5–10% off the load of 10,000 offers, whose prices,
    /// costs and item indexes mostly take two bytes or more (natively, no change: the compiler
    /// had already made the per-byte reads cheap there). `tests::varints_read_as_one_byte_at_a_time`
    /// holds it to the reading one byte at a time, errors included.
    #[inline(never)]
    fn long_varint(&mut self, bits: u32) -> ReadResult<u64> {
        let max_len = bits.div_ceil(7) as usize;
        let last_bits = bits - 7 * (max_len as u32 - 1);
        let start = self.at;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let mut value = 0u64;
        for (i, &byte) in rest.iter().take(max_len).enumerate() {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                if i + 1 == max_len && u64::from(byte) >> last_bits != 0 {
                    break;
                }
                self.at = start + i + 1;
                return Ok(value);
            }
        }
        // Every byte read went on, or the last carried bits beyond the type: the error is named
        // at the byte a reader taking one byte at a time would have stopped at.
        if rest.len() < max_len {
            self.at = start + rest.len();
            return Err(self.fail("the bytes end early"));
        }
        self.at = start + max_len;
        Err(self.fail(format_args!("a varint too large for {bits} bits")))
    }

    pub(crate) fn u16(&mut self) -> ReadResult<u16> {
        // In range: `varint` refuses any bit beyond the sixteenth.
        self.varint(16).map(|v| v as u16)
    }

    pub(crate) fn u32(&mut self) -> ReadResult<u32> {
        self.varint(32).map(|v| v as u32)
    }

    pub(crate) fn u64(&mut self) -> ReadResult<u64> {
        self.varint(64)
    }

    pub(crate) fn f32(&mut self) -> ReadResult<f32> {
        self.array().map(f32::from_le_bytes)
    }

    pub(crate) fn f64(&mut self) -> ReadResult<f64> {
        self.array().map(f64::from_le_bytes)
    }

    /// A length prefix, refused when larger than the bytes left.
    pub(crate) fn len(&mut self) -> ReadResult<usize> {
        let len = self.varint(usize::BITS)? as usize;
        if len > self.left() {
            return Err(self.fail(format_args!(
                "a length of {len} with {} bytes left",
                self.left()
            )));
        }
        Ok(len)
    }

    /// A flag byte (a `bool`, or an `Option`'s tag): 0 or 1.
    fn flag(&mut self, what: &str) -> ReadResult<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.fail(format_args!("{what} of {other}, not 0 or 1"))),
        }
    }

    pub(crate) fn bool(&mut self) -> ReadResult<bool> {
        self.flag("a bool")
    }

    pub(crate) fn option<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> ReadResult<T>,
    ) -> ReadResult<Option<T>> {
        if self.flag("an option tag")? {
            read(self).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A list, each element read by `read`.
    pub(crate) fn list<T>(
        &mut self,
        mut read: impl FnMut(&mut Self) -> ReadResult<T>,
    ) -> ReadResult<Vec<T>> {
        let len = self.len()?;
        let mut out = Vec::with_capacity(len.min(RESERVE_BYTES / size_of::<T>().max(1)));
        for _ in 0..len {
            out.push(read(self)?);
        }
        Ok(out)
    }

    /// A byte string (or a `Vec<u8>`, which postcard writes the same way).
    pub(crate) fn bytes(&mut self) -> ReadResult<Vec<u8>> {
        let len = self.len()?;
        self.take(len).map(<[u8]>::to_vec)
    }

    /// A byte string's place in the bytes (`start..end`), not copied.
    pub(crate) fn bytes_span(&mut self) -> ReadResult<(usize, usize)> {
        let len = self.len()?;
        let start = self.at;
        self.take(len).map(|_| (start, start + len))
    }

    /// A string's place in the bytes (`start..end`), checked to be UTF-8 but not copied.
    pub(crate) fn string_span(&mut self) -> ReadResult<(usize, usize)> {
        let raw = self.string_bytes()?;
        Ok((self.at - raw.len(), self.at))
    }

    /// A string's bytes, checked to be UTF-8 but neither copied nor made a `str` (which would
    /// check them again).
    pub(crate) fn string_bytes(&mut self) -> ReadResult<&'a [u8]> {
        let len = self.len()?;
        let raw = self.take(len)?;
        // Nearly every string of a store is ASCII, which is checked faster than UTF-8 in general.
        if raw.is_ascii() || core::str::from_utf8(raw).is_ok() {
            Ok(raw)
        } else {
            Err(self.fail("a string that is not UTF-8"))
        }
    }

    pub(crate) fn string(&mut self) -> ReadResult<String> {
        let len = self.len()?;
        let raw = self.take(len)?;
        core::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| self.fail("a string that is not UTF-8"))
    }

    /// An enum's variant position (checked by the caller, with [`Self::unknown`]).
    pub(crate) fn variant(&mut self) -> ReadResult<u32> {
        self.u32()
    }

    /// The error for variant `index` of `what`, which has `count` variants.
    pub(crate) fn unknown(&self, what: &str, index: u32, count: usize) -> String {
        self.fail(format_args!("{what} variant {index}, not one of {count}"))
    }

    /// One of a closed vocabulary (`Surface::ALL` and the like), by position.
    pub(crate) fn one_of<T: Copy>(&mut self, what: &str, all: &[T]) -> ReadResult<T> {
        let index = self.variant()?;
        all.get(index as usize)
            .copied()
            .ok_or_else(|| self.unknown(what, index, all.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A varint read one checked byte at a time, as postcard describes it: the reference that
    /// [`Reader::varint`] must agree with, in value, bytes taken and error alike.
    fn reference(bytes: &[u8], bits: u32) -> (ReadResult<u64>, usize) {
        let mut r = Reader::new(bytes);
        let max_len = bits.div_ceil(7);
        let mut value = 0u64;
        for i in 0..max_len {
            let byte = match r.u8() {
                Ok(byte) => byte,
                Err(error) => return (Err(error), r.at),
            };
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                let last_bits = bits - 7 * (max_len - 1);
                if i + 1 == max_len && u64::from(byte) >> last_bits != 0 {
                    break;
                }
                return (Ok(value), r.at);
            }
        }
        let error = r.fail(format_args!("a varint too large for {bits} bits"));
        (Err(error), r.at)
    }

    #[test]
    fn varints_read_as_one_byte_at_a_time() {
        // Bytes that end a varint or go on, at the edges of each type's last byte.
        let bytes = [0x00, 0x01, 0x03, 0x04, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xff];
        let (mut read, mut refused) = (0, 0);
        for bits in [16u32, 32, 64] {
            let max_len = bits.div_ceil(7) as usize;
            for len in 0..=max_len + 1 {
                // Every mix of the bytes above at the first and last places, continuation bytes
                // between: short, exact and too long, ended or not.
                for &first in &bytes {
                    for &last in &bytes {
                        let mut input = vec![0x80 | 0x2a; len];
                        if let Some(b) = input.first_mut() {
                            *b = first;
                        }
                        if len > 1 {
                            input[len - 1] = last;
                        }
                        let mut r = Reader::new(&input);
                        let got = (r.varint(bits), r.at);
                        assert_eq!(got, reference(&input, bits), "{input:02x?}, {bits} bits");
                        read += usize::from(got.0.is_ok());
                        refused += usize::from(got.0.is_err());
                    }
                }
            }
        }
        assert!(
            read > 100 && refused > 100,
            "{read} read, {refused} refused"
        );
    }
}
