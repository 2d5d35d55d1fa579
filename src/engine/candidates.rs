//! Where candidates come from: learned affinity from the shopper's cart, owned and viewed
//! items; the store's curated pairings; a same-category fallback; a popularity fallback.
//!
//! Only offers allowed on the decision's surface are candidates: an offer that may not appear
//! here is not a near miss, and letting such offers take candidate places would crowd out the
//! surface's own in a large catalog.
//!
//! Each source gives an affinity in `[0, 1]`; an offer found by several keeps the largest and
//! up to three sources, which become its reasons. Seeds weigh cart items 1.0, owned items 0.6
//! and viewed items 0.3. A category's fallback offers are read once, for the first seed in
//! it. Only the best [`MAX_CANDIDATES`] go on to the policy, which checks
//! them in order of affinity until [`MAX_ELIGIBLE`] are eligible; with the limits on what is
//! read per seed, a decision's cost does not grow with the catalog.

use crate::engine::shopper::Shopper;
use crate::sort::Ascending;
use core::iter::Take;

/// Most candidates generated and checked per decision.
pub const MAX_CANDIDATES: usize = 64;
/// The policy stops checking candidates once this many are eligible: a surface shows at most
/// 8, and every further check writes a left-out entry that costs more than it tells.
pub const MAX_ELIGIBLE: usize = 16;
/// Most seed items read per decision (cart first, then owned, then viewed).
pub const MAX_SEEDS: usize = 32;
/// Most offers taken per learned neighbour, and most curated pairings read per seed.
pub const MAX_PER_SOURCE: usize = 16;
/// Most offers selling one learned neighbour that are read to find those [`MAX_PER_SOURCE`]
/// allowed on the surface: an item sold by thousands of offers costs no more than one sold by
/// sixty-four. Offers are read in id order, so past this many the later ids are not reached
/// through that item (they still are through pairings, categories and popularity).
pub const MAX_READ_PER_ITEM: usize = 4 * MAX_PER_SOURCE;
/// Candidate sightings after which no further seed is read. With the two limits above this bounds a
/// decision's work whatever a snapshot holds: an item sold by a hundred thousand offers, or
/// listed with a hundred thousand pairings, costs no more than one sold by sixteen.
pub const MAX_SIGHTINGS: usize = 4_096;
/// Affinity an offer gets for sharing a category with a seed, times the seed weight.
pub const CATEGORY_AFFINITY: f64 = 0.12;
/// Affinity the most popular offer gets from the popularity fallback.
pub const POPULAR_AFFINITY: f64 = 0.08;
const SEED_WEIGHTS: [f64; 3] = [1.0, 0.6, 0.3];

/// How a candidate was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// `item`, a learned neighbour of a seed item, with the attach rate when the model has one.
    Learned {
        seed: u32,
        item: u32,
        attach: Option<u8>,
    },
    /// A curated pairing (index into the snapshot's pairings).
    Curated { seed: u32, pairing: u32 },
    /// Same category as a seed item.
    Category { seed: u32 },
    /// Among the most popular offers.
    Popular,
}

/// An offer worth checking.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The offer's index.
    pub offer: u32,
    /// The best affinity found, in `[0, 1]`.
    pub affinity: f64,
    /// How it was found, best first.
    pub sources: Sources,
}

/// Up to three distinct sources, best first, held inline: a decision generates up to 128
/// candidates and a heap allocation for each was a fifth of a large store's decision time.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sources([Option<Source>; 3]);

impl Sources {
    /// The sources, best first.
    pub fn iter(&self) -> impl Iterator<Item = &Source> {
        self.0.iter().flatten()
    }
}

/// The best candidates for this shopper, by affinity, ties by offer id, taken in that order
/// as they are checked, and how many more offers were found past [`MAX_CANDIDATES`] (never
/// checked).
pub fn generate(shopper: &Shopper<'_>) -> (Candidates, u32) {
    group(sightings(shopper))
}

