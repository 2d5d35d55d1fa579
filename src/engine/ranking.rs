//! Ranking what is eligible: expected value, the frame and copy, the reasons in words, and
//! exploration with its propensity.

use crate::engine::candidates::{Candidate, Source};
use crate::engine::decision::{ExplainedOffer, OfferText, OfferWhy, ShownOffer};
use crate::engine::rules::RuleEffects;
use crate::engine::shopper::{Shopper, latest_of, round4};
use crate::hash::unit_draw;
use crate::memory::Memory;
use crate::snapshot::wire::{Item, LoadedOffer, Policy, Text};
use crate::template::{self, Placeholder};
use crate::vocab::{Frame, OfferKind, Play, ViewedOffers};

/// An eligible offer with its score.
pub(super) struct Ranked<'a> {
    pub(super) offer: &'a LoadedOffer,
    pub(super) candidate: &'a Candidate,
    /// The price asked: the offer's, or what completing a bundle adds (completion.rs).
    pub(super) price: u64,
    pub(super) discount: u8,
    pub(super) accept: f64,
    pub(super) score: f64,
    /// The first item of an offer that sells only items the shopper viewed, when the store
    /// ranks those last (`offer_viewed = "last"`); such offers sort after all others.
    pub(super) viewed_last: Option<u32>,
}

impl<'a> Ranked<'a> {
    pub(super) fn new(
        shopper: &Shopper<'_>,
        rules: &RuleEffects,
        candidate: &'a Candidate,
        offer: &'a LoadedOffer,
    ) -> Self {
        let discount = if rules.no_discount.is_some() {
            0
        } else {
            offer.discount_percent
        };
        let mut p = (0.02 + 0.5 * candidate.affinity) * (0.4 + 1.2 * shopper.readiness);
        let attach = candidate.sources.iter().find_map(|s| match s {
            Source::Learned {
                attach: Some(a), ..
            } => Some(f64::from(*a) / 100.0),
            _ => None,
        });
        if let Some(attach) = attach {
            p = (p + attach) / 2.0;
        }
        p *= 1.0 + f64::from(discount) / 100.0 * shopper.price_sensitivity;
        let accept = p.clamp(0.0, 0.95);
        let (price, cost) = super::completion::asked(shopper, offer);
        let final_price = final_price(price, discount);
        let scale = shopper.snapshot.minor_per_major();
        let margin = (final_price as f64 - cost as f64) / scale;
        let viewed_last = (shopper.snapshot.viewed_offers() == ViewedOffers::Last)
            .then(|| super::completion::only_viewed(shopper, offer))
            .flatten();
        Ranked {
            offer,
            candidate,
            price,
            discount,
            accept,
            score: accept * margin,
            viewed_last,
        }
    }

    /// The offer as the decision shows it, in `frame`: codes and numbers, and its words when
    /// `copy`.
    pub(super) fn show(&self, shopper: &Shopper<'_>, frame: Frame, copy: bool) -> ShownOffer {
        let offer = self.offer;
        ShownOffer {
            offer_id: shopper.snapshot.text(offer.id).to_owned(),
            kind: offer.kind,
            frame,
            price: self.price,
            discount_percent: self.discount,
            final_price: final_price(self.price, self.discount),
            score: round4(self.score),
            accept_probability: round4(self.accept),
            why: why(shopper, self.candidate),
            text: copy.then(|| self.text(shopper, frame)),
        }
    }

    /// The offer's words in `frame`, for an explanation.
    pub(super) fn explained(&self, shopper: &Shopper<'_>, frame: Frame) -> ExplainedOffer {
        let OfferText {
            title,
            copy,
            reasons,
        } = self.text(shopper, frame);
        ExplainedOffer {
            offer_id: shopper.snapshot.text(self.offer.id).to_owned(),
            title,
            copy,
            job: shopper.snapshot.text(self.offer.job).to_owned(),
            reasons,
        }
    }

    /// The frame this offer is usually shown in: the one [`choose_frame`] picks if the offer
    /// has copy for it, else its first copy's.
    fn usual_frame(&self, shopper: &Shopper<'_>, play: Play, rules: &RuleEffects) -> Frame {
        let frame = choose_frame(self.offer, play, rules, shopper);
        let copies = shopper.snapshot.copies(self.offer.copy);
        if copies.iter().any(|(f, _)| *f == frame) {
            frame
        } else {
            copies.first().map_or(frame, |(f, _)| *f)
        }
    }

