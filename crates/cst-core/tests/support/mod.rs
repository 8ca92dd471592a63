//! Shared loaders for the integration tests: real Kraken candles and the TA-Lib oracle files.
#![allow(dead_code)]

use cst_core::CandleRow;
use cst_core::indicators::Ohlcv;
use cst_core::ohlcvt::Layout;

/// The daily XBT/USD input of the oracle and its TA-Lib output.
pub const DAILY: (&str, &str) = ("kraken/ohlcvt/daily/BTCUSD_Daily_OHLC.csv", "oracle/talib/XBTUSD_1440_talib.csv");
/// The hourly ETH/USD input of the oracle and its TA-Lib output.
pub const HOURLY: (&str, &str) =
    ("kraken/ohlcvt/hourly-2013-2020/ETHUSD_60.csv.gz", "oracle/talib/ETHUSD_60_talib.csv.gz");

/// Parses a Kraken OHLCVT file (with or without header) in file order.
pub fn rows(relative: &str) -> Vec<CandleRow> {
    let text = cst_testdata::read_text(relative);
    let mut layout = Layout::default();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if i == 0
            && let Some(l) = Layout::from_header(line).expect("header")
        {
            layout = l;
            continue;
        }
        out.push(layout.parse_line(line).expect("data line"));
    }
    out
}

/// Candle columns of a Kraken OHLCVT file.
pub fn candles(relative: &str) -> Ohlcv {
    Ohlcv::from_rows(&rows(relative))
}

/// The oracle file: its header names and, per row, the time and the cells (None when empty).
pub fn oracle(relative: &str) -> (Vec<String>, Vec<i64>, Vec<Vec<Option<f64>>>) {
    let text = cst_testdata::read_text(relative);
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().expect("header").split(',').skip(1).map(String::from).collect();
    let (mut times, mut cells) = (Vec::new(), Vec::new());
    for line in lines {
        let mut f = line.split(',');
        times.push(f.next().expect("time").parse::<i64>().expect("time"));
        cells.push(f.map(|c| if c.is_empty() { None } else { Some(c.parse::<f64>().expect("number")) }).collect());
    }
    (header, times, cells)
}

/// True when `ours` equals TA-Lib's printed value to 1e-9 relative, or 1e-9 absolute near zero,
/// where "zero" is measured on `scale`, the magnitude of what the indicator subtracts (1 for most;
/// the A/D line for ADOSC, a difference of two EMAs of a line in the millions whose zero
/// crossings otherwise turn one ulp of the inputs into a large relative difference).
/// The oracle prints 12 significant digits, so its own rounding is 5e-12 relative at most.
pub fn close_enough(ours: f64, talib: f64, scale: f64) -> bool {
    let diff = (ours - talib).abs();
    diff <= 1e-9 * scale.max(1.0) || diff <= 1e-9 * talib.abs()
}
