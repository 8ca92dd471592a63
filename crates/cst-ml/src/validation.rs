//! Validation that cannot leak across time: walk-forward (rolling and anchored) and purged,
//! embargoed k-fold. Rows are identified by index and must be sorted by decision time; a row's
//! label covers `(time, end_time]`. Purging drops every training row whose label overlaps the test
//! block's labels; the embargo also drops training rows decided just after the test block, whose
//! features were computed from the test period's prices.

use serde::{Deserialize, Serialize};

/// One train/test split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// Training rows.
    pub train: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

/// Walk-forward flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WalkForward {
    /// Train on every block before the test block.
    Anchored,
    /// Train on the last `train_blocks` blocks before the test block.
    Rolling {
        /// Width of the training window in blocks.
        train_blocks: usize,
    },
}

/// Whether overlapping labels are removed from training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    /// Drop overlapping rows and apply the embargo (the only honest setting).
    On,
    /// Keep them: exists only to show how much a naive split overstates skill.
    Off,
}

/// Row timing: decision times and label end times, aligned by row index.
#[derive(Debug, Clone, Copy)]
pub struct Timing<'a> {
    /// Decision time of each row.
    pub times: &'a [i64],
    /// Label end time of each row.
    pub end_times: &'a [i64],
}

/// Splits `rows` (sorted by time) into `n` contiguous blocks whose edges never cut a timestamp.
pub fn blocks(times: &[i64], rows: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for b in 1..=n {
        let mut end = if b == n { rows.len() } else { rows.len() * b / n };
        while end > start && end < rows.len() && times[rows[end]] == times[rows[end - 1]] {
            end += 1;
        }
        out.push(rows[start..end.max(start)].to_vec());
        start = end.max(start);
    }
    out
}

/// Walk-forward folds: `n_blocks` blocks, each block after the first `min_train_blocks` tested once.
pub fn walk_forward(
    timing: Timing<'_>,
    rows: &[usize],
    n_blocks: usize,
    min_train_blocks: usize,
    mode: WalkForward,
    embargo_secs: i64,
) -> Vec<Fold> {
    let bl = blocks(timing.times, rows, n_blocks);
    (min_train_blocks.max(1)..bl.len())
        .filter(|&k| !bl[k].is_empty())
        .map(|k| {
            let first = match mode {
                WalkForward::Anchored => 0,
                WalkForward::Rolling { train_blocks } => k.saturating_sub(train_blocks.max(1)),
            };
            let candidates: Vec<usize> = bl[first..k].iter().flatten().copied().collect();
            let test = bl[k].clone();
            Fold { train: purge(timing, &candidates, &test, embargo_secs, Purge::On), test }
        })
        .collect()
}

/// Purged, embargoed k-fold: each contiguous block is the test set once.
pub fn purged_kfold(timing: Timing<'_>, rows: &[usize], k: usize, embargo_secs: i64, mode: Purge) -> Vec<Fold> {
    let bl = blocks(timing.times, rows, k);
    (0..bl.len())
        .filter(|&b| !bl[b].is_empty())
        .map(|b| {
            let candidates: Vec<usize> =
                bl.iter().enumerate().filter(|(o, _)| *o != b).flat_map(|(_, r)| r.iter().copied()).collect();
            Fold { train: purge(timing, &candidates, &bl[b], embargo_secs, mode), test: bl[b].clone() }
        })
        .collect()
}

/// The candidates whose labels do not overlap the test labels' span nor fall in the embargo.
pub fn purge(timing: Timing<'_>, candidates: &[usize], test: &[usize], embargo_secs: i64, mode: Purge) -> Vec<usize> {
    if mode == Purge::Off || test.is_empty() {
        return candidates.to_vec();
    }
    let test_start = test.iter().map(|&i| timing.times[i]).min().unwrap_or(i64::MIN);
    let test_end = test.iter().map(|&i| timing.end_times[i]).max().unwrap_or(i64::MAX);
    candidates
        .iter()
        .copied()
        .filter(|&j| {
            let (t, end) = (timing.times[j], timing.end_times[j]);
            let overlaps = t < test_end && end > test_start;
            let embargoed = t >= test_end && t < test_end + embargo_secs;
            let inside = t >= test_start && t <= test_end;
            !(overlaps || embargoed || inside)
        })
        .collect()
}