    /// The share of frame exploration for this offer: none where a rule sets its frame (the
    /// store's word), where it has one frame to show, or where the snapshot does not explore
    /// frames.
    fn frame_share(&self, shopper: &Shopper<'_>, rules: &RuleEffects) -> Option<f64> {
        let copies = shopper.snapshot.copies(self.offer.copy);
        let ruled = rules
            .frame
            .is_some_and(|f| copies.iter().any(|(g, _)| *g == f));
        let bp = shopper.snapshot.payload().frame_exploration?.basis_points;
        (bp > 0 && !ruled && copies.len() > 1).then(|| f64::from(bp) / 10_000.0)
    }

    /// Every frame this policy may show the offer in, with its probability, the usual one
    /// first (see [`frame_probability`]). Native only: the whole first-slot policy is for
    /// `tactful replay`, and the wasm module keeps to its budget without it.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn frame_choices(
        &self,
        shopper: &Shopper<'_>,
        play: Play,
        rules: &RuleEffects,
    ) -> Vec<(Frame, f64)> {
        let usual = self.usual_frame(shopper, play, rules);
        let Some(share) = self.frame_share(shopper, rules) else {
            return vec![(usual, 1.0)];
        };
        let copies = shopper.snapshot.copies(self.offer.copy);
        let others = (copies.iter()).filter_map(|(f, _)| (*f != usual).then_some(*f));
        core::iter::once(usual)
            .chain(others)
            .map(|f| (f, frame_probability(f == usual, share, copies.len())))
            .collect()
    }

    /// The frame to show this offer in for this decision: with frame exploration at share
    /// `φ`, a hash of the shopper key, the decision count and the offer (as the first offer's
    /// exploration is drawn) says whether to draw, and another which of its frames.
    pub(super) fn framing(
        &self,
        shopper: &Shopper<'_>,
        play: Play,
        rules: &RuleEffects,
        draw: &Draw<'_>,
    ) -> Framing {
        let usual = self.usual_frame(shopper, play, rules);
        let Some(share) = self.frame_share(shopper, rules) else {
            return Framing {
                frame: usual,
                drawn: false,
                propensity: 1.0,
            };
        };
        let copies = shopper.snapshot.copies(self.offer.copy);
        let id = shopper.snapshot.text(self.offer.id).as_bytes();
        let drawn = unit_draw(&[b"explore-frame", draw.key, &draw.count, id]) < share;
        let pick = unit_draw(&[b"explore-frame-pick", draw.key, &draw.count, id]);
        let frame = match copies.get((pick * copies.len() as f64) as usize) {
            Some((f, _)) if drawn => *f,
            _ => usual,
        };
        Framing {
            frame,
            drawn,
            propensity: frame_probability(frame == usual, share, copies.len()),
        }
    }

    /// Title, copy (for `frame`, else the offer's first) and reasons in words, templates
    /// filled in for this shopper.
    fn text(&self, shopper: &Shopper<'_>, frame: Frame) -> OfferText {
        let copies = shopper.snapshot.copies(self.offer.copy);
        let copy = (copies.iter().find(|(f, _)| *f == frame))
            .or(copies.first())
            .map_or("", |&(_, text)| shopper.snapshot.text(text));
        let fill = self.fill(shopper);
        OfferText {
            title: template::render(shopper.snapshot.text(self.offer.title), &fill),
            copy: template::render(copy, &fill),
            reasons: reasons(shopper, self.candidate, self.offer, &fill),
        }
    }

    /// What this offer's templates are filled with, as shown to this shopper (template.rs).
    fn fill(&self, shopper: &Shopper<'_>) -> impl Fn(Placeholder) -> String {
        let payload = shopper.snapshot.payload();
        let (currency, digits) = (payload.currency.clone(), payload.currency_digits);
        let adds: Vec<&Item<Text>> = super::completion::adds(shopper, self.offer)
            .filter_map(|i| payload.items.get(i as usize))
            .collect();
        let final_price = final_price(self.price, self.discount);
        let catalog: u64 = adds
            .iter()
            .fold(0, |sum, item| sum.saturating_add(item.price));
        let mut missing = String::new();
        for (at, added) in adds.iter().enumerate() {
            if at > 0 {
                missing.push_str(" + ");
            }
            missing.push_str(shopper.snapshot.text(added.name));
        }
        let item =
            (adds.first()).map_or_else(String::new, |i| shopper.snapshot.text(i.name).to_owned());
        let (price, discount) = (self.price, self.discount);
        move |placeholder| match placeholder {
            Placeholder::Price => template::money(price, &currency, digits),
            Placeholder::FinalPrice => template::money(final_price, &currency, digits),
            Placeholder::Saving => {
                template::money(catalog.saturating_sub(final_price), &currency, digits)
            }
            Placeholder::Discount => format!("{discount}%"),
            Placeholder::Missing => missing.clone(),
            Placeholder::Item => item.clone(),
        }
    }
}

