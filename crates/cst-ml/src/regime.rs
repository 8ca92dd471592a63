//! A simple causal regime label until `cst_core::regime` lands: the tercile of 64-candle volatility,
//! with tercile edges fitted on the training window only.

use serde::{Deserialize, Serialize};

/// Number of regimes.
pub const N_REGIMES: usize = 3;

/// Volatility terciles: 0 = calm, 1 = normal, 2 = turbulent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolTercile {
    /// Column of the volatility feature.
    pub column: usize,
    /// The 1/3 and 2/3 quantiles of that feature in the training window.
    pub edges: [f64; 2],
}

impl VolTercile {
    /// Fits the edges on the given rows.
    pub fn fit(x: &[&[f64]], column: usize) -> Self {
        let mut v: Vec<f64> = x.iter().map(|r| r[column]).collect();
        v.sort_by(f64::total_cmp);
        let q = |f: f64| v.get(((v.len() as f64 * f) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0.0);
        Self { column, edges: [q(1.0 / 3.0), q(2.0 / 3.0)] }
    }

    /// The regime of a feature row.
    pub fn of(&self, row: &[f64]) -> usize {
        let v = row[self.column];
        usize::from(v > self.edges[0]) + usize::from(v > self.edges[1])
    }
}