/// The best [`MAX_CANDIDATES`] offers found, best first, ordered only as far as they are
/// taken: a decision stops once [`MAX_ELIGIBLE`] are eligible, on a large store after about a
/// quarter of them.
pub struct Candidates {
    /// Every sighting, which the groups point into.
    found: Vec<Sighting>,
    groups: Vec<Group>,
    /// Rank keys ([`rank_key`]) of the groups not taken yet, at most as many as may still be.
    order: Take<Ascending<u128>>,
}

impl Iterator for Candidates {
    type Item = Candidate;

    fn next(&mut self) -> Option<Candidate> {
        let key = self.order.next()?;
        (self.groups.get(key as u32 as usize)).map(|group| group.candidate(&self.found))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.order.size_hint()
    }
}

impl ExactSizeIterator for Candidates {}

/// Every sighting of an offer from every source, in the order found: at most
/// [`MAX_SIGHTINGS`] plus what one seed and the popularity fallback add.
fn sightings(shopper: &Shopper<'_>) -> Vec<Sighting> {
    let snapshot = shopper.snapshot;
    let payload = snapshot.payload();
    let seeds = [&shopper.cart, &shopper.owned, &shopper.viewed]
        .into_iter()
        .zip(SEED_WEIGHTS)
        .flat_map(|(items, weight)| items.iter().map(move |&item| (item, weight)))
        .take(MAX_SEEDS);

    let on_surface = |offer: u32| snapshot.offer_allowed_on(offer, shopper.surface);
    // Room for as many sightings as the store has offers, between 32 and 256: a small store's
    // decisions find fewer than 32 (the sample store's at most 35, most under 25), and asking
    // for the 8 KB of 256 each time made its decisions 6% slower natively (glibc's malloc
    // merges its freed small blocks before a request that large); a large store's find
    // hundreds. The module's allocator under Node shows no difference either way.
    let room = payload.offers.len().clamp(32, 256);
    let mut found: Vec<Sighting> = Vec::with_capacity(room);
    let mut categories_read: Vec<u32> = Vec::new();
    for (seed, weight) in seeds {
        // Checked per seed: one seed adds at most 256 neighbours x MAX_PER_SOURCE sightings.
        if found.len() >= MAX_SIGHTINGS {
            break;
        }
        snapshot.for_each_neighbour(seed, |neighbour, strength, attach| {
            let affinity = weight * f64::from(strength) / 255.0;
            for &offer in snapshot
                .offers_selling(neighbour)
                .iter()
                .take(MAX_READ_PER_ITEM)
                .filter(|&&o| on_surface(o))
                .take(MAX_PER_SOURCE)
            {
                found.push((
                    offer,
                    affinity,
                    Source::Learned {
                        seed,
                        item: neighbour,
                        attach,
                    },
                ));
            }
        });
        for pairing in snapshot.pairing_range(seed).take(MAX_PER_SOURCE) {
            if let Some(p) = payload
                .pairings
                .get(pairing)
                .filter(|p| on_surface(p.offer))
            {
                found.push((
                    p.offer,
                    weight * f64::from(p.strength),
                    Source::Curated {
                        seed,
                        pairing: pairing as u32,
                    },
                ));
            }
        }
        // A category is read once, for its first seed, which weighs the most: a second seed
        // in it would only repeat the same offers at a lower affinity with the same reason.
        let category = payload.items.get(seed as usize).map(|item| item.category);
        if let Some(category) = category.filter(|c| !categories_read.contains(c)) {
            categories_read.push(category);
            for &offer in snapshot.category_offers(shopper.surface, category) {
                found.push((offer, weight * CATEGORY_AFFINITY, Source::Category { seed }));
            }
        }
    }
    for &offer in snapshot.popular_offers(shopper.surface) {
        found.push((
            offer,
            POPULAR_AFFINITY * f64::from(snapshot.offer_popularity(offer)) / 255.0,
            Source::Popular,
        ));
    }
    found
}

