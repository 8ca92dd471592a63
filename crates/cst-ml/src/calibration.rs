//! Probability calibration fitted on out-of-fold predictions: isotonic regression (pool adjacent
//! violators, monotone non-decreasing) and Platt scaling (a one-feature logistic fit).

use crate::metrics::{logit, sigmoid};
use serde::{Deserialize, Serialize};

/// A monotone step function from raw score to probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Isotonic {
    /// Upper raw-score edge of each block, ascending.
    pub edges: Vec<f64>,
    /// Calibrated probability of each block, non-decreasing.
    pub values: Vec<f64>,
}

impl Isotonic {
    /// Fits weighted isotonic regression of `y` on `score`, then merges any block holding fewer
    /// than 1% of the rows (at least 30) into its closer neighbour: plain PAV ends in tiny blocks
    /// at p = 0 or 1 that do not survive out of sample (a 50-row top block at 0.999 hit 36%).
    pub fn fit(score: &[f64], y: &[bool], weight: &[f64]) -> Self {
        let min_rows = (score.len() / 100).max(30);
        let mut iso = Self::fit_pav(score, y, weight);
        iso.merge_small_blocks(score, y, weight, min_rows);
        iso
    }

    fn fit_pav(score: &[f64], y: &[bool], weight: &[f64]) -> Self {
        let mut idx: Vec<usize> = (0..score.len()).collect();
        idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
        // Blocks: (sum of w*y, sum of w, max score).
        let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
        for i in idx {
            let w = weight[i].max(1e-12);
            blocks.push((w * f64::from(u8::from(y[i])), w, score[i]));
            while blocks.len() > 1 {
                let (a, b) = (blocks[blocks.len() - 2], blocks[blocks.len() - 1]);
                if a.0 / a.1 < b.0 / b.1 {
                    break;
                }
                blocks.pop();
                let last = blocks.len() - 1;
                blocks[last] = (a.0 + b.0, a.1 + b.1, b.2);
            }
        }
        Self { edges: blocks.iter().map(|b| b.2).collect(), values: blocks.iter().map(|b| b.0 / b.1).collect() }
    }

    fn merge_small_blocks(&mut self, score: &[f64], y: &[bool], weight: &[f64], min_rows: usize) {
        // Per-block sums, recomputed from the data so merging is exact.
        let mut acc = vec![(0.0, 0.0, 0usize); self.edges.len()];
        for ((&s, &y), &w) in score.iter().zip(y).zip(weight) {
            let k = self.edges.partition_point(|&e| e < s).min(acc.len().saturating_sub(1));
            let w = w.max(1e-12);
            acc[k] = (acc[k].0 + w * f64::from(u8::from(y)), acc[k].1 + w, acc[k].2 + 1);
        }
        let mut edges = self.edges.clone();
        while acc.len() > 1 {
            let Some(k) = (0..acc.len()).filter(|&k| acc[k].2 < min_rows).min_by_key(|&k| acc[k].2) else { break };
            let value = |j: usize| acc[j].0 / acc[j].1.max(1e-12);
            let into = if k == 0 {
                1
            } else if k + 1 == acc.len() || (value(k) - value(k - 1)).abs() <= (value(k + 1) - value(k)).abs() {
                k - 1
            } else {
                k + 1
            };
            let (lo, hi) = (k.min(into), k.max(into));
            acc[lo] = (acc[lo].0 + acc[hi].0, acc[lo].1 + acc[hi].1, acc[lo].2 + acc[hi].2);
            edges[lo] = edges[hi];
            acc.remove(hi);
            edges.remove(hi);
        }
        self.values = acc.iter().map(|a| a.0 / a.1.max(1e-12)).collect();
        self.edges = edges;
    }

    /// The calibrated probability, clipped to [0.001, 0.999] so log loss stays finite.
    pub fn predict(&self, score: f64) -> f64 {
        if self.values.is_empty() {
            return score.clamp(0.001, 0.999);
        }
        let k = self.edges.partition_point(|&e| e < score).min(self.values.len() - 1);
        self.values[k].clamp(0.001, 0.999)
    }
}

/// Platt scaling: p = sigmoid(a · logit(score) + b).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Slope on the score's log-odds.
    pub a: f64,
    /// Intercept.
    pub b: f64,
}

impl Platt {
    /// Fits by Newton's method on the weighted log loss (50 iterations at most).
    pub fn fit(score: &[f64], y: &[bool], weight: &[f64]) -> Self {
        let (mut a, mut b) = (1.0, 0.0);
        for _ in 0..50 {
            let (mut g, mut h) = ([0.0; 2], [0.0; 3]);
            for ((&s, &y), &w) in score.iter().zip(y).zip(weight) {
                let z = logit(s);
                let p = sigmoid(a * z + b);
                let r = w * (p - f64::from(u8::from(y)));
                let v = w * p * (1.0 - p) + 1e-12;
                g[0] += r * z;
                g[1] += r;
                h[0] += v * z * z;
                h[1] += v * z;
                h[2] += v;
            }
            let det = h[0] * h[2] - h[1] * h[1];
            if det.abs() < 1e-18 {
                break;
            }
            let (da, db) = ((h[2] * g[0] - h[1] * g[1]) / det, (h[0] * g[1] - h[1] * g[0]) / det);
            a -= da;
            b -= db;
            if da.abs() + db.abs() < 1e-10 {
                break;
            }
        }
        Self { a, b }
    }

    /// The calibrated probability.
    pub fn predict(&self, score: f64) -> f64 {
        sigmoid(self.a * logit(score) + self.b)
    }
}

/// Which calibrator a pipeline uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Isotonic regression.
    Isotonic,
    /// Platt scaling.
    Platt,
}

/// A fitted calibrator of either kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Calibrator {
    /// Isotonic regression.
    Isotonic(Isotonic),
    /// Platt scaling.
    Platt(Platt),
}

impl Calibrator {
    /// Fits the chosen method.
    pub fn fit(method: Method, score: &[f64], y: &[bool], weight: &[f64]) -> Self {
        match method {
            Method::Isotonic => Self::Isotonic(Isotonic::fit(score, y, weight)),
            Method::Platt => Self::Platt(Platt::fit(score, y, weight)),
        }
    }

    /// The calibrated probability.
    pub fn predict(&self, score: f64) -> f64 {
        match self {
            Self::Isotonic(c) => c.predict(score),
            Self::Platt(c) => c.predict(score),
        }
    }
}
