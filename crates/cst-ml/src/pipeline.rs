//! Training and prediction for one horizon and for a whole model. Rows are used once each:
//! base models (logistic + bagged GBDT) and the stacker learn on the earlier part of the training
//! window (the stacker only from purged k-fold out-of-fold predictions); the calibrator and then the
//! conformal quantiles are fitted on two later, purged blocks the models never saw.

use crate::MlError;
use crate::calibration::{Calibrator, Method};
use crate::conformal::{ClassSet, ConformalClassifier, ConformalInterval};
use crate::dataset::{Dataset, LabelConfig};
use crate::drift::{BrierDecay, DriftLimits, Reference};
use crate::ensemble::{Bagged, Stacker};
use crate::features::VOL_FEATURE;
use crate::gate::Gate;
use crate::gbdt::GbdtParams;
use crate::linear::Logistic;
use crate::metrics;
use crate::recalibration::{OnlineConfig, OnlineRecalibrator};
use crate::regime::{N_REGIMES, VolTercile};
use crate::validation::{self, Purge, Timing};
use serde::{Deserialize, Serialize};

/// Everything that decides a trained model (with the data, the seed makes it reproducible).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Labels and horizons.
    pub labels: LabelConfig,
    /// Booster settings.
    pub gbdt: GbdtParams,
    /// Bagged boosters per horizon.
    pub bags: usize,
    /// L2 penalty of the logistic base model.
    pub logistic_l2: f64,
    /// L2 penalty of the stacker.
    pub stack_l2: f64,
    /// Purged k-fold splits used to make out-of-fold predictions for the stacker.
    pub inner_folds: usize,
    /// Embargo after a test block, in candles.
    pub embargo_candles: usize,
    /// Share of the training rows (the latest) held out for calibration and conformal.
    pub holdout_share: f64,
    /// Calibration method.
    pub calibration: Method,
    /// One calibrator per volatility regime.
    pub calibrate_per_regime: bool,
    /// Fit the static calibrator on the out-of-fold stacked predictions of the whole fit block as
    /// well as on the calibration block (months of varied markets instead of the few weeks just
    /// before the conformal block); off: the calibration block alone, as files written before this
    /// field were trained. On in [`Self::full`]: chosen on the development folds.
    #[serde(default)]
    pub calibrate_out_of_fold: bool,
    /// Conformal coverage level.
    pub conformal_level: f64,
    /// Mondrian (per-regime) conformal quantiles.
    pub mondrian: bool,
    /// The confidence gate.
    pub gate: Gate,
    /// Drift alarm limits.
    pub drift: DriftLimits,
    /// Causal online recalibration applied after the static calibrator when scoring (files written
    /// before it existed load with it off, so they score as they did). Off in [`Self::full`]: with
    /// the out-of-fold calibrator it made calibration worse on the development folds (BENCHMARKS.md).
    #[serde(default = "OnlineConfig::off")]
    pub online: OnlineConfig,
    /// Seed for bagging and subsampling.
    pub seed: u64,
}

impl TrainConfig {
    /// The full configuration used by the CLI and the benchmarks.
    pub fn full(labels: LabelConfig) -> Self {
        let gbdt = GbdtParams {
            n_trees: 120,
            max_depth: 3,
            learning_rate: 0.05,
            l2: 10.0,
            min_child_weight: 20.0,
            subsample: 0.7,
            n_bins: 32,
        };
        Self {
            labels,
            gbdt,
            bags: 3,
            logistic_l2: 1.0,
            stack_l2: 1.0,
            inner_folds: 4,
            embargo_candles: 16,
            holdout_share: 0.3,
            calibration: Method::Isotonic,
            calibrate_per_regime: false,
            calibrate_out_of_fold: true,
            conformal_level: 0.90,
            mondrian: true,
            gate: Gate::default(),
            drift: DriftLimits::default(),
            online: OnlineConfig::off(),
            seed: 7,
        }
    }

    /// A small configuration for debug-mode tests.
    pub fn small(labels: LabelConfig) -> Self {
        let mut c = Self::full(labels);
        c.gbdt.n_trees = 15;
        c.gbdt.n_bins = 16;
        c.bags = 2;
        c.inner_folds = 3;
        c
    }
}