/// One candidate per offer, with its best affinity and up to three sources, best first; the
/// best [`MAX_CANDIDATES`] of them, and how many offers that cut.
///
/// A source ranks by its affinity, then by when it was found; a source found twice counts at
/// its best. Sightings are grouped through a small hash table rather than by sorting them:
/// a large store's decision sees a few thousand sightings, and sorting them was half its time.
fn group(found: Vec<Sighting>) -> (Candidates, u32) {
    // At most one group per sighting: sized once rather than grown a doubling at a time.
    let mut groups: Vec<Group> = Vec::with_capacity(found.len());
    let mut table = GroupTable::for_sightings(found.len());
    for (sighting, &(offer, ..)) in found.iter().enumerate() {
        let at = table.find_or_insert(offer, groups.len());
        if at == groups.len() {
            groups.push(Group::new(offer));
        }
        if let Some(group) = groups.get_mut(at) {
            group.add(sighting as u32, &found);
        }
    }
    // Best affinity first; ties by offer index (each offer has one group). One integer per
    // group is ordered rather than the groups, and compares in one step.
    let keys = (groups.iter().enumerate())
        .map(|(at, g)| rank_key(g.affinity(&found), g.offer, at))
        .collect();
    let cut = groups.len().saturating_sub(MAX_CANDIDATES) as u32;
    let order = Ascending::new(keys).take(MAX_CANDIDATES);
    (
        Candidates {
            found,
            groups,
            order,
        },
        cut,
    )
}

/// A key whose integer order is: greater affinity first (by `f64::total_cmp`), then smaller
/// offer index. The group's position rides in the low 32 bits.
fn rank_key(affinity: f64, offer: u32, at: usize) -> u128 {
    // `total_cmp`'s own mapping of a float to an integer of the same order, made unsigned.
    let bits = affinity.to_bits();
    let ordered = (bits ^ ((((bits as i64) >> 63) as u64) >> 1)) ^ (1 << 63);
    (u128::from(!ordered) << 64) | (u128::from(offer) << 32) | (at as u32 as u128)
}

/// `tail.rotate_left(1)`, by swaps: std's rotation is a general algorithm, a call for three
/// places, which at the WebAssembly build's `"z"` was 4% of a large store's decision.
fn shift_left<T>(tail: &mut [T]) {
    for i in 1..tail.len() {
        tail.swap(i - 1, i);
    }
}

/// `tail.rotate_right(1)`, by swaps (see [`shift_left`]).
fn shift_right<T>(tail: &mut [T]) {
    for i in (1..tail.len()).rev() {
        tail.swap(i - 1, i);
    }
}

/// An offer seen from a source, at an affinity.
type Sighting = (u32, f64, Source);

/// The sightings of one offer so far: its best three distinct sources, as positions in the
/// decision's sightings. Sixteen bytes, where the sightings themselves held here took eighty:
/// a small store's groups then fit the allocator's caches of small blocks (see `sightings`).
#[derive(Clone, Copy)]
struct Group {
    offer: u32,
    /// Best first ([`Group::NONE`] where there is none yet); a later sighting ranks above a
    /// held one only with a greater affinity. The first is the best sighting of all, so its
    /// affinity is the offer's.
    best: [u32; 3],
}

impl Group {
    /// No sighting.
    const NONE: u32 = u32::MAX;

    fn new(offer: u32) -> Self {
        Self {
            offer,
            best: [Self::NONE; 3],
        }
    }

    /// The sightings at `best`, in `found`.
    fn held(best: [u32; 3], found: &[Sighting]) -> [Option<(f64, Source)>; 3] {
        let one =
            |at: u32| (found.get(at as usize)).map(|&(_, affinity, source)| (affinity, source));
        // Not `best.map(one)`: the array's `map` was not inlined, and cost a sixth of a decision.
        let [first, second, third] = best;
        [one(first), one(second), one(third)]
    }

    /// The best affinity found (every group holds at least one sighting).
    fn affinity(&self, found: &[Sighting]) -> f64 {
        let best = self.best.first().and_then(|&at| found.get(at as usize));
        best.map_or(0.0, |&(_, affinity, _)| affinity)
    }

