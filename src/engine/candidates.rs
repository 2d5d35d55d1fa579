//! Where candidates come from: learned affinity from the shopper's cart, owned and viewed
//! items; the store's curated pairings; a same-category fallback; a popularity fallback.
//!
//! Only offers allowed on the decision's surface are candidates: an offer that may not appear
//! here is not a near miss, and letting such offers take candidate places would crowd out the
//! surface's own in a large catalog.
//!
//! Each source gives an affinity in `[0, 1]`; an offer found by several keeps the largest and
//! up to three sources, which become its reasons. Seeds weigh cart items 1.0, owned items 0.6
//! and viewed items 0.3. Only the best [`MAX_CANDIDATES`] go on to the policy, which checks
//! them in order of affinity until [`MAX_ELIGIBLE`] are eligible; with the limits on what is
//! read per seed, a decision's cost does not grow with the catalog.

use crate::engine::shopper::Shopper;

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
    /// Adds a source unless it is already held or three are.
    fn add(&mut self, source: Source) {
        if self.iter().all(|s| *s != source) {
            if let Some(slot) = self.0.iter_mut().find(|slot| slot.is_none()) {
                *slot = Some(source);
            }
        }
    }

    /// The sources, best first.
    pub fn iter(&self) -> impl Iterator<Item = &Source> {
        self.0.iter().flatten()
    }
}

/// The best candidates for this shopper, by affinity, ties by offer id.
pub fn generate(shopper: &Shopper<'_>) -> Vec<Candidate> {
    group(&sightings(shopper))
}

/// Every sighting of an offer from every source, in the order found: at most
/// [`MAX_SIGHTINGS`] plus what one seed and the popularity fallback add.
fn sightings(shopper: &Shopper<'_>) -> Vec<(u32, f64, Source)> {
    let snapshot = shopper.snapshot;
    let payload = snapshot.payload();
    let seeds = [&shopper.cart, &shopper.owned, &shopper.viewed]
        .into_iter()
        .zip(SEED_WEIGHTS)
        .flat_map(|(items, weight)| items.iter().map(move |&item| (item, weight)))
        .take(MAX_SEEDS);

    let on_surface = |offer: u32| {
        payload
            .offers
            .get(offer as usize)
            .is_some_and(|o| o.surfaces.contains(shopper.surface))
    };
    let mut found: Vec<(u32, f64, Source)> = Vec::with_capacity(256);
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
        if let Some(item) = payload.items.get(seed as usize) {
            for &offer in snapshot.category_offers(shopper.surface, item.category) {
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
/// best [`MAX_CANDIDATES`] of them.
fn group(found: &[(u32, f64, Source)]) -> Vec<Candidate> {
    // Group by offer, best affinity first; the position in `found` breaks ties so the
    // unstable sort gives the order a stable one would (sources in the order they were found).
    let mut order: Vec<(u32, f64, u32)> = found
        .iter()
        .enumerate()
        .map(|(i, f)| (f.0, f.1, i as u32))
        .collect();
    crate::sort::sort_by(&mut order, |a, b| {
        a.0.cmp(&b.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .is_lt()
    });
    // One group per offer: (offer, best affinity, its range in `order`).
    let mut groups: Vec<(u32, f64, core::ops::Range<usize>)> = Vec::new();
    for (at, &(offer, affinity, _)) in order.iter().enumerate() {
        match groups.last_mut() {
            Some(last) if last.0 == offer => last.2.end = at + 1,
            _ => groups.push((offer, affinity, at..at + 1)),
        }
    }
    // Best affinity first; ties by offer index (each offer has one group).
    crate::sort::keep_smallest_by(&mut groups, MAX_CANDIDATES, |a, b| {
        b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)).is_lt()
    });
    groups
        .into_iter()
        .map(|(offer, affinity, range)| {
            let mut sources = Sources::default();
            for &(_, _, i) in order.get(range).unwrap_or_default() {
                if let Some(&(_, _, source)) = found.get(i as usize) {
                    sources.add(source);
                }
            }
            Candidate {
                offer,
                affinity,
                sources,
            }
        })
        .collect()
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
        let mut payload = sample.payload().clone();
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

    #[test]
    fn an_item_sold_by_many_offers_is_read_a_bounded_number_of_times() {
        let (snapshot, seed, neighbour) = neighbour_sold_by_many();
        let payload = snapshot.payload();
        let surface = Surface::ALL
            .iter()
            .copied()
            .find(|&s| payload.offers[0].surfaces.contains(s))
            .expect("the offer has a surface");
        let mut context = Context::new(surface, 1_763_726_400_000, "many");
        context.cart = vec![payload.items[seed as usize].id.clone()];
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

    /// The loader's half of the same bound: a listing repeated in one offer would be read
    /// once per copy by every decision that reaches it.
    #[test]
    fn an_offer_listing_an_item_twice_is_refused() {
        for list in ["items", "requires", "excluded_by"] {
            let mut payload = sample().payload().clone();
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