/// The price after a whole-percent discount, rounded down; exact for any price (no overflow).
fn final_price(price: u64, discount: u8) -> u64 {
    let kept = u128::from(100 - discount.min(100));
    u64::try_from(u128::from(price) * kept / 100).unwrap_or(price)
}

/// The probability of a frame given its offer, with frame exploration at `share` among the
/// offer's `frames` (distinct, as the snapshot's validation holds them): each is drawn with
/// `share / frames`, so the usual one shows with `1 - share + share / frames`. Rounded as the
/// exposure's `framePropensity`.
fn frame_probability(usual: bool, share: f64, frames: usize) -> f64 {
    let each = share / frames as f64;
    round4(if usual { 1.0 - share + each } else { each })
}

/// What a decision's draws hash besides their own names: the shopper key and the count of
/// decisions in memory, so each decision draws afresh and every host draws the same.
pub(super) struct Draw<'k> {
    pub(super) key: &'k [u8],
    pub(super) count: [u8; 4],
}

impl<'k> Draw<'k> {
    pub(super) fn new(shopper_key: &'k str, memory: &Memory) -> Self {
        Draw {
            key: shopper_key.as_bytes(),
            count: memory.decisions.to_le_bytes(),
        }
    }
}

/// The frame a shown offer is shown in, and how it was chosen.
#[derive(Debug, Clone, Copy)]
pub(super) struct Framing {
    pub(super) frame: Frame,
    /// Whether exploration drew the frame among the offer's frames (it may draw the usual one).
    pub(super) drawn: bool,
    /// The probability that this policy shows the offer in this frame (1 when frames are not
    /// explored for it), rounded to 4 decimals.
    pub(super) propensity: f64,
}

/// The frame: a rule's, else value framing for the price-sensitive, else what fits the play.
fn choose_frame(
    offer: &LoadedOffer,
    play: Play,
    rules: &RuleEffects,
    shopper: &Shopper<'_>,
) -> Frame {
    let copies = shopper.snapshot.copies(offer.copy);
    let has = |f: Frame| copies.iter().any(|(g, _)| *g == f);
    if let Some(f) = rules.frame.filter(|&f| has(f)) {
        return f;
    }
    let sensitive = shopper.price_sensitivity
        >= f64::from(shopper.snapshot.payload().policy.thresholds.price_sensitive);
    if sensitive && has(Frame::CostEfficiency) {
        return Frame::CostEfficiency;
    }
    let preferred: &[Frame] = match (play, offer.kind) {
        (Play::Assist, _) => &[Frame::RiskReduction, Frame::Convenience],
        (Play::Commit, OfferKind::Plan) => &[Frame::CostEfficiency, Frame::OutcomeAcceleration],
        (Play::Commit, OfferKind::Upgrade) => &[Frame::Premium, Frame::OutcomeAcceleration],
        (Play::Commit, _) => &[Frame::OutcomeAcceleration, Frame::Premium],
        _ => &[
            Frame::Completeness,
            Frame::Convenience,
            Frame::OutcomeAcceleration,
        ],
    };
    preferred
        .iter()
        .copied()
        .find(|&f| has(f))
        .or_else(|| copies.first().map(|(f, _)| *f))
        .unwrap_or(Frame::Convenience)
}

/// The in-product event that opened the window, on a surface that waits for one.
fn completed<'e>(shopper: &'e Shopper<'_>) -> Option<&'e crate::engine::shopper::SeenEvent> {
    let payload = shopper.snapshot.payload();
    let needs_trigger = payload
        .surfaces
        .get(shopper.surface.index())
        .is_some_and(|r| r.needs_trigger);
    needs_trigger
        .then(|| latest_of(&shopper.events, &payload.policy.trigger.completed))
        .flatten()
}

