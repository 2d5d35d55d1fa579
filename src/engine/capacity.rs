//! Capacity (step 5 of a decision): how many of the ranked offers the surface may show, given
//! its slot limit and the per-session, per-day and store-wide caps already used up in memory,
//! and the reason the ones that do not fit are left out.

use super::DAY;
use super::explain::Why;
use super::shopper::Shopper;
use crate::memory::Memory;

/// How many offers may be shown, and why the rest are left out (rendered only for those).
pub(super) fn slots(shopper: &Shopper<'_>, memory: &Memory) -> (usize, Why<'static>) {
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
    let mut slots = (limit, Why::SlotsFilled { limit, surface });
    let (per_session, per_day) = rules.map_or((0, 0), |r| (r.per_session, r.per_day));
    let daily_cap = payload.policy.daily_cap;
    let caps = [
        (
            per_session,
            session,
            Why::SessionCap {
                used: session,
                cap: per_session,
                surface,
            },
        ),
        (
            per_day,
            today_here,
            Why::SurfaceDayCap {
                used: today_here,
                cap: per_day,
                surface,
            },
        ),
        (
            daily_cap,
            today,
            Why::DailyCap {
                used: today,
                cap: daily_cap,
            },
        ),
    ];
    for (cap, used, why) in caps {
        let left = remaining(cap, used);
        if left < slots.0 {
            slots = (left, why);
        }
    }
    slots
}
