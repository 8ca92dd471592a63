//! The base models, the ensemble, calibration and conformal sets on real candles.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod realdata;

use cst_ml::calibration::{Isotonic, Platt};
use cst_ml::conformal::{ClassSet, ConformalClassifier, ConformalInterval};
use cst_ml::ensemble::Bagged;
use cst_ml::gbdt::{Gbdt, GbdtParams};
use cst_ml::linear::Logistic;
use cst_ml::metrics::{self, auc, brier, ece, log_loss};
use proptest::prelude::*;

fn xyw(horizon_idx: usize) -> (Vec<Vec<f64>>, Vec<bool>, Vec<f64>) {
    let ds = realdata::dataset(2, 5_000, &[4, 16]);
    let t = &ds.targets[horizon_idx];
    let rows: Vec<usize> = (0..ds.len()).filter(|&i| t.y[i].is_some()).collect();
    (
        rows.iter().map(|&i| ds.x[i].clone()).collect(),
        rows.iter().map(|&i| t.y[i].unwrap()).collect(),
        rows.iter().map(|&i| t.weight[i]).collect(),
    )
}

fn params() -> GbdtParams {
    GbdtParams {
        n_trees: 20,
        max_depth: 3,
        learning_rate: 0.1,
        l2: 1.0,
        min_child_weight: 5.0,
        subsample: 0.8,
        n_bins: 32,
    }
}

#[test]
fn logistic_regression_reaches_a_stationary_point_of_the_penalised_loss() {
    let (x, y, w) = xyw(1);
    let rows: Vec<&[f64]> = x.iter().map(|r| r.as_slice()).collect();
    let m = Logistic::fit(&rows, &y, &w, 1.0);
    let p: Vec<f64> = rows.iter().map(|r| m.predict(r)).collect();
    // Intercept gradient: the weighted residuals sum to zero at the optimum.
    let g0: f64 = p.iter().zip(&y).zip(&w).map(|((p, &y), w)| w * (p - f64::from(u8::from(y)))).sum();
    assert!(g0.abs() < 1e-6 * w.iter().sum::<f64>(), "intercept gradient {g0}");
    assert!(log_loss(&p, &y) < log_loss(&vec![metrics::mean(y.iter().map(|&v| f64::from(u8::from(v)))); y.len()], &y));
    assert_eq!(m, Logistic::fit(&rows, &y, &w, 1.0), "deterministic");
}

#[test]
fn gbdt_is_deterministic_per_seed_and_its_contributions_add_up_to_the_log_odds() {
    let (x, y, w) = xyw(1);
    let rows: Vec<&[f64]> = x.iter().map(|r| r.as_slice()).collect();
    let a = Gbdt::fit(&rows, &y, &w, &params(), 11);
    assert_eq!(a, Gbdt::fit(&rows, &y, &w, &params(), 11));
    assert_ne!(a, Gbdt::fit(&rows, &y, &w, &params(), 12), "the seed drives the subsampling");
    for r in rows.iter().step_by(997) {
        let roots: f64 = a.trees.iter().map(|t| t.nodes[0].value).sum();
        let total = a.base_score + roots + a.contributions(r).iter().sum::<f64>();
        assert!((total - a.decision(r)).abs() < 1e-9);
    }
    let p: Vec<f64> = rows.iter().map(|r| a.predict(r)).collect();
    assert!(auc(&p, &y) > 0.6, "in-sample fit learns something: {}", auc(&p, &y));
    assert!(a.gain.iter().sum::<f64>() > 0.0);
}

#[test]
fn bagged_members_disagree_and_their_mean_is_the_prediction() {
    let (x, y, w) = xyw(0);
    let rows: Vec<&[f64]> = x.iter().map(|r| r.as_slice()).collect();
    let bag = Bagged::fit(&rows, &y, &w, &params(), 3, 5);
    let (p, sd) = bag.predict(rows[1234]);
    let mean = bag.members.iter().map(|m| m.predict(rows[1234])).sum::<f64>() / 3.0;
    assert!((p - mean).abs() < 1e-12 && sd > 0.0);
}

