//! The lookup tables built once when a snapshot loads, so that no decision builds one: offers
//! by memory key, the offers selling each item, the fallbacks per surface and category, each
//! offer's popularity, the longest window memory must keep, signals by name and items by id.

use super::wire::{ListRef, Loaded, NEVER, Tables};
use super::{CATEGORY_FALLBACK, POPULAR_FALLBACK};
use crate::hash::stable_hash;
use crate::vocab::{Surface, SurfaceSet};

/// Lookup tables built once at load.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    /// Each offer's memory key ([`offer_memory_key`](crate::hash::offer_memory_key) of its id).
    pub(super) offer_keys: Vec<u32>,
    /// `(memory key, offer)`, sorted by key.
    pub(super) offers_by_key: Vec<(u32, u32)>,
    /// For item `i`, the offers selling it are `item_offers[item_offer_starts[i]..item_offer_starts[i+1]]`.
    pub(super) item_offer_starts: Vec<u32>,
    pub(super) item_offers: Vec<u32>,
    /// For each (surface, category) that has offers, the most popular offers allowed on that
    /// surface (at most [`CATEGORY_FALLBACK`]), sorted by (surface, category): each a run of
    /// `category_table`, rather than a vector each (a large catalogue has thousands). A sorted
    /// list, not a table: its size follows the offers, not the number of categories a snapshot
    /// claims (and not a `BTreeMap`, whose code costs the wasm module about 5 KB).
    pub(super) category_offers: Vec<((usize, u32), ListRef<u32>)>,
    pub(super) category_table: Vec<u32>,
    /// For each surface, the most popular offers allowed on it (at most [`POPULAR_FALLBACK`]).
    pub(super) popular_offers: Vec<Vec<u32>>,
    /// The surfaces each offer may appear on, one byte per offer: candidate generation asks this
    /// of hundreds of offers per decision, and reading it from the offers themselves (hundreds
    /// of bytes apart) was a fifth of a large store's decision time in cache misses.
    pub(super) offer_surfaces: Vec<SurfaceSet>,
    /// Each offer's popularity: the mean of its items'.
    pub(super) offer_popularity: Vec<u8>,
    /// The longest window any cap or cooldown needs remembered, in minutes.
    pub(super) longest_window: u32,
    /// How long email impressions must be remembered: that, or the latest email window's end.
    pub(super) email_window: u32,
    /// How long the newest purchase must be remembered (quiet periods, email windows).
    pub(super) purchase_horizon: u32,
    /// Whether the model's popularity tells items apart (with no model every item has the
    /// same): only then may a reason say an offer is popular.
    pub(super) popularity_known: bool,
    /// [`crate::memory::store_tag`] of the store id, hashed once here rather than per decision.
    pub(super) memory_tag: u16,
    /// Signal indexes, sorted by name (then index).
    pub(super) signals_by_name: Vec<u32>,
    /// Items by id: a context's items are looked up here, where a binary search of 10,000 ids
    /// made about fourteen comparisons for each, 8% of a large store's decision.
    pub(super) items_by_id: IdTable,
}

/// Indexes by a hash of their ids ([`stable_hash`]), by open addressing, at most half full:
/// each slot holds an index plus one, 0 when free. The ids themselves stay in the snapshot,
/// read through the caller's `id_of`.
#[derive(Debug, Clone, Default)]
pub(super) struct IdTable {
    slots: Vec<u32>,
    /// Shifts a hash down to its home slot (the table's size is a power of two).
    shift: u32,
}

impl IdTable {
    /// The table of `ids`, which are distinct (validation checked they are sorted without
    /// duplicates), numbered in order.
    fn new<'a>(ids: impl ExactSizeIterator<Item = &'a [u8]>) -> Self {
        let size = (2 * ids.len()).next_power_of_two().max(2);
        let mut table = Self {
            slots: vec![0; size],
            shift: 64 - size.trailing_zeros(),
        };
        for (index, id) in ids.enumerate() {
            // A free slot is always found: the table is at most half full.
            for at in table.probes(id) {
                if let Some(slot) = table.slots.get_mut(at).filter(|slot| **slot == 0) {
                    *slot = index as u32 + 1;
                    break;
                }
            }
        }
        table
    }

    /// The slots `id` may be in, in the order it is looked for: every slot, from its home on.
    fn probes(&self, id: &[u8]) -> impl Iterator<Item = usize> + use<> {
        let (home, size) = (
            (stable_hash(&[id]) >> self.shift) as usize,
            self.slots.len(),
        );
        (home..home + size).map(move |at| at & (size - 1))
    }

    /// The index whose id is `id`, the ids read through `id_of`.
    pub(super) fn find<'a>(&self, id: &[u8], id_of: impl Fn(u32) -> &'a [u8]) -> Option<u32> {
        for at in self.probes(id) {
            match self.slots.get(at) {
                Some(&slot) if slot != 0 => {
                    if id_of(slot - 1) == id {
                        return Some(slot - 1);
                    }
                }
                _ => return None,
            }
        }
        None
    }
}

