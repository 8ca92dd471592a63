//! Walk-forward evaluation on the real 2023 H1 15-minute set of five Kraken pairs:
//! `cargo run --release -p cst-ml --example walkforward [-- OPTIONS]`.
//!
//! Options (for the development runs that chose the recipe; the acceptance run takes none):
//! - `dev`: use only the data before the first out-of-sample fold of the acceptance run
//!   (2023-01 → 2023-03), so choices are made without touching the reported folds;
//! - `small`: the small training configuration; `short`: label short trades;
//! - `h=16` (or `h=1,4`): horizons; `calib-on=oof|block` (the static calibrator learns from the
//!   out-of-fold predictions of the fit block plus the calibration block, the default, or from the
//!   calibration block alone); `calib=isotonic|platt`; `per-regime` (one static calibrator per
//!   volatility regime); `online=platt|intercept|off` (the causal online correction, off by
//!   default) and, for it, `window=N`, `prior=X`, `mix=on` (mixed with the static probability),
//!   `uniq=on` (each resolved outcome weighs 1/h instead of 1);
//! - `features=core`: an experiment, not the shipped recipe: the rows' features replaced by the
//!   issue-4 pipeline `cst_core::features` (base block + 1h context + regime one-hot + gap count;
//!   `bars_since_gap`, a growing counter, left out) plus this crate's `vol_64`, which the regime
//!   terciles need; rows where that pipeline has no value yet are dropped.

use cst_core::CandleRow;
use cst_core::features::{FeatureConfig, compute};
use cst_core::instrument::InstrumentSet;
use cst_core::interval::Interval;
use cst_ml::dataset::{Dataset, LabelConfig};
use cst_ml::labels::{Fee, LabelKind, Side};
use cst_ml::pipeline::{TrainConfig, labelled_rows};
use cst_ml::series::{Series, parse_ohlcvt};
use cst_ml::validation::{self, Timing};
use cst_ml::walkforward::{self, WalkForwardConfig};

#[path = "recipe/mod.rs"]
mod recipe;
use recipe::{arg, flag};

