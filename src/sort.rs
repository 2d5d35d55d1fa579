//! One small sort for every list the engine orders.
//!
//! The standard library's sorts are fast but large: each call site monomorphises several
//! kilobytes of quicksort, driftsort and sorting networks, and the engine's dozen call sites
//! came to about 45 KB of the WebAssembly module, an eighth of it, which the size budget of
//! the npm package cannot carry. So this is hand-written, on purpose: a heapsort (no
//! allocation, O(n log n) in the worst case, a few hundred bytes per call site), which can also
//! stop after the best `k` elements, as the candidate list needs.
//!
//! It is not stable. Every comparator given to it must be a total order, with ties broken by
//! an index or an id, so that any correct sort gives the same order: that is what keeps
//! decisions identical on every host.

#![allow(
    clippy::indexing_slicing,
    reason = "every index is below the heap's length, which is at most the slice's"
)]

/// Sorts `v` ascending by `less`, a strict total order.
pub(crate) fn sort_by<T>(v: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    let len = v.len();
    heap_select(v, len, &mut less);
    v.reverse();
}

/// Sorts `v` ascending.
pub(crate) fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, |a, b| a < b);
}

/// Keeps the `k` smallest elements of `v` by `less` (a strict total order), sorted ascending.
/// Costs O(n + k log n), so a long list is not sorted to keep a few.
pub(crate) fn keep_smallest_by<T>(v: &mut Vec<T>, k: usize, mut less: impl FnMut(&T, &T) -> bool) {
    let k = k.min(v.len());
    heap_select(v, k, &mut less);
    v.drain(..v.len() - k);
    v.reverse();
}

/// The elements of a list in ascending order, taken one at a time: heaping the list is O(n)
/// and each take O(log n), so a caller that stops after a few does not pay to order the rest.
/// (A large store's decision finds a few hundred offers, keeps the best 64 and checks about a
/// quarter of them; ordering all 64 up front was a sixth of its time.)
pub(crate) struct Ascending<T: Ord> {
    /// A min-heap.
    heap: Vec<T>,
}

impl<T: Ord> Ascending<T> {
    pub(crate) fn new(mut heap: Vec<T>) -> Self {
        let len = heap.len();
        for root in (0..len / 2).rev() {
            sift_down(&mut heap, root, len, &mut |a: &T, b: &T| a < b);
        }
        Self { heap }
    }
}

impl<T: Ord> Iterator for Ascending<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let last = self.heap.len().checked_sub(1)?;
        self.heap.swap(0, last);
        let smallest = self.heap.pop();
        sift_down(&mut self.heap, 0, last, &mut |a: &T, b: &T| a < b);
        smallest
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.heap.len(), Some(self.heap.len()))
    }
}

impl<T: Ord> ExactSizeIterator for Ascending<T> {}

/// Moves the `k` smallest elements to the end of `v`, smallest last, by a min-heap.
fn heap_select<T>(v: &mut [T], k: usize, less: &mut impl FnMut(&T, &T) -> bool) {
    let len = v.len();
    for root in (0..len / 2).rev() {
        sift_down(v, root, len, less);
    }
    for end in (len.saturating_sub(k)..len).rev() {
        // The heap is v[..=end]; its smallest element goes to `end`.
        v.swap(0, end);
        sift_down(v, 0, end, less);
    }
}

/// Restores the min-heap order of `v[..end]` below `node`.
fn sift_down<T>(v: &mut [T], mut node: usize, end: usize, less: &mut impl FnMut(&T, &T) -> bool) {
    loop {
        let mut child = 2 * node + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(&v[child + 1], &v[child]) {
            child += 1;
        }
        if !less(&v[child], &v[node]) {
            return;
        }
        v.swap(node, child);
        node = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so the test needs no random source.
    fn numbers(seed: u64, len: usize, range: u64) -> Vec<u64> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (x >> 33) % range
            })
            .collect()
    }

    #[test]
    fn sorts_as_the_standard_library_does() {
        for len in [0, 1, 2, 3, 7, 64, 65, 500, 4_099] {
            for range in [2, 10, 1_000_000] {
                let mut ours = numbers(len as u64 + range, len, range);
                let mut std = ours.clone();
                sort(&mut ours);
                std.sort_unstable();
                assert_eq!(ours, std, "len {len}, range {range}");
            }
        }
    }

    #[test]
    fn keeps_the_smallest_k_in_order() {
        for (len, k) in [
            (0, 3),
            (5, 0),
            (5, 5),
            (5, 9),
            (100, 1),
            (1_000, 64),
            (64, 63),
        ] {
            let mut ours = numbers(k as u64, len, 50);
            let mut std = ours.clone();
            keep_smallest_by(&mut ours, k, |a, b| a < b);
            std.sort_unstable();
            std.truncate(k);
            assert_eq!(ours, std, "len {len}, k {k}");
        }
    }

    #[test]
    fn takes_in_ascending_order() {
        for len in [0, 1, 2, 3, 64, 65, 500] {
            let items = numbers(len as u64, len, 40);
            let mut std = items.clone();
            std.sort_unstable();
            let ascending = Ascending::new(items);
            assert_eq!(ascending.len(), len);
            assert_eq!(ascending.collect::<Vec<_>>(), std, "len {len}");
            // Stopping early takes the smallest few.
            let few: Vec<u64> = Ascending::new(numbers(len as u64, len, 40))
                .take(3)
                .collect();
            assert_eq!(few, std.get(..len.min(3)).unwrap_or_default(), "len {len}");
        }
    }

    #[test]
    fn sorts_by_a_comparator_with_ties_broken() {
        let mut pairs: Vec<(u64, usize)> = numbers(9, 300, 7).into_iter().zip(0..).collect();
        sort_by(&mut pairs, |a, b| (b.0, a.1) < (a.0, b.1));
        assert!(
            pairs
                .windows(2)
                .all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1))
        );
    }
}
