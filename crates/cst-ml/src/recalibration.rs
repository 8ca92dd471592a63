//! Causal online recalibration. A horizon-`h` label becomes known `h` candles after its decision
//! time, so while a model runs, the outcomes of its own recent predictions arrive one by one. The
//! recalibrator keeps the latest `window` resolved (static probability, outcome) pairs and maps each
//! new static probability through a Platt correction fitted on them:
//! `p' = sigmoid(a · logit(p) + b)`, shrunk towards the identity (a = 1, b = 0) by a small ridge
//! penalty so a short or one-sided window cannot swing it. Optionally (`mix_with_static`, off by
//! default) the corrected and the static probability are mixed by Bayesian model averaging over
//! the same window: each weighted by exp(−its prequential log loss), the corrected one scored with
//! the map as it stood before each outcome was known.
//!
//! Why: the static calibrator is fitted once on a block before the model's deployment; when the
//! market's behaviour at a given feature level changes (2023 Q2: calm rows moved more than the calm
//! rows of Q1), the static map is off by a slowly varying amount. The recent resolved outcomes
//! measure that offset without looking ahead. Only outcomes whose label window has closed by the
//! decision time are ever observed (the caller's job; [`crate::evaluation::score_rows`] does it
//! with a heap of pending label end times), so it is strictly causal. It is deterministic: the same
//! sequence of observations gives the same map bit for bit.

use crate::metrics::{logit, sigmoid};

fn log_loss(p: f64, win: bool) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    if win { -p.ln() } else { -(1.0 - p).ln() }
}
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Settings of the online recalibrator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OnlineConfig {
    /// Off: predictions keep the static calibrator's probability.
    pub enabled: bool,
    /// Resolved outcomes kept (the most recent ones).
    pub window: usize,
    /// Resolved outcomes needed before any correction is applied.
    pub min_outcomes: usize,
    /// Fit the slope `a` as well as the intercept `b` (otherwise `a` = 1).
    pub fit_slope: bool,
    /// Ridge penalty pulling (a, b) towards (1, 0), in units of one row's log loss curvature.
    pub prior: f64,
    /// Refit after this many new outcomes (1 = after every outcome).
    pub refit_every: usize,
    /// Mix the corrected and the static probability by their prequential log loss on the window
    /// (Bayesian model averaging of the two); otherwise the corrected probability alone. Off by
    /// default: re-measured on the development folds after the warm-up fix, the mix made horizon 16
    /// worse (ECE 0.0326 against 0.0258 for the correction alone; BENCHMARKS.md).
    #[serde(default)]
    pub mix_with_static: bool,
    /// Weigh each resolved outcome by its label's uniqueness, 1/h for a horizon-`h` label, in the
    /// fit, in the mix and in `min_outcomes`. Consecutive horizon-`h` labels share `h − 1` candles
    /// of their forward window, so `n` resolved rows carry about `n / h` independent outcomes;
    /// counted as `n`, a few days of one market move look like thousands of observations, the fit
    /// overrides the ridge prior and the mix swings to whichever map the latest move favoured.
    /// Off by default: on the development folds it made horizon 16 worse (ECE 0.0450 against
    /// 0.0326), because there the static map's error persisted for weeks and the stronger shrinkage
    /// only slowed the correction (BENCHMARKS.md).
    #[serde(default)]
    pub uniqueness_weighting: bool,
}

impl Default for OnlineConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            window: 20_000,
            min_outcomes: 500,
            fit_slope: true,
            prior: 10.0,
            refit_every: 5,
            mix_with_static: false,
            uniqueness_weighting: false,
        }
    }
}

impl OnlineConfig {
    /// Recalibration switched off (the static calibrator alone), as models before it behaved.
    pub fn off() -> Self {
        Self { enabled: false, ..Self::default() }
    }
}

/// The online recalibration state of one horizon model.
#[derive(Debug, Clone, PartialEq)]
pub struct OnlineRecalibrator {
    cfg: OnlineConfig,
    /// Weight of one resolved outcome: 1/h with uniqueness weighting, else 1.
    unit: f64,
    /// Resolved (logit of the static probability, outcome).
    recent: VecDeque<(f64, bool)>,
    /// Prequential log loss of each resolved outcome: (static, corrected as it stood before the
    /// outcome was known).
    losses: VecDeque<(f64, f64)>,
    a: f64,
    b: f64,
    since_fit: usize,
    /// Sums of `losses` (static, corrected), recomputed at each refit.
    loss_sums: (f64, f64),
}

