//! Datasets, labels, leak-free validation, models, calibration, conformal prediction, the confidence
//! gate, drift statistics and the model file format. Pure, synchronous and deterministic: the same
//! candles, configuration and seed always give the same model bytes and the same predictions.
//!
//! The flow: [`series::Series`] (candles as f64 columns, gaps known) → [`features`] (causal candle
//! features) and [`labels`] (net-of-fee direction, triple barrier, uniqueness weights) →
//! [`dataset::Dataset`] → [`validation`] folds → [`pipeline`] (logistic + bagged GBDT, stacked per
//! regime, isotonic calibration, conformal sets) → [`evaluation::score_rows`] (scoring in time
//! order with the causal [`recalibration`] of resolved outcomes and drift alarms) → [`gate`] →
//! [`artifact`] (the model file); [`strategy`] trades a model's gated signals in the engine
//! (`ml-ensemble`).

pub mod artifact;
pub mod calibration;
pub mod conformal;
pub mod dataset;
pub mod drift;
pub mod ensemble;
pub mod evaluation;
pub mod features;
pub mod gate;
pub mod gbdt;
pub mod labels;
pub mod leakage;
pub mod linear;
pub mod metrics;
pub mod pipeline;
pub mod recalibration;
pub mod regime;
pub mod rng;
pub mod series;
pub mod strategy;
pub mod validation;
pub mod walkforward;

/// Errors of the ML stack.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// Not enough labelled rows to fit or evaluate.
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    /// The model's feature names differ from the pipeline's.
    #[error("feature mismatch: model expects {expected:?}, pipeline gives {actual:?}")]
    FeatureMismatch {
        /// Names stored in the model.
        expected: Vec<String>,
        /// Names the caller's pipeline produces.
        actual: Vec<String>,
    },
    /// The model file is malformed, of another version, or its hash does not match its content.
    #[error("bad model file: {0}")]
    BadModel(String),
    /// An invalid configuration value.
    #[error("invalid config: {0}")]
    Config(String),
}
