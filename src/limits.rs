//! Every limit that bounds what untrusted input can cost or hold, in one table.
//!
//! The constants live where they are enforced (the snapshot loader, the context reader, memory,
//! the candidate step, the condition program); this table names them together so that the
//! table of limits in `www/docs/limits.md` is checked against the code (a unit test below) and
//! cannot drift. A host's own limits (the embed's and the edge worker's, in JavaScript) are in
//! that table too, marked with the file that holds them.

use crate::context::{MAX_CONTEXT_FACTS, MAX_CONTEXT_TEXT, MAX_LIST};
use crate::engine::candidates::{
    MAX_CANDIDATES, MAX_ELIGIBLE, MAX_PER_SOURCE, MAX_READ_PER_ITEM, MAX_SEEDS, MAX_SIGHTINGS,
};
use crate::memory::{
    MAX_ACCEPTS, MAX_DISMISSALS, MAX_ENCODED_LEN, MAX_IMPRESSIONS, MAX_OFFERS_AFTER_PRUNE,
    MAX_PURCHASES, MAX_REMEMBERED_OFFERS,
};
use crate::program::{MAX_CONSTS, MAX_OPS, MAX_STACK};
use crate::snapshot::{
    CATEGORY_FALLBACK, MAX_CAP, MAX_COOLDOWN_RUNGS, MAX_EMAIL_WINDOW, MAX_FACTS, MAX_FEATURES,
    MAX_ITEMS, MAX_NEIGHBOURS, MAX_OFFER_ITEMS, MAX_OFFERS, MAX_PROGRAMS, MAX_RULES, MAX_SIGNALS,
    MAX_SNAPSHOT_BYTES, MAX_SURFACE_LIMIT, MAX_TEXT_BYTES, POPULAR_FALLBACK,
};

/// One limit: its constant's name, its value, and what it bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Where it applies: `snapshot`, `context`, `memory` or `decision`.
    pub applies_to: &'static str,
    /// What it bounds, as `www/docs/limits.md` says it.
    pub what: &'static str,
    /// The value.
    pub value: u64,
    /// The constant's name in the source.
    pub name: &'static str,
}

const fn limit(
    applies_to: &'static str,
    what: &'static str,
    value: u64,
    name: &'static str,
) -> Limit {
    Limit {
        applies_to,
        what,
        value,
        name,
    }
}

