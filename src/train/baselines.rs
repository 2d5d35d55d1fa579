//! The session baselines `tactful evaluate` ranks beside the learned model, in the same run
//! and on the same cases, as defined by the session-rec framework of Ludewig and Jannach
//! ("Evaluation of session-based recommendation algorithms", 2018; `algorithms/knn/iknn.py`
//! and `vsknn.py` of <https://github.com/rn5l/session-rec>):
//!
//! - **POP**: the items viewed most often in training.
//! - **S-POP**: the prefix's items by how often the prefix viewed them (ties: POP's order).
//! - **Item-KNN**: the last viewed item's 100 most similar items, where the similarity of `i`
//!   and `j` is the number of pairs of views of `i` and `j` in the same session divided by
//!   `sqrt(views(i) + 20) * sqrt(views(j) + 20)` (`lmbd = 20`, `alpha = 0.5`).
//! - **S-POP then Item-KNN**: S-POP's items, then Item-KNN's: re-show the session, then what
//!   follows its last item.
//! - **V-SKNN**: the prefix as a vector weighting its `p`-th of `n` views `p / n` (a repeated
//!   item keeps its latest weight); of the training sessions holding any prefix item, the 1000
//!   most recent are candidates; a candidate's similarity is the sum of the weights of the
//!   prefix items it holds over the prefix's distinct items; the 100 most similar each give
//!   every item they hold `similarity / step`, where `step` is 1 when the candidate holds the
//!   last viewed item, 2 when its latest shared item is the one before, and so on.
//!
//! Every list is filled up to `k` from POP, and ties break by POP's order, then by item index,
//! so a ranking is a function of the data alone. "Recent" is the training file's order.

use std::collections::HashMap;

use super::rank::most_first;

/// Item-KNN's neighbours per item (`n_sims`).
const ITEM_KNN_NEIGHBOURS: usize = 100;
/// Item-KNN's regularisation (`lmbd`).
const ITEM_KNN_LAMBDA: f64 = 20.0;
/// V-SKNN's candidate sessions (`sample_size`).
const VSKNN_SAMPLE: usize = 1000;
/// V-SKNN's neighbour sessions (`k`).
const VSKNN_NEIGHBOURS: usize = 100;

/// The baselines, fitted on training sessions (item indexes in view order).
#[derive(Debug)]
pub struct Baselines<'a> {
    sessions: &'a [Vec<u32>],
    /// Views per item.
    views: Vec<u32>,
    /// Each item's position in POP's order (0 is the most viewed).
    place: Vec<u32>,
    popular: Vec<u32>,
    /// Per item, the session of each of its views, in session order (a session repeats once
    /// per view).
    sessions_of: Vec<Vec<u32>>,
    item_knn: HashMap<u32, Vec<u32>>,
}

impl<'a> Baselines<'a> {
    /// Counts what the baselines need from `sessions` over `items` items.
    pub fn new(sessions: &'a [Vec<u32>], items: usize) -> Self {
        let mut views = vec![0u32; items];
        let mut sessions_of = vec![Vec::new(); items];
        for (s, session) in sessions.iter().enumerate() {
            for &item in session {
                if let Some(v) = views.get_mut(item as usize) {
                    *v += 1;
                }
                if let Some(list) = sessions_of.get_mut(item as usize) {
                    list.push(s as u32);
                }
            }
        }
        let popular = most_first(&views);
        let mut place = vec![0u32; items];
        for (p, &item) in popular.iter().enumerate() {
            if let Some(slot) = place.get_mut(item as usize) {
                *slot = p as u32;
            }
        }
        Self {
            sessions,
            views,
            place,
            popular,
            sessions_of,
            item_knn: HashMap::new(),
        }
    }

    fn place(&self, item: u32) -> u32 {
        self.place.get(item as usize).copied().unwrap_or(u32::MAX)
    }

