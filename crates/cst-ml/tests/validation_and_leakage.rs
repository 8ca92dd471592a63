//! Walk-forward and purged k-fold never let a training label overlap a test label, and a
//! deliberately leaking feature is caught.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod realdata;

use cst_ml::leakage;
use cst_ml::metrics::auc;
use cst_ml::pipeline::{TrainConfig, fit_horizon, labelled_rows};
use cst_ml::validation::{self, Fold, Purge, Timing, WalkForward};

fn assert_no_overlap(timing: Timing<'_>, fold: &Fold, embargo_secs: i64) {
    let start = fold.test.iter().map(|&i| timing.times[i]).min().unwrap();
    let end = fold.test.iter().map(|&i| timing.end_times[i]).max().unwrap();
    for &j in &fold.train {
        let (t, e) = (timing.times[j], timing.end_times[j]);
        assert!(!(t < end && e > start), "train label ({t}, {e}] overlaps test span [{start}, {end}]");
        assert!(!(t >= end && t < end + embargo_secs), "train row at {t} sits in the embargo after {end}");
    }
}

#[test]
fn walk_forward_trains_only_on_the_purged_past() {
    let ds = realdata::dataset(2, 6_000, &[16]);
    let rows = labelled_rows(&ds, 0, &(0..ds.len()).collect::<Vec<_>>());
    let timing = Timing { times: &ds.times, end_times: &ds.targets[0].end_time };
    for mode in [WalkForward::Anchored, WalkForward::Rolling { train_blocks: 2 }] {
        let folds = validation::walk_forward(timing, &rows, 6, 2, mode, 16 * 900);
        assert_eq!(folds.len(), 4);
        for f in &folds {
            let first_test = f.test.iter().map(|&i| ds.times[i]).min().unwrap();
            assert!(
                f.train.iter().all(|&j| ds.targets[0].end_time[j] <= first_test),
                "{mode:?}: train label ends after test start"
            );
            assert_no_overlap(timing, f, 16 * 900);
        }
        let sizes: Vec<usize> = folds.iter().map(|f| f.train.len()).collect();
        match mode {
            WalkForward::Anchored => assert!(sizes.windows(2).all(|w| w[0] < w[1]), "anchored grows: {sizes:?}"),
            WalkForward::Rolling { .. } => {
                assert!(sizes.iter().all(|&s| s.abs_diff(sizes[0]) < rows.len() / 20), "{sizes:?}")
            }
        }
    }
}

#[test]
fn purged_kfold_drops_overlapping_and_embargoed_rows_only_when_purging() {
    let ds = realdata::dataset(2, 4_000, &[16]);
    let rows = labelled_rows(&ds, 0, &(0..ds.len()).collect::<Vec<_>>());
    let timing = Timing { times: &ds.times, end_times: &ds.targets[0].end_time };
    let on = validation::purged_kfold(timing, &rows, 5, 32 * 900, Purge::On);
    let off = validation::purged_kfold(timing, &rows, 5, 32 * 900, Purge::Off);
    for (a, b) in on.iter().zip(&off) {
        assert_no_overlap(timing, a, 32 * 900);
        assert_eq!(a.test, b.test);
        assert_eq!(b.train.len() + b.test.len(), rows.len(), "unpurged folds keep everything");
        assert!(a.train.len() < b.train.len());
    }
}

/// The forward return of the previous candle, ln(close[i+15] / close[i-1]): a "feature" that
/// quietly reads fifteen candles of the future.
fn leaking_column(ds: &cst_ml::dataset::Dataset) -> Vec<f64> {
    let t = &ds.targets[0];
    let mut last: Vec<Option<f64>> = vec![None; ds.pairs.len()];
    ds.pair_idx
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let v = last[p as usize].unwrap_or(0.0);
            last[p as usize] = Some(if t.log_return[i].is_finite() { t.log_return[i] } else { 0.0 });
            v
        })
        .collect()
}

#[test]
fn leakage_detector_flags_a_feature_built_from_the_future_return_and_nothing_causal() {
    let mut ds = realdata::dataset(2, 6_000, &[16]);
    let rows = labelled_rows(&ds, 0, &(0..ds.len()).collect::<Vec<_>>());
    assert!(leakage::scan(&ds, 0, &rows, 0.85).is_empty(), "no causal candle feature is that predictive");
    let leak = leaking_column(&ds);
    ds.push_column("leak_future_return", &leak);
    let flagged = leakage::scan(&ds, 0, &rows, 0.85);
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].feature, "leak_future_return");
    assert!(flagged[0].auc > 0.9, "auc {}", flagged[0].auc);
}

#[test]
fn a_leaking_feature_makes_out_of_sample_skill_implausible_and_honest_features_do_not() {
    let mut ds = realdata::dataset(2, 6_000, &[16]);
    let all: Vec<usize> = (0..ds.len()).collect();
    let rows = labelled_rows(&ds, 0, &all);
    let cfg = TrainConfig::small(realdata::labels(&[16]));
    let timing = Timing { times: &ds.times, end_times: &ds.targets[0].end_time };
    let fold = validation::walk_forward(timing, &rows, 4, 3, WalkForward::Anchored, 16 * 900).pop().unwrap();
    let score = |ds: &cst_ml::dataset::Dataset| {
        let m = fit_horizon(ds, 0, &fold.train, &cfg).unwrap();
        let p: Vec<f64> = fold.test.iter().map(|&i| m.predict(&ds.x[i]).p_raw).collect();
        let y: Vec<bool> = fold.test.iter().map(|&i| ds.targets[0].y[i].unwrap()).collect();
        auc(&p, &y)
    };
    let honest = score(&ds);
    let leak = leaking_column(&ds);
    ds.push_column("leak_future_return", &leak);
    let leaky = score(&ds);
    assert!(honest < 0.75, "causal features on 15m crypto: auc {honest}");
    assert!(leaky > 0.9, "the leak shows up as implausible skill: auc {leaky}");
}
