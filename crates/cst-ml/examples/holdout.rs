//! The June-2023 holdout of BENCHMARKS.md through the library, the same steps as `cst train --from
//! 2023-01-01 --to 2023-06-01` (its final fit; the walk-forward it also runs does not change the
//! model) followed by `cst evaluate --from 2023-06-01 --to 2023-07-01`: candles before June serve
//! only as feature, drift and recalibration warm-up.
//! `cargo run --release -p cst-ml --example holdout [-- OPTIONS]`, with the recipe options of the
//! `walkforward` example (`online=`, `mix=`, `uniq=`, `calib=`, ...) and `short-warmup`.

use cst_core::candle::CandleRow;
use cst_core::instrument::InstrumentSet;
use cst_core::interval::Interval;
use cst_ml::dataset::{Dataset, LabelConfig};
use cst_ml::evaluation;
use cst_ml::features::WARMUP;
use cst_ml::labels::{Fee, LabelKind, Side};
use cst_ml::pipeline::{Model, TrainConfig, labelled_rows};
use cst_ml::series::{Series, parse_ohlcvt};
use cst_ml::walkforward::WalkForwardConfig;

#[path = "recipe/mod.rs"]
mod recipe;

const TRAIN_FROM: i64 = 1_672_531_200; // 2023-01-01
const SPLIT: i64 = 1_685_577_600; // 2023-06-01
const TEST_TO: i64 = 1_688_169_600; // 2023-07-01

fn main() {
    let pairs = recipe::PAIRS;
    let rows: Vec<(&str, Vec<CandleRow>)> = pairs
        .iter()
        .map(|(p, f)| {
            let text =
                cst_testdata::read_text(&format!("kraken/ohlcvt/intraday-2023/h1-15m/{f}_15_2023H1_train.csv.gz"));
            (*p, parse_ohlcvt(&text).expect("csv"))
        })
        .collect();
    // Candles with open times in [lo, to), as the store hands them to the CLI.
    let series = |lo: i64, to: i64| -> Vec<Series> {
        rows.iter()
            .map(|(p, r)| {
                let cut: Vec<CandleRow> = r.iter().filter(|c| c.time >= lo && c.time < to).cloned().collect();
                Series::from_rows(p, Interval::M15, &cut)
            })
            .collect()
    };
    let set = InstrumentSet::from_asset_pairs_json(&cst_testdata::read_text(
        "kraken/rest-capture-2025/spot/http_asset_pairs.json",
    ))
    .expect("pairs");
    let fee = Fee::entry_tier(set.get("XBT/USD").or_else(|| set.iter().next()).expect("a pair"));
    let labels = LabelConfig { horizons: vec![1, 4, 16], fee, side: Side::Long, kind: LabelKind::NetDirection };
    let mut cfg = TrainConfig::full(labels.clone());
    recipe::apply(&mut cfg);
    eprintln!("online {:?} calib {:?}", cfg.online, cfg.calibration);
    let step = Interval::M15.secs();
    let train = Dataset::from_series(&series(TRAIN_FROM - WARMUP as i64 * step, SPLIT), &labels, TRAIN_FROM, SPLIT);
    let t0 = std::time::Instant::now();
    let model = Model::train(&train, &(0..train.len()).collect::<Vec<_>>(), &cfg, &mut |_| {}).expect("train");
    eprintln!("trained on {} rows in {:?}", train.len(), t0.elapsed());
    let days = WalkForwardConfig::default().drift_window_days;
    // Warm-up: the drift window, or as many days as the recalibrator's window of outcomes spans
    // (the recalibrator itself takes only rows the model never fitted on).
    let warm_days = if recipe::flag("short-warmup") {
        days
    } else {
        evaluation::warm_up_days(&model.horizons, pairs.len(), step).max(days)
    };
    let warm_from = SPLIT - warm_days * 86_400;
    let ds = Dataset::from_series(&series(warm_from - WARMUP as i64 * step, TEST_TO), &labels, warm_from, TEST_TO);
    let scored_rows: Vec<usize> = (0..ds.len()).filter(|&i| ds.times[i] >= SPLIT).collect();
    let alarms = evaluation::daily_feature_alarms(&ds, &model.drift_refs, cfg.drift, days);
    let mut reports = Vec::new();
    for (k, hm) in model.horizons.iter().enumerate() {
        let labelled = labelled_rows(&ds, k, &scored_rows);
        let scored = evaluation::score_rows(hm, &ds, k, &labelled, cfg.gate, cfg.drift, &alarms);
        let r = evaluation::report(hm, &ds, k, &scored);
        eprintln!(
            "SUMMARY h={} n={} auc={:.3} brier={:.4} (no-skill {:.4}) log_loss={:.3} ece={:.4} ece_90={:.4?} cov={:.3} aci={:.3} gate={} drift_refusals={}",
            r.horizon,
            r.n,
            r.auc,
            r.brier,
            r.brier_base_rate,
            r.log_loss,
            r.ece,
            r.ece_interval,
            r.coverage,
            r.coverage_aci,
            r.gate.passed,
            r.refusals.get("drift").copied().unwrap_or(0)
        );
        reports.push(r);
    }
    println!("{}", serde_json::to_string_pretty(&reports).expect("json"));
}
