//! Lookahead protection, tested: the features of a candle never change when later candles are
//! added or removed. The pipeline is run on a real series and then on every prefix of it.

mod support;

use cst_core::CandleRow;
use cst_core::features::{FeatureConfig, FeatureMatrix, compute};
use cst_core::interval::Interval;

const XBT_HOURLY: &str = "kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz";

/// 1,200 real hourly candles of XBT/USD (2016-12 → 2017-01 region of Kraken's dump) that hold
/// short gaps and, 986 rows in, two gaps long enough to reset the pipeline.
fn slice() -> Vec<CandleRow> {
    support::rows(XBT_HOURLY)[25_600..26_800].to_vec()
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    a.map(f64::to_bits) == b.map(f64::to_bits)
}

fn assert_prefix_agrees(full: &FeatureMatrix, prefix: &FeatureMatrix) {
    for i in 0..prefix.times.len() {
        assert_eq!(prefix.times[i], full.times[i]);
        for (k, name) in full.names.iter().enumerate() {
            let (a, b) = (prefix.row(i)[k], full.row(i)[k]);
            assert!(
                same(a, b),
                "{name} at row {i} (time {}) is {a:?} on a prefix but {b:?} with later data",
                full.times[i]
            );
        }
    }
}

#[test]
fn no_feature_of_the_default_set_changes_when_later_candles_are_added_or_removed() {
    let rows = slice();
    let config = FeatureConfig::default_for(Interval::H1);
    let full = compute(config.clone(), &rows).expect("features");
    assert_eq!(full.times.len(), rows.len(), "no candle rejected");
    for len in 1..rows.len() {
        let prefix = compute(config.clone(), &rows[..len]).expect("features");
        assert_prefix_agrees(&full, &prefix);
    }
    // Not vacuous: every feature of the default set has values in this window.
    for (k, name) in full.names.iter().enumerate() {
        let with_value = (0..full.times.len()).filter(|i| full.row(*i)[k].is_some()).count();
        assert!(with_value > 0, "{name} never has a value in the test window");
    }
}

#[test]
fn no_feature_of_the_15m_default_set_with_1h_and_1d_context_changes_when_later_candles_come() {
    // 3,200 real 15-minute candles (Jan–Feb 2023): enough for the 1d context to warm up. Prefixes
    // are cut every 13 candles, so the cuts fall at every quarter of the hour and drift through the day.
    let rows = support::rows("kraken/ohlcvt/intraday-2023/h1-15m/XBTUSD_15_2023H1_train.csv.gz")[..3_200].to_vec();
    let config = FeatureConfig::default_for(Interval::M15);
    assert_eq!(config.contexts, [Interval::H1, Interval::D1]);
    let full = compute(config.clone(), &rows).expect("features");
    for len in (1..rows.len()).step_by(13) {
        let prefix = compute(config.clone(), &rows[..len]).expect("features");
        assert_prefix_agrees(&full, &prefix);
    }
    for (k, name) in full.names.iter().enumerate() {
        assert!((0..full.times.len()).any(|i| full.row(i)[k].is_some()), "{name} never has a value");
    }
}

#[test]
fn two_runs_over_the_same_rows_agree_bit_for_bit() {
    let rows = slice();
    let config = FeatureConfig::default_for(Interval::H1);
    let a = compute(config.clone(), &rows).expect("a");
    let b = compute(config, &rows).expect("b");
    assert_eq!(a, b);
}
