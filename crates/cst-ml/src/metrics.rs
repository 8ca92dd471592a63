//! Probability scores: Brier, log loss, AUC, expected calibration error and the reliability table.

use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const EPS: f64 = 1e-12;

/// Mean squared error of probabilities against 0/1 outcomes.
pub fn brier(p: &[f64], y: &[bool]) -> f64 {
    mean(p.iter().zip(y).map(|(p, &y)| (p - f64::from(u8::from(y))).powi(2)))
}

/// Mean negative log-likelihood (probabilities clipped to [1e-12, 1 - 1e-12]).
pub fn log_loss(p: &[f64], y: &[bool]) -> f64 {
    mean(p.iter().zip(y).map(|(p, &y)| {
        let p = p.clamp(EPS, 1.0 - EPS);
        if y { -p.ln() } else { -(1.0 - p).ln() }
    }))
}

/// Area under the ROC curve (Mann–Whitney with tied scores sharing ranks); 0.5 when one class is absent.
pub fn auc(p: &[f64], y: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += (i..=j).filter(|&k| y[idx[k]]).count() as f64 * avg_rank;
        i = j + 1;
    }
    let pos = y.iter().filter(|&&v| v).count() as f64;
    let neg = y.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// One bin of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the predicted-probability bin.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Rows in the bin.
    pub n: usize,
    /// Mean predicted probability.
    pub mean_p: f64,
    /// Observed frequency of the positive class.
    pub freq: f64,
}

/// Equal-width reliability table with `bins` bins (empty bins are kept with n = 0).
pub fn reliability(p: &[f64], y: &[bool], bins: usize) -> Vec<ReliabilityBin> {
    let bins = bins.max(1);
    let mut acc = vec![(0usize, 0.0, 0.0); bins];
    for (&p, &y) in p.iter().zip(y) {
        let b = ((p * bins as f64) as usize).min(bins - 1);
        acc[b].0 += 1;
        acc[b].1 += p;
        acc[b].2 += f64::from(u8::from(y));
    }
    acc.iter()
        .enumerate()
        .map(|(b, &(n, sp, sy))| ReliabilityBin {
            lo: b as f64 / bins as f64,
            hi: (b + 1) as f64 / bins as f64,
            n,
            mean_p: if n > 0 { sp / n as f64 } else { 0.0 },
            freq: if n > 0 { sy / n as f64 } else { 0.0 },
        })
        .collect()
}

/// Expected calibration error over `bins` equal-width bins: the row-weighted |mean p − frequency|.
pub fn ece(p: &[f64], y: &[bool], bins: usize) -> f64 {
    let n = p.len().max(1) as f64;
    reliability(p, y, bins).iter().map(|b| b.n as f64 / n * (b.mean_p - b.freq).abs()).sum()
}

/// A `level` (e.g. 0.90) interval of the ECE from a bootstrap that resamples whole blocks of rows
/// (`block[i]` names row i's block, e.g. its UTC day) rather than single rows: rows of one day
/// share overlapping label windows and co-moving pairs, so resampling rows alone would pretend
/// there is far more independent evidence than there is. `None` with fewer than 10 blocks. A
/// resample's ECE carries its own sampling noise on top of the miscalibration, so the interval
/// leans high; it says how far the point value could move with another month like this one.
/// Deterministic for a given `seed`.
pub fn ece_block_interval(
    p: &[f64],
    y: &[bool],
    block: &[i64],
    bins: usize,
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    let bins = bins.max(1);
    // Per block, per bin: (rows, sum of p, wins).
    let mut sums: BTreeMap<i64, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for ((&p, &y), &b) in p.iter().zip(y).zip(block) {
        let k = ((p * bins as f64) as usize).min(bins - 1);
        let cell = &mut sums.entry(b).or_insert_with(|| vec![(0.0, 0.0, 0.0); bins])[k];
        *cell = (cell.0 + 1.0, cell.1 + p, cell.2 + f64::from(u8::from(y)));
    }
    let blocks: Vec<Vec<(f64, f64, f64)>> = sums.into_values().collect();
    if blocks.len() < 10 || resamples == 0 {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let mut eces: Vec<f64> = (0..resamples)
        .map(|_| {
            let mut acc = vec![(0.0, 0.0, 0.0); bins];
            for _ in 0..blocks.len() {
                for (a, c) in acc.iter_mut().zip(&blocks[rng.below(blocks.len())]) {
                    *a = (a.0 + c.0, a.1 + c.1, a.2 + c.2);
                }
            }
            let n: f64 = acc.iter().map(|a| a.0).sum();
            acc.iter().filter(|a| a.0 > 0.0).map(|a| (a.1 - a.2).abs() / n.max(1.0)).sum()
        })
        .collect();
    eces.sort_by(f64::total_cmp);
    let at = |q: f64| eces[((q * (resamples - 1) as f64).round() as usize).min(resamples - 1)];
    Some((at((1.0 - level) / 2.0), at(1.0 - (1.0 - level) / 2.0)))
}

/// Weighted mean; 0 for an empty input.
pub fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { s / n as f64 }
}

/// Logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Log-odds of a probability clipped away from 0 and 1.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}