#[test]
fn isotonic_and_platt_fitted_out_of_sample_reduce_ece_and_brier_on_later_data() {
    let (x, y, w) = xyw(1);
    let rows: Vec<&[f64]> = x.iter().map(|r| r.as_slice()).collect();
    let third = rows.len() / 3;
    // An overconfident score: the booster's log-odds doubled, fitted on the first third only.
    let m = Gbdt::fit(&rows[..third], &y[..third], &w[..third], &params(), 1);
    let raw: Vec<f64> = rows.iter().map(|r| metrics::sigmoid(2.0 * m.decision(r))).collect();
    let (cal, test) = (third..2 * third, 2 * third..rows.len());
    let iso = Isotonic::fit(&raw[cal.clone()], &y[cal.clone()], &w[cal.clone()]);
    let platt = Platt::fit(&raw[cal.clone()], &y[cal.clone()], &w[cal]);
    let (test_raw, test_y) = (&raw[test.clone()], &y[test]);
    let before = ece(test_raw, test_y, 10);
    let iso_p: Vec<f64> = test_raw.iter().map(|&s| iso.predict(s)).collect();
    let platt_p: Vec<f64> = test_raw.iter().map(|&s| platt.predict(s)).collect();
    assert!(ece(&iso_p, test_y, 10) < before, "isotonic {} vs raw {before}", ece(&iso_p, test_y, 10));
    assert!(ece(&platt_p, test_y, 10) < before, "platt {} vs raw {before}", ece(&platt_p, test_y, 10));
    assert!(brier(&iso_p, test_y) < brier(test_raw, test_y));
    assert!(brier(&platt_p, test_y) < brier(test_raw, test_y));
}

#[test]
fn reliability_table_has_ten_bins_that_account_for_every_row() {
    let p = [0.05, 0.15, 0.15, 0.95, 1.0, 0.0];
    let y = [false, true, false, true, true, false];
    let t = metrics::reliability(&p, &y, 10);
    assert_eq!(t.len(), 10);
    assert_eq!(t.iter().map(|b| b.n).sum::<usize>(), 6);
    assert_eq!((t[1].n, t[1].freq), (2, 0.5));
    assert_eq!(t[9].n, 2);
}

#[test]
fn split_conformal_sets_cover_at_the_nominal_level_on_later_real_data() {
    let (x, y, w) = xyw(1);
    let rows: Vec<&[f64]> = x.iter().map(|r| r.as_slice()).collect();
    let third = rows.len() / 3;
    let m = Logistic::fit(&rows[..third], &y[..third], &w[..third], 1.0);
    let p: Vec<f64> = rows.iter().map(|r| m.predict(r)).collect();
    let regimes = vec![0; rows.len()];
    let c = ConformalClassifier::fit(&p[third..2 * third], &y[third..2 * third], &regimes[..third], 0.9, false);
    let test = 2 * third..rows.len();
    let covered = test.clone().filter(|&i| c.set(p[i], 0).covers(y[i])).count() as f64 / test.len() as f64;
    assert!((covered - 0.9).abs() < 0.03, "coverage {covered}");
}

#[test]
fn return_interval_covers_real_forward_returns_at_the_nominal_level() {
    let ds = realdata::dataset(1, 8_000, &[4]);
    let r: Vec<f64> = ds.targets[0].log_return.iter().copied().filter(|v| v.is_finite()).collect();
    // Even days calibrate, odd days test: close to exchangeable. (A first-half/second-half split on
    // this stretch covers only ~68%: volatility rose, which is what ACI and the drift alarms are for.)
    let day = |k: usize| (k / 96).is_multiple_of(2);
    let cal: Vec<f64> = r.iter().enumerate().filter(|(k, _)| day(*k)).map(|(_, v)| *v).collect();
    let test: Vec<f64> = r.iter().enumerate().filter(|(k, _)| !day(*k)).map(|(_, v)| *v).collect();
    let ci = ConformalInterval::fit(&vec![0.0; cal.len()], &cal, 0.8);
    let (lo, hi) = ci.interval(0.0);
    let rate = test.iter().filter(|&&v| v >= lo && v <= hi).count() as f64 / test.len() as f64;
    assert!((rate - 0.8).abs() < 0.05, "coverage {rate}");
}

#[test]
fn class_sets_follow_the_quantile() {
    assert_eq!(ClassSet::from_p(0.9, 0.2), ClassSet { lose: false, win: true });
    assert_eq!(ClassSet::from_p(0.5, 0.6), ClassSet { lose: true, win: true });
    assert_eq!(ClassSet::from_p(0.5, 0.4), ClassSet { lose: false, win: false });
    assert!(!ClassSet::from_p(0.5, 0.4).is_single());
}

