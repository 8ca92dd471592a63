//! Criterion benchmarks on the real 2023 H1 15-minute set of five Kraken pairs: training one
//! horizon of the full stack, and single-prediction latency through features + ensemble +
//! calibration + conformal. Run: `cargo bench -p cst-ml --bench ml`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use criterion::{Criterion, criterion_group, criterion_main};
use cst_core::instrument::InstrumentSet;
use cst_core::interval::Interval;
use cst_ml::dataset::{Dataset, LabelConfig};
use cst_ml::features;
use cst_ml::labels::{Fee, LabelKind, Side};
use cst_ml::pipeline::{Model, TrainConfig};
use cst_ml::recalibration::{OnlineConfig, OnlineRecalibrator};
use cst_ml::series::{Series, parse_ohlcvt};
use std::hint::black_box;
use std::time::Duration;

const PAIRS: [(&str, &str); 5] = [
    ("XBT/USD", "XBTUSD"),
    ("ETH/USD", "ETHUSD"),
    ("SOL/USD", "SOLUSD"),
    ("DOT/USD", "DOTUSD"),
    ("AVAX/USD", "AVAXUSD"),
];

fn setup(horizons: &[usize]) -> (Vec<Series>, Dataset, TrainConfig) {
    let series: Vec<Series> = PAIRS
        .iter()
        .map(|(p, f)| {
            let text =
                cst_testdata::read_text(&format!("kraken/ohlcvt/intraday-2023/h1-15m/{f}_15_2023H1_train.csv.gz"));
            Series::from_rows(p, Interval::M15, &parse_ohlcvt(&text).unwrap())
        })
        .collect();
    let body = cst_testdata::read_text("kraken/rest-capture-2025/spot/http_asset_pairs.json");
    let fee = Fee::entry_tier(InstrumentSet::from_asset_pairs_json(&body).unwrap().iter().next().unwrap());
    let labels = LabelConfig { horizons: horizons.to_vec(), fee, side: Side::Long, kind: LabelKind::NetDirection };
    let ds = Dataset::from_series(&series, &labels, i64::MIN, i64::MAX);
    (series, ds, TrainConfig::full(labels))
}

fn bench_training(c: &mut Criterion) {
    let (_, ds, cfg) = setup(&[4]);
    let rows: Vec<usize> = (0..ds.len()).collect();
    let mut g = c.benchmark_group("train");
    g.sample_size(10).warm_up_time(Duration::from_millis(1)).measurement_time(Duration::from_secs(1));
    g.bench_function("full_stack_one_horizon_5_pairs_15m_h1_2023", |b| {
        b.iter(|| Model::train(black_box(&ds), &rows, &cfg, &mut |_| {}).unwrap())
    });
    g.finish();
}

fn bench_prediction(c: &mut Criterion) {
    let (series, ds, cfg) = setup(&[4]);
    let rows: Vec<usize> = (0..ds.len()).collect();
    let model = Model::train(&ds, &rows, &cfg, &mut |_| {}).unwrap();
    let h = &model.horizons[0];
    let s = &series[0];
    let mut i = features::WARMUP;
    c.bench_function("predict_one_features_ensemble_calibration_conformal", |b| {
        b.iter(|| {
            i = if i + 1 >= s.len() { features::WARMUP } else { i + 1 };
            let row = features::row(black_box(s), i);
            row.map(|r| h.predict(&r))
        })
    });
    // The scoring path: the same, then the causal online correction, warmed up on the real
    // outcomes of the latest rows (the refit happens when outcomes resolve, not per prediction).
    // Switched on here with its default settings: `TrainConfig::full` leaves it off.
    let online_cfg = OnlineConfig::default();
    let mut online = OnlineRecalibrator::new(online_cfg, h.horizon);
    let t = &ds.targets[0];
    for k in rows.iter().rev().take(online_cfg.window).rev() {
        if let Some(win) = t.y[*k] {
            online.observe(h.predict(&ds.x[*k]).p, win);
        }
    }
    c.bench_function("predict_one_features_ensemble_calibration_online_recalibration_conformal", |b| {
        b.iter(|| {
            i = if i + 1 >= s.len() { features::WARMUP } else { i + 1 };
            let row = features::row(black_box(s), i);
            row.map(|r| h.recalibrate(&h.predict(&r), &online))
        })
    });
}

criterion_group!(benches, bench_prediction, bench_training);
criterion_main!(benches);
