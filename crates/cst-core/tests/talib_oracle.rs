//! Acceptance: every standard indicator equals TA-Lib's output on real Kraken data, row for row,
//! with TA-Lib's warm-up, and the streaming forms equal the batch forms exactly.

mod support;

use cst_core::indicators::{Column, STANDARD_NAMES, StandardSet, standard_columns};
use support::{DAILY, HOURLY, candles, close_enough, oracle};

fn assert_matches_oracle((input, expected): (&str, &str)) {
    let c = candles(input);
    let (header, times, cells) = oracle(expected);
    assert_eq!(header, STANDARD_NAMES, "oracle columns");
    assert_eq!(times, c.time, "oracle rows are the input rows");
    let ours = standard_columns(&c).expect("standard set");
    let ad = STANDARD_NAMES.iter().position(|n| *n == "ad").expect("ad column");
    let mut worst = (0.0_f64, "", 0usize);
    for (k, (name, col)) in STANDARD_NAMES.iter().zip(&ours).enumerate() {
        let first_talib = cells.iter().position(|r| r[k].is_some()).expect("a value");
        assert_eq!(col.start(), first_talib, "{name}: warm-up length differs from TA-Lib's");
        for (row, talib) in cells.iter().map(|r| r[k]).enumerate() {
            match (col.get(row), talib) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    let scale = if *name == "adosc" { cells[row][ad].map_or(1.0, f64::abs) } else { 1.0 };
                    assert!(close_enough(a, b, scale), "{name} row {row} (time {}): ours {a} talib {b}", times[row]);
                    let rel = (a - b).abs() / b.abs().max(1.0);
                    if rel > worst.0 {
                        worst = (rel, name, row);
                    }
                }
                (a, b) => panic!("{name} row {row}: ours {a:?} talib {b:?}"),
            }
        }
    }
    eprintln!("{input}: {} rows, worst relative difference {:.2e} ({} row {})", c.len(), worst.0, worst.1, worst.2);
}

#[test]
fn standard_set_matches_talib_on_daily_xbtusd() {
    assert_matches_oracle(DAILY);
}

#[test]
fn standard_set_matches_talib_on_hourly_ethusd() {
    assert_matches_oracle(HOURLY);
}

fn assert_streaming_equals_batch(input: &str) {
    let c = candles(input);
    let batch: Vec<Column> = standard_columns(&c).expect("batch");
    let mut set = StandardSet::new().expect("set");
    let mut row = [None; 34];
    for i in 0..c.len() {
        set.update(c.bar(i), &mut row);
        for (k, name) in STANDARD_NAMES.iter().enumerate() {
            let (s, b) = (row[k], batch[k].get(i));
            assert_eq!(s.map(f64::to_bits), b.map(f64::to_bits), "{name} row {i}: stream {s:?} batch {b:?}");
        }
    }
}

#[test]
fn streaming_equals_batch_bit_for_bit_on_daily_xbtusd() {
    assert_streaming_equals_batch(DAILY.0);
}

#[test]
fn streaming_equals_batch_bit_for_bit_on_hourly_ethusd() {
    assert_streaming_equals_batch(HOURLY.0);
}

#[test]
fn batch_into_a_reused_column_equals_batch() {
    use cst_core::indicators::{Atr, Rsi, Sma};
    let c = candles(DAILY.0);
    let short = candles(HOURLY.0);
    let mut col = Column::default();
    for data in [&short, &c, &short] {
        Sma::batch_into(20, &data.close, &mut col).expect("sma");
        assert_eq!(col, Sma::batch(20, &data.close).expect("sma"));
        Rsi::batch_into(14, &data.close, &mut col).expect("rsi");
        assert_eq!(col, Rsi::batch(14, &data.close).expect("rsi"));
        Atr::batch_into(14, data, &mut col).expect("atr");
        assert_eq!(col, Atr::batch(14, data).expect("atr"));
    }
}