/// The fitted stack for one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonModel {
    /// Horizon in candles.
    pub horizon: usize,
    /// Regime labeller (fitted on the training rows).
    pub regime: VolTercile,
    /// Logistic base model.
    pub logistic: Logistic,
    /// Bagged boosters.
    pub bagged: Bagged,
    /// Stacking meta-learner.
    pub stacker: Stacker,
    /// Pooled calibrator.
    pub calibrator: Calibrator,
    /// Per-regime calibrators, when configured.
    pub regime_calibrators: Option<Vec<Calibrator>>,
    /// Conformal classifier for the win/lose set.
    pub conformal: ConformalClassifier,
    /// Mean forward log return per regime (the point forecast for the return interval).
    pub return_mean: [f64; N_REGIMES],
    /// Conformal interval for the forward log return.
    pub return_interval: ConformalInterval,
    /// Brier score on the conformal block (reference for drift decay).
    pub holdout_brier: f64,
    /// The largest rolling Brier (over the drift window of resolved rows) inside the conformal
    /// block, divided by [`Self::holdout_brier`]: the decay alarm's null (see [`BrierDecay`]).
    #[serde(default)]
    pub holdout_brier_null_ratio: Option<f64>,
    /// Online recalibration settings used when this model scores a stream of rows.
    #[serde(default = "OnlineConfig::off")]
    pub online: OnlineConfig,
    /// First decision time (secs) of the conformal block: rows from here on were seen by no fitted
    /// part of the probability (base models, stacker, calibrator), so only their outcomes may warm
    /// up the online recalibrator (earlier rows' probabilities are in-sample and too sharp).
    #[serde(default)]
    pub unseen_from: i64,
}

/// One prediction with its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Stacked, uncalibrated probability.
    pub p_raw: f64,
    /// Calibrated probability of a win.
    pub p: f64,
    /// Standard deviation across the bagged boosters (ensemble disagreement).
    pub disagreement: f64,
    /// Volatility regime.
    pub regime: usize,
    /// Conformal set.
    pub set: ClassSet,
    /// Conformal interval of the forward log return.
    pub return_interval: (f64, f64),
}

/// Rows of a horizon that carry a label and a positive weight.
pub fn labelled_rows(ds: &Dataset, target: usize, rows: &[usize]) -> Vec<usize> {
    let t = &ds.targets[target];
    rows.iter().copied().filter(|&i| t.y[i].is_some() && t.weight[i] > 0.0).collect()
}

struct View<'a> {
    ds: &'a Dataset,
    target: usize,
}

impl View<'_> {
    fn x(&self, rows: &[usize]) -> Vec<&[f64]> {
        rows.iter().map(|&i| self.ds.x[i].as_slice()).collect()
    }
    fn y(&self, rows: &[usize]) -> Vec<bool> {
        rows.iter().map(|&i| self.ds.targets[self.target].y[i].unwrap_or(false)).collect()
    }
    fn w(&self, rows: &[usize]) -> Vec<f64> {
        rows.iter().map(|&i| self.ds.targets[self.target].weight[i]).collect()
    }
    fn timing(&self) -> Timing<'_> {
        Timing { times: &self.ds.times, end_times: &self.ds.targets[self.target].end_time }
    }
}

fn fit_bases(v: &View<'_>, rows: &[usize], cfg: &TrainConfig, seed: u64) -> (Logistic, Bagged) {
    let (x, y, w) = (v.x(rows), v.y(rows), v.w(rows));
    (Logistic::fit(&x, &y, &w, cfg.logistic_l2), Bagged::fit(&x, &y, &w, &cfg.gbdt, cfg.bags, seed))
}

fn base_p(lr: &Logistic, bag: &Bagged, row: &[f64]) -> Vec<f64> {
    vec![lr.predict(row), bag.predict(row).0]
}

