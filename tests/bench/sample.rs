//! What the benchmarks that run on the sample store share: its catalog's item ids (the same as
//! `www/sample-store/store.toml`'s `[[items]]`) and the instant their generated histories end.
//! Included by `#[path]` from each benchmark, which Cargo builds as its own crate.

/// 2025-11-21T12:00:00Z, the sample contexts' time.
pub const NOW: i64 = 1_763_726_400_000;

/// The sample catalog's item ids.
pub const ITEMS: [&str; 12] = [
    "course-foundations",
    "course-advanced",
    "course-quickstart",
    "workbook-foundations",
    "pack-starter",
    "pack-pro",
    "pack-portfolio",
    "pack-social",
    "membership-monthly",
    "membership-annual",
    "coaching-review",
    "coaching-intensive",
];
