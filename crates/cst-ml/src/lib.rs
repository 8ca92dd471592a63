//! Datasets, models, calibration, conformal prediction, validation.
