//! Bagging (bootstrap GBDTs whose spread measures ensemble disagreement) and the stacking
//! meta-learner: a logistic model on the base models' out-of-fold log-odds, with one weight per base
//! model and regime so the blend shifts with the volatility regime.

use crate::gbdt::{Gbdt, GbdtParams};
use crate::linear::Logistic;
use crate::metrics::logit;
use crate::regime::N_REGIMES;
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// Bootstrap-aggregated boosters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bagged {
    /// Members, each fitted on its own bootstrap sample.
    pub members: Vec<Gbdt>,
}

impl Bagged {
    /// Fits `n` members; member `k` uses seed `seed + k` for its bootstrap and its subsampling.
    pub fn fit(x: &[&[f64]], y: &[bool], weight: &[f64], p: &GbdtParams, n: usize, seed: u64) -> Self {
        let members = (0..n.max(1) as u64)
            .map(|k| {
                let mut rng = SplitMix64::new(seed.wrapping_add(k).wrapping_mul(0x9E37_79B9));
                // Bootstrap as integer multiplicities folded into the weights: same rows, no copies.
                let mut mult = vec![0.0; x.len()];
                if n > 1 {
                    (0..x.len()).for_each(|_| mult[rng.below(x.len())] += 1.0);
                } else {
                    mult.fill(1.0);
                }
                let w: Vec<f64> = weight.iter().zip(&mult).map(|(w, m)| w * m).collect();
                Gbdt::fit(x, y, &w, p, seed.wrapping_add(k))
            })
            .collect();
        Self { members }
    }

    /// Mean probability and the members' standard deviation (disagreement).
    pub fn predict(&self, row: &[f64]) -> (f64, f64) {
        let ps: Vec<f64> = self.members.iter().map(|m| m.predict(row)).collect();
        crate::features::mean_std(ps.into_iter())
    }

    /// Mean of the members' contributions.
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.members.first().map_or(0, |m| m.gain.len())];
        for m in &self.members {
            m.contributions(row).iter().zip(out.iter_mut()).for_each(|(c, o)| *o += c / self.members.len() as f64);
        }
        out
    }

    /// Mean total gain per feature.
    pub fn importance(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.members.first().map_or(0, |m| m.gain.len())];
        for m in &self.members {
            m.gain.iter().zip(out.iter_mut()).for_each(|(g, o)| *o += g / self.members.len() as f64);
        }
        out
    }
}

/// Meta-learner inputs for one row: each base log-odds in its regime's slot, plus regime dummies.
pub fn stack_features(base_p: &[f64], regime: usize) -> Vec<f64> {
    let m = base_p.len();
    let mut z = vec![0.0; m * N_REGIMES + N_REGIMES - 1];
    for (k, p) in base_p.iter().enumerate() {
        z[regime * m + k] = logit(*p);
    }
    if regime > 0 {
        z[m * N_REGIMES + regime - 1] = 1.0;
    }
    z
}

/// The stacking meta-learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stacker {
    /// The logistic blend over [`stack_features`].
    pub blend: Logistic,
}

impl Stacker {
    /// Fits on out-of-fold base probabilities only (never on in-sample predictions).
    pub fn fit(oof: &[Vec<f64>], regimes: &[usize], y: &[bool], weight: &[f64], l2: f64) -> Self {
        let z: Vec<Vec<f64>> = oof.iter().zip(regimes).map(|(p, &r)| stack_features(p, r)).collect();
        let rows: Vec<&[f64]> = z.iter().map(|r| r.as_slice()).collect();
        Self { blend: Logistic::fit(&rows, y, weight, l2) }
    }

    /// The blended probability.
    pub fn predict(&self, base_p: &[f64], regime: usize) -> f64 {
        self.blend.predict(&stack_features(base_p, regime))
    }

    /// The effective weight of each base model's log-odds in a regime (coefficient / scale).
    pub fn weights(&self, n_base: usize, regime: usize) -> Vec<f64> {
        (0..n_base).map(|k| self.blend.coef[regime * n_base + k] / self.blend.scale[regime * n_base + k]).collect()
    }
}