/// Splits labelled training rows into (fit, calibration, conformal) blocks in time order, purging
/// earlier rows whose labels reach into a later block.
fn split_blocks(v: &View<'_>, rows: &[usize], share: f64, embargo_secs: i64) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let cut = ((rows.len() as f64) * (1.0 - share)) as usize;
    let mid = cut + (rows.len() - cut) / 2;
    let (fit, cal, conf) = (&rows[..cut], &rows[cut..mid], &rows[mid..]);
    let cal_p = validation::purge(v.timing(), cal, conf, embargo_secs, Purge::On);
    let fit_p = validation::purge(v.timing(), fit, cal, embargo_secs, Purge::On);
    let fit_p = validation::purge(v.timing(), &fit_p, conf, embargo_secs, Purge::On);
    (fit_p, cal_p, conf.to_vec())
}

/// Fits one horizon on the given training rows (any unlabelled rows are skipped).
pub fn fit_horizon(ds: &Dataset, target: usize, rows: &[usize], cfg: &TrainConfig) -> Result<HorizonModel, MlError> {
    let v = View { ds, target };
    let rows = labelled_rows(ds, target, rows);
    let embargo_secs = cfg.embargo_candles as i64 * candle_secs(ds);
    let (fit, cal, conf) = split_blocks(&v, &rows, cfg.holdout_share, embargo_secs);
    if fit.len() < 200 || cal.len() < 50 || conf.len() < 50 {
        return Err(MlError::NotEnoughData(format!(
            "{} labelled rows for horizon {}",
            rows.len(),
            ds.targets[target].horizon
        )));
    }
    let vol_col = ds.column(VOL_FEATURE).ok_or_else(|| MlError::Config(format!("no {VOL_FEATURE} column")))?;
    let regime = VolTercile::fit(&v.x(&fit), vol_col);
    let (stacker, oof_rows, oof_preds) = fit_stacker(&v, &fit, &regime, cfg, embargo_secs);
    let (logistic, bagged) = fit_bases(&v, &fit, cfg, cfg.seed);
    let raw = |rows: &[usize]| -> Vec<f64> {
        rows.iter().map(|&i| stacker.predict(&base_p(&logistic, &bagged, &ds.x[i]), regime.of(&ds.x[i]))).collect()
    };
    let regimes = |rows: &[usize]| -> Vec<usize> { rows.iter().map(|&i| regime.of(&ds.x[i])).collect() };
    let mut set = CalibrationSet { raw: raw(&cal), y: v.y(&cal), w: v.w(&cal), regime: regimes(&cal) };
    if cfg.calibrate_out_of_fold {
        // Each fit row's stacked score from base models that did not see it (the stacker has a few
        // weights per regime fitted on tens of thousands of such rows, so its own optimism is
        // negligible), then the calibration block's scores from the final models as before.
        let oof_raw = oof_rows.iter().zip(&oof_preds).map(|(&i, p)| stacker.predict(p, regime.of(&ds.x[i])));
        let oof =
            CalibrationSet { raw: oof_raw.collect(), y: v.y(&oof_rows), w: v.w(&oof_rows), regime: regimes(&oof_rows) };
        set = oof.then(set);
    }
    let (calibrator, regime_calibrators) = set.fit(cfg);
    let mut model = HorizonModel {
        horizon: ds.targets[target].horizon,
        regime,
        logistic,
        bagged,
        stacker,
        calibrator,
        regime_calibrators,
        conformal: ConformalClassifier { level: cfg.conformal_level, q: 0.0, q_regime: None },
        return_mean: [0.0; N_REGIMES],
        return_interval: ConformalInterval { level: cfg.conformal_level, half_width: 0.0 },
        holdout_brier: 0.0,
        holdout_brier_null_ratio: None,
        online: cfg.online,
        unseen_from: conf.first().map_or(i64::MAX, |&i| ds.times[i]),
    };
    fit_conformal(&mut model, &v, &fit, &conf, cfg);
    Ok(model)
}

/// Scores a calibrator learns from, with their outcomes, weights and regimes.
struct CalibrationSet {
    raw: Vec<f64>,
    y: Vec<bool>,
    w: Vec<f64>,
    regime: Vec<usize>,
}

impl CalibrationSet {
    /// This set followed by `later`.
    fn then(mut self, later: CalibrationSet) -> Self {
        self.raw.extend(later.raw);
        self.y.extend(later.y);
        self.w.extend(later.w);
        self.regime.extend(later.regime);
        self
    }

