//! Why memory could not be read, or an event not recorded: one variant per problem, each with
//! a stable code that hosts show and test against.

use super::MAX_ENCODED_LEN;

/// Why memory could not be read, or an event not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryError {
    /// Longer than the 16,384 characters a memory string may have (`MAX_ENCODED_LEN`).
    TooLong {
        /// Its length.
        len: usize,
    },
    /// Not base64url.
    NotBase64 {
        /// The decoder's description, with the offending offset.
        detail: String,
    },
    /// Empty after decoding.
    Empty,
    /// Written by a newer tactful.
    NewerVersion {
        /// The memory's version.
        found: u8,
        /// The newest this build reads.
        supported: u8,
    },
    /// The checksum does not match: a changed byte, or not tactful memory at all.
    ChecksumMismatch,
    /// Another store's memory (two stores sharing a cookie domain), read for this store.
    OtherStore {
        /// The memory's store tag.
        found: u16,
        /// This store's tag.
        expected: u16,
    },
    /// A version that never existed.
    UnknownVersion {
        /// The memory's version.
        found: u8,
    },
    /// The body does not decode, or breaks a limit.
    Corrupt {
        /// What was wrong.
        detail: String,
    },
    /// An event that lacks what its kind needs.
    BadEvent {
        /// The missing or wrong field, as a path (`offerId`).
        field: String,
        /// What was wrong.
        detail: String,
    },
}

impl core::fmt::Display for MemoryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooLong { len } => write!(
                f,
                "memory is {len} characters, over the {MAX_ENCODED_LEN}-character limit"
            ),
            Self::NotBase64 { detail } => write!(f, "memory is not base64url: {detail}"),
            Self::Empty => f.write_str("memory is empty after decoding"),
            Self::NewerVersion { found, supported } => {
                write!(
                    f,
                    "memory format version {found} is newer than this engine reads (up to {supported})"
                )
            }
            Self::ChecksumMismatch => {
                f.write_str("memory fails its checksum: it was changed, or is not tactful memory")
            }
            Self::OtherStore { found, expected } => write!(
                f,
                "memory belongs to another store (tag {found:04x}, this store's is {expected:04x})"
            ),
            Self::UnknownVersion { found } => {
                write!(f, "memory format version {found} does not exist")
            }
            Self::Corrupt { detail } => write!(f, "memory is corrupt: {detail}"),
            Self::BadEvent { field, detail } if field.is_empty() => write!(f, "event: {detail}"),
            Self::BadEvent { field, detail } => write!(f, "event field `{field}`: {detail}"),
        }
    }
}

impl std::error::Error for MemoryError {}

impl MemoryError {
    /// A stable machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "memory.too_long",
            Self::NotBase64 { .. } => "memory.not_base64",
            Self::Empty => "memory.empty",
            Self::NewerVersion { .. } => "memory.newer_version",
            Self::ChecksumMismatch => "memory.checksum",
            Self::OtherStore { .. } => "memory.other_store",
            Self::UnknownVersion { .. } => "memory.unknown_version",
            Self::Corrupt { .. } => "memory.corrupt",
            Self::BadEvent { .. } => "memory.bad_event",
        }
    }
}