proptest! {
    #[test]
    fn isotonic_fit_is_monotone_and_within_the_unit_interval(
        pairs in proptest::collection::vec((0.0f64..1.0, any::<bool>(), 0.01f64..5.0), 1..200),
        probes in proptest::collection::vec(-0.5f64..1.5, 2..50),
    ) {
        let s: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let y: Vec<bool> = pairs.iter().map(|p| p.1).collect();
        let w: Vec<f64> = pairs.iter().map(|p| p.2).collect();
        let iso = Isotonic::fit(&s, &y, &w);
        prop_assert!(iso.values.windows(2).all(|v| v[0] <= v[1]));
        let mut probes = probes;
        probes.sort_by(f64::total_cmp);
        let out: Vec<f64> = probes.iter().map(|&p| iso.predict(p)).collect();
        prop_assert!(out.windows(2).all(|v| v[0] <= v[1]));
        prop_assert!(out.iter().all(|p| (0.0..=1.0).contains(p)));
        // Weighted mean is preserved by pooling.
        let fitted: f64 = s.iter().zip(&w).map(|(&v, w)| w * iso.values[iso.edges.partition_point(|&e| e < v).min(iso.values.len() - 1)]).sum();
        let target: f64 = y.iter().zip(&w).map(|(&y, w)| w * f64::from(u8::from(y))).sum();
        prop_assert!((fitted - target).abs() < 1e-6 * w.iter().sum::<f64>());
    }
}

#[test]
fn ece_interval_resamples_whole_days_and_separates_a_miscalibrated_score() {
    // Real horizon-16 outcomes: a booster fitted on the first third, calibrated on the second,
    // judged on the last third, once as calibrated and once with its odds tripled.
    let ds = realdata::dataset(2, 5_000, &[16]);
    let t = &ds.targets[0];
    let rows: Vec<usize> = (0..ds.len()).filter(|&i| t.y[i].is_some()).collect();
    let x: Vec<&[f64]> = rows.iter().map(|&i| ds.x[i].as_slice()).collect();
    let y: Vec<bool> = rows.iter().map(|&i| t.y[i].unwrap()).collect();
    let w: Vec<f64> = rows.iter().map(|&i| t.weight[i]).collect();
    let third = rows.len() / 3;
    let m = Gbdt::fit(&x[..third], &y[..third], &w[..third], &params(), 1);
    let score: Vec<f64> = x.iter().map(|r| metrics::sigmoid(m.decision(r))).collect();
    let platt = Platt::fit(&score[third..2 * third], &y[third..2 * third], &w[third..2 * third]);
    let test = 2 * third..rows.len();
    let calibrated: Vec<f64> = score[test.clone()].iter().map(|&s| platt.predict(s)).collect();
    // Odds of winning stated three times too high.
    let overstated: Vec<f64> = calibrated.iter().map(|&p| metrics::sigmoid(metrics::logit(p) + 3f64.ln())).collect();
    let y_test = &y[test.clone()];
    let days: Vec<i64> = rows[test].iter().map(|&i| ds.times[i].div_euclid(86_400)).collect();
    let every_row: Vec<i64> = (0..days.len() as i64).collect();
    let interval = |p: &[f64], blocks: &[i64]| metrics::ece_block_interval(p, y_test, blocks, 10, 500, 0.9, 7).unwrap();

    let (lo, hi) = interval(&calibrated, &days);
    assert!(0.0 <= lo && lo <= hi, "({lo}, {hi})");
    assert_eq!(interval(&calibrated, &days), (lo, hi), "fixed seed, same interval");
    // Rows of one day share label windows, so whole days vary more than single rows.
    let (rlo, rhi) = interval(&calibrated, &every_row);
    assert!(hi - lo > rhi - rlo, "days ({lo}, {hi}) vs rows ({rlo}, {rhi})");
    // The tripled odds are miscalibrated beyond what resampling days explains.
    let (slo, _) = interval(&overstated, &days);
    assert!(slo > hi, "tripled odds from {slo}, calibrated up to {hi}");
    // Too few days to say anything.
    let short: Vec<i64> = days.iter().map(|d| d % 9).collect();
    assert_eq!(metrics::ece_block_interval(&calibrated, y_test, &short, 10, 500, 0.9, 7), None);
}