    /// Takes sighting `at` of `found` into account.
    fn add(&mut self, at: u32, found: &[Sighting]) {
        let Some(&(_, affinity, source)) = found.get(at as usize) else {
            return;
        };
        let beats =
            |held: &Option<(f64, Source)>| held.is_none_or(|(a, _)| affinity.total_cmp(&a).is_gt());
        let mut held = Self::held(self.best, found);
        if let Some(same) = held
            .iter()
            .position(|h| h.is_some_and(|(_, s)| s == source))
        {
            if !held.get(same).is_some_and(beats) {
                return;
            }
            // Found again at a better affinity: it moves up from where it was.
            if let Some(tail) = self.best.get_mut(same..) {
                shift_left(tail);
            }
            if let Some(last) = self.best.last_mut() {
                *last = Self::NONE;
            }
            held = Self::held(self.best, found);
        }
        if let Some(place) = held.iter().position(beats) {
            if let Some(tail) = self.best.get_mut(place..) {
                shift_right(tail);
                if let Some(first) = tail.first_mut() {
                    *first = at;
                }
            }
        }
    }

    fn candidate(&self, found: &[Sighting]) -> Candidate {
        Candidate {
            offer: self.offer,
            affinity: self.affinity(found),
            sources: {
                let [first, second, third] = Self::held(self.best, found);
                let source = |held: Option<(f64, Source)>| held.map(|(_, source)| source);
                Sources([source(first), source(second), source(third)])
            },
        }
    }
}

/// Open addressing from an offer index to its group's position, sized for a decision's
/// sightings (at most half full). Hand-written because the standard `HashMap` brings a random
/// seed and about 10 KB of WebAssembly for what is a dozen lines here.
struct GroupTable {
    /// The offer and its group's position plus one, per slot (0 marks a free slot).
    slots: Vec<(u32, u32)>,
    shift: u32,
}

impl GroupTable {
    fn for_sightings(sightings: usize) -> Self {
        let size = (2 * sightings).next_power_of_two().max(16);
        Self {
            slots: vec![(0, 0); size],
            shift: 32 - size.trailing_zeros(),
        }
    }

    /// The position of `offer`'s group, or `next` (recorded as its position) when it has none.
    fn find_or_insert(&mut self, offer: u32, next: usize) -> usize {
        let mask = self.slots.len() - 1;
        // Fibonacci hashing: offer indexes are dense, so spread them before masking.
        let mut at = (offer.wrapping_mul(0x9E37_79B9) >> self.shift) as usize;
        loop {
            match self.slots.get_mut(at & mask) {
                Some(slot) if slot.1 == 0 => {
                    *slot = (offer, next as u32 + 1);
                    return next;
                }
                Some(slot) if slot.0 == offer => return slot.1 as usize - 1,
                // Taken by another offer, or (never: the index is masked) out of range.
                _ => at = (at & mask) + 1,
            }
        }
    }
}

/// The grouping checked against its definition, written the obvious way with the standard
/// sort: order all sightings by (offer, affinity descending, when found), take each offer's
/// first three distinct sources, then the best offers by affinity, ties by offer.
#[cfg(test)]
mod grouping_tests {
    #![allow(clippy::indexing_slicing, reason = "test indexes are in range")]
    use super::*;

    fn by_definition(found: &[(u32, f64, Source)]) -> (Vec<Candidate>, u32) {
        let mut order: Vec<usize> = (0..found.len()).collect();
        order.sort_by(|&a, &b| {
            (found[a].0.cmp(&found[b].0))
                .then(found[b].1.total_cmp(&found[a].1))
                .then(a.cmp(&b))
        });
        let mut out: Vec<Candidate> = Vec::new();
        for at in order {
            let (offer, affinity, source) = found[at];
            if out.last().is_none_or(|c| c.offer != offer) {
                out.push(Candidate {
                    offer,
                    affinity,
                    sources: Sources::default(),
                });
            }
            if let Some(last) = out.last_mut() {
                let held = &mut last.sources.0;
                if !held.contains(&Some(source)) {
                    if let Some(free) = held.iter_mut().find(|s| s.is_none()) {
                        *free = Some(source);
                    }
                }
            }
        }
        out.sort_by(|a, b| {
            b.affinity
                .total_cmp(&a.affinity)
                .then(a.offer.cmp(&b.offer))
        });
        let cut = out.len().saturating_sub(MAX_CANDIDATES) as u32;
        out.truncate(MAX_CANDIDATES);
        (out, cut)
    }

