//! Ranking the whole catalogue from a model, for evaluation.
//!
//! The engine ranks offers, a few per decision; the published protocols rank items, twenty
//! at a time over the whole catalogue. [`Ranker`] reads the model the way the engine's
//! candidate step does (learned neighbours of the seed items, their weight bytes scaled to
//! `[0, 1]`; a seed with fewer learned neighbours than the engine's category fallback holds,
//! such as a new item, also gives a small score to its category's most popular items; the
//! popularity order fills the rest), but keeps every item. It reads
//! a loaded [`Snapshot`], so what is measured is what a device holds: pruned, quantised and
//! budgeted. It also reads a [`Trained`] model before it is written, which `tactful train`
//! uses to say what a size budget costs.
//!
//! A query's seeds carry weights: in a basket every other item weighs 1; in a session the
//! last view weighs 1 and each earlier one `recency` times the next (views further back say
//! less about what comes next). Their scores for one item add up ([`Combine::Sum`]), which is
//! where the engine differs: its candidate step keeps an offer's best source
//! ([`Combine::Best`]) and weighs every viewed item alike (0.3), so the session protocol also
//! ranks that way, as its own row, to say what the engine's order finds. With `repeat`, a seed may itself be ranked, with `repeat`
//! times its weight: shoppers go back to what they viewed, and the engine offers viewed items
//! too (only owned and cart items are never offered).

use std::collections::HashMap;

use serde::Serialize;

use super::Trained;
use crate::snapshot::{CATEGORY_FALLBACK, Snapshot};

/// The score a seed gives each of its category's most popular items, times its weight: the
/// engine's same-category affinity (`engine::candidates::CATEGORY_AFFINITY`).
pub const CATEGORY_AFFINITY: f64 = 0.12;

/// What a ranking reads from a model.
pub trait ItemModel {
    /// Items in the model.
    fn item_count(&self) -> usize;
    /// Popularity in `0..=255`.
    fn popularity(&self, item: u32) -> u8;
    /// The item's category, when the model knows categories.
    fn category(&self, item: u32) -> Option<u32>;
    /// Calls `visit(neighbour, weight)` for each learned neighbour.
    fn for_each_neighbour(&self, item: u32, visit: impl FnMut(u32, u8));
}

impl ItemModel for Snapshot {
    fn item_count(&self) -> usize {
        self.payload().items.len()
    }
    fn popularity(&self, item: u32) -> u8 {
        self.payload()
            .model
            .popularity
            .get(item as usize)
            .copied()
            .unwrap_or(0)
    }
    fn category(&self, item: u32) -> Option<u32> {
        self.payload().items.get(item as usize).map(|i| i.category)
    }
    fn for_each_neighbour(&self, item: u32, mut visit: impl FnMut(u32, u8)) {
        Snapshot::for_each_neighbour(self, item, |n, w, _| visit(n, w));
    }
}

impl ItemModel for Trained {
    fn item_count(&self) -> usize {
        self.items.len()
    }
    fn popularity(&self, item: u32) -> u8 {
        self.popularity.get(item as usize).copied().unwrap_or(0)
    }
    fn category(&self, _item: u32) -> Option<u32> {
        None
    }
    fn for_each_neighbour(&self, item: u32, mut visit: impl FnMut(u32, u8)) {
        for n in self.neighbours.get(item as usize).into_iter().flatten() {
            visit(n.item, n.weight);
        }
    }
}

/// Item indexes by `key` from the largest, ties by index.
pub fn most_first<T: Ord>(key: &[T]) -> Vec<u32> {
    let mut items: Vec<u32> = (0..key.len() as u32).collect();
    items.sort_by(|&a, &b| {
        key.get(b as usize)
            .cmp(&key.get(a as usize))
            .then(a.cmp(&b))
    });
    items
}

/// How the scores several seeds give one item combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// They add up: an item several seeds lead to ranks above one only the strongest seed
    /// leads to (session k-NN's scoring, and what the evaluation tunes).
    #[default]
    Sum,
    /// An item keeps its best seed's score: what the engine's candidate step does (an offer
    /// found by several sources keeps the largest affinity; `engine::candidates`).
    Best,
}

/// One ranking request.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// Seed items and their weights.
    pub seeds: &'a [(u32, f64)],
    /// Items never ranked (a basket's other items).
    pub exclude: &'a [u32],
    /// How much a seed counts as a candidate itself (0: never ranked).
    pub repeat: f64,
    /// How several seeds' scores for one item combine.
    pub combine: Combine,
}

/// Ranks items; holds scratch space sized to the catalogue, so reuse it across queries.
#[derive(Debug)]
pub struct Ranker {
    scores: Vec<f64>,
    touched: Vec<u32>,
    popular: Vec<u32>,
    by_category: HashMap<u32, Vec<u32>>,
    popularity: Vec<u8>,
}

