//! The `ml-ensemble` adapter on real candles: a missing candle empties the pair's window (never
//! filled), so no feature row spans it; the books of the gate balance; models the strategy
//! cannot trade are refused when it is built.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod realdata;

use cst_core::backtest::bars::to_bars;
use cst_core::event::PairId;
use cst_core::interval::Interval;
use cst_core::strategy::{BarView, SignalModel};
use cst_ml::MlError;
use cst_ml::features::WARMUP;
use cst_ml::labels::Side;
use cst_ml::pipeline::{Model, TrainConfig};
use cst_ml::recalibration::OnlineConfig;
use cst_ml::series::{Series, parse_ohlcvt};
use cst_ml::strategy::{MlEnsembleConfig, MlEnsembleGroup};

fn model() -> Model {
    let ds = realdata::dataset(2, 4_000, &[4]);
    let rows: Vec<usize> = (0..ds.len()).collect();
    Model::train(&ds, &rows, &TrainConfig::small(realdata::labels(&[4])), &mut |_| {}).unwrap()
}

#[test]
fn a_missing_candle_empties_the_window_and_no_feature_row_spans_it() {
    let text = cst_testdata::read_text("kraken/ohlcvt/intraday-2023/h1-15m/ETHUSD_15_2023H1_train.csv.gz");
    let rows = parse_ohlcvt(&text).unwrap();
    // A real gap in ETH/USD 15m (Kraken omits intervals without trades) with gap-free runs of 300
    // candles before it and 200 after it.
    let contiguous = |r: &[cst_core::candle::CandleRow]| r.windows(2).all(|w| w[1].time - w[0].time == 900);
    let gap = (300..rows.len() - 200)
        .find(|&i| {
            rows[i].time - rows[i - 1].time != 900 && contiguous(&rows[i - 300..i]) && contiguous(&rows[i..i + 200])
        })
        .expect("ETH/USD has such a gap");
    let slice = &rows[gap - 300..gap + 200];
    let bars = to_bars(PairId(0), slice, Interval::M15);
    assert!(bars.rejected.is_empty());

    let m = model();
    let config = MlEnsembleConfig { drift_window_days: 1, ..MlEnsembleConfig::default() };
    let group = MlEnsembleGroup::new("m-test", &m, 900, config).unwrap();
    let mut s = group.strategy("ETH/USD", bars.scale);
    assert_eq!(s.version(), Some("m-test"), "the strategy names the exact model (its registry id)");
    let series = Series::from_rows("ETH/USD", Interval::M15, slice);
    let mut judged_at = Vec::new();
    for (k, bar) in bars.bars.iter().enumerate() {
        let view = BarView { bar: *bar, open: 0.0, high: 0.0, low: 0.0, close: 0.0 };
        s.on_bar(&view);
        if let Some(o) = s.last() {
            judged_at.push(k);
            // The same candles as a batch series: the same feature row, so the same prediction.
            let x = cst_ml::features::row(&series, k).expect("judged only where the batch has a feature row");
            assert_eq!(o.prediction, m.horizons[0].predict(&x), "bar {k}");
        }
    }
    let r = group.report();
    assert_eq!(r.gap_resets, 1);
    // Each gap-free run needs WARMUP - 1 earlier candles before its first feature row.
    assert_eq!(r.no_features, 2 * (WARMUP as u64 - 1));
    assert_eq!(r.bars, slice.len() as u64);
    assert_eq!(r.signals_seen, r.bars - r.no_features);
    assert_eq!(r.signals_seen, judged_at.len() as u64);
    assert!(!judged_at.iter().any(|&k| (300..300 + WARMUP - 1).contains(&k)), "no row straddles the gap");
    assert_eq!(r.signals_seen, r.passed + r.refused);
    assert_eq!(r.refusal_combinations.values().sum::<u64>(), r.refused);
    // The drift window is empty at the start: the first day is refused for that, and said so.
    assert!(r.refusals.get("drift:drift_window_too_short").copied().unwrap_or(0) > 0, "{r:?}");
}

#[test]
fn refuses_models_it_cannot_trade() {
    let m = model();
    let mut renamed = m.clone();
    renamed.feature_names.swap(0, 1);
    let err = MlEnsembleGroup::new("m", &renamed, 900, MlEnsembleConfig::default()).unwrap_err();
    assert!(matches!(err, MlError::FeatureMismatch { .. }), "{err}");
    let mut short = m.clone();
    short.config.labels.side = Side::Short;
    assert!(MlEnsembleGroup::new("m", &short, 900, MlEnsembleConfig::default()).is_err(), "long/flat only");
    let other_horizon = MlEnsembleConfig { horizon: Some(16), ..MlEnsembleConfig::default() };
    let err = MlEnsembleGroup::new("m", &m, 900, other_horizon).unwrap_err();
    assert!(err.to_string().contains("not 16"), "{err}");
    let g = MlEnsembleGroup::new("m", &m, 900, MlEnsembleConfig::default()).unwrap();
    assert_eq!((g.horizon(), g.report().threshold), (4, 0.80), "the model's first horizon and own gate");
}