    #[test]
    fn grouping_agrees_with_its_definition() {
        let mut x: u64 = 0x5EED;
        let mut next = |range: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 33) % range
        };
        // Few offers, affinities and sources, so that ties and repeats are common; and more
        // offers than MAX_CANDIDATES, so that the cut is tested too.
        for (sightings, offers) in [(0, 1), (1, 1), (40, 5), (300, 40), (2_000, 400)] {
            let found: Vec<(u32, f64, Source)> = (0..sightings)
                .map(|_| {
                    let seed = next(3) as u32;
                    let source = match next(4) {
                        0 => Source::Learned {
                            seed,
                            item: next(3) as u32,
                            attach: None,
                        },
                        1 => Source::Curated {
                            seed,
                            pairing: next(2) as u32,
                        },
                        2 => Source::Category { seed },
                        _ => Source::Popular,
                    };
                    (next(offers) as u32, next(5) as f64 / 8.0, source)
                })
                .collect();
            let (candidates, cut) = group(found.clone());
            assert_eq!(
                (candidates.collect(), cut),
                by_definition(&found),
                "{sightings} sightings"
            );
        }
    }
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use super::*;
    use crate::snapshot::{MAX_NEIGHBOURS, Snapshot, encode};
    use crate::{Context, Surface};

    fn sample() -> Snapshot {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/sample-store");
        let bytes = crate::compile::compile_paths(
            &dir.join("store.toml"),
            Some(&dir.join("model.toml")),
            &crate::compile::Options::default(),
        )
        .expect("the sample store compiles")
        .bytes;
        Snapshot::from_bytes(&bytes).expect("the sample snapshot loads")
    }

    /// A seed item of the sample store, its first learned neighbour, and the sample store with
    /// every offer replaced by 20,000 copies of its first, all selling that neighbour: what a
    /// crafted or careless snapshot can hold.
    fn neighbour_sold_by_many() -> (Snapshot, u32, u32) {
        let sample = sample();
        let (seed, neighbour) = (0..sample.payload().items.len() as u32)
            .find_map(|seed| {
                let mut first = None;
                sample.for_each_neighbour(seed, |n, _, _| {
                    first = first.or(Some(n));
                });
                first.map(|n| (seed, n))
            })
            .expect("the sample model has neighbours");
        let mut payload = sample.owned_payload();
        let template = payload.offers[0].clone();
        payload.offers = (0..20_000)
            .map(|i| crate::snapshot::wire::Offer {
                id: format!("offer-{i:06}"),
                items: vec![neighbour],
                requires: Vec::new(),
                excluded_by: Vec::new(),
                ..template.clone()
            })
            .collect();
        payload
            .rules
            .iter_mut()
            .for_each(|r| r.exclude_offers.clear());
        payload.pairings.clear();
        let snapshot = Snapshot::from_bytes(&encode(&payload).expect("encodes"))
            .expect("the crafted snapshot loads");
        (snapshot, seed, neighbour)
    }

    /// A context on a surface of the first offer, with `item` in the cart.
    fn with_in_cart(snapshot: &Snapshot, item: u32) -> Context {
        let payload = snapshot.payload();
        let surface = Surface::ALL
            .iter()
            .copied()
            .find(|&s| payload.offers[0].surfaces.contains(s))
            .expect("the offer has a surface");
        let mut context = Context::new(surface, 1_763_726_400_000, "many");
        context.cart = vec![snapshot.text(payload.items[item as usize].id).to_owned()];
        context
    }

    #[test]
    fn an_item_sold_by_many_offers_is_read_a_bounded_number_of_times() {
        let (snapshot, seed, neighbour) = neighbour_sold_by_many();
        let context = with_in_cart(&snapshot, seed);
        let shopper = Shopper::resolve(&snapshot, &context, &mut Vec::new()).expect("resolves");
        let found = sightings(&shopper);
        let through_neighbour = found
            .iter()
            .filter(|f| matches!(f.2, Source::Learned { item, .. } if item == neighbour))
            .count();
        assert_eq!(through_neighbour, MAX_PER_SOURCE);
        let bound = MAX_SIGHTINGS + MAX_NEIGHBOURS * MAX_PER_SOURCE + 3 * MAX_PER_SOURCE;
        assert!(found.len() <= bound, "{} sightings", found.len());
    }

    /// A decision says how many offers it found but never checked, so an empty slot or a
    /// short list of left-out offers can be explained.
    #[test]
    fn offers_found_but_never_checked_are_counted() {
        // 2,000 offers over the sample store's items in turn: the fallbacks of the seed's
        // category and of popularity, and the learned neighbours, find more than 64.
        let mut payload = sample().owned_payload();
        let template = payload.offers[0].clone();
        let items = payload.items.len() as u32;
        payload.offers = (0..2_000u32)
            .map(|i| crate::snapshot::wire::Offer {
                id: format!("offer-{i:05}"),
                items: vec![i % items],
                requires: Vec::new(),
                excluded_by: Vec::new(),
                when: None,
                unless: None,
                ..template.clone()
            })
            .collect();
        (payload.rules.iter_mut()).for_each(|r| r.exclude_offers.clear());
        payload.pairings.clear();
        let snapshot = Snapshot::from_bytes(&encode(&payload).expect("encodes")).expect("loads");
        let context = with_in_cart(&snapshot, 0);
        let shopper = Shopper::resolve(&snapshot, &context, &mut Vec::new()).expect("resolves");
        let (candidates, cut) = generate(&shopper);
        assert_eq!(candidates.count(), MAX_CANDIDATES);
        assert!(cut > 0, "more offers were found than the candidate limit");
        let decision = crate::decide(&snapshot, &context, &crate::Memory::default())
            .expect("decides")
            .decision;
        let counted = decision.not_considered.expect("counted");
        assert_eq!(counted.past_candidate_limit, cut);
        // Every candidate checked is shown or left out; the rest were never checked.
        let checked =
            decision.left_out.len() + decision.offers.len() + decision.would_have_shown.len();
        assert!(counted.after_enough_eligible > 0);
        assert_eq!(
            counted.after_enough_eligible as usize + checked,
            MAX_CANDIDATES
        );
        // A small store's decision checks every offer it finds, and says nothing.
        let sample = sample();
        let mut context = Context::new(Surface::Checkout, 1_763_726_400_000, "few");
        context.cart = vec!["course-foundations".into()];
        let decision = crate::decide(&sample, &context, &crate::Memory::default())
            .expect("decides")
            .decision;
        assert_eq!(decision.not_considered, None);
    }

    /// The loader's half of the same bound: a listing repeated in one offer would be read
    /// once per copy by every decision that reaches it.
    #[test]
    fn an_offer_listing_an_item_twice_is_refused() {
        for list in ["items", "requires", "excluded_by"] {
            let mut payload = sample().owned_payload();
            let offer = &mut payload.offers[0];
            let item = offer.items[0];
            let listed = match list {
                "items" => &mut offer.items,
                "requires" => &mut offer.requires,
                _ => &mut offer.excluded_by,
            };
            listed.retain(|&i| i != item);
            listed.extend([item, item]);
            let at = listed.len() - 1;
            let bytes = encode(&payload).expect("encodes");
            let error = Snapshot::from_bytes(&bytes).expect_err("refused");
            assert_eq!(
                error.to_string(),
                format!("snapshot value `offers[0].{list}[{at}]` is invalid: lists an item twice"),
            );
        }
    }
}
