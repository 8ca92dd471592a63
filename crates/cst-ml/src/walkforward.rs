//! Walk-forward evaluation of the full training recipe: for each horizon, each fold trains a fresh
//! stack on the purged past and scores the next block; the report pools the last folds.

use crate::MlError;
use crate::dataset::Dataset;
use crate::evaluation::{self, HorizonReport, Scored};
use crate::pipeline::{self, TrainConfig, labelled_rows};
use crate::validation::{self, Timing, WalkForward};
use serde::{Deserialize, Serialize};

/// Fold layout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardConfig {
    /// Blocks the labelled rows are cut into.
    pub n_blocks: usize,
    /// Blocks always used for training before the first test block.
    pub min_train_blocks: usize,
    /// Anchored or rolling.
    pub mode: WalkForward,
    /// How many of the last folds the report pools.
    pub last_folds: usize,
    /// Days of features before each day that drift is judged on.
    pub drift_window_days: i64,
}

impl Default for WalkForwardConfig {
    fn default() -> Self {
        Self { n_blocks: 6, min_train_blocks: 3, mode: WalkForward::Anchored, last_folds: 3, drift_window_days: 7 }
    }
}

/// One fold's extent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldSummary {
    /// Horizon in candles.
    pub horizon: usize,
    /// Training rows after purging.
    pub train_rows: usize,
    /// Test rows.
    pub test_rows: usize,
    /// First test decision time (secs).
    pub test_from: i64,
    /// Last test decision time (secs).
    pub test_to: i64,
    /// Whether the report pools this fold.
    pub reported: bool,
}

/// Walk-forward results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardReport {
    /// Fold layout.
    pub config: WalkForwardConfig,
    /// Every fold.
    pub folds: Vec<FoldSummary>,
    /// Pooled out-of-sample report per horizon over the last folds.
    pub horizons: Vec<HorizonReport>,
}

/// Runs walk-forward over `rows` for every horizon; `progress` hears about each finished fold.
pub fn run(
    ds: &Dataset,
    rows: &[usize],
    cfg: &TrainConfig,
    wf: &WalkForwardConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<WalkForwardReport, MlError> {
    let embargo_secs = cfg.embargo_candles as i64 * pipeline::candle_secs(ds);
    let mut folds_out = Vec::new();
    let mut horizons = Vec::new();
    for k in 0..ds.targets.len() {
        let timing = Timing { times: &ds.times, end_times: &ds.targets[k].end_time };
        let labelled = labelled_rows(ds, k, rows);
        let folds =
            validation::walk_forward(timing, &labelled, wf.n_blocks, wf.min_train_blocks, wf.mode, embargo_secs);
        let first_reported = folds.len().saturating_sub(wf.last_folds);
        let mut pooled: Vec<Scored> = Vec::new();
        let mut last_model = None;
        for (f, fold) in folds.iter().enumerate() {
            let m = pipeline::fit_horizon(ds, k, &fold.train, cfg)?;
            let refs = evaluation::drift_references(ds, &fold.train, wf.drift_window_days);
            let alarms = evaluation::daily_feature_alarms(ds, &refs, cfg.drift, wf.drift_window_days);
            let scored = evaluation::score_rows(&m, ds, k, &fold.test, cfg.gate, cfg.drift, &alarms);
            folds_out.push(FoldSummary {
                horizon: ds.targets[k].horizon,
                train_rows: fold.train.len(),
                test_rows: fold.test.len(),
                test_from: fold.test.first().map_or(0, |&i| ds.times[i]),
                test_to: fold.test.last().map_or(0, |&i| ds.times[i]),
                reported: f >= first_reported,
            });
            if f >= first_reported {
                pooled.extend(scored);
            }
            last_model = Some(m);
            progress(k, f + 1);
        }
        let m = last_model.ok_or_else(|| MlError::NotEnoughData("no walk-forward fold".into()))?;
        horizons.push(evaluation::report(&m, ds, k, &pooled));
    }
    Ok(WalkForwardReport { config: *wf, folds: folds_out, horizons })
}
