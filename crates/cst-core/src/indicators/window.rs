//! A fixed-length window of the latest values with running sums for our own indicators.
//!
//! Running sums drift by rounding as values enter and leave; every `len` pushes the sums are
//! recomputed from the window itself, which bounds the drift to one window's worth of rounding
//! and keeps the amortised cost O(1) per value.

/// The latest `len` values (oldest first when read through [`Window::iter`]) with their sum.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    values: Vec<f64>,
    next: usize,
    filled: bool,
    sum: f64,
    pushes_since_exact: usize,
}

impl Window {
    /// An empty window of `len` values; `len` is at least 1.
    pub(crate) fn new(len: usize) -> Self {
        Self { values: vec![0.0; len.max(1)], next: 0, filled: false, sum: 0.0, pushes_since_exact: 0 }
    }

    /// Adds a value, dropping the oldest once full; returns the dropped value.
    pub(crate) fn push(&mut self, v: f64) -> Option<f64> {
        let len = self.values.len();
        let dropped = self.filled.then(|| self.values[self.next]);
        self.values[self.next] = v;
        self.next = (self.next + 1) % len;
        if self.next == 0 {
            self.filled = true;
        }
        self.sum += v - dropped.unwrap_or(0.0);
        self.pushes_since_exact += 1;
        if self.pushes_since_exact >= len {
            self.sum = self.iter().sum();
            self.pushes_since_exact = 0;
        }
        dropped
    }

    /// True once `len` values have been pushed.
    pub(crate) fn is_full(&self) -> bool {
        self.filled
    }

    /// Sum of the values in the window.
    pub(crate) fn sum(&self) -> f64 {
        self.sum
    }

    /// Number of values the window holds when full.
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// The values in storage order (all of them once full; order matters only to rounding).
    pub(crate) fn raw(&self) -> &[f64] {
        if self.filled { &self.values } else { &self.values[..self.next] }
    }

    /// The values, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let (newer, older) = self.values.split_at(self.next);
        let older = if self.filled { older } else { &older[..0] };
        older.iter().chain(newer.iter()).copied()
    }
}
