//! Drift statistics against the training window: population stability index (PSI) and the
//! Kolmogorov–Smirnov distance per feature, and rolling Brier decay of resolved predictions. Each
//! breach becomes a named alarm; the gate refuses while any is active, and a retrain can key on them.
//!
//! What an alarm means: the recent window of a feature (the days before the decision) is further
//! from the training distribution than *any* window of the same length inside the training period
//! was (the null distribution, [`fit_null`]), and at least the classic floor (PSI 0.25, KS 0.2).
//! A fixed 0.25 alone fired on most days: a week of a persistent level feature such as `vol_64`
//! covers only a few training deciles, so its PSI against the whole training window is often above
//! 1 inside the training period itself, where by definition nothing has drifted.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Alarm thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriftLimits {
    /// PSI floor: below it a feature never alarms (0.25 is the usual "major shift"); above it,
    /// it alarms only past its training null ([`Reference::null_psi`]).
    pub psi: f64,
    /// KS floor, used the same way.
    pub ks: f64,
    /// Alarm when rolling Brier exceeds the reference by this factor.
    pub brier_ratio: f64,
    /// Window (resolved predictions) for the rolling Brier.
    pub brier_window: usize,
}

impl Default for DriftLimits {
    fn default() -> Self {
        Self { psi: 0.25, ks: 0.2, brier_ratio: 1.25, brier_window: 500 }
    }
}

/// A feature's training distribution, kept as quantiles plus decile bins with their real shares
/// (features with point masses, like `close_loc_1` at exactly 0 or 1, have tied deciles, so the
/// shares are counted rather than assumed to be 10% each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Feature name.
    pub name: String,
    /// 101 quantiles (0%, 1%, ..., 100%) of the training values.
    pub quantiles: Vec<f64>,
    /// Distinct decile edges; bin k holds values in `(edges[k-1], edges[k]]`.
    pub edges: Vec<f64>,
    /// Training share of each of the `edges.len() + 1` bins.
    pub shares: Vec<f64>,
    /// The largest PSI of any drift window inside the training period against this reference:
    /// the null distribution's top. `None` for references fitted without it (older model files).
    #[serde(default)]
    pub null_psi: Option<f64>,
    /// The largest KS distance of any drift window inside the training period.
    #[serde(default)]
    pub null_ks: Option<f64>,
}

impl Reference {
    /// Summarises training values.
    pub fn fit(name: &str, values: &[f64]) -> Self {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let quantiles: Vec<f64> = (0..=100)
            .filter_map(|k| v.get(((v.len().saturating_sub(1)) as f64 * k as f64 / 100.0) as usize).copied())
            .collect();
        let mut edges: Vec<f64> = (1..10).filter_map(|k| quantiles.get(k * 10).copied()).collect();
        edges.dedup();
        let shares = bin_shares(&edges, values);
        Self { name: name.to_string(), quantiles, edges, shares, null_psi: None, null_ks: None }
    }

    /// True when a window's PSI is a drift alarm: it reaches the configured floor and exceeds the
    /// largest PSI any window inside the training period had (a window as far from the reference
    /// as some training week was is no evidence that the inputs left the training distribution).
    pub fn psi_alarm(&self, psi: f64, limits: DriftLimits) -> bool {
        psi >= limits.psi && self.null_psi.is_none_or(|n| psi > n)
    }

    /// The same rule for the KS distance.
    pub fn ks_alarm(&self, ks: f64, limits: DriftLimits) -> bool {
        ks >= limits.ks && self.null_ks.is_none_or(|n| ks > n)
    }

    fn cdf(&self, x: f64) -> f64 {
        let n = self.quantiles.len();
        if n == 0 {
            return 0.0;
        }
        self.quantiles.partition_point(|&q| q <= x) as f64 / n as f64
    }
}

fn bin_shares(edges: &[f64], values: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 1];
    values.iter().for_each(|&x| counts[edges.partition_point(|&e| e < x)] += 1);
    counts.iter().map(|&c| c as f64 / values.len().max(1) as f64).collect()
}