#[test]
fn payoff_is_the_fee_net_gain_at_the_top_over_the_loss_at_the_bottom_of_the_interval() {
    let fee = cst_ml::labels::Fee { taker: 0.004 };
    let b = cst_ml::strategy::payoff((-0.02, 0.03), fee);
    let gain = 0.03f64.exp() * 0.996 - 1.004;
    let loss = 1.004 - (-0.02f64).exp() * 0.996;
    assert!((b - gain / loss).abs() < 1e-12);
    assert_eq!(cst_ml::strategy::payoff((-0.02, 0.005), fee), 0.0, "an upside below the fees is no edge");
}

/// With one pair there is no other pair whose outcome a stream could learn late, so the strategy,
/// fed the candles one by one (those before the split only warm it up), recalibrates exactly as
/// `score_rows` does on the whole series: the same warm-up on the outcomes of rows the model never
/// fitted on, the same outcomes observed at the same decisions, the same drift verdicts, bit for bit.
#[test]
fn with_one_pair_the_stream_recalibrates_exactly_as_score_rows() {
    let text = cst_testdata::read_text("kraken/ohlcvt/intraday-2023/h1-15m/ETHUSD_15_2023H1_train.csv.gz");
    let rows = parse_ohlcvt(&text).unwrap();
    let rows = &rows[..9_000];
    let series = Series::from_rows("ETH/USD", Interval::M15, rows);
    let ds = cst_ml::dataset::Dataset::from_series(&[series], &realdata::labels(&[4]), i64::MIN, i64::MAX);
    let split = rows[6_000].time;
    let train: Vec<usize> = (0..ds.len()).filter(|&i| ds.times[i] < split && ds.targets[0].y[i].is_some()).collect();
    let mut cfg = TrainConfig::small(realdata::labels(&[4]));
    cfg.online = OnlineConfig::default();
    let m = Model::train(&ds, &train, &cfg, &mut |_| {}).unwrap();
    let hm = &m.horizons[0];
    assert!(hm.online.enabled && hm.unseen_from < split, "recalibrated, with unseen rows before the split");
    let unseen_known = (0..ds.len()).filter(|&i| ds.times[i] >= hm.unseen_from && ds.times[i] < split).count();
    assert!(unseen_known < hm.online.window, "the model's window takes every unseen outcome");
    stream_equals_batch(&m, &ds, rows, split);
    // A window shorter than the unseen outcomes before the split: the warm-up takes the latest.
    let mut short = m.clone();
    short.horizons[0].online.window = unseen_known / 3;
    short.horizons[0].online.min_outcomes = unseen_known / 6;
    stream_equals_batch(&short, &ds, rows, split);
}

fn stream_equals_batch(m: &Model, ds: &cst_ml::dataset::Dataset, rows: &[cst_core::candle::CandleRow], split: i64) {
    let hm = &m.horizons[0];

    let scored_rows: Vec<usize> = (0..ds.len()).filter(|&i| ds.times[i] >= split).collect();
    let alarms = cst_ml::evaluation::daily_feature_alarms(ds, &m.drift_refs, m.config.drift, 7);
    let batch = cst_ml::evaluation::score_rows(hm, ds, 0, &scored_rows, m.config.gate, m.config.drift, &alarms);

    let bars = to_bars(PairId(0), rows, Interval::M15);
    assert!(bars.rejected.is_empty());
    let group = MlEnsembleGroup::new("m-test", m, 900, MlEnsembleConfig::default()).unwrap();
    let mut s = group.strategy("ETH/USD", bars.scale);
    let mut judged = Vec::new();
    for bar in &bars.bars {
        if bar.stamp.exchange_ns / 1_000_000_000 < split {
            s.warm_up(bar, bars.scale);
            continue;
        }
        s.on_bar(&BarView { bar: *bar, open: 0.0, high: 0.0, low: 0.0, close: 0.0 });
        judged.extend(s.last().cloned());
    }
    assert_eq!(judged.len(), batch.len(), "every scored row is judged");
    let mut corrected = 0;
    for (o, b) in judged.iter().zip(&batch) {
        assert_eq!(o.time, ds.times[b.row]);
        assert_eq!(o.prediction.p.to_bits(), b.prediction.p.to_bits(), "recalibrated p at {}", o.time);
        assert_eq!(o.prediction, b.prediction, "at {}", o.time);
        assert_eq!(o.p_static.to_bits(), hm.predict(&ds.x[b.row]).p.to_bits());
        assert_eq!(o.decision, b.decision, "at {}", o.time);
        corrected += usize::from(o.prediction.p != o.p_static);
    }
    // Not vacuous: the online correction did move the probabilities.
    assert!(corrected > judged.len() / 2, "{corrected} of {} corrected", judged.len());
}
