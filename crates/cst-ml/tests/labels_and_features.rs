//! Features never look ahead, labels never span a gap and are net of Kraken's real fees, and
//! overlapping labels are down-weighted by their uniqueness.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod realdata;

use cst_ml::features::{self, WARMUP};
use cst_ml::labels::{self, Fee, Side, average_uniqueness};
use cst_ml::series::Series;

#[test]
fn features_at_a_candle_do_not_change_when_later_candles_are_removed() {
    let full = realdata::series_15m("SOL/USD", "SOLUSD", 2_000);
    let text = cst_testdata::read_text("kraken/ohlcvt/intraday-2023/h1-15m/SOLUSD_15_2023H1_train.csv.gz");
    let rows = cst_ml::series::parse_ohlcvt(&text).unwrap();
    for i in [WARMUP - 1, 100, 777, 1_500, 1_999] {
        let truncated = Series::from_rows("SOL/USD", cst_core::interval::Interval::M15, &rows[..=i]);
        let a = features::row(&full, i).unwrap();
        let b = features::row(&truncated, i).unwrap();
        assert_eq!(a, b, "feature row at {i} used candles after it");
    }
    assert!(features::row(&full, WARMUP - 2).is_none(), "a row needs {WARMUP} candles of history");
}

#[test]
fn no_feature_window_and_no_label_spans_a_real_gap() {
    let s = realdata::series_hourly_with_gaps(3_000);
    assert!(s.gaps >= 5, "the 2015 hourly dump has hours without trades: {} gaps", s.gaps);
    let fee = realdata::kraken_fee();
    let mut labelled = 0;
    for i in 0..s.len() {
        if features::row(&s, i).is_some() {
            assert_eq!(s.open_time[i] - s.open_time[i + 1 - WARMUP], (WARMUP as i64 - 1) * 3600);
        }
        if let Some(l) = labels::net_direction(&s, i, 4, fee, Side::Long) {
            assert_eq!(s.open_time[l.end] - s.open_time[i], 4 * 3600, "label at {i} spans a gap");
            labelled += 1;
        }
    }
    let ds =
        cst_ml::dataset::Dataset::from_series(std::slice::from_ref(&s), &realdata::labels(&[4]), i64::MIN, i64::MAX);
    assert!(labelled > 1_000 && ds.len() > 500 && ds.gaps == s.gaps, "{labelled} {} {}", ds.len(), ds.gaps);
    for (i, t) in ds.times.iter().enumerate() {
        if ds.targets[0].y[i].is_some() {
            assert_eq!(ds.targets[0].end_time[i] - t, 4 * 3600);
        }
    }
}

#[test]
fn fee_comes_from_kraken_asset_pairs_and_a_win_must_clear_both_fills() {
    let fee = realdata::kraken_fee();
    assert_eq!(fee.taker, 0.004, "Kraken's 2025 entry taker tier is 0.40%");
    assert!(!fee.wins(Side::Long, 100.0, 100.79), "+0.79% does not pay two 0.40% fees");
    assert!(fee.wins(Side::Long, 100.0, 100.81));
    assert!(fee.wins(Side::Short, 100.0, 99.19) && !fee.wins(Side::Short, 100.0, 99.21));
}

#[test]
fn net_direction_labels_are_rarer_than_raw_up_moves() {
    let s = realdata::series_15m("XBT/USD", "XBTUSD", 5_000);
    let fee = realdata::kraken_fee();
    let zero = Fee { taker: 0.0 };
    let count =
        |f: Fee| (0..s.len()).filter_map(|i| labels::net_direction(&s, i, 4, f, Side::Long)).filter(|l| l.win).count();
    let (net, raw) = (count(fee), count(zero));
    assert!(net * 4 < raw, "fees must remove most one-hour wins: net {net} raw {raw}");
}

#[test]
fn triple_barrier_ends_at_the_first_touch_and_wins_only_on_take_profit() {
    let s = realdata::series_15m("ETH/USD", "ETHUSD", 3_000);
    let fee = realdata::kraken_fee();
    let (mut wins, mut early) = (0, 0);
    for i in WARMUP..s.len() - 20 {
        let vol = features::row(&s, i).unwrap()[5];
        let l = labels::triple_barrier(&s, i, 16, vol, 2.0, fee, Side::Long).unwrap();
        assert!(l.end > i && l.end <= i + 16);
        let tp = s.close[i] * (2.0 * vol * 4.0_f64).exp();
        if l.win {
            wins += 1;
            assert!(s.high[l.end] >= tp, "a win touched the take-profit");
            assert!((i + 1..l.end).all(|j| s.high[j] < tp), "and nothing earlier did");
        }
        early += usize::from(l.end < i + 16);
    }
    assert!(wins > 10 && early > wins, "wins {wins}, barrier touches {early}");
}

#[test]
fn uniqueness_weights_are_one_without_overlap_and_one_over_h_with_full_overlap() {
    let spans: Vec<(usize, usize)> = (0..50).map(|i| (i, i + 1)).collect();
    assert!(average_uniqueness(&spans, 60).iter().all(|&w| w == 1.0));
    let spans: Vec<(usize, usize)> = (0..200).map(|i| (i, i + 4)).collect();
    let w = average_uniqueness(&spans, 210);
    assert!((w[100] - 0.25).abs() < 1e-12, "interior label shares every candle with 3 others");
    assert!(w[0] > w[100] && w[199] > w[100], "edges overlap less");
}

#[test]
fn dataset_rows_are_time_ordered_with_aligned_targets() {
    let ds = realdata::dataset(3, 3_000, &[1, 4, 16]);
    assert_eq!(ds.feature_names, features::names());
    assert!(ds.times.windows(2).all(|w| w[0] <= w[1]));
    for t in &ds.targets {
        assert_eq!(t.y.len(), ds.len());
        let unlabelled = t.y.iter().filter(|y| y.is_none()).count();
        assert_eq!(unlabelled, 3 * t.horizon, "only the last {} candles per pair lack a label", t.horizon);
    }
}