/// Why, as codes with their figures: the trigger first on in-product surfaces, then how the
/// offer was found (the same order as the reasons in words).
fn why(shopper: &Shopper<'_>, candidate: &Candidate) -> Vec<OfferWhy> {
    let payload = shopper.snapshot.payload();
    let id = |i: u32| {
        payload
            .items
            .get(i as usize)
            .map_or_else(String::new, |it| shopper.snapshot.text(it.id).to_owned())
    };
    let mut out = Vec::with_capacity(4);
    if let Some(event) = completed(shopper) {
        let signal = payload.signals.get(event.signal as usize);
        out.push(OfferWhy::Completed {
            signal: signal.map_or_else(String::new, |&s| shopper.snapshot.text(s).to_owned()),
        });
    }
    for source in candidate.sources.iter() {
        out.push(match *source {
            Source::Learned {
                seed,
                item,
                attach: Some(percent),
            } => OfferWhy::Attach {
                seed: id(seed),
                item: id(item),
                percent,
            },
            Source::Learned { seed, .. } => OfferWhy::BoughtWith { seed: id(seed) },
            Source::Curated { seed, .. } => OfferWhy::Pairing { seed: id(seed) },
            Source::Category { seed } => OfferWhy::Category { seed: id(seed) },
            Source::Popular => OfferWhy::Popular,
        });
    }
    out
}

/// Reasons in words: the trigger first on in-product surfaces, then how the offer was found.
/// A reason states a figure or a social claim only when the snapshot holds the data behind it:
/// an attach rate is the model's, about an item the offer sells (a bundle's reason says it is
/// part of the bundle); "popular" needs popularity that tells items apart.
fn reasons(
    shopper: &Shopper<'_>,
    candidate: &Candidate,
    offer: &LoadedOffer,
    fill: &dyn Fn(Placeholder) -> String,
) -> Vec<String> {
    let payload = shopper.snapshot.payload();
    let item_name = |i: u32| super::item_name(shopper.snapshot, i);
    let mut out = Vec::new();
    if let Some(event) = completed(shopper) {
        let what = event.label.clone().unwrap_or_else(|| {
            (payload.signals.get(event.signal as usize))
                .map_or("?", |&s| shopper.snapshot.text(s))
                .replace('_', " ")
        });
        out.push(format!("you just completed {what}"));
    }
    for source in candidate.sources.iter() {
        out.push(match *source {
            Source::Learned {
                seed,
                item,
                attach: Some(attach),
            } => {
                let part = if offer.items.len() > 1 {
                    ", part of this bundle,"
                } else {
                    ""
                };
                format!(
                    "{attach}% of buyers of {} add {}{part} within {} days",
                    item_name(seed),
                    item_name(item),
                    payload.model.attach_window_days
                )
            }
            Source::Learned { seed, .. } => format!("often bought with {}", item_name(seed)),
            Source::Curated { seed, pairing } => match payload.pairings.get(pairing as usize) {
                Some(p) if !p.note.is_empty() => {
                    template::render(shopper.snapshot.text(p.note), fill)
                }
                _ => format!("goes with {}", item_name(seed)),
            },
            Source::Category { seed } => {
                let category = payload
                    .items
                    .get(seed as usize)
                    .and_then(|i| payload.categories.get(i.category as usize));
                format!(
                    "more in {}",
                    category.map_or("?", |&c| shopper.snapshot.text(c))
                )
            }
            Source::Popular if shopper.snapshot.popularity_known() => {
                format!("popular with {} shoppers", payload.store_name)
            }
            // With no popularity data the fallback is simply the store's offers, in order.
            Source::Popular => format!("offered to every {} shopper", payload.store_name),
        });
    }
    out.dedup();
    out
}

/// The probability that exploration puts ranked offer `j` first.
fn first_propensity(j: usize, epsilon: f64, among: usize) -> f64 {
    let share = epsilon / among as f64;
    if j == 0 { 1.0 - epsilon + share } else { share }
}