/// PSI of `current` against the reference's decile bins and their training shares.
pub fn psi(reference: &Reference, current: &[f64]) -> f64 {
    if reference.shares.is_empty() || current.is_empty() {
        return 0.0;
    }
    let actual = bin_shares(&reference.edges, current);
    actual
        .iter()
        .zip(&reference.shares)
        .map(|(&a, &e)| {
            let (a, e) = (a.max(1e-4), e.max(1e-4));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Kolmogorov–Smirnov distance between `current` and the reference distribution.
pub fn ks(reference: &Reference, current: &[f64]) -> f64 {
    let mut v = current.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    v.iter()
        .enumerate()
        .map(|(i, &x)| {
            let r = reference.cdf(x);
            (r - i as f64 / n).abs().max((r - (i + 1) as f64 / n).abs())
        })
        .fold(0.0, f64::max)
}

/// Records in each reference the largest PSI and KS over `windows` (windows of training rows, each
/// a list of rows of all features) — the null distribution alarms are judged against.
pub fn fit_null(refs: &mut [Reference], windows: &[Vec<&[f64]>]) {
    for (j, r) in refs.iter_mut().enumerate() {
        let (mut max_psi, mut max_ks) = (0.0f64, 0.0f64);
        for w in windows {
            let col: Vec<f64> = w.iter().map(|row| row[j]).collect();
            max_psi = max_psi.max(psi(r, &col));
            max_ks = max_ks.max(ks(r, &col));
        }
        if !windows.is_empty() {
            (r.null_psi, r.null_ks) = (Some(max_psi), Some(max_ks));
        }
    }
}

/// Alarms for a window of recent feature rows ([`Reference::psi_alarm`], [`Reference::ks_alarm`]).
pub fn feature_alarms(refs: &[Reference], rows: &[&[f64]], limits: DriftLimits) -> Vec<String> {
    let mut out = Vec::new();
    for (j, r) in refs.iter().enumerate() {
        let col: Vec<f64> = rows.iter().map(|row| row[j]).collect();
        let (p, k) = (psi(r, &col), ks(r, &col));
        if r.psi_alarm(p, limits) {
            out.push(format!("psi:{}={p:.3}", r.name));
        }
        if r.ks_alarm(k, limits) {
            out.push(format!("ks:{}={k:.3}", r.name));
        }
    }
    out
}

/// Rolling Brier score of resolved predictions against the out-of-sample reference. Like the
/// feature alarms it has a null: the rolling Brier of a window moves with that window's base rate
/// (a volatile week doubles it at every horizon), so the alarm needs the ratio to exceed both the
/// configured factor and the largest ratio any window of the model's own held-out block showed.
#[derive(Debug, Clone, PartialEq)]
pub struct BrierDecay {
    reference: f64,
    limits: DriftLimits,
    null_ratio: Option<f64>,
    window: VecDeque<f64>,
}

impl BrierDecay {
    /// Starts with the model's out-of-sample Brier as reference.
    pub fn new(reference: f64, limits: DriftLimits) -> Self {
        Self { reference, limits, null_ratio: None, window: VecDeque::new() }
    }

    /// Starts with a reference and the held-out block's null ratio (`None`: the factor alone).
    pub fn with_null(reference: f64, null_ratio: Option<f64>, limits: DriftLimits) -> Self {
        Self { null_ratio, ..Self::new(reference, limits) }
    }

    /// The largest rolling Brier over windows of `limits.brier_window` consecutive held-out rows,
    /// divided by the reference; `None` when the block is shorter than one window.
    pub fn null_ratio(p: &[f64], y: &[bool], reference: f64, limits: DriftLimits) -> Option<f64> {
        let n = limits.brier_window.max(1);
        if p.len() < n || reference <= 0.0 {
            return None;
        }
        let sq: Vec<f64> = p.iter().zip(y).map(|(p, &y)| (p - f64::from(u8::from(y))).powi(2)).collect();
        let mut sum: f64 = sq[..n].iter().sum();
        let mut max = sum;
        for k in n..sq.len() {
            sum += sq[k] - sq[k - n];
            max = max.max(sum);
        }
        Some(max / n as f64 / reference)
    }

    /// Adds one resolved prediction.
    pub fn push(&mut self, p: f64, win: bool) {
        self.window.push_back((p - f64::from(u8::from(win))).powi(2));
        if self.window.len() > self.limits.brier_window {
            self.window.pop_front();
        }
    }

    /// The rolling Brier (None until the window is full).
    pub fn rolling(&self) -> Option<f64> {
        (self.window.len() >= self.limits.brier_window)
            .then(|| self.window.iter().sum::<f64>() / self.window.len() as f64)
    }

    /// An alarm when the rolling Brier has decayed beyond the limit.
    pub fn alarm(&self) -> Option<String> {
        let ratio = self.null_ratio.map_or(self.limits.brier_ratio, |n| n.max(self.limits.brier_ratio));
        self.rolling()
            .filter(|b| *b > self.reference * ratio)
            .map(|b| format!("brier_decay={b:.4}>ref {:.4}", self.reference))
    }
}
