//! The feature pipeline on real Kraken candles: context timeframes aligned strictly by close
//! time, the gap policy, rejected rows, and agreement with the indicators it is built from.

mod support;

use cst_core::features::{FeatureConfig, FeatureError, FeaturePipeline, compute};
use cst_core::indicators::{Rsi, bar_of};
use cst_core::interval::Interval;
use std::collections::BTreeMap;

const XBT_HOURLY: &str = "kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz";

fn col(m: &cst_core::features::FeatureMatrix, name: &str) -> usize {
    m.names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn daily_context_uses_only_days_closed_by_the_candles_close_time() {
    let rows = support::rows(XBT_HOURLY)[20_000..21_500].to_vec();
    let m = compute(FeatureConfig::default_for(Interval::H1), &rows).expect("features");
    let k = col(&m, "1d_ret_1");
    // Each UTC day's close is the close of its last hourly candle.
    let mut day_close: BTreeMap<i64, f64> = BTreeMap::new();
    for r in &rows {
        day_close.insert(r.time.div_euclid(86_400), bar_of(r).close);
    }
    let first_day = rows[0].time.div_euclid(86_400);
    let mut checked = 0;
    for (i, t) in m.times.iter().enumerate() {
        // Days that had closed when this hourly candle closed (at t + 1h).
        let last_closed = (t + 3_600).div_euclid(86_400) - 1;
        let want = (last_closed > first_day).then(|| (day_close[&last_closed] / day_close[&(last_closed - 1)]).ln());
        let got = m.row(i)[k];
        match (got, want) {
            (Some(a), Some(b)) => {
                assert!((a - b).abs() < 1e-12, "row {i}: {a} vs {b}");
                checked += 1;
            }
            (a, b) => assert_eq!(a, b, "row {i} time {t}"),
        }
    }
    assert!(checked > 1_000);
}

#[test]
fn base_rsi_feature_is_the_talib_rsi_of_the_rows_when_no_gap_resets() {
    let rows = support::rows(XBT_HOURLY)[20_000..21_500].to_vec();
    let m = compute(FeatureConfig::default_for(Interval::H1), &rows).expect("features");
    let closes: Vec<f64> = rows.iter().map(|r| bar_of(r).close).collect();
    let rsi = Rsi::batch(14, &closes).expect("rsi");
    let k = col(&m, "rsi_14");
    for i in 0..rows.len() {
        assert_eq!(m.row(i)[k], rsi.get(i), "row {i}");
    }
}

#[test]
fn long_gap_resets_every_indicator_and_short_gap_is_flagged_only() {
    let all = support::rows(XBT_HOURLY);
    let rows = &all[25_600..26_800];
    let m = compute(FeatureConfig::default_for(Interval::H1), rows).expect("features");
    let (rsi, gap, since) = (col(&m, "rsi_14"), col(&m, "gap_missing"), col(&m, "bars_since_gap"));
    // Row 216 follows a 2-interval gap: flagged, indicators continue.
    assert_eq!(m.row(216)[gap], Some(2.0));
    assert_eq!(m.row(216)[since], Some(0.0));
    assert!(m.row(216)[rsi].is_some());
    // Row 986 follows a 23-interval gap (> 12): everything warms up again.
    assert_eq!(m.row(986)[gap], Some(23.0));
    assert!(m.row(985)[rsi].is_some());
    for i in 986..986 + 14 {
        assert_eq!(m.row(i)[rsi], None, "row {i} would span the long gap");
    }
    assert!(m.row(987 + 20)[rsi].is_some(), "warmed up again");
}

#[test]
fn duplicate_and_out_of_order_candles_are_rejected_and_counted() {
    let all = support::rows(XBT_HOURLY);
    let mut rows = all[20_000..20_010].to_vec();
    rows.insert(5, rows[4].clone());
    rows.insert(8, rows[2].clone());
    let m = compute(FeatureConfig::default_for(Interval::H1), &rows).expect("features");
    assert_eq!(m.times.len(), 10);
    assert_eq!(m.rejected.len(), 2);
    assert!(matches!(m.rejected[0], FeatureError::NotAfterPrevious { .. }));
}

#[test]
fn context_must_be_a_multiple_of_the_base_interval() {
    let mut c = FeatureConfig::default_for(Interval::H4);
    c.contexts = vec![Interval::H1];
    assert!(FeaturePipeline::new(c).is_err());
}

#[test]
fn regime_columns_equal_the_standalone_regime_detector() {
    use cst_core::regime::{Regime, RegimeDetector, RegimeParams};
    let rows = support::rows(XBT_HOURLY)[20_000..21_500].to_vec();
    let m = compute(FeatureConfig::default_for(Interval::H1), &rows).expect("features");
    let want = RegimeDetector::batch(RegimeParams::default(), rows.iter().map(bar_of)).expect("regimes");
    let cols: Vec<usize> = Regime::ALL.iter().map(|r| col(&m, &format!("regime_{}", r.name()))).collect();
    let mut classified = 0;
    for (i, w) in want.iter().enumerate() {
        for (r, k) in Regime::ALL.iter().zip(&cols) {
            assert_eq!(m.row(i)[*k], w.map(|w| f64::from(u8::from(w == *r))), "row {i} {r:?}");
        }
        classified += usize::from(w.is_some());
    }
    assert!(classified > 700);
}
