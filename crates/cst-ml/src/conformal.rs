//! Conformal prediction. Split conformal for the direction class (score = 1 − p of the true class)
//! gives prediction sets covering the truth with probability ≥ level on exchangeable data; the
//! Mondrian variant keeps one quantile per regime so coverage holds within each regime; adaptive
//! conformal inference (ACI) moves the miscoverage target online to hold coverage under drift.
//! Intervals for the return use the absolute residual of a point forecast.

use crate::regime::N_REGIMES;
use serde::{Deserialize, Serialize};

/// The conformal quantile: the ⌈(n+1)·level⌉-th smallest score (∞ when n is too small).
pub fn quantile(scores: &[f64], level: f64) -> f64 {
    let mut s: Vec<f64> = scores.iter().copied().filter(|v| v.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let k = ((s.len() + 1) as f64 * level).ceil() as usize;
    if k == 0 {
        return f64::NEG_INFINITY;
    }
    s.get(k - 1).copied().unwrap_or(f64::INFINITY)
}

/// A binary prediction set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassSet {
    /// Class 0 (the trade loses) is in the set.
    pub lose: bool,
    /// Class 1 (the trade wins) is in the set.
    pub win: bool,
}

impl ClassSet {
    /// The set of classes whose score is within `q` for probability-of-win `p`.
    pub fn from_p(p: f64, q: f64) -> Self {
        Self { lose: p <= q, win: 1.0 - p <= q }
    }

    /// True when the set contains exactly one class.
    pub fn is_single(&self) -> bool {
        self.lose != self.win
    }

    /// True when the set contains the outcome.
    pub fn covers(&self, win: bool) -> bool {
        if win { self.win } else { self.lose }
    }
}

/// Split conformal classifier, Mondrian over regimes when `per_regime` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConformalClassifier {
    /// Nominal coverage (e.g. 0.90).
    pub level: f64,
    /// The pooled quantile.
    pub q: f64,
    /// One quantile per regime (Mondrian); `None` when pooled.
    pub q_regime: Option<[f64; N_REGIMES]>,
}

impl ConformalClassifier {
    /// Calibrates on held-out calibrated probabilities, outcomes and regimes.
    pub fn fit(p: &[f64], y: &[bool], regimes: &[usize], level: f64, per_regime: bool) -> Self {
        let scores: Vec<f64> = p.iter().zip(y).map(|(p, &y)| if y { 1.0 - p } else { *p }).collect();
        let q_regime = per_regime.then(|| {
            let mut q = [0.0; N_REGIMES];
            for (r, slot) in q.iter_mut().enumerate() {
                let s: Vec<f64> = scores.iter().zip(regimes).filter(|(_, g)| **g == r).map(|(s, _)| *s).collect();
                *slot = quantile(&s, level);
            }
            q
        });
        Self { level, q: quantile(&scores, level), q_regime }
    }

    /// The quantile that applies in a regime.
    pub fn q_for(&self, regime: usize) -> f64 {
        self.q_regime.map_or(self.q, |q| q[regime.min(N_REGIMES - 1)])
    }

    /// The prediction set of a probability in a regime.
    pub fn set(&self, p: f64, regime: usize) -> ClassSet {
        ClassSet::from_p(p, self.q_for(regime))
    }
}

/// Adaptive conformal inference: after each outcome, α ← α + γ·(α* − miss).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adaptive {
    /// Target miscoverage α* = 1 − level.
    pub target_alpha: f64,
    /// Step size γ.
    pub gamma: f64,
    /// Current α.
    pub alpha: f64,
    /// Calibration scores the quantile is taken from.
    pub scores: Vec<f64>,
}

impl Adaptive {
    /// Starts at the nominal level from calibration scores.
    pub fn new(scores: Vec<f64>, level: f64, gamma: f64) -> Self {
        Self { target_alpha: 1.0 - level, gamma, alpha: 1.0 - level, scores }
    }

    /// The current quantile.
    pub fn q(&self) -> f64 {
        quantile(&self.scores, (1.0 - self.alpha).clamp(0.0, 1.0))
    }

    /// Records whether the last set missed the outcome and adapts α.
    pub fn update(&mut self, missed: bool) {
        self.alpha += self.gamma * (self.target_alpha - f64::from(u8::from(missed)));
    }
}

/// Split conformal interval for a real-valued target around a point forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConformalInterval {
    /// Nominal coverage.
    pub level: f64,
    /// Half-width: the conformal quantile of |truth − forecast|.
    pub half_width: f64,
}

impl ConformalInterval {
    /// Calibrates on forecasts and truths.
    pub fn fit(forecast: &[f64], truth: &[f64], level: f64) -> Self {
        let r: Vec<f64> = forecast.iter().zip(truth).map(|(f, t)| (t - f).abs()).collect();
        Self { level, half_width: quantile(&r, level) }
    }

    /// The interval around a forecast.
    pub fn interval(&self, forecast: f64) -> (f64, f64) {
        (forecast - self.half_width, forecast + self.half_width)
    }
}
