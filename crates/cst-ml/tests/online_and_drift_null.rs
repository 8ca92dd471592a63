//! Causal online recalibration and drift limits taken from the training period's own null
//! distribution, on real candles and their real labels.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod realdata;

use cst_ml::drift::{self, DriftLimits};
use cst_ml::evaluation;
use cst_ml::gate::Gate;
use cst_ml::pipeline::{Model, TrainConfig, labelled_rows};
use cst_ml::recalibration::{OnlineConfig, OnlineRecalibrator};
use std::collections::BTreeMap;

/// Real horizon-4 outcomes of two pairs, in time order.
fn real_outcomes() -> Vec<bool> {
    let ds = realdata::dataset(2, 6_000, &[4]);
    ds.targets[0].y.iter().flatten().copied().collect()
}

#[test]
fn online_recalibration_is_the_identity_until_enough_outcomes_have_resolved() {
    let cfg = OnlineConfig { min_outcomes: 500, ..OnlineConfig::default() };
    let mut r = OnlineRecalibrator::new(cfg, 1);
    for &y in &real_outcomes()[..499] {
        r.observe(0.01, y);
    }
    assert_eq!(r.apply(0.01), 0.01);
    assert_eq!(r.map(), (1.0, 0.0));
    let off = OnlineRecalibrator::new(OnlineConfig::off(), 1);
    assert_eq!(off.apply(0.3), 0.3);
}

#[test]
fn online_recalibration_moves_a_wrong_static_probability_to_the_observed_win_rate() {
    let y = real_outcomes();
    let window = 3_000;
    let recent = &y[y.len() - window..];
    let rate = recent.iter().filter(|&&v| v).count() as f64 / window as f64;
    assert!(rate > 0.03, "real horizon-4 long wins after fees: {rate}");
    for fit_slope in [true, false] {
        let cfg = OnlineConfig { window, fit_slope, prior: 1e-6, mix_with_static: true, ..OnlineConfig::default() };
        let mut r = OnlineRecalibrator::new(cfg, 1);
        // A static calibrator that says 1% while the market pays out several times as often.
        y.iter().for_each(|&v| r.observe(0.01, v));
        let p = r.apply(0.01);
        assert!((p - rate).abs() < 0.01 * rate, "slope {fit_slope}: corrected {p} vs observed {rate}");
        assert!(r.corrected_weight() > 0.999, "the correction predicted far better than the static 1%");
    }
    // The default prior shrinks the correction towards the static probability, a little.
    let mut r = OnlineRecalibrator::new(OnlineConfig { window, fit_slope: false, ..OnlineConfig::default() }, 1);
    y.iter().for_each(|&v| r.observe(0.01, v));
    let p = r.apply(0.01);
    assert!(p > 0.8 * rate && p < rate, "shrunk {p} vs observed {rate}");
}

#[test]
fn the_mix_lies_between_the_static_and_the_corrected_probability() {
    // Real outcomes, a static map that is right on average but flat (the rate of the whole set):
    // the correction cannot beat it by much, so neither side dominates completely.
    let y = real_outcomes();
    let rate = y.iter().filter(|&&v| v).count() as f64 / y.len() as f64;
    let cfg = OnlineConfig { window: 2_000, min_outcomes: 200, mix_with_static: true, ..OnlineConfig::default() };
    let (mut mixed, mut alone) =
        (OnlineRecalibrator::new(cfg, 1), OnlineRecalibrator::new(OnlineConfig { mix_with_static: false, ..cfg }, 1));
    for &v in &y {
        mixed.observe(rate, v);
        alone.observe(rate, v);
    }
    let (w, corrected, p) = (mixed.corrected_weight(), alone.apply(rate), mixed.apply(rate));
    assert_eq!(alone.corrected_weight(), 1.0);
    assert!(w > 0.0 && w < 1.0, "weight {w}");
    assert!((p - (w * corrected + (1.0 - w) * rate)).abs() < 1e-12, "{p} = {w}·{corrected} + (1−{w})·{rate}");
}

#[test]
fn online_recalibration_is_deterministic_and_remembers_only_its_window() {
    let y = real_outcomes();
    let cfg = OnlineConfig { window: 1_000, min_outcomes: 200, refit_every: 1, ..OnlineConfig::default() };
    let p_of = |k: usize| 0.02 + 0.3 * (k % 7) as f64 / 7.0;
    let feed = |from: usize| {
        let mut r = OnlineRecalibrator::new(cfg, 1);
        (from..y.len()).for_each(|k| r.observe(p_of(k), y[k]));
        r
    };
    let (a, b) = (feed(0), feed(0));
    assert_eq!(a, b, "same outcomes, same state bit for bit");
    let fresh = feed(y.len() - 1_000);
    let ((a1, b1), (a2, b2)) = (a.map(), fresh.map());
    assert!((a1 - a2).abs() < 1e-6 && (b1 - b2).abs() < 1e-6, "({a1},{b1}) vs ({a2},{b2})");
    assert_eq!(a.outcomes(), 1_000);
}