fn main() {
    let side = if flag("short") { Side::Short } else { Side::Long };
    let pairs = recipe::PAIRS;
    let raw: Vec<Vec<CandleRow>> = pairs
        .iter()
        .map(|(_, f)| {
            let text =
                cst_testdata::read_text(&format!("kraken/ohlcvt/intraday-2023/h1-15m/{f}_15_2023H1_train.csv.gz"));
            parse_ohlcvt(&text).expect("csv")
        })
        .collect();
    let series: Vec<Series> =
        pairs.iter().zip(&raw).map(|((p, _), r)| Series::from_rows(p, Interval::M15, r)).collect();
    let inst = InstrumentSet::from_asset_pairs_json(&cst_testdata::read_text(
        "kraken/rest-capture-2025/spot/http_asset_pairs.json",
    ))
    .expect("pairs");
    let fee = Fee::entry_tier(inst.iter().next().expect("one pair"));
    let horizons: Vec<usize> =
        arg("h").map_or(vec![1, 4, 16], |h| h.split(',').map(|v| v.parse().expect("h")).collect());
    let labels = LabelConfig { horizons, fee, side, kind: LabelKind::NetDirection };
    let mut cfg = if flag("small") { TrainConfig::small(labels.clone()) } else { TrainConfig::full(labels.clone()) };
    recipe::apply(&mut cfg);
    let wf = WalkForwardConfig::default();
    let mut ds = Dataset::from_series(&series, &labels, i64::MIN, i64::MAX);
    if flag("dev") {
        // The first decision time any acceptance fold reports on; labels must end before it too.
        let embargo = cfg.embargo_candles as i64 * cst_ml::pipeline::candle_secs(&ds);
        let all: Vec<usize> = (0..ds.len()).collect();
        let cutoff = (0..ds.targets.len())
            .filter_map(|k| {
                let timing = Timing { times: &ds.times, end_times: &ds.targets[k].end_time };
                let rows = labelled_rows(&ds, k, &all);
                let folds = validation::walk_forward(timing, &rows, wf.n_blocks, wf.min_train_blocks, wf.mode, embargo);
                let first = folds.len().saturating_sub(wf.last_folds);
                folds.get(first).and_then(|f| f.test.first()).map(|&i| ds.times[i])
            })
            .min()
            .expect("folds");
        eprintln!("dev: data before {cutoff} only");
        ds = Dataset::from_series(&series, &labels, i64::MIN, cutoff);
    }
    if arg("features").as_deref() == Some("core") {
        ds = core_features(&ds, &raw);
    }
    let rows: Vec<usize> = (0..ds.len()).collect();
    eprintln!(
        "features {} rows {} gaps {} fee {:?} online {:?} calib {:?}",
        ds.feature_names.len(),
        ds.len(),
        ds.gaps,
        fee,
        cfg.online,
        cfg.calibration
    );
    let t0 = std::time::Instant::now();
    let rep = walkforward::run(&ds, &rows, &cfg, &wf, &mut |h, f| eprintln!("h{h} fold {f} {:?}", t0.elapsed()))
        .expect("walk-forward");
    for h in &rep.horizons {
        let drift = h.refusals.get("drift").copied().unwrap_or(0);
        eprintln!(
            "SUMMARY h={} n={} auc={:.3} brier={:.4} ece={:.4} ece_90={:.4?} cov={:.3} cov_regime={:?} aci={:.3} gate={} drift_refusals={}",
            h.horizon,
            h.n,
            h.auc,
            h.brier,
            h.ece,
            h.ece_interval,
            h.coverage,
            h.coverage_by_regime,
            h.coverage_aci,
            h.gate.passed,
            drift
        );
        for b in h.reliability.iter().filter(|b| b.n > 0) {
            eprintln!("    [{:.1},{:.1}) n={} p={:.3} freq={:.3}", b.lo, b.hi, b.n, b.mean_p, b.freq);
        }
    }
    println!("{}", serde_json::to_string_pretty(&rep).expect("json"));
}

/// The dataset's rows with `cst_core::features` columns (plus `vol_64`) instead of this crate's.
fn core_features(ds: &Dataset, raw: &[Vec<CandleRow>]) -> Dataset {
    let cfg = FeatureConfig { contexts: vec![Interval::H1], ..FeatureConfig::default_for(Interval::M15) };
    let mats: Vec<_> = raw.iter().map(|r| compute(cfg.clone(), r).expect("features")).collect();
    let names = &mats[0].names;
    let keep_cols: Vec<usize> = (0..names.len()).filter(|&j| names[j] != "bars_since_gap").collect();
    let vol = ds.column("vol_64").expect("vol_64");
    let step = Interval::M15.secs();
    let mut out = Dataset {
        feature_names: keep_cols.iter().map(|&j| names[j].clone()).chain(["vol_64".to_string()]).collect(),
        pairs: ds.pairs.clone(),
        gaps: ds.gaps,
        ..Dataset::default()
    };
    out.targets =
        ds.targets.iter().map(|t| cst_ml::dataset::Target { horizon: t.horizon, ..Default::default() }).collect();
    for i in 0..ds.len() {
        let m = &mats[ds.pair_idx[i] as usize];
        let Ok(k) = m.times.binary_search(&(ds.times[i] - step)) else { continue };
        let row = m.row(k);
        let Some(mut x) = keep_cols.iter().map(|&j| row[j]).collect::<Option<Vec<f64>>>() else { continue };
        x.push(ds.x[i][vol]);
        out.x.push(x);
        out.times.push(ds.times[i]);
        out.pair_idx.push(ds.pair_idx[i]);
        for (t, s) in out.targets.iter_mut().zip(&ds.targets) {
            t.y.push(s.y[i]);
            t.log_return.push(s.log_return[i]);
            t.end_time.push(s.end_time[i]);
            t.weight.push(s.weight[i]);
        }
    }
    out
}
