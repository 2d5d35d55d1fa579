//! base64url without padding (RFC 4648 §5), strict: the memory string's outer form.
//!
//! Hand-written on purpose: the `base64` crate's general-purpose engine came to about 7 KB
//! of the WebAssembly module, for the two dozen lines below. Decoding is strict, as the crate
//! was configured: no padding, no whitespace, no other alphabet, no leftover bits, so one
//! memory has exactly one spelling.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Each byte's value as a base64url symbol, or [`NOT_A_SYMBOL`]: one load per symbol where a
/// chain of range tests was most of reading memory (`Memory::decode`).
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time, where an index out of range fails the build"
)]
const VALUES: [u8; 256] = {
    let mut values = [NOT_A_SYMBOL; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        values[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    values
};
const NOT_A_SYMBOL: u8 = 0xff;

/// Encodes `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let digit = |n: u32, i: u32| {
        char::from(
            ALPHABET
                .get((n >> (18 - 6 * i) & 63) as usize)
                .copied()
                .unwrap_or(b'A'),
        )
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .zip([16, 8, 0])
            .fold(0u32, |n, (&b, shift)| n | u32::from(b) << shift);
        for i in 0..=chunk.len() as u32 {
            out.push(digit(n, i));
        }
    }
    out
}

/// Decodes `text`, or says which symbol at which offset is wrong.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 4 == 1 {
        return Err(format!("a length of {} cannot be base64", text.len()));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for (c, chunk) in text.as_bytes().chunks(4).enumerate() {
        let mut n = 0u32;
        for (i, &symbol) in chunk.iter().enumerate() {
            // A `u8` is always in range of the table.
            let value = VALUES
                .get(usize::from(symbol))
                .copied()
                .unwrap_or(NOT_A_SYMBOL);
            if value == NOT_A_SYMBOL {
                return Err(format!(
                    "invalid symbol {symbol:#04x} at offset {}",
                    c * 4 + i
                ));
            }
            n |= u32::from(value) << (18 - 6 * i);
        }
        let whole = chunk.len() - 1;
        // Bits past the last whole byte must be zero, or two strings would mean one memory.
        if n & (0x00ff_ffff >> (8 * whole)) != 0 {
            return Err(format!("invalid last symbol at offset {}", c * 4 + whole));
        }
        out.extend((0..whole).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc_4648_test_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).as_deref(), Ok(plain.as_bytes()));
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)), Ok(all));
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn refuses_what_is_not_canonical_base64url() {
        for bad in [
            "A",
            "Zg==",
            "Zh",
            "Zm9",
            "Zm+v",
            "Zm/v",
            "Zm9v Yg",
            "Zm9\u{e9}",
        ] {
            assert!(decode(bad).is_err(), "{bad:?} decoded");
        }
    }
}
