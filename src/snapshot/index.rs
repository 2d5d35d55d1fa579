//! The lookup tables built once when a snapshot loads, so that no decision builds one: offers
//! by memory key, the offers selling each item, the fallbacks per surface and category, each
//! offer's popularity, the longest window memory must keep, and signals by name.

use super::wire::{NEVER, Payload};
use super::{CATEGORY_FALLBACK, POPULAR_FALLBACK};
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
    /// surface (at most [`CATEGORY_FALLBACK`]), sorted by (surface, category). A sorted list,
    /// not a table: its size follows the offers, not the number of categories a snapshot
    /// claims (and not a `BTreeMap`, whose code costs the wasm module about 5 KB).
    pub(super) category_offers: Vec<((usize, u32), Vec<u32>)>,
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
    /// `(signal name, index)`, sorted by name.
    pub(super) signals_by_name: Vec<(String, u32)>,
}

impl Index {
    pub(super) fn build(p: &Payload, offer_keys: Vec<u32>) -> Self {
        let mut offers_by_key: Vec<(u32, u32)> = offer_keys
            .iter()
            .enumerate()
            .map(|(i, &key)| (key, i as u32))
            .collect();
        crate::sort::sort(&mut offers_by_key);

        // Counting sort of (item, offer) pairs into compressed rows.
        let mut item_offer_starts = vec![0u32; p.items.len() + 1];
        for offer in &p.offers {
            for &item in &offer.items {
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
            for &item in &offer.items {
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
                let sum: u32 = offer
                    .items
                    .iter()
                    .map(|&i| u32::from(p.model.popularity.get(i as usize).copied().unwrap_or(0)))
                    .sum();
                (sum / offer.items.len().max(1) as u32) as u8
            })
            .collect();
        // Most popular first; ties by offer index so the order is stable.
        let mut by_popularity: Vec<u32> = (0..p.offers.len() as u32).collect();
        let popularity = |o: u32| offer_popularity.get(o as usize).copied().unwrap_or(0);
        crate::sort::sort_by(&mut by_popularity, |&a, &b| {
            (core::cmp::Reverse(popularity(a)), a) < (core::cmp::Reverse(popularity(b)), b)
        });
        let mut popular_offers = vec![Vec::new(); Surface::ALL.len()];
        // (surface, category, popularity rank, offer), to be grouped by (surface, category).
        let mut by_category: Vec<(usize, u32, usize, u32)> = Vec::new();
        for (rank, &o) in by_popularity.iter().enumerate() {
            let Some(offer) = p.offers.get(o as usize) else {
                continue;
            };
            let category = offer
                .items
                .first()
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
                    by_category.push((surface.index(), c, rank, o));
                }
            }
        }
        crate::sort::sort(&mut by_category);
        let mut category_offers: Vec<((usize, u32), Vec<u32>)> = Vec::new();
        for (surface, category, _, o) in by_category {
            match category_offers.last_mut() {
                Some((key, list)) if *key == (surface, category) => {
                    if list.len() < CATEGORY_FALLBACK {
                        list.push(o);
                    }
                }
                _ => category_offers.push(((surface, category), vec![o])),
            }
        }

        let finite = |m: u32| if m == NEVER { 0 } else { m };
        let offer_windows = p.offers.iter().map(|o| {
            let cap = o.cap.map_or(0, |c| c.window);
            let cooldown = o.cooldown.iter().copied().map(finite).max().unwrap_or(0);
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

        let mut signals_by_name: Vec<(String, u32)> = p
            .signals
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        crate::sort::sort(&mut signals_by_name);

        Index {
            offer_keys,
            offers_by_key,
            item_offer_starts,
            item_offers,
            category_offers,
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
        }
    }
}