#[test]
fn overlapping_outcomes_count_as_one_over_h_independent_observations() {
    // Real horizon-4 outcomes, a static map that says 1% everywhere. Weighing each outcome 1/h is
    // the same penalised fit as counting it fully with an h-times stronger prior and an h-times
    // larger minimum: h overlapping labels carry about one independent outcome between them.
    let y = real_outcomes();
    let h = 4;
    let p_of = |k: usize| 0.01 + 0.2 * (k % 5) as f64 / 5.0;
    let base = OnlineConfig { window: 4_000, min_outcomes: 300, refit_every: 1, ..OnlineConfig::default() };
    let weighted_cfg = OnlineConfig { uniqueness_weighting: true, ..base };
    let counted_cfg =
        OnlineConfig { uniqueness_weighting: false, prior: base.prior * h as f64, min_outcomes: 300 * h, ..base };
    let (mut weighted, mut counted) =
        (OnlineRecalibrator::new(weighted_cfg, h), OnlineRecalibrator::new(counted_cfg, 1));
    for (k, &v) in y.iter().enumerate() {
        weighted.observe(p_of(k), v);
        counted.observe(p_of(k), v);
        if k + 1 == 300 * h - 1 {
            assert_eq!(
                weighted.map(),
                (1.0, 0.0),
                "{} outcomes of horizon {h} are not yet 300 independent ones",
                k + 1
            );
        }
    }
    let ((a1, b1), (a2, b2)) = (weighted.map(), counted.map());
    assert!((a1 - a2).abs() < 1e-6 && (b1 - b2).abs() < 1e-6, "({a1},{b1}) vs ({a2},{b2})");
    assert_ne!((a1, b1), (1.0, 0.0), "the correction is active");
    // A full count would weigh the same evidence h times as much and give a sharper map.
    let mut unweighted = OnlineRecalibrator::new(OnlineConfig { uniqueness_weighting: false, ..base }, h);
    y.iter().enumerate().for_each(|(k, &v)| unweighted.observe(p_of(k), v));
    let (a3, b3) = unweighted.map();
    assert!((a3 - 1.0).abs() + b3.abs() > (a1 - 1.0).abs() + b1.abs(), "({a3},{b3}) vs ({a1},{b1})");
}

/// A small model trained on the first 60% of two pairs' rows, and the rest to score.
fn model_and_test_rows() -> (cst_ml::dataset::Dataset, Model, Vec<usize>) {
    let ds = realdata::dataset(2, 6_000, &[4]);
    let cut = ds.len() * 6 / 10;
    let train: Vec<usize> = (0..cut).collect();
    let mut cfg = TrainConfig::small(realdata::labels(&[4]));
    cfg.online = OnlineConfig { window: 1_000, min_outcomes: 200, ..OnlineConfig::default() };
    let model = Model::train(&ds, &train, &cfg, &mut |_| {}).unwrap();
    let test = labelled_rows(&ds, 0, &(cut..ds.len()).collect::<Vec<_>>());
    (ds, model, test)
}

#[test]
fn scored_probabilities_and_adaptive_sets_use_only_outcomes_known_at_their_decision_time() {
    let (ds, model, test) = model_and_test_rows();
    let m = &model.horizons[0];
    let score = |ds: &cst_ml::dataset::Dataset| {
        evaluation::score_rows(m, ds, 0, &test, Gate::default(), DriftLimits::default(), &BTreeMap::new())
    };
    let before = score(&ds);
    let corrected = before.iter().filter(|s| s.prediction.p != m.predict(&ds.x[s.row]).p).count();
    assert!(corrected > test.len() / 2, "the online correction is active on most rows ({corrected})");
    // Flip every outcome not yet known at the decision time of test row k: nothing up to k may move.
    let k = test.len() / 2;
    let t_k = ds.times[test[k]];
    let mut flipped = ds.clone();
    let t = &mut flipped.targets[0];
    for i in 0..flipped.times.len() {
        if t.end_time[i] > t_k {
            t.y[i] = t.y[i].map(|v| !v);
        }
    }
    let after = score(&flipped);
    for j in 0..=k {
        // Probability, gate decision and adaptive conformal set alike.
        assert_eq!(before[j], after[j], "row {j} saw an unresolved outcome");
    }
    assert!(before[k + 1..].iter().zip(&after[k + 1..]).any(|(a, b)| a.prediction.p != b.prediction.p));
    assert!(before[k + 1..].iter().zip(&after[k + 1..]).any(|(a, b)| a.aci_set != b.aci_set), "the ACI adapts");
}

#[test]
fn the_online_correction_keeps_the_conformal_set_of_the_static_probability() {
    let (ds, model, test) = model_and_test_rows();
    let m = &model.horizons[0];
    let scored = evaluation::score_rows(m, &ds, 0, &test, Gate::default(), DriftLimits::default(), &BTreeMap::new());
    for s in &scored {
        assert_eq!(s.prediction.set, m.predict(&ds.x[s.row]).set);
    }
}

