//! Shared loaders for the integration tests: real Kraken candles, the TA-Lib oracle files, and
//! real Kraken instruments.
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

use cst_core::backtest::bars::{BarSeries, parse_ohlcvt, to_bars};
use cst_core::backtest::with_fee_schedule;
use cst_core::event::PairId;
use cst_core::instrument::{Instrument, InstrumentSet};
use cst_core::interval::Interval;
use cst_core::sim_venue::VenuePair;

/// The 2025 AssetPairs capture (XBT/USDT only; today's fee schedule 0.40 % taker / 0.25 % maker).
pub fn assets_2025() -> InstrumentSet {
    InstrumentSet::from_asset_pairs_json(&cst_testdata::read_text(
        "kraken/rest-capture-2025/spot/http_asset_pairs.json",
    ))
    .expect("2025 AssetPairs")
}

/// The full 2021 AssetPairs response from the WS v1 capture's REST log.
pub fn assets_2021() -> InstrumentSet {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz");
    let first = text.lines().next().expect("line");
    let body = first.split_once(": ").expect("url -> ts: body").1;
    // The 2021 list holds staking twins such as `ETH2.S/ETH` that are not tradable pairs; keep
    // the majors this suite trades.
    let mut v: serde_json::Value = serde_json::from_str(body).expect("json");
    let result = v["result"].as_object_mut().expect("result");
    result.retain(|k, _| ["XXBTZUSD", "XETHZUSD"].contains(&k.as_str()));
    InstrumentSet::from_asset_pairs_json(&v.to_string()).expect("2021 AssetPairs")
}

/// XBT/USD: 2021 precision and minimums, 2025 fee schedule.
pub fn xbtusd() -> Instrument {
    let fees = assets_2025().get("XBT/USDT").expect("XBT/USDT").clone();
    with_fee_schedule(assets_2021().get("XBT/USD").expect("XBT/USD"), &fees)
}

/// XBT/USDT exactly as in the 2025 capture.
pub fn xbtusdt() -> Instrument {
    assets_2025().get("XBT/USDT").expect("XBT/USDT").clone()
}

/// Kraken's hourly XBT/USD 2013–2020 as bars of pair 0.
pub fn xbtusd_hourly() -> BarSeries {
    let text = cst_testdata::read_text("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
    let (rows, bad) = parse_ohlcvt(&text);
    assert!(bad.is_empty(), "{bad:?}");
    to_bars(PairId(0), &rows, Interval::H1)
}

/// The venue pair for XBT/USD hourly.
pub fn xbtusd_venue_pair(series: &BarSeries) -> VenuePair {
    VenuePair { instrument: xbtusd(), scale: series.scale }
}