    /// The pooled calibrator, and one per regime when configured.
    fn fit(&self, cfg: &TrainConfig) -> (Calibrator, Option<Vec<Calibrator>>) {
        let pooled = Calibrator::fit(cfg.calibration, &self.raw, &self.y, &self.w);
        let per_regime = cfg.calibrate_per_regime.then(|| {
            (0..N_REGIMES)
                .map(|r| {
                    let k: Vec<usize> = (0..self.regime.len()).filter(|&k| self.regime[k] == r).collect();
                    let pick = |s: &[f64]| k.iter().map(|&k| s[k]).collect::<Vec<f64>>();
                    let yk: Vec<bool> = k.iter().map(|&k| self.y[k]).collect();
                    Calibrator::fit(cfg.calibration, &pick(&self.raw), &yk, &pick(&self.w))
                })
                .collect()
        });
        (pooled, per_regime)
    }
}

/// The stacker, fitted on the base models' out-of-fold predictions, with those rows and predictions.
fn fit_stacker(
    v: &View<'_>,
    fit: &[usize],
    regime: &VolTercile,
    cfg: &TrainConfig,
    embargo_secs: i64,
) -> (Stacker, Vec<usize>, Vec<Vec<f64>>) {
    let folds = validation::purged_kfold(v.timing(), fit, cfg.inner_folds.max(2), embargo_secs, Purge::On);
    let mut oof: Vec<(usize, Vec<f64>)> = Vec::with_capacity(fit.len());
    for (k, fold) in folds.iter().enumerate() {
        if fold.train.len() < 50 {
            continue;
        }
        let (lr, bag) = fit_bases(v, &fold.train, cfg, cfg.seed.wrapping_add(1000 * (k as u64 + 1)));
        oof.extend(fold.test.iter().map(|&i| (i, base_p(&lr, &bag, &v.ds.x[i]))));
    }
    let rows: Vec<usize> = oof.iter().map(|(i, _)| *i).collect();
    let preds: Vec<Vec<f64>> = oof.into_iter().map(|(_, p)| p).collect();
    let regimes: Vec<usize> = rows.iter().map(|&i| regime.of(&v.ds.x[i])).collect();
    let stacker = Stacker::fit(&preds, &regimes, &v.y(&rows), &v.w(&rows), cfg.stack_l2);
    (stacker, rows, preds)
}

fn fit_conformal(m: &mut HorizonModel, v: &View<'_>, fit: &[usize], conf: &[usize], cfg: &TrainConfig) {
    let preds: Vec<Prediction> = conf.iter().map(|&i| m.predict(&v.ds.x[i])).collect();
    let p: Vec<f64> = preds.iter().map(|q| q.p).collect();
    let g: Vec<usize> = preds.iter().map(|q| q.regime).collect();
    let y = v.y(conf);
    m.conformal = ConformalClassifier::fit(&p, &y, &g, cfg.conformal_level, cfg.mondrian);
    m.holdout_brier = metrics::brier(&p, &y);
    m.holdout_brier_null_ratio = BrierDecay::null_ratio(&p, &y, m.holdout_brier, cfg.drift);
    let t = &v.ds.targets[v.target];
    for r in 0..N_REGIMES {
        let rs: Vec<f64> = fit.iter().filter(|&&i| m.regime.of(&v.ds.x[i]) == r).map(|&i| t.log_return[i]).collect();
        m.return_mean[r] = metrics::mean(rs.into_iter());
    }
    let forecast: Vec<f64> = g.iter().map(|&r| m.return_mean[r]).collect();
    let truth: Vec<f64> = conf.iter().map(|&i| t.log_return[i]).collect();
    m.return_interval = ConformalInterval::fit(&forecast, &truth, cfg.conformal_level);
}