/// Every limit, in the order of `www/docs/limits.md`.
pub const ALL: &[Limit] = &[
    limit(
        "snapshot",
        "bytes in a snapshot",
        MAX_SNAPSHOT_BYTES as u64,
        "MAX_SNAPSHOT_BYTES",
    ),
    limit("snapshot", "items", MAX_ITEMS as u64, "MAX_ITEMS"),
    limit("snapshot", "offers", MAX_OFFERS as u64, "MAX_OFFERS"),
    limit("snapshot", "rules", MAX_RULES as u64, "MAX_RULES"),
    limit(
        "snapshot",
        "condition programs",
        MAX_PROGRAMS as u64,
        "MAX_PROGRAMS",
    ),
    limit(
        "snapshot",
        "operations in one condition",
        MAX_OPS as u64,
        "MAX_OPS",
    ),
    limit(
        "snapshot",
        "constants in one condition",
        MAX_CONSTS as u64,
        "MAX_CONSTS",
    ),
    limit(
        "snapshot",
        "stack depth of a condition",
        MAX_STACK as u64,
        "MAX_STACK",
    ),
    limit("snapshot", "declared facts", MAX_FACTS as u64, "MAX_FACTS"),
    limit(
        "snapshot",
        "signal names",
        MAX_SIGNALS as u64,
        "MAX_SIGNALS",
    ),
    limit(
        "snapshot",
        "items one offer sells, requires or is excluded by (each list, no repeats)",
        MAX_OFFER_ITEMS as u64,
        "MAX_OFFER_ITEMS",
    ),
    limit(
        "snapshot",
        "rungs in a cooldown ladder",
        MAX_COOLDOWN_RUNGS as u64,
        "MAX_COOLDOWN_RUNGS",
    ),
    limit(
        "snapshot",
        "learned neighbours per item",
        MAX_NEIGHBOURS as u64,
        "MAX_NEIGHBOURS",
    ),
    limit(
        "snapshot",
        "model features",
        MAX_FEATURES as u64,
        "MAX_FEATURES",
    ),
    limit(
        "snapshot",
        "bytes in one text (id, title, copy)",
        MAX_TEXT_BYTES as u64,
        "MAX_TEXT_BYTES",
    ),
    limit(
        "snapshot",
        "offers a surface shows at once",
        MAX_SURFACE_LIMIT as u64,
        "MAX_SURFACE_LIMIT",
    ),
    limit("snapshot", "a cap's count", MAX_CAP as u64, "MAX_CAP"),
    limit(
        "snapshot",
        "an email window's end, or the quiet period after an order, in minutes (365 days)",
        MAX_EMAIL_WINDOW as u64,
        "MAX_EMAIL_WINDOW",
    ),
    limit(
        "context",
        "cart lines, owned, viewed, and events (each)",
        MAX_LIST as u64,
        "MAX_LIST",
    ),
    limit(
        "context",
        "bytes in an id, name, label or shopper key",
        MAX_CONTEXT_TEXT as u64,
        "MAX_CONTEXT_TEXT",
    ),
    limit(
        "context",
        "facts",
        MAX_CONTEXT_FACTS as u64,
        "MAX_CONTEXT_FACTS",
    ),
    limit(
        "memory",
        "characters in a memory string",
        MAX_ENCODED_LEN as u64,
        "MAX_ENCODED_LEN",
    ),
    limit(
        "memory",
        "offers remembered",
        MAX_REMEMBERED_OFFERS as u64,
        "MAX_REMEMBERED_OFFERS",
    ),
    limit(
        "memory",
        "offers kept by pruning after a decision",
        MAX_OFFERS_AFTER_PRUNE as u64,
        "MAX_OFFERS_AFTER_PRUNE",
    ),
    limit(
        "memory",
        "impressions per offer (newest)",
        MAX_IMPRESSIONS as u64,
        "MAX_IMPRESSIONS",
    ),
    limit(
        "memory",
        "dismissals per offer (newest)",
        MAX_DISMISSALS as u64,
        "MAX_DISMISSALS",
    ),
    limit(
        "memory",
        "accepts, and purchases, per offer (newest)",
        MAX_ACCEPTS as u64,
        "MAX_ACCEPTS",
    ),
    limit(
        "memory",
        "purchases of anything (newest)",
        MAX_PURCHASES as u64,
        "MAX_PURCHASES",
    ),
    limit(
        "decision",
        "seed items read (cart, then owned, then viewed)",
        MAX_SEEDS as u64,
        "MAX_SEEDS",
    ),
    limit(
        "decision",
        "offers taken per learned neighbour, and pairings per seed",
        MAX_PER_SOURCE as u64,
        "MAX_PER_SOURCE",
    ),
    limit(
        "decision",
        "offers selling one neighbour that are read",
        MAX_READ_PER_ITEM as u64,
        "MAX_READ_PER_ITEM",
    ),
    limit(
        "decision",
        "sightings after which no further seed is read",
        MAX_SIGHTINGS as u64,
        "MAX_SIGHTINGS",
    ),
    limit(
        "decision",
        "same-category fallback offers per category and surface",
        CATEGORY_FALLBACK as u64,
        "CATEGORY_FALLBACK",
    ),
    limit(
        "decision",
        "popularity fallback offers per surface",
        POPULAR_FALLBACK as u64,
        "POPULAR_FALLBACK",
    ),
    limit(
        "decision",
        "candidates kept",
        MAX_CANDIDATES as u64,
        "MAX_CANDIDATES",
    ),
    limit(
        "decision",
        "eligible candidates after which checking stops",
        MAX_ELIGIBLE as u64,
        "MAX_ELIGIBLE",
    ),
];

/// A value as the docs write it: thousands separated by commas.
pub fn with_commas(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The docs' table of limits has one row per limit, as `| applies to | what | value |
    /// name |`, and no row naming a constant this table lacks.
    #[test]
    fn the_docs_table_matches_the_code() {
        let readme = include_str!("../www/docs/limits.md");
        let mut missing = Vec::new();
        for l in ALL {
            let row = format!(
                "| {} | {} | {} | `{}` |",
                l.applies_to,
                l.what,
                with_commas(l.value),
                l.name
            );
            if !readme.contains(&row) {
                missing.push(row);
            }
        }
        assert!(
            missing.is_empty(),
            "www/docs/limits.md lacks these rows:\n{}",
            missing.join("\n")
        );
        let engine_rows = readme
            .lines()
            .filter(|line| {
                ["| snapshot |", "| context |", "| memory |", "| decision |"]
                    .iter()
                    .any(|p| line.starts_with(p))
            })
            .count();
        assert_eq!(
            engine_rows,
            ALL.len(),
            "www/docs/limits.md has rows no limit in the code has"
        );
    }

    #[test]
    fn commas() {
        assert_eq!(with_commas(0), "0");
        assert_eq!(with_commas(999), "999");
        assert_eq!(with_commas(1_000), "1,000");
        assert_eq!(with_commas(67_108_864), "67,108,864");
    }
}