    /// Scored items best first (ties by POP's order).
    fn best_first(&self, mut scored: Vec<(u32, f64)>) -> Vec<u32> {
        scored.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(self.place(a.0).cmp(&self.place(b.0)))
        });
        scored.into_iter().map(|s| s.0).collect()
    }

    /// `top` followed by `more` and then POP's order, without repeats, cut at `k`.
    fn fill(&self, mut top: Vec<u32>, more: &[u32], k: usize) -> Vec<u32> {
        top.truncate(k);
        for &item in more.iter().chain(&self.popular) {
            if top.len() >= k {
                break;
            }
            if !top.contains(&item) {
                top.push(item);
            }
        }
        top
    }

    /// POP's top `k`.
    pub fn pop(&self, k: usize) -> Vec<u32> {
        self.fill(Vec::new(), &[], k)
    }

    fn session_counts(prefix: &[u32]) -> Vec<(u32, f64)> {
        let mut counts: Vec<(u32, f64)> = Vec::new();
        for &item in prefix {
            match counts.iter_mut().find(|c| c.0 == item) {
                Some(c) => c.1 += 1.0,
                None => counts.push((item, 1.0)),
            }
        }
        counts
    }

    /// S-POP's top `k` for `prefix`.
    pub fn s_pop(&self, prefix: &[u32], k: usize) -> Vec<u32> {
        self.fill(self.best_first(Self::session_counts(prefix)), &[], k)
    }

    /// Item-KNN's similar items of `item`, most similar first (computed once per item).
    fn similar(&mut self, item: u32) -> &[u32] {
        if !self.item_knn.contains_key(&item) {
            let mut pairs: HashMap<u32, f64> = HashMap::new();
            for &s in self.sessions_of.get(item as usize).into_iter().flatten() {
                for &other in self.sessions.get(s as usize).into_iter().flatten() {
                    if other != item {
                        *pairs.entry(other).or_insert(0.0) += 1.0;
                    }
                }
            }
            let support = |i: u32| f64::from(self.views.get(i as usize).copied().unwrap_or(0));
            let own = (support(item) + ITEM_KNN_LAMBDA).sqrt();
            let scored: Vec<(u32, f64)> = pairs
                .into_iter()
                .map(|(other, n)| (other, n / (own * (support(other) + ITEM_KNN_LAMBDA).sqrt())))
                .collect();
            let mut list = self.best_first(scored);
            list.truncate(ITEM_KNN_NEIGHBOURS);
            self.item_knn.insert(item, list);
        }
        self.item_knn.get(&item).map_or(&[], Vec::as_slice)
    }

    /// Item-KNN's top `k` for `prefix` (from its last item).
    pub fn item_knn(&mut self, prefix: &[u32], k: usize) -> Vec<u32> {
        let similar = prefix.last().map(|&l| self.similar(l).to_vec());
        self.fill(Vec::new(), &similar.unwrap_or_default(), k)
    }

    /// S-POP's items, then Item-KNN's, top `k`.
    pub fn s_pop_item_knn(&mut self, prefix: &[u32], k: usize) -> Vec<u32> {
        let session = self.best_first(Self::session_counts(prefix));
        let similar = prefix.last().map(|&l| self.similar(l).to_vec());
        self.fill(session, &similar.unwrap_or_default(), k)
    }

    /// V-SKNN's top `k` for `prefix`.
    pub fn v_sknn(&self, prefix: &[u32], k: usize) -> Vec<u32> {
        let n = prefix.len() as f64;
        let mut weight: Vec<(u32, f64)> = Vec::new();
        for (p, &item) in prefix.iter().enumerate() {
            let w = (p + 1) as f64 / n;
            match weight.iter_mut().find(|e| e.0 == item) {
                Some(e) => e.1 = w,
                None => weight.push((item, w)),
            }
        }
        let distinct = weight.len().max(1) as f64;
        // Similarity of every session holding a prefix item; the most recent `VSKNN_SAMPLE`
        // of them are among each item's most recent `VSKNN_SAMPLE`.
        let mut similarity: HashMap<u32, f64> = HashMap::new();
        for &(item, w) in &weight {
            let list = self
                .sessions_of
                .get(item as usize)
                .map_or(&[][..], Vec::as_slice);
            let mut taken = 0;
            let mut last = u32::MAX;
            for &s in list.iter().rev() {
                if s == last {
                    continue;
                }
                last = s;
                taken += 1;
                if taken > VSKNN_SAMPLE {
                    break;
                }
                *similarity.entry(s).or_insert(0.0) += w / distinct;
            }
        }
        let mut candidates: Vec<(u32, f64)> = similarity.into_iter().collect();
        candidates.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
        candidates.truncate(VSKNN_SAMPLE);
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        candidates.truncate(VSKNN_NEIGHBOURS);
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for (s, sim) in candidates {
            let items = self.sessions.get(s as usize).map_or(&[][..], Vec::as_slice);
            let step = prefix
                .iter()
                .rev()
                .position(|i| items.contains(i))
                .map_or(1, |p| p + 1);
            let decay = 1.0 / step as f64;
            let mut seen: Vec<u32> = Vec::with_capacity(items.len());
            for &item in items {
                if !seen.contains(&item) {
                    seen.push(item);
                    *scores.entry(item).or_insert(0.0) += sim * decay;
                }
            }
        }
        self.fill(self.best_first(scores.into_iter().collect()), &[], k)
    }
}