/// Every offer this policy may put first, as (ranked index, probability): the best alone
/// without exploration, each of the best `among` with it; none when no slot is free. The
/// probabilities are rounded as the exposure's `propensity` is, so the two compare equal.
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn first_choices(policy: &Policy, eligible: usize, slots: usize) -> Vec<(usize, f64)> {
    if slots.min(eligible) == 0 {
        return Vec::new();
    }
    let Some(exploration) = policy.exploration else {
        return vec![(0, 1.0)];
    };
    let epsilon = f64::from(exploration.basis_points) / 10_000.0;
    let among = usize::from(exploration.among).clamp(1, eligible);
    (0..among)
        .map(|j| (j, round4(first_propensity(j, epsilon, among))))
        .collect()
}

/// The probability that ranked offer `i` is shown: it is drawn first, or it is among the best
/// `slots - 1` of the offers left after the draw.
fn shown_propensity(i: usize, slots: usize, epsilon: f64, among: usize) -> f64 {
    let stays = |j: usize| i == j || (if i < j { i } else { i - 1 }) + 1 < slots;
    round4(
        (0..among)
            .filter(|&j| stays(j))
            .map(|j| first_propensity(j, epsilon, among))
            .sum(),
    )
}

/// What to show, in order, and how likely this policy was to show it.
pub(super) struct Slate {
    /// Indexes into the ranked offers, in the order to show them.
    pub(super) order: Vec<usize>,
    /// Whether exploration put another offer than the best first.
    pub(super) explored: bool,
    /// The probability of this first offer.
    pub(super) first_propensity: f64,
    /// For each offer in `order`, the probability that it is shown at all.
    pub(super) propensities: Vec<f64>,
    /// The slots there were to fill (`order` is at most this long).
    #[cfg_attr(
        target_arch = "wasm32",
        expect(dead_code, reason = "read for the first-slot policy, native only")
    )]
    pub(super) slots: usize,
}

/// The order to show the ranked offers in, with propensities for off-policy evaluation.
///
/// Exploration draws the first slot among the best `among` eligible offers (not only those
/// that fit in the slots, so a one-offer checkout explores too); the other slots are filled
/// greedily from the rest. The best offer comes first with probability
/// `1 - epsilon + epsilon / among`, each other of the `among` with `epsilon / among`; an
/// offer's propensity sums those draws over the first picks that leave it in the slate.
pub(super) fn explore(draw: &Draw<'_>, policy: &Policy, eligible: usize, slots: usize) -> Slate {
    let slots = slots.min(eligible);
    let Some(exploration) = policy.exploration.filter(|_| slots > 0) else {
        return Slate {
            order: (0..slots).collect(),
            explored: false,
            first_propensity: 1.0,
            propensities: vec![1.0; slots],
            slots,
        };
    };
    let epsilon = f64::from(exploration.basis_points) / 10_000.0;
    let among = usize::from(exploration.among).clamp(1, eligible);
    let (key, count) = (draw.key, &draw.count);
    let explores = unit_draw(&[b"explore", key, count]) < epsilon;
    let pick = if explores {
        ((unit_draw(&[b"explore-pick", key, count]) * among as f64) as usize).min(among - 1)
    } else {
        0
    };
    let mut order = Vec::with_capacity(slots);
    order.push(pick);
    order.extend((0..slots).filter(|&i| i != pick).take(slots - 1));
    let propensities = order
        .iter()
        .map(|&i| shown_propensity(i, slots, epsilon, among))
        .collect();
    Slate {
        order,
        explored: explores && pick != 0,
        first_propensity: round4(first_propensity(pick, epsilon, among)),
        propensities,
        slots,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propensities_add_up_to_the_slate() {
        for (slots, epsilon, among) in [(1, 0.5, 3), (2, 0.5, 3), (3, 0.1, 5), (2, 1.0, 2)] {
            let total: f64 = (0..6)
                .map(|i| shown_propensity(i, slots, epsilon, among))
                .sum();
            assert!(
                (total - slots as f64).abs() < 1e-3,
                "{slots} {epsilon} {among}: {total}"
            );
        }
        // One slot, half the decisions explore among three: the best is shown 2/3 of the time.
        assert_eq!(shown_propensity(0, 1, 0.5, 3), 0.6667);
        assert_eq!(shown_propensity(1, 1, 0.5, 3), 0.1667);
        assert_eq!(shown_propensity(3, 1, 0.5, 3), 0.0);
        // Two slots: the second best is shown unless the third is drawn first.
        assert_eq!(shown_propensity(1, 2, 0.5, 3), 0.8333);
    }
}