impl HorizonModel {
    /// The stacked, calibrated, conformal prediction of one feature row.
    pub fn predict(&self, row: &[f64]) -> Prediction {
        let regime = self.regime.of(row);
        let (p_gb, disagreement) = self.bagged.predict(row);
        let p_raw = self.stacker.predict(&[self.logistic.predict(row), p_gb], regime);
        let cal = self.regime_calibrators.as_ref().and_then(|c| c.get(regime)).unwrap_or(&self.calibrator);
        let p = cal.predict(p_raw);
        Prediction {
            p_raw,
            p,
            disagreement,
            regime,
            set: self.conformal.set(p, regime),
            return_interval: self.return_interval.interval(self.return_mean[regime]),
        }
    }

    /// A fresh online recalibrator with this model's settings.
    pub fn online_recalibrator(&self) -> OnlineRecalibrator {
        OnlineRecalibrator::new(self.online, self.horizon)
    }

    /// The prediction after the online correction: the probability goes through `online`; the
    /// conformal set stays the one of the static probability, because the conformal quantile was
    /// fitted on static probabilities and its coverage guarantee holds for that score only (sets
    /// taken on corrected probabilities measured 0.78 coverage at horizon 1 instead of 0.94).
    /// `p_raw` stays the stacked score. The static probability the caller must later pass to
    /// [`OnlineRecalibrator::observe`] is the `p` of the uncorrected prediction.
    pub fn recalibrate(&self, prediction: &Prediction, online: &OnlineRecalibrator) -> Prediction {
        Prediction { p: online.apply(prediction.p), ..prediction.clone() }
    }

    /// Per-feature contributions to the stacked log-odds: each base model's own attribution
    /// weighted by the stacker's weight for that model in the row's regime.
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        let w = self.stacker.weights(2, self.regime.of(row));
        let lr = self.logistic.contributions(row);
        let gb = self.bagged.contributions(row);
        lr.iter().zip(&gb).map(|(a, b)| w[0] * a + w[1] * b).collect()
    }

    /// Global importance: the boosters' gain share plus the logistic |coefficient| share, averaged.
    pub fn importance(&self) -> Vec<f64> {
        let share = |v: Vec<f64>| {
            let s: f64 = v.iter().sum::<f64>().max(1e-12);
            v.into_iter().map(|x| x / s).collect::<Vec<f64>>()
        };
        let gb = share(self.bagged.importance());
        let lr = share(self.logistic.coef.iter().map(|c| c.abs()).collect());
        gb.iter().zip(&lr).map(|(a, b)| (a + b) / 2.0).collect()
    }
}

/// A trained model over all horizons, with the references drift is measured against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Feature names, in the order rows must have.
    pub feature_names: Vec<String>,
    /// One stack per horizon.
    pub horizons: Vec<HorizonModel>,
    /// Training distribution of each feature.
    pub drift_refs: Vec<Reference>,
    /// The configuration it was trained with.
    pub config: TrainConfig,
}

impl Model {
    /// Trains every horizon on `rows`; `progress` hears about each finished horizon.
    pub fn train(
        ds: &Dataset,
        rows: &[usize],
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Self, MlError> {
        let mut horizons = Vec::new();
        for k in 0..ds.targets.len() {
            horizons.push(fit_horizon(ds, k, rows, cfg)?);
            progress(k + 1);
        }
        let drift_refs = crate::evaluation::drift_references(
            ds,
            rows,
            crate::walkforward::WalkForwardConfig::default().drift_window_days,
        );
        Ok(Self { feature_names: ds.feature_names.clone(), horizons, drift_refs, config: cfg.clone() })
    }

    /// Refuses when the caller's feature names (and order) differ from the model's.
    pub fn check_features(&self, names: &[String]) -> Result<(), MlError> {
        if self.feature_names == names {
            Ok(())
        } else {
            Err(MlError::FeatureMismatch { expected: self.feature_names.clone(), actual: names.to_vec() })
        }
    }
}

/// Seconds between consecutive decision times of one pair (the candle length).
pub fn candle_secs(ds: &Dataset) -> i64 {
    let mut last: Vec<Option<i64>> = vec![None; ds.pairs.len()];
    let mut best = i64::MAX;
    for (t, &p) in ds.times.iter().zip(&ds.pair_idx) {
        if let Some(prev) = last[p as usize] {
            best = best.min(t - prev);
        }
        last[p as usize] = Some(*t);
    }
    if best == i64::MAX { 900 } else { best }
}