impl OnlineRecalibrator {
    /// Starts at the identity map with no outcomes, for a model whose labels span `horizon` candles.
    pub fn new(cfg: OnlineConfig, horizon: usize) -> Self {
        let unit = if cfg.uniqueness_weighting { 1.0 / horizon.max(1) as f64 } else { 1.0 };
        Self {
            cfg,
            unit,
            recent: VecDeque::with_capacity(cfg.window + 1),
            losses: VecDeque::with_capacity(cfg.window + 1),
            a: 1.0,
            b: 0.0,
            since_fit: 0,
            loss_sums: (0.0, 0.0),
        }
    }

    /// Records the outcome of an earlier prediction whose label window has closed; `p_static` is
    /// the probability the static calibrator gave it (not the recalibrated one, so the correction
    /// does not feed on itself).
    pub fn observe(&mut self, p_static: f64, win: bool) {
        if !self.cfg.enabled {
            return;
        }
        let loss = (self.unit * log_loss(p_static, win), self.unit * log_loss(self.corrected(p_static), win));
        self.recent.push_back((logit(p_static), win));
        self.losses.push_back(loss);
        self.loss_sums = (self.loss_sums.0 + loss.0, self.loss_sums.1 + loss.1);
        if self.recent.len() > self.cfg.window {
            self.recent.pop_front();
            if let Some(old) = self.losses.pop_front() {
                self.loss_sums = (self.loss_sums.0 - old.0, self.loss_sums.1 - old.1);
            }
        }
        self.since_fit += 1;
        if self.enough() && self.since_fit >= self.cfg.refit_every.max(1) {
            self.refit();
        }
    }

    /// Outcomes currently held.
    pub fn outcomes(&self) -> usize {
        self.recent.len()
    }

    /// The current correction (a, b); (1, 0) until enough outcomes have resolved.
    pub fn map(&self) -> (f64, f64) {
        if self.active() { (self.a, self.b) } else { (1.0, 0.0) }
    }

    fn active(&self) -> bool {
        self.cfg.enabled && self.enough()
    }

    /// Enough (uniqueness-weighted) outcomes to apply a correction.
    fn enough(&self) -> bool {
        self.recent.len() as f64 * self.unit >= self.cfg.min_outcomes as f64
    }

    /// The recalibrated probability of a static probability, clipped to [0.001, 0.999] like the
    /// static calibrators. With `mix_with_static`, the corrected and the static probability are
    /// averaged with weights proportional to exp(−log loss) of each on the resolved window, so the
    /// correction takes over only where it has been predicting better than the static map.
    pub fn apply(&self, p_static: f64) -> f64 {
        if !self.active() {
            return p_static;
        }
        let corrected = self.corrected(p_static);
        if !self.cfg.mix_with_static {
            return corrected;
        }
        let w = self.corrected_weight();
        (w * corrected + (1.0 - w) * p_static).clamp(0.001, 0.999)
    }

    /// Weight of the corrected probability in the mix: sigmoid(static loss − corrected loss).
    pub fn corrected_weight(&self) -> f64 {
        if !self.cfg.mix_with_static {
            return 1.0;
        }
        sigmoid(self.loss_sums.0 - self.loss_sums.1)
    }

    fn corrected(&self, p_static: f64) -> f64 {
        if !self.active() {
            return p_static;
        }
        sigmoid(self.a * logit(p_static) + self.b).clamp(0.001, 0.999)
    }

    /// Newton steps on the penalised log loss, warm-started from the current map.
    fn refit(&mut self) {
        self.since_fit = 0;
        // Resummed so rounding from adding and removing does not accumulate.
        self.loss_sums = self.losses.iter().fold((0.0, 0.0), |(s, c), (a, b)| (s + a, c + b));
        let lambda = self.cfg.prior.max(1e-6);
        let (mut a, mut b) = (self.a, self.b);
        for _ in 0..20 {
            let (mut ga, mut gb) = (lambda * (a - 1.0), lambda * b);
            let (mut haa, mut hab, mut hbb) = (lambda, 0.0, lambda);
            for &(z, y) in &self.recent {
                let p = sigmoid(a * z + b);
                let r = p - f64::from(u8::from(y));
                let v = self.unit * (p * (1.0 - p) + 1e-12);
                let r = self.unit * r;
                ga += r * z;
                gb += r;
                haa += v * z * z;
                hab += v * z;
                hbb += v;
            }
            let (da, db) = if self.cfg.fit_slope {
                let det = haa * hbb - hab * hab;
                if det.abs() < 1e-18 {
                    break;
                }
                ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det)
            } else {
                (0.0, gb / hbb)
            };
            a -= da;
            b -= db;
            if da.abs() + db.abs() < 1e-9 {
                break;
            }
        }
        if a.is_finite() && b.is_finite() {
            (self.a, self.b) = (a, b);
        }
    }
}