/// Offer indexes, most popular first, ties by index: a counting sort on the popularity byte
/// (a comparison sort of a large catalogue's offers was a sixth of its load time).
fn most_popular_first(popularity: &[u8]) -> Vec<u32> {
    let offers: Vec<u32> = (0..popularity.len() as u32).collect();
    counting_pass(&offers, |&o| {
        usize::from(u8::MAX - popularity.get(o as usize).copied().unwrap_or(0))
    })
}

/// `entries` ordered by `bucket` (below 256), keeping their order within a bucket.
fn counting_pass<T: Copy>(entries: &[T], bucket: impl Fn(&T) -> usize) -> Vec<T> {
    let mut starts = [0usize; 257];
    for e in entries {
        if let Some(count) = starts.get_mut(bucket(e) + 1) {
            *count += 1;
        }
    }
    let mut total = 0;
    for start in &mut starts {
        total += *start;
        *start = total;
    }
    // Every place is written once (the buckets partition the entries); the copy only sizes it.
    let mut out = entries.to_vec();
    for e in entries {
        if let Some(next) = starts.get_mut(bucket(e)) {
            if let Some(slot) = out.get_mut(*next) {
                *slot = *e;
            }
            *next += 1;
        }
    }
    out
}

/// `(surface, category, offer)` entries sorted by (surface, category), keeping their order
/// within each: a stable radix sort, a byte at a time (five counting passes, none for a byte
/// that never varies). Nothing is sized by the number of categories a snapshot claims, and
/// nothing is compared (a comparison sort of these was a sixth of a large catalogue's load).
fn by_surface_and_category(entries: Vec<(usize, u32, u32)>) -> Vec<(usize, u32, u32)> {
    let key = |&(s, c, _): &(usize, u32, u32)| ((s as u64) << 32) | u64::from(c);
    let mut sorted = entries;
    for shift in [0u32, 8, 16, 24, 32] {
        let byte = |e: &(usize, u32, u32)| ((key(e) >> shift) & 0xff) as usize;
        let first = sorted.first().map(byte);
        if sorted.iter().any(|e| Some(byte(e)) != first) {
            sorted = counting_pass(&sorted, byte);
        }
    }
    sorted
}

/// `(memory key, offer)` pairs, given in offer order, sorted by key and then offer: a stable
/// radix sort on the key's four bytes (a heapsort of them was 6% of a large catalogue's load).
/// A small store's few pairs are heapsorted: four counting passes cost more than that below
/// a few hundred.
pub(super) fn by_memory_key(mut pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    if pairs.len() < 256 {
        crate::sort::sort(&mut pairs);
        return pairs;
    }
    [0u32, 8, 16, 24].into_iter().fold(pairs, |sorted, shift| {
        counting_pass(&sorted, |&(key, _)| ((key >> shift) & 0xff) as usize)
    })
}

