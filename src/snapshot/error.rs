//! Why a snapshot was refused: one variant per check of the loader, each with a stable code.

use core::fmt;

use super::{HEADER_LEN, MAX_SNAPSHOT_BYTES};

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// Fewer bytes than a header.
    TooShort {
        /// Bytes given.
        len: usize,
    },
    /// More bytes than [`MAX_SNAPSHOT_BYTES`].
    TooLarge {
        /// Bytes given.
        len: usize,
    },
    /// The first four bytes are not [`MAGIC`](super::MAGIC).
    BadMagic {
        /// What they were.
        found: [u8; 4],
    },
    /// Written by a newer tactful.
    NewerVersion {
        /// The snapshot's format version.
        found: u16,
        /// The newest this build reads.
        supported: u16,
    },
    /// A version that never existed (0).
    UnknownVersion {
        /// The snapshot's format version.
        found: u16,
    },
    /// Flag bits that this version does not define.
    UnknownFlags {
        /// The flags.
        flags: u16,
    },
    /// The header's payload length does not match the bytes that follow it.
    LengthMismatch {
        /// Length in the header.
        declared: u32,
        /// Bytes after the header.
        actual: usize,
    },
    /// The payload does not hash to the header's checksum: the bytes were damaged.
    ChecksumMismatch {
        /// Checksum in the header.
        declared: u64,
        /// Checksum of the payload.
        actual: u64,
    },
    /// The payload is not a valid postcard encoding of the format.
    Decode {
        /// What was wrong, and at which byte of the payload.
        detail: String,
    },
    /// A count over its explicit limit.
    OverLimit {
        /// What was counted, as a path.
        what: String,
        /// How many there were.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// An index pointing outside what it indexes.
    BadIndex {
        /// Where the index is, as a path (`offers[3].items[1]`).
        at: String,
        /// Its value.
        index: u64,
        /// How many things it may point at.
        len: usize,
    },
    /// A value that breaks the format's rules.
    Invalid {
        /// Where, as a path.
        at: String,
        /// What rule it breaks.
        why: &'static str,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => write!(
                f,
                "snapshot is {len} bytes, shorter than its {HEADER_LEN}-byte header"
            ),
            Self::TooLarge { len } => write!(
                f,
                "snapshot is {len} bytes, over the {MAX_SNAPSHOT_BYTES}-byte limit"
            ),
            Self::BadMagic { found } => write!(
                f,
                "not a tactful snapshot: starts with {found:02x?}, not `TCTF`"
            ),
            Self::NewerVersion { found, supported } => write!(
                f,
                "snapshot format version {found} is newer than this engine reads (up to version {supported}); upgrade tactful"
            ),
            Self::UnknownVersion { found } => {
                write!(f, "snapshot format version {found} does not exist")
            }
            Self::UnknownFlags { flags } => {
                write!(f, "snapshot header has unknown flags {flags:#06x}")
            }
            Self::LengthMismatch { declared, actual } => {
                write!(
                    f,
                    "snapshot header declares a {declared}-byte payload but {actual} bytes follow (truncated or padded)"
                )
            }
            Self::ChecksumMismatch { declared, actual } => {
                write!(
                    f,
                    "snapshot checksum mismatch: header says {declared:016x}, payload hashes to {actual:016x} (damaged)"
                )
            }
            Self::Decode { detail } => write!(f, "snapshot payload does not decode: {detail}"),
            Self::OverLimit { what, count, limit } => write!(
                f,
                "snapshot has {count} `{what}`, over the limit of {limit}"
            ),
            Self::BadIndex { at, index, len } => {
                write!(f, "snapshot index `{at}` is {index}, outside 0..{len}")
            }
            Self::Invalid { at, why } => write!(f, "snapshot value `{at}` is invalid: {why}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl SnapshotError {
    /// A stable machine-readable code for hosts (`"snapshot.checksum"` and so on).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "snapshot.too_short",
            Self::TooLarge { .. } => "snapshot.too_large",
            Self::BadMagic { .. } => "snapshot.bad_magic",
            Self::NewerVersion { .. } => "snapshot.newer_version",
            Self::UnknownVersion { .. } => "snapshot.unknown_version",
            Self::UnknownFlags { .. } => "snapshot.unknown_flags",
            Self::LengthMismatch { .. } => "snapshot.length",
            Self::ChecksumMismatch { .. } => "snapshot.checksum",
            Self::Decode { .. } => "snapshot.decode",
            Self::OverLimit { .. } => "snapshot.over_limit",
            Self::BadIndex { .. } => "snapshot.bad_index",
            Self::Invalid { .. } => "snapshot.invalid",
        }
    }
}