impl Ranker {
    /// Prepares the fallbacks for `model`.
    pub fn new(model: &impl ItemModel) -> Self {
        let n = model.item_count();
        let popularity: Vec<u8> = (0..n as u32).map(|i| model.popularity(i)).collect();
        let popular = most_first(&popularity);
        let mut by_category: HashMap<u32, Vec<u32>> = HashMap::new();
        for &item in &popular {
            if let Some(c) = model.category(item) {
                let list = by_category.entry(c).or_default();
                if list.len() < CATEGORY_FALLBACK {
                    list.push(item);
                }
            }
        }
        Self {
            scores: vec![0.0; n],
            touched: Vec::new(),
            popular,
            by_category,
            popularity,
        }
    }

    /// The best `k` items for `query`, best first: by score, then popularity, then index;
    /// filled from the most popular when fewer are scored.
    pub fn top(&mut self, model: &impl ItemModel, query: &Query<'_>, k: usize) -> Vec<u32> {
        let (scores, touched) = (&mut self.scores, &mut self.touched);
        let mut add = |item: u32, value: f64| {
            if let Some(slot) = scores.get_mut(item as usize) {
                if *slot == 0.0 {
                    touched.push(item);
                }
                *slot = match query.combine {
                    Combine::Sum => *slot + value,
                    Combine::Best => slot.max(value),
                };
            }
        };
        for &(seed, weight) in query.seeds {
            if query.repeat > 0.0 {
                add(seed, query.repeat * weight);
            }
            let mut learned = 0;
            model.for_each_neighbour(seed, |n, w| {
                learned += 1;
                add(n, weight * f64::from(w) / 255.0);
            });
            // The engine reads every seed's category fallback; the tuned scoring only a short
            // row's, whose places would otherwise go to popularity.
            if learned >= CATEGORY_FALLBACK && query.combine == Combine::Sum {
                continue;
            }
            if let Some(list) = model.category(seed).and_then(|c| self.by_category.get(&c)) {
                for &item in list {
                    add(item, weight * CATEGORY_AFFINITY);
                }
            }
        }
        let excluded = |item: &u32| {
            query.exclude.contains(item)
                || (query.repeat <= 0.0 && query.seeds.iter().any(|s| s.0 == *item))
        };
        let mut ranked: Vec<(f64, u8, u32)> = self
            .touched
            .iter()
            .filter(|i| !excluded(i))
            .map(|&i| {
                (
                    self.scores.get(i as usize).copied().unwrap_or(0.0),
                    self.popularity.get(i as usize).copied().unwrap_or(0),
                    i,
                )
            })
            .collect();
        for &i in &self.touched {
            if let Some(slot) = self.scores.get_mut(i as usize) {
                *slot = 0.0;
            }
        }
        self.touched.clear();
        ranked.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let mut top: Vec<u32> = ranked.iter().take(k).map(|r| r.2).collect();
        for &item in &self.popular {
            if top.len() >= k {
                break;
            }
            if !excluded(&item) && !top.contains(&item) {
                top.push(item);
            }
        }
        top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items 0 and 1 are seeds; 2 is a neighbour of both (100 each), 3 of seed 0 only (180).
    struct TwoSeeds;

    impl ItemModel for TwoSeeds {
        fn item_count(&self) -> usize {
            5
        }
        fn popularity(&self, item: u32) -> u8 {
            // Item 4, never a neighbour, is the most popular: it only fills.
            if item == 4 { 255 } else { 1 }
        }
        fn category(&self, _item: u32) -> Option<u32> {
            None
        }
        fn for_each_neighbour(&self, item: u32, mut visit: impl FnMut(u32, u8)) {
            match item {
                0 => [(2, 100), (3, 180)]
                    .into_iter()
                    .for_each(|(n, w)| visit(n, w)),
                1 => visit(2, 100),
                _ => {}
            }
        }
    }

    #[test]
    fn seeds_add_up_or_an_item_keeps_its_best_seed() {
        let mut ranker = Ranker::new(&TwoSeeds);
        let seeds = [(0, 1.0), (1, 1.0)];
        let mut top = |combine| {
            let query = Query {
                seeds: &seeds,
                exclude: &[],
                repeat: 0.0,
                combine,
            };
            ranker.top(&TwoSeeds, &query, 3)
        };
        // Summed, the item both seeds lead to (200) beats the one only seed 0 leads to (180);
        // kept at its best, it does not (100). Popularity fills the last place either way.
        assert_eq!(top(Combine::Sum), [2, 3, 4]);
        assert_eq!(top(Combine::Best), [3, 2, 4]);
    }
}
