//! A leakage detector: a feature that alone separates the label almost perfectly is far beyond what
//! any causal feature achieves on market data, so it is flagged as probable lookahead.

use crate::dataset::Dataset;
use crate::metrics::auc;

/// A feature flagged as probably leaking.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspect {
    /// Feature name.
    pub feature: String,
    /// Its single-feature AUC (either direction).
    pub auc: f64,
}

/// Features whose univariate AUC on the labelled rows of `target` is at least `limit` (e.g. 0.85).
pub fn scan(ds: &Dataset, target: usize, rows: &[usize], limit: f64) -> Vec<Suspect> {
    let t = &ds.targets[target];
    let y: Vec<bool> = rows.iter().map(|&i| t.y[i].unwrap_or(false)).collect();
    (0..ds.feature_names.len())
        .filter_map(|j| {
            let col: Vec<f64> = rows.iter().map(|&i| ds.x[i][j]).collect();
            let a = auc(&col, &y);
            let a = a.max(1.0 - a);
            (a >= limit).then(|| Suspect { feature: ds.feature_names[j].clone(), auc: a })
        })
        .collect()
}
