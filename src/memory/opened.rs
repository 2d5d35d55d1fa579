//! What a host does with a memory string it found: the one place that says when memory may
//! be written back and when it must be left as it is.

use super::{Memory, MemoryError};

/// A memory string a host found (a cookie, localStorage, a request header), opened for use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The memory to decide or record with: the string's own, or fresh memory.
    pub memory: Memory,
    /// Why the string's memory could not be used, when it could not.
    pub problem: Option<MemoryError>,
}

impl Opened {
    /// Whether the string must be stored back unchanged: memory written by a newer format
    /// version (checksum and store tag intact), which this engine cannot read and must not
    /// replace, or a rollout would lose the shopper's dismissals.
    pub fn must_keep(&self) -> bool {
        matches!(self.problem, Some(MemoryError::NewerVersion { .. }))
    }

    /// The string to store once this host has changed the memory to `changed`: its encoding,
    /// or `found` (the string that was opened) unchanged when it [must be kept](Self::must_keep).
    pub fn write_back(&self, found: &str, changed: &Memory) -> String {
        if self.must_keep() {
            found.to_owned()
        } else {
            changed.encode()
        }
    }

    /// The memory to record into and why it is fresh, if it is; for hosts that record an
    /// event and store the result.
    ///
    /// # Errors
    /// The [`MemoryError::NewerVersion`] when the string [must be kept](Self::must_keep):
    /// recording into fresh memory and storing it would overwrite it.
    pub fn writable(self) -> Result<(Memory, Option<MemoryError>), MemoryError> {
        match self.problem {
            Some(problem @ MemoryError::NewerVersion { .. }) => Err(problem),
            problem => Ok((self.memory, problem)),
        }
    }
}

impl Memory {
    /// Opens a memory string a host found. Never fails: unreadable memory is fresh memory and
    /// the reason. With `store` (a snapshot's [`crate::Snapshot::memory_tag`]), another
    /// store's memory is unreadable too (`memory.other_store`).
    pub fn open(encoded: &str, store: Option<u16>) -> Opened {
        match Memory::decode_for(encoded, store) {
            Ok(memory) => Opened {
                memory,
                problem: None,
            },
            Err(problem) => Opened {
                memory: Memory::new(),
                problem: Some(problem),
            },
        }
    }

    /// Merges two memory strings (two tabs, or the browser and the edge cookie) without losing
    /// an event; what a host calls with whatever copies it found. An unreadable side (with
    /// `store`, also another store's) counts as empty, but a side that
    /// [must be kept](Opened::must_keep) wins unchanged: merging it here would overwrite what
    /// this engine cannot read.
    pub fn merge_encoded(a: &str, b: &str, store: Option<u16>) -> String {
        let (left, right) = (Memory::open(a, store), Memory::open(b, store));
        if left.must_keep() {
            a.to_owned()
        } else if right.must_keep() {
            b.to_owned()
        } else {
            left.memory.merge(&right.memory).encode()
        }
    }
}
