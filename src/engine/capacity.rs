//! Capacity (step 5 of a decision): how many of the ranked offers the surface may show, given
//! its slot limit and the per-session, per-day and store-wide caps already used up in memory,
//! and the reason the ones that do not fit are left out.

use super::decision::SkipReason;
use super::shopper::Shopper;
use super::{DAY, Skip};
use crate::memory::Memory;

/// How many offers may be shown, and the reason that leaves out the rest.
pub(super) fn slots(shopper: &Shopper<'_>, memory: &Memory) -> (usize, Skip) {
    let payload = shopper.snapshot.payload();
    let surface = shopper.surface;
    let rules = payload.surfaces.get(surface.index()).copied();
    let limit = rules.map_or(1, |r| usize::from(r.limit));
    let day_ago = shopper.now.saturating_sub(DAY);
    let (mut session, mut today_here, mut today) = (0usize, 0usize, 0usize);
    for &(at, on) in memory.offers.iter().flat_map(|h| h.impressions.iter()) {
        let in_day = at > day_ago;
        today += usize::from(in_day);
        if on == surface {
            today_here += usize::from(in_day);
            session += usize::from(at >= shopper.session_start);
        }
    }
    let remaining = |cap: u16, used: usize| usize::from(cap).saturating_sub(used);
    let mut slots = (
        limit,
        Skip::new(
            SkipReason::SurfaceLimit,
            format!("surfaces.{surface}.limit"),
            format!("better offers filled the {limit} slot(s) of {surface}"),
        ),
    );
    let caps = [
        (
            rules.map_or(0, |r| r.per_session),
            session,
            SkipReason::SurfaceSessionCap,
            format!("surfaces.{surface}.per_session"),
            "this session",
        ),
        (
            rules.map_or(0, |r| r.per_day),
            today_here,
            SkipReason::SurfaceDailyCap,
            format!("surfaces.{surface}.per_day"),
            "the last 24 hours",
        ),
        (
            payload.policy.daily_cap,
            today,
            SkipReason::GlobalDailyCap,
            "policy.daily_cap".to_string(),
            "the last 24 hours, on all surfaces",
        ),
    ];
    for (cap, used, reason, rule, when) in caps {
        let left = remaining(cap, used);
        if left < slots.0 {
            slots = (
                left,
                Skip::new(
                    reason,
                    rule,
                    format!("{used} offers shown in {when}; the cap is {cap}"),
                ),
            );
        }
    }
    slots
}