impl Index {
    /// `offers_by_key` comes from validation, which sorted it to find colliding keys.
    pub(super) fn build(
        p: &Loaded,
        tables: &Tables,
        body: &[u8],
        offer_keys: Vec<u32>,
        offers_by_key: Vec<(u32, u32)>,
    ) -> Self {
        // Counting sort of (item, offer) pairs into compressed rows.
        let mut item_offer_starts = vec![0u32; p.items.len() + 1];
        for offer in &p.offers {
            for &item in tables.numbers(offer.items) {
                if let Some(count) = item_offer_starts.get_mut(item as usize + 1) {
                    *count += 1;
                }
            }
        }
        for i in 1..item_offer_starts.len() {
            let previous = item_offer_starts.get(i - 1).copied().unwrap_or(0);
            if let Some(start) = item_offer_starts.get_mut(i) {
                *start += previous;
            }
        }
        let mut fill = item_offer_starts.clone();
        let mut item_offers = vec![0u32; item_offer_starts.last().copied().unwrap_or(0) as usize];
        for (o, offer) in p.offers.iter().enumerate() {
            for &item in tables.numbers(offer.items) {
                if let Some(next) = fill.get_mut(item as usize) {
                    if let Some(slot) = item_offers.get_mut(*next as usize) {
                        *slot = o as u32;
                    }
                    *next += 1;
                }
            }
        }

        let offer_surfaces = p.offers.iter().map(|o| o.surfaces).collect();
        let offer_popularity: Vec<u8> = p
            .offers
            .iter()
            .map(|offer| {
                let sum: u32 = (tables.numbers(offer.items).iter())
                    .map(|&i| u32::from(p.model.popularity.get(i as usize).copied().unwrap_or(0)))
                    .sum();
                (sum / offer.items.len().max(1) as u32) as u8
            })
            .collect();
        let by_popularity = most_popular_first(&offer_popularity);
        let mut popular_offers = vec![Vec::new(); Surface::ALL.len()];
        // (surface, category, offer) in popularity order, to be grouped by (surface, category).
        let mut by_category: Vec<(usize, u32, u32)> = Vec::new();
        for &o in &by_popularity {
            let Some(offer) = p.offers.get(o as usize) else {
                continue;
            };
            let category = (tables.numbers(offer.items).first())
                .and_then(|&i| p.items.get(i as usize))
                .map(|item| item.category);
            for surface in Surface::ALL.iter().filter(|&&s| offer.surfaces.contains(s)) {
                if let Some(list) = popular_offers
                    .get_mut(surface.index())
                    .filter(|l| l.len() < POPULAR_FALLBACK)
                {
                    list.push(o);
                }
                if let Some(c) = category {
                    by_category.push((surface.index(), c, o));
                }
            }
        }
        let mut category_offers: Vec<((usize, u32), ListRef<u32>)> = Vec::new();
        let mut category_table = Vec::new();
        for (surface, category, o) in by_surface_and_category(by_category) {
            let at = category_table.len();
            match category_offers.last_mut() {
                Some((key, run)) if *key == (surface, category) => {
                    if run.len() < CATEGORY_FALLBACK {
                        category_table.push(o);
                        run.end += 1;
                    }
                }
                _ => {
                    category_table.push(o);
                    category_offers.push(((surface, category), ListRef::new(at, at + 1)));
                }
            }
        }

        let finite = |m: u32| if m == NEVER { 0 } else { m };
        let offer_windows = p.offers.iter().map(|o| {
            let cap = o.cap.map_or(0, |c| c.window);
            let cooldown = (tables.numbers(o.cooldown).iter().copied())
                .map(finite)
                .max()
                .unwrap_or(0);
            cap.max(cooldown).max(finite(o.family_cooldown))
        });
        let day = 24 * 60;
        let longest_window = offer_windows
            .max()
            .unwrap_or(0)
            .max(day)
            .max(p.policy.session_length)
            .max(finite(p.policy.quiet_after_purchase));
        let latest_email_window = (p.email.as_ref())
            .and_then(|e| e.windows.iter().map(|w| w.to).max())
            .unwrap_or(0);
        let email_quiet = p.email.as_ref().map_or(0, |e| e.quiet_after_order);
        let purchase_horizon = finite(p.policy.quiet_after_purchase)
            .max(latest_email_window)
            .max(email_quiet);
        let email_window = longest_window.max(latest_email_window);

        let name =
            |i: &u32| (p.signals.get(*i as usize)).map_or(&[][..], |&s| tables.text_bytes(body, s));
        let mut signals_by_name: Vec<u32> = (0..p.signals.len() as u32).collect();
        crate::sort::sort_by(&mut signals_by_name, |a, b| (name(a), a) < (name(b), b));

        Index {
            offer_keys,
            offers_by_key,
            item_offer_starts,
            item_offers,
            category_offers,
            category_table,
            popular_offers,
            offer_surfaces,
            offer_popularity,
            longest_window,
            email_window,
            purchase_horizon,
            memory_tag: crate::memory::store_tag(&p.store_id),
            popularity_known: p
                .model
                .popularity
                .first()
                .is_some_and(|&first| p.model.popularity.iter().any(|&p| p != first)),
            signals_by_name,
            items_by_id: IdTable::new(p.items.iter().map(|item| tables.text_bytes(body, item.id))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_is_found_and_no_other() {
        for len in [0usize, 1, 2, 3, 100, 5_000] {
            let ids: Vec<String> = (0..len).map(|i| format!("item-{i:05}")).collect();
            let table = IdTable::new(ids.iter().map(|id| id.as_bytes()));
            let id_of = |i: u32| ids[i as usize].as_bytes();
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(table.find(id.as_bytes(), id_of), Some(i as u32), "{id}");
            }
            for other in ["", "item-", "item-99999", "ITEM-00001", "item-00001 "] {
                assert_eq!(
                    table.find(other.as_bytes(), id_of),
                    None,
                    "{other:?} of {len}"
                );
            }
        }
    }

    #[test]
    fn counting_sorts_order_as_comparison_sorts_do() {
        // A small linear congruential generator: varied categories (some past a byte, so
        // every radix pass runs), surfaces and popularities.
        let mut state = 12_345u64;
        let mut next = |below: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % below
        };
        let popularity: Vec<u8> = (0..5_000).map(|_| next(256) as u8).collect();
        let mut expected: Vec<u32> = (0..popularity.len() as u32).collect();
        expected.sort_by_key(|&o| (u8::MAX - popularity[o as usize], o));
        assert_eq!(most_popular_first(&popularity), expected);

        let entries: Vec<(usize, u32, u32)> = (0..20_000)
            .map(|o| {
                (
                    next(7) as usize,
                    [3, 300, 70_000, 1 << 30][next(4) as usize] + next(3) as u32,
                    o,
                )
            })
            .collect();
        let mut expected = entries.clone();
        // Stable: within a group the entries keep their (popularity) order.
        expected.sort_by_key(|&(s, c, _)| (s, c));
        assert_eq!(by_surface_and_category(entries), expected);

        let pairs: Vec<(u32, u32)> = (0..20_000)
            .map(|o| ((next(1 << 31) as u32) << (next(2) as u32), o))
            .chain([(7, 20_000), (7, 20_001), (u32::MAX, 20_002)])
            .collect();
        for len in [pairs.len(), 255] {
            let mut expected = pairs[..len].to_vec();
            expected.sort_unstable();
            assert_eq!(by_memory_key(pairs[..len].to_vec()), expected);
        }
    }
}