#[test]
fn drift_limits_from_the_training_null_stay_quiet_inside_training_and_alarm_beyond_it() {
    let ds = realdata::dataset(5, 11_000, &[4]);
    // 2023-01-01 to 2023-02-15 as the training period, the rest (to mid-April) beyond it.
    let cut = ds.times.partition_point(|&t| t < 1_676_419_200);
    let train: Vec<usize> = (0..cut).collect();
    let refs = evaluation::drift_references(&ds, &train, 7);
    let vol = &refs[ds.column("vol_64").unwrap()];
    // A volatility level moves a lot within six weeks: a fixed PSI of 0.25 alarms inside training.
    assert!(vol.null_psi.unwrap() > 0.25, "null PSI of vol_64 {:?}", vol.null_psi);
    let limits = DriftLimits::default();
    let alarms = evaluation::daily_feature_alarms(&ds, &refs, limits, 7);
    let day = |i: usize| ds.times[i].div_euclid(86_400);
    let (first_day, last_day) = (day(0), day(cut - 1));
    for (d, a) in alarms.range(first_day + 8..=last_day) {
        assert!(a.is_empty(), "day {d} (a whole window inside the training period) alarmed: {a:?}");
    }
    let fixed: Vec<_> = refs.iter().cloned().map(|r| drift::Reference { null_psi: None, null_ks: None, ..r }).collect();
    let fixed_alarms = evaluation::daily_feature_alarms(&ds, &fixed, limits, 7);
    let count = |a: &BTreeMap<i64, Vec<String>>| a.range(last_day + 1..).map(|(_, v)| v.len()).sum::<usize>();
    let (null_count, fixed_count) = (count(&alarms), count(&fixed_alarms));
    assert!(null_count > 0 && null_count * 2 < fixed_count, "alarms after training: {null_count} vs {fixed_count}");
    // March 2023 (US bank failures, USDC de-peg): volatility beyond every training week.
    let march = alarms.range(19_417..19_448).filter(|(_, v)| v.iter().any(|a| a.starts_with("psi:vol_64"))).count();
    assert!(march > 0, "no vol_64 alarm in March 2023");
}

#[test]
fn brier_decay_alarms_only_beyond_the_worst_window_of_the_held_out_block() {
    // Real outcomes scored by a constant 5%: the rolling Brier of 500 rows follows the win rate of
    // those rows, which varies by week far more than the 1.25 factor.
    let y = real_outcomes();
    let limits = DriftLimits { brier_window: 500, ..DriftLimits::default() };
    let p = vec![0.05; y.len()];
    let reference = cst_ml::metrics::brier(&p, &y);
    let null = drift::BrierDecay::null_ratio(&p, &y, reference, limits).unwrap();
    assert!(null > limits.brier_ratio, "weekly Brier moves beyond the fixed factor inside the block: {null}");
    let mut fixed = drift::BrierDecay::new(reference, limits);
    let mut with_null = drift::BrierDecay::with_null(reference, Some(null), limits);
    let (mut worst, mut fixed_fired) = ((0.0, 0), false);
    for k in 0..y.len() {
        fixed.push(p[k], y[k]);
        fixed_fired |= fixed.alarm().is_some();
        with_null.push(p[k], y[k]);
        if let Some(b) = with_null.rolling().filter(|b| *b > worst.0) {
            worst = (b, k);
        }
        assert!(with_null.alarm().is_none(), "row {k}: the held-out block itself never alarms");
    }
    assert!(fixed_fired, "the fixed factor alone alarms inside the held-out block");
    assert!((worst.0 / reference - null).abs() < 1e-9);
    // A model that turned into a coin flip is far beyond any held-out week.
    (0..500).for_each(|k| with_null.push(0.5, y[k]));
    assert!(with_null.alarm().unwrap().starts_with("brier_decay"));
}

#[test]
fn a_model_written_before_online_recalibration_and_drift_nulls_loads_and_scores_as_before() {
    let (ds, model, test) = model_and_test_rows();
    // Strip every field this version added, as in a file written by the previous version.
    let mut v = serde_json::to_value(&model).unwrap();
    v["config"].as_object_mut().unwrap().remove("online");
    for h in v["horizons"].as_array_mut().unwrap() {
        for k in ["online", "unseen_from", "holdout_brier_null_ratio"] {
            h.as_object_mut().unwrap().remove(k);
        }
    }
    for r in v["drift_refs"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("null_psi");
        r.as_object_mut().unwrap().remove("null_ks");
    }
    let old: Model = serde_json::from_value(v).unwrap();
    assert!(!old.config.online.enabled && !old.horizons[0].online.enabled);
    assert!(old.drift_refs.iter().all(|r| r.null_psi.is_none() && r.null_ks.is_none()));
    let m = &old.horizons[0];
    let scored = evaluation::score_rows(m, &ds, 0, &test, Gate::default(), DriftLimits::default(), &BTreeMap::new());
    for s in &scored {
        assert_eq!(s.prediction, m.predict(&ds.x[s.row]), "without online settings the static prediction stands");
    }
}
