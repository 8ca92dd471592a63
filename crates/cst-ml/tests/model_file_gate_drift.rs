//! Determinism of the whole recipe, the model file (hash, version, feature-name refusal), the
//! confidence gate's reasons and the drift alarms, on real candles.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod realdata;

use cst_ml::MlError;
use cst_ml::artifact::{Body, ModelFile, ModelMeta};
use cst_ml::conformal::ClassSet;
use cst_ml::drift::{self, BrierDecay, DriftLimits, Reference};
use cst_ml::gate::{Decision, Gate, Refusal};
use cst_ml::pipeline::{Model, TrainConfig};

fn trained() -> (cst_ml::dataset::Dataset, ModelFile) {
    let ds = realdata::dataset(2, 4_000, &[4]);
    let rows: Vec<usize> = (0..ds.len()).collect();
    let cfg = TrainConfig::small(realdata::labels(&[4]));
    let model = Model::train(&ds, &rows, &cfg, &mut |_| {}).unwrap();
    let meta = ModelMeta {
        pairs: ds.pairs.clone(),
        interval_secs: 900,
        train_from: ds.times[0],
        train_to: ds.times[ds.len() - 1] + 900,
        train_rows: rows.len(),
        data_hash: ds.fingerprint(&rows),
        metrics: serde_json::json!({}),
    };
    let file = ModelFile::seal(Body { meta, model }).unwrap();
    (ds, file)
}

#[test]
fn same_data_config_and_seed_give_the_same_hash_and_predictions_and_survive_a_reload() {
    let (ds, a) = trained();
    let (_, b) = trained();
    assert_eq!(a.header.content_hash, b.header.content_hash);
    assert_eq!(a.id(), b.id());
    let text = a.to_text().unwrap();
    let loaded = ModelFile::from_text(&text, &ds.feature_names).unwrap();
    assert_eq!(loaded.header, a.header);
    for i in (0..ds.len()).step_by(101) {
        let (p, q) = (a.body.model.horizons[0].predict(&ds.x[i]), loaded.body.model.horizons[0].predict(&ds.x[i]));
        assert_eq!(p, q, "row {i}: bit-identical after reload");
    }
    let mut other = TrainConfig::small(realdata::labels(&[4]));
    other.seed = 8;
    let m = Model::train(&ds, &(0..ds.len()).collect::<Vec<_>>(), &other, &mut |_| {}).unwrap();
    assert_ne!(m, a.body.model, "another seed, another model");
}

#[test]
fn loading_refuses_other_feature_names_a_tampered_body_and_another_version() {
    let (ds, file) = trained();
    let text = file.to_text().unwrap();
    let mut renamed = ds.feature_names.clone();
    renamed.swap(0, 1);
    assert!(matches!(ModelFile::from_text(&text, &renamed), Err(MlError::FeatureMismatch { .. })));
    let mut fewer = ds.feature_names.clone();
    fewer.pop();
    assert!(matches!(ModelFile::from_text(&text, &fewer), Err(MlError::FeatureMismatch { .. })));
    let tampered = text.replacen("\"horizon\":4", "\"horizon\":5", 1);
    let err = ModelFile::from_text(&tampered, &ds.feature_names).unwrap_err().to_string();
    assert!(err.contains("content hash"), "{err}");
    let v2 = text.replacen("\"format_version\":1", "\"format_version\":2", 1);
    assert!(ModelFile::from_text(&v2, &ds.feature_names).unwrap_err().to_string().contains("format version 2"));
}

#[test]
fn explanations_name_every_feature() {
    let (ds, file) = trained();
    let h = &file.body.model.horizons[0];
    let imp = h.importance();
    assert_eq!(imp.len(), ds.feature_names.len());
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let c = h.contributions(&ds.x[500]);
    assert_eq!(c.len(), ds.feature_names.len());
    assert!(c.iter().any(|v| v.abs() > 0.0));
}

#[test]
fn gate_passes_only_a_confident_single_class_prediction_without_drift() {
    let gate = Gate::default();
    let win = ClassSet { lose: false, win: true };
    assert_eq!(gate.decide(0.85, win, &[]), Decision::Pass { confidence: 0.85 });
    let Decision::Refuse(why) = gate.decide(0.79, ClassSet { lose: true, win: true }, &["psi:vol_64=0.400".into()])
    else {
        panic!("must refuse")
    };
    assert_eq!(why.len(), 3, "every reason is listed: {why:?}");
    assert!(matches!(why[0], Refusal::LowConfidence { .. }));
    assert!(matches!(why[1], Refusal::AmbiguousSet { .. }));
    assert!(matches!(&why[2], Refusal::Drift { alarms } if alarms[0].starts_with("psi:vol_64")));
    assert_eq!(
        gate.decide(0.9, ClassSet { lose: true, win: false }, &[]),
        Decision::Refuse(vec![Refusal::SetSaysLose])
    );
    assert!(!gate.decide(f64::NAN, win, &[]).passed(), "NaN is never confident");
}

#[test]
fn psi_counts_tied_deciles_instead_of_assuming_ten_percent_bins() {
    // AVAX/USD closes exactly at the candle's low or high about a quarter of the time each, so the
    // deciles of close_loc_1 are tied; assuming 10% bins made PSI alarm on every day.
    let series = [realdata::series_15m("AVAX/USD", "AVAXUSD", 8_000)];
    let ds = cst_ml::dataset::Dataset::from_series(&series, &realdata::labels(&[4]), i64::MIN, i64::MAX);
    let col = ds.column("close_loc_1").unwrap();
    let all: Vec<f64> = ds.x.iter().map(|r| r[col]).collect();
    let (first, second) = all.split_at(all.len() / 2);
    let reference = Reference::fit("close_loc_1", first);
    assert!(reference.edges.len() < 9, "tied deciles collapse: {:?}", reference.edges);
    assert!(drift::psi(&reference, second) < 0.1, "psi {}", drift::psi(&reference, second));
}

#[test]
fn drift_alarms_fire_on_a_shifted_window_and_stay_quiet_on_the_training_window() {
    let ds = realdata::dataset(1, 17_000, &[4]);
    let col = ds.column("vol_64").unwrap();
    let jan: Vec<f64> = ds.x[..2_800].iter().map(|r| r[col]).collect();
    let reference = Reference::fit("vol_64", &jan);
    assert!(drift::psi(&reference, &jan) < 0.01 && drift::ks(&reference, &jan) < 0.02);
    // March 2023 (US bank failures, USDC de-peg) against a calm January.
    let march: Vec<f64> = ds.x[5_600..8_500].iter().map(|r| r[col]).collect();
    assert!(drift::psi(&reference, &march) > 0.25, "psi {}", drift::psi(&reference, &march));
    let rows: Vec<&[f64]> = ds.x[5_600..8_500].iter().map(|r| &r[col..=col]).collect();
    let alarms = drift::feature_alarms(&[reference], &rows, DriftLimits::default());
    assert!(alarms.iter().any(|a| a.starts_with("psi:vol_64")), "{alarms:?}");
    let mut decay = BrierDecay::new(0.05, DriftLimits { brier_window: 10, ..DriftLimits::default() });
    (0..10).for_each(|_| decay.push(0.1, false));
    assert!(decay.alarm().is_none());
    (0..10).for_each(|_| decay.push(0.6, false));
    assert!(decay.alarm().unwrap().starts_with("brier_decay"));
}
