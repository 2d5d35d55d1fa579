//! The one stable hash used wherever tactful needs a number from bytes: the snapshot checksum,
//! the snapshot id, memory keys of offers, holdout buckets and exploration draws.
//!
//! It is FNV-1a 64 (the `fnv` crate) followed by the splitmix64 finaliser. FNV-1a is tiny in
//! wasm, identical on every platform, and any single changed byte changes its result (each step
//! is a bijection of the state), which is what a checksum against bit flips needs. The
//! finaliser spreads the low bits so that `hash % 10_000` is uniform for holdout buckets.
//! It is not a cryptographic hash: nothing here defends against an adversary who chooses keys.

use core::hash::Hasher;

/// Hashes `parts` as one byte string, with a zero byte between parts so that
/// `("ab", "c")` and `("a", "bc")` differ.
pub fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut hasher = fnv::FnvHasher::default();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.write_u8(0);
        }
        hasher.write(part);
    }
    mix(hasher.finish())
}

/// splitmix64's finaliser.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 32-bit key under which an offer's history is kept in a shopper's memory. Memory is keyed
/// by a hash of the offer id, not by its position in a snapshot, so it survives a new snapshot.
/// The compiler refuses a store in which two offer ids share a key.
pub fn offer_memory_key(offer_id: &str) -> u32 {
    (stable_hash(&[b"offer", offer_id.as_bytes()]) >> 32) as u32
}

/// A uniform draw in `[0, 1)` from `parts`.
pub fn unit_draw(parts: &[&[u8]]) -> f64 {
    // 53 bits fill an f64 mantissa exactly.
    (stable_hash(parts) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_distinguishes_splits() {
        assert_ne!(stable_hash(&[b"ab", b"c"]), stable_hash(&[b"a", b"bc"]));
    }

    #[test]
    fn is_stable_across_builds() {
        // Pinned: holdout buckets and memory keys must never move between releases.
        assert_eq!(stable_hash(&[b"tactful"]), 0x7f60acc6d07d3953);
    }

    #[test]
    fn draws_are_in_unit_interval_and_spread() {
        let mut below_half = 0;
        for i in 0..1000u32 {
            let u = unit_draw(&[b"x", &i.to_le_bytes()]);
            assert!((0.0..1.0).contains(&u));
            if u < 0.5 {
                below_half += 1;
            }
        }
        assert!((400..600).contains(&below_half), "{below_half}");
    }
}
