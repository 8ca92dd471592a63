//! One side of the book: price levels sorted by a key with the best level at the end.
//!
//! Both sides share one layout. Bids use the price as key and asks its bitwise complement, so
//! "ascending key" is "worse to better" on both sides and the best level is always last.
//! Updates cluster at the top of the book, so inserts and deletes there move few elements.
//! Truncating the worst levels only advances `start`; the dead slots in front are reused by
//! inserts near the bottom and compacted away once they outnumber the live levels.

/// One price level as scaled integers: the ordering key and the quantity mantissa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) key: u64,
    pub(crate) qty: u64,
}

/// Levels from the best whose changes [`Ladder::top_changes`] counts (Kraken's checksum depth).
pub(crate) const WATCHED_TOP: usize = 10;

/// A sorted run of price levels (`slots[start..]` are live, ascending by key).
#[derive(Debug, Clone, Default)]
pub(crate) struct Ladder {
    slots: Vec<Slot>,
    start: usize,
    top_changes: u64,
}

impl Ladder {
    /// Number of live levels.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.start
    }

    /// The live levels, worst first.
    #[inline]
    pub(crate) fn live(&self) -> &[Slot] {
        &self.slots[self.start..]
    }

    /// Drops every level.
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.start = 0;
        self.top_changes += 1;
    }

    /// A counter that moves whenever the best [`WATCHED_TOP`] levels may have changed.
    #[inline]
    pub(crate) fn top_changes(&self) -> u64 {
        self.top_changes
    }

    /// Counts a change at `slots[i]` (or an insert before it) when it lies within the watched top.
    #[inline]
    fn touch(&mut self, i: usize, existing: bool) {
        let from_best = self.slots.len() - i - usize::from(existing);
        if from_best < WATCHED_TOP {
            self.top_changes += 1;
        }
    }

    /// Replaces the content with `slots` (any order, zero quantities dropped, last write wins).
    pub(crate) fn load(&mut self, mut slots: Vec<Slot>) {
        slots.reverse();
        slots.sort_by_key(|s| s.key);
        slots.dedup_by_key(|s| s.key);
        slots.retain(|s| s.qty != 0);
        self.slots = slots;
        self.start = 0;
        self.top_changes += 1;
    }

    /// Where `key` is (Ok) or would go (Err), as an index into `slots`.
    #[inline]
    fn find(&self, key: u64) -> Result<usize, usize> {
        let live = &self.slots[self.start..];
        // Most updates touch the top levels, which sit at the end: probe there first.
        let n = live.len();
        let mut lo = 0;
        let mut step = 1;
        while step <= n {
            let idx = n - step;
            if live[idx].key <= key {
                lo = idx;
                break;
            }
            step *= 2;
        }
        let hi = (n + 1).saturating_sub(step / 2).min(n);
        let found = live[lo..hi].binary_search_by_key(&key, |s| s.key);
        found.map(|i| i + lo + self.start).map_err(|i| i + lo + self.start)
    }

    /// Sets the quantity at `key`; zero removes the level.
    #[inline]
    pub(crate) fn set(&mut self, key: u64, qty: u64) {
        match self.find(key) {
            Ok(i) if qty == 0 => {
                self.touch(i, true);
                self.remove_at(i);
            }
            Ok(i) => {
                self.touch(i, true);
                self.slots[i].qty = qty;
            }
            Err(_) if qty == 0 => {}
            Err(i) => {
                self.touch(i, false);
                self.insert_at(i, Slot { key, qty });
            }
        }
    }

    #[inline]
    fn insert_at(&mut self, i: usize, slot: Slot) {
        let below = i - self.start;
        let above = self.slots.len() - i;
        if self.start > 0 && below < above {
            // Shift the worse levels one step down into the dead slot in front.
            self.slots.copy_within(self.start..i, self.start - 1);
            self.start -= 1;
            self.slots[i - 1] = slot;
        } else {
            self.slots.insert(i, slot);
        }
    }

    #[inline]
    fn remove_at(&mut self, i: usize) {
        let below = i - self.start;
        let above = self.slots.len() - i - 1;
        if below < above {
            self.slots.copy_within(self.start..i, self.start + 1);
            self.start += 1;
        } else {
            self.slots.remove(i);
        }
    }

    /// Keeps only the best `depth` levels.
    #[inline]
    pub(crate) fn truncate(&mut self, depth: usize) {
        let len = self.len();
        if len > depth {
            self.start += len - depth;
            if depth < WATCHED_TOP {
                self.top_changes += 1;
            }
        }
        if self.start > 64 && self.start > self.len() {
            self.slots.drain(..self.start);
            self.start = 0;
        }
    }

    /// The best level.
    #[inline]
    pub(crate) fn best(&self) -> Option<Slot> {
        self.live().last().copied()
    }

    /// The live levels, best first.
    #[inline]
    pub(crate) fn best_first(&self) -> impl Iterator<Item = Slot> + '_ {
        self.live().iter().rev().copied()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys(l: &Ladder) -> Vec<u64> {
        l.live().iter().map(|s| s.key).collect()
    }

    #[test]
    fn inserts_updates_and_deletes_keep_keys_sorted() {
        let mut l = Ladder::default();
        for k in [5, 1, 9, 3, 7] {
            l.set(k, k * 10);
        }
        assert_eq!(keys(&l), [1, 3, 5, 7, 9]);
        l.set(5, 0);
        l.set(3, 33);
        l.set(4, 0);
        assert_eq!(keys(&l), [1, 3, 7, 9]);
        assert_eq!(l.live()[1].qty, 33);
        assert_eq!(l.best().map(|s| s.key), Some(9));
    }

    #[test]
    fn truncation_drops_the_worst_and_dead_slots_are_reused() {
        let mut l = Ladder::default();
        for k in 1..=10 {
            l.set(k, 1);
        }
        l.truncate(4);
        assert_eq!(keys(&l), [7, 8, 9, 10]);
        l.set(8, 0);
        assert_eq!(keys(&l), [7, 9, 10]);
        l.set(6, 1);
        l.set(11, 1);
        assert_eq!(keys(&l), [6, 7, 9, 10, 11]);
        l.truncate(4);
        assert_eq!(keys(&l), [7, 9, 10, 11]);
    }

    #[test]
    fn counts_changes_only_within_the_watched_top() {
        let mut l = Ladder::default();
        for k in 1..=30 {
            l.set(k, 1);
        }
        let v = l.top_changes();
        l.set(5, 2); // 26th from the best
        l.set(6, 0);
        l.set(100_000, 0);
        assert_eq!(l.top_changes(), v);
        l.set(21, 7); // 10th from the best
        assert_eq!(l.top_changes(), v + 1);
        l.set(25, 0);
        l.set(31, 1);
        assert_eq!(l.top_changes(), v + 3);
        l.set(20, 0); // 11th from the best
        l.set(19, 3);
        assert_eq!(l.top_changes(), v + 3);
    }

    #[test]
    fn compacts_after_many_truncations() {
        let mut l = Ladder::default();
        for k in 0..10_000 {
            l.set(k, 1);
            l.truncate(10);
        }
        assert_eq!(keys(&l), (9_990..10_000).collect::<Vec<_>>());
        assert!(l.slots.len() < 200, "dead slots must be reclaimed, len {}", l.slots.len());
    }

    #[test]
    fn finds_every_position_from_the_top_probe() {
        let mut l = Ladder::default();
        for k in (0..200).map(|k| k * 2) {
            l.set(k, 1);
        }
        for k in 0..400 {
            let pos = l.find(k);
            match pos {
                Ok(i) => assert_eq!(l.slots[i].key, k),
                Err(i) => {
                    assert!(i == l.slots.len() || l.slots[i].key > k);
                    assert!(i == l.start || l.slots[i - 1].key < k);
                }
            }
        }
    }
}
